"""Editing a ledger by hand: commands, rules and errors (no I/O).

A member with :attr:`~financy.core.domain.authorization.Action.EDIT` (editor and above) creates,
edits, deletes (reversibly), restores and splits any transaction of the ledger, and adds, renames
and deletes the ledger's own sub-categories (the stable taxonomy slugs never change; a rename is a
display name of this ledger only). Every change is an audit event with who, before and after.

Rules checked here, before anything is written:

* an amount is positive and has no more decimals than its currency's ISO 4217 minor unit
  (``data/currency_minor_units.tsv``; BRL 2, JPY 0, KWD 3): :func:`check_amount`;
* a split has two lines or more whose amounts add up exactly to the transaction's amount:
  :func:`check_split` (the difference is in the error); each line's value in the base currency
  is its share of the transaction's: :func:`split_base_amounts`.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from importlib.resources import files
from typing import Any

from financy.core.domain.commands import Command
from financy.core.domain.errors import FinancyError

# --------------------------------------------------------------------------- errors


class EditingError(FinancyError):
    """A bad edit; ``status`` is the HTTP status the API answers (nothing was changed)."""

    key = "bad_edit"
    status = 400


class InvalidAmountError(EditingError):
    """An amount that is zero, negative or not a finite number."""

    key = "invalid_amount"


class TooManyDecimalsError(EditingError):
    """An amount with more decimals than its currency allows (``"10.123"`` in BRL)."""

    key = "too_many_decimals"

    def __init__(self, amount: Decimal, currency: str, digits: int) -> None:
        allowed = "no decimals" if digits == 0 else f"at most {digits} decimal{'s' if digits > 1 else ''}"
        super().__init__(f"{currency} amounts have {allowed}; got {amount}")
        self.amount, self.currency, self.digits = amount, currency, digits


class UnknownCategoryError(EditingError):
    """A category that is neither a taxonomy slug nor a sub-category of this ledger."""

    key = "unknown_category"

    def __init__(self, category: str) -> None:
        super().__init__(f"unknown category {category!r}")
        self.category = category


class UnknownMemberError(EditingError):
    """A payer who is not a member of the ledger."""

    key = "unknown_member"

    def __init__(self, user_id: uuid.UUID) -> None:
        super().__init__(f"user {user_id} is not a member of this ledger")
        self.user_id = user_id


class SplitTooShortError(EditingError):
    """A split of fewer than two lines (one line is the transaction itself)."""

    key = "split_too_short"

    def __init__(self, lines: int) -> None:
        super().__init__(f"a split needs at least 2 lines; got {lines}")


class SplitMismatchError(EditingError):
    """Split lines whose amounts do not add up to the transaction's amount.

    ``difference`` is the transaction's amount minus the lines' sum (positive: lines are short).
    """

    key = "split_mismatch"
    status = 422

    def __init__(self, total: Decimal, lines_sum: Decimal, currency: str) -> None:
        difference = total - lines_sum
        side = "short of" if difference > 0 else "over"
        super().__init__(
            f"the split lines add up to {lines_sum} {currency}, {abs(difference)} {side} the "
            f"transaction's {total} {currency} (difference {difference})"
        )
        self.total, self.lines_sum, self.difference = total, lines_sum, difference


class TransactionNotFoundError(EditingError):
    """No such transaction in this ledger (another ledger's id answers the same)."""

    key = "not_found"
    status = 404

    def __init__(self, transaction_id: uuid.UUID) -> None:
        super().__init__(f"no transaction {transaction_id} in this ledger")


class CategoryNotFoundError(EditingError):
    """No such category key (taxonomy slug or sub-category id) in this ledger."""

    key = "not_found"
    status = 404

    def __init__(self, key: str) -> None:
        super().__init__(f"no category {key!r} in this ledger")


class EditConflictError(EditingError):
    """The transaction's state does not allow the change (edit a reversed one, restore a recorded one)."""

    key = "conflict"
    status = 409


class CategoryExistsError(EditingError):
    """A sub-category of the same parent already has this name (case-insensitive)."""

    key = "category_exists"
    status = 409


class NothingToChangeError(EditingError):
    """An edit that names no field."""

    key = "nothing_to_change"


# --------------------------------------------------------------------------- amounts


@functools.cache
def _minor_units() -> dict[str, int]:
    text = files("financy.core.domain").joinpath("data", "currency_minor_units.tsv").read_text("utf-8")
    rows = csv.DictReader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t")
    return {row["code"]: int(row["minor"]) for row in rows}


def minor_digits(currency: str) -> int:
    """Return how many decimals an amount in ``currency`` (ISO 4217 code) may have.

    From ``data/currency_minor_units.tsv`` (ISO 4217 List One), else babel's CLDR digits.
    """
    known = _minor_units().get(currency)
    if known is not None:
        return known
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(currency))


def check_amount(amount: Decimal, currency: str) -> Decimal:
    """Return ``amount`` if it is a positive finite number with at most ``currency``'s decimals.

    Raises:
        InvalidAmountError: zero, negative, NaN or infinite.
        TooManyDecimalsError: more significant decimals than the currency's minor unit
            (trailing zeros do not count: ``"10.50"`` and ``"10.500"`` are fine in BRL, ``"10.501"``
            is not; ``"1000"`` is fine in JPY, ``"1000.5"`` is not).
    """
    if not amount.is_finite():
        raise InvalidAmountError(f"amount must be a number; got {amount}")
    if amount <= 0:
        raise InvalidAmountError(f"amount must be greater than 0; got {amount}")
    digits = minor_digits(currency)
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > digits:
        raise TooManyDecimalsError(amount, currency, digits)
    if amount >= Decimal("1e14"):
        raise InvalidAmountError(f"amount is too large; got {amount}")
    return amount


def plain(amount: Decimal, currency: str | None) -> str:
    """Return ``amount`` as a decimal string with at least ``currency``'s minor digits and no
    trailing zeros beyond them (``Decimal("45.9000")`` in BRL: ``"45.90"``; JPY ``"1000"``)."""
    digits = minor_digits(currency) if currency else 0
    exponent = amount.normalize().as_tuple().exponent
    places = max(digits, -exponent if isinstance(exponent, int) else 0)
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"


# --------------------------------------------------------------------------- splits and categories


@dataclass(frozen=True, slots=True)
class SplitLine:
    """One line of a split: ``amount`` (positive, in the transaction's currency) of ``category``
    (a taxonomy slug), optionally a sub-category of it; ``base_amount`` the line's share of the
    transaction's base amount (``None`` while the transaction has none)."""

    category: str
    amount: Decimal
    note: str | None = None
    subcategory_id: uuid.UUID | None = None
    base_amount: Decimal | None = None

    def to_json(self, currency: str, base_currency: str | None) -> dict[str, Any]:
        """Return the line as the audit log keeps it: amounts as :func:`plain` strings in
        ``currency`` (the transaction's) and ``base_currency``, ids as strings."""
        return {
            "category": self.category,
            "subcategory_id": None if self.subcategory_id is None else str(self.subcategory_id),
            "amount": plain(self.amount, currency),
            "base_amount": None if self.base_amount is None else plain(self.base_amount, base_currency),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Subcategory:
    """A ledger's own sub-category of a taxonomy slug (``parent``); ``name`` is its display name."""

    id: uuid.UUID
    context_id: uuid.UUID
    parent: str
    name: str


def check_split(total: Decimal, currency: str, lines: Sequence[SplitLine]) -> None:
    """Check that ``lines`` split ``total`` exactly: two lines or more, each a valid amount.

    Raises:
        SplitTooShortError: fewer than two lines.
        InvalidAmountError, TooManyDecimalsError: a line's amount (see :func:`check_amount`).
        SplitMismatchError: the lines' sum differs from ``total``.
    """
    if len(lines) < 2:
        raise SplitTooShortError(len(lines))
    for line in lines:
        check_amount(line.amount, currency)
    lines_sum = sum((line.amount for line in lines), Decimal(0))
    if lines_sum != total:
        raise SplitMismatchError(total, lines_sum, currency)


_BASE_PLACES = Decimal("0.0001")  # transactions.base_amount is NUMERIC(18, 4)


def split_base_amounts(
    lines: Sequence[SplitLine], total: Decimal, base_total: Decimal | None
) -> list[SplitLine]:
    """Return ``lines`` with ``base_amount`` set to each line's share of ``base_total``.

    Shares are ``amount / total * base_total`` rounded to 4 places; the last line takes what
    rounding left, so the lines' base amounts add up to ``base_total`` exactly. ``base_total``
    ``None`` (no rate known) gives ``None`` to every line.
    """
    if base_total is None:
        return [_with_base(line, None) for line in lines]
    out: list[SplitLine] = []
    given = Decimal(0)
    for i, line in enumerate(lines):
        if i == len(lines) - 1:
            share = base_total - given
        else:
            share = (line.amount * base_total / total).quantize(_BASE_PLACES, rounding=ROUND_HALF_EVEN)
        given += share
        out.append(_with_base(line, share))
    return out


def _with_base(line: SplitLine, base: Decimal | None) -> SplitLine:
    return SplitLine(line.category, line.amount, line.note, line.subcategory_id, base)


# --------------------------------------------------------------------------- commands

#: What :class:`EditTransaction` may change.
EDITABLE_FIELDS = frozenset(
    {
        "kind",
        "amount",
        "currency",
        "occurred_on",
        "merchant",
        "description",
        "category",
        "subcategory_id",
        "payment_method",
        "paid_by",
    }
)


@dataclass(frozen=True, slots=True)
class CreateTransaction(Command):
    """Record one transaction by hand (API); the handler returns its id.

    ``amount`` positive in ``currency`` (ISO 4217); ``category`` a taxonomy slug or ``None``;
    ``subcategory_id`` one of the ledger's sub-categories (its parent becomes ``category``);
    ``paid_by`` a member (``None``: the actor).
    """

    context_id: uuid.UUID
    actor_id: uuid.UUID
    kind: str
    amount: Decimal
    currency: str
    occurred_on: dt.date
    merchant: str | None = None
    description: str | None = None
    category: str | None = None
    subcategory_id: uuid.UUID | None = None
    payment_method: str | None = None
    paid_by: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class EditTransaction(Command):
    """Change fields of a recorded transaction; ``changes`` maps names of :data:`EDITABLE_FIELDS`
    to new values (``None`` clears an optional field)."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    transaction_id: uuid.UUID
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeleteTransaction(Command):
    """Reverse a recorded transaction (it stays, status ``reversed``; :class:`RestoreTransaction` undoes)."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    transaction_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class RestoreTransaction(Command):
    """Make a reversed transaction recorded again."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    transaction_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class SplitTransaction(Command):
    """Split a recorded transaction across categories (replaces an earlier split)."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    transaction_id: uuid.UUID
    lines: tuple[SplitLine, ...]


@dataclass(frozen=True, slots=True)
class RemoveSplit(Command):
    """Remove a transaction's split (it keeps its own category)."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    transaction_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class AddSubcategory(Command):
    """Add a sub-category ``name`` under taxonomy slug ``parent`` in this ledger; returns it."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    parent: str
    name: str


@dataclass(frozen=True, slots=True)
class RenameCategory(Command):
    """Rename a category for this ledger: ``key`` a taxonomy slug (``name`` ``None`` restores the
    taxonomy's name) or a sub-category id."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    key: str
    name: str | None


@dataclass(frozen=True, slots=True)
class DeleteSubcategory(Command):
    """Delete a sub-category; its transactions and split lines keep the parent slug."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    key: str


#: The columns of a transaction an edit by hand may change, stored and audited (before/after).
EDITED_COLUMNS = (
    "kind",
    "amount",
    "currency",
    "occurred_on",
    "merchant",
    "description",
    "category",
    "subcategory_id",
    "payment_method",
    "paid_by",
    "status",
    "base_amount",
    "base_currency",
    "fx_rate",
    "fx_date",
    "fx_source",
)
