"""Fixtures the API tests share: settings with a known JWT key, a Redis client, one app per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from redis import Redis
from sqlalchemy import Engine, delete, select

from financy.core.adapters import orm
from financy.core.entrypoints.api import ApiApp, create_app
from financy.core.settings import CoreSettings, LoginLimitSettings
from tests.support.api import JWT_SECRET


@pytest.fixture(autouse=True)
def _signing_edges_do_not_outlive_their_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Delete the ``edges`` rows a test made (the run's database is shared by every test).

    An unrevoked edge with an origin key makes ingest refuse unsigned captures, so one left behind
    would change what later tests see. Only tests that use the database are touched.
    """
    if not {"engine", "database_url"} & set(request.fixturenames):
        yield
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.connect() as conn:
        before = set(conn.execute(select(orm.edges.c.id)).scalars())
    yield
    with engine.begin() as conn:
        made = set(conn.execute(select(orm.edges.c.id)).scalars()) - before
        if made:
            conn.execute(delete(orm.edges).where(orm.edges.c.id.in_(made)))


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> CoreSettings:
    """Core settings on the test's servers, signing tokens with :data:`JWT_SECRET` for 10 minutes.

    Every test client reaches the app from one peer address, so the per-IP login limit is lifted
    here (tests of the limits set their own); the per-username limit stays as in production.
    """
    return CoreSettings(
        login=LoginLimitSettings(max_ip_failures=100_000),
        database_url=database_url,
        redis_url=redis_url,
        jwt_secret=SecretStr(JWT_SECRET),
        jwt_ttl_s=600,
        data_dir=tmp_path,
    )


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[Redis]:
    """A Redis client on the test's server, closed afterwards."""
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def app(settings: CoreSettings, engine: Engine, redis_conn: Redis) -> ApiApp:
    """A fresh API app (one app per test client: see STACK.md)."""
    return create_app(settings, engine=engine, redis=redis_conn)
