"""What both search backends read from PostgreSQL: hits by id, and the documents an indexer sends.

``search_documents`` is kept by migration 0020's triggers; ``written_xid`` is the id of the
database transaction that last wrote a row. :func:`index_window` gives an indexer the range of
those ids that is safe to read: every transaction with an id below the snapshot's ``xmin`` has
finished, so no row with a smaller ``written_xid`` can still appear. An indexer that reads
``[watermark, xmin)`` and then stores ``xmin`` as its watermark never misses a change, whatever
order transactions commit in (a row rewritten later gets a new, larger id and is read again).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, text

from financy.core.domain.model import TransactionStatus
from financy.core.service.search import SearchHit

#: The ``transactions`` columns a :class:`SearchHit` shows.
HIT_COLUMNS = (
    "id",
    "occurred_on",
    "kind",
    "amount",
    "currency",
    "merchant",
    "description",
    "category",
    "payment_method",
    "installments",
    "status",
    "source_channel",
    "author_id",
    "paid_by",
    "created_at",
    "base_amount",
    "base_currency",
)


def hit_of(row: Row[Any], score: float, matched: tuple[str, ...]) -> SearchHit:
    """Return the :class:`SearchHit` of a row holding :data:`HIT_COLUMNS`."""
    return SearchHit(
        transaction_id=row.id,
        score=score,
        matched=matched,
        occurred_on=row.occurred_on,
        kind=row.kind,
        amount=row.amount,
        currency=row.currency,
        merchant=row.merchant,
        description=row.description,
        category=row.category,
        payment_method=row.payment_method,
        installments=row.installments,
        status=TransactionStatus(row.status),
        source_channel=row.source_channel,
        author_id=row.author_id,
        paid_by=row.paid_by,
        created_at=row.created_at,
        base_amount=row.base_amount,
        base_currency=row.base_currency,
    )


_BY_IDS = text(
    f"SELECT {', '.join(HIT_COLUMNS)} FROM transactions"  # noqa: S608 (column names are constants)
    " WHERE context_id = :context_id AND id = ANY (CAST(:ids AS uuid[]))"
)


def hits_by_id(
    conn: Connection, context_id: uuid.UUID, found: Sequence[tuple[uuid.UUID, float, tuple[str, ...]]]
) -> list[SearchHit]:
    """Return the hits of ``found`` (id, score, matched fields) in that order, from ``transactions``.

    Ids that ``context_id`` no longer has (an index a little behind the ledger) are left out.
    """
    if not found:
        return []
    rows = {
        row.id: row for row in conn.execute(_BY_IDS, {"context_id": context_id, "ids": [f[0] for f in found]})
    }
    return [hit_of(rows[i], score, matched) for i, score, matched in found if i in rows]


@dataclass(frozen=True, slots=True)
class IndexDocument:
    """One transaction as an indexer sends it: the filter fields and the four texts.

    ``amount`` is the base-currency amount when known, else the transaction's own (as
    ``search_documents.amount``). ``items`` are the receipt lines joined by spaces; ``message`` the
    typed text, transcript or OCR text it came from.
    """

    transaction_id: uuid.UUID
    context_id: uuid.UUID
    occurred_on: Any
    kind: str
    category: str | None
    source_channel: str
    paid_by: uuid.UUID | None
    author_id: uuid.UUID | None
    amount: Decimal
    status: str
    merchant: str | None
    description: str | None
    items: str | None
    message: str | None
    written_xid: int


_WINDOW = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin")


def index_window(conn: Connection) -> int:
    """Return the ``xmin`` of ``conn``'s snapshot: every ``written_xid`` below it is final."""
    return int(conn.execute(_WINDOW).one().xmin)


_CHANGED = text(
    """
SELECT d.transaction_id, d.context_id, d.occurred_on, d.kind, d.category, d.source_channel,
       d.paid_by, d.author_id, d.amount, d.status, t.merchant, t.description,
       financy_search_items(t.id) AS items, financy_search_message(t.capture_id) AS message,
       d.written_xid
FROM search_documents d
JOIN transactions t ON t.id = d.transaction_id
WHERE d.written_xid >= :low AND d.written_xid < :high
  AND (d.written_xid, d.transaction_id) > (:after_xid, :after_id)
ORDER BY d.written_xid, d.transaction_id
LIMIT :limit
"""
)
_NIL = uuid.UUID(int=0)


def changed_documents(
    conn: Connection,
    low: int,
    high: int,
    *,
    limit: int = 500,
    after: tuple[int, uuid.UUID] | None = None,
) -> list[IndexDocument]:
    """Return up to ``limit`` documents written by transactions with ids in ``[low, high)``,
    ordered by ``(written_xid, transaction_id)``, after the key ``after`` (the last one returned)."""
    after_xid, after_id = after if after is not None else (low - 1, _NIL)
    rows = conn.execute(
        _CHANGED, {"low": low, "high": high, "after_xid": after_xid, "after_id": after_id, "limit": limit}
    ).all()
    return [
        IndexDocument(
            transaction_id=row.transaction_id,
            context_id=row.context_id,
            occurred_on=row.occurred_on,
            kind=row.kind,
            category=row.category,
            source_channel=row.source_channel,
            paid_by=row.paid_by,
            author_id=row.author_id,
            amount=row.amount,
            status=row.status,
            merchant=row.merchant,
            description=row.description,
            items=row.items,
            message=row.message,
            written_xid=int(row.written_xid),
        )
        for row in rows
    ]


_TOMBSTONES = text(
    "SELECT id, transaction_id FROM search_tombstones WHERE written_xid >= :low AND written_xid < :high"
    " ORDER BY id"
)


def deleted_since(conn: Connection, low: int, high: int) -> list[tuple[int, uuid.UUID]]:
    """Return ``(tombstone id, transaction id)`` of the transactions deleted by database
    transactions with ids in ``[low, high)``."""
    return [(int(r.id), r.transaction_id) for r in conn.execute(_TOMBSTONES, {"low": low, "high": high})]
