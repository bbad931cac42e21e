"""Account security through the API on real PostgreSQL and Redis: two-factor sign-in, personal API
tokens, login lockouts, password change and reset.

Time is the app's clock (``app.ctx.clock``), moved by the tests: nothing sleeps. Client addresses
are the ASGI peer of an httpx client on the app (documentation ranges, no traffic leaves).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pyotp
import pytest
from redis import Redis
from sqlalchemy import Engine, select, update

from financy.core.adapters import orm
from financy.core.entrypoints.api import ApiApp, create_app
from financy.core.settings import CoreSettings, LoginLimitSettings
from tests.support.api import Member, api_token_for, assert_error, bearer, new_user, token_for

pytestmark = pytest.mark.integration

START = dt.datetime(2026, 12, 2, 12, 0, 0, tzinfo=dt.UTC)


class Clock:
    """The app's clock, moved by hand."""

    def __init__(self, at: dt.datetime = START) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


@pytest.fixture
def clock(app: ApiApp) -> Clock:
    c = Clock()
    app.ctx.clock = c
    return c


@asynccontextmanager
async def from_ip(app: ApiApp, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests reach ``app`` from the socket peer ``ip`` (the app must be started)."""
    await app.asgi_client.get("/healthz")
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://financy.test") as client:
        yield client


async def login(app: ApiApp, member: Member, **extra: Any) -> tuple[int, Any]:
    _, response = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": member.username, "password": member.password, **extra}
    )
    return response.status, response.json


async def turn_on_totp(app: ApiApp, member: Member, clock: Clock) -> tuple[str, list[str]]:
    """Set up two-factor for ``member`` at the clock's time; return the secret and recovery codes."""
    token = await token_for(app, member)
    _, started = await app.asgi_client.post("/api/v1/me/totp", headers=bearer(token))
    assert started.status == 201, started.text
    secret = started.json["secret"]
    code = pyotp.TOTP(secret).at(clock())
    _, confirmed = await app.asgi_client.post(
        "/api/v1/me/totp/confirm", json={"code": code}, headers=bearer(token)
    )
    assert confirmed.status == 200, confirmed.text
    return secret, confirmed.json["recovery_codes"]


# --------------------------------------------------------------------------- two-factor


async def test_totp_set_up_gives_a_secret_uri_and_qr_code(app: ApiApp, engine: Engine, clock: Clock) -> None:
    member = new_user(engine)
    token = await token_for(app, member)
    _, started = await app.asgi_client.post("/api/v1/me/totp", headers=bearer(token))
    assert started.status == 201
    assert started.headers["cache-control"] == "no-store"
    body = started.json
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    parsed = pyotp.parse_uri(body["otpauth_uri"])
    assert parsed.secret == body["secret"]
    assert parsed.issuer == "Financy"
    assert parsed.name == member.username
    assert body["qr_svg"].startswith("<svg")
    assert 'xmlns="http://www.w3.org/2000/svg"' in body["qr_svg"]
    # Until confirmed, login is unchanged.
    status, _ = await login(app, member)
    assert status == 200
    _, state = await app.asgi_client.get("/api/v1/me/totp", headers=bearer(token))
    assert state.json == {"enabled": False, "enabled_at": None, "pending": True, "recovery_codes_left": 0}
    # A wrong first code does not turn it on (one that no step of the window accepts).
    totp = pyotp.TOTP(body["secret"])
    bad = next(
        c
        for c in ("000000", "111111", "222222", "333333")
        if not totp.verify(c, for_time=clock(), valid_window=1)
    )
    _, wrong = await app.asgi_client.post(
        "/api/v1/me/totp/confirm", json={"code": bad}, headers=bearer(token)
    )
    assert wrong.status == 401
    assert_error(wrong.json, "invalid_code")


async def test_login_needs_a_code_once_totp_is_on_and_a_code_works_once(
    app: ApiApp, engine: Engine, clock: Clock
) -> None:
    member = new_user(engine)
    secret, codes = await turn_on_totp(app, member, clock)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", c) for c in codes)

    status, body = await login(app, member)
    assert status == 401
    assert_error(body, "totp_required")
    assert "code" in body["error"]["message"]
    # A wrong password still says only that, even with two-factor on.
    _, wrong_password = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": member.username, "password": "nope-nope-nope"}
    )
    assert wrong_password.status == 401
    assert_error(wrong_password.json, "invalid_credentials")

    clock.move(seconds=60)  # the confirmation's step is used up; two steps later
    code = pyotp.TOTP(secret).at(clock())
    status, body = await login(app, member, code=code)
    assert status == 200, body
    assert "recovery_codes_left" not in body
    # The same code again within its window is a replay.
    clock.move(seconds=5)
    status, body = await login(app, member, code=code)
    assert status == 401
    assert_error(body, "invalid_code")
    # The next step's code works; one drifted a step behind it does not (already passed).
    clock.move(seconds=30)
    status, _ = await login(app, member, code=pyotp.TOTP(secret).at(clock()))
    assert status == 200
    status, _ = await login(app, member, code=pyotp.TOTP(secret).at(clock() - dt.timedelta(seconds=30)))
    assert status == 401


async def test_codes_allow_one_step_of_drift_and_no_more(app: ApiApp, engine: Engine, clock: Clock) -> None:
    member = new_user(engine)
    secret, _ = await turn_on_totp(app, member, clock)
    totp = pyotp.TOTP(secret)
    clock.move(minutes=10)
    status, _ = await login(app, member, code=totp.at(clock() - dt.timedelta(seconds=60)))
    assert status == 401  # two steps behind
    status, _ = await login(app, member, code=totp.at(clock() + dt.timedelta(seconds=30)))
    assert status == 200  # a phone one step ahead
    clock.move(minutes=10)
    status, _ = await login(app, member, code=totp.at(clock() - dt.timedelta(seconds=30)))
    assert status == 200  # a phone one step behind


async def test_a_recovery_code_signs_in_once(app: ApiApp, engine: Engine, clock: Clock) -> None:
    member = new_user(engine)
    _, codes = await turn_on_totp(app, member, clock)
    typed = codes[3].lower().replace("-", " ")  # case and separators do not matter
    status, body = await login(app, member, code=typed)
    assert status == 200, body
    assert body["recovery_codes_left"] == 9
    status, body = await login(app, member, code=codes[3])
    assert status == 401
    assert_error(body, "invalid_code")
    with engine.connect() as conn:
        stored = (
            conn.execute(
                select(orm.recovery_codes.c.code_hash).where(orm.recovery_codes.c.user_id == member.user_id)
            )
            .scalars()
            .all()
        )
        used = (
            conn.execute(
                select(orm.events.c.name).where(
                    orm.events.c.entity_id == member.user_id, orm.events.c.name == "user.recovery_code_used"
                )
            )
            .scalars()
            .all()
        )
    assert len(stored) == 10
    assert not {c.replace("-", "") for c in codes} & set(stored)  # only hashes are kept
    assert used == ["user.recovery_code_used"]


async def test_turning_totp_off_needs_the_password_and_a_code(
    app: ApiApp, engine: Engine, clock: Clock
) -> None:
    member = new_user(engine)
    secret, _ = await turn_on_totp(app, member, clock)
    clock.move(minutes=1)
    status, body = await login(app, member, code=pyotp.TOTP(secret).at(clock()))
    token = body["access_token"]
    clock.move(minutes=1)
    code = pyotp.TOTP(secret).at(clock())
    _, wrong = await app.asgi_client.request(
        "DELETE", "/api/v1/me/totp", json={"password": "wrong-password!", "code": code}, headers=bearer(token)
    )
    assert wrong.status == 403
    assert_error(wrong.json, "wrong_password")
    _, off = await app.asgi_client.request(
        "DELETE", "/api/v1/me/totp", json={"password": member.password, "code": code}, headers=bearer(token)
    )
    assert off.status == 204, off.text
    status, _ = await login(app, member)
    assert status == 200
    _, again = await app.asgi_client.request(
        "DELETE", "/api/v1/me/totp", json={"password": member.password, "code": code}, headers=bearer(token)
    )
    assert again.status == 409
    assert_error(again.json, "totp_not_enabled")
    with engine.connect() as conn:
        names = (
            conn.execute(
                select(orm.events.c.name)
                .where(orm.events.c.entity_id == member.user_id)
                .order_by(orm.events.c.id)
            )
            .scalars()
            .all()
        )
    assert "user.totp_enabled" in names
    assert names[-1] == "user.totp_disabled"


# --------------------------------------------------------------------------- API tokens


async def test_a_read_token_can_get_but_not_post(app: ApiApp, engine: Engine, clock: Clock) -> None:
    member = new_user(engine)
    created = await api_token_for(app, member, ["read"])
    token = created["token"]
    assert token.startswith("fny_")
    assert len(token) > 40
    assert created["prefix"] == token[:12]
    with engine.connect() as conn:
        row = conn.execute(
            select(orm.api_tokens).where(orm.api_tokens.c.id == uuid.UUID(created["id"]))
        ).one()
    assert token not in str(row._mapping)  # only its hash is stored
    _, contexts = await app.asgi_client.get("/api/v1/contexts", headers=bearer(token))
    assert contexts.status == 200
    assert contexts.json["items"][0]["id"] == str(member.context_id)
    _, txs = await app.asgi_client.get(
        f"/api/v1/contexts/{member.context_id}/transactions", headers=bearer(token)
    )
    assert txs.status == 200
    _, link = await app.asgi_client.post("/api/v1/me/link-codes", headers=bearer(token))
    assert link.status == 403
    assert_error(link.json, "insufficient_scope")
    writer = (await api_token_for(app, member, ["write"]))["token"]
    _, link = await app.asgi_client.post("/api/v1/me/link-codes", headers=bearer(writer))
    assert link.status == 201
    # Tokens never manage credentials, whatever their scope.
    admin = (await api_token_for(app, member, ["admin"]))["token"]
    _, minted = await app.asgi_client.post(
        "/api/v1/me/tokens", json={"name": "x", "scopes": ["admin"]}, headers=bearer(admin)
    )
    assert minted.status == 403
    assert_error(minted.json, "session_required")


async def test_tokens_are_listed_without_secrets_and_revoked_at_once(
    app: ApiApp, engine: Engine, clock: Clock
) -> None:
    member = new_user(engine)
    created = await api_token_for(app, member, ["write", "read"], expires_in_days=30)
    assert created["scopes"] == ["read", "write"]
    assert created["expires_at"] == (START + dt.timedelta(days=30)).isoformat()
    token = created["token"]
    session = await token_for(app, member)
    _, listed = await app.asgi_client.get("/api/v1/me/tokens", headers=bearer(session))
    (item,) = listed.json["items"]
    assert item["id"] == created["id"]
    assert item["last_used_at"] is None
    assert item["active"] is True
    assert token not in listed.text
    await app.asgi_client.get("/api/v1/me", headers=bearer(token))
    _, listed = await app.asgi_client.get("/api/v1/me/tokens", headers=bearer(session))
    assert listed.json["items"][0]["last_used_at"] == START.isoformat()

    _, revoked = await app.asgi_client.delete(f"/api/v1/me/tokens/{created['id']}", headers=bearer(session))
    assert revoked.status == 204
    _, after = await app.asgi_client.get("/api/v1/me", headers=bearer(token))
    assert after.status == 401
    assert_error(after.json, "token_revoked")
    _, listed = await app.asgi_client.get("/api/v1/me/tokens", headers=bearer(session))
    assert listed.json["items"][0]["active"] is False
    # Another user's token id is not found, and nothing changes.
    other = new_user(engine)
    theirs = await api_token_for(app, other, ["read"])
    _, foreign = await app.asgi_client.delete(f"/api/v1/me/tokens/{theirs['id']}", headers=bearer(session))
    assert foreign.status == 404
    _, still = await app.asgi_client.get("/api/v1/me", headers=bearer(theirs["token"]))
    assert still.status == 200


async def test_an_expired_or_made_up_token_is_401(app: ApiApp, engine: Engine, clock: Clock) -> None:
    member = new_user(engine)
    token = (await api_token_for(app, member, ["read"], expires_in_days=1))["token"]
    clock.move(hours=23)
    _, ok = await app.asgi_client.get("/api/v1/me", headers=bearer(token))
    assert ok.status == 200
    clock.move(hours=2)
    _, expired = await app.asgi_client.get("/api/v1/me", headers=bearer(token))
    assert expired.status == 401
    assert_error(expired.json, "token_expired")
    _, made_up = await app.asgi_client.get("/api/v1/me", headers=bearer("fny_" + "x" * 43))
    assert made_up.status == 401
    assert_error(made_up.json, "invalid_token")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "ci", "scopes": []}, "scopes"),
        ({"name": "ci", "scopes": ["root"]}, "scopes"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "ci", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
        ({"scopes": ["read"]}, "name"),
    ],
)
async def test_a_bad_token_request_is_400_naming_the_field(
    app: ApiApp, engine: Engine, body: dict[str, Any], field: str
) -> None:
    member = new_user(engine)
    session = await token_for(app, member)
    _, response = await app.asgi_client.post("/api/v1/me/tokens", json=body, headers=bearer(session))
    assert response.status == 400
    assert_error(response.json, "bad_request")
    assert response.json["error"]["message"].startswith(f"'{field}")
    _, listed = await app.asgi_client.get("/api/v1/me/tokens", headers=bearer(session))
    assert listed.json["items"] == []


# --------------------------------------------------------------------------- lockouts


def forget_logins(redis_conn: Redis) -> None:
    """Delete every login failure and lockout key (other tests' failures share the test Redis)."""
    keys = list(redis_conn.scan_iter(match="financy:login:*"))
    if keys:
        redis_conn.delete(*keys)


@pytest.fixture
def limited(settings: CoreSettings, engine: Engine, redis_conn: Redis) -> tuple[ApiApp, Clock]:
    """An app with small limits: 3 failures per (user, IP), 6 per IP; 30 s doubling to 120 s at most."""
    forget_logins(redis_conn)
    limits = LoginLimitSettings(
        max_failures=3, max_ip_failures=6, window_s=600, base_lockout_s=30, max_lockout_s=120
    )
    app = create_app(settings.model_copy(update={"login": limits}), engine=engine, redis=redis_conn)
    clock = Clock()
    app.ctx.clock = clock
    return app, clock


async def _post_login(
    client: httpx.AsyncClient, member: Member, password: str | None = None
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token", json={"username": member.username, "password": password or member.password}
    )


async def test_failures_lock_out_that_ip_only_and_the_lockout_expires(
    limited: tuple[ApiApp, Clock], engine: Engine
) -> None:
    app, clock = limited
    owner = new_user(engine)
    async with from_ip(app, "203.0.113.66") as attacker, from_ip(app, "198.51.100.7") as home:
        for _ in range(3):
            response = await _post_login(attacker, owner, "guess-guess-guess")
            assert response.status_code == 401
        locked = await _post_login(attacker, owner)  # even the right password waits
        assert locked.status_code == 429
        assert_error(locked.json(), "too_many_attempts")
        assert locked.headers["retry-after"] == "30"
        # The owner at home is not held back by the attacker's failures.
        assert (await _post_login(home, owner)).status_code == 200
        clock.move(seconds=29)
        assert (await _post_login(attacker, owner)).headers["retry-after"] == "1"
        clock.move(seconds=2)
        for _ in range(3):
            assert (await _post_login(attacker, owner, "guess-guess-guess")).status_code == 401
        again = await _post_login(attacker, owner)
        assert again.status_code == 429
        assert again.headers["retry-after"] == "60"  # doubled
        for expected in ("120", "120"):  # capped
            clock.move(seconds=int(again.headers["retry-after"]) + 1)
            for _ in range(3):
                failed = await _post_login(attacker, owner, "guess-guess-guess")
                assert failed.status_code == 401, failed.text
            again = await _post_login(attacker, owner)
            assert again.headers["retry-after"] == expected, again.text
        clock.move(seconds=121)
        assert (await _post_login(attacker, owner)).status_code == 200
        _, metrics = await app.asgi_client.get("/metrics")
    text = metrics.text
    assert 'financy_login_lockouts_total{scope="user_ip"} 4.0' in text
    assert re.search(r'financy_login_attempts_total\{outcome="locked"\} [1-9]', text)
    assert 'financy_login_attempts_total{outcome="invalid_credentials"} 12.0' in text


async def test_one_ip_failing_for_many_usernames_is_locked_out_as_an_ip(
    limited: tuple[ApiApp, Clock], engine: Engine
) -> None:
    app, clock = limited
    victims = [new_user(engine) for _ in range(3)]
    async with from_ip(app, "203.0.113.9") as spray, from_ip(app, "198.51.100.8") as other:
        for victim in victims:
            for _ in range(2):
                assert (await _post_login(spray, victim, "Summer2026!!")).status_code == 401
        locked = await _post_login(spray, new_user(engine))
        assert locked.status_code == 429
        assert (await _post_login(other, victims[0])).status_code == 200
        clock.move(seconds=31)
        assert (await _post_login(spray, victims[1])).status_code == 200


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    settings: CoreSettings, engine: Engine, redis_conn: Redis
) -> None:
    forget_logins(redis_conn)
    limits = LoginLimitSettings(max_failures=2, base_lockout_s=30)
    member = new_user(engine)

    def make(trusted: list[str]) -> ApiApp:
        app = create_app(
            settings.model_copy(update={"login": limits, "trusted_proxies": trusted}),
            engine=engine,
            redis=redis_conn,
        )
        app.ctx.clock = Clock()
        return app

    direct = make([])
    async with from_ip(direct, "192.0.2.10") as client:
        for fake in ("203.0.113.1", "203.0.113.2"):
            response = await client.post(
                "/api/v1/auth/token",
                json={"username": member.username, "password": "wrong-wrong-wrong"},
                headers={"X-Forwarded-For": fake},
            )
            assert response.status_code == 401
        # Rotating X-Forwarded-For does not escape: the socket's peer is the client.
        response = await client.post(
            "/api/v1/auth/token",
            json={"username": member.username, "password": member.password},
            headers={"X-Forwarded-For": "203.0.113.3"},
        )
        assert response.status_code == 429
    proxied = make(["192.0.2.0/24"])
    async with from_ip(proxied, "192.0.2.10") as proxy:
        # Behind the trusted proxy each client is its own address (this one has no failures).
        response = await proxy.post(
            "/api/v1/auth/token",
            json={"username": member.username, "password": member.password},
            headers={"X-Forwarded-For": "198.51.100.20, 192.0.2.11"},
        )
        assert response.status_code == 200


# --------------------------------------------------------------------------- passwords


async def test_changing_the_password_ends_other_sessions(app: ApiApp, engine: Engine, clock: Clock) -> None:
    member = new_user(engine)
    phone = await token_for(app, member)
    laptop = await token_for(app, member)
    _, weak = await app.asgi_client.post(
        "/api/v1/me/password", json={"current": member.password, "new": "short"}, headers=bearer(laptop)
    )
    assert weak.status == 400
    assert_error(weak.json, "weak_password")
    _, same_as_name = await app.asgi_client.post(
        "/api/v1/me/password",
        json={"current": member.password, "new": member.username.upper()},
        headers=bearer(laptop),
    )
    assert same_as_name.status == 400
    assert "username" in same_as_name.json["error"]["message"]
    _, wrong = await app.asgi_client.post(
        "/api/v1/me/password",
        json={"current": "not-my-password", "new": "a much longer one"},
        headers=bearer(laptop),
    )
    assert wrong.status == 403
    assert_error(wrong.json, "wrong_password")
    _, still = await app.asgi_client.get("/api/v1/me", headers=bearer(phone))
    assert still.status == 200  # nothing changed yet

    _, changed = await app.asgi_client.post(
        "/api/v1/me/password",
        json={"current": member.password, "new": "correct horse battery"},
        headers=bearer(laptop),
    )
    assert changed.status == 200, changed.text
    fresh = changed.json["access_token"]
    for ended in (phone, laptop):
        _, response = await app.asgi_client.get("/api/v1/me", headers=bearer(ended))
        assert response.status == 401
        assert_error(response.json, "session_ended")
    _, me = await app.asgi_client.get("/api/v1/me", headers=bearer(fresh))
    assert me.status == 200
    status, _ = await login(app, member)
    assert status == 401
    _, new_login = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": member.username, "password": "correct horse battery"}
    )
    assert new_login.status == 200
    with engine.connect() as conn:
        names = (
            conn.execute(select(orm.events.c.name).where(orm.events.c.entity_id == member.user_id))
            .scalars()
            .all()
        )
    assert names.count("user.password_changed") == 1


async def test_an_admin_reset_token_sets_a_new_password_once_and_ends_everything(
    app: ApiApp, engine: Engine, clock: Clock
) -> None:
    member, admin = new_user(engine), new_user(engine)
    with engine.begin() as conn:
        conn.execute(update(orm.users).where(orm.users.c.id == admin.user_id).values(is_admin=True))
    session = await token_for(app, member)
    api_token = (await api_token_for(app, member, ["read"]))["token"]
    _, issued = await app.asgi_client.post(
        f"/api/v1/users/{member.user_id}/password-reset", headers=bearer(await token_for(app, admin))
    )
    assert issued.status == 201
    reset = issued.json["token"]
    assert issued.json["expires_at"] == (START + dt.timedelta(hours=24)).isoformat()

    _, made_up = await app.asgi_client.post(
        "/api/v1/password-reset", json={"token": "x" * 43, "new": "brand new password"}
    )
    assert made_up.status == 400
    assert_error(made_up.json, "invalid_reset_token")
    _, weak = await app.asgi_client.post("/api/v1/password-reset", json={"token": reset, "new": "short"})
    assert weak.status == 400
    assert_error(weak.json, "weak_password")  # and the token is not used up:
    _, redeemed = await app.asgi_client.post(
        "/api/v1/password-reset", json={"token": reset, "new": "brand new password"}
    )
    assert redeemed.status == 204, redeemed.text
    _, twice = await app.asgi_client.post(
        "/api/v1/password-reset", json={"token": reset, "new": "another new password"}
    )
    assert twice.status == 400
    assert_error(twice.json, "invalid_reset_token")
    for old, code in ((session, "session_ended"), (api_token, "token_revoked")):
        _, response = await app.asgi_client.get("/api/v1/me", headers=bearer(old))
        assert response.status == 401
        assert_error(response.json, code)
    _, new_login = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": member.username, "password": "brand new password"}
    )
    assert new_login.status == 200


async def test_a_reset_token_expires(app: ApiApp, engine: Engine, clock: Clock) -> None:
    member, admin = new_user(engine), new_user(engine)
    with engine.begin() as conn:
        conn.execute(update(orm.users).where(orm.users.c.id == admin.user_id).values(is_admin=True))
    _, issued = await app.asgi_client.post(
        f"/api/v1/users/{member.user_id}/password-reset", headers=bearer(await token_for(app, admin))
    )
    clock.move(hours=24, seconds=1)
    _, late = await app.asgi_client.post(
        "/api/v1/password-reset", json={"token": issued.json["token"], "new": "brand new password"}
    )
    assert late.status == 400
    assert_error(late.json, "invalid_reset_token")
    status, _ = await login(app, member)
    assert status == 200


async def test_an_instance_admin_creates_a_family_members_login(app: ApiApp, engine: Engine) -> None:
    """GIVEN an instance admin WHEN they create a user THEN that user signs in and has a personal
    ledger; a plain user is refused, and a weak password or a taken username changes nothing."""
    admin, plain = new_user(engine), new_user(engine)
    with engine.begin() as conn:
        conn.execute(update(orm.users).where(orm.users.c.id == admin.user_id).values(is_admin=True))
    name = f"bruno{uuid.uuid4().hex[:6]}"
    body = {"username": f" {name.upper()} ", "password": "a long family secret", "locale": "en"}
    _, refused = await app.asgi_client.post(
        "/api/v1/users", json=body, headers=bearer(await token_for(app, plain))
    )
    assert refused.status == 403
    assert_error(refused.json, "forbidden")
    token = await token_for(app, admin)
    _, weak = await app.asgi_client.post(
        "/api/v1/users", json={**body, "password": "short"}, headers=bearer(token)
    )
    assert weak.status == 400
    assert_error(weak.json, "weak_password")
    _, made = await app.asgi_client.post("/api/v1/users", json=body, headers=bearer(token))
    assert made.status == 201, made.text
    assert made.json["username"] == name
    _, again = await app.asgi_client.post("/api/v1/users", json=body, headers=bearer(token))
    assert again.status == 400
    with engine.connect() as conn:
        rows = conn.execute(select(orm.users.c.id).where(orm.users.c.username == name)).all()
        contexts = conn.execute(
            select(orm.contexts.c.type, orm.members.c.role)
            .join(orm.members, orm.members.c.context_id == orm.contexts.c.id)
            .where(orm.members.c.user_id == uuid.UUID(made.json["id"]))
        ).all()
    assert [str(r.id) for r in rows] == [made.json["id"]]
    assert [(c.type, c.role) for c in contexts] == [("personal", "owner")]
    _, signed_in = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": name, "password": "a long family secret"}
    )
    assert signed_in.status == 200, signed_in.text
