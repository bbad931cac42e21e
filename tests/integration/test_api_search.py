"""``GET /api/v1/contexts/{id}/search`` on the real app: results, parameters, errors, the documented shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from sqlalchemy import Engine

from financy.core.entrypoints.api import ApiApp
from tests.support.api import Member, assert_error, chat, get_json, new_user, spend, token_for

pytestmark = pytest.mark.integration

PATH = "/api/v1/contexts/{context_id}/search"


@pytest.fixture
def member(engine: Engine) -> Member:
    member = new_user(engine)
    chat(engine, member, spend("32.50", dt.date(2026, 11, 10), "health", "Farmácia São João"))
    chat(engine, member, spend("12.00", dt.date(2026, 11, 15), "restaurants", "Padaria Estrela"))
    chat(engine, member, spend("80.00", dt.date(2026, 10, 5), "health", "Farmácia Popular"))
    return member


def assert_documented(spec: dict[str, Any], status: int, body: Any) -> None:
    operation = spec["paths"][PATH]["get"]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = OAS30Validator(
        {**schema, "components": spec["components"]}, format_checker=OAS30Validator.FORMAT_CHECKER
    )
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)] == []


async def test_search_answers_with_the_ranked_page(app: ApiApp, member: Member) -> None:
    token = await token_for(app, member)
    base = f"/api/v1/contexts/{member.context_id}/search"
    status, body = await get_json(app, f"{base}?q=farmacai", token)
    assert status == 200, body
    assert [(i["merchant"], i["amount"], i["category_name"], i["matched"]) for i in body["items"]] == [
        ("Farmácia São João", "32.50", "Saúde", ["merchant"]),
        ("Farmácia Popular", "80.00", "Saúde", ["merchant"]),
    ]
    assert body["terms"] == [{"term": "farmacai", "words": ["farmacia"], "prefix": False}]
    assert (body["next_cursor"], body["order"], body["backend"]) == (None, "ranked", "postgres")
    _, response = await app.asgi_client.get("/docs/openapi.json")
    assert_documented(response.json, 200, body)

    status, first = await get_json(app, f"{base}?q=farmacia&limit=1", token)
    assert [i["merchant"] for i in first["items"]] == ["Farmácia São João"]
    status, second = await get_json(app, f"{base}?q=farmacia&limit=1&cursor={first['next_cursor']}", token)
    assert ([i["merchant"] for i in second["items"]], second["next_cursor"]) == (["Farmácia Popular"], None)

    status, filtered = await get_json(
        app, f"{base}?q=farm&from=2026-11-01&to=2026-11-30&category=health", token
    )
    assert [i["merchant"] for i in filtered["items"]] == ["Farmácia São João"]
    status, by_amount = await get_json(app, f"{base}?min=12&max=40&kind=expense&source=devchat", token)
    assert [i["merchant"] for i in by_amount["items"]] == ["Padaria Estrela", "Farmácia São João"]
    status, everything = await get_json(app, f"{base}?member={member.user_id}&status=any", token)
    assert [i["amount"] for i in everything["items"]] == ["12.00", "32.50", "80.00"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("from=2026-13-01", "from"),
        ("from=2026-11-30&to=2026-11-01", "from"),
        ("category=food", "category"),
        ("category=health,nope", "category"),
        ("min=-1", "min"),
        ("min=abc", "min"),
        ("min=50&max=10", "min"),
        ("kind=loan", "kind"),
        ("status=lost", "status"),
        ("member=someone", "member"),
        ("source=Tele%20gram", "source"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=bogus", "cursor"),
        ("q=" + "+".join(["palavra"] * 11), "q"),
        ("q=" + "x" * 201, "q"),
    ],
)
async def test_bad_parameters_are_refused_by_name(app: ApiApp, member: Member, query: str, name: str) -> None:
    status, body = await get_json(
        app, f"/api/v1/contexts/{member.context_id}/search?{query}", await token_for(app, member)
    )
    assert status == 400, body
    assert_error(body, "invalid_parameter")
    assert body["error"]["message"].startswith(f"'{name}': "), body


async def test_a_cursor_of_another_search_is_refused(app: ApiApp, member: Member) -> None:
    token = await token_for(app, member)
    base = f"/api/v1/contexts/{member.context_id}/search"
    _, first = await get_json(app, f"{base}?q=farmacia&limit=1", token)
    status, body = await get_json(app, f"{base}?q=padaria&cursor={first['next_cursor']}", token)
    assert status == 400
    assert body["error"]["message"].startswith("'cursor': ")


async def test_a_non_member_is_refused(app: ApiApp, member: Member, engine: Engine) -> None:
    outsider = new_user(engine)
    status, body = await get_json(
        app, f"/api/v1/contexts/{member.context_id}/search?q=farmacia", await token_for(app, outsider)
    )
    assert status == 403
    assert_error(body, "not_a_member")
