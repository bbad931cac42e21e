"""The core HTTP API, users and the dashboard on real PostgreSQL and Redis.

Transactions are recorded the way production records them: captures from a dev chat identity
linked to a login user go through the message bus, as the ingest consumer sends them. Each test
builds its own app (one app per test client: see STACK.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from redis import Redis
from sqlalchemy import Engine, create_engine, insert, select, update

from financy.core.adapters import orm
from financy.core.adapters.passwords import needs_rehash
from financy.core.contracts.v1 import Intent
from financy.core.entrypoints.api import ApiApp, create_app, issue_token
from financy.core.service.users import ensure_admin
from financy.core.settings import CoreSettings, sqlalchemy_url
from financy.runtime.ids import uuid7
from tests.support.api import (
    JWT_SECRET,
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

REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- fixtures and helpers


# --------------------------------------------------------------------------- tokens


async def test_token_is_issued_for_the_right_password(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    _, response = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": member.username.upper(), "password": member.password}
    )
    assert response.status == 200
    body = response.json
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 600
    assert response.headers["cache-control"] == "no-store"
    claims = jwt.decode(body["access_token"], JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(member.user_id)
    assert claims["exp"] - claims["iat"] == 600
    assert abs(claims["iat"] - time.time()) < 60


async def test_token_accepts_a_form(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    _, response = await app.asgi_client.post(
        "/api/v1/auth/token",
        data={"username": member.username, "password": member.password, "grant_type": "password"},
    )
    assert response.status == 200, response.text
    assert response.json["token_type"] == "bearer"


async def test_wrong_password_and_unknown_user_get_the_same_401(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    _, wrong = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": member.username, "password": member.password + "x"}
    )
    _, unknown = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": "nobody-" + member.username, "password": member.password}
    )
    _, malformed = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": "not a username!", "password": member.password}
    )
    for response in (wrong, unknown, malformed):
        assert response.status == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert_error(response.json, "invalid_credentials")
    assert wrong.json == unknown.json == malformed.json


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"username": "someone"}},
        {"json": {"username": "someone", "password": 12345678}},
        {"json": ["someone", "password"]},
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        {"data": {"username": "someone"}},
        {"content": b"garbage", "headers": {"content-type": "multipart/form-data"}},
    ],
    ids=[
        "missing-password",
        "password-not-string",
        "not-an-object",
        "bad-json",
        "form-missing-password",
        "multipart-without-boundary",
    ],
)
async def test_token_request_without_credentials_is_400(app: ApiApp, kwargs: dict[str, Any]) -> None:
    _, response = await app.asgi_client.post("/api/v1/auth/token", **kwargs)
    assert response.status == 400
    assert_error(response.json, "bad_request")


async def test_expired_token_is_rejected(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    stale = issue_token(member.user_id, JWT_SECRET, 60, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    status, body = await get_json(app, "/api/v1/contexts", stale)
    assert status == 401
    assert_error(body, "token_expired")


def _tamper_payload(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


async def test_tampered_tokens_are_rejected(app: ApiApp, engine: Engine) -> None:
    member, other = new_user(engine), new_user(engine)
    good = await token_for(app, member)
    now = dt.datetime.now(dt.UTC)
    forged = [
        _tamper_payload(good, sub=str(other.user_id)),
        _tamper_payload(good, exp=int(time.time()) + 10 * 365 * 86400),
        issue_token(member.user_id, "another-key-" + "x" * 40, 600),
        jwt.encode(
            {"sub": str(member.user_id), "iat": now, "exp": now + dt.timedelta(minutes=5)}, None, "none"
        ),
        jwt.encode({"sub": str(member.user_id), "exp": now + dt.timedelta(minutes=5)}, JWT_SECRET, "HS256"),
        jwt.encode(
            {"sub": "not-a-uuid", "iat": now, "exp": now + dt.timedelta(minutes=5)}, JWT_SECRET, "HS256"
        ),
        good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "garbage",
    ]
    for token in forged:
        status, body = await get_json(app, "/api/v1/contexts", token)
        assert status == 401, token
        assert_error(body, "invalid_token")
    status, _ = await get_json(app, "/api/v1/contexts", good)
    assert status == 200


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"])
async def test_requests_without_a_bearer_token_are_401(app: ApiApp, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    _, response = await app.asgi_client.get("/api/v1/contexts", headers=headers)
    assert response.status == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert_error(response.json, "unauthorized")


async def test_login_upgrades_an_old_password_hash(app: ApiApp, engine: Engine) -> None:
    """GIVEN a hash made with cheaper parameters WHEN the user logs in THEN it is rehashed."""
    member = new_user(engine)
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(member.password)
    with engine.begin() as conn:
        conn.execute(update(orm.users).where(orm.users.c.id == member.user_id).values(password_hash=old))
    await token_for(app, member)
    with engine.connect() as conn:
        stored = conn.execute(
            select(orm.users.c.password_hash).where(orm.users.c.id == member.user_id)
        ).scalar_one()
    assert stored != old
    assert not needs_rehash(stored)
    await token_for(app, member)


async def test_me_returns_the_signed_in_user(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    status, body = await get_json(app, "/api/v1/me", await token_for(app, member))
    assert status == 200
    assert body == {
        "id": str(member.user_id),
        "username": member.username,
        "display_name": f"User {member.username.removeprefix('user')}",
        "locale": "pt-BR",
        "is_admin": False,
    }


# --------------------------------------------------------------------------- contexts


async def test_contexts_lists_memberships_with_roles(app: ApiApp, engine: Engine) -> None:
    member, stranger = new_user(engine), new_user(engine, locale="en", currency="EUR")
    family_id = uuid7()
    with engine.begin() as conn:
        conn.execute(
            insert(orm.contexts).values(
                id=family_id,
                name="Casa Silva",
                type="family",
                base_currency="BRL",
                time_zone="America/Sao_Paulo",
                locale="pt-BR",
                created_by=stranger.user_id,
            )
        )
        conn.execute(
            insert(orm.members).values(
                [
                    {"context_id": family_id, "user_id": stranger.user_id, "role": "owner"},
                    {"context_id": family_id, "user_id": member.user_id, "role": "editor"},
                ]
            )
        )
    status, body = await get_json(app, "/api/v1/contexts", await token_for(app, member))
    assert status == 200
    assert body["items"] == [
        {
            "id": str(member.context_id),
            "name": f"User {member.username.removeprefix('user')}",
            "type": "personal",
            "base_currency": "BRL",
            "time_zone": "America/Sao_Paulo",
            "locale": "pt-BR",
            "role": "owner",
            "archived": False,
        },
        {
            "id": str(family_id),
            "name": "Casa Silva",
            "type": "family",
            "base_currency": "BRL",
            "time_zone": "America/Sao_Paulo",
            "locale": "pt-BR",
            "role": "editor",
            "archived": False,
        },
    ]
    status, body = await get_json(app, "/api/v1/contexts", await token_for(app, stranger))
    assert [c["id"] for c in body["items"]] == [str(stranger.context_id), str(family_id)]
    assert body["items"][0]["base_currency"] == "EUR"


# --------------------------------------------------------------------------- transactions


@pytest.fixture
def ledger(engine: Engine) -> Member:
    """A user with four transactions from chat (one of them undone) in their personal context."""
    member = new_user(engine)
    chat(engine, member, spend("45.90", dt.date(2026, 10, 5)))
    chat(engine, member, spend("30", dt.date(2026, 10, 20), "restaurants", "Padaria São João"))
    chat(engine, member, spend("12.5", dt.date(2026, 11, 2)))
    chat(engine, member, spend("23", dt.date(2026, 11, 15), "transport", "uber"))
    undone = chat(engine, member, intent=Intent.UNDO)
    assert undone.transactions[0].amount == Decimal("23")
    return member


async def test_chat_messages_of_a_linked_identity_land_in_the_users_ledger(
    app: ApiApp, ledger: Member
) -> None:
    status, body = await get_json(
        app, f"/api/v1/contexts/{ledger.context_id}/transactions", await token_for(app, ledger)
    )
    assert status == 200
    assert body["next_cursor"] is None
    assert [(t["occurred_on"], t["amount"], t["currency"], t["status"]) for t in body["items"]] == [
        ("2026-11-15", "23.00", "BRL", "reversed"),
        ("2026-11-02", "12.50", "BRL", "recorded"),
        ("2026-10-20", "30.00", "BRL", "recorded"),
        ("2026-10-05", "45.90", "BRL", "recorded"),
    ]
    first = body["items"][2]
    assert first["merchant"] == "Padaria São João"
    assert first["category"] == "restaurants"
    assert first["category_name"] == "Alimentação"
    assert first["kind"] == "expense"
    assert first["source_channel"] == "devchat"
    assert first["author_id"] == str(ledger.user_id)
    assert all(isinstance(t["amount"], str) for t in body["items"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from=2026-10-15&to=2026-11-10", ["12.50", "30.00"]),
        ("from=2026-11-02", ["23.00", "12.50"]),
        ("to=2026-10-05", ["45.90"]),
        ("from=2026-10-20&to=2026-10-20", ["30.00"]),
        ("category=groceries", ["12.50", "45.90"]),
        ("category=health", []),
        ("status=reversed", ["23.00"]),
        ("status=recorded", ["12.50", "30.00", "45.90"]),
        ("status=recorded&category=groceries&from=2026-11-01", ["12.50"]),
        ("from=&to=&category=", ["23.00", "12.50", "30.00", "45.90"]),
    ],
)
async def test_transactions_filters(app: ApiApp, ledger: Member, query: str, expected: list[str]) -> None:
    status, body = await get_json(
        app, f"/api/v1/contexts/{ledger.context_id}/transactions?{query}", await token_for(app, ledger)
    )
    assert status == 200, body
    assert [t["amount"] for t in body["items"]] == expected


async def test_cursor_pages_cover_every_transaction_once_newest_first(app: ApiApp, engine: Engine) -> None:
    """GIVEN 8 transactions, three on one day WHEN paged 3 at a time THEN 3+3+2, in key order."""
    member = new_user(engine)
    days = [dt.date(2026, 9, d) for d in (1, 3, 3, 3, 7, 9, 12, 30)]
    for i, day in enumerate(days):
        chat(engine, member, spend(f"{i + 1}.25", day))
    # Two transactions in one message share a capture and a day (at another shop: 100 after eight
    # amounts of 1.25 to 8.25 at "mercado" would be asked about as unusual, not recorded).
    sep3 = dt.date(2026, 9, 3)
    chat(engine, member, spend("100", sep3, "shopping", "loja"), spend("200", sep3, "shopping", "loja"))
    with engine.connect() as conn:
        expected = [
            str(i)
            for i in conn.execute(
                select(orm.transactions.c.id)
                .where(orm.transactions.c.context_id == member.context_id)
                .order_by(orm.transactions.c.occurred_on.desc(), orm.transactions.c.id.desc())
            ).scalars()
        ]
    assert len(expected) == 10
    token = await token_for(app, member)
    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    for _ in range(10):
        path = f"/api/v1/contexts/{member.context_id}/transactions?limit=3"
        if cursor:
            path += f"&cursor={cursor}"
        status, body = await get_json(app, path, token)
        assert status == 200, body
        seen += [t["id"] for t in body["items"]]
        sizes.append(len(body["items"]))
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert sizes == [3, 3, 3, 1]
    assert seen == expected
    # A page that ends exactly at the last row says so: no empty extra page.
    status, body = await get_json(app, f"/api/v1/contexts/{member.context_id}/transactions?limit=10", token)
    assert len(body["items"]) == 10
    assert body["next_cursor"] is None


async def test_cursor_keeps_filters_apart_from_paging(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    for day in (1, 2, 3, 4, 5):
        chat(engine, member, spend("10", dt.date(2026, 8, day)))
        chat(engine, member, spend("99", dt.date(2026, 8, day), "fuel", "posto"))
    token = await token_for(app, member)
    base = f"/api/v1/contexts/{member.context_id}/transactions?category=fuel&limit=2"
    _, first = await get_json(app, base, token)
    _, second = await get_json(app, f"{base}&cursor={first['next_cursor']}", token)
    _, third = await get_json(app, f"{base}&cursor={second['next_cursor']}", token)
    days = [t["occurred_on"] for page in (first, second, third) for t in page["items"]]
    assert days == [f"2026-08-0{d}" for d in (5, 4, 3, 2, 1)]
    assert {t["category"] for page in (first, second, third) for t in page["items"]} == {"fuel"}
    assert third["next_cursor"] is None


async def test_non_member_gets_403(app: ApiApp, ledger: Member, engine: Engine) -> None:
    outsider = new_user(engine)
    token = await token_for(app, outsider)
    for context_id in (ledger.context_id, uuid.uuid4()):
        status, body = await get_json(app, f"/api/v1/contexts/{context_id}/transactions", token)
        assert status == 403
        assert_error(body, "not_a_member")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("from=2026-13-01", "from"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("to=29/11/2026", "to"),
        ("from=2026-11-10&to=2026-11-01", "from"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-5", "limit"),
        ("limit=ten", "limit"),
        ("limit=1.5", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b"2026-01-01|nope").decode(), "cursor"),
        ("status=deleted", "status"),
        ("category=Groceries", "category"),
    ],
)
async def test_bad_parameters_are_400_naming_the_parameter(
    app: ApiApp, ledger: Member, query: str, name: str
) -> None:
    status, body = await get_json(
        app, f"/api/v1/contexts/{ledger.context_id}/transactions?{query}", await token_for(app, ledger)
    )
    assert status == 400
    assert_error(body, "invalid_parameter")
    assert f"'{name}'" in body["error"]["message"]


async def test_limit_bounds_are_accepted(app: ApiApp, ledger: Member) -> None:
    token = await token_for(app, ledger)
    for limit, count in (("1", 1), ("200", 4)):
        status, body = await get_json(
            app, f"/api/v1/contexts/{ledger.context_id}/transactions?limit={limit}", token
        )
        assert status == 200
        assert len(body["items"]) == count


# --------------------------------------------------------------------------- operations


async def test_healthz(app: ApiApp) -> None:
    _, response = await app.asgi_client.get("/healthz")
    assert response.status == 200
    assert response.json == {"status": "ok"}


async def test_readyz_ok(app: ApiApp) -> None:
    _, response = await app.asgi_client.get("/readyz")
    assert response.status == 200
    assert response.json == {"database": "ok", "redis": "ok"}


def _closed_unix_socket(path: Path) -> Path:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()  # the file stays; nothing listens on it any more
    return path


async def test_readyz_503_when_redis_is_down(settings: CoreSettings, engine: Engine, tmp_path: Path) -> None:
    dead = Redis.from_url(f"unix://{_closed_unix_socket(tmp_path / 'redis.sock')}")
    app = create_app(settings, engine=engine, redis=dead)
    _, response = await app.asgi_client.get("/readyz")
    assert response.status == 503
    assert response.json["database"] == "ok"
    assert response.json["redis"] == "unavailable"
    assert_error(response.json, "not_ready")
    assert "redis" in response.json["error"]["message"]
    _, health = await app.asgi_client.get("/healthz")
    assert health.status == 200
    dead.close()


async def test_readyz_503_when_database_is_down(
    settings: CoreSettings, redis_conn: Redis, tmp_path: Path
) -> None:
    dead = create_engine(sqlalchemy_url(f"postgresql://postgres@/postgres?host={tmp_path}"))
    app = create_app(settings, engine=dead, redis=redis_conn)
    _, response = await app.asgi_client.get("/readyz")
    assert response.status == 503
    assert response.json["database"] == "unavailable"
    assert response.json["redis"] == "ok"
    dead.dispose()


async def test_metrics_count_requests_by_route(app: ApiApp, ledger: Member) -> None:
    token = await token_for(app, ledger)
    for _ in range(2):
        await app.asgi_client.get("/healthz")
    await app.asgi_client.get(f"/api/v1/contexts/{ledger.context_id}/transactions", headers=bearer(token))
    await app.asgi_client.get("/api/v1/contexts")
    _, response = await app.asgi_client.get("/metrics")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'financy_http_requests_total{method="GET",route="/healthz",status="200"} 2.0' in text
    assert 'financy_http_requests_total{method="POST",route="/api/v1/auth/token",status="200"} 1.0' in text
    assert 'financy_http_requests_total{method="GET",route="/api/v1/contexts",status="401"} 1.0' in text
    assert (
        'financy_http_requests_total{method="GET",'
        'route="/api/v1/contexts/<context_id:uuid>/transactions",status="200"} 1.0'
    ) in text
    assert 'financy_http_request_duration_seconds_count{method="GET",route="/healthz"} 2.0' in text
    assert "financy_http_request_duration_seconds_bucket{" in text


async def test_metrics_are_per_app(settings: CoreSettings, engine: Engine, redis_conn: Redis) -> None:
    """Two apps in one process keep their own registries (no duplicate-metric error, no sharing)."""
    first = create_app(settings, engine=engine, redis=redis_conn)
    second = create_app(settings, engine=engine, redis=redis_conn)
    assert first.name != second.name
    await first.asgi_client.get("/healthz")
    _, response = await second.asgi_client.get("/metrics")
    assert 'route="/healthz"' not in response.text


async def test_errors_are_json_everywhere(app: ApiApp) -> None:
    _, missing = await app.asgi_client.get("/no/such/page")
    assert missing.status == 404
    assert_error(missing.json, "not_found")
    _, wrong_method = await app.asgi_client.delete("/api/v1/contexts")
    assert wrong_method.status == 405
    assert_error(wrong_method.json, "method_not_allowed")
    _, bad_uuid = await app.asgi_client.get("/api/v1/contexts/not-a-uuid/transactions")
    assert bad_uuid.status == 404
    assert_error(bad_uuid.json, "not_found")


async def test_openapi_documents_the_routes(app: ApiApp) -> None:
    _, response = await app.asgi_client.get("/docs/openapi.json")
    assert response.status == 200
    spec = response.json
    paths = spec["paths"]
    for path in (
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/contexts",
        "/api/v1/contexts/{context_id}/transactions",
    ):
        assert path in paths, path
    assert "/" not in paths
    listing = paths["/api/v1/contexts/{context_id}/transactions"]["get"]
    assert listing["security"] == [{"bearer": []}]
    assert {p["name"] for p in listing["parameters"]} >= {
        "context_id",
        "from",
        "to",
        "category",
        "status",
        "limit",
        "cursor",
    }
    assert "post" in paths["/api/v1/auth/token"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    _, ui = await app.asgi_client.get("/docs")
    assert ui.status == 200
    assert ui.headers["content-type"].startswith("text/html")


async def test_dashboard_is_served_as_html_with_a_strict_csp(app: ApiApp) -> None:
    _, response = await app.asgi_client.get("/")
    assert response.status == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert "<title>Financy</title>" in page
    assert "/api/v1/auth/token" in page
    assert "sessionStorage" in page
    assert "next_cursor" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    csp = response.headers["content-security-policy"]
    (script,) = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp
    assert "connect-src 'self'" in csp


# --------------------------------------------------------------------------- users


async def test_admin_password_logs_in_through_the_api(app: ApiApp, engine: Engine) -> None:
    name = f"admin{uuid.uuid4().hex[:8]}"
    password = ensure_admin(engine, username=name, devchat_user_id=name)
    assert password is not None
    _, response = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": name, "password": password}
    )
    assert response.status == 200
    status, body = await get_json(app, "/api/v1/me", response.json["access_token"])
    assert status == 200
    assert body["is_admin"] is True


# --------------------------------------------------------------------------- the real server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_core_api_process_serves_and_stops_cleanly(
    database_url: str, redis_url: str, tmp_path: Path, engine: Engine, stop_signal: signal.Signals
) -> None:
    member = new_user(engine)
    port = _free_port()
    env = {
        **os.environ,
        "FINANCY_DATABASE_URL": database_url,
        "FINANCY_REDIS_URL": redis_url,
        "FINANCY_PORT": str(port),
        "FINANCY_JWT_SECRET": JWT_SECRET,
        "FINANCY_DATA_DIR": str(tmp_path),
        "FINANCY_LOG_JSON": "true",
    }
    stderr_path = tmp_path / "api.stderr"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "financy.cli", "core", "api"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            ready = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    ready = httpx.get(f"{base}/readyz", timeout=2)
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            assert ready is not None, stderr_path.read_text()
            assert ready.status_code == 200, stderr_path.read_text()
            assert ready.json() == {"database": "ok", "redis": "ok"}
            token = httpx.post(
                f"{base}/api/v1/auth/token", data={"username": member.username, "password": member.password}
            ).json()["access_token"]
            contexts = httpx.get(f"{base}/api/v1/contexts", headers=bearer(token))
            assert contexts.status_code == 200
            assert contexts.json()["items"][0]["id"] == str(member.context_id)
            assert httpx.get(f"{base}/").headers["content-type"] == "text/html; charset=utf-8"
            proc.send_signal(stop_signal)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    lines = [json.loads(line) for line in stderr_path.read_text().splitlines() if line.startswith("{")]
    assert any(line.get("event") == "api.stopped" and line.get("service") == "core-api" for line in lines)


def test_core_migrate_process_is_idempotent(database_url: str, tmp_path: Path) -> None:
    """``financy core migrate`` on an up-to-date database changes nothing and exits 0."""
    env = {**os.environ, "FINANCY_DATABASE_URL": database_url, "FINANCY_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "financy.cli", "core", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def test_api_docs_load_nothing_from_the_internet(app: ApiApp) -> None:
    """The Swagger UI page and its assets are served by the box itself (it may run offline)."""
    _, page = await app.asgi_client.get("/docs/swagger")
    assert page.status == 200
    assert "cdn" not in page.text.lower()
    assert "http://" not in page.text
    assert "https://" not in page.text
    for asset in re.findall(r'(?:src|href)="(/static/swagger-ui/[^"]+)"', page.text):
        _, response = await app.asgi_client.get(asset)
        assert response.status == 200, asset
        assert len(response.body) > 1000
