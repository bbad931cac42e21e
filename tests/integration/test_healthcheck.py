"""``financy healthcheck``: exit codes and reasons against real servers (PostgreSQL, Redis, HTTP)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from financy.cli import main
from financy.edge.envfile import format_env, write_env_file
from tests.support.processes import financy_env, free_port

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path in ("/trickle", "/huge"):
            self._hostile()
            return
        if self.path == "/slow":
            time.sleep(1.5)
        status = {"/healthz": 200, "/slow": 200, "/broken": 500, "/moved": 302}.get(self.path, 404)
        body = b"ok" if status == 200 else b"no"
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/healthz")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _hostile(self) -> None:
        """/trickle: a status line a byte each 0.1 s for 20 s; /huge: 200 with a 10 GB body sent for 20 s."""
        started = time.monotonic()
        with contextlib.suppress(OSError):
            if self.path == "/trickle":
                for byte in b"HTTP/1.1 200 OK\r\n" * 20:
                    if time.monotonic() - started > 20:
                        break
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(10 * 1024**3))
            self.end_headers()
            chunk = b"x" * 1024 * 1024
            while time.monotonic() - started < 20:
                self.wfile.write(chunk)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_base() -> Iterator[str]:
    """Yield the base URL of a local HTTP server: /healthz 200, /broken 500, /moved 302, /slow 1.5 s."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def redis_ping_url(request: pytest.FixtureRequest) -> str:
    """Return a real Redis's URL: FINANCY_TEST_REDIS_URL as given (only PING is sent), else embedded."""
    external = os.environ.get("FINANCY_TEST_REDIS_URL")
    if external:
        return external
    url: str = request.getfixturevalue("redis_server_url")
    return url


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Remove the URLs the checks read, so each test sets only its own."""
    for name in ("FINANCY_REDIS_URL", "FINANCY_DATABASE_URL", "FINANCY_EDGE__QUEUE_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def closed_port() -> int:
    """Return a port nothing listens on (bound a moment ago and released)."""
    return free_port()


def test_http_200_is_healthy(http_base: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["healthcheck", f"{http_base}/healthz"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "ok: http"
    assert captured.err == ""


@pytest.mark.parametrize(
    ("path", "reason"), [("/broken", "HTTP 500 Internal Server Error"), ("/moved", "HTTP 302 Found")]
)
def test_http_other_status_is_unhealthy(
    http_base: str, path: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["healthcheck", f"{http_base}{path}"]) == 1
    assert capsys.readouterr().err.strip() == f"unhealthy: http: GET {http_base}{path}: {reason}"


def test_http_slow_answer_is_a_timeout(http_base: str, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert main(["healthcheck", f"{http_base}/slow", "--timeout", "0.3"]) == 1
    assert time.monotonic() - started < 1.4
    assert "no answer within 0.3 s" in capsys.readouterr().err


def test_a_server_trickling_bytes_is_unhealthy_within_the_timeout(
    http_base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    assert main(["healthcheck", f"{http_base}/trickle", "--timeout", "1"]) == 1
    assert time.monotonic() - started < 3.5
    # (the last line: the HTTP server's own threads may print a broken pipe of an earlier test)
    assert (
        capsys.readouterr().err.strip().splitlines()[-1] == "unhealthy: http: no complete answer within 1 s"
    )


def test_a_huge_body_is_never_read(http_base: str, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert main(["healthcheck", f"{http_base}/huge", "--timeout", "2"]) == 0
    assert time.monotonic() - started < 2
    assert capsys.readouterr().out.strip() == "ok: http"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("user:hunter2secret@127.0.0.1/healthz", "GET ***@127.0.0.1/healthz: not an http:// or https:// URL"),
        ("http://u:hunter2secret@[::1/", "GET http://***@[::1/: not a URL (Invalid IPv6 URL)"),
        ("http://u:hunter2secret@127.0.0.1:x/", "GET http://***@127.0.0.1:x/: InvalidURL: Invalid port: 'x'"),
        ("file:///etc/passwd", "GET file:///etc/passwd: not an http:// or https:// URL"),
        ("ftp://u:hunter2secret@127.0.0.1/", "GET ftp://***@127.0.0.1/: not an http:// or https:// URL"),
    ],
)
def test_odd_urls_are_unhealthy_without_their_passwords(
    url: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["healthcheck", url]) == 1
    assert capsys.readouterr().err.strip() == f"unhealthy: http: {shown}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FINANCY_DATABASE_URL", "financy:hunter2secret@127.0.0.1/financy"),
        ("FINANCY_DATABASE_URL", "host=127.0.0.1 port={port} password=hunter2secret"),
        ("FINANCY_DATABASE_URL", "postgresql://u:hunter2secret@127.0.0.1:{port}/db?nosuch=1"),
        ("FINANCY_REDIS_URL", "redis://:hunter2/secret@127.0.0.1:{port}/0"),
        ("FINANCY_REDIS_URL", "redis://127.0.0.1:{port}/0?password=hunter2secret"),
    ],
)
def test_malformed_urls_never_show_their_password(
    clean_env: pytest.MonkeyPatch, name: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv(name, value.format(port=closed_port()))
    flag = "--database" if name == "FINANCY_DATABASE_URL" else "--redis"
    assert main(["healthcheck", flag, "--timeout", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unhealthy: ")
    assert "hunter2" not in err
    assert "secret" not in err


def test_http_refused_port(capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    assert main(["healthcheck", f"http://127.0.0.1:{port}/healthz"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"unhealthy: http: GET http://127.0.0.1:{port}/healthz: ConnectError")
    assert "refused" in err.lower()


def test_redis_and_database_healthy(
    clean_env: pytest.MonkeyPatch, redis_ping_url: str, pg_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("FINANCY_REDIS_URL", redis_ping_url)
    clean_env.setenv("FINANCY_DATABASE_URL", pg_server_url)
    assert main(["healthcheck", "--redis", "--database"]) == 0
    assert capsys.readouterr().out.strip() == "ok: redis, database"


def test_closed_ports_name_each_failure_without_passwords(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    clean_env.setenv("FINANCY_REDIS_URL", f"redis://:hunter2secret@127.0.0.1:{port}/0")
    clean_env.setenv("FINANCY_DATABASE_URL", f"postgresql://financy:hunter2secret@127.0.0.1:{port}/financy")
    assert main(["healthcheck", "--redis", "--database"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"unhealthy: redis: Redis redis://***@127.0.0.1:{port}/0: ConnectionError")
    assert lines[1].startswith(f"unhealthy: database: PostgreSQL postgresql://***@127.0.0.1:{port}/financy:")
    assert "refused" in lines[1].lower()
    assert all("hunter2secret" not in line for line in lines)


def test_database_down_while_redis_up(
    clean_env: pytest.MonkeyPatch, redis_ping_url: str, pg_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("FINANCY_REDIS_URL", redis_ping_url)
    # a database that does not exist on the real server: the server answers, the check fails
    missing = urlunsplit(urlsplit(pg_server_url)._replace(path="/financy_healthcheck_no_such_db"))
    clean_env.setenv("FINANCY_DATABASE_URL", missing)
    assert main(["healthcheck", "--redis", "--database"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("unhealthy: database: PostgreSQL")
    assert 'database "financy_healthcheck_no_such_db" does not exist' in err
    assert "redis" not in err.split(":", 2)[1]


def test_unset_urls_are_named(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["healthcheck", "--redis", "--database", "--queue"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "unhealthy: redis: FINANCY_REDIS_URL is not set",
        "unhealthy: database: FINANCY_DATABASE_URL is not set",
        "unhealthy: queue: FINANCY_EDGE__QUEUE_REDIS_URL is not set",
    ]


def test_redis_not_answering_redis_protocol(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A port that accepts and closes at once (not a Redis) is unhealthy, with the reason."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def accept_and_close() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            conn.close()

    thread = threading.Thread(target=accept_and_close, daemon=True)
    thread.start()
    try:
        clean_env.setenv("FINANCY_REDIS_URL", f"redis://127.0.0.1:{port}/0")
        assert main(["healthcheck", "--redis", "--timeout", "1"]) == 1
        assert capsys.readouterr().err.startswith(f"unhealthy: redis: Redis redis://127.0.0.1:{port}/0: ")
    finally:
        listener.close()
        thread.join(timeout=2)


def test_data_dir_edge_env_gives_the_queue_url(
    clean_env: pytest.MonkeyPatch, redis_ping_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_env_file(
        tmp_path / "edge.env", format_env([("FINANCY_EDGE__QUEUE_REDIS_URL", redis_ping_url)]), replace=False
    )
    assert main(["healthcheck", "--queue", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "ok: queue"
    # a real variable wins over the file, as for `financy edge worker --data-dir`
    clean_env.setenv("FINANCY_EDGE__QUEUE_REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    assert main(["healthcheck", "--queue", "--data-dir", str(tmp_path)]) == 1
    assert "unhealthy: queue: Redis redis://127.0.0.1:" in capsys.readouterr().err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["healthcheck"]) == 2
    assert "give a URL or --redis" in capsys.readouterr().err
    assert main(["healthcheck", "http://127.0.0.1:1/", "--timeout", "0"]) == 2
    assert "--timeout must be more than 0" in capsys.readouterr().err


def test_command_line_exit_codes(http_base: str, redis_ping_url: str) -> None:
    """The real ``financy`` process, as Docker's HEALTHCHECK runs it: 0 healthy, 1 not, reason on stderr."""
    env = financy_env(PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}", FINANCY_REDIS_URL=redis_ping_url)
    ok = subprocess.run(
        [sys.executable, "-m", "financy.cli", "healthcheck", f"{http_base}/healthz", "--redis"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (ok.returncode, ok.stdout.strip(), ok.stderr) == (0, "ok: http, redis", "")
    bad = subprocess.run(
        [sys.executable, "-m", "financy.cli", "healthcheck", f"{http_base}/broken"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.strip() == f"unhealthy: http: GET {http_base}/broken: HTTP 500 Internal Server Error"
