"""Recurring series in PostgreSQL (``recurring_series``) and the ledger entries they are found in."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, union, update

from financy.core.adapters import orm
from financy.core.domain.recurring import KINDS, Occurrence
from financy.core.service.recurring_port import RecurringRepository, StoredSeries

_SERIES = orm.recurring_series
#: The columns detection writes (everything but the ids, the decision and the reminder).
_DETECTED = (
    "merchant",
    "category",
    "cadence",
    "amount",
    "typical_amount",
    "occurrences",
    "confidence",
    "status",
    "first_seen",
    "last_seen",
    "next_due",
    "price_old",
    "price_new",
    "price_changed_on",
)


def _stored(row: Row[Any]) -> StoredSeries:
    return StoredSeries(
        id=row.id,
        context_id=row.context_id,
        kind=row.kind,
        key=row.key,
        currency=row.currency,
        merchant=row.merchant,
        category=row.category,
        cadence=row.cadence,
        amount=row.amount,
        typical_amount=row.typical_amount,
        occurrences=row.occurrences,
        confidence=row.confidence,
        status=row.status,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        next_due=row.next_due,
        price_old=row.price_old,
        price_new=row.price_new,
        price_changed_on=row.price_changed_on,
        reminded_for=row.reminded_for,
    )


class SqlRecurring(RecurringRepository):
    """See :class:`RecurringRepository`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def occurrences(self, context_id: uuid.UUID, since: dt.date) -> list[Occurrence]:
        """See :meth:`RecurringRepository.occurrences`."""
        tx = orm.transactions
        rows = self.conn.execute(
            select(tx.c.occurred_on, tx.c.amount, tx.c.currency, tx.c.merchant, tx.c.kind, tx.c.category)
            .where(
                tx.c.context_id == context_id,
                tx.c.status == "recorded",
                tx.c.kind.in_(sorted(KINDS)),
                tx.c.merchant.is_not(None),
                tx.c.fee_of.is_(None),
                tx.c.occurred_on >= since,
            )
            .order_by(tx.c.occurred_on, tx.c.id)
        ).all()
        return [Occurrence(r.occurred_on, r.amount, r.currency, r.merchant, r.kind, r.category) for r in rows]

    def contexts_to_scan(self, since: dt.date) -> list[uuid.UUID]:
        """See :meth:`RecurringRepository.contexts_to_scan`."""
        tx, ctx = orm.transactions, orm.contexts
        active = select(tx.c.context_id).where(
            tx.c.occurred_on >= since,
            tx.c.status == "recorded",
            tx.c.kind.in_(sorted(KINDS)),
            tx.c.merchant.is_not(None),
        )
        found = union(active, select(_SERIES.c.context_id)).subquery()
        rows = self.conn.execute(
            select(ctx.c.id)
            .where(ctx.c.id.in_(select(found.c.context_id)), ctx.c.archived_at.is_(None))
            .order_by(ctx.c.id)
        ).scalars()
        return list(rows)

    def of_context(self, context_id: uuid.UUID) -> list[StoredSeries]:
        """See :meth:`RecurringRepository.of_context`."""
        rows = self.conn.execute(
            select(_SERIES)
            .where(_SERIES.c.context_id == context_id)
            .order_by(_SERIES.c.next_due, _SERIES.c.merchant, _SERIES.c.id)
        ).all()
        return [_stored(r) for r in rows]

    def get(self, context_id: uuid.UUID, series_id: uuid.UUID) -> StoredSeries | None:
        """See :meth:`RecurringRepository.get` (``SELECT ... FOR UPDATE``)."""
        row = self.conn.execute(
            select(_SERIES)
            .where(_SERIES.c.id == series_id, _SERIES.c.context_id == context_id)
            .with_for_update()
        ).first()
        return None if row is None else _stored(row)

    def add(self, series: StoredSeries) -> None:
        """See :meth:`RecurringRepository.add`."""
        self.conn.execute(
            insert(_SERIES).values(
                id=series.id,
                context_id=series.context_id,
                kind=series.kind,
                key=series.key,
                currency=series.currency,
                reminded_for=series.reminded_for,
                **{name: getattr(series, name) for name in _DETECTED},
            )
        )

    def update(self, series: StoredSeries) -> None:
        """See :meth:`RecurringRepository.update`."""
        self.conn.execute(
            update(_SERIES)
            .where(_SERIES.c.id == series.id)
            .values(detected_at=func.now(), **{name: getattr(series, name) for name in _DETECTED})
        )

    def delete(self, series_ids: Sequence[uuid.UUID]) -> None:
        """See :meth:`RecurringRepository.delete`."""
        if series_ids:
            self.conn.execute(delete(_SERIES).where(_SERIES.c.id.in_(list(series_ids))))

    def decide(self, series_id: uuid.UUID, status: str, actor: uuid.UUID | None) -> None:
        """See :meth:`RecurringRepository.decide`."""
        self.conn.execute(
            update(_SERIES)
            .where(_SERIES.c.id == series_id)
            .values(status=status, decided_at=func.now(), decided_by=actor)
        )

    def claim_reminder(self, series_id: uuid.UUID, due: dt.date) -> bool:
        """See :meth:`RecurringRepository.claim_reminder`."""
        claimed = self.conn.execute(
            update(_SERIES)
            .where(
                _SERIES.c.id == series_id,
                or_(_SERIES.c.reminded_for.is_(None), _SERIES.c.reminded_for != due),
            )
            .values(reminded_for=due)
            .returning(_SERIES.c.id)
        ).first()
        return claimed is not None
