"""Ledger domain model: plain frozen dataclasses, no I/O.

Money is a :class:`~decimal.Decimal` with an ISO 4217 code, never a float. Ids are UUIDs;
ids whose order matters (transactions, captures, events) are UUIDv7 (RFC 9562 §5.7).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from financy.core.contracts.categories import CATEGORY_DISPLAY
from financy.core.domain.errors import UnknownCurrencyError


class ContextType(StrEnum):
    """What a ledger context is for."""

    PERSONAL = "personal"
    FAMILY = "family"
    PROJECT = "project"
    TRAVEL = "travel"


class Role(StrEnum):
    """A member's role in a context, strongest first."""

    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class TransactionStatus(StrEnum):
    """Lifecycle of a recorded transaction; a reversed one stays in the ledger for the audit."""

    RECORDED = "recorded"
    REVERSED = "reversed"


class CaptureStatus(StrEnum):
    """What became of a capture."""

    RECORDED = "recorded"  # produced one or more transactions
    NEEDS_REVIEW = "needs_review"  # kept, and the user was asked
    COMMAND = "command"  # undo, help, start: nothing to record


def merchant_key(merchant: str) -> str:
    """Return the key a merchant is remembered by: lower-case, no accents or punctuation, single spaces.

    "Pão de Açúcar", "PAO DE ACUCAR" and "pão  de açúcar!" share the key "pao de acucar".
    """
    import unicodedata

    folded = unicodedata.normalize("NFKD", merchant.casefold())
    letters = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(letters.split())[:200]


#: ISO 4217 codes that are no currency one pays with: "no currency", the test code, precious
#: metals and bond-market or settlement units.
NOT_MONEY = frozenset(
    {"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA"}
)


def normalize_currency(code: str) -> str:
    """Return ``code`` upper-cased if it is an ISO 4217 currency babel knows.

    Raises:
        UnknownCurrencyError: the code is not a three-letter ISO 4217 currency.
    """
    from babel.numbers import list_currencies

    upper = code.strip().upper()
    if len(upper) != 3 or upper not in list_currencies() or upper in NOT_MONEY:
        raise UnknownCurrencyError(code)
    return upper


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency (``amount`` as Decimal, ``currency`` ISO 4217)."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Category:
    """One slug of the stable taxonomy (DESIGN §4) with its display names."""

    slug: str
    kind: str  # "expense", "income" or "transfer"
    name_pt: str
    name_en: str

    def name(self, language: str) -> str:
        """Return the display name in ``language`` ("pt" or anything else for English)."""
        return self.name_pt if language == "pt" else self.name_en


#: The taxonomy, its display names read from ``core/contracts/category_display_names.tsv`` (the
#: one file the reply, the dashboard and the README name categories from).
TAXONOMY: tuple[Category, ...] = tuple(
    Category(c.slug, c.kind, c.names["pt"], c.names["en"]) for c in CATEGORY_DISPLAY
)
CATEGORY_BY_SLUG: dict[str, Category] = {c.slug: c for c in TAXONOMY}


@dataclass(frozen=True, slots=True)
class LedgerContext:
    """A shared ledger (personal, family, project or travel) with its local conventions."""

    id: uuid.UUID
    name: str
    type: ContextType
    base_currency: str
    time_zone: str
    locale: str
    #: A Brazilian card's foreign purchases carry their IOF as a second transaction (migration
    #: 0007; off by default, see :mod:`financy.core.service.iof`).
    card_iof: bool = False

    @property
    def language(self) -> str:
        """Return the context's two-letter language ("pt" or "en")."""
        return "pt" if self.locale.lower().startswith("pt") else "en"


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """One line of a receipt kept with its transaction; figures the receipt does not show are ``None``."""

    description: str
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    line_total: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Transaction:
    """One recorded movement of money in a context.

    ``money.amount`` is positive; ``kind`` ("expense", "income" or "transfer") gives the
    direction. ``occurred_on`` is the calendar date in the context's time zone. ``items`` are a
    receipt's lines; ``category_guesses`` the category model's next best slugs (not stored, shown
    as buttons in the reply). ``author_id`` is ``None`` when no person sent it (a channel or an
    anonymous group administrator); ``paid_by`` is who paid (``None``: unknown, the bot asked).
    """

    id: uuid.UUID
    context_id: uuid.UUID
    kind: str
    money: Money
    occurred_on: dt.date
    merchant: str | None
    description: str | None
    payment_method: str | None
    installments: int | None
    category: str | None
    source_channel: str
    capture_id: uuid.UUID | None
    author_id: uuid.UUID | None
    confidence: float | None
    status: TransactionStatus = TransactionStatus.RECORDED
    paid_by: uuid.UUID | None = None
    items: tuple[ReceiptLine, ...] = ()
    category_guesses: tuple[str, ...] = ()
    #: The edge's category was an unsure guess (not stored; the reply offers the guesses).
    category_unsure: bool = False
    #: The amount in the context's base currency: ``fx_rate`` base units per unit of
    #: ``money.currency`` on ``fx_date``, from ``fx_source`` ("identity", "ecb", "override").
    #: ``None``: no rate is known (totals say so rather than add different currencies).
    base_amount: Decimal | None = None
    base_currency: str | None = None
    fx_rate: Decimal | None = None
    fx_date: dt.date | None = None
    fx_source: str | None = None
    #: The purchase this transaction is a fee of (the IOF line of a card's foreign purchase), or ``None``.
    fee_of: uuid.UUID | None = None
    #: One of the ledger's own sub-categories of ``category`` (migration 0008), ``None``: none.
    subcategory_id: uuid.UUID | None = None

    def fields(self) -> dict[str, Any]:
        """Return the stored fields by column name (``amount`` and ``currency`` from ``money``)."""
        return {
            "id": self.id,
            "context_id": self.context_id,
            "kind": self.kind,
            "amount": self.money.amount,
            "currency": self.money.currency,
            "occurred_on": self.occurred_on,
            "merchant": self.merchant,
            "description": self.description,
            "payment_method": self.payment_method,
            "installments": self.installments,
            "category": self.category,
            "source_channel": self.source_channel,
            "capture_id": self.capture_id,
            "author_id": self.author_id,
            "paid_by": self.paid_by,
            "confidence": self.confidence,
            "status": self.status.value,
            "base_amount": self.base_amount,
            "base_currency": self.base_currency,
            "fx_rate": self.fx_rate,
            "fx_date": self.fx_date,
            "fx_source": self.fx_source,
            "fee_of": self.fee_of,
            "subcategory_id": self.subcategory_id,
        }


def period_bounds(period: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """Return the inclusive date range of ``period`` as of ``today`` (weeks start on Monday).

    Periods: ``today``, ``yesterday``, ``this_week``, ``last_week``, ``this_month``,
    ``last_month``, ``this_year``, ``last_year``; ``"all"`` gives ``(None, None)``.

    Raises:
        ValueError: an unknown period.
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
