"""Read model: a context's recorded transactions as the statement export writes them.

Rows come in ``(occurred_on, id)`` order (oldest first; ids are UUIDv7, so one day's
transactions in the order they were recorded), served by the ``(context_id, occurred_on, id)``
index. Reversed transactions are left out: an export states what the ledger holds now.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import Connection, func, select

from financy.core.adapters import orm
from financy.core.adapters.statements_export import ExportLedger, ExportRow
from financy.core.domain.model import TransactionStatus


def export_ledger(connection: Connection, context_id: uuid.UUID) -> ExportLedger | None:
    """Return the id, name, base currency, locale and time zone of ``context_id`` (``None``: no such context)."""
    c = orm.contexts
    row = connection.execute(
        select(c.c.id, c.c.name, c.c.base_currency, c.c.locale, c.c.time_zone).where(c.c.id == context_id)
    ).one_or_none()
    if row is None:
        return None
    return ExportLedger(
        id=row.id, name=row.name, base_currency=row.base_currency, locale=row.locale, time_zone=row.time_zone
    )


def export_rows(
    connection: Connection,
    context_id: uuid.UUID,
    *,
    start: dt.date | None,
    end: dt.date | None,
) -> list[ExportRow]:
    """Return the recorded transactions of ``context_id`` with ``start <= occurred_on <= end``.

    ``None`` leaves that end of the range open. Names: the ledger's sub-category's name, and of
    the author and the payer their display name (else their username). ``external_id``: the
    bank's id of the statement line the transaction came from or was joined to (a committed
    import's), else ``None``. Membership is the caller's check.
    """
    tx, sub = orm.transactions, orm.subcategories
    author, payer = orm.users.alias("author"), orm.users.alias("payer")
    sl, si = orm.statement_lines, orm.statement_imports
    bank_id = (
        select(sl.c.external_id)
        .join(si, si.c.id == sl.c.import_id)
        .where(
            sl.c.transaction_id == tx.c.id,
            sl.c.outcome.in_(("add", "merge")),
            si.c.status == "committed",
            sl.c.external_id.is_not(None),
        )
        .order_by(si.c.committed_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            tx.c.id,
            tx.c.occurred_on,
            tx.c.kind,
            tx.c.amount,
            tx.c.currency,
            tx.c.merchant,
            tx.c.description,
            tx.c.category,
            sub.c.name.label("subcategory"),
            tx.c.payment_method,
            tx.c.base_amount,
            tx.c.base_currency,
            tx.c.source_channel,
            func.coalesce(author.c.display_name, author.c.username).label("author"),
            func.coalesce(payer.c.display_name, payer.c.username).label("paid_by"),
            bank_id.label("external_id"),
        )
        .select_from(
            tx.outerjoin(sub, sub.c.id == tx.c.subcategory_id)
            .outerjoin(author, author.c.id == tx.c.author_id)
            .outerjoin(payer, payer.c.id == tx.c.paid_by)
        )
        .where(tx.c.context_id == context_id, tx.c.status == TransactionStatus.RECORDED.value)
    )
    if start is not None:
        query = query.where(tx.c.occurred_on >= start)
    if end is not None:
        query = query.where(tx.c.occurred_on <= end)
    rows = connection.execute(query.order_by(tx.c.occurred_on, tx.c.id)).all()
    return [
        ExportRow(
            id=row.id,
            occurred_on=row.occurred_on,
            kind=row.kind,
            amount=Decimal(row.amount),
            currency=row.currency,
            merchant=row.merchant,
            description=row.description,
            category=row.category,
            subcategory=row.subcategory,
            payment_method=row.payment_method,
            base_amount=None if row.base_amount is None else Decimal(row.base_amount),
            base_currency=row.base_currency,
            source_channel=row.source_channel,
            author=row.author,
            paid_by=row.paid_by,
            external_id=row.external_id,
        )
        for row in rows
    ]
