"""The single box serving remote edges: its Redis on TCP (Redis >= 7) with ACLs and TLS, and its
own edge's origin key. Real redis-server processes and the real ``financy up``."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import psutil
import pytest
import redis
from sqlalchemy import Engine, text

from financy.box.supervisor import box_settings, ensure_box_edge
from financy.runtime.services import EmbeddedRedis, RedisNetwork, ServiceError, running_box_urls
from tests.support.box import running_box
from tests.support.processes import free_port

pytestmark = [pytest.mark.integration]


@pytest.fixture
def network_redis(tmp_path: Path) -> EmbeddedRedis:
    return EmbeddedRedis(tmp_path / "var", network=RedisNetwork(bind="127.0.0.1", port=free_port()))


def test_network_redis_needs_the_password_and_enforces_acl_key_permissions(
    network_redis: EmbeddedRedis,
) -> None:
    """GIVEN the box's Redis on TCP WHEN a client has no password THEN refused; an ACL user gets %W~."""
    url = network_redis.start()
    try:
        password = network_redis.password_file.read_text().strip()
        assert len(password) == 48
        assert stat.S_IMODE(network_redis.password_file.stat().st_mode) == 0o600
        net = network_redis.network
        assert net is not None
        assert url == f"redis://default:{password}@127.0.0.1:{net.port}/0"
        anonymous = redis.Redis(host="127.0.0.1", port=net.port)
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
        anonymous.close()
        admin = redis.Redis.from_url(url)
        assert admin.execute_command("INFO", "server")["redis_version"] >= "7.0"
        admin.execute_command(
            "ACL", "SETUSER", "edge-a", "reset", "on", ">pw-a", "resetchannels", "-@all",
            "+ping", "+xadd", "+xrange", "%W~financy:captures", "~financy:edge:a:*",
        )  # fmt: skip
        admin.execute_command("ACL", "SAVE")
        edge = redis.Redis(host="127.0.0.1", port=net.port, username="edge-a", password="pw-a")
        edge.xadd("financy:captures", {"payload": "{}"})
        with pytest.raises(redis.exceptions.NoPermissionError):
            edge.xrange("financy:captures")
        edge.xadd("financy:edge:a:replies", {"x": "1"})
        with pytest.raises(redis.exceptions.NoPermissionError):
            edge.xadd("financy:edge:b:replies", {"x": "1"})
        edge.close()
        admin.close()
    finally:
        network_redis.stop()


def test_network_redis_keeps_its_data_users_and_password_across_a_restart(
    network_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    """GIVEN entries and a saved ACL user WHEN the server restarts THEN both are there, same password."""
    url = network_redis.start()
    net = network_redis.network
    assert net is not None
    try:
        admin = redis.Redis.from_url(url)
        admin.xadd("financy:captures", {"payload": "{}"})
        admin.execute_command("ACL", "SETUSER", "edge-b", "on", ">pw-b", "+ping")
        admin.execute_command("ACL", "SAVE")
        admin.close()
    finally:
        network_redis.stop()
    again = EmbeddedRedis(tmp_path / "var", network=net)
    assert again.start() == url
    try:
        admin = redis.Redis.from_url(url)
        assert admin.xlen("financy:captures") == 1
        admin.close()
        edge = redis.Redis(host="127.0.0.1", port=net.port, username="edge-b", password="pw-b")
        assert edge.ping() is True
        edge.close()
        # A `financy core --data-dir` command beside the box finds the TCP URL, password included.
        pgdata = tmp_path / "var" / "postgres"
        pgdata.mkdir()
        (pgdata / ".s.PGSQL.5432").touch()
        assert running_box_urls(tmp_path / "var")["FINANCY_REDIS_URL"] == url
    finally:
        again.stop()


def test_network_redis_speaks_tls_when_given_a_certificate(tmp_path: Path) -> None:
    """GIVEN a certificate and key WHEN the box's Redis starts THEN only TLS clients with the password get in."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=box",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    server = EmbeddedRedis(tmp_path / "var", network=RedisNetwork("127.0.0.1", port, cert, key))
    url = server.start()
    try:
        assert url.startswith("rediss://default:")
        assert url.endswith(f":{port}/0?ssl_cert_reqs=none")
        client = redis.Redis.from_url(url)
        assert client.ping() is True
        client.close()
        plain = redis.Redis(host="127.0.0.1", port=port, password=server.password(), socket_timeout=2)
        with pytest.raises((redis.ConnectionError, redis.TimeoutError)):
            plain.ping()
        plain.close()
    finally:
        server.stop()


def test_network_redis_refuses_a_redis_older_than_7(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN only a Redis 6.2 on PATH WHEN the box would serve remote edges THEN a clear refusal."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "redis-server"
    fake.write_text("#!/bin/sh\necho 'Redis server v=6.2.6 sha=00000000:0 malloc=libc bits=64'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    server = EmbeddedRedis(tmp_path / "var", network=RedisNetwork("127.0.0.1", free_port()))
    with pytest.raises(ServiceError, match=r">= 7\.0.*6\.2\.6"):
        server.start()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ServiceError, match=r"redis-server >= 7\.0 on PATH"):
        server.start()


def test_box_settings_come_from_the_given_environment() -> None:
    """GIVEN FINANCY_BOX__* values WHEN read THEN typed; half a TLS pair is refused."""
    settings = box_settings({"FINANCY_BOX__REMOTE_EDGES": "true", "FINANCY_BOX__REDIS_PORT": "7000"})
    assert (settings.remote_edges, settings.redis_bind, settings.redis_port) == (True, "0.0.0.0", 7000)
    assert box_settings({}).remote_edges is False
    with pytest.raises(ValueError, match="go together"):
        box_settings({"FINANCY_BOX__REDIS_TLS_CERT": "/x.pem"})


def test_the_box_edge_row_is_made_once_and_its_key_kept(engine: Engine) -> None:
    """GIVEN no row WHEN the box starts twice THEN one enrolled row, the same origin key both times."""
    edge_id = f"box-{os.urandom(4).hex()}"
    key = ensure_box_edge(engine, edge_id)
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert ensure_box_edge(engine, edge_id) == key
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT origin_key, enrolled_at, redis_user, token_hash FROM edges WHERE id = :i"),
            {"i": edge_id},
        ).one()
        assert (row.origin_key, row.redis_user, row.token_hash) == (key, None, None)
        assert row.enrolled_at is not None
        conn.execute(text("UPDATE edges SET revoked_at = now() WHERE id = :i"), {"i": edge_id})
    with pytest.raises(ValueError, match="revoked"):
        ensure_box_edge(engine, edge_id)
    with pytest.raises(ValueError, match="must match"):
        ensure_box_edge(engine, "no spaces")


@pytest.mark.slow
def test_a_box_serving_remote_edges_runs_its_processes_on_the_tcp_redis_and_signs_its_edge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN FINANCY_BOX__REMOTE_EDGES WHEN the box is up THEN its children use the TCP URL with the
    password and the edge gets the origin key of its enrolled `edges` row."""
    # the box's own Redis and PostgreSQL are under test: running_box_urls reads the embedded ones
    monkeypatch.delenv("FINANCY_TEST_REDIS_URL", raising=False)
    monkeypatch.delenv("FINANCY_TEST_DATABASE_URL", raising=False)
    port = free_port()
    with running_box(tmp_path, FINANCY_BOX__REMOTE_EDGES="true", FINANCY_BOX__REDIS_BIND="127.0.0.1",
                     FINANCY_BOX__REDIS_PORT=str(port), FINANCY_EDGE__ID="home") as box:  # fmt: skip
        password = (box.data_dir / "redis" / "admin.password").read_text().strip()
        url = f"redis://default:{password}@127.0.0.1:{port}/0"
        children = {}
        for proc in psutil.Process(box.proc.pid).children():
            cmd = proc.cmdline()
            children[" ".join(cmd[-2:])] = proc.environ()
        assert children["edge run"]["FINANCY_REDIS_URL"] == url
        assert children["core ingest"]["FINANCY_REDIS_URL"] == url
        key = children["edge run"]["FINANCY_EDGE__ORIGIN_KEY"]
        client = redis.Redis.from_url(url)
        assert client.ping() is True
        client.close()
        urls = running_box_urls(box.data_dir)
        assert urls["FINANCY_REDIS_URL"] == url
        import psycopg

        with psycopg.connect(urls["FINANCY_DATABASE_URL"]) as conn:
            row = conn.execute("SELECT origin_key, enrolled_at FROM edges WHERE id = 'home'").fetchone()
        assert row is not None
        assert row[0] == key
        assert row[1] is not None
