"""An in-memory :class:`StatementsRepository` over the fake unit of work's :class:`~tests.unit.fakes.Store`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from financy.core.domain.matching import CaptureCandidate, KnownLine
from financy.core.domain.model import Transaction, TransactionStatus, merchant_key
from financy.core.service.statements_port import ImportLine, ImportRecord, StatementsRepository

HELD = ("add", "merge", "ambiguous")


class FakeStatements(StatementsRepository):
    """Imports in ``store.statement_imports`` (by id) and their lines in ``store.statement_lines``."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def add_import(self, record: ImportRecord) -> None:
        self.store.statement_imports[record.id] = dataclasses.replace(
            record, created_at=dt.datetime.now(dt.UTC)
        )

    def get_import(self, context_id: uuid.UUID, import_id: uuid.UUID) -> ImportRecord | None:
        record: ImportRecord | None = self.store.statement_imports.get(import_id)
        return record if record is not None and record.context_id == context_id else None

    def imports(self, context_id: uuid.UUID, limit: int = 50) -> list[ImportRecord]:
        found = [r for r in self.store.statement_imports.values() if r.context_id == context_id]
        return sorted(
            found, key=lambda r: r.created_at or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True
        )[:limit]

    def set_status(
        self, import_id: uuid.UUID, status: str, *, counts: dict[str, int], at: dt.datetime | None
    ) -> None:
        record = self.store.statement_imports[import_id]
        stamp = (
            {"committed_at": at} if status == "committed" else {"undone_at": at} if status == "undone" else {}
        )
        self.store.statement_imports[import_id] = dataclasses.replace(
            record, status=status, counts=counts, **stamp
        )

    def set_lines(
        self, import_id: uuid.UUID, context_id: uuid.UUID, account: str, lines: Sequence[ImportLine]
    ) -> None:
        self.store.statement_lines[import_id] = list(lines)

    def merge_targets(
        self, context_id: uuid.UUID, transaction_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Transaction]:
        wanted = set(transaction_ids)
        return {
            tx.id: dataclasses.replace(tx, items=())
            for tx in self.store.transactions
            if tx.id in wanted and tx.context_id == context_id
        }

    def save_merged(self, transactions: Sequence[Transaction]) -> None:
        from tests.unit.fakes import FakeEdits

        edits = FakeEdits(self.store)
        for tx in transactions:
            edits.save(tx)

    def lines(self, import_id: uuid.UUID) -> list[ImportLine]:
        return sorted(self.store.statement_lines.get(import_id, []), key=lambda line: line.line_no)

    def _committed(self, context_id: uuid.UUID) -> list[tuple[ImportRecord, ImportLine]]:
        return [
            (record, line)
            for record in self.store.statement_imports.values()
            if record.context_id == context_id and record.status == "committed"
            for line in self.store.statement_lines.get(record.id, [])
        ]

    def known_lines(
        self, context_id: uuid.UUID, start: dt.date, end: dt.date, account: str | None = None
    ) -> list[KnownLine]:
        return [
            KnownLine(
                record.account, line.occurred_on, line.amount, line.currency, line.payee_key, line.external_id
            )
            for record, line in self._committed(context_id)
            if line.outcome in HELD
            and start <= line.occurred_on <= end
            and (account is None or record.account == account)
        ]

    def capture_candidates(
        self, context_id: uuid.UUID, start: dt.date, end: dt.date
    ) -> list[CaptureCandidate]:
        merged = {line.transaction_id for _, line in self._committed(context_id) if line.outcome == "merge"}
        return [
            CaptureCandidate(
                tx.id,
                tx.occurred_on,
                tx.money.amount if tx.kind == "income" else -tx.money.amount,
                tx.money.currency,
                merchant_key(tx.merchant or ""),
            )
            for tx in self.store.transactions
            if tx.context_id == context_id
            and tx.status is TransactionStatus.RECORDED
            and tx.capture_id is not None
            and tx.kind in ("expense", "income")
            and start <= tx.occurred_on <= end
            and tx.id not in merged
        ]
