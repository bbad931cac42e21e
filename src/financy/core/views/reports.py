"""Read models of the reports: month by category, daily spend, top merchants, income vs expense, per member.

Every report reads the rollups of migration 0012 (``daily_totals``, ``monthly_totals``,
``monthly_member_totals``, ``monthly_merchant_totals``), never the transactions themselves, so its
cost follows the number of buckets in the range and not the number of transactions. Days and months are those of the
ledger's time zone (``occurred_on`` is already the local calendar date; months are truncated as
plain dates). Only recorded transactions count (reversed ones do not).

Amounts are decimal strings in the ledger's base currency (its minor digits at least, see
:func:`financy.core.views.transactions.format_amount`). A transaction whose value in the base
currency is unknown (no FX rate: null ``base_amount``) is never added: each bucket says how
many were ``left_out``, and the report's ``left_out`` gives ``{"count": n, "by_currency":
{"USD": n}}``. Membership is the caller's check; ranges are checked by the API
(:func:`check_months`, :func:`check_days`).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, and_, func, literal, select

from financy.core.adapters import orm
from financy.core.domain.model import CATEGORY_BY_SLUG
from financy.core.views.transactions import format_amount as _format_amount

#: The reports, by the name in their route.
REPORTS: Final = ("month-by-category", "daily", "top-merchants", "income-expense", "per-member")
#: The longest range a report covers (years).
MAX_YEARS: Final = 10
#: Bounds and default of ``limit`` (top merchants).
MAX_MERCHANTS: Final = 100
DEFAULT_MERCHANTS: Final = 10
KINDS: Final = ("expense", "income", "transfer")
NIL: Final = uuid.UUID(orm.NIL_UUID)


class RangeError(ValueError):
    """A report range that is reversed or longer than :data:`MAX_YEARS` (the message says which)."""


def month_start(day: dt.date) -> dt.date:
    """Return the first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """Return the first day of the month ``n`` months after ``month`` (negative: before)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Return the first days of every month from ``first``'s to ``last``'s, inclusive."""
    out, month = [], month_start(first)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def check_months(first: dt.date, last: dt.date) -> None:
    """Raise :class:`RangeError` unless ``first`` <= ``last`` and they span at most 10 years (120 months)."""
    if first > last:
        raise RangeError("'from' is after 'to'")
    if len(months_between(first, last)) > MAX_YEARS * 12:
        raise RangeError(f"the range is longer than {MAX_YEARS} years")


def check_days(first: dt.date, last: dt.date) -> None:
    """Raise :class:`RangeError` unless ``first`` <= ``last`` < ``first`` + 10 years."""
    if first > last:
        raise RangeError("'from' is after 'to'")
    if (last - first).days >= 3653:  # ten years, leap days included
        raise RangeError(f"the range is longer than {MAX_YEARS} years")


@functools.lru_cache(maxsize=64)
def _quantum(currency: str) -> Decimal:
    from babel.numbers import get_currency_precision

    return Decimal(1).scaleb(-get_currency_precision(currency))


def format_amount(amount: Decimal, currency: str) -> str:
    """Return ``amount`` as :func:`financy.core.views.transactions.format_amount` does, faster for
    sums: a whole number of minor units (the rollups' usual case) skips the general path."""
    quantum = _quantum(currency)
    exact = amount.quantize(quantum)
    if exact == amount:
        return f"{exact:f}"
    return _format_amount(amount, currency)


def _month(day: dt.date) -> str:
    return day.strftime("%Y-%m")


@dataclass
class _Sum:
    """A bucket's counted total (in the base currency), its count and what was left out."""

    total: Decimal = Decimal(0)
    count: int = 0
    left_out: int = 0

    def add(self, ok: bool, n: int, total: Decimal) -> None:
        if ok:
            self.count += n
            self.total += total
        else:
            self.left_out += n

    def json(self, currency: str) -> dict[str, Any]:
        return {"total": format_amount(self.total, currency), "count": self.count, "left_out": self.left_out}


@dataclass
class _LeftOut:
    """Transactions not counted for lack of a rate, per currency."""

    by_currency: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, ok: bool, currency: str, n: int) -> None:
        if not ok:
            self.by_currency[currency] += n

    def json(self) -> dict[str, Any]:
        return {
            "count": sum(self.by_currency.values()),
            "by_currency": dict(sorted(self.by_currency.items())),
        }


def _counted(table: Any, base_currency: str) -> Any:
    """The SQL truth value 'this rollup row is in the base currency' (the rest is left out)."""
    return and_(table.c.priced, table.c.currency == base_currency).label("ok")


def _left_out(conn: Connection, table: Any, where: tuple[Any, ...], ok: Any) -> _LeftOut:
    """Count the rows of ``table`` matching ``where`` that are not in the base currency, per currency."""
    found = _LeftOut()
    for currency, n in conn.execute(
        select(table.c.currency, func.sum(table.c.n)).where(*where, ~ok).group_by(table.c.currency)
    ):
        found.by_currency[currency] += int(n)
    return found


def _name(slug: str, language: str) -> str | None:
    category = CATEGORY_BY_SLUG.get(slug)
    return category.name(language) if category else None


def month_by_category(
    conn: Connection,
    context_id: uuid.UUID,
    base_currency: str,
    *,
    first: dt.date,
    last: dt.date,
    kind: str = "expense",
    language: str = "en",
) -> dict[str, Any]:
    """Return ``kind`` totals per month and category, months ``first``..``last`` (any day of each).

    Shape: ``{"report", "base_currency", "kind", "from": "YYYY-MM", "to", "months": [{"month",
    "total", "count", "left_out", "categories": [{"category": slug | null, "category_name",
    "total", "count", "left_out"}]}], "total", "count", "left_out": {"count", "by_currency"}}``;
    every month of the range is listed (empty ones too), categories largest first.
    """
    mt = orm.monthly_totals
    ok = _counted(mt, base_currency).element
    where = (
        mt.c.context_id == context_id,
        mt.c.kind == kind,
        mt.c.month >= month_start(first),
        mt.c.month <= month_start(last),
    )
    rows = conn.execute(
        select(
            mt.c.month,
            mt.c.category,
            func.coalesce(func.sum(mt.c.n).filter(ok), 0),
            func.coalesce(func.sum(mt.c.total).filter(ok), 0),
            func.coalesce(func.sum(mt.c.n).filter(~ok), 0),
        )
        .where(*where)
        .group_by(mt.c.month, mt.c.category)
    ).all()
    months: dict[dt.date, dict[str, _Sum]] = {m: {} for m in months_between(first, last)}
    whole = _Sum()
    for month, category, n, total, n_out in rows:
        line = _Sum(Decimal(total), int(n), int(n_out))
        months[month][category] = line
        whole.total += line.total
        whole.count += line.count
    left_out = _left_out(conn, mt, where, ok)
    out_months = []
    for month, categories in months.items():
        bucket = _Sum()
        lines = []
        for slug, line in sorted(categories.items(), key=lambda kv: (-kv[1].total, -kv[1].count, kv[0])):
            bucket.total += line.total
            bucket.count += line.count
            bucket.left_out += line.left_out
            lines.append(
                {"category": slug or None, "category_name": _name(slug, language), **line.json(base_currency)}
            )
        out_months.append({"month": _month(month), **bucket.json(base_currency), "categories": lines})
    return {
        "report": "month-by-category",
        "base_currency": base_currency,
        "kind": kind,
        "from": _month(first),
        "to": _month(last),
        "months": out_months,
        "total": format_amount(whole.total, base_currency),
        "count": whole.count,
        "left_out": left_out.json(),
    }


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def daily(
    conn: Connection,
    context_id: uuid.UUID,
    base_currency: str,
    *,
    first: dt.date,
    last: dt.date,
    kind: str = "expense",
) -> dict[str, Any]:
    """Return ``kind`` totals per day from ``first`` to ``last`` inclusive (every day, empty ones too).

    Shape: ``{"report", "base_currency", "kind", "from": "YYYY-MM-DD", "to", "days": [{"day",
    "total", "count", "left_out"}], "total", "count", "left_out": {"count", "by_currency"}}``.
    """
    d = orm.daily_totals
    ok = _counted(d, base_currency)
    rows = conn.execute(
        select(d.c.day, d.c.currency, ok, func.sum(d.c.n), func.sum(d.c.total))
        .where(d.c.context_id == context_id, d.c.kind == kind, d.c.day >= first, d.c.day <= last)
        .group_by(d.c.day, d.c.currency, ok.element)
    ).all()
    days: dict[dt.date, _Sum] = {day: _Sum() for day in _days(first, last)}
    left_out, whole = _LeftOut(), _Sum()
    for day, currency, counted, n, total in rows:
        days[day].add(counted, int(n), Decimal(total))
        whole.add(counted, int(n), Decimal(total))
        left_out.add(counted, currency, int(n))
    return {
        "report": "daily",
        "base_currency": base_currency,
        "kind": kind,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": [{"day": day.isoformat(), **line.json(base_currency)} for day, line in days.items()],
        "total": format_amount(whole.total, base_currency),
        "count": whole.count,
        "left_out": left_out.json(),
    }


def top_merchants(
    conn: Connection,
    context_id: uuid.UUID,
    base_currency: str,
    *,
    first: dt.date,
    last: dt.date,
    limit: int = DEFAULT_MERCHANTS,
    kind: str = "expense",
) -> dict[str, Any]:
    """Return the ``limit`` merchants with most ``kind`` in months ``first``..``last``, largest first.

    Merchants are compared in lower case without surrounding blanks (``merchant`` is that form);
    transactions without a merchant are not ranked. Shape: ``{"report", "base_currency", "kind",
    "from": "YYYY-MM", "to", "limit", "merchants": [{"merchant", "total", "count", "left_out"}],
    "left_out": {"count", "by_currency"}}`` (``left_out`` of the listed merchants).
    """
    mm = orm.monthly_merchant_totals
    ok = _counted(mm, base_currency).element
    where = (
        mm.c.context_id == context_id,
        mm.c.kind == kind,
        mm.c.month >= month_start(first),
        mm.c.month <= month_start(last),
        mm.c.merchant != "",
    )
    counted_n = func.coalesce(func.sum(mm.c.n).filter(ok), 0)
    counted_total = func.coalesce(func.sum(mm.c.total).filter(ok), 0)
    rows = conn.execute(
        select(mm.c.merchant, counted_n, counted_total, func.coalesce(func.sum(mm.c.n).filter(~ok), 0))
        .where(*where)
        .group_by(mm.c.merchant)
        .order_by(counted_total.desc(), func.sum(mm.c.n).desc(), mm.c.merchant)
        .limit(limit)
    ).all()
    ordered = [(name, _Sum(Decimal(total), int(n), int(n_out))) for name, n, total, n_out in rows]
    listed = [name for name, line in ordered if line.left_out]
    left_out = _left_out(conn, mm, (*where, mm.c.merchant.in_(listed)), ok) if listed else _LeftOut()
    return {
        "report": "top-merchants",
        "base_currency": base_currency,
        "kind": kind,
        "from": _month(first),
        "to": _month(last),
        "limit": limit,
        "merchants": [{"merchant": name, **line.json(base_currency)} for name, line in ordered],
        "left_out": left_out.json(),
    }


def income_expense(
    conn: Connection, context_id: uuid.UUID, base_currency: str, *, first: dt.date, last: dt.date
) -> dict[str, Any]:
    """Return income, expenses and their difference per month, months ``first``..``last``.

    Transfers count in neither. Shape: ``{"report", "base_currency", "from", "to", "months":
    [{"month", "income", "expense", "net", "income_count", "expense_count", "left_out"}],
    "income", "expense", "net", "left_out": {"count", "by_currency"}}``.
    """
    mt = orm.monthly_totals
    ok = _counted(mt, base_currency)
    rows = conn.execute(
        select(mt.c.month, mt.c.kind, mt.c.currency, ok, func.sum(mt.c.n), func.sum(mt.c.total))
        .where(
            mt.c.context_id == context_id,
            mt.c.kind.in_(("income", "expense")),
            mt.c.month >= month_start(first),
            mt.c.month <= month_start(last),
        )
        .group_by(mt.c.month, mt.c.kind, mt.c.currency, ok.element)
    ).all()
    months: dict[dt.date, dict[str, _Sum]] = {m: defaultdict(_Sum) for m in months_between(first, last)}
    whole: dict[str, _Sum] = defaultdict(_Sum)
    left_out = _LeftOut()
    for month, kind, currency, counted, n, total in rows:
        months[month][kind].add(counted, int(n), Decimal(total))
        whole[kind].add(counted, int(n), Decimal(total))
        left_out.add(counted, currency, int(n))

    def money(value: Decimal) -> str:
        return format_amount(value, base_currency)

    out = []
    for month, kinds in months.items():
        income, expense = kinds["income"], kinds["expense"]
        out.append(
            {
                "month": _month(month),
                "income": money(income.total),
                "expense": money(expense.total),
                "net": money(income.total - expense.total),
                "income_count": income.count,
                "expense_count": expense.count,
                "left_out": income.left_out + expense.left_out,
            }
        )
    return {
        "report": "income-expense",
        "base_currency": base_currency,
        "from": _month(first),
        "to": _month(last),
        "months": out,
        "income": money(whole["income"].total),
        "expense": money(whole["expense"].total),
        "net": money(whole["income"].total - whole["expense"].total),
        "left_out": left_out.json(),
    }


def _members(conn: Connection, context_id: uuid.UUID) -> dict[uuid.UUID, str | None]:
    m, u = orm.members, orm.users
    rows = conn.execute(
        select(u.c.id, func.coalesce(u.c.display_name, u.c.username))
        .join(m, m.c.user_id == u.c.id)
        .where(m.c.context_id == context_id)
        .order_by(m.c.joined_at, u.c.id)
    ).all()
    return {row[0]: row[1] for row in rows}


def per_member(
    conn: Connection, context_id: uuid.UUID, base_currency: str, *, first: dt.date, last: dt.date
) -> dict[str, Any]:
    """Return per month, for each member, the expenses they recorded (``spent``) and paid (``paid``).

    ``spent`` follows the transaction's author, ``paid`` its payer; a ``user_id`` of null is
    "nobody known" (a channel's posting, or a payer the bot still asks about). Every current
    member is listed each month; former members appear where they have figures. Shape:
    ``{"report", "base_currency", "from", "to", "months": [{"month", "members": [{"user_id",
    "name", "spent", "spent_count", "paid", "paid_count"}], "left_out"}], "left_out": {...}}``.
    """
    mt = orm.monthly_member_totals
    ok = _counted(mt, base_currency)
    rows = conn.execute(
        select(
            mt.c.month,
            mt.c.author_id,
            mt.c.paid_by,
            mt.c.currency,
            ok,
            func.sum(mt.c.n),
            func.sum(mt.c.total),
        )
        .where(
            mt.c.context_id == context_id,
            mt.c.kind == literal("expense"),
            mt.c.month >= month_start(first),
            mt.c.month <= month_start(last),
        )
        .group_by(mt.c.month, mt.c.author_id, mt.c.paid_by, mt.c.currency, ok.element)
    ).all()
    names = _members(conn, context_id)
    people: dict[uuid.UUID | None, str | None] = {who: name for who, name in names.items()}
    spent: dict[tuple[dt.date, uuid.UUID | None], _Sum] = defaultdict(_Sum)
    paid: dict[tuple[dt.date, uuid.UUID | None], _Sum] = defaultdict(_Sum)
    month_left: dict[dt.date, int] = defaultdict(int)
    left_out = _LeftOut()
    for month, author, payer, currency, counted, n, total in rows:
        author_id = None if author == NIL else author
        payer_id = None if payer == NIL else payer
        for who in (author_id, payer_id):
            people.setdefault(who, None)
        spent[month, author_id].add(counted, int(n), Decimal(total))
        paid[month, payer_id].add(counted, int(n), Decimal(total))
        if not counted:
            month_left[month] += int(n)
        left_out.add(counted, currency, int(n))
    missing = [who for who in people if who is not None and who not in names]
    if missing:
        u = orm.users
        for user_id, name in conn.execute(
            select(u.c.id, func.coalesce(u.c.display_name, u.c.username)).where(u.c.id.in_(missing))
        ):
            people[user_id] = name

    def line(month: dt.date, who: uuid.UUID | None) -> dict[str, Any]:
        s, p = spent.get((month, who), _Sum()), paid.get((month, who), _Sum())
        return {
            "user_id": None if who is None else str(who),
            "name": people.get(who),
            "spent": format_amount(s.total, base_currency),
            "spent_count": s.count,
            "paid": format_amount(p.total, base_currency),
            "paid_count": p.count,
        }

    def shown(month: dt.date) -> Iterable[uuid.UUID | None]:
        for who in people:
            if who in names or (month, who) in spent or (month, who) in paid:
                yield who

    return {
        "report": "per-member",
        "base_currency": base_currency,
        "from": _month(first),
        "to": _month(last),
        "months": [
            {"month": _month(m), "members": [line(m, who) for who in shown(m)], "left_out": month_left[m]}
            for m in months_between(first, last)
        ],
        "left_out": left_out.json(),
    }
