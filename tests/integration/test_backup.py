"""``financy backup`` / ``financy restore`` on real PostgreSQL servers and object stores.

Sources: the embedded PostgreSQL 18 with a directory store, and the run's server
(``FINANCY_TEST_DATABASE_URL``: the machine's PostgreSQL 15 in CI's second pass; else the
embedded one) with a bucket on moto's S3 server. Each source database is migrated and filled
through the real service layer; the backup is restored into a NEW empty database and a new
store, and every table (all rows, all columns, every sequence) and every object is compared.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from financy.box.supervisor import ensure_box_edge
from financy.cli import main
from financy.core.adapters.backup import RESTORE_LOCK_KEY, Database, default_pg_bin_dir, inspect_database
from financy.core.adapters.migrate import alembic_config, upgrade
from financy.core.contracts.v1 import BudgetRequest, Intent, Understanding
from financy.core.settings import sqlalchemy_url
from financy.runtime.objects import (
    DirectoryStore,
    ObjectStore,
    S3Settings,
    S3Store,
    original_key,
)
from financy.runtime.services import EmbeddedPostgres, ensure_database
from tests.conftest import FIXTURES, create_database, drop_database
from tests.support.api import chat, new_user, spend
from tests.support.box import running_box
from tests.support.captures import dev_capture, said
from tests.support.ledger import ingest
from tests.support.media import cat_png
from tests.support.processes import financy_env, free_port
from tests.support.s3 import moto_server
from tests.support.tables import database_contents, row_counts

pytestmark = pytest.mark.integration

#: The packaged migrations' head revision (what a fresh backup records).
HEAD = ",".join(sorted(ScriptDirectory.from_config(alembic_config("postgresql://")).get_heads()))

DAY = dt.date(2026, 11, 28)
VOICE_NOTE = FIXTURES / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg"
RECEIPT = FIXTURES / "receipts" / "azure_contoso_cafe_photo.jpg"


def code_head() -> str:
    """The packaged migrations' head revision (what a backup of a migrated database records)."""
    from alembic.script import ScriptDirectory

    from financy.core.adapters.migrate import alembic_config

    (head,) = ScriptDirectory.from_config(alembic_config("postgresql://unused/")).get_heads()
    return str(head)


def cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``financy ARGS`` in this process with exactly the ``FINANCY_*`` settings of ``env``."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("FINANCY_"):
                mp.delenv(name)
        for name, value in env.items():
            mp.setenv(name, value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def fill(url: str) -> None:
    """Migrate the database at ``url`` and record real data through the service layer."""
    upgrade(sqlalchemy_url(url))
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        alice = new_user(engine)
        bob = new_user(engine, locale="en-US", currency="USD")
        chat(
            engine,
            alice,
            spend("45.90", DAY, "groceries", "mercado São João"),
            spend("12.00", DAY, "restaurants"),
        )
        chat(engine, bob, spend("9.99", DAY, "subscriptions", "netflix"))
        user = f"b{uuid.uuid4().hex[:8]}"
        ingest(
            engine,
            dev_capture(user, said(Intent.RECORD, transactions=[{"amount": "120", "category": "groceries"}])),
        )
        budget = BudgetRequest.model_validate({"amount": Decimal("800"), "category": "groceries"})
        ingest(
            engine,
            dev_capture(
                user, Understanding(language="pt", intent=Intent.BUDGET, confidence=0.9, budget=budget)
            ),
        )
        ensure_box_edge(engine, "local")
    finally:
        engine.dispose()


def put_objects(store: ObjectStore) -> dict[str, tuple[bytes, str]]:
    """Store a voice note, a receipt photo, a PNG and a model file; return key -> (bytes, type)."""
    objects = {
        original_key("local", str(uuid.uuid4()), "audio/ogg"): (VOICE_NOTE.read_bytes(), "audio/ogg"),
        original_key("local", str(uuid.uuid4()), "image/jpeg"): (RECEIPT.read_bytes(), "image/jpeg"),
        original_key("edge-2", str(uuid.uuid4()), "image/png"): (cat_png(size=64), "image/png"),
        "models/categories/2026-12-01T10-00-00/model.onnx": (
            secrets.token_bytes(50_000),
            "application/octet-stream",
        ),
        "models/categories/manifest.json": (b'{"version": "2026-12-01T10-00-00"}', "application/json"),
    }
    for key, (data, content_type) in objects.items():
        store.put(key, data, content_type)
    return objects


def store_contents(store: ObjectStore) -> dict[str, tuple[bytes, str]]:
    """Return every object of ``store`` as key -> (bytes, content type)."""
    return {key: (store.get(key), store.stat(key).content_type) for key in store.list("")}


@dataclass
class Source:
    """A filled source, its backup, and how to make a new empty target of the same kind."""

    name: str
    server_url: str
    database_url: str
    env: dict[str, str]
    backup: Path
    contents: dict[str, object]
    objects: dict[str, tuple[bytes, str]]
    new_store: Callable[[], tuple[dict[str, str], ObjectStore]]

    def new_database(self) -> str:
        """Return the URL of a new empty database on the source's server."""
        return create_database(self.server_url)


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("backup-pg"))
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3_host() -> Iterator[str]:
    with moto_server() as host:
        yield host


@pytest.fixture(scope="module")
def sources(
    embedded_server: str, pg_server_url: str, s3_host: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Source]]:
    """Return ``get(name)``: the source ``embedded`` (PostgreSQL 18, directory store) or ``server``
    (the run's server, S3 bucket), filled and backed up once per module."""
    made: dict[str, Source] = {}
    databases: list[tuple[str, str]] = []

    def directory_store() -> tuple[dict[str, str], ObjectStore]:
        root = tmp_path_factory.mktemp("data")
        return {"FINANCY_DATA_DIR": str(root)}, DirectoryStore(root / "objects")

    def bucket() -> tuple[dict[str, str], ObjectStore]:
        name = f"backup-{secrets.token_hex(4)}"
        env = {
            "FINANCY_S3__ENDPOINT": s3_host,
            "FINANCY_S3__ACCESS_KEY": "testing",
            "FINANCY_S3__SECRET_KEY": "testing",
            "FINANCY_S3__BUCKET": name,
        }
        settings = S3Settings(endpoint=s3_host, access_key="testing", secret_key="testing", bucket=name)  # type: ignore[arg-type]
        return env, S3Store(settings)

    def get(name: str) -> Source:
        if name in made:
            return made[name]
        server_url = embedded_server if name == "embedded" else pg_server_url
        new_store = directory_store if name == "embedded" else bucket
        url = create_database(server_url)
        databases.append((server_url, url))
        fill(url)
        store_env, store = new_store()
        objects = put_objects(store)
        env = {"FINANCY_DATABASE_URL": url, **store_env}
        backup = tmp_path_factory.mktemp("backups") / f"{name}-2026-12-03T10-00-00Z"
        code, out, err = cli("backup", str(backup), env=env)
        assert code == 0, err
        assert out.splitlines()[-1].startswith(f"Backup written to {backup}: database at revision ")
        made[name] = Source(name, server_url, url, env, backup, database_contents(url), objects, new_store)
        return made[name]

    yield get
    for server_url, url in databases:
        drop_database(server_url, url)


@pytest.fixture
def target(
    sources: Callable[[str], Source],
) -> Iterator[Callable[[Source], tuple[str, dict[str, str], ObjectStore]]]:
    """Return ``new(source)``: a new empty database and store (url, env, store), dropped afterwards."""
    made: list[tuple[str, str]] = []

    def new(source: Source) -> tuple[str, dict[str, str], ObjectStore]:
        url = source.new_database()
        made.append((source.server_url, url))
        store_env, store = source.new_store()
        return url, {"FINANCY_DATABASE_URL": url, **store_env}, store

    yield new
    for server_url, url in made:
        drop_database(server_url, url)


def assert_untouched(url: str, store: ObjectStore) -> None:
    """The target database holds nothing of its own and the store no object."""
    assert inspect_database(Database.from_url(url)).user_objects == []
    assert store.list("") == []


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", ["embedded", "server"])
def test_a_backup_restores_every_row_of_every_table_and_every_object(
    name: str,
    sources: Callable[[str], Source],
    target: Callable[..., tuple[str, dict[str, str], ObjectStore]],
) -> None:
    source = sources(name)
    counts = row_counts(source.contents)
    filled = sorted(table for table, n in counts.items() if n)
    assert len(filled) >= 12, counts  # real rows in many tables, not a toy schema
    assert counts["fx_rates"] > 1000
    assert counts["transactions"] == 4
    assert counts["budgets"] == 1

    manifest = json.loads((source.backup / "manifest.json").read_text())
    assert manifest["format"] == "financy-backup"
    assert manifest["format_version"] == 1
    assert manifest["alembic_revision"] == code_head()
    assert manifest["source"]["kind"] == "server"
    assert manifest["pg_dump_major"] >= manifest["source"]["server_version_num"] // 10000
    assert {(o["key"], o["size"], o["content_type"]) for o in manifest["objects"]} == {
        (key, len(data), ctype) for key, (data, ctype) in source.objects.items()
    }
    assert not source.backup.with_name(source.backup.name + ".partial").exists()

    url, env, store = target(source)
    code, out, err = cli("restore", str(source.backup), env=env)
    assert code == 0, err
    assert out.splitlines()[-1].startswith(f"Restored {source.backup} (made ")

    restored = database_contents(url)
    assert sorted(restored) == sorted(source.contents)
    for key in source.contents:
        assert restored[key] == source.contents[key], key
    assert store_contents(store) == source.objects


def test_a_backup_of_a_stopped_box_restores_into_a_new_box_data_dir(
    sources: Callable[[str], Source], tmp_path: Path
) -> None:
    """``--data-dir``: the box's embedded PostgreSQL is started for the backup and the restore."""
    box = tmp_path / "old-box"
    postgres = EmbeddedPostgres(box)
    url = ensure_database(postgres.start(), "financy")
    try:
        fill(url)
        objects = put_objects(DirectoryStore(box / "objects"))
        before = database_contents(url)
    finally:
        postgres.stop()
    backup = tmp_path / "backups" / "box"
    code, _, err = cli("backup", str(backup), "--data-dir", str(box), env={})
    assert code == 0, err
    assert json.loads((backup / "manifest.json").read_text())["source"]["kind"] == "box"

    new_box = tmp_path / "new-box"
    code, _out, err = cli("restore", str(backup), "--data-dir", str(new_box), env={})
    assert code == 0, err
    assert store_contents(DirectoryStore(new_box / "objects")) == objects
    restored = EmbeddedPostgres(new_box)
    server = restored.start()
    try:
        url = ensure_database(server, "financy")
        assert database_contents(url) == before
        # What `financy up` does first on the restored box: migrate (nothing to do) and find its
        # edge, whose origin key is the one captures already in edge outboxes are signed with.
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
        try:
            key = ensure_box_edge(engine, "local")
        finally:
            engine.dispose()
        assert database_contents(url) == before
    finally:
        restored.stop()
    (edges,) = [rows for name, (_, rows) in before.items() if name == "table:edges"]  # type: ignore[misc]
    assert key in edges[0]
    # A second restore into the same box is refused: its database is not empty any more.
    code, _, err = cli("restore", str(backup), "--data-dir", str(new_box), env={})
    assert code == 1
    assert "is not empty" in err
    assert "public.alembic_version (table)" in err


# --------------------------------------------------------------------------- refusals


def damaged_copy(source: Source, tmp_path: Path, damage: Callable[[Path], None]) -> Path:
    copy = tmp_path / "damaged"
    shutil.copytree(source.backup, copy)
    damage(copy)
    return copy


def flip_a_byte_of_the_dump(backup: Path) -> None:
    dump = backup / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))


def remove_an_object(backup: Path) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    (backup / manifest["objects"][1]["path"]).unlink()


def truncate_the_manifest(backup: Path) -> None:
    path = backup / "manifest.json"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def make_it_a_newer_format(backup: Path) -> None:
    path = backup / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 2
    manifest["financy_version"] = "9.0.0"
    path.write_text(json.dumps(manifest))


def make_it_a_migration_we_do_not_know(backup: Path) -> None:
    path = backup / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["alembic_revision"] = "0099"
    manifest["financy_version"] = "0.9.0"
    path.write_text(json.dumps(manifest))


def change_an_object(backup: Path) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    path = backup / manifest["objects"][0]["path"]
    path.write_bytes(path.read_bytes()[:-1] + b"X")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (flip_a_byte_of_the_dump, "database.dump does not match its sha256 (the file is corrupted)"),
        (remove_an_object, "is missing (objects/"),
        (change_an_object, "does not match its sha256"),
        (truncate_the_manifest, "manifest.json is not valid JSON"),
        (make_it_a_newer_format, "is a backup of format version 2 (made by Financy 9.0.0)"),
        (make_it_a_migration_we_do_not_know, "at migration '0099', which this Financy does not know"),
    ],
)
def test_a_damaged_or_newer_backup_is_refused_before_anything_is_changed(
    damage: Callable[[Path], None],
    message: str,
    sources: Callable[[str], Source],
    target: Callable[..., tuple[str, dict[str, str], ObjectStore]],
    tmp_path: Path,
) -> None:
    source = sources("embedded")
    backup = damaged_copy(source, tmp_path, damage)
    url, env, store = target(source)
    code, out, err = cli("restore", str(backup), env=env)
    assert code == 1
    assert err.startswith("financy restore: ")
    assert message in err, err
    assert "Restoring" not in out
    assert_untouched(url, store)


def test_an_unfinished_backup_is_refused(
    sources: Callable[[str], Source],
    target: Callable[..., tuple[str, dict[str, str], ObjectStore]],
    tmp_path: Path,
) -> None:
    source = sources("embedded")
    partial = tmp_path / "nightly.partial"
    shutil.copytree(source.backup, partial)
    url, env, store = target(source)
    code, _, err = cli("restore", str(partial), env=env)
    assert code == 1
    assert "is an unfinished backup" in err
    (partial / "manifest.json").unlink()
    code, _, err = cli("restore", str(tmp_path / "nightly"), env=env)
    assert code == 1
    assert "is not a directory holding a backup" in err
    assert_untouched(url, store)


def test_a_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
    sources: Callable[[str], Source], target: Callable[..., tuple[str, dict[str, str], ObjectStore]]
) -> None:
    source = sources("embedded")
    url, env, store = target(source)
    upgrade(sqlalchemy_url(url))
    before = database_contents(url)
    code, _out, err = cli("restore", str(source.backup), env=env)
    assert code == 1
    assert "is not empty" in err
    assert "public.alembic_version (table)" in err
    assert "more); a restore goes only into an empty database" in err
    assert database_contents(url) == before
    assert store.list("") == []


def test_a_restore_into_a_store_holding_other_bytes_under_a_key_is_refused(
    sources: Callable[[str], Source], target: Callable[..., tuple[str, dict[str, str], ObjectStore]]
) -> None:
    source = sources("embedded")
    url, env, store = target(source)
    key = next(iter(source.objects))
    store.put(key, b"other bytes", "audio/ogg")
    code, _, err = cli("restore", str(source.backup), env=env)
    assert code == 1
    assert "already holds other bytes under 1 of the backup's keys" in err
    assert inspect_database(Database.from_url(url)).user_objects == []
    assert store.list("") == [key]


def test_a_backup_into_an_existing_directory_is_refused(
    sources: Callable[[str], Source], tmp_path: Path
) -> None:
    source = sources("embedded")
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("keep me")
    code, _, err = cli("backup", str(existing), env=source.env)
    assert code == 1
    assert f"{existing} already exists and is not empty" in err
    assert [p.name for p in existing.iterdir()] == ["notes.txt"]
    assert not (tmp_path / "existing.partial").exists()
    # An empty directory (made ahead by a script, say) is fine: the backup lands in it.
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = cli("backup", str(empty), env=source.env)
    assert code == 0, err
    assert sorted(p.name for p in empty.iterdir()) == ["database.dump", "manifest.json", "objects"]


def test_a_failed_backup_leaves_nothing_behind(sources: Callable[[str], Source], tmp_path: Path) -> None:
    source = sources("embedded")
    env = {**source.env, "FINANCY_DATABASE_URL": source.database_url.rsplit("/", 1)[0] + "/no_such_database"}
    code, _, err = cli("backup", str(tmp_path / "b"), env=env)
    assert code == 1
    assert "cannot connect to the database" in err
    assert "no_such_database" in err
    assert list(tmp_path.iterdir()) == []
    not_financy = create_database(source.server_url)
    try:
        code, _, err = cli(
            "backup", str(tmp_path / "b"), env={**source.env, "FINANCY_DATABASE_URL": not_financy}
        )
    finally:
        drop_database(source.server_url, not_financy)
    assert code == 1
    assert "has no alembic_version: it is not a Financy database" in err
    assert list(tmp_path.iterdir()) == []


def test_tools_that_are_missing_are_named(sources: Callable[[str], Source], tmp_path: Path) -> None:
    source = sources("embedded")
    code, _, err = cli(
        "backup", str(tmp_path / "b"), env={**source.env, "FINANCY_BACKUP__PG_BIN_DIR": str(tmp_path)}
    )
    assert code == 1
    assert f"pg_dump, pg_restore, psql not found in {tmp_path} (FINANCY_BACKUP__PG_BIN_DIR)" in err


# --------------------------------------------------------------------------- a running box


def _financy(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "financy.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.e2e
def test_a_running_box_is_backed_up_while_it_serves_and_restores_into_a_new_box(tmp_path: Path) -> None:
    """GIVEN a running box with a real message and an original in its store WHEN ``financy backup
    --data-dir`` runs beside it while another message comes in THEN the box keeps answering, a
    restore into it is refused, and the backup restores into a new box's data directory."""
    backup = tmp_path / "backups" / "box-now"
    (tmp_path / "box").mkdir()
    with running_box(tmp_path / "box", redis_db=11) as box:
        sent = _financy(box.env, "send", "gastei 45,90 no mercado ontem", "--edge-url", box.edge)
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.startswith("✅ R$ 45,90 · mercado"), sent.stdout
        # An original as the box's edge keeps one (its store is the data directory's objects/).
        photo = original_key("local", str(uuid.uuid4()), "image/jpeg")
        DirectoryStore(box.data_dir / "objects").put(photo, RECEIPT.read_bytes(), "image/jpeg")
        taking = subprocess.Popen(
            [sys.executable, "-m", "financy.cli", "backup", str(backup), "--data-dir", str(box.data_dir)],
            env=box.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        during = _financy(box.env, "send", "cinema 30", "--edge-url", box.edge)
        out, err = taking.communicate(timeout=120)
        assert taking.returncode == 0, err
        assert out.splitlines()[-1].startswith(
            f"Backup written to {backup}: database at revision {code_head()}"
        )
        assert during.returncode == 0, during.stderr
        assert during.stdout.startswith("✅ R$ 30,00"), during.stdout
        assert httpx.get(f"{box.api}/readyz", timeout=5).status_code == 200

        refused = _financy(financy_env(), "restore", str(backup), "--data-dir", str(box.data_dir))
        assert refused.returncode == 1
        assert f"a box is running on {box.data_dir}" in refused.stderr
        box_objects = store_contents(DirectoryStore(box.data_dir / "objects"))

    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["source"]["kind"] == "box"
    assert manifest["objects"][0]["key"] == photo  # captures/ sorts before models/
    assert (manifest["objects"][0]["content_type"], manifest["objects"][0]["size"]) == (
        "image/jpeg",
        RECEIPT.stat().st_size,
    )
    backed_up = [entry["key"] for entry in manifest["objects"]]

    new_box = tmp_path / "restored"
    restored = _financy(financy_env(), "restore", str(backup), "--data-dir", str(new_box))
    assert restored.returncode == 0, restored.stderr
    assert store_contents(DirectoryStore(new_box / "objects")) == {k: box_objects[k] for k in backed_up}
    postgres = EmbeddedPostgres(new_box)
    url = ensure_database(postgres.start(), "financy")
    try:
        with psycopg.connect(url) as conn:
            amounts = conn.execute("SELECT amount, currency, merchant FROM transactions").fetchall()
            admins = conn.execute("SELECT username FROM users").fetchall()
    finally:
        postgres.stop()
    assert ("45.9000", "BRL", "mercado") in [(str(a), c, m) for a, c, m in amounts]
    assert ("admin",) in admins


# --------------------------------------------------------------------------- hostile conditions


def test_a_backup_where_it_cannot_or_must_not_be_written_is_refused_and_writes_nothing(
    sources: Callable[[str], Source], tmp_path: Path
) -> None:
    source = sources("embedded")
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me")
    code, _, err = cli("backup", str(a_file), env=source.env)
    assert (code, a_file.read_text()) == (1, "keep me")
    assert f"{a_file} already exists and is not empty" in err
    code, _, err = cli("backup", str(a_file / "nightly"), env=source.env)
    assert code == 1
    assert err.startswith(f"financy backup: cannot create {a_file}: ")  # a clear refusal, no traceback
    objects = Path(source.env["FINANCY_DATA_DIR"]) / "objects"
    before = sorted(p.relative_to(objects) for p in objects.rglob("*"))
    code, _, err = cli("backup", str(objects / "backups" / "nightly"), env=source.env)
    assert code == 1
    assert f"is inside the object store dir:{objects}" in err
    assert sorted(p.relative_to(objects) for p in objects.rglob("*")) == before


def test_a_backup_is_private_to_its_owner(sources: Callable[[str], Source]) -> None:
    backup = sources("embedded").backup
    for path in [backup, *backup.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), path


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_an_interrupted_backup_leaves_no_partial_directory(
    sources: Callable[[str], Source], tmp_path: Path, signal_name: str
) -> None:
    """Ctrl-C or ``docker stop`` while pg_dump runs: the unfinished backup is removed, exit 130."""
    real = default_pg_bin_dir()
    assert real is not None
    tools = tmp_path / "bin"  # the real tools; pg_dump writes a little, then takes its time
    tools.mkdir()
    for name in ("pg_restore", "psql"):
        (tools / name).symlink_to(real / name)
    (tools / "pg_dump").write_text(
        f'#!/bin/sh\n[ "$1" = --version ] && exec {real / "pg_dump"} --version\n'
        'for a in "$@"; do case "$a" in --file=*) echo partial > "${a#--file=}";; esac; done\nexec sleep 60\n'
    )
    (tools / "pg_dump").chmod(0o755)
    target = tmp_path / "nightly"
    env = financy_env(**sources("embedded").env, FINANCY_BACKUP__PG_BIN_DIR=str(tools))
    process = subprocess.Popen(
        [sys.executable, "-m", "financy.cli", "backup", str(target)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    dump = tmp_path / "nightly.partial" / "database.dump"
    deadline = time.monotonic() + 60
    while not dump.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dump.exists(), process.communicate(timeout=5)
    process.send_signal(getattr(signal, signal_name))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted; the unfinished backup was removed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


def test_a_restore_follows_no_symbolic_link_out_of_the_backup(
    sources: Callable[[str], Source],
    target: Callable[[Source], tuple[str, dict[str, str], ObjectStore]],
    tmp_path: Path,
) -> None:
    """A backup whose dump is a link to another (valid, verified) dump elsewhere is refused."""
    source = sources("embedded")
    copy = tmp_path / "copy"
    shutil.copytree(source.backup, copy, symlinks=True)
    outside = tmp_path / "elsewhere.dump"
    (copy / "database.dump").rename(outside)
    (copy / "database.dump").symlink_to(outside)
    url, env, store = target(source)
    code, _, err = cli("restore", str(copy), env=env)
    assert code == 1
    assert "database.dump is a symbolic link or below one (never followed)" in err
    assert_untouched(url, store)


def test_a_restore_into_an_unreachable_database_changes_nothing_and_names_no_password(
    sources: Callable[[str], Source], tmp_path: Path
) -> None:
    source = sources("embedded")
    port = free_port()
    env = {**source.env, "FINANCY_DATABASE_URL": f"postgresql://financy:hunter2secret@127.0.0.1:{port}/x"}
    env["FINANCY_DATA_DIR"] = str(tmp_path / "data")
    code, out, err = cli("restore", str(source.backup), env=env)
    assert code == 1
    assert f"cannot connect to the database host=127.0.0.1 port={port} dbname=x user=financy" in err
    assert "hunter2secret" not in out + err
    assert (
        not (tmp_path / "data" / "objects").exists() or list((tmp_path / "data" / "objects").iterdir()) == []
    )
    assert "hunter2secret" not in (source.backup / "manifest.json").read_text()


def test_a_second_restore_into_the_same_database_is_refused_while_one_runs(
    sources: Callable[[str], Source],
    target: Callable[[Source], tuple[str, dict[str, str], ObjectStore]],
) -> None:
    """A restore holds an advisory lock on its target: another one (here: this session holds it) is refused."""
    source = sources("embedded")
    url, env, store = target(source)
    with psycopg.connect(Database.from_url(url).conninfo, autocommit=True) as running:
        running.execute("SELECT pg_advisory_lock(%s)", (RESTORE_LOCK_KEY,))
        code, _, err = cli("restore", str(source.backup), env=env)
    assert code == 1
    assert "another restore is running into the database" in err
    assert_untouched(url, store)
    code, _, err = cli("restore", str(source.backup), env=env)  # once it is over, the restore goes ahead
    assert code == 0, err
