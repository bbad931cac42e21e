"""The API keeps the contract it publishes: a valid OpenAPI document, answers that match it, one rule set.

The document is the one the app serves (``/docs/openapi.json``), generated from the same pydantic
models that validate input (``financy.core.entrypoints.api.schemas``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import Engine

from financy.core.entrypoints.api import ApiApp
from tests.support.api import (
    Member,
    assert_error,
    bearer,
    chat,
    get_json,
    new_user,
    spend,
    token_for,
)

pytestmark = pytest.mark.integration

#: API routes that take no bearer token: the login, and a password reset (its token is in the body).
# The enrolment route takes no sign-in: its one-time token is the credential (test_edge_enrolment).
_PUBLIC_API = frozenset({"/api/v1/auth/token", "/api/v1/password-reset", "/api/v1/edges/enroll"})


@pytest.fixture
def member(engine: Engine) -> Member:
    member = new_user(engine)
    chat(engine, member, spend("45.90", dt.date(2026, 10, 5)))
    chat(engine, member, spend("12.5", dt.date(2026, 11, 2), "restaurants", "Padaria"))
    return member


async def served_spec(app: ApiApp) -> dict[str, Any]:
    _, response = await app.asgi_client.get("/docs/openapi.json")
    assert response.status == 200
    spec: dict[str, Any] = response.json
    return spec


def assert_matches(spec: dict[str, Any], path: str, status: int, body: Any) -> None:
    """Assert ``body`` is valid against the documented JSON response of GET ``path`` at ``status``."""
    operation = spec["paths"][path].get("get") or spec["paths"][path]["post"]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = OAS30Validator(
        {**schema, "components": spec["components"]}, format_checker=OAS30Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], (path, status, errors)


async def test_the_served_openapi_document_is_valid(app: ApiApp) -> None:
    spec = await served_spec(app)
    assert spec["openapi"].startswith("3.0")
    validate_spec(spec)
    # Every route documents its success and its errors with the one error shape.
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            errors = [s for s in responses if s.startswith(("4", "5")) and s != "503"]
            for status in errors:
                assert responses[status]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorOut"
                }, (method, path, status)
            if path.startswith("/api/v1/") and path not in _PUBLIC_API:
                assert operation["security"] == [{"bearer": []}], (method, path)
                assert "401" in responses, (method, path)
            if "{context_id}" in path:
                assert "403" in responses, (method, path)


async def test_answers_match_the_documented_schemas(app: ApiApp, member: Member) -> None:
    spec = await served_spec(app)
    _, login = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": member.username, "password": member.password}
    )
    assert_matches(spec, "/api/v1/auth/token", 200, login.json)
    token = login.json["access_token"]
    base = f"/api/v1/contexts/{member.context_id}"
    checks = [
        ("/api/v1/me", "/api/v1/me"),
        ("/api/v1/contexts", "/api/v1/contexts"),
        ("/api/v1/contexts/{context_id}/transactions", f"{base}/transactions?limit=1"),
        ("/api/v1/contexts/{context_id}/captures", f"{base}/captures"),
    ]
    for documented, url in checks:
        status, body = await get_json(app, url, token)
        assert status == 200, body
        assert_matches(spec, documented, 200, body)
    _, page = await get_json(app, f"{base}/transactions", token)
    status, detail = await get_json(app, f"{base}/transactions/{page['items'][0]['id']}", token)
    assert status == 200
    assert_matches(spec, "/api/v1/contexts/{context_id}/transactions/{transaction_id}", 200, detail)
    _, health = await app.asgi_client.get("/healthz")
    assert_matches(spec, "/healthz", 200, health.json)
    _, ready = await app.asgi_client.get("/readyz")
    assert_matches(spec, "/readyz", 200, ready.json)
    status, refused = await get_json(app, f"{base}/transactions?limit=0", token)
    assert status == 400
    assert_matches(spec, "/api/v1/contexts/{context_id}/transactions", 400, refused)


@pytest.mark.parametrize("route", ["transactions", "captures"])
@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=201", "limit=-1", "limit=1.5", "limit=ten", "status=lost"],
)
async def test_every_list_route_has_the_same_parameter_rules(
    app: ApiApp, member: Member, route: str, query: str
) -> None:
    status, body = await get_json(
        app, f"/api/v1/contexts/{member.context_id}/{route}?{query}", await token_for(app, member)
    )
    assert status == 400
    assert_error(body, "invalid_parameter")
    name = query.split("=", maxsplit=1)[0]
    assert body["error"]["message"].startswith(f"'{name}': ")


@pytest.mark.parametrize("route", ["transactions", "captures"])
async def test_every_list_route_accepts_the_limit_bounds_and_blank_values(
    app: ApiApp, member: Member, route: str
) -> None:
    token = await token_for(app, member)
    for query, count in (("limit=1", 1), ("limit=200", 2), ("limit=&status=", 2), ("limit=%201%20", 1)):
        status, body = await get_json(app, f"/api/v1/contexts/{member.context_id}/{route}?{query}", token)
        assert status == 200, (query, body)
        assert len(body["items"]) == count, query


@pytest.mark.parametrize(
    ("before", "message"),
    [("2026-11-29T10:00:00", "time zone"), ("yesterday", "ISO 8601"), ("2026-13-01T00:00:00Z", "ISO 8601")],
)
async def test_captures_before_is_an_instant_with_a_time_zone(
    app: ApiApp, member: Member, before: str, message: str
) -> None:
    status, body = await get_json(
        app, f"/api/v1/contexts/{member.context_id}/captures?before={before}", await token_for(app, member)
    )
    assert status == 400
    assert_error(body, "invalid_parameter")
    assert body["error"]["message"].startswith("'before': ")
    assert message in body["error"]["message"]
    status, body = await get_json(
        app,
        f"/api/v1/contexts/{member.context_id}/captures?before=2026-11-29T15:00:01%2B00:00",
        await token_for(app, member),
    )
    assert status == 200
    assert len(body["items"]) == 2


async def test_a_bad_login_body_names_the_field(app: ApiApp) -> None:
    _, response = await app.asgi_client.post("/api/v1/auth/token", json={"username": "someone"})
    assert response.status == 400
    assert_error(response.json, "bad_request")
    assert response.json["error"]["message"].startswith("'password': ")


async def test_a_non_member_is_refused_before_parameters_are_read(
    app: ApiApp, member: Member, engine: Engine
) -> None:
    """Bad parameters do not tell a stranger anything either: 403 comes first."""
    outsider = new_user(engine)
    _, response = await app.asgi_client.get(
        f"/api/v1/contexts/{member.context_id}/transactions?limit=0",
        headers=bearer(await token_for(app, outsider)),
    )
    assert response.status == 403
    assert_error(response.json, "not_a_member")


async def test_every_docs_page_is_served_without_the_internet(app: ApiApp) -> None:
    """The docs routes sanic-ext adds answer from the box itself (its OAuth2 page would use a CDN)."""
    for path in ("/docs", "/docs/swagger", "/docs/swagger-config", "/docs/oauth2-redirect.html"):
        _, response = await app.asgi_client.get(path)
        assert response.status == 200, path
        assert "cdn" not in response.text.lower(), path
    _, redirect = await app.asgi_client.get("/docs/oauth2-redirect.html")
    assert redirect.headers["content-type"].startswith("text/html")
    assert "oauth2" in redirect.text.lower()
