"""``financy edge enroll`` and an enrolled ``financy edge run``, as real subprocesses.

A stand-in core (``http.server`` in a thread) answers ``POST /api/v1/edges/enroll`` exactly as
the fleet contract says and makes a real Redis 7 ACL user per edge with the contract's ACL line.
Redis 7 is a ``redis-server`` 7 started for this module (``/usr/bin/redis-server``), or the
server ``FINANCY_TEST_REDIS7_URL`` names (e.g. the machine's ``redis://127.0.0.1:6379/13``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import secrets
import shutil
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import redis

from financy.edge.envfile import parse_env
from financy.edge.workers import workers_key
from financy.runtime.services import EmbeddedRedis
from tests.support.processes import financy_env, free_port, stop, wait_http

ACL_RULES = (
    "reset on >{password} resetchannels -@all "
    "+ping +hello +auth +client|setname +client|id +select +info +xadd "
    "+xreadgroup +xack +xgroup|create +xgroup|createconsumer +xautoclaim +xclaim +xpending "
    "+xrange +xrevrange +xlen +xinfo|stream +xinfo|groups "
    "%W~financy:captures ~financy:edge:{id}:*"
)
REFUSED = "enrolment token unknown, used or expired"


@dataclass
class Redis7:
    """A Redis 7 server: ``host``, ``port``, ``db`` and an admin client (the core's own user)."""

    host: str
    port: int
    db: int
    admin: redis.Redis


@pytest.fixture(scope="module")
def redis7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis7]:
    """Yield a Redis 7 server (external via FINANCY_TEST_REDIS7_URL, else one started here)."""
    external = os.environ.get("FINANCY_TEST_REDIS7_URL")
    proc: subprocess.Popen[bytes] | None = None
    if external:
        parts = urlsplit(external)
        host, port, db = parts.hostname or "127.0.0.1", parts.port or 6379, int(parts.path.strip("/") or 0)
    else:
        binary = shutil.which("redis-server", path="/usr/bin:/usr/local/bin") or "redis-server"
        directory = tmp_path_factory.mktemp("redis7")
        host, port, db = "127.0.0.1", free_port(), 0
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                host,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
            stdout=(directory / "redis.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
    admin = redis.Redis(host=host, port=port, db=db, socket_timeout=5)
    deadline = time.monotonic() + 15
    while True:
        try:
            admin.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or (proc is not None and proc.poll() is not None):
                raise
            time.sleep(0.05)
    version = str(admin.info("server")["redis_version"])
    assert int(version.split(".", maxsplit=1)[0]) >= 7, (
        f"these tests need Redis 7 (ACL key permissions), got {version}"
    )
    try:
        yield Redis7(host, port, db, admin)
    finally:
        admin.close()
        if proc is not None:
            proc.terminate()
            proc.wait(10)


@dataclass
class StandInCore:
    """Answers the enrolment contract; ``tokens`` maps one-time tokens to edge ids."""

    redis7: Redis7
    tokens: dict[str, str] = field(default_factory=dict)
    accepts: frozenset[int] = frozenset({1})
    unavailable: bool = False
    not_json: bool = False
    s3: dict[str, Any] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None
    scheme: str = "http"

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def add_edge(self, edge_id: str) -> str:
        token = "fen1_" + secrets.token_urlsafe(24)  # as the core's: never starts with '-' (an option)
        self.tokens[token] = edge_id
        return token

    def answer(self, path: str, body: bytes) -> tuple[int, str, bytes]:
        if path != "/api/v1/edges/enroll":
            return 404, "application/json", b'{"error": "not found"}'
        if self.not_json:
            return 200, "text/html", b"<html><body>Welcome to nginx!</body></html>"
        try:
            request = json.loads(body)
            token = request["token"]
            versions = [int(v) for v in request["contract_versions"]]
            assert isinstance(request["software_version"], str)
        except (ValueError, KeyError, TypeError, AssertionError):
            return 422, "application/json", b'{"error": "bad body"}'
        self.requests.append(request)
        if self.unavailable:
            return (
                503,
                "application/json",
                b'{"error": "the core cannot make edge credentials (Redis < 7.0)"}',
            )
        edge_id = self.tokens.get(token)
        if edge_id is None:
            return 401, "application/json", json.dumps({"error": REFUSED}).encode()
        if not self.accepts.intersection(versions):
            return (
                409,
                "application/json",
                json.dumps({"error": f"core reads {sorted(self.accepts)}"}).encode(),
            )
        del self.tokens[token]
        password = secrets.token_hex(16)
        user = f"edge-{edge_id}"
        self.redis7.admin.execute_command(
            "ACL", "SETUSER", user, *ACL_RULES.format(password=password, id=edge_id).split()
        )
        self.passwords[edge_id] = password
        r7 = self.redis7
        answer = {
            "edge_id": edge_id,
            "redis_url": f"redis://{user}:{password}@{r7.host}:{r7.port}/{r7.db}",
            "origin_key": secrets.token_hex(32),
            "s3": self.s3,
            "core_url": self.url,
        }
        return 200, "application/json", json.dumps(answer).encode()


@contextlib.contextmanager
def stand_in_core(redis7: Redis7, tls: ssl.SSLContext | None = None) -> Iterator[StandInCore]:
    """Run a stand-in core on a free port (HTTPS with ``tls``); its ACL users are deleted afterwards."""
    stand_in = StandInCore(redis7, scheme="https" if tls else "http")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, kind, data = stand_in.answer(self.path, body)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    stand_in.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        for edge_id in stand_in.passwords:
            redis7.admin.execute_command("ACL", "DELUSER", f"edge-{edge_id}")
            for key in redis7.admin.scan_iter(match=f"financy:edge:{edge_id}:*"):
                redis7.admin.delete(key)


@pytest.fixture
def core(redis7: Redis7) -> Iterator[StandInCore]:
    """Yield a plain-HTTP stand-in core on loopback."""
    with stand_in_core(redis7) as stand_in:
        yield stand_in


def enroll(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``financy edge enroll ARGS`` and return what it did."""
    return subprocess.run(
        [sys.executable, "-m", "financy.cli", "edge", "enroll", *args],
        env=financy_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def new_edge_id() -> str:
    return f"t{secrets.token_hex(4)}"


def test_enroll_writes_edge_env_0600_with_the_contract_keys(core: StandInCore, tmp_path: Path) -> None:
    edge_id = new_edge_id()
    token = core.add_edge(edge_id)
    core.s3 = {
        "endpoint": "http://127.0.0.1:9000",
        "access_key": "edge-ak",
        "secret_key": "edge secret/with+chars",
        "bucket": "financy",
        "secure": False,
        "region": "us-east-1",
    }
    data_dir = tmp_path / "edge-home"
    done = enroll("--core", core.url, "--token", token, "--data-dir", str(data_dir), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    env_file = data_dir / "edge.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = parse_env(env_file.read_text())
    password = core.passwords[edge_id]
    assert values == {
        "FINANCY_EDGE__ID": edge_id,
        "FINANCY_REDIS_URL": f"redis://edge-{edge_id}:{password}@{core.redis7.host}:{core.redis7.port}/{core.redis7.db}",
        "FINANCY_EDGE__ORIGIN_KEY": values["FINANCY_EDGE__ORIGIN_KEY"],
        "FINANCY_EDGE__CORE_URL": core.url,
        "FINANCY_S3__ENDPOINT": "http://127.0.0.1:9000",
        "FINANCY_S3__ACCESS_KEY": "edge-ak",
        "FINANCY_S3__SECRET_KEY": "edge secret/with+chars",
        "FINANCY_S3__BUCKET": "financy",
        "FINANCY_S3__SECURE": "false",
        "FINANCY_S3__REGION": "us-east-1",
        "FINANCY_EDGE__DATA_DIR": str(data_dir.resolve()),
    }
    assert len(values["FINANCY_EDGE__ORIGIN_KEY"]) == 64
    assert core.requests == [{"token": token, "software_version": "0.1.0", "contract_versions": [1]}]
    assert f"Enrolled as edge '{edge_id}'" in done.stdout
    printed = done.stdout + done.stderr
    for secret in (token, password, values["FINANCY_EDGE__ORIGIN_KEY"], "edge secret"):
        assert secret not in printed


def test_enroll_refuses_to_overwrite_without_force_and_a_used_token_is_401(
    core: StandInCore, tmp_path: Path
) -> None:
    edge_id = new_edge_id()
    token = core.add_edge(edge_id)
    data_dir = tmp_path / "edge"
    assert (
        enroll("--core", core.url, "--token", token, "--data-dir", str(data_dir), cwd=tmp_path).returncode
        == 0
    )
    first = (data_dir / "edge.env").read_text()

    fresh = core.add_edge(edge_id)
    again = enroll("--core", core.url, "--token", fresh, "--data-dir", str(data_dir), cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "--force" in again.stderr
    assert len(core.requests) == 1  # checked before the exchange: the new token is not spent
    assert (data_dir / "edge.env").read_text() == first

    used = enroll("--core", core.url, "--token", token, "--data-dir", str(data_dir), "--force", cwd=tmp_path)
    assert used.returncode == 3
    assert "refused the enrolment token: it is unknown, already used or expired" in used.stderr
    assert "financy core edges add" in used.stderr
    assert token not in used.stderr
    assert (data_dir / "edge.env").read_text() == first

    forced = enroll(
        "--core", core.url, "--token", fresh, "--data-dir", str(data_dir), "--force", cwd=tmp_path
    )
    assert forced.returncode == 0, forced.stderr
    replaced = parse_env((data_dir / "edge.env").read_text())
    assert replaced["FINANCY_REDIS_URL"].endswith(
        f":{core.passwords[edge_id]}@127.0.0.1:{core.redis7.port}/{core.redis7.db}"
    )
    assert (data_dir / "edge.env").read_text() != first
    assert stat.S_IMODE((data_dir / "edge.env").stat().st_mode) == 0o600
    assert sorted(p.name for p in data_dir.iterdir()) == ["edge.env"]


def test_enroll_version_skew_unavailable_not_json_and_unreachable(core: StandInCore, tmp_path: Path) -> None:
    data_dir = tmp_path / "edge"
    core.accepts = frozenset({2})
    skew = enroll(
        "--core", core.url, "--token", core.add_edge(new_edge_id()), "--data-dir", str(data_dir), cwd=tmp_path
    )
    assert skew.returncode == 4
    assert "reads none of this edge's contract versions [1]" in skew.stderr
    assert "core reads [2]" in skew.stderr

    core.accepts = frozenset({1})
    core.unavailable = True
    busy = enroll(
        "--core", core.url, "--token", core.add_edge(new_edge_id()), "--data-dir", str(data_dir), cwd=tmp_path
    )
    assert busy.returncode == 5
    assert "cannot make this edge's credentials now" in busy.stderr
    assert "Redis < 7.0" in busy.stderr

    core.unavailable = False
    core.not_json = True
    html = enroll(
        "--core", core.url, "--token", core.add_edge(new_edge_id()), "--data-dir", str(data_dir), cwd=tmp_path
    )
    assert html.returncode == 1
    assert "not JSON (text/html)" in html.stderr

    gone = f"http://127.0.0.1:{free_port()}"
    away = enroll("--core", gone, "--token", "tok", "--data-dir", str(data_dir), cwd=tmp_path)
    assert away.returncode == 5
    assert f"cannot reach the core at {gone}" in away.stderr

    remote = enroll(
        "--core", "http://core.example.org", "--token", "tok", "--data-dir", str(data_dir), cwd=tmp_path
    )
    assert remote.returncode == 2
    assert "refusing plain http:// to core.example.org" in remote.stderr
    assert "--insecure-http" in remote.stderr
    assert not (data_dir / "edge.env").exists()
    assert not core.passwords  # no credentials were ever made


def _edge_log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def test_enrolled_edge_runs_on_its_own_queue_and_stops_with_3_when_revoked(
    core: StandInCore, tmp_path: Path
) -> None:
    edge_id = new_edge_id()
    data_dir = tmp_path / "edge"
    done = enroll(
        "--core", core.url, "--token", core.add_edge(edge_id), "--data-dir", str(data_dir), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    port = free_port()
    log_path = tmp_path / "edge-run.log"
    env = financy_env(FINANCY_EDGE__PORT=str(port), FINANCY_EDGE__WORKERS="1")
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "financy.cli", "edge", "run", "--data-dir", str(data_dir)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    queue = EmbeddedRedis(data_dir / "queue")
    own = redis.Redis(unix_socket_path=str(queue.socket_path), socket_timeout=5)
    admin = core.redis7.admin
    try:
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=120, proc=proc)
        except (RuntimeError, TimeoutError):
            pytest.fail(f"the edge did not start:\n{_edge_log(log_path)[-3000:]}")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        # The worker reports to the edge's own queue Redis, in DIR/queue.
        deadline = time.monotonic() + 90
        while not own.hlen(workers_key(edge_id)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert own.hlen(workers_key(edge_id)) == 1, _edge_log(data_dir / "logs" / "edge-worker-1.log")[-3000:]
        assert own.scard("rq:workers") == 1
        assert (data_dir / "queue" / "redis" / "appendonly.aof").exists() or (
            data_dir / "queue" / "redis" / "appendonlydir"
        ).exists()
        # The core's Redis holds this edge's streams (its ACL user works) and no queue at all.
        deadline = time.monotonic() + 30
        while not admin.exists(f"financy:edge:{edge_id}:replies") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert admin.exists(f"financy:edge:{edge_id}:replies") == 1
        assert list(admin.scan_iter(match="rq:*")) == []
        assert admin.exists(workers_key(edge_id)) == 0
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["core_redis"] == "ok"

        # Revocation: the user goes and its connections with it.
        admin.execute_command("CLIENT", "KILL", "USER", f"edge-{edge_id}")
        admin.execute_command("ACL", "DELUSER", f"edge-{edge_id}")
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the edge kept running after revocation:\n{_edge_log(log_path)[-3000:]}")
        text = _edge_log(log_path)
        assert code == 3, text[-3000:]
        revoked = [json.loads(line) for line in text.splitlines() if '"edge.credentials_revoked"' in line]
        assert len(revoked) == 1
        assert revoked[0]["message"] == (
            "this edge's credentials were revoked or are wrong; stopping — enrol again with financy edge enroll"
        )
        assert revoked[0]["edge_id"] == edge_id
        assert core.passwords[edge_id] not in text
        # Its own queue and worker stopped with it.
        assert not queue._ping()
        assert '"edge.own_queue_stopped"' in text
    finally:
        stop(proc)
        own.close()
        queue.stop()


def test_enrolled_edge_stops_its_workers_and_queue_on_sigterm(core: StandInCore, tmp_path: Path) -> None:
    edge_id = new_edge_id()
    data_dir = tmp_path / "edge"
    done = enroll(
        "--core", core.url, "--token", core.add_edge(edge_id), "--data-dir", str(data_dir), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    port = free_port()
    log_path = tmp_path / "edge-run.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "financy.cli", "edge", "run", "--data-dir", str(data_dir)],
            env=financy_env(FINANCY_EDGE__PORT=str(port), FINANCY_EDGE__WORKERS="1"),
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    queue = EmbeddedRedis(data_dir / "queue")
    own = redis.Redis(unix_socket_path=str(queue.socket_path), socket_timeout=5)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=120, proc=proc)
        deadline = time.monotonic() + 90
        while not own.hlen(workers_key(edge_id)) and time.monotonic() < deadline:
            time.sleep(0.2)
        statuses = [json.loads(v) for v in own.hvals(workers_key(edge_id))]
        assert len(statuses) == 1
        worker_pid = int(statuses[0]["pid"])
        own.close()
        # SIGTERM comes right after /healthz first answered: the moment the edge must not miss it.
        # The allowance is for a loaded machine stopping the worker (up to 15 s) and the queue Redis.
        assert stop(proc, timeout_s=150) == 0, _edge_log(log_path)[-3000:]
        with pytest.raises(ProcessLookupError):
            os.kill(worker_pid, 0)
        assert not queue._ping()
        text = _edge_log(log_path)
        assert '"edge.stopped"' in text
        assert '"edge.own_queue_stopped"' in text
        assert "credentials_revoked" not in text
    finally:
        stop(proc)
        own.close()
        queue.stop()


async def test_the_watchdog_tells_revocation_from_a_core_that_is_away(redis7: Redis7) -> None:
    from financy.edge.credentials import CredentialsWatchdog

    edge_id = new_edge_id()
    user, password = f"edge-{edge_id}", secrets.token_hex(16)
    redis7.admin.execute_command(
        "ACL", "SETUSER", user, *ACL_RULES.format(password=password, id=edge_id).split()
    )
    base = f"{redis7.host}:{redis7.port}/{redis7.db}"
    calls: list[str] = []
    try:
        good = CredentialsWatchdog(
            f"redis://{user}:{password}@{base}", edge_id=edge_id, on_revoked=lambda: None
        )
        assert await good.check() is True
        await good.client.aclose()
        away = CredentialsWatchdog(
            f"redis://{user}:{password}@127.0.0.1:{free_port()}/0", edge_id=edge_id, on_revoked=lambda: None
        )
        assert await away.check() is None  # a core that is away is not a revocation
        await away.client.aclose()
        wrong = CredentialsWatchdog(f"redis://{user}:nope@{base}", edge_id=edge_id, on_revoked=lambda: None)
        assert await wrong.check() is False
        await wrong.client.aclose()
        redis7.admin.execute_command("ACL", "SETUSER", user, "-ping")  # NOPERM on PING
        noperm = CredentialsWatchdog(
            f"redis://{user}:{password}@{base}",
            edge_id=edge_id,
            on_revoked=lambda: calls.append("revoked"),
            interval_s=0.05,
        )
        await noperm.run()  # returns once it has called on_revoked
        assert calls == ["revoked"]
        assert noperm.revoked
    finally:
        redis7.admin.execute_command("ACL", "DELUSER", user)


def _private_ca(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """Make a private CA and a certificate for 127.0.0.1 it signs; return the CA file and a server context."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Financy test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file = directory / "server.pem"
    cert_file.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file)
    return ca_file, context


def test_enroll_over_tls_trusts_only_the_ca_it_is_given(redis7: Redis7, tmp_path: Path) -> None:
    ca_file, context = _private_ca(tmp_path)
    data_dir = tmp_path / "edge"
    with stand_in_core(redis7, tls=context) as core:
        assert core.url.startswith("https://127.0.0.1:")
        untrusted = enroll(
            "--core",
            core.url,
            "--token",
            core.add_edge(new_edge_id()),
            "--data-dir",
            str(data_dir),
            cwd=tmp_path,
        )
        assert untrusted.returncode == 5
        assert "TLS certificate is not trusted" in untrusted.stderr
        assert "--ca-file" in untrusted.stderr
        assert not core.requests  # nothing was sent before the certificate was checked
        edge_id = new_edge_id()
        trusted = enroll(
            "--core",
            core.url,
            "--token",
            core.add_edge(edge_id),
            "--data-dir",
            str(data_dir),
            "--ca-file",
            str(ca_file),
            cwd=tmp_path,
        )
        assert trusted.returncode == 0, trusted.stderr
        values = parse_env((data_dir / "edge.env").read_text())
        assert values["FINANCY_EDGE__ID"] == edge_id
        assert values["FINANCY_EDGE__CORE_URL"] == core.url
