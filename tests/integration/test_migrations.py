"""The Alembic migrations build exactly the schema the code declares, and run down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool

from financy.core.adapters.migrate import upgrade
from financy.core.adapters.orm import metadata
from financy.core.settings import sqlalchemy_url
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration


def test_migrated_schema_matches_the_declared_tables(pg_server_url: str) -> None:
    url = create_database(pg_server_url)
    try:
        upgrade(sqlalchemy_url(url))
        upgrade(sqlalchemy_url(url))  # a second run is a no-op
        engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        engine.dispose()
        assert diff == []
    finally:
        drop_database(pg_server_url, url)


def test_downgrade_to_base_and_up_again(pg_server_url: str) -> None:
    from alembic import command

    from financy.core.adapters.migrate import alembic_config

    url = create_database(pg_server_url)
    try:
        upgrade(sqlalchemy_url(url))
        command.downgrade(alembic_config(sqlalchemy_url(url)), "base")
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        engine.dispose()
        assert diff == []
    finally:
        drop_database(pg_server_url, url)
