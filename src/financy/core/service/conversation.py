"""What a chat message asks of the ledger besides recording: questions, corrections, confirmations.

* :func:`answer_query` — "quanto gastei com mercado este mês?": sums in the context's time zone.
* :func:`recategorize_last` — "muda pra saúde": the user's last transaction changes category, and
  the context remembers that merchant's category (:func:`remember_merchant`), so the next
  transaction there is categorised that way at once; the correction is kept as a labelled example
  for the next training of the category model.
* :func:`pending_confirmation` — "sim": the last capture the bot asked to confirm.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from financy.core.adapters import orm
from financy.core.contracts.v1 import LedgerQuery, QueryAnswer
from financy.core.domain.events import Event
from financy.core.domain.model import CATEGORY_BY_SLUG, LedgerContext, TransactionStatus, merchant_key
from financy.core.service.unit_of_work import UnitOfWork

#: A capture the bot asked to confirm can be confirmed for this long.
CONFIRM_WINDOW = dt.timedelta(hours=24)
#: Below this confidence a reading is not recorded: the bot shows it and asks "is that right?".
CONFIRM_BELOW = 0.5
LOW_CONFIDENCE = "low_confidence"


def period_bounds(period: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """Return the inclusive date range of ``period`` as of ``today`` (weeks start on Monday).

    ``"all"`` gives ``(None, None)``. Raises ``ValueError`` for an unknown period.
    """
    if period == "today":
        return today, today
    if period == "yesterday":
        day = today - dt.timedelta(days=1)
        return day, day
    if period == "this_week":
        return today - dt.timedelta(days=today.weekday()), today
    if period == "last_week":
        start = today - dt.timedelta(days=today.weekday() + 7)
        return start, start + dt.timedelta(days=6)
    if period == "this_month":
        return today.replace(day=1), today
    if period == "last_month":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    if period == "this_year":
        return today.replace(month=1, day=1), today
    if period == "last_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    if period == "all":
        return None, None
    raise ValueError(f"unknown period {period!r}")


def answer_query(
    conn: Connection, context: LedgerContext, query: LedgerQuery, today: dt.date, language: str
) -> QueryAnswer:
    """Sum the context's recorded transactions that ``query`` asks about, per currency (largest first)."""
    tx = orm.transactions
    date_from, date_to = period_bounds(query.period, today)
    conditions = [
        tx.c.context_id == context.id,
        tx.c.status == TransactionStatus.RECORDED.value,
        tx.c.kind == query.kind.value,
    ]
    if date_from is not None:
        conditions.append(tx.c.occurred_on >= date_from)
    if date_to is not None:
        conditions.append(tx.c.occurred_on <= date_to)
    if query.category:
        conditions.append(tx.c.category == query.category)
    if query.merchant:
        conditions.append(func.lower(tx.c.merchant).contains(query.merchant.lower(), autoescape=True))
    rows = conn.execute(
        select(tx.c.currency, func.sum(tx.c.amount).label("total"), func.count().label("n"))
        .where(*conditions)
        .group_by(tx.c.currency)
        .order_by(func.sum(tx.c.amount).desc())
    ).all()
    category = CATEGORY_BY_SLUG.get(query.category) if query.category else None
    return QueryAnswer(
        query=query,
        totals=tuple((r.currency, Decimal(r.total).quantize(Decimal("0.01"))) for r in rows),
        count=sum(int(r.n) for r in rows),
        date_from=date_from,
        date_to=date_to,
        category_name=category.name(language) if category else None,
    )


def remember_merchant(
    uow: UnitOfWork, context_id: uuid.UUID, merchant: str, category: str, transaction_id: uuid.UUID | None
) -> None:
    """Make ``merchant`` mean ``category`` in this context from now on (upsert)."""
    key = merchant_key(merchant)
    if not key:
        return
    stmt = pg_insert(orm.merchant_categories).values(
        context_id=context_id, merchant_key=key, category=category, learned_from=transaction_id
    )
    uow.conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[orm.merchant_categories.c.context_id, orm.merchant_categories.c.merchant_key],
            set_={"category": category, "learned_from": transaction_id, "updated_at": func.now()},
        )
    )


def remembered_categories(conn: Connection, context_id: uuid.UUID, merchants: list[str]) -> dict[str, str]:
    """Return ``{merchant_key: category}`` this context remembers for ``merchants``."""
    keys = sorted({merchant_key(m) for m in merchants} - {""})
    if not keys:
        return {}
    mc = orm.merchant_categories
    rows = conn.execute(
        select(mc.c.merchant_key, mc.c.category).where(
            mc.c.context_id == context_id, mc.c.merchant_key.in_(keys)
        )
    ).all()
    return {r.merchant_key: r.category for r in rows}


def last_recorded(conn: Connection, context_id: uuid.UUID, user_id: uuid.UUID) -> Row[Any] | None:
    """Return (and lock) the user's most recent transaction still recorded in the context, or ``None``."""
    tx = orm.transactions
    return conn.execute(
        select(tx)
        .where(
            tx.c.context_id == context_id,
            tx.c.author_id == user_id,
            tx.c.status == TransactionStatus.RECORDED.value,
        )
        .order_by(tx.c.created_at.desc(), tx.c.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def recategorize_last(
    uow: UnitOfWork,
    context: LedgerContext,
    user_id: uuid.UUID,
    category: str,
    capture_id: uuid.UUID,
    language: str,
) -> Row[Any] | None:
    """Move the user's last recorded transaction in ``context`` to ``category`` and learn from it.

    Returns the transaction row as it was before the change, or ``None`` if there is none.
    """
    tx = orm.transactions
    row = last_recorded(uow.conn, context.id, user_id)
    if row is None:
        return None
    uow.conn.execute(update(tx).where(tx.c.id == row.id).values(category=category, updated_at=func.now()))
    uow.record(
        Event(
            "transaction.recategorized",
            context.id,
            user_id,
            "transaction",
            row.id,
            before={"category": row.category},
            after={"category": category},
            capture_id=capture_id,
        )
    )
    label_text = row.merchant or row.description
    if label_text:
        if row.merchant:
            remember_merchant(uow, context.id, row.merchant, category, row.id)
        uow.conn.execute(
            orm.category_examples.insert().values(
                context_id=context.id,
                text=label_text[:500],
                category=category,
                language=language,
                transaction_id=row.id,
                author_id=user_id,
            )
        )
    return row


def pending_confirmation(
    conn: Connection, context: LedgerContext, user_id: uuid.UUID, now: dt.datetime
) -> Row[Any] | None:
    """Return (and lock) the user's latest capture awaiting "sim" in ``context``, if still fresh."""
    cap = orm.captures
    return conn.execute(
        select(cap)
        .where(
            cap.c.context_id == context.id,
            cap.c.author_id == user_id,
            cap.c.status == "needs_review",
            cap.c.problem == LOW_CONFIDENCE,
            cap.c.received_at > now - CONFIRM_WINDOW,
        )
        .order_by(cap.c.received_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
