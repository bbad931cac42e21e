"""Read model: a context's transactions, newest first, in pages with a keyset cursor.

Rows are ordered by ``(occurred_on DESC, id DESC)``; ids are UUIDv7, so transactions of one
day come out in the order they were recorded, newest first. A page's cursor is the key of its
last row, encoded as opaque URL-safe base64; the next page is the rows strictly after that key,
which the ``(context_id, occurred_on, id)`` index serves without an OFFSET scan, and which stays
correct while new transactions arrive.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, select, tuple_

from financy.core.adapters import orm
from financy.core.domain.model import CATEGORY_BY_SLUG, TransactionStatus

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class InvalidCursorError(ValueError):
    """A page cursor that this module did not make (or that was altered)."""


def encode_cursor(occurred_on: dt.date, transaction_id: uuid.UUID) -> str:
    """Return the opaque cursor for the key ``(occurred_on, transaction_id)``."""
    raw = f"{occurred_on.isoformat()}|{transaction_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.date, uuid.UUID]:
    """Return the key a cursor from :func:`encode_cursor` holds.

    Raises:
        InvalidCursorError: not URL-safe base64 of ``YYYY-MM-DD|uuid``.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, _, ident = raw.partition("|")
        return dt.date.fromisoformat(day), uuid.UUID(ident)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursorError("invalid cursor") from exc


def format_amount(amount: Decimal, currency: str) -> str:
    """Return ``amount`` as a plain decimal string with at least the currency's minor digits.

    ``Decimal("45.9000")`` in BRL is ``"45.90"``, ``Decimal("1000.0000")`` in JPY is ``"1000"``,
    and extra precision that is really there is kept (``"5.789"`` litres-priced fuel).
    """
    from babel.numbers import get_currency_precision

    digits = get_currency_precision(currency)
    normalized = amount.normalize()
    exponent = normalized.as_tuple().exponent
    places = max(digits, -exponent if isinstance(exponent, int) else 0)
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"


@dataclass(frozen=True, slots=True)
class TransactionView:
    """One transaction as the API and the dashboard list it.

    ``amount`` is a positive decimal string in ``currency`` (ISO 4217); ``kind`` gives the
    direction (expense, income, transfer). ``occurred_on`` is the date in the context's time
    zone. ``category_name`` is the category in the requested language, ``None`` if uncategorised.
    ``author_id`` is ``None`` when no person sent it (a channel posting in a group); ``paid_by``
    is who paid (``None``: unknown, the bot asked "who paid?").
    """

    id: uuid.UUID
    occurred_on: dt.date
    kind: str
    amount: str
    currency: str
    merchant: str | None
    description: str | None
    category: str | None
    category_name: str | None
    payment_method: str | None
    installments: int | None
    status: TransactionStatus
    source_channel: str
    author_id: uuid.UUID | None
    created_at: dt.datetime
    paid_by: uuid.UUID | None = None
    #: The amount in the ledger's base currency (decimal string; ``None``: no FX rate known),
    #: ``fx_rate`` base units per unit of ``currency`` of ``fx_date``, from ``fx_source``.
    base_amount: str | None = None
    base_currency: str | None = None
    fx_rate: str | None = None
    fx_date: dt.date | None = None
    fx_source: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON shape of the API (ids, dates and amounts as strings)."""
        return {
            "id": str(self.id),
            "occurred_on": self.occurred_on.isoformat(),
            "kind": self.kind,
            "amount": self.amount,
            "currency": self.currency,
            "merchant": self.merchant,
            "description": self.description,
            "category": self.category,
            "category_name": self.category_name,
            "payment_method": self.payment_method,
            "installments": self.installments,
            "status": self.status.value,
            "source_channel": self.source_channel,
            "author_id": None if self.author_id is None else str(self.author_id),
            "paid_by": None if self.paid_by is None else str(self.paid_by),
            "created_at": self.created_at.isoformat(),
            "base_amount": self.base_amount,
            "base_currency": self.base_currency,
            "fx_rate": self.fx_rate,
            "fx_date": None if self.fx_date is None else self.fx_date.isoformat(),
            "fx_source": self.fx_source,
        }


@dataclass(frozen=True, slots=True)
class TransactionPage:
    """One page of transactions; ``next_cursor`` is ``None`` on the last page."""

    items: list[TransactionView]
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        """Return ``{"items": [...], "next_cursor": str | null}``."""
        return {"items": [t.to_json() for t in self.items], "next_cursor": self.next_cursor}


_TX = orm.transactions
#: The columns a listed transaction shows (:class:`TransactionView`).
_LISTED = (
    _TX.c.id,
    _TX.c.occurred_on,
    _TX.c.kind,
    _TX.c.amount,
    _TX.c.currency,
    _TX.c.merchant,
    _TX.c.description,
    _TX.c.category,
    _TX.c.payment_method,
    _TX.c.installments,
    _TX.c.status,
    _TX.c.source_channel,
    _TX.c.author_id,
    _TX.c.paid_by,
    _TX.c.created_at,
    _TX.c.base_amount,
    _TX.c.base_currency,
    _TX.c.fx_rate,
    _TX.c.fx_date,
    _TX.c.fx_source,
)


def transactions(
    conn: Connection,
    context_id: uuid.UUID,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    category: str | None = None,
    status: TransactionStatus | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    language: str = "en",
) -> TransactionPage:
    """Return up to ``limit`` transactions of ``context_id`` after ``cursor``, newest first.

    ``date_from``/``date_to`` bound ``occurred_on`` inclusively; ``category`` is a taxonomy
    slug; ``status`` ``None`` lists recorded and reversed ones. Membership is the caller's check.

    Raises:
        ValueError: ``limit`` outside 1..:data:`MAX_LIMIT`.
        InvalidCursorError: ``cursor`` was not made by :func:`encode_cursor`.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    tx = orm.transactions
    query = select(*_LISTED).where(tx.c.context_id == context_id)
    if date_from is not None:
        query = query.where(tx.c.occurred_on >= date_from)
    if date_to is not None:
        query = query.where(tx.c.occurred_on <= date_to)
    if category is not None:
        query = query.where(tx.c.category == category)
    if status is not None:
        query = query.where(tx.c.status == status.value)
    if cursor is not None:
        after_day, after_id = decode_cursor(cursor)
        query = query.where(tuple_(tx.c.occurred_on, tx.c.id) < tuple_(after_day, after_id))
    rows = conn.execute(query.order_by(tx.c.occurred_on.desc(), tx.c.id.desc()).limit(limit + 1)).all()
    items = [_view(row, language) for row in rows[:limit]]
    from financy.core.views.editing import ledger_category_names  # it imports this module

    if renames := ledger_category_names(conn, context_id):  # the ledger's own names of categories
        items = [
            replace(item, category_name=renames[item.category]) if item.category in renames else item
            for item in items
        ]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(last.occurred_on, last.id)
    return TransactionPage(items=items, next_cursor=next_cursor)


def _view(row: Row[*tuple[Any, ...]], language: str) -> TransactionView:
    slug = row.category
    category = CATEGORY_BY_SLUG.get(slug) if slug else None
    return TransactionView(
        id=row.id,
        occurred_on=row.occurred_on,
        kind=row.kind,
        amount=format_amount(row.amount, row.currency),
        currency=row.currency,
        merchant=row.merchant,
        description=row.description,
        category=slug,
        category_name=category.name(language) if category else None,
        payment_method=row.payment_method,
        installments=row.installments,
        status=TransactionStatus(row.status),
        source_channel=row.source_channel,
        author_id=row.author_id,
        created_at=row.created_at,
        paid_by=row.paid_by,
        base_amount=None
        if row.base_amount is None or row.base_currency is None
        else format_amount(row.base_amount, row.base_currency),
        base_currency=row.base_currency,
        fx_rate=None if row.fx_rate is None else f"{Decimal(row.fx_rate).normalize():f}",
        fx_date=row.fx_date,
        fx_source=row.fx_source,
    )


def _money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else format_amount(value, currency)


def transaction_detail(
    conn: Connection, context_id: uuid.UUID, transaction_id: uuid.UUID, *, language: str = "en"
) -> dict[str, Any] | None:
    """Return one transaction of ``context_id`` with its receipt lines and where it came from.

    Shape: the list's fields plus what editing adds (``subcategory``, ``splits``, the base-currency
    values: :func:`financy.core.views.editing.edit_details`), ``items`` (``[{"description", "quantity", "unit_price",
    "line_total"}]``, amounts as decimal strings) and ``source`` (``{"capture_id", "media_type",
    "text", "media": {"key", "content_type", "size", "sha256"} | null, "provenance": {"source",
    "engine", "models", "text", "language", "confidence", "duration_s"} | null, "receipt": {...} | null}``).
    ``None`` when the context has no such transaction. Membership is the caller's check.
    """
    tx = orm.transactions
    row = conn.execute(
        select(
            *_LISTED,
            tx.c.capture_id,
        ).where(tx.c.context_id == context_id, tx.c.id == transaction_id)
    ).first()
    if row is None:
        return None
    out = _view(row, language).to_json()
    from financy.core.views.editing import edit_details  # it imports this module

    out.update(edit_details(conn, context_id, transaction_id, language=language) or {})
    items = orm.transaction_items
    out["items"] = [
        {
            "description": item.description,
            "quantity": None if item.quantity is None else f"{item.quantity.normalize():f}",
            "unit_price": _money(item.unit_price, row.currency),
            "line_total": _money(item.line_total, row.currency),
        }
        for item in conn.execute(
            select(items).where(items.c.transaction_id == transaction_id).order_by(items.c.position)
        )
    ]
    out["source"] = None
    if row.capture_id is not None:
        cap = orm.captures
        columns = (cap.c.id, cap.c.media_type, cap.c.text, cap.c.media, cap.c.provenance, cap.c.receipt)
        capture = conn.execute(
            select(*columns).where(cap.c.id == row.capture_id, cap.c.context_id == context_id)
        ).first()
        answered = _completed_by(conn, context_id, row.capture_id) if capture else None
        if answered is not None:
            # "8,50" (typed or spoken) answered the bot's "how much?" about a text, a voice note or a
            # photo: that one is the source.
            note = conn.execute(
                select(*columns).where(cap.c.id == answered, cap.c.context_id == context_id)
            ).first()
            capture, answer = (note, capture) if note is not None else (capture, None)
        else:
            answer = None
        if capture is not None:
            out["source"] = {
                "capture_id": str(capture.id),
                "media_type": capture.media_type,
                "text": capture.text,
                "media": capture.media,
                "provenance": capture.provenance,
                "receipt": capture.receipt,
            }
            if answer is not None:
                spoken = (answer.provenance or {}).get("text") if answer.media else None
                out["source"]["answer"] = {"capture_id": str(answer.id), "text": answer.text or spoken}
    return out


def _completed_by(conn: Connection, context_id: uuid.UUID, capture_id: uuid.UUID) -> uuid.UUID | None:
    """Return the earlier capture (a voice note or photo) that ``capture_id`` completed, or ``None``."""
    ev = orm.events
    found = conn.execute(
        select(ev.c.entity_id).where(
            ev.c.capture_id == capture_id,
            ev.c.context_id == context_id,
            ev.c.name == "capture.completed",
        )
    ).first()
    return None if found is None else uuid.UUID(str(found.entity_id))


def original_of(conn: Connection, context_id: uuid.UUID, transaction_id: uuid.UUID) -> dict[str, Any] | None:
    """Return the object-store reference (``{"key", "content_type", "size", "sha256", "filename"}``) of
    the voice note or photo a transaction of ``context_id`` was recorded from, or ``None``."""
    tx, cap = orm.transactions, orm.captures
    found = conn.execute(
        select(cap.c.id, cap.c.media)
        .join(tx, tx.c.capture_id == cap.c.id)
        .where(tx.c.context_id == context_id, tx.c.id == transaction_id, cap.c.context_id == context_id)
    ).first()
    if found is None:
        return None
    media = found.media
    if not media and (answered := _completed_by(conn, context_id, found.id)) is not None:
        media = conn.execute(
            select(cap.c.media).where(cap.c.id == answered, cap.c.context_id == context_id)
        ).scalar_one_or_none()
    return media if isinstance(media, dict) else None
