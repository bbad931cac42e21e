"""``financy backup DIR`` and ``financy restore DIR``: which database and object store, then the work.

Without ``--data-dir``: the database of ``FINANCY_DATABASE_URL`` and the store of the
``FINANCY_S3__*`` settings (a directory ``$FINANCY_DATA_DIR/objects`` when no endpoint is set).

With ``--data-dir BOX`` (a single box's data directory; ``FINANCY_DATABASE_URL`` and
``FINANCY_S3__ENDPOINT``, when set, still win, as for the box itself):

* backup of a running box: its embedded PostgreSQL's socket in ``BOX/postgres`` and the
  directory store ``BOX/objects``; the box keeps serving (pg_dump is one snapshot).
* backup of a stopped box: the box's lock (``BOX/box.lock``) is taken so ``financy up`` cannot start
  meanwhile, its embedded PostgreSQL is started for the dump and stopped after.
* restore: refused while a box runs on ``BOX`` (its processes write to the database); on a
  stopped (or new, empty) data directory the lock is taken, the embedded PostgreSQL started (its
  cluster and the ``financy`` database made when missing), the backup restored, the server stopped.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from financy.core.adapters.backup import PgTools, create_backup, find_pg_tools, restore_backup
from financy.core.adapters.backup_manifest import BackupError, Manifest, verify_backup
from financy.core.settings import CoreSettings
from financy.runtime.boxlock import BoxLockedError, box_lock
from financy.runtime.objects import ObjectStore, object_store_from_settings
from financy.runtime.services import EmbeddedPostgres, ServiceError, ensure_database

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@contextlib.contextmanager
def _box_lock_if_free(data_dir: Path) -> Iterator[bool]:
    """Hold ``data_dir/box.lock`` while inside and yield True; yield False when a box holds it."""
    if not data_dir.is_dir():
        yield True
        return
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(box_lock(data_dir / "box.lock"))
        except BoxLockedError:
            yield False
            return
        yield True


def _on_database(uri: str, name: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextlib.contextmanager
def _embedded_database(data_dir: Path, *, create: bool) -> Iterator[str]:
    """Start the box's embedded PostgreSQL on ``data_dir``; yield the URL of its ``financy`` database."""
    postgres = EmbeddedPostgres(data_dir)
    if not create and not (postgres.pgdata / "PG_VERSION").exists():
        raise BackupError(f"{data_dir} holds no box database ({postgres.pgdata} is missing)")
    server_url = postgres.start()
    try:
        yield ensure_database(server_url, "financy") if create else _on_database(server_url, "financy")
    finally:
        postgres.stop()


def _store(settings: CoreSettings, data_dir: Path | None) -> ObjectStore:
    objects = (data_dir if data_dir is not None else settings.data_dir.absolute()) / "objects"
    return object_store_from_settings(settings.s3, objects)


def run_backup(directory: str, data_dir: str | None) -> int:
    """``financy backup DIR [--data-dir BOX]``: write a backup to ``DIR``; return the exit status.

    Prints progress and a summary on stdout, a refusal or failure on stderr (exit 1). Ctrl-C or
    SIGTERM (``docker stop``, a pod's end) removes the unfinished ``DIR.partial`` (exit 130).
    """
    with _terminate_as_interrupt():
        try:
            return _run_backup(directory, data_dir)
        except KeyboardInterrupt:
            print("financy backup: interrupted; the unfinished backup was removed", file=sys.stderr)
            return EXIT_INTERRUPTED


class _Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwinds like Ctrl-C, so the unfinished backup is removed."""


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While inside (on the main thread), SIGTERM raises :class:`_Terminated` instead of killing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_backup(directory: str, data_dir: str | None) -> int:
    try:
        settings = CoreSettings()
        tools = find_pg_tools(settings.backup.pg_bin_dir)
        target = Path(directory)
        if data_dir is None:
            url = _database_url(settings)
            manifest = create_backup(
                target, database_url=url, store=_store(settings, None), kind="server", tools=tools
            )
        else:
            box = Path(data_dir).absolute()
            manifest = _backup_box(target, box, settings, tools)
    except (BackupError, ServiceError) as exc:
        print(f"financy backup: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"Backup written to {Path(directory).absolute()}: database at revision {manifest.alembic_revision} "
        f"({manifest.database_entry().size} bytes), {len(manifest.objects)} objects "
        f"({manifest.objects_size()} bytes)"
    )
    return EXIT_OK


def _backup_box(target: Path, box: Path, settings: CoreSettings, tools: PgTools) -> Manifest:
    store = _store(settings, box)
    if settings.database_url:
        return create_backup(target, database_url=settings.database_url, store=store, kind="box", tools=tools)
    pgdata = EmbeddedPostgres(box).pgdata
    with _box_lock_if_free(box) as free:
        if not free:  # a box serves: dump through its own server's socket
            if not (pgdata / ".s.PGSQL.5432").exists():
                raise BackupError(
                    f"a box runs on {box} but its embedded PostgreSQL does not answer in {pgdata}; "
                    "if it uses another database, set FINANCY_DATABASE_URL"
                )
            url = f"postgresql://postgres:@/financy?host={pgdata}"
            return create_backup(target, database_url=url, store=store, kind="box", tools=tools)
        with _embedded_database(box, create=False) as url:
            return create_backup(target, database_url=url, store=store, kind="box", tools=tools)


def _database_url(settings: CoreSettings) -> str:
    if not settings.database_url:
        raise BackupError("FINANCY_DATABASE_URL is not set; for a single box add --data-dir BOX")
    return settings.database_url


def run_restore(directory: str, data_dir: str | None) -> int:
    """``financy restore DIR [--data-dir BOX]``: restore the backup in ``DIR``; return the exit status.

    Refusals (a damaged backup, a database that is not empty, a running box) print why on stderr,
    change nothing and exit 1.
    """
    try:
        settings = CoreSettings()
        tools = find_pg_tools(settings.backup.pg_bin_dir)
        source = Path(directory)
        if data_dir is None:
            manifest = restore_backup(
                source, database_url=_database_url(settings), store=_store(settings, None), tools=tools
            )
        else:
            box = Path(data_dir).absolute()
            store = _store(settings, box)
            if settings.database_url:
                manifest = restore_backup(
                    source, database_url=settings.database_url, store=store, tools=tools
                )
            else:
                with _box_lock_if_free(box) as free:
                    if not free:
                        raise BackupError(
                            f"a box is running on {box}: stop it (Ctrl-C in its terminal, or stop its "
                            "service) before restoring into it; nothing was changed"
                        )
                    verify_backup(source.absolute())  # before a new box's cluster is made
                    with _embedded_database(box, create=True) as url:
                        manifest = restore_backup(source, database_url=url, store=store, tools=tools)
    except (BackupError, ServiceError) as exc:
        print(f"financy restore: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"Restored {Path(directory).absolute()} (made {manifest.created_at:%Y-%m-%d %H:%M} UTC by Financy "
        f"{manifest.financy_version}): database at revision {manifest.alembic_revision}, "
        f"{len(manifest.objects)} objects"
    )
    return EXIT_OK
