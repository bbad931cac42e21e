"""``financy up``: the whole single box as real processes, started the way a user starts it.

By default the box runs on its embedded PostgreSQL and Redis under a temporary data directory.
With ``FINANCY_TEST_DATABASE_URL`` / ``FINANCY_TEST_REDIS_URL`` it is pointed at those servers
through ``FINANCY_DATABASE_URL`` / ``FINANCY_REDIS_URL`` (a fresh database, a Redis db index of
its own), which is also the proof that switching needs no code change.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psutil
import psycopg
import pytest
import redis

pytestmark = pytest.mark.integration

READY_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def base_env() -> dict[str, str]:
    """The test run's environment without any FINANCY_* of the developer's shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FINANCY_")}


@dataclass
class Box:
    """A ``financy up`` subprocess on ``data_dir``; its terminal output goes to a file."""

    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    edge_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    runs: int = 0

    @property
    def out_path(self) -> Path:
        return self.out_path_of(self.runs)

    def out_path_of(self, run: int) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}-up-{run}.out"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "financy.cli",
            "up",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--edge-port",
            str(self.edge_port),
        ]

    def start(self) -> None:
        self.runs += 1
        with self.out_path.open("wb") as out:
            self.proc = subprocess.Popen(
                self.command(), env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Wait for both /readyz and the summary; fail with the box's output if it exits."""
        assert self.proc is not None
        urls = [self.url("/readyz"), f"http://127.0.0.1:{self.edge_port}/readyz"]
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=1.0, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    pytest.fail(f"financy up exited with {self.proc.returncode}:\n{self.output()}")
                pending = []
                for url in urls:
                    try:
                        if http.get(url).status_code != 200:
                            pending.append(url)
                    except httpx.HTTPError:
                        pending.append(url)
                urls = pending
                if not urls and "Financy is up." in self.output():
                    return
                time.sleep(0.2)
        pytest.fail(f"not ready after {timeout_s}s: {urls}\n{self.output()}\n{self.log_tails()}")

    def log_tails(self) -> str:
        parts = []
        for log in sorted((self.data_dir / "logs").glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-8:]
            parts.append(f"--- {log.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGTERM the box and return its exit status (fails if it takes longer than ``timeout_s``)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"financy up did not stop within {timeout_s}s:\n{self.output()}")

    def children(self) -> list[psutil.Process]:
        assert self.proc is not None
        children: list[psutil.Process] = psutil.Process(self.proc.pid).children()
        return children

    def token(self, password: str) -> str:
        response = httpx.post(
            self.url("/api/v1/auth/token"), json={"username": "admin", "password": password}, timeout=10
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


def service_processes(data_dir: Path) -> list[psutil.Process]:
    """PostgreSQL and Redis server processes whose command line names ``data_dir``."""
    found = []
    needle = str(data_dir)
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["name"] in ("postgres", "redis-server") and needle in cmdline:
            found.append(proc)
    return found


@pytest.fixture(scope="module")
def external_services() -> Iterator[dict[str, str]]:
    """FINANCY_DATABASE_URL / FINANCY_REDIS_URL for external servers, or {} for the embedded ones."""
    env: dict[str, str] = {}
    server_url = os.environ.get("FINANCY_TEST_DATABASE_URL")
    name = f"financy_box_{secrets.token_hex(4)}"
    if server_url:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(server_url)
        env["FINANCY_DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    redis_url = os.environ.get("FINANCY_TEST_REDIS_URL")
    if redis_url:
        parts = urlsplit(redis_url)
        env["FINANCY_REDIS_URL"] = urlunsplit(
            (parts.scheme, parts.netloc, f"/{1 + secrets.randbelow(15)}", parts.query, "")
        )
        redis.Redis.from_url(env["FINANCY_REDIS_URL"]).flushdb()
    yield env
    if server_url:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if redis_url:
        redis.Redis.from_url(env["FINANCY_REDIS_URL"]).flushdb()


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, external_services: dict[str, str]) -> Iterator[Box]:
    """A running box (first run on a fresh data directory)."""
    running = Box(tmp_path_factory.mktemp("box") / "var", {**base_env(), **external_services})
    running.start()
    try:
        running.wait_ready()
        yield running
    finally:
        assert running.proc is not None
        if running.proc.poll() is None:
            running.stop()
        for leftover in service_processes(running.data_dir):
            leftover.kill()


def test_first_run_creates_the_admin_and_saves_its_password(box: Box) -> None:
    """GIVEN a fresh data dir WHEN the box is up THEN the printed password logs in and is kept 0600."""
    secret = box.data_dir / "secrets" / "admin-password"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    password = secret.read_text().strip()
    assert f"admin / {password}" in box.out_path_of(1).read_text()
    token = box.token(password)
    me = httpx.get(box.url("/api/v1/me"), headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200, me.text
    for sub in ("objects", "edge", "secrets", "logs"):
        assert (box.data_dir / sub).is_dir()
    assert {"box.log", "api.log", "ingest.log", "worker.log", "beat.log", "edge.log"} <= {
        p.name for p in (box.data_dir / "logs").iterdir()
    }


def test_the_box_runs_the_core_worker_and_beat_and_trains_a_first_model(box: Box) -> None:
    """GIVEN a fresh box WHEN it is up THEN `core worker` and `core beat` run as its children, logging to
    worker.log and beat.log, and the worker trains the first category model soon after the start."""
    commands = set()
    for child in box.children():
        with contextlib.suppress(psutil.Error):
            commands.add(tuple(child.cmdline()[-2:]))
    assert {("core", "worker"), ("core", "beat")} <= commands
    manifest = box.data_dir / "models" / "categories" / "current.json"
    deadline = time.monotonic() + 120
    while not manifest.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert manifest.exists(), f"the worker trained no model:\n{box.log_tails()}"
    logs = box.data_dir / "logs"

    def published() -> bool:
        # The manifest is written before the edges are told and the line is logged.
        return '"worker.model_published"' in (logs / "worker.log").read_text()

    deadline = time.monotonic() + 30
    while not published() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert published(), box.log_tails()
    assert '"beat.started"' in (logs / "beat.log").read_text()
    assert (box.data_dir / "celery").is_dir()


def test_a_second_box_on_the_same_data_dir_exits_2(box: Box) -> None:
    second = subprocess.run(
        [*box.command()[:-4], "--port", str(free_port()), "--edge-port", str(free_port())],
        env=box.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert second.returncode == 2, second.stdout + second.stderr
    assert "already running" in second.stderr
    assert str(box.data_dir) in second.stderr


def test_a_killed_child_is_restarted(box: Box) -> None:
    """GIVEN a running box WHEN its ingest process is killed THEN a new one takes its place."""

    def ingest() -> list[psutil.Process]:
        found = []
        for child in box.children():
            try:
                if child.cmdline()[-2:] == ["core", "ingest"]:
                    found.append(child)
            except psutil.Error:  # gone, or a zombie not yet reaped by the box
                continue
        return found

    (victim,) = ingest()
    victim.kill()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        replacements = [p for p in ingest() if p.pid != victim.pid]
        if replacements:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"ingest was not restarted:\n{box.output()}")
    assert "ingest exited (code -9); restarting in 1 s" in box.output()
    assert '"child_exited"' in (box.data_dir / "logs" / "box.log").read_text()
    assert box.proc is not None
    assert box.proc.poll() is None


def transactions(box: Box, token: str) -> list[dict[str, object]]:
    """Every transaction of the admin's first context, newest first, through the API."""
    auth = {"Authorization": f"Bearer {token}"}
    contexts = httpx.get(box.url("/api/v1/contexts"), headers=auth, timeout=10).json()["items"]
    url = box.url(f"/api/v1/contexts/{contexts[0]['id']}/transactions?limit=200")
    response = httpx.get(url, headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_stop_then_start_again_keeps_the_data(box: Box) -> None:
    """GIVEN a box with a transaction WHEN it gets SIGTERM and starts again THEN nothing is lost or left running."""
    password = (box.data_dir / "secrets" / "admin-password").read_text().strip()
    sent = httpx.post(
        f"http://127.0.0.1:{box.edge_port}/devchat/messages",
        json={
            "text": "mercado 12,34",
            "user_id": "admin",
            "chat_id": "admin",
            "message_id": "box-1",
            "wait": 20,
        },
        timeout=30,
    )
    assert sent.status_code < 300, sent.text
    assert sent.json().get("reply"), sent.text
    before = transactions(box, box.token(password))
    assert any(t["amount"] == "12.34" for t in before)
    children = box.children()

    assert box.stop() == 0
    assert "Stopped." in box.output()
    assert service_processes(box.data_dir) == []
    assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children)

    box.start()
    box.wait_ready()
    assert "the account exists" in box.output()
    assert password not in box.output()
    assert transactions(box, box.token(password)) == before


CRASH_LOOP = """
import sys
from pathlib import Path
from financy.runtime.process import ChildSpec, RestartPolicy
from financy.box.supervisor import run_box

flaky = ChildSpec("flaky", (sys.executable, "-c", "import sys; print('flaky: cannot start'); sys.exit(3)"))
policy = RestartPolicy(base_s=0.05, max_s=0.2, crash_limit=3, crash_window_s=30)
sys.exit(run_box(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), children=[flaky], policy=policy))
"""


def test_a_crash_looping_child_stops_the_box_and_names_its_log(
    tmp_path: Path, external_services: dict[str, str]
) -> None:
    """GIVEN an always-failing child WHEN it crashes crash_limit times THEN the box exits 1 naming its log."""
    data_dir = tmp_path / "var"
    argv = [sys.executable, "-c", CRASH_LOOP, str(data_dir), str(free_port()), str(free_port())]
    try:
        done = subprocess.run(
            argv,
            env={**base_env(), **external_services},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        for leftover in service_processes(data_dir):
            leftover.kill()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "flaky exited (code 3); restarting in 0.05 s" in done.stdout
    assert "flaky keeps crashing (3 times within 30 s" in done.stdout
    assert f"Look at {data_dir / 'logs' / 'flaky.log'}" in done.stdout
    assert "flaky: cannot start" in done.stdout  # the log's last lines are shown
    assert "Stopped." in done.stdout
    assert service_processes(data_dir) == []
