"""Fixtures the API tests share: settings with a known JWT key, a Redis client, one app per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from redis import Redis
from sqlalchemy import Engine

from financy.core.entrypoints.api import ApiApp, create_app
from financy.core.settings import CoreSettings, LoginLimitSettings
from tests.support.api import JWT_SECRET


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
