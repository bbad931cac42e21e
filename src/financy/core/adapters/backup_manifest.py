"""The manifest of a Financy backup and the checks a restore makes before it touches anything.

A backup is a directory::

    DIR/manifest.json        what is in the backup (:class:`Manifest`), written last
    DIR/database.dump        pg_dump's custom format (``pg_restore`` reads it)
    DIR/objects/<key>        every object of the store, byte for byte, under its own key

It is written into ``DIR.partial`` and renamed to ``DIR`` once complete, so a directory named
``DIR`` with a manifest is a whole backup; :func:`verify_backup` checks that every file the
manifest names is there with its size and sha256 before a restore starts.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from financy.runtime.objects import ObjectStoreError, validate_content_type, validate_key

#: The format this Financy writes and the newest it reads.
FORMAT_VERSION = 1
FORMAT_NAME = "financy-backup"
MANIFEST_NAME = "manifest.json"
DATABASE_FILE = "database.dump"
OBJECTS_DIR = "objects"
PARTIAL_SUFFIX = ".partial"
_CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup or restore was refused or failed; the message says why and what to do.

    Raised before anything was changed unless the message says otherwise.
    """


class FileEntry(BaseModel):
    """One file of the backup: ``path`` relative to the backup directory, ``size`` in bytes, hex sha256."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ObjectEntry(FileEntry):
    """One object of the store: its ``key``, ``content_type``, and the file holding its bytes."""

    key: str
    content_type: str


class SourceInfo(BaseModel):
    """Where the backup came from: ``kind`` ``box`` (a single box's data directory) or ``server``
    (``FINANCY_DATABASE_URL``), the database without credentials, its server version and the
    object store (``dir:/path`` or ``s3://bucket@host``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["box", "server"]
    database: str
    server_version: str
    server_version_num: int
    object_store: str


class Manifest(BaseModel):
    """``manifest.json``: format, when and by which Financy it was made, the Alembic revision of
    the database, the source, the tools, the database file and every object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["financy-backup"] = "financy-backup"
    format_version: int = Field(ge=1)
    created_at: dt.datetime
    financy_version: str
    alembic_revision: str
    source: SourceInfo
    pg_dump_version: str
    pg_dump_major: int
    files: list[FileEntry]
    objects: list[ObjectEntry]

    def database_entry(self) -> FileEntry:
        """Return the entry of ``database.dump``.

        Raises:
            BackupError: the manifest lists no database file.
        """
        for entry in self.files:
            if entry.path == DATABASE_FILE:
                return entry
        raise BackupError(f"the manifest lists no {DATABASE_FILE}: this is not a Financy backup")

    def objects_size(self) -> int:
        """Return the bytes of all objects together."""
        return sum(entry.size for entry in self.objects)


def sha256_file(path: Path) -> tuple[int, str]:
    """Return ``(size in bytes, hex sha256)`` of the file at ``path`` (read in 1 MiB chunks).

    Raises:
        OSError: the file cannot be read.
    """
    with path.open("rb") as handle:
        return _sha256_handle(handle.fileno())


def _sha256_handle(fd: int) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while chunk := os.read(fd, _CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def open_in_backup(directory: Path, relative: str) -> int:
    """Return a read-only file descriptor of the regular file ``directory/relative``; the caller closes it.

    No symbolic link is followed below ``directory`` (each folder is opened with ``O_NOFOLLOW``
    relative to the one above), so a link planted in a backup cannot make a restore read a file
    outside it. ``relative`` is a manifest path (``database.dump``, ``objects/<key>``).

    Raises:
        FileNotFoundError: there is no such file.
        OSError: a part of the path is a symbolic link (``ELOOP``/``ENOTDIR``), the file is not a
            regular file, or it cannot be opened.
    """
    parts = relative.split("/")
    if relative.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise OSError(f"{relative!r} is not a path inside the backup")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    folder = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            below = os.open(part, flags | os.O_DIRECTORY, dir_fd=folder)
            os.close(folder)
            folder = below
        fd = os.open(parts[-1], flags | os.O_NONBLOCK, dir_fd=folder)
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{relative} is not a regular file")
    os.set_blocking(fd, True)
    return fd


def object_path(key: str) -> str:
    """Return the path in a backup of the object ``key`` (``objects/<key>``).

    Raises:
        BackupError: ``key`` is not a valid object key (it could point outside the backup).
    """
    try:
        validate_key(key)
    except ObjectStoreError as exc:
        raise BackupError(f"the manifest names an object key that is not allowed: {exc}") from exc
    return f"{OBJECTS_DIR}/{key}"


def read_manifest(directory: Path) -> Manifest:
    """Read and check ``directory/manifest.json`` (no file contents are verified here).

    Raises:
        BackupError: ``directory`` is missing, is an unfinished ``.partial`` backup, has no manifest,
            or the manifest is not valid JSON of the format (truncated, edited), or is of a newer
            format version than this Financy reads.
    """
    if directory.name.endswith(PARTIAL_SUFFIX):
        raise BackupError(
            f"{directory} is an unfinished backup (a backup writes into NAME{PARTIAL_SUFFIX} and renames "
            "it when complete); it cannot be restored — use a complete backup"
        )
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a directory holding a backup")
    path = directory / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BackupError(
            f"{directory} has no {MANIFEST_NAME}: it is not a backup, or an incomplete one"
        ) from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BackupError(
            f"{path} is not valid JSON ({exc}); the manifest is damaged or truncated, refusing the backup"
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise BackupError(f'{path} is not the manifest of a Financy backup (no "format": "{FORMAT_NAME}")')
    version = data.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise BackupError(
            f"{directory} is a backup of format version {version} (made by Financy "
            f"{data.get('financy_version', '?')}); this Financy reads format versions up to "
            f"{FORMAT_VERSION}: restore it with that Financy version or newer"
        )
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise BackupError(f"{path} is damaged: {where}: {first['msg']}") from exc
    if [entry.path for entry in manifest.files] != [DATABASE_FILE]:
        manifest.database_entry()
        raise BackupError(
            f"{path} is damaged: it must list the one file {DATABASE_FILE}, it lists "
            f"{', '.join(repr(entry.path[:80]) for entry in manifest.files[:5])}"
        )
    keys: set[str] = set()
    for entry in manifest.objects:
        if entry.path != object_path(entry.key):
            raise BackupError(f"{path} is damaged: object {entry.key!r} is said to be in {entry.path!r}")
        if entry.key in keys:
            raise BackupError(f"{path} is damaged: object {entry.key!r} is listed twice")
        keys.add(entry.key)
        try:
            validate_content_type(entry.content_type)
        except ObjectStoreError as exc:
            raise BackupError(f"{path} is damaged: object {entry.key!r}: {exc}") from exc
    return manifest


def verify_backup(directory: Path) -> Manifest:
    """Return the manifest of the backup in ``directory`` once every file it names checks out.

    Every file is read (through :func:`open_in_backup`: a symbolic link is a damaged file, never
    followed): its size and sha256 must be those of the manifest. Nothing is written.

    Raises:
        BackupError: see :func:`read_manifest`; or a file is missing, of another size or of other
            bytes than the manifest says (the message names each of the first few).
    """
    manifest = read_manifest(directory)
    problems: list[str] = []
    entries: list[FileEntry] = [*manifest.files, *manifest.objects]
    for entry in entries:
        what = f"object {entry.key!r}" if isinstance(entry, ObjectEntry) else entry.path
        try:
            fd = open_in_backup(directory, entry.path)
            try:
                size, sha256 = _sha256_handle(fd)
            finally:
                os.close(fd)
        except FileNotFoundError:
            problems.append(f"{what} is missing ({entry.path})")
            continue
        except OSError as exc:
            link = exc.errno in (errno.ELOOP, errno.ENOTDIR)
            why = "is a symbolic link or below one (never followed)" if link else "cannot be read"
            problems.append(f"{what} {why}: {exc.strerror or exc}")
            continue
        if size != entry.size:
            problems.append(f"{what} has {size} bytes, the manifest says {entry.size}")
        elif sha256 != entry.sha256:
            problems.append(f"{what} does not match its sha256 (the file is corrupted)")
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise BackupError(f"the backup in {directory} is damaged, nothing was restored: {shown}{more}")
    return manifest
