"""``financy core admin``: the first admin of a core that ``financy up`` does not run, on real PostgreSQL."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from financy.core.adapters.migrate import upgrade
from financy.core.adapters.orm import users
from financy.core.adapters.passwords import verify_password
from financy.core.entrypoints.admin import write_secret_file
from financy.core.settings import sqlalchemy_url
from tests.conftest import create_database, drop_database
from tests.support.processes import financy_env, free_port

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_database(pg_server_url: str) -> Iterator[str]:
    """Yield the URL of a new, migrated database without any user (dropped afterwards)."""
    url = create_database(pg_server_url)
    upgrade(sqlalchemy_url(url))
    try:
        yield url
    finally:
        drop_database(pg_server_url, url)


def core_admin(database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = financy_env(
        PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}",
        FINANCY_DATABASE_URL=database_url,
        FINANCY_DATA_DIR=str(data_dir),
        FINANCY_DEFAULT_LOCALE="en-US",
    )
    return subprocess.run(
        [sys.executable, "-m", "financy.cli", "core", "admin"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_creates_the_admin_once_and_keeps_its_password_in_a_0600_file(
    fresh_database: str, tmp_path: Path
) -> None:
    first = core_admin(fresh_database, tmp_path)
    assert first.returncode == 0, first.stderr
    secret = tmp_path / "secrets" / "admin-password"
    assert first.stdout.strip() == f"admin: created; its password is in {secret} (mode 0600)"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    password = secret.read_text().strip()
    assert len(password) >= 16
    assert password not in first.stdout + first.stderr
    engine = create_engine(sqlalchemy_url(fresh_database))
    try:
        with engine.connect() as conn:
            row = conn.execute(select(users.c.password_hash, users.c.is_admin, users.c.locale)
                               .where(users.c.username == "admin")).one()  # fmt: skip
    finally:
        engine.dispose()
    assert row.is_admin is True
    assert row.locale == "en-US"
    assert verify_password(row.password_hash, password)
    again = core_admin(fresh_database, tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "admin: the account exists (nothing changed)"
    assert secret.read_text().strip() == password


def test_without_a_database_url_it_says_so(tmp_path: Path) -> None:
    env = financy_env(PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}", FINANCY_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "financy.cli", "core", "admin"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "FINANCY_DATABASE_URL is not set" in result.stderr
    assert not (tmp_path / "secrets").exists()


def test_a_password_file_or_folder_planted_as_a_link_is_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    # A link at the file itself is replaced by the new file; the file it pointed to is untouched.
    secrets_dir = tmp_path / "data" / "secrets"
    secrets_dir.mkdir(parents=True)
    (secrets_dir / "admin-password").symlink_to(victim)
    (secrets_dir / "admin-password.tmp").symlink_to(victim)  # the name an older Financy wrote through
    write_secret_file(secrets_dir / "admin-password", "s3cr3t-value")
    assert not (secrets_dir / "admin-password").is_symlink()
    assert (secrets_dir / "admin-password").read_text() == "s3cr3t-value\n"
    assert stat.S_IMODE((secrets_dir / "admin-password").stat().st_mode) == 0o600
    assert victim.read_text() == "keep me\n"
    # A link in place of the folder is refused: nothing is written where it points.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "secrets").symlink_to(elsewhere)
    with pytest.raises(OSError, match=r"Not a directory|Too many levels of symbolic links"):
        write_secret_file(tmp_path / "other" / "secrets" / "admin-password", "s3cr3t-value")
    assert list(elsewhere.iterdir()) == []
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755


def test_a_folder_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "secrets"
    folder.mkdir()
    folder.chmod(0o777)
    monkeypatch.setattr(os, "geteuid", lambda: folder.stat().st_uid + 1)  # we are someone else now
    with pytest.raises(PermissionError, match="belongs to another user"):
        write_secret_file(folder / "admin-password", "s3cr3t-value")
    assert list(folder.iterdir()) == []
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777


def test_an_unmigrated_unreachable_or_foreign_database_is_named_without_a_password(
    pg_server_url: str, tmp_path: Path
) -> None:
    empty = create_database(pg_server_url)
    try:
        result = core_admin(empty, tmp_path)
    finally:
        drop_database(pg_server_url, empty)
    assert result.returncode == 1
    assert "the schema is not at head (database at none (never migrated)" in result.stderr
    assert "run financy core migrate first" in result.stderr
    port = free_port()
    for url, code, said in [
        (f"postgresql://financy:hunter2secret@127.0.0.1:{port}/financy", 1, "the database is not reachable"),
        ("financy:hunter2secret@127.0.0.1/financy", 2, "FINANCY_DATABASE_URL is not a URL of the shape"),
        (f"postgresql://financy:hunter2secret@127.0.0.1:{port}x/financy", 2, "is not a URL of the shape"),
        ("mysql://financy:hunter2secret@127.0.0.1/financy", 2, "mysql://***@127.0.0.1/financy is not a"),
    ]:
        result = core_admin(url, tmp_path)
        assert result.returncode == code, result.stderr
        assert said in result.stderr
        assert "Traceback" not in result.stderr
        assert "hunter2secret" not in result.stdout + result.stderr
    assert not (tmp_path / "secrets").exists()
