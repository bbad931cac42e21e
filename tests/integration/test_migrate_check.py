"""``financy core migrate --check [--wait S]``: what the Kubernetes initContainers wait on.

Real PostgreSQL; the command is run through ``financy.cli.main`` with the environment a pod gets.
"""

from __future__ import annotations

import time

import pytest
from alembic import command

from financy.cli import main
from financy.core.adapters.migrate import alembic_config, schema_state, upgrade, wait_for_head
from financy.core.settings import sqlalchemy_url
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration


def test_check_answers_1_before_and_0_after_migrate(
    pg_server_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = create_database(pg_server_url)
    try:
        monkeypatch.setenv("FINANCY_DATABASE_URL", url)
        assert main(["core", "migrate", "--check"]) == 1
        err = capsys.readouterr().err
        assert "schema not at head" in err
        assert "never migrated" in err
        assert schema_state(sqlalchemy_url(url)).current == ()  # --check changed nothing

        assert main(["core", "migrate"]) == 0
        capsys.readouterr()
        assert main(["core", "migrate", "--check", "--wait", "5"]) == 0
        heads = schema_state(sqlalchemy_url(url)).heads
        assert f"code head {heads[0]}" in capsys.readouterr().out

        command.downgrade(alembic_config(sqlalchemy_url(url)), "-1")  # a new release's migration pending
        assert main(["core", "migrate", "--check"]) == 1
        assert "schema not at head" in capsys.readouterr().err
    finally:
        drop_database(pg_server_url, url)


def test_wait_polls_until_the_migration_lands(pg_server_url: str) -> None:
    url = sqlalchemy_url(create_database(pg_server_url))
    looks: list[float] = []

    def sleep(seconds: float) -> None:  # the migration Job finishes during the second pause
        looks.append(seconds)
        if len(looks) == 2:
            upgrade(url)

    try:
        ok, detail = wait_for_head(url, timeout=60, interval=0.01, sleep=sleep)
        assert ok, detail
        assert len(looks) == 2
    finally:
        drop_database(pg_server_url, url)


def test_unreachable_database_is_retried_then_reported() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    started = time.monotonic()
    ok, detail = wait_for_head(url, timeout=0.5, interval=0.1)
    assert not ok
    assert detail.startswith("database not reachable: OperationalError")
    assert time.monotonic() - started < 10


def test_check_options_belong_to_migrate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["core", "api", "--check"]) == 2
    assert main(["core", "migrate", "--check", "--wait", "-1"]) == 2
    assert main(["core", "migrate", "--wait", "3"]) == 2
    assert "belongs to migrate" in capsys.readouterr().err


def test_check_without_a_database_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FINANCY_DATABASE_URL", raising=False)
    assert main(["core", "migrate", "--check"]) == 2
    assert "FINANCY_DATABASE_URL is not set" in capsys.readouterr().err
