"""The unit of work's port for statement imports (the SQL adapter is ``adapters.statements_repository``)."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from financy.core.domain.matching import CaptureCandidate, KnownLine
from financy.core.domain.model import Transaction


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One statement import (the ``statement_imports`` row).

    ``status``: ``previewed`` (nothing in the ledger yet), ``committed`` or ``undone``.
    ``counts``: lines per outcome (``{"add": 12, "duplicate": 3, ...}``); ``problems``: the
    records the parser could not read, as ``{"line_no", "reason", "text"}``.
    """

    id: uuid.UUID
    context_id: uuid.UUID
    created_by: uuid.UUID | None
    filename: str | None
    format: str
    sha256: str
    size_bytes: int
    account: str
    currency: str
    status: str
    detected: dict[str, str] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    created_at: dt.datetime | None = None
    committed_at: dt.datetime | None = None
    undone_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ImportLine:
    """One line of an import as stored (``statement_lines``), ``amount`` signed."""

    line_no: int
    occurred_on: dt.date
    amount: Decimal
    currency: str
    payee: str | None
    payee_key: str
    memo: str | None
    external_id: str | None
    category: str | None
    outcome: str
    reason: str
    transaction_id: uuid.UUID | None = None
    candidates: tuple[uuid.UUID, ...] = ()
    before: dict[str, Any] | None = None


class StatementsRepository(abc.ABC):
    """Statement imports and their lines."""

    @abc.abstractmethod
    def add_import(self, record: ImportRecord) -> None:
        """Insert a new import row."""

    @abc.abstractmethod
    def get_import(self, context_id: uuid.UUID, import_id: uuid.UUID) -> ImportRecord | None:
        """Return the import of ``context_id`` with ``import_id`` (locked for update), or ``None``."""

    @abc.abstractmethod
    def imports(self, context_id: uuid.UUID, limit: int = 50) -> list[ImportRecord]:
        """Return the context's imports, newest first."""

    @abc.abstractmethod
    def set_status(
        self, import_id: uuid.UUID, status: str, *, counts: dict[str, int], at: dt.datetime | None
    ) -> None:
        """Set an import's status and counts; ``at`` stamps ``committed_at`` or ``undone_at``."""

    @abc.abstractmethod
    def set_lines(
        self, import_id: uuid.UUID, context_id: uuid.UUID, account: str, lines: Sequence[ImportLine]
    ) -> None:
        """Replace the import's lines with ``lines``."""

    @abc.abstractmethod
    def lines(self, import_id: uuid.UUID) -> list[ImportLine]:
        """Return the import's lines in line order."""

    @abc.abstractmethod
    def known_lines(
        self, context_id: uuid.UUID, start: dt.date, end: dt.date, account: str | None = None
    ) -> list[KnownLine]:
        """Return the lines of the context's committed imports dated ``start``..``end`` that the
        ledger holds (outcomes add, merge and ambiguous: a duplicate line adds nothing); of
        ``account`` only when it is given (else of every account)."""

    @abc.abstractmethod
    def capture_candidates(
        self, context_id: uuid.UUID, start: dt.date, end: dt.date
    ) -> list[CaptureCandidate]:
        """Return the context's recorded chat transactions (with a capture) dated
        ``start``..``end`` that no committed import has merged a line into."""

    @abc.abstractmethod
    def merge_targets(
        self, context_id: uuid.UUID, transaction_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Transaction]:
        """Return the transactions of ``context_id`` among ``transaction_ids`` (any status),
        locked for update, by id: what :meth:`EditsRepository.get` gives for each, in one read."""

    @abc.abstractmethod
    def save_merged(self, transactions: Sequence[Transaction]) -> None:
        """Save each of ``transactions`` as :meth:`EditsRepository.save` does, in one statement."""
