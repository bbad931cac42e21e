"""Read model: a context's statement imports and their lines, and the one JSON shape they have.

``financy import --json`` and the API (``/api/v1/contexts/{id}/imports``) show an import alike:
:func:`import_json` is that shape. The reads here take no lock (plain ``SELECT``), so a commit
running in another transaction never blocks them: they see the import as it was before it.
Membership is the caller's check.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from financy.core.adapters import orm
from financy.core.adapters.statements_repository import import_line_of_row, import_record_of_row
from financy.core.domain.editing import plain
from financy.core.service.statements_port import ImportLine, ImportRecord

#: Most imports one list answers.
MAX_IMPORTS = 200


def import_record(conn: Connection, context_id: uuid.UUID, import_id: uuid.UUID) -> ImportRecord | None:
    """Return the import ``import_id`` of ``context_id`` (``None``: no such import in that context)."""
    si = orm.statement_imports
    row = conn.execute(select(si).where(si.c.id == import_id, si.c.context_id == context_id)).first()
    return None if row is None else import_record_of_row(row)


def import_records(conn: Connection, context_id: uuid.UUID, limit: int = 50) -> list[ImportRecord]:
    """Return up to ``limit`` imports of ``context_id``, newest first.

    Raises:
        ValueError: ``limit`` outside 1..:data:`MAX_IMPORTS`.
    """
    if not 1 <= limit <= MAX_IMPORTS:
        raise ValueError(f"limit must be between 1 and {MAX_IMPORTS}")
    si = orm.statement_imports
    rows = conn.execute(
        select(si)
        .where(si.c.context_id == context_id)
        .order_by(si.c.created_at.desc(), si.c.id.desc())
        .limit(limit)
    ).all()
    return [import_record_of_row(r) for r in rows]


def line_count(conn: Connection, import_id: uuid.UUID) -> int:
    """Return how many lines the import has."""
    sl = orm.statement_lines
    return int(conn.execute(select(func.count()).where(sl.c.import_id == import_id)).scalar_one())


def import_lines(
    conn: Connection, import_id: uuid.UUID, *, after: int = 0, limit: int | None = None
) -> list[ImportLine]:
    """Return the import's lines numbered above ``after``, in line order, at most ``limit`` (``None``: all)."""
    sl = orm.statement_lines
    query = select(sl).where(sl.c.import_id == import_id, sl.c.line_no > after).order_by(sl.c.line_no)
    if limit is not None:
        query = query.limit(limit)
    return [import_line_of_row(r) for r in conn.execute(query).all()]


def line_json(line: ImportLine) -> dict[str, Any]:
    """One line as JSON-ready data: ``amount`` a signed decimal string (negative: money out)."""
    return {
        "line_no": line.line_no,
        "date": line.occurred_on.isoformat(),
        "amount": plain(line.amount, line.currency),
        "currency": line.currency,
        "payee": line.payee,
        "memo": line.memo,
        "external_id": line.external_id,
        "outcome": line.outcome,
        "reason": line.reason,
        "transaction_id": None if line.transaction_id is None else str(line.transaction_id),
        "candidates": [str(c) for c in line.candidates],
    }


def summary_json(record: ImportRecord) -> dict[str, Any]:
    """The import without its lines: ``{"id", "status", "format", "account", "currency",
    "filename", "sha256", "detected", "counts", "problems"}``."""
    return {
        "id": str(record.id),
        "status": record.status,
        "format": record.format,
        "account": record.account,
        "currency": record.currency,
        "filename": record.filename,
        "sha256": record.sha256,
        "detected": record.detected,
        "counts": record.counts,
        "problems": record.problems,
    }


def import_json(record: ImportRecord, lines: Sequence[ImportLine]) -> dict[str, Any]:
    """The import and its lines as JSON-ready data (:func:`summary_json` plus ``"lines"``)."""
    return {**summary_json(record), "lines": [line_json(line) for line in lines]}
