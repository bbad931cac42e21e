"""The benchmark's PostgreSQL and Redis: embedded in a temporary directory, or external servers.

``FINANCY_BENCH_DATABASE_URL`` names a PostgreSQL server's maintenance database: the run creates
a fresh database there and drops it afterwards. ``FINANCY_BENCH_REDIS_URL`` names a Redis server:
the run takes an empty database index of its own and empties it again afterwards.
Unset, each is started embedded (``financy.runtime.services``) under the run's directory.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

from financy.core.adapters.migrate import upgrade
from financy.core.settings import sqlalchemy_url
from financy.runtime.services import EmbeddedPostgres, EmbeddedRedis


@dataclass(frozen=True)
class Servers:
    """A migrated database (``database_url``) on ``pg_server_url`` and a Redis URL, both for this run."""

    pg_server_url: str
    database_url: str
    redis_url: str
    embedded_pg: bool
    embedded_redis: bool
    pg_pid: int | None = None
    redis_pid: int | None = None


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


@contextlib.contextmanager
def postgres_server(workdir: Path) -> Iterator[tuple[str, int | None]]:
    """Yield (maintenance database URL, postmaster pid if embedded) of the PostgreSQL server to use."""
    external = os.environ.get("FINANCY_BENCH_DATABASE_URL")
    if external:
        yield external, None
        return
    server = EmbeddedPostgres(workdir)
    url = server.start()
    try:
        pid = getattr(server._server, "get_pid", lambda: None)()
        yield url, int(pid) if pid else None
    finally:
        server.stop()


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create a uniquely named, migrated database on ``server_url``; drop it afterwards."""
    name = f"financy_bench_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_path(server_url, "/" + name)
    try:
        upgrade(sqlalchemy_url(url))
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_index(url: str) -> str:
    """Return ``url`` on a database index (1-15) that holds no keys right now."""
    for _ in range(30):
        candidate = _with_path(url, f"/{1 + secrets.randbelow(15)}")
        client = redis.Redis.from_url(candidate)
        try:
            if client.dbsize() == 0:
                return candidate
        finally:
            client.close()
    raise RuntimeError(f"no empty database index on {url}: refusing to share one with other data")


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[tuple[str, int | None]]:
    """Yield (Redis URL, server pid if embedded) for this run."""
    external = os.environ.get("FINANCY_BENCH_REDIS_URL")
    if external:
        url = _empty_index(external)
        try:
            yield url, None
        finally:
            client = redis.Redis.from_url(url)
            try:
                client.flushdb()  # it was empty when the run took it
            finally:
                client.close()
        return
    server = EmbeddedRedis(workdir)
    url = server.start()
    try:
        yield url, server.process.pid if server.process else None
    finally:
        server.stop()


@contextlib.contextmanager
def bench_servers(workdir: Path) -> Iterator[Servers]:
    """Yield the run's servers; everything started here is stopped (and dropped) on the way out."""
    with (
        postgres_server(workdir) as (pg_url, pg_pid),
        redis_server(workdir) as (redis_url, redis_pid),
        fresh_database(pg_url) as database_url,
    ):
        yield Servers(
            pg_url, database_url, redis_url, pg_pid is not None, redis_pid is not None, pg_pid, redis_pid
        )
