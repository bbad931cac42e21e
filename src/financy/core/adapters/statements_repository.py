"""Statement imports and their lines in PostgreSQL (``statement_imports``, ``statement_lines``)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, exists, func, insert, select, text, update

from financy.core.adapters import orm
from financy.core.adapters.copying import COPY_FROM_ROWS, can_copy, copy_rows
from financy.core.adapters.repositories import transaction_of_row
from financy.core.domain.editing import EDITED_COLUMNS
from financy.core.domain.matching import CaptureCandidate, KnownLine
from financy.core.domain.model import Transaction, merchant_key
from financy.core.service.statements_port import ImportLine, ImportRecord, StatementsRepository
from financy.core.service.unit_of_work import jsonable

#: Outcomes of a line the ledger holds (a duplicate adds nothing, an invalid line nothing).
HELD = ("add", "merge", "ambiguous")
_LINE_COLUMNS = (
    "import_id",
    "line_no",
    "context_id",
    "account",
    "occurred_on",
    "amount",
    "currency",
    "payee",
    "payee_key",
    "memo",
    "external_id",
    "category",
    "outcome",
    "reason",
    "transaction_id",
    "candidates",
    "before",
)


def import_record_of_row(row: Row[Any]) -> ImportRecord:
    """The :class:`ImportRecord` of a ``statement_imports`` row."""
    return ImportRecord(
        id=row.id,
        context_id=row.context_id,
        created_by=row.created_by,
        filename=row.filename,
        format=row.format,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        account=row.account,
        currency=row.currency,
        status=row.status,
        detected=dict(row.detected),
        problems=list(row.problems),
        counts={k: int(v) for k, v in row.counts.items()},
        created_at=row.created_at,
        committed_at=row.committed_at,
        undone_at=row.undone_at,
    )


def import_line_of_row(r: Any) -> ImportLine:
    """The :class:`ImportLine` of a ``statement_lines`` row (``candidates`` may be NULL for none)."""
    return ImportLine(
        line_no=r.line_no,
        occurred_on=r.occurred_on,
        amount=Decimal(r.amount),
        currency=r.currency,
        payee=r.payee,
        payee_key=r.payee_key,
        memo=r.memo,
        external_id=r.external_id,
        category=r.category,
        outcome=r.outcome,
        reason=r.reason,
        transaction_id=r.transaction_id,
        candidates=tuple(uuid.UUID(c) for c in r.candidates or ()),
        before=r.before,
    )


class SqlStatements(StatementsRepository):
    """See :class:`StatementsRepository`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_import(self, record: ImportRecord) -> None:
        """See :meth:`StatementsRepository.add_import`."""
        self.conn.execute(
            insert(orm.statement_imports).values(
                id=record.id,
                context_id=record.context_id,
                created_by=record.created_by,
                filename=record.filename,
                format=record.format,
                sha256=record.sha256,
                size_bytes=record.size_bytes,
                account=record.account,
                currency=record.currency,
                status=record.status,
                detected=record.detected,
                problems=jsonable(record.problems),
                counts=record.counts,
            )
        )

    def get_import(self, context_id: uuid.UUID, import_id: uuid.UUID) -> ImportRecord | None:
        """See :meth:`StatementsRepository.get_import` (``SELECT ... FOR UPDATE``)."""
        si = orm.statement_imports
        row = self.conn.execute(
            select(si).where(si.c.id == import_id, si.c.context_id == context_id).with_for_update()
        ).first()
        return None if row is None else import_record_of_row(row)

    def imports(self, context_id: uuid.UUID, limit: int = 50) -> list[ImportRecord]:
        """See :meth:`StatementsRepository.imports`."""
        si = orm.statement_imports
        rows = self.conn.execute(
            select(si).where(si.c.context_id == context_id).order_by(si.c.created_at.desc()).limit(limit)
        ).all()
        return [import_record_of_row(r) for r in rows]

    def set_status(
        self, import_id: uuid.UUID, status: str, *, counts: dict[str, int], at: dt.datetime | None
    ) -> None:
        """See :meth:`StatementsRepository.set_status`."""
        si = orm.statement_imports
        values: dict[str, Any] = {"status": status, "counts": counts}
        if status == "committed":
            values["committed_at"] = at
        elif status == "undone":
            values["undone_at"] = at
        self.conn.execute(update(si).where(si.c.id == import_id).values(values))

    def set_lines(
        self, import_id: uuid.UUID, context_id: uuid.UUID, account: str, lines: Sequence[ImportLine]
    ) -> None:
        """See :meth:`StatementsRepository.set_lines` (``COPY`` from
        :data:`~financy.core.adapters.copying.COPY_FROM_ROWS` lines on, else one multi-row insert)."""
        sl = orm.statement_lines
        self.conn.execute(delete(sl).where(sl.c.import_id == import_id))  # writes what was kept back too
        if not lines:
            return
        if len(lines) >= COPY_FROM_ROWS and can_copy(self.conn):
            copy_rows(
                self.conn,
                "statement_lines",
                _LINE_COLUMNS,
                (
                    (
                        import_id,
                        line.line_no,
                        context_id,
                        account,
                        line.occurred_on,
                        line.amount,
                        line.currency,
                        line.payee,
                        line.payee_key,
                        line.memo,
                        line.external_id,
                        line.category,
                        line.outcome,
                        line.reason,
                        line.transaction_id,
                        json.dumps([str(c) for c in line.candidates]) if line.candidates else "[]",
                        None if line.before is None else json.dumps(jsonable(line.before)),
                    )
                    for line in lines
                ),
            )
            return
        self.conn.execute(
            insert(sl),
            [
                {
                    "import_id": import_id,
                    "line_no": line.line_no,
                    "context_id": context_id,
                    "account": account,
                    "occurred_on": line.occurred_on,
                    "amount": line.amount,
                    "currency": line.currency,
                    "payee": line.payee,
                    "payee_key": line.payee_key,
                    "memo": line.memo,
                    "external_id": line.external_id,
                    "category": line.category,
                    "outcome": line.outcome,
                    "reason": line.reason,
                    "transaction_id": line.transaction_id,
                    "candidates": [str(c) for c in line.candidates],
                    "before": jsonable(line.before),
                }
                for line in lines
            ],
        )

    def lines(self, import_id: uuid.UUID) -> list[ImportLine]:
        """See :meth:`StatementsRepository.lines` (an empty ``candidates`` list comes back as NULL:
        nothing to decode for the lines that have none)."""
        sl = orm.statement_lines
        columns = [c for c in sl.c if c.name != "candidates"]
        candidates = func.nullif(sl.c.candidates, text("'[]'::jsonb")).label("candidates")
        rows = self.conn.execute(
            select(*columns, candidates).where(sl.c.import_id == import_id).order_by(sl.c.line_no)
        ).all()
        return [import_line_of_row(r) for r in rows]

    def known_lines(
        self, context_id: uuid.UUID, start: dt.date, end: dt.date, account: str | None = None
    ) -> list[KnownLine]:
        """See :meth:`StatementsRepository.known_lines` (the index on context, account and date
        serves it when ``account`` is given)."""
        sl, si = orm.statement_lines, orm.statement_imports
        where = [
            sl.c.context_id == context_id,
            sl.c.occurred_on.between(start, end),
            sl.c.outcome.in_(HELD),
            si.c.status == "committed",
        ]
        if account is not None:
            where.append(sl.c.account == account)
        rows = self.conn.execute(
            select(
                sl.c.account, sl.c.occurred_on, sl.c.amount, sl.c.currency, sl.c.payee_key, sl.c.external_id
            )
            .join(si, si.c.id == sl.c.import_id)
            .where(*where)
        ).all()
        return [
            KnownLine(r.account, r.occurred_on, Decimal(r.amount), r.currency, r.payee_key, r.external_id)
            for r in rows
        ]

    def capture_candidates(
        self, context_id: uuid.UUID, start: dt.date, end: dt.date
    ) -> list[CaptureCandidate]:
        """See :meth:`StatementsRepository.capture_candidates`."""
        tx, sl, si = orm.transactions, orm.statement_lines, orm.statement_imports
        merged = (
            select(sl.c.transaction_id)
            .join(si, si.c.id == sl.c.import_id)
            .where(sl.c.transaction_id == tx.c.id, sl.c.outcome == "merge", si.c.status == "committed")
        )
        rows = self.conn.execute(
            select(tx.c.id, tx.c.occurred_on, tx.c.amount, tx.c.currency, tx.c.kind, tx.c.merchant).where(
                tx.c.context_id == context_id,
                tx.c.status == "recorded",
                tx.c.capture_id.is_not(None),
                tx.c.occurred_on.between(start, end),
                ~exists(merged),
            )
        ).all()
        return [
            CaptureCandidate(
                r.id,
                r.occurred_on,
                Decimal(r.amount) if r.kind == "income" else -Decimal(r.amount),
                r.currency,
                merchant_key(r.merchant or ""),
            )
            for r in rows
            if r.kind in ("expense", "income")
        ]

    def merge_targets(
        self, context_id: uuid.UUID, transaction_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Transaction]:
        """See :meth:`StatementsRepository.merge_targets` (``SELECT ... FOR UPDATE``)."""
        if not transaction_ids:
            return {}
        tx = orm.transactions
        rows = self.conn.execute(
            select(tx)
            .where(tx.c.id.in_(sorted(set(transaction_ids))), tx.c.context_id == context_id)
            .with_for_update()
        ).all()
        found = [transaction_of_row(r) for r in rows]
        return {t.id: t for t in found}

    def save_merged(self, transactions: Sequence[Transaction]) -> None:
        """See :meth:`StatementsRepository.save_merged` (one ``UPDATE`` run for every row)."""
        if not transactions:
            return
        tx = orm.transactions
        statement = (
            update(tx)
            .where(tx.c.id == bindparam("b_id"), tx.c.context_id == bindparam("b_context_id"))
            .values({name: bindparam(f"b_{name}") for name in EDITED_COLUMNS} | {"updated_at": func.now()})
        )
        rows = []
        for t in transactions:
            fields = t.fields()
            rows.append(
                {"b_id": t.id, "b_context_id": t.context_id}
                | {f"b_{name}": fields[name] for name in EDITED_COLUMNS}
            )
        self.conn.execute(statement, rows)
