"""The unit of work's port for recurring series (the SQL adapter is ``adapters.recurring_repository``)."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from financy.core.domain.recurring import Occurrence

#: What a member decided about a series; "detected" until they do.
STATUSES = ("detected", "confirmed", "dismissed")


@dataclass(frozen=True, slots=True)
class StoredSeries:
    """One ``recurring_series`` row: a series found in a ledger and what its members decided.

    ``amount`` is the expected next amount in ``currency`` on ``next_due``; ``price_old`` ->
    ``price_new`` on ``price_changed_on`` the latest price step (all ``None`` without one);
    ``reminded_for`` the due date whose reminder was sent (``None``: none yet).
    """

    id: uuid.UUID
    context_id: uuid.UUID
    kind: str
    key: str
    currency: str
    merchant: str
    category: str | None
    cadence: str
    amount: Decimal
    typical_amount: Decimal
    occurrences: int
    confidence: float
    status: str
    first_seen: dt.date
    last_seen: dt.date
    next_due: dt.date
    price_old: Decimal | None = None
    price_new: Decimal | None = None
    price_changed_on: dt.date | None = None
    reminded_for: dt.date | None = None


class RecurringRepository(abc.ABC):
    """A context's recurring series and the ledger entries they are found in."""

    @abc.abstractmethod
    def occurrences(self, context_id: uuid.UUID, since: dt.date) -> list[Occurrence]:
        """Return the context's recorded expenses and income dated ``since`` or later that have
        a merchant (fee lines of a purchase left out), oldest first. One query."""

    @abc.abstractmethod
    def contexts_to_scan(self, since: dt.date) -> list[uuid.UUID]:
        """Return the unarchived contexts with such an entry dated ``since`` or later, or with a
        stored series, in id order."""

    @abc.abstractmethod
    def of_context(self, context_id: uuid.UUID) -> list[StoredSeries]:
        """Return the context's stored series (every status), by next due date then merchant."""

    @abc.abstractmethod
    def get(self, context_id: uuid.UUID, series_id: uuid.UUID) -> StoredSeries | None:
        """Return (and lock) series ``series_id`` if it is the context's, else ``None``."""

    @abc.abstractmethod
    def add(self, series: StoredSeries) -> None:
        """Insert ``series`` (one per context, kind, key and currency)."""

    @abc.abstractmethod
    def update(self, series: StoredSeries) -> None:
        """Overwrite the stored row of ``series.id`` with what detection found (merchant,
        category, cadence, amounts, dates, price change, status) and stamp ``detected_at``."""

    @abc.abstractmethod
    def delete(self, series_ids: Sequence[uuid.UUID]) -> None:
        """Delete the series ``series_ids``."""

    @abc.abstractmethod
    def decide(self, series_id: uuid.UUID, status: str, actor: uuid.UUID | None) -> None:
        """Set the series' ``status`` ("confirmed" or "dismissed") as ``actor``'s decision, now."""

    @abc.abstractmethod
    def claim_reminder(self, series_id: uuid.UUID, due: dt.date) -> bool:
        """Mark the reminder of ``series_id`` for due date ``due`` as sent unless it already was
        (one ``UPDATE .. WHERE reminded_for IS DISTINCT FROM due``); return whether it was not."""
