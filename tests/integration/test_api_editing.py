"""Editing a shared ledger through the API on real PostgreSQL: create, edit, split, delete, restore,
the audit trail of two members, categories, and bad input that changes nothing.

The ledger is the owner's personal one (BRL, pt-BR) shared with an editor and a viewer; the owner's
first entry comes from the chat, as production records it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from sqlalchemy import Engine, func, insert, select

from financy.core.adapters import orm
from financy.core.entrypoints.api import ApiApp
from tests.support.api import Member, assert_error, bearer, chat, new_user, spend, token_for

pytestmark = pytest.mark.integration


def share(engine: Engine, owner: Member, user: Member, role: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(orm.members).values(context_id=owner.context_id, user_id=user.user_id, role=role))


def counts(engine: Engine, context_id: uuid.UUID) -> tuple[int, int, int, int]:
    """Transactions, events, split lines and sub-categories of the context."""
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t).where(t.c.context_id == context_id)).scalar_one()
            for t in (orm.transactions, orm.events, orm.transaction_splits, orm.subcategories)
        )


class Api:
    """One member's calls on one ledger."""

    def __init__(self, app: ApiApp, token: str, context_id: uuid.UUID) -> None:
        self.app, self.headers, self.base = app, bearer(token), f"/api/v1/contexts/{context_id}"

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["json"] = body
        _, response = await self.app.asgi_client.request(method, self.base + path, **kwargs)
        return response.status, response.json


@pytest.fixture
def owner(engine: Engine) -> Member:
    return new_user(engine)


async def api_of(app: ApiApp, member: Member, ledger: Member) -> Api:
    return Api(app, await token_for(app, member), ledger.context_id)


NEW = {
    "kind": "expense",
    "amount": "45.90",
    "currency": "BRL",
    "occurred_on": "2026-11-28",
    "merchant": "Pão de Açúcar",
    "category": "groceries",
    "payment_method": "pix",
}


async def test_an_editor_edits_the_owners_entry_and_the_audit_names_who_did_what(
    app: ApiApp, engine: Engine, owner: Member
) -> None:
    editor, viewer = new_user(engine), new_user(engine)
    share(engine, owner, editor, "editor")
    share(engine, owner, viewer, "viewer")
    as_owner, as_editor, as_viewer = [await api_of(app, m, owner) for m in (owner, editor, viewer)]

    status, created = await as_owner.call("POST", "/transactions", NEW)
    assert status == 201, created
    assert (created["amount"], created["currency"], created["source_channel"]) == ("45.90", "BRL", "api")
    assert (created["base_amount"], created["base_currency"], created["fx_rate"], created["fx_source"]) == (
        "45.90",
        "BRL",
        "1",
        "identity",
    )
    assert (created["author_id"], created["paid_by"]) == (str(owner.user_id), str(owner.user_id))
    assert (created["category_name"], created["splits"], created["status"]) == ("Mercado", [], "recorded")
    tid = created["id"]

    status, edited = await as_editor.call(
        "PATCH",
        f"/transactions/{tid}",
        {"amount": "52.30", "merchant": "Feira", "paid_by": str(editor.user_id)},
    )
    assert status == 200, edited
    assert (edited["amount"], edited["merchant"], edited["base_amount"]) == ("52.30", "Feira", "52.30")
    assert edited["author_id"] == str(owner.user_id)  # the author stays who recorded it
    assert edited["paid_by"] == str(editor.user_id)

    before = counts(engine, owner.context_id)
    status, refused = await as_viewer.call("PATCH", f"/transactions/{tid}", {"amount": "1.00"})
    assert status == 403
    assert_error(refused, "forbidden")
    status, refused = await as_viewer.call("POST", "/transactions", NEW)
    assert status == 403
    assert counts(engine, owner.context_id) == before

    status, trail = await as_viewer.call("GET", f"/transactions/{tid}/audit")
    assert status == 200
    items = trail["items"]
    assert [(e["name"], e["actor"]["id"]) for e in items] == [
        ("transaction.created", str(owner.user_id)),
        ("transaction.edited", str(editor.user_id)),
    ]
    assert items[0]["actor"]["name"].startswith("User ")
    assert items[0]["after"]["amount"] == "45.90"
    assert items[1]["before"] == {
        "amount": "45.90",
        "merchant": "Pão de Açúcar",
        "paid_by": str(owner.user_id),
        "base_amount": "45.90",
    }
    assert items[1]["after"] == {
        "amount": "52.30",
        "merchant": "Feira",
        "paid_by": str(editor.user_id),
        "base_amount": "52.30",
    }
    assert dt.datetime.fromisoformat(items[1]["occurred_at"]) >= dt.datetime.fromisoformat(
        items[0]["occurred_at"]
    )


async def test_split_delete_and_restore_a_chat_entry(app: ApiApp, engine: Engine, owner: Member) -> None:
    chat(engine, owner, spend("100.00", dt.date(2026, 11, 20)))
    with engine.connect() as conn:
        tid = conn.execute(
            select(orm.transactions.c.id).where(orm.transactions.c.context_id == owner.context_id)
        ).scalar_one()
    editor = new_user(engine)
    share(engine, owner, editor, "editor")
    api = await api_of(app, editor, owner)

    before = counts(engine, owner.context_id)
    status, body = await api.call(
        "PUT",
        f"/transactions/{tid}/splits",
        [{"category": "groceries", "amount": "70.00"}, {"category": "pets", "amount": "29.90"}],
    )
    assert status == 422
    assert_error(body, "split_mismatch")
    assert "0.10" in body["error"]["message"]
    status, body = await api.call(
        "PUT", f"/transactions/{tid}/splits", [{"category": "groceries", "amount": "100.00"}]
    )
    assert status == 400
    assert_error(body, "split_too_short")
    status, body = await api.call(
        "PUT",
        f"/transactions/{tid}/splits",
        [{"category": "groceries", "amount": "50"}, {"category": "snacks", "amount": "50"}],
    )
    assert status == 400
    assert_error(body, "unknown_category")
    assert counts(engine, owner.context_id) == before

    status, split = await api.call(
        "PUT",
        f"/transactions/{tid}/splits",
        {
            "lines": [
                {"category": "groceries", "amount": "70.00"},
                {"category": "pets", "amount": "30", "note": "ração"},
            ]
        },
    )
    assert status == 200, split
    assert [
        (s["category"], s["category_name"], s["amount"], s["base_amount"], s["note"]) for s in split["splits"]
    ] == [
        ("groceries", "Mercado", "70.00", "70.00", None),
        ("pets", "Pets", "30.00", "30.00", "ração"),
    ]
    status, detail = await api.call("GET", f"/transactions/{tid}")
    assert status == 200
    assert len(detail["splits"]) == 2
    status, body = await api.call("PATCH", f"/transactions/{tid}", {"amount": "90.00"})
    assert status == 409
    status, unsplit = await api.call("DELETE", f"/transactions/{tid}/splits")
    assert (status, unsplit["splits"]) == (200, [])

    status, deleted = await api.call("DELETE", f"/transactions/{tid}")
    assert (status, deleted["status"]) == (200, "reversed")
    status, page = await api.call("GET", "/transactions?status=recorded")
    assert page["items"] == []
    status, body = await api.call("DELETE", f"/transactions/{tid}")
    assert status == 409
    status, restored = await api.call("POST", f"/transactions/{tid}/restore")
    assert (status, restored["status"]) == (200, "recorded")

    status, trail = await api.call("GET", f"/transactions/{tid}/audit")
    assert [e["name"] for e in trail["items"]] == [
        "transaction.recorded",
        "transaction.split",
        "transaction.unsplit",
        "transaction.reversed",
        "transaction.restored",
    ]
    assert trail["items"][0]["actor"]["id"] == str(owner.user_id)
    assert {e["actor"]["id"] for e in trail["items"][1:]} == {str(editor.user_id)}
    assert trail["items"][1]["after"]["splits"][1] == {
        "category": "pets",
        "subcategory_id": None,
        "amount": "30.00",
        "base_amount": "30.00",
        "note": "ração",
    }


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"amount": "10.123"}, 400, "too_many_decimals"),
        ({"amount": "1000.5", "currency": "JPY"}, 400, "too_many_decimals"),
        ({"currency": "XYZ"}, 400, "unknown_currency"),
        ({"amount": "0"}, 400, "invalid_amount"),
        ({"amount": "-5.00"}, 400, "invalid_amount"),
        ({"amount": 45.9}, 400, "bad_request"),
        ({"amount": "45,90"}, 400, "bad_request"),
        ({"category": "snacks"}, 400, "unknown_category"),
        ({"kind": "loan"}, 400, "bad_request"),
        ({"colour": "red"}, 400, "bad_request"),
        ({"paid_by": "00000000-0000-0000-0000-000000000007"}, 400, "unknown_member"),
        ({"occurred_on": "ontem"}, 400, "bad_request"),
    ],
)
async def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    app: ApiApp, engine: Engine, owner: Member, change: dict[str, Any], status: int, code: str
) -> None:
    api = await api_of(app, owner, owner)
    before = counts(engine, owner.context_id)
    answered, body = await api.call("POST", "/transactions", NEW | change)
    assert answered == status, body
    assert_error(body, code)
    assert counts(engine, owner.context_id) == before
    # The same change as an edit of an existing transaction.
    _, created = await api.call("POST", "/transactions", NEW)
    before = counts(engine, owner.context_id)
    answered, body = await api.call("PATCH", f"/transactions/{created['id']}", change)
    assert answered == status, body
    assert_error(body, code)
    assert counts(engine, owner.context_id) == before
    _, detail = await api.call("GET", f"/transactions/{created['id']}")
    assert (detail["amount"], detail["currency"], detail["category"]) == ("45.90", "BRL", "groceries")


async def test_a_transaction_of_another_ledger_is_404_and_unchanged(
    app: ApiApp, engine: Engine, owner: Member
) -> None:
    mine = await api_of(app, owner, owner)
    _, created = await mine.call("POST", "/transactions", NEW)
    tid = created["id"]
    other = new_user(engine)
    theirs = await api_of(app, other, other)  # the other user's own ledger, where they are owner
    before = counts(engine, owner.context_id)
    for method, path, body in (
        ("PATCH", f"/transactions/{tid}", {"merchant": "hacked"}),
        ("DELETE", f"/transactions/{tid}", None),
        ("POST", f"/transactions/{tid}/restore", None),
        (
            "PUT",
            f"/transactions/{tid}/splits",
            [{"category": "pets", "amount": "40"}, {"category": "pets", "amount": "5.90"}],
        ),
        ("DELETE", f"/transactions/{tid}/splits", None),
        ("GET", f"/transactions/{tid}/audit", None),
        ("PATCH", f"/transactions/{uuid.uuid4()}", {"merchant": "x"}),
    ):
        status, answer = await theirs.call(method, path, body)
        assert status == 404, (method, path, answer)
        assert_error(answer, "not_found")
    assert counts(engine, owner.context_id) == before
    _, detail = await mine.call("GET", f"/transactions/{tid}")
    assert (detail["merchant"], detail["status"], detail["splits"]) == ("Pão de Açúcar", "recorded", [])


async def test_categories_renames_and_sub_categories_are_this_ledgers_own(
    app: ApiApp, engine: Engine, owner: Member
) -> None:
    editor, viewer, other = new_user(engine), new_user(engine), new_user(engine)
    share(engine, owner, editor, "editor")
    share(engine, owner, viewer, "viewer")
    api, as_viewer, as_other = [
        await api_of(app, m, m if m is other else owner) for m in (editor, viewer, other)
    ]

    status, listed = await as_viewer.call("GET", "/categories")
    assert status == 200
    groceries = listed["items"][0]
    assert groceries == {
        "key": "groceries",
        "slug": "groceries",
        "kind": "expense",
        "name": "Mercado",
        "default_name": "Mercado",
        "renamed": False,
        "subcategories": [],
    }
    assert len(listed["items"]) == 20

    status, body = await as_viewer.call("POST", "/categories", {"parent": "groceries", "name": "Feira"})
    assert status == 403
    status, feira = await api.call("POST", "/categories", {"parent": "groceries", "name": "Feira"})
    assert status == 201, feira
    assert (feira["parent"], feira["name"]) == ("groceries", "Feira")
    status, body = await api.call("POST", "/categories", {"parent": "groceries", "name": "feira"})
    assert (status, body["error"]["code"]) == (409, "category_exists")
    status, body = await api.call("POST", "/categories", {"parent": "snacks", "name": "Chips"})
    assert (status, body["error"]["code"]) == (400, "unknown_category")

    status, created = await api.call(
        "POST", "/transactions", NEW | {"category": None, "subcategory": feira["id"]}
    )
    assert status == 201, created
    assert (created["category"], created["subcategory"]) == (
        "groceries",
        {"id": feira["id"], "name": "Feira"},
    )

    status, renamed = await api.call("PATCH", "/categories/groceries", {"name": "Supermercado"})
    assert (status, renamed["name"], renamed["slug"], renamed["renamed"]) == (
        200,
        "Supermercado",
        "groceries",
        True,
    )
    status, renamed_sub = await api.call("PATCH", f"/categories/{feira['id']}", {"name": "Feira livre"})
    assert (status, renamed_sub["name"]) == (200, "Feira livre")
    _, detail = await api.call("GET", f"/transactions/{created['id']}")
    assert (detail["category"], detail["category_name"], detail["subcategory"]["name"]) == (
        "groceries",
        "Supermercado",
        "Feira livre",
    )
    _, page = await api.call("GET", "/transactions")
    assert [(t["category"], t["category_name"]) for t in page["items"]] == [("groceries", "Supermercado")]
    # Another ledger sees the taxonomy's name and none of these sub-categories.
    _, theirs = await as_other.call("GET", "/categories")
    assert (theirs["items"][0]["name"], theirs["items"][0]["subcategories"]) == ("Mercado", [])
    status, body = await as_other.call("POST", "/transactions", NEW | {"subcategory": feira["id"]})
    assert (status, body["error"]["code"]) == (400, "unknown_category")

    status, body = await api.call("DELETE", "/categories/groceries")
    assert (status, body["error"]["code"]) == (400, "invalid_field")
    status, deleted = await api.call("DELETE", f"/categories/{feira['id']}")
    assert (status, deleted) == (200, {"deleted": feira["id"], "parent": "groceries", "transactions": 1})
    _, detail = await api.call("GET", f"/transactions/{created['id']}")
    assert (detail["category"], detail["subcategory"]) == ("groceries", None)
    status, body = await api.call("DELETE", f"/categories/{feira['id']}")
    assert status == 404
    status, reset = await api.call("PATCH", "/categories/groceries", {"name": None})
    assert (status, reset["name"], reset["renamed"]) == (200, "Mercado", False)


async def test_editing_answers_match_the_documented_schemas(
    app: ApiApp, engine: Engine, owner: Member
) -> None:
    _, response = await app.asgi_client.get("/docs/openapi.json")
    spec = response.json
    api = await api_of(app, owner, owner)
    _, created = await api.call("POST", "/transactions", NEW)
    _, split = await api.call(
        "PUT",
        f"/transactions/{created['id']}/splits",
        [{"category": "groceries", "amount": "40"}, {"category": "pets", "amount": "5.90"}],
    )
    _, trail = await api.call("GET", f"/transactions/{created['id']}/audit")
    _, listed = await api.call("GET", "/categories")
    _, mismatch = await api.call(
        "PUT",
        f"/transactions/{created['id']}/splits",
        [{"category": "groceries", "amount": "40"}, {"category": "pets", "amount": "5"}],
    )
    tx = "/api/v1/contexts/{context_id}/transactions"
    checks = [
        (tx, "post", "201", created),
        (tx + "/{transaction_id}/splits", "put", "200", split),
        (tx + "/{transaction_id}/splits", "put", "422", mismatch),
        (tx + "/{transaction_id}/audit", "get", "200", trail),
        ("/api/v1/contexts/{context_id}/categories", "get", "200", listed),
    ]
    for path, method, status, body in checks:
        schema = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        validator = OAS30Validator(
            {**schema, "components": spec["components"]}, format_checker=OAS30Validator.FORMAT_CHECKER
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert errors == [], (path, method, status, errors)
