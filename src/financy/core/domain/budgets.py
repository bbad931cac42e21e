"""Budgets: a monthly amount in the ledger's base currency for a category, a group or the whole ledger.

A budget covers one of three scopes: ``category`` (one taxonomy slug), ``group`` (the members of
a category group, "food" = groceries + restaurants, from ``inference/data/category_groups.tsv``)
or ``ledger`` (every expense). Its month is a calendar month in the ledger's time zone
(transaction dates are already local dates).

What was spent is the sum of the ``base_amount`` of recorded expenses of the scope's categories
in the month; expenses with no base amount (no FX rate was known) are counted apart
(``unvalued``) and never added in another currency.

Rolling over: with ``rollover`` what was left (or overspent) in each month since ``starts_on``
carries to the next, so the month's ``available`` is ``amount × (months since starts_on + 1) −
spent before the month`` (at least one month: a month before ``starts_on`` has no carry).
Changing a budget's amount, or turning rolling over on, starts its carry again from that month.

Alerts: when a month's spending reaches :data:`THRESHOLDS` (80 % and 100 %) of ``available``,
once per budget, month and threshold.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from financy.core.domain.errors import FinancyError
from financy.core.domain.model import CATEGORY_BY_SLUG

Scope = Literal["category", "group", "ledger"]
#: Percentages of a month's budget whose crossing sends an alert, lowest first.
THRESHOLDS: Final = (80, 100)
_CENTS = Decimal("0.01")


class InvalidBudgetError(FinancyError):
    """A budget that cannot be kept: amount 0 or negative, too many decimals for the currency,
    a currency other than the ledger's base currency, an unknown category or group, or a bad month.
    ``field`` names what is wrong ("amount", "currency", "category", "group", "month")."""

    key = "invalid_budget"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class BudgetNotFoundError(FinancyError):
    """No budget with that id in that ledger."""

    key = "budget_not_found"

    def __init__(self) -> None:
        super().__init__("no such budget in this context")


@dataclass(frozen=True, slots=True)
class Budget:
    """A stored budget: ``amount`` a month in ``currency`` (the ledger's base currency).

    ``target`` is the category slug or group slug (``""`` for the whole ledger); ``categories``
    the slugs it sums (empty for the whole ledger: every expense). ``starts_on`` is the first day
    of the month its carry starts from.
    """

    id: uuid.UUID
    context_id: uuid.UUID
    scope: Scope
    target: str
    categories: tuple[str, ...]
    amount: Decimal
    currency: str
    rollover: bool
    starts_on: dt.date

    def covers(self, category: str | None) -> bool:
        """Return whether an expense of ``category`` (``None``: uncategorised) counts in this budget."""
        return self.scope == "ledger" or (category is not None and category in self.categories)


@dataclass(frozen=True, slots=True)
class Spent:
    """Recorded expenses of one category (``None``: uncategorised) in a date range: the sum of
    their base amounts, how many were summed, and how many had no base amount (``unvalued``)."""

    category: str | None
    total: Decimal
    count: int
    unvalued: int = 0


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A budget in one month: ``available`` = ``amount`` + ``carried`` (rollover), ``spent`` and
    ``left`` = ``available`` − ``spent`` (negative: overspent), ``percent`` of ``available``
    spent (whole number, rounded down; 100 or more: reached), over ``count`` expenses, with
    ``unvalued`` expenses left out for want of an FX rate. ``month`` is the month's first day."""

    budget: Budget
    month: dt.date
    carried: Decimal
    available: Decimal
    spent: Decimal
    left: Decimal
    percent: int
    count: int
    unvalued: int

    def reached(self) -> tuple[int, ...]:
        """Return the :data:`THRESHOLDS` this month's spending has reached."""
        return tuple(t for t in THRESHOLDS if reached(self.spent, self.available, t))


def reached(spent: Decimal, available: Decimal, threshold: int) -> bool:
    """Return whether ``spent`` is at least ``threshold`` % of ``available`` (nothing available:
    anything spent reaches every threshold)."""
    if available <= 0:
        return spent > 0 or available < 0
    return spent * 100 >= available * threshold


def month_start(day: dt.date) -> dt.date:
    """Return the first day of ``day``'s month."""
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    """Return the last day of ``month``'s month."""
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def months_between(start: dt.date, month: dt.date) -> int:
    """Return how many whole months ``month`` is after ``start`` (both any day of their month)."""
    return (month.year - start.year) * 12 + month.month - start.month


def parse_month(text: str) -> dt.date:
    """Return the first day of month ``"YYYY-MM"``.

    Raises:
        InvalidBudgetError: not ``YYYY-MM`` or not a month (field ``month``).
    """
    parts = text.split("-")
    if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2 or not all(p.isdigit() for p in parts):
        raise InvalidBudgetError("month", f"expected a month YYYY-MM, got {text!r}")
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12 or not 1900 <= year <= 2999:
        raise InvalidBudgetError("month", f"{text!r} is not a month")
    return dt.date(year, month, 1)


def check_amount(amount: Decimal, currency: str, base_currency: str) -> Decimal:
    """Return ``amount`` if it can be a budget in ``currency`` of a ledger in ``base_currency``.

    Raises:
        InvalidBudgetError: ``amount`` is not positive (``amount``), has more decimals than
            ``currency`` has (``amount``: "800.555" BRL), or ``currency`` is not ``base_currency``.
    """
    from babel.numbers import get_currency_precision

    if currency != base_currency:
        raise InvalidBudgetError(
            "currency", f"a budget is in the ledger's base currency {base_currency}, not {currency}"
        )
    if not amount.is_finite() or amount <= 0:
        raise InvalidBudgetError("amount", "a budget's amount must be greater than 0")
    places = get_currency_precision(currency)
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise InvalidBudgetError("amount", f"{currency} amounts have at most {places} decimal places")
    if amount >= Decimal(10) ** 14:
        raise InvalidBudgetError("amount", "a budget's amount is too large")
    return amount


def scope_of(
    category: str | None, group: str | None, groups: Mapping[str, Sequence[str]]
) -> tuple[Scope, str, tuple[str, ...]]:
    """Return ``(scope, target, categories)`` of a budget for ``category`` or ``group`` (neither:
    the whole ledger), ``groups`` being ``{group slug: member slugs}``.

    Raises:
        InvalidBudgetError: both given, an unknown category or one that is not an expense's
            (``category``), or an unknown group (``group``).
    """
    if category is not None and group is not None:
        raise InvalidBudgetError("category", "a budget is for a category or a group, not both")
    if category is not None:
        known = CATEGORY_BY_SLUG.get(category)
        if known is None or known.kind != "expense":
            raise InvalidBudgetError("category", f"unknown expense category {category!r}")
        return "category", category, (category,)
    if group is not None:
        members = groups.get(group)
        if members is None:
            raise InvalidBudgetError("group", f"unknown category group {group!r}")
        return "group", group, tuple(members)
    return "ledger", "", ()


def _sum(budget: Budget, rows: Iterable[Spent]) -> tuple[Decimal, int, int]:
    total, count, unvalued = Decimal(0), 0, 0
    for row in rows:
        if budget.covers(row.category):
            total += row.total
            count += row.count
            unvalued += row.unvalued
    return total, count, unvalued


def status_of(
    budget: Budget, month: dt.date, in_month: Iterable[Spent], before: Iterable[Spent] = ()
) -> BudgetStatus:
    """Return ``budget`` in ``month`` (any day of it) from the month's expenses by category
    (``in_month``) and, for a rolling budget, those from ``starts_on`` to the month before
    (``before``; ignored otherwise)."""
    first = month_start(month)
    spent, count, unvalued = _sum(budget, in_month)
    carried = Decimal(0)
    elapsed = months_between(budget.starts_on, first)
    if budget.rollover and elapsed > 0:
        spent_before, _, _ = _sum(budget, before)
        carried = budget.amount * elapsed - spent_before
    available = budget.amount + carried
    left = available - spent
    percent = (
        int(spent * 100 // available) if available > 0 else (100 if reached(spent, available, 100) else 0)
    )
    return BudgetStatus(
        budget=budget,
        month=first,
        carried=carried.quantize(_CENTS),
        available=available.quantize(_CENTS),
        spent=spent.quantize(_CENTS),
        left=left.quantize(_CENTS),
        percent=percent,
        count=count,
        unvalued=unvalued,
    )


def carry_range(budget: Budget, month: dt.date) -> tuple[dt.date, dt.date] | None:
    """Return the dates whose spending carries into ``month`` of a rolling ``budget`` (from
    ``starts_on`` to the end of the month before), or ``None`` when nothing carries."""
    first = month_start(month)
    if not budget.rollover or months_between(budget.starts_on, first) <= 0:
        return None
    return budget.starts_on, first - dt.timedelta(days=1)
