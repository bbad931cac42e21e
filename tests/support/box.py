"""Run a real single box (``python -m financy.cli up``) for an end-to-end test."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from tests.conftest import create_database, drop_database
from tests.support.processes import financy_env, free_port, stop, wait_http


@dataclass
class Box:
    """A running single box: its API and edge URLs, data directory, environment and process."""

    api: str
    edge: str
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes]
    database_url: str | None = None

    def token(self, username: str = "admin", password: str | None = None) -> str:
        """Return an API token of ``username`` (the admin's password is read from the box's secrets)."""
        if password is None:
            password = (self.data_dir / "secrets" / "admin-password").read_text().strip()
        response = httpx.post(
            f"{self.api}/api/v1/auth/token", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


@contextlib.contextmanager
def running_box(workdir: Path, redis_db: int = 15, **settings: str) -> Iterator[Box]:
    """Start ``financy up`` on a fresh data directory under ``workdir`` with ``settings`` (``FINANCY_*``).

    Embedded PostgreSQL and Redis by default, or the servers named by
    ``FINANCY_TEST_DATABASE_URL`` / ``FINANCY_TEST_REDIS_URL`` (a database of its own is created;
    on the Redis server, database index ``redis_db``, emptied first: each box module takes its
    own, so no box reads another's streams). The box must stop cleanly (exit 0) at the end.
    """
    data_dir = workdir / "var"
    port, edge_port = free_port(), free_port()
    overrides = dict(settings)
    server_url = os.environ.get("FINANCY_TEST_DATABASE_URL")
    database_url = create_database(server_url) if server_url else None
    if database_url:
        overrides["FINANCY_DATABASE_URL"] = database_url
    if os.environ.get("FINANCY_TEST_REDIS_URL"):
        redis_url = os.environ["FINANCY_TEST_REDIS_URL"].rsplit("/", 1)[0] + f"/{redis_db}"
        client = redis.Redis.from_url(redis_url)
        try:
            client.flushdb()
        finally:
            client.close()
        overrides["FINANCY_REDIS_URL"] = redis_url
    env = financy_env(**overrides)
    log_path = workdir / "up.log"
    log = log_path.open("wb")
    cmd = [sys.executable, "-m", "financy.cli", "up", "--data-dir", str(data_dir), "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--edge-port", str(edge_port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    box = Box(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{edge_port}", data_dir, env, proc, database_url)
    try:
        wait_http(f"{box.api}/readyz", 120, proc)
        wait_http(f"{box.edge}/readyz", 60, proc)
        yield box
    finally:
        code = stop(proc, 40)
        log.close()
        if server_url and database_url:
            drop_database(server_url, database_url)
        assert code == 0, log_path.read_text()[-4000:]
