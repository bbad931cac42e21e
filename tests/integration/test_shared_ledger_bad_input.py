"""Hostile input on the shared-ledger routes, on real PostgreSQL: every case is a clear 4xx with
the error shape, and no row nor event of the ledger changes.

Each case found a 500 or a silent acceptance before its fix (NUL characters, dates and months near
year 1 or 9999, FX rates too small or too large for the base amount, non-money ISO codes such as
XXX, a currency with spaces), or pins a rule that held (decimals per currency, splits, budgets,
invitations, roles, cross-ledger ids).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from financy.core.adapters import orm
from financy.core.entrypoints.api import ApiApp
from tests.support.api import Member, assert_error, bearer, new_user, token_for

pytestmark = pytest.mark.integration

NEW = {
    "kind": "expense",
    "amount": "45.90",
    "currency": "BRL",
    "occurred_on": "2026-11-28",
    "merchant": "Feira",
    "category": "groceries",
}


def snapshot(engine: Engine, context_id: uuid.UUID) -> dict[str, Any]:
    """Every row of the ledger's transactions, splits, budgets, members, invitations and events."""
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in (
            orm.transactions,
            orm.transaction_splits,
            orm.budgets,
            orm.members,
            orm.invitations,
            orm.events,
        ):
            rows = conn.execute(select(table).where(table.c.context_id == context_id)).mappings()
            out[table.name] = sorted((tuple(sorted(r.items(), key=str)) for r in rows), key=str)
        out["contexts"] = conn.execute(select(func.count()).select_from(orm.contexts)).scalar_one()
    return out


async def call(app: ApiApp, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {"headers": bearer(token)}
    if body is not None:
        kwargs["json"] = body
    _, response = await app.asgi_client.request(method, path, **kwargs)
    return response.status, response.json


@pytest.fixture
def owner(engine: Engine) -> Member:
    return new_user(engine)


async def ledger(app: ApiApp, owner: Member) -> tuple[str, str, str, str]:
    """The owner's token, the ledger's path, a BRL and a USD transaction id."""
    token = await token_for(app, owner)
    base = f"/api/v1/contexts/{owner.context_id}"
    status, brl = await call(app, token, "POST", base + "/transactions", NEW)
    assert status == 201, brl
    status, usd = await call(app, token, "POST", base + "/transactions", {**NEW, "currency": "USD"})
    assert status == 201, usd
    return token, base, brl["id"], usd["id"]


BAD_TRANSACTIONS = [
    ({"amount": "10.5", "currency": "JPY"}, "too_many_decimals"),
    ({"amount": "1.2345", "currency": "KWD"}, "too_many_decimals"),
    ({"amount": "1.001"}, "too_many_decimals"),
    ({"currency": "XXX"}, "unknown_currency"),
    ({"currency": "XAU"}, "unknown_currency"),
    ({"currency": "ZZZ"}, "unknown_currency"),
    ({"currency": "usd "}, "bad_request"),
    ({"currency": 1}, "bad_request"),
    ({"currency": None}, "bad_request"),
    ({"amount": "0"}, "invalid_amount"),
    ({"amount": "-1"}, "invalid_amount"),
    ({"amount": "NaN"}, "bad_request"),
    ({"amount": "Infinity"}, "bad_request"),
    ({"amount": "1e400"}, "bad_request"),
    ({"amount": 10}, "bad_request"),
    ({"amount": ["1"]}, "bad_request"),
    ({"amount": "999999999999999"}, "invalid_amount"),
    ({"merchant": "m" * 100_000}, "bad_request"),
    ({"merchant": "a\x00b"}, "bad_request"),
    ({"description": "\x00"}, "bad_request"),
    ({"payment_method": "pix\x00"}, "bad_request"),
    ({"occurred_on": "0001-01-01"}, "bad_request"),
    ({"occurred_on": "9999-12-31"}, "bad_request"),
    ({"occurred_on": "2026-13-01"}, "bad_request"),
    ({"occurred_on": 20261128}, "bad_request"),
    ({"category": ["groceries"]}, "bad_request"),
    ({"paid_by": "not-a-uuid"}, "bad_request"),
    ({"kind": "refund"}, "bad_request"),
    ({"surprise": 1}, "bad_request"),
]


@pytest.mark.parametrize("route", ["create", "edit"])
async def test_a_bad_transaction_is_refused_on_create_and_edit(
    app: ApiApp, engine: Engine, owner: Member, route: str
) -> None:
    token, base, tid, _ = await ledger(app, owner)
    before = snapshot(engine, owner.context_id)
    for fields, code in BAD_TRANSACTIONS:
        if route == "create":
            status, body = await call(app, token, "POST", base + "/transactions", {**NEW, **fields})
        else:
            status, body = await call(app, token, "PATCH", f"{base}/transactions/{tid}", fields)
        assert 400 <= status < 500, (fields, body)
        assert body["error"]["code"] == code, (fields, body)
        assert body["error"]["message"]
    assert snapshot(engine, owner.context_id) == before


async def test_a_body_that_is_not_an_object_is_4xx_on_every_write(
    app: ApiApp, engine: Engine, owner: Member
) -> None:
    token, base, tid, usd = await ledger(app, owner)
    before = snapshot(engine, owner.context_id)
    headers = {**bearer(token), "content-type": "application/json"}
    for raw, method, path in [
        (raw, method, path)
        for raw in [b"[]", b"1", b'"x"', b"null", b"{bad", b"[1,2]"]
        for method, path in [
            ("POST", base + "/transactions"),
            ("PATCH", f"{base}/transactions/{tid}"),
            ("POST", base + "/budgets"),
            ("PUT", f"{base}/transactions/{usd}/fx"),
            ("POST", "/api/v1/invitations/accept"),
            ("POST", "/api/v1/contexts"),
        ]
    ]:
        _, response = await app.asgi_client.request(method, path, content=raw, headers=headers)
        assert 400 <= response.status < 500, (path, response.text)
        assert response.json["error"]["message"]
    assert snapshot(engine, owner.context_id) == before


SPLITS = [
    ([{"category": "groceries", "amount": "40"}, {"category": "restaurants", "amount": "5"}], 422),
    ([{"category": "groceries", "amount": "50"}, {"category": "restaurants", "amount": "-4.10"}], 400),
    ([{"category": "groceries", "amount": "45.90"}, {"category": "restaurants", "amount": "0"}], 400),
    ([{"category": "groceries", "amount": "45.90"}], 400),
    ([{"category": "groceries", "amount": "0.01"}] * 1000, 400),
    ([{"category": "groceries", "amount": "45.895"}, {"category": "restaurants", "amount": "0.005"}], 400),
    ([{"category": "nope", "amount": "40.90"}, {"category": "restaurants", "amount": "5"}], 400),
    (
        [
            {"category": "groceries", "amount": "40.90", "note": "\x00"},
            {"category": "restaurants", "amount": "5"},
        ],
        400,
    ),
    ([None, None], 400),
    ({"lines": "x"}, 400),
]


async def test_a_bad_split_changes_nothing(app: ApiApp, engine: Engine, owner: Member) -> None:
    token, base, tid, _ = await ledger(app, owner)
    before = snapshot(engine, owner.context_id)
    for lines, status_code in SPLITS:
        status, body = await call(app, token, "PUT", f"{base}/transactions/{tid}/splits", lines)
        assert status == status_code, (lines, body)
        assert body["error"]["message"]
    assert snapshot(engine, owner.context_id) == before


BUDGETS = [
    ({"amount": "0"}, "invalid_budget"),
    ({"amount": "-5"}, "invalid_budget"),
    ({"amount": "NaN"}, None),
    ({"amount": "Infinity"}, None),
    ({"amount": "1e400"}, "invalid_budget"),
    ({"amount": "800.001"}, "invalid_budget"),
    ({"amount": "800", "currency": "USD"}, "invalid_budget"),
    ({"amount": "800", "currency": "XXX"}, "invalid_budget"),
    ({"amount": "800", "category": "nope"}, "bad_request"),
    ({"amount": "800", "group": "nope"}, "invalid_budget"),
    ({"amount": "800", "group": "\x00"}, "bad_request"),
    ({"amount": None}, "bad_request"),
]


BAD_PATCHES = [
    {"amount": "0"},
    {"amount": "-5"},
    {"amount": "NaN"},
    {"amount": "Infinity"},
    {"amount": "1e400"},
    {"amount": "800.001"},
    {"amount": "800", "currency": "USD"},
    {"amount": [1]},
]


async def test_a_bad_budget_changes_nothing(app: ApiApp, engine: Engine, owner: Member) -> None:
    token, base, _, _ = await ledger(app, owner)
    status, budget = await call(
        app, token, "POST", base + "/budgets", {"amount": "500", "category": "groceries"}
    )
    assert status == 201, budget
    before = snapshot(engine, owner.context_id)
    for fields, code in BUDGETS:
        status, body = await call(app, token, "POST", base + "/budgets", fields)
        assert status == 400, (fields, body)
        assert_error(body, code or body["error"]["code"])
    for patch in BAD_PATCHES:
        status, body = await call(app, token, "PATCH", f"{base}/budgets/{budget['id']}", patch)
        assert status == 400, (patch, body)
        assert body["error"]["message"]
    assert snapshot(engine, owner.context_id) == before


async def test_a_bad_budget_month_is_a_parameter_error(app: ApiApp, owner: Member) -> None:
    token = await token_for(app, owner)
    for month in ["2026-13", "2026-00", "0001-01", "9999-12", "abc", "2026-1"]:
        path = f"/api/v1/contexts/{owner.context_id}/budgets?month={month}"
        status, body = await call(app, token, "GET", path)
        assert status == 400, (month, body)
        assert_error(body, "invalid_parameter")


RATES = [
    0,
    "0",
    "-1",
    "NaN",
    "Infinity",
    "1e-30",
    "1e-12",
    "1e30",
    "1e400",
    1e308,
    "9" * 40,
    True,
    None,
    [1],
    "abc",
]


async def test_a_bad_fx_rate_changes_nothing(app: ApiApp, engine: Engine, owner: Member) -> None:
    token, base, _, usd = await ledger(app, owner)
    before = snapshot(engine, owner.context_id)
    for rate in RATES:
        status, body = await call(app, token, "PUT", f"{base}/transactions/{usd}/fx", {"rate": rate})
        assert status == 422, (rate, body)
        assert_error(body, "invalid_rate")
    assert snapshot(engine, owner.context_id) == before


REPORTS = ["month-by-category", "top-merchants", "income-expense", "per-member"]


MONTH_RANGES = [
    "from=2026-13&to=2026-12",
    "from=2026-12&to=2026-01",
    "from=9999-01&to=9999-12",
    "from=0001-01&to=0001-12",
    "from=%00",
]
DAY_RANGES = [
    "from=2026-01-01&to=2025-01-01",
    "from=9999-12-01&to=9999-12-31",
    "from=0001-01-01&to=0001-01-30",
    "from=2026-02-30",
]


@pytest.mark.parametrize("name", [*REPORTS, "daily"])
async def test_a_bad_report_range_or_limit_is_422(app: ApiApp, owner: Member, name: str) -> None:
    token = await token_for(app, owner)
    queries = DAY_RANGES if name == "daily" else MONTH_RANGES
    if name == "top-merchants":
        queries = [*queries, "limit=-1", "limit=0", "limit=1000000000", "limit=abc"]
    for query in queries:
        path = f"/api/v1/contexts/{owner.context_id}/reports/{name}?{query}"
        status, body = await call(app, token, "GET", path)
        assert status == 422, (query, body)
        assert_error(body, "invalid_parameter")


LEDGERS = [
    {"name": "\x00"},
    {"name": "ok", "base_currency": "XXX"},
    {"name": "ok", "time_zone": "Mars/Olympus"},
    {"name": 5},
    {"name": "x" * 201},
]


async def test_a_bad_ledger_is_not_created_nor_renamed(app: ApiApp, engine: Engine, owner: Member) -> None:
    token = await token_for(app, owner)
    before = snapshot(engine, owner.context_id)
    for fields in LEDGERS:
        status, body = await call(app, token, "POST", "/api/v1/contexts", {"type": "family", **fields})
        assert 400 <= status < 500, (fields, body)
        assert body["error"]["message"]
        status, body = await call(app, token, "PATCH", f"/api/v1/contexts/{owner.context_id}", fields)
        assert 400 <= status < 500, (fields, body)
    assert snapshot(engine, owner.context_id) == before


async def test_ids_of_another_ledger_are_404_and_change_nothing(
    app: ApiApp, engine: Engine, owner: Member
) -> None:
    token, base, tid, _ = await ledger(app, owner)
    other = new_user(engine)
    other_token, other_base, other_tid, other_usd = await ledger(app, other)
    mine, theirs = snapshot(engine, owner.context_id), snapshot(engine, other.context_id)
    lines = [{"category": "groceries", "amount": "40.90"}, {"category": "restaurants", "amount": "5.00"}]
    for method, path, body in [
        ("PATCH", "/transactions/{t}", {"amount": "1.00"}),
        ("DELETE", "/transactions/{t}", None),
        ("POST", "/transactions/{t}/restore", None),
        ("PUT", "/transactions/{t}/splits", lines),
        ("DELETE", "/transactions/{t}/splits", None),
        ("GET", "/transactions/{t}/audit", None),
        ("PUT", "/transactions/{u}/fx", {"rate": "5"}),
    ]:
        # their transaction in my ledger's path, and mine in theirs (where I am no member)
        status, answer = await call(app, token, method, base + path.format(t=other_tid, u=other_usd), body)
        assert status == 404, (path, answer)
        status, answer = await call(app, token, method, other_base + path.format(t=tid, u=tid), body)
        assert status in (403, 404), (path, answer)
    assert (snapshot(engine, owner.context_id), snapshot(engine, other.context_id)) == (mine, theirs)
    assert other_token


async def test_invitations_work_once_and_never_for_the_inviter(
    app: ApiApp, engine: Engine, owner: Member
) -> None:
    token = await token_for(app, owner)
    guest = new_user(engine)
    guest_token = await token_for(app, guest)
    base = f"/api/v1/contexts/{owner.context_id}"
    status, invitation = await call(app, token, "POST", base + "/invitations", {"role": "viewer"})
    assert status == 201, invitation
    before = snapshot(engine, owner.context_id)
    status, body = await call(app, token, "POST", "/api/v1/invitations/accept", {"code": invitation["code"]})
    assert status == 409, body
    assert_error(body, "already_member")
    assert snapshot(engine, owner.context_id) == before
    status, body = await call(
        app, guest_token, "POST", "/api/v1/invitations/accept", {"code": invitation["code"]}
    )
    assert status == 200, body
    third = new_user(engine)
    after_join = snapshot(engine, owner.context_id)
    status, body = await call(
        app, await token_for(app, third), "POST", "/api/v1/invitations/accept", {"code": invitation["code"]}
    )
    assert status == 410, body
    assert_error(body, "invitation_used")
    for bad in [{"code": 123}, {"code": None}, {"code": "x" * 65}, {"code": "\x00"}]:
        status, body = await call(app, guest_token, "POST", "/api/v1/invitations/accept", bad)
        assert status == 400, body
    # a viewer may not invite; an editor may not raise their own role nor remove the owner
    status, body = await call(app, guest_token, "POST", base + "/invitations", {"role": "viewer"})
    assert status == 403, body
    status, body = await call(app, guest_token, "PATCH", f"{base}/members/{guest.user_id}", {"role": "owner"})
    assert status == 403, body
    status, body = await call(app, guest_token, "DELETE", f"{base}/members/{owner.user_id}")
    assert status == 403, body
    assert snapshot(engine, owner.context_id) == after_join


async def test_an_admin_cannot_remove_or_demote_the_owner(app: ApiApp, engine: Engine, owner: Member) -> None:
    admin = new_user(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(orm.members).values(context_id=owner.context_id, user_id=admin.user_id, role="admin")
        )
    token = await token_for(app, admin)
    base = f"/api/v1/contexts/{owner.context_id}"
    before = snapshot(engine, owner.context_id)
    for method, body in [("DELETE", None), ("PATCH", {"role": "viewer"})]:
        status, answer = await call(app, token, method, f"{base}/members/{owner.user_id}", body)
        assert status == 403, answer
    status, answer = await call(app, token, "PATCH", f"{base}/members/{admin.user_id}", {"role": "owner"})
    assert status == 403, answer
    assert snapshot(engine, owner.context_id) == before
