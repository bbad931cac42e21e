"""``financy export --context ID --format csv|json|ofx [--from DATE] [--to DATE] [--output FILE]``.

An operator's command on the box's own database (like ``financy core edges``): no member
check, but the context must exist. Which database: ``FINANCY_DATABASE_URL`` when set; else,
with ``--data-dir BOX``, a single box's embedded PostgreSQL: a running box's socket in
``BOX/postgres``, or for a stopped box its server started for the export (under the box's lock,
so ``financy up`` cannot start meanwhile) and stopped after.

Without ``--output`` the file's bytes go to stdout; ``--output FILE`` writes ``FILE`` (mode
0600: a ledger is private), replacing it. Exit status: 0 written; 1 a failure with a clear
message on stderr (no database, an OFX that cannot state a transaction); 2 a usage error (a
malformed context id or date, ``--from`` after ``--to``, no such context, no database given).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from financy.core.adapters.statements_export import ExportError, write_export
from financy.core.settings import CoreSettings, InvalidSettingError, sqlalchemy_url
from financy.core.views.exports import export_ledger, export_rows
from financy.runtime.boxlock import BoxLockedError, box_lock
from financy.runtime.services import EmbeddedPostgres, ServiceError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _UsageError(Exception):
    """A bad argument: the message is printed and the exit status is 2."""


def parse_day(name: str, text: str | None) -> dt.date | None:
    """Return the date ``YYYY-MM-DD`` of option ``name`` (``None`` stays ``None``).

    Raises:
        _UsageError: anything else (``2026-13-01``, ``01/11/2026``).
    """
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise _UsageError(f"{name}: expected a date YYYY-MM-DD, got {text!r}") from exc


@contextlib.contextmanager
def box_database(data_dir: Path) -> Iterator[str]:
    """Yield the URL of the ``financy`` database of the single box on ``data_dir``, running or not.

    Raises:
        ServiceError: ``data_dir`` holds no box database, or its server does not start.
    """
    postgres = EmbeddedPostgres(data_dir)
    if not (postgres.pgdata / "PG_VERSION").exists():
        raise ServiceError(f"{data_dir} holds no box database ({postgres.pgdata} is missing)")
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(box_lock(data_dir / "box.lock"))
        except BoxLockedError:  # a box serves: read through its own server's socket
            if not (postgres.pgdata / ".s.PGSQL.5432").exists():
                raise ServiceError(
                    f"a box runs on {data_dir} but its embedded PostgreSQL does not answer in "
                    f"{postgres.pgdata}; if it uses another database, set FINANCY_DATABASE_URL"
                ) from None
            yield f"postgresql://postgres:@/financy?host={postgres.pgdata}"
            return
        parts = urlsplit(postgres.start())
        try:
            yield urlunsplit((parts.scheme, parts.netloc, "/financy", parts.query, parts.fragment))
        finally:
            postgres.stop()


def _write(data: bytes, output: str | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _export(url: str, context_id: uuid.UUID, fmt: str, start: dt.date | None, end: dt.date | None) -> bytes:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            ledger = export_ledger(conn, context_id)
            if ledger is None:
                raise _UsageError(f"--context: there is no context {context_id}")
            rows = export_rows(conn, context_id, start=start, end=end)
    finally:
        engine.dispose()
    today = dt.datetime.now(ZoneInfo(ledger.time_zone)).date()
    return write_export(fmt, rows, ledger=ledger, start=start, end=end, today=today)


def run_export(
    context: str,
    fmt: str,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    output: str | None = None,
    data_dir: str | None = None,
) -> int:
    """Run ``financy export``; return the exit status (see the module)."""
    try:
        try:
            context_id = uuid.UUID(context)
        except ValueError as exc:
            raise _UsageError(f"--context: expected a context id (a UUID), got {context!r}") from exc
        start, end = parse_day("--from", date_from), parse_day("--to", date_to)
        if start is not None and end is not None and start > end:
            raise _UsageError(f"--from {start} is after --to {end}")
        settings = CoreSettings()
        if settings.database_url:
            data = _export(settings.require_database_url(), context_id, fmt, start, end)
        elif data_dir is not None:
            with box_database(Path(data_dir).absolute()) as url:
                data = _export(url, context_id, fmt, start, end)
        else:
            raise _UsageError("FINANCY_DATABASE_URL is not set; for a single box add --data-dir BOX")
        _write(data, output)
    except _UsageError as exc:
        print(f"financy export: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ExportError as exc:
        print(f"financy export: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED
    except (ServiceError, InvalidSettingError, SQLAlchemyError, OSError) as exc:
        print(f"financy export: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
