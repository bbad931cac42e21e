"""``financy import``: read a bank statement into a ledger, with a preview first.

``financy import FILE --context ID`` parses the file, plans every line (add, duplicate, merge
into a chat capture, ambiguous, invalid) and prints the preview; nothing is in the ledger until
the same command runs with ``--yes`` (or ``--commit IMPORT_ID`` commits a stored preview).
``--undo IMPORT_ID`` undoes a committed import as a whole; ``--answer IMPORT_ID:LINE=TX`` merges
an ambiguous line into the transaction ``TX`` (``=new`` adds it). The database is
``FINANCY_DATABASE_URL``, or beside a single box ``--data-dir DIR``. The import acts as
``--as USERNAME`` (a member who may record), else the ledger's first owner.

Exit codes: 0 done, 1 nothing to commit, 2 bad input (unreadable file, unknown ledger,
member or import: the message says which; nothing is written).
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select

from financy.core.adapters import orm
from financy.core.adapters.unit_of_work import SqlAlchemyUnitOfWork
from financy.core.domain.editing import plain
from financy.core.domain.errors import FinancyError
from financy.core.domain.import_commands import CommitImport, PreviewImport, ResolveImportLine, UndoImport
from financy.core.domain.matching import LineOutcome
from financy.core.domain.statements import StatementFormatError
from financy.core.service.bootstrap import bootstrap
from financy.core.service.statements_port import ImportLine, ImportRecord
from financy.core.views.imports import import_json

#: Largest file ``financy import`` reads (bytes); a bigger one is refused before it is read.
MAX_FILE_BYTES = 50 * 1024 * 1024


class ImportCliError(Exception):
    """Bad input to ``financy import`` (exit code 2); the message is for the user."""


def _actor(engine: Engine, context_id: uuid.UUID, username: str | None) -> uuid.UUID:
    with engine.connect() as conn:
        if conn.execute(select(orm.contexts.c.id).where(orm.contexts.c.id == context_id)).first() is None:
            raise ImportCliError(f"no ledger {context_id}")
        m, u = orm.members, orm.users
        query = (
            select(m.c.user_id, m.c.role).join(u, u.c.id == m.c.user_id).where(m.c.context_id == context_id)
        )
        if username is not None:
            row = conn.execute(query.where(u.c.username == username.strip().lower())).first()
            if row is None:
                raise ImportCliError(f"{username!r} is not a member of ledger {context_id}")
            return uuid.UUID(str(row.user_id))
        row = conn.execute(query.where(m.c.role == "owner").order_by(m.c.joined_at)).first()
        if row is None:
            raise ImportCliError(f"ledger {context_id} has no owner: name a member with --as USERNAME")
        return uuid.UUID(str(row.user_id))


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportCliError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise ImportCliError(f"{path} is not a file")
    if size > MAX_FILE_BYTES:
        raise ImportCliError(
            f"{path} is {size / 1024 / 1024:.0f} MB; statements up to {MAX_FILE_BYTES // 1024 // 1024} MB "
            "are read (split the file by date range)"
        )
    return path.read_bytes()


def load(
    engine: Engine, context_id: uuid.UUID, import_id: uuid.UUID
) -> tuple[ImportRecord, list[ImportLine]]:
    """Return an import of ``context_id`` and its lines (read only).

    Raises:
        ImportCliError: no such import in the ledger.
    """
    with SqlAlchemyUnitOfWork(engine) as uow:
        record = uow.statements.get_import(context_id, import_id)
        if record is None:
            raise ImportCliError(f"no import {import_id} in ledger {context_id}")
        return record, uow.statements.lines(import_id)


def as_json(record: ImportRecord, lines: Sequence[ImportLine]) -> dict[str, Any]:
    """The import and its lines as JSON-ready data (amounts as decimal strings); the API's shape too
    (:func:`financy.core.views.imports.import_json`)."""
    return import_json(record, lines)


#: What each reason key means, for the preview's last column.
REASONS = {
    "new": "new",
    "fitid": "the bank's id is already imported",
    "fitid_repeated": "the bank's id repeats in this file",
    "same_key": "same date, amount and payee already imported",
    "capture": "the statement line of a chat entry",
    "captures_paired": "the statement line of a chat entry (identical entries paired)",
    "captures": "could be one of several chat entries: answer with --answer",
    "capture_rounded": "the statement line of a chat entry told as a whole amount (45 for 45.90)",
    "captures_rounded": "could be a chat entry told as a whole amount: answer with --answer",
    "answered": "joined to the chat entry you chose",
    "answered_new": "added, as you answered",
    "zero_amount": "amount is zero",
    "amount": "more decimals than the currency has",
    "unknown_currency": "unknown currency",
    "future_date": "dated in the future",
}


def as_text(record: ImportRecord, lines: Sequence[ImportLine]) -> str:
    """The preview a person reads: counts, then one row per line with what becomes of it and why."""
    out = [
        f"import {record.id} ({record.status}): {record.format}, {len(lines)} lines, "
        f"currency {record.currency}, account {record.account or '-'}"
    ]
    if record.detected:
        out.append("read as: " + ", ".join(f"{k}={v}" for k, v in sorted(record.detected.items())))
    out.append("  ".join(f"{o.value} {record.counts.get(o.value, 0)}" for o in LineOutcome))
    for line in lines:
        payee = (line.payee or line.memo or "").replace("\n", " ")[:40]
        amount = plain(line.amount, line.currency)
        out.append(
            f"{line.line_no:>5}  {line.occurred_on.isoformat()}  {amount:>14} {line.currency}  "
            f"{payee:<40}  {line.outcome:<9}  {REASONS.get(line.reason, line.reason)}"
        )
    for problem in record.problems:
        out.append(f"line {problem['line_no']} not read: {problem['reason']}: {problem.get('text', '')!r}")
    return "\n".join(out)


def _answer(spec: str) -> tuple[uuid.UUID, int, uuid.UUID | None]:
    try:
        import_part, rest = spec.split(":", 1)
        line_part, choice = rest.split("=", 1)
        return (
            uuid.UUID(import_part),
            int(line_part),
            None if choice.strip().lower() == "new" else uuid.UUID(choice),
        )
    except ValueError as exc:
        raise ImportCliError(
            f"--answer takes IMPORT_ID:LINE=TRANSACTION_ID or IMPORT_ID:LINE=new, not {spec!r}"
        ) from exc


def run_import(
    *,
    database_url: str,
    file: str | None,
    context: str,
    account: str | None = None,
    currency: str | None = None,
    username: str | None = None,
    yes: bool = False,
    commit: str | None = None,
    undo: str | None = None,
    answer: str | None = None,
    as_json_output: bool = False,
    csv_options: dict[str, Any] | None = None,
) -> int:
    """Run ``financy import`` (see the module docstring); print to stdout, errors to stderr."""
    from financy.core.adapters.statements import CsvOptions, parse_statement

    engine = create_engine(database_url, pool_pre_ping=True)
    try:
        try:
            context_id = uuid.UUID(context)
        except ValueError as exc:
            raise ImportCliError(f"--context takes a ledger id (a UUID), not {context!r}") from exc
        actor = _actor(engine, context_id, username)
        bus = bootstrap(engine=engine)
        if undo is not None:
            import_id = _uuid(undo, "--undo")
            result = bus.handle(UndoImport(actor, context_id, import_id))
            print(
                f"import {import_id} undone: {result['reversed']} transactions deleted, {result['unmerged']} unmerged"
            )
            return 0
        if answer is not None:
            import_id, line_no, choice = _answer(answer)
            outcome = bus.handle(ResolveImportLine(actor, context_id, import_id, line_no, choice))
            print(f"line {line_no} of import {import_id}: {outcome}")
            return 0
        if commit is not None:
            import_id = _uuid(commit, "--commit")
        else:
            if file is None:
                raise ImportCliError("name the statement FILE (or --commit, --undo or --answer an import)")
            path = Path(file)
            data = _read(path)
            options = CsvOptions(**{k: v for k, v in (csv_options or {}).items() if v is not None})
            statement = parse_statement(data, filename=path.name, options=options, max_bytes=MAX_FILE_BYTES)
            import_id = bus.handle(
                PreviewImport(
                    actor,
                    context_id,
                    statement,
                    filename=path.name,
                    sha256=hashlib.sha256(data).hexdigest(),
                    size_bytes=len(data),
                    account=account,
                    currency=currency,
                )
            )
            if not yes:
                _show(engine, context_id, import_id, as_json_output)
                if not as_json_output:
                    print(
                        f"nothing is recorded yet: run again with --yes, or financy import --commit {import_id}"
                    )
                return 0
        bus.handle(CommitImport(actor, context_id, import_id))
        _show(engine, context_id, import_id, as_json_output)
        return 0
    except (ImportCliError, StatementFormatError) as exc:
        print(f"financy import: {exc}", file=sys.stderr)
        return 2
    except FinancyError as exc:
        print(f"financy import: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def _uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ImportCliError(f"{option} takes an import id (a UUID), not {value!r}") from exc


def _show(engine: Engine, context_id: uuid.UUID, import_id: uuid.UUID, as_json_output: bool) -> None:
    record, lines = load(engine, context_id, import_id)
    if as_json_output:
        print(json.dumps(as_json(record, lines), ensure_ascii=False, indent=1))
    else:
        print(as_text(record, lines))
