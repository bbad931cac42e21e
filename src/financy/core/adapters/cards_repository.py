"""Credit cards and the postings of card purchases in PostgreSQL (``cards``, ``postings``), and
how budgets count a card purchase by its bills (:func:`card_spent_shift`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, and_, case, delete, exists, func, insert, select, update

from financy.core.adapters import orm
from financy.core.domain.budgets import Spent
from financy.core.domain.cards import Card
from financy.core.domain.model import TransactionStatus
from financy.core.service.cards_port import BillLine, CardsRepository, PostingRow


def _card(row: Row[Any]) -> Card:
    return Card(
        name=row.name,
        closing_day=row.closing_day,
        due_day=row.due_day,
        context=row.context_id,
        id=row.id,
        is_default=row.is_default,
    )


class SqlCards(CardsRepository):
    """See :class:`CardsRepository`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def of_context(self, context_id: uuid.UUID) -> list[Card]:
        """See :meth:`CardsRepository.of_context`."""
        c = orm.cards
        rows = self.conn.execute(
            select(c)
            .where(c.c.context_id == context_id)
            .order_by(c.c.is_default.desc(), func.lower(c.c.name), c.c.created_at)
        ).all()
        return [_card(r) for r in rows]

    def get(self, context_id: uuid.UUID, card_id: uuid.UUID) -> Card | None:
        """See :meth:`CardsRepository.get`."""
        c = orm.cards
        row = self.conn.execute(select(c).where(c.c.context_id == context_id, c.c.id == card_id)).first()
        return _card(row) if row is not None else None

    def named(self, context_id: uuid.UUID, name: str) -> Card | None:
        """See :meth:`CardsRepository.named`."""
        c = orm.cards
        row = self.conn.execute(
            select(c)
            .where(c.c.context_id == context_id, func.lower(c.c.name) == name.lower())
            .with_for_update()
        ).first()
        return _card(row) if row is not None else None

    def default_of(self, context_id: uuid.UUID) -> Card | None:
        """See :meth:`CardsRepository.default_of`."""
        c = orm.cards
        row = self.conn.execute(
            select(c).where(c.c.context_id == context_id, c.c.is_default.is_(True))
        ).first()
        return _card(row) if row is not None else None

    def save(self, card: Card) -> None:
        """See :meth:`CardsRepository.save`."""
        assert card.id is not None, "a stored card has an id"
        assert card.context is not None, "a stored card has a ledger"
        c = orm.cards
        if card.is_default:
            self.conn.execute(
                update(c)
                .where(c.c.context_id == card.context, c.c.id != card.id, c.c.is_default.is_(True))
                .values(is_default=False)
            )
        values = {
            "name": card.name,
            "closing_day": card.closing_day,
            "due_day": card.due_day,
            "is_default": card.is_default,
        }
        changed = self.conn.execute(update(c).where(c.c.id == card.id).values(**values)).rowcount
        if not changed:
            self.conn.execute(insert(c).values(id=card.id, context_id=card.context, **values))

    def add_postings(self, rows: Sequence[PostingRow]) -> None:
        """See :meth:`CardsRepository.add_postings`."""
        if not rows:
            return
        self.conn.execute(
            insert(orm.postings),
            [
                {
                    "transaction_id": r.transaction_id,
                    "number": r.number,
                    "of": r.of,
                    "context_id": r.context_id,
                    "card_id": r.card_id,
                    "amount": r.amount,
                    "base_amount": r.base_amount,
                    "bill_month": r.bill_month,
                }
                for r in rows
            ],
        )

    def card_of(self, transaction_id: uuid.UUID) -> uuid.UUID | None:
        """See :meth:`CardsRepository.card_of`."""
        p = orm.postings
        found: uuid.UUID | None = self.conn.execute(
            select(p.c.card_id).where(p.c.transaction_id == transaction_id).limit(1)
        ).scalar()
        return found

    def delete_postings(self, transaction_id: uuid.UUID) -> None:
        """See :meth:`CardsRepository.delete_postings`."""
        self.conn.execute(delete(orm.postings).where(orm.postings.c.transaction_id == transaction_id))

    def bill_months(self, transaction_id: uuid.UUID) -> list[dt.date]:
        """See :meth:`CardsRepository.bill_months`."""
        p = orm.postings
        return list(
            self.conn.execute(
                select(p.c.bill_month).where(p.c.transaction_id == transaction_id).order_by(p.c.number)
            ).scalars()
        )

    def bill_lines(self, card_id: uuid.UUID, *, first: dt.date, last: dt.date) -> list[BillLine]:
        """See :meth:`CardsRepository.bill_lines`."""
        p, tx = orm.postings, orm.transactions
        rows = self.conn.execute(
            select(
                p.c.transaction_id,
                tx.c.merchant,
                tx.c.description,
                tx.c.occurred_on,
                p.c.number,
                p.c.of,
                p.c.amount,
                tx.c.currency,
                p.c.base_amount,
                tx.c.base_currency,
                p.c.bill_month,
            )
            .select_from(p.join(tx, tx.c.id == p.c.transaction_id))
            .where(
                p.c.card_id == card_id,
                p.c.bill_month >= first,
                p.c.bill_month <= last,
                tx.c.status == TransactionStatus.RECORDED.value,
            )
            .order_by(p.c.bill_month, tx.c.occurred_on, tx.c.created_at, p.c.transaction_id, p.c.number)
        ).all()
        return [
            BillLine(
                transaction_id=r.transaction_id,
                merchant=r.merchant,
                description=r.description,
                occurred_on=r.occurred_on,
                number=r.number,
                of=r.of,
                amount=Decimal(r.amount),
                currency=r.currency,
                base_amount=Decimal(r.base_amount) if r.base_amount is not None else None,
                base_currency=r.base_currency,
                bill_month=r.bill_month,
            )
            for r in rows
        ]


def card_spent_shift(
    conn: Connection, context_id: uuid.UUID, *, date_from: dt.date, date_to: dt.date, currency: str
) -> list[Spent]:
    """Return what moves a budget's spending from purchase dates to bills: per category, minus the
    card purchases with postings dated ``date_from``..``date_to`` (counted there by their purchase
    date) plus their postings due in a month whose first day is in that range.

    Only recorded, unsplit expenses with postings move (a split one keeps counting its lines by
    its purchase date); a posting is valued when it has a base amount in ``currency``, as its
    transaction is. Totals and counts may be negative (add the rows to the dated spending). Two
    queries."""
    tx, p, sp = orm.transactions, orm.postings, orm.transaction_splits
    billed = orm.postings.alias("billed")
    moved = and_(
        tx.c.context_id == context_id,
        tx.c.status == TransactionStatus.RECORDED.value,
        tx.c.kind == "expense",
        exists().where(billed.c.transaction_id == tx.c.id).correlate(tx),
        ~exists().where(sp.c.transaction_id == tx.c.id).correlate(tx),
    )
    tx_valued = and_(tx.c.base_amount.is_not(None), func.coalesce(tx.c.base_currency == currency, False))
    out_rows = conn.execute(
        select(
            tx.c.category,
            func.coalesce(func.sum(case((tx_valued, tx.c.base_amount))), 0).label("total"),
            func.count().filter(tx_valued).label("n"),
            func.count().filter(~tx_valued).label("unvalued"),
        )
        .where(moved, tx.c.occurred_on >= date_from, tx.c.occurred_on <= date_to)
        .group_by(tx.c.category)
    ).all()
    p_valued = and_(p.c.base_amount.is_not(None), func.coalesce(tx.c.base_currency == currency, False))
    in_rows = conn.execute(
        select(
            tx.c.category,
            func.coalesce(func.sum(case((p_valued, p.c.base_amount))), 0).label("total"),
            func.count().filter(p_valued).label("n"),
            func.count().filter(~p_valued).label("unvalued"),
        )
        .select_from(p.join(tx, tx.c.id == p.c.transaction_id))
        .where(moved, p.c.context_id == context_id, p.c.bill_month >= date_from, p.c.bill_month <= date_to)
        .group_by(tx.c.category)
    ).all()
    shift = [Spent(r.category, -Decimal(r.total), -int(r.n), -int(r.unvalued)) for r in out_rows]
    shift += [Spent(r.category, Decimal(r.total), int(r.n), int(r.unvalued)) for r in in_rows]
    return shift


def merge_spent(*parts: Iterable[Spent]) -> list[Spent]:
    """Return the rows of ``parts`` added up per category, without categories left at nothing."""
    merged: dict[str | None, Spent] = {}
    for part in parts:
        for row in part:
            had = merged.get(row.category)
            merged[row.category] = (
                row
                if had is None
                else Spent(
                    row.category, had.total + row.total, had.count + row.count, had.unvalued + row.unvalued
                )
            )
    return [s for s in merged.values() if s.total or s.count or s.unvalued]
