"""The backup manifest and the checks a restore makes before touching anything (no database here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from financy.core.adapters.backup import Database, compatible_script, default_pg_bin_dir, find_pg_tools
from financy.core.adapters.backup_manifest import (
    FORMAT_VERSION,
    BackupError,
    FileEntry,
    Manifest,
    ObjectEntry,
    SourceInfo,
    open_in_backup,
    read_manifest,
    verify_backup,
)

DUMP = b"PGDMP" + bytes(range(256)) * 8
OBJECTS = {
    "captures/local/0193/original.ogg": (b"OggS" + b"\x00" * 300, "audio/ogg"),
    "models/categories/manifest.json": (b'{"version": "1"}', "application/json"),
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_backup(directory: Path, **changes: object) -> Path:
    """Write a small, valid backup into ``directory`` (the manifest's fields replaced by ``changes``)."""
    directory.mkdir(parents=True)
    (directory / "database.dump").write_bytes(DUMP)
    objects = []
    for key, (data, content_type) in OBJECTS.items():
        path = directory / "objects" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        objects.append(
            ObjectEntry(
                key=key, path=f"objects/{key}", size=len(data), sha256=_sha(data), content_type=content_type
            )
        )
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        created_at=dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC),
        financy_version="0.1.0",
        alembic_revision="0014",
        source=SourceInfo(
            kind="box",
            database="host=/var/lib/financy/postgres dbname=financy user=postgres",
            server_version="18.6",
            server_version_num=180006,
            object_store="dir:/var/lib/financy/objects",
        ),
        pg_dump_version="pg_dump (PostgreSQL) 18.6",
        pg_dump_major=18,
        files=[FileEntry(path="database.dump", size=len(DUMP), sha256=_sha(DUMP))],
        objects=objects,
    )
    data = manifest.model_dump(mode="json")
    data.update(changes)
    (directory / "manifest.json").write_text(json.dumps(data, indent=2))
    return directory


def test_a_whole_backup_verifies_and_its_manifest_says_what_is_in_it(tmp_path: Path) -> None:
    manifest = verify_backup(make_backup(tmp_path / "b"))
    assert manifest.alembic_revision == "0014"
    assert manifest.database_entry().size == len(DUMP)
    assert [o.key for o in manifest.objects] == list(OBJECTS)
    assert manifest.objects_size() == sum(len(d) for d, _ in OBJECTS.values())
    assert manifest.created_at == dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)


def test_a_flipped_byte_is_found_and_named(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b")
    dump = bytearray(DUMP)
    dump[100] ^= 0x80
    (backup / "database.dump").write_bytes(bytes(dump))
    with pytest.raises(
        BackupError, match=r"database.dump does not match its sha256 \(the file is corrupted\)"
    ):
        verify_backup(backup)


def test_a_truncated_file_and_a_missing_object_are_both_named(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b")
    (backup / "database.dump").write_bytes(DUMP[:-10])
    (backup / "objects" / "models" / "categories" / "manifest.json").unlink()
    with pytest.raises(BackupError) as caught:
        verify_backup(backup)
    message = str(caught.value)
    assert message.startswith(f"the backup in {backup} is damaged, nothing was restored: ")
    assert f"database.dump has {len(DUMP) - 10} bytes, the manifest says {len(DUMP)}" in message
    assert (
        "object 'models/categories/manifest.json' is missing (objects/models/categories/manifest.json)"
        in message
    )


def test_a_truncated_manifest_is_refused(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b")
    text = (backup / "manifest.json").read_text()
    (backup / "manifest.json").write_text(text[: len(text) // 3])
    with pytest.raises(BackupError, match=r"is not valid JSON .*damaged or truncated"):
        read_manifest(backup)


def test_a_newer_format_is_refused_with_the_version_that_made_it(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b", format_version=FORMAT_VERSION + 1, financy_version="2.0.0")
    with pytest.raises(BackupError) as caught:
        read_manifest(backup)
    assert str(caught.value) == (
        f"{backup} is a backup of format version {FORMAT_VERSION + 1} (made by Financy 2.0.0); this "
        f"Financy reads format versions up to {FORMAT_VERSION}: restore it with that Financy version or newer"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "something-else"}, "is not the manifest of a Financy backup"),
        ({"alembic_revision": None}, "is damaged: alembic_revision: Input should be a valid string"),
        ({"files": []}, "the manifest lists no database.dump"),
        ({"unknown": 1}, "is damaged: unknown: Extra inputs are not permitted"),
    ],
)
def test_a_manifest_that_is_not_ours_or_edited_is_refused(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    backup = make_backup(tmp_path / "b", **changes)
    with pytest.raises(BackupError, match=message):
        read_manifest(backup)


def test_an_object_key_pointing_outside_the_backup_is_refused(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b")
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["objects"][0].update(key="../../etc/passwd", path="objects/../../etc/passwd")
    (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="names an object key that is not allowed: invalid_key"):
        read_manifest(backup)
    manifest["objects"][0].update(key="captures/a/b", path="database.dump")
    (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        BackupError, match=re.escape("object 'captures/a/b' is said to be in 'database.dump'")
    ):
        read_manifest(backup)


def test_a_partial_or_missing_backup_is_refused(tmp_path: Path) -> None:
    partial = make_backup(tmp_path / "nightly.partial")
    with pytest.raises(BackupError, match="is an unfinished backup"):
        read_manifest(partial)
    with pytest.raises(BackupError, match="is not a directory holding a backup"):
        read_manifest(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(
        BackupError, match=re.escape("has no manifest.json: it is not a backup, or an incomplete one")
    ):
        read_manifest(tmp_path / "empty")


SCRIPT = [
    b"SET statement_timeout = 0;\n",
    b"SET transaction_timeout = 0;\n",
    b"SET client_encoding = 'UTF8';\n",
    b"COPY public.notes (id, body) FROM stdin;\n",
    b"1\tSET transaction_timeout = 0;\n",
    b"\\.\n",
    b"SET transaction_timeout = 0;\n",
]


def test_the_script_for_postgresql_15_leaves_out_settings_it_does_not_have_but_never_data() -> None:
    assert list(compatible_script(SCRIPT, 150020)) == [
        b"SET statement_timeout = 0;\n",
        b"SET client_encoding = 'UTF8';\n",
        b"COPY public.notes (id, body) FROM stdin;\n",
        b"1\tSET transaction_timeout = 0;\n",
        b"\\.\n",
    ]
    assert list(compatible_script(SCRIPT, 170000)) == SCRIPT
    assert list(compatible_script(SCRIPT, 180006)) == SCRIPT


def test_column_options_only_a_patched_server_has_are_left_out() -> None:
    script = [
        b"ALTER TABLE ONLY public.alembic_version ALTER COLUMN version_num SET (pg_attver=168845880);\n",
        b"ALTER TABLE ONLY public.t ALTER COLUMN c SET (n_distinct=-0.5, pg_attver=1);\n",
        b"ALTER TABLE ONLY public.t ALTER COLUMN d SET (n_distinct_inherited=100);\n",
        b"COPY public.notes (id, body) FROM stdin;\n",
        b"2\tALTER TABLE ONLY public.x ALTER COLUMN y SET (pg_attver=1);\n",
        b"\\.\n",
    ]
    assert list(compatible_script(script, 180006)) == [
        b"ALTER TABLE ONLY public.t ALTER COLUMN c SET (n_distinct=-0.5);\n",
        b"ALTER TABLE ONLY public.t ALTER COLUMN d SET (n_distinct_inherited=100);\n",
        *script[3:],
    ]


def test_a_database_url_keeps_its_password_off_the_command_line() -> None:
    db = Database.from_url("postgresql+psycopg://financy:s3cr%40t@db.internal:6432/ledger?sslmode=require")
    assert "s3cr" not in db.conninfo
    assert "sslmode=require" in db.conninfo
    assert db.env == {"PGPASSWORD": "s3cr@t"}
    assert db.description == "host=db.internal port=6432 dbname=ledger user=financy"
    box = Database.from_url("postgresql://postgres:@/financy?host=/var/lib/financy/postgres")
    assert box.env == {}
    assert box.description == "host=/var/lib/financy/postgres dbname=financy user=postgres"
    with pytest.raises(BackupError, match="is not a PostgreSQL URL"):
        Database.from_url("postgresql://a b@/x?nonsense")


def test_the_tools_are_found_with_their_version_or_named_when_missing(tmp_path: Path) -> None:
    found = default_pg_bin_dir()
    assert found is not None
    tools = find_pg_tools()
    assert tools.bin_dir == found
    assert tools.major >= 15
    assert tools.version.startswith("pg_dump (PostgreSQL) ")
    (tmp_path / "pg_dump").write_text("")
    with pytest.raises(BackupError, match=f"pg_restore, psql not found in {tmp_path}"):
        find_pg_tools(tmp_path)


def _edit_manifest(backup: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    edit(manifest)
    (backup / "manifest.json").write_text(json.dumps(manifest))


def test_a_manifest_naming_a_file_outside_the_backup_is_refused_without_reading_it(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"not for a restore")
    for path in (str(secret), "../secret", "objects/../../secret"):
        backup = make_backup(tmp_path / f"b{len(path)}")
        _edit_manifest(
            backup, lambda m, p=path: m["files"].append({"path": p, "size": 1, "sha256": "0" * 64})
        )
        with pytest.raises(BackupError, match=re.escape("it must list the one file database.dump")) as caught:
            verify_backup(backup)
        assert "17 bytes" not in str(caught.value)  # the size of the file outside is never told


def test_an_object_listed_twice_or_with_a_content_type_the_store_refuses_is_refused(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "twice")
    _edit_manifest(backup, lambda m: m["objects"].append(dict(m["objects"][0])))
    with pytest.raises(
        BackupError, match=re.escape("object 'captures/local/0193/original.ogg' is listed twice")
    ):
        read_manifest(backup)
    backup = make_backup(tmp_path / "ctype")
    _edit_manifest(backup, lambda m: m["objects"][1].update(content_type="text/plain\r\nX-Evil: 1"))
    with pytest.raises(BackupError, match=r"invalid_content_type: content type .* is not a media type"):
        read_manifest(backup)


def test_a_manifest_nested_too_deep_is_refused_as_damaged(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b")
    (backup / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BackupError, match="is not valid JSON"):
        read_manifest(backup)


@pytest.mark.parametrize("link", ["object", "folder", "dump"])
def test_a_symbolic_link_in_the_backup_is_never_followed(tmp_path: Path, link: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    backup = make_backup(tmp_path / "b")
    key = "captures/local/0193/original.ogg"
    if link == "object":  # the link points at a file with exactly the bytes the manifest expects
        (outside / "original.ogg").write_bytes(OBJECTS[key][0])
        (backup / "objects" / key).unlink()
        (backup / "objects" / key).symlink_to(outside / "original.ogg")
    elif link == "folder":
        (outside / "0193").mkdir()
        (backup / "objects" / key).rename(outside / "0193" / "original.ogg")
        (backup / "objects" / "captures" / "local" / "0193").rmdir()
        (backup / "objects" / "captures" / "local" / "0193").symlink_to(outside / "0193")
    else:
        (backup / "database.dump").rename(outside / "database.dump")
        (backup / "database.dump").symlink_to(outside / "database.dump")
    with pytest.raises(BackupError, match="is a symbolic link or below one \\(never followed\\)"):
        verify_backup(backup)
    with pytest.raises(OSError, match=r"Too many levels of symbolic links|Not a directory"):
        os.close(open_in_backup(backup, "database.dump" if link == "dump" else f"objects/{key}"))
