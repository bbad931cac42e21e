"""Recurring payments and subscriptions found in a ledger: pure detection, no I/O.

Given a ledger's recorded expenses and income (:class:`Occurrence`: date, amount, currency,
merchant, category), :func:`detect` returns the series that repeat (:class:`Series`): the
merchant, the cadence (weekly, monthly, yearly), the typical amount, the last date, the expected
next date and amount, a confidence, and a price change when the latest amount stepped away from
a stable earlier one ("Netflix subiu de 39,90 para 44,90").

What we follow, and where we differ:

* Actual Budget (``loot-core/src/server/schedules/find-schedules.ts``, "find schedules") tries
  date patterns (weekly, every two weeks, monthly on a day, last day of the month) back from the
  latest transaction, matches each expected date to a transaction of the same payee within ±2
  days and an amount within ±7.5 % (``getApproxNumberThreshold``), ranks the candidates by how
  close the dates fall (``1 / (days off + 1)``) and *proposes* the best one per payee, marking
  date and amount "approximate" when they were not exact; the user accepts or ignores it. We
  follow that shape: detection only proposes (``detected``), the user confirms or dismisses; an
  amount within a tolerance (10 %) is the same series, and a date within ±3 days of the expected
  day of the month counts. Actual matches on a payee id; a chat ledger has only free-text
  merchants, so we group by a fuzzy merchant key (:func:`series_key`) instead.
* Firefly III (bills, now "subscriptions") are declared by the user: an amount range
  (``amount_min``..``amount_max``), a repeat frequency (weekly .. yearly) with ``skip`` (a bill
  may skip occurrences), and a ``next_expected_match``; rules link transactions to them. We keep
  its model of a series (an expected amount, a frequency, the next expected date) and its
  tolerance of a skipped occurrence (here: at most one skipped month), but find the series from
  the ledger instead of asking the user to declare them.

Detection, per ``(kind, currency, series_key(merchant))`` group (transfers and transactions
without a merchant are left out; several on one day count as one occurrence, summed):

* weekly: at least 3 occurrences, each 7 ± 1 days after the one before; next: last + 7 days.
* monthly: at least 3 occurrences, each within ±3 days of the series' day of the month (the
  median day, clamped to short months) in consecutive months, one skipped month tolerated;
  next: that day in the month after the last.
* yearly: at least 2 occurrences, each 365 ± 5 days after the one before; next: the last's day
  one year later (29 Feb: 28 Feb).
* amounts: every amount within :data:`AMOUNT_TOLERANCE` (10 %) of the median, or one step to
  the latest run of one price (amounts within :data:`STABLE_TOLERANCE`, 1 %, of each other)
  from a run of one price of at least 2 occurrences (1 for yearly), the earlier amounts within
  10 % of their median and the new price at most double or half the old one. Such a step is a
  :class:`PriceChange` and the new price the expected amount. Three restaurant visits at random
  days and amounts make no series.
* lapsed: given ``today``, a series whose next date passed more than :data:`LAPSE_DAYS` ago (a
  second missed occurrence) is left out: the payments stopped.

Median amounts are the lower median (always an amount that was recorded).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import functools
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib.resources import files
from typing import Final, Literal, TypeVar

Cadence = Literal["weekly", "monthly", "yearly"]
CADENCES: Final[tuple[Cadence, ...]] = ("weekly", "monthly", "yearly")
#: The kinds of transaction a series may be of (transfers never are).
KINDS: Final = frozenset({"expense", "income"})
#: Amounts within this fraction of the series' median are the same series (a variable bill).
AMOUNT_TOLERANCE: Final = Decimal("0.10")
#: Amounts within this fraction of each other are "the same price" (a fixed subscription).
STABLE_TOLERANCE: Final = Decimal("0.01")
#: A price change may at most double or halve the amount (beyond: not the same series).
MAX_STEP: Final = Decimal(2)
#: Fewest occurrences of each cadence.
MIN_OCCURRENCES: Final[dict[Cadence, int]] = {"weekly": 3, "monthly": 3, "yearly": 2}
#: Days off the 7-day week, the day of the month, and the 365-day year an occurrence may be.
WEEK_SLACK: Final = 1
MONTH_DAY_SLACK: Final = 3
YEAR_SLACK: Final = 5
#: A series whose next date is this many days past ``today`` has lapsed (a second occurrence missed).
LAPSE_DAYS: Final[dict[Cadence, int]] = {"weekly": 8, "monthly": 34, "yearly": 35}
#: A dismissed series is proposed again only if its cadence changed or its expected amount moved
#: by more than this fraction of the amount it had when dismissed.
REOPEN_AMOUNT_CHANGE: Final = Decimal("0.25")
_MAX_KEY = 200
_N = TypeVar("_N", int, Decimal)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One recorded transaction as detection sees it: ``amount`` positive in ``currency`` (ISO
    4217), ``kind`` "expense" or "income", ``merchant`` as the ledger wrote it."""

    occurred_on: dt.date
    amount: Decimal
    currency: str
    merchant: str | None
    kind: str = "expense"
    category: str | None = None


@dataclass(frozen=True, slots=True)
class PriceChange:
    """The amount stepped from ``old_amount`` to ``new_amount`` on ``changed_on`` (the first
    occurrence at the new amount)."""

    old_amount: Decimal
    new_amount: Decimal
    changed_on: dt.date


@dataclass(frozen=True, slots=True)
class Series:
    """A recurring payment (or income) found in a ledger.

    Attributes:
        key: the fuzzy merchant key (:func:`series_key`) the occurrences share.
        merchant: the merchant as its occurrences wrote it most often (ties: the latest).
        kind: "expense" or "income"; ``currency``: ISO 4217 of every occurrence.
        cadence: "weekly", "monthly" or "yearly".
        category: the category most of its occurrences have (ties: the latest), or ``None``.
        occurrences: how many dates it was seen on; ``skipped``: months it skipped (0 or 1).
        first_seen, last_seen: its first and latest dates.
        typical_amount: the median amount over all occurrences.
        expected_amount: the amount expected next (after a price change: the new one).
        next_due: the date expected next.
        confidence: 0..1 (0.7 at the fewest occurrences, +0.05 for each more, at most 0.95;
            −0.1 for a skipped month and for amounts that vary).
        price_change: the step to the latest amount, when there was one.
    """

    key: str
    merchant: str
    kind: str
    currency: str
    cadence: Cadence
    category: str | None
    occurrences: int
    skipped: int
    first_seen: dt.date
    last_seen: dt.date
    typical_amount: Decimal
    expected_amount: Decimal
    next_due: dt.date
    confidence: float
    price_change: PriceChange | None = None


class SeriesNotFoundError(LookupError):
    """No such series in the context."""

    key = "not_found"

    def __init__(self) -> None:
        super().__init__("no such recurring series in this context")


# --------------------------------------------------------------------------- merchant keys


@functools.cache
def _noise() -> dict[str, tuple[str, ...]]:
    """``{"prefix": (...), "word": (...), "place": (...)}`` from ``data/recurring_merchant_noise.tsv``."""
    text = files("financy.core.domain").joinpath("data", "recurring_merchant_noise.tsv").read_text("utf-8")
    rows = csv.DictReader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t")
    found: dict[str, list[str]] = {"prefix": [], "word": [], "place": []}
    for row in rows:
        found[row["kind"]].append(row["text"])
    return {kind: tuple(values) for kind, values in found.items()}


@functools.cache
def _prefix_re() -> re.Pattern[str]:
    names = sorted(_noise()["prefix"], key=len, reverse=True)
    return re.compile(r"^\s*(?:" + "|".join(re.escape(n) for n in names) + r")\s*\*\s*")


@functools.cache
def _places() -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((tuple(p.split()) for p in _noise()["place"]), key=len, reverse=True))


_WORD_RE: Final = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def series_key(merchant: str) -> str:
    """Return the key occurrences of one merchant share, however a statement or a chat wrote it.

    Lower case without accents; a payment processor's tag before a "*" dropped ("PAG*", "PAYPAL
    *", "MP*", "IFD*", see ``data/recurring_merchant_noise.tsv``), and so are punctuation and
    "*", words holding digits (ids, card and order numbers; unless the name has nothing else:
    "99"), web and company suffixes ("netflix.com", "ltda") and a city, state or country at the
    end ("SAO PAULO BR"); what is left is written without spaces, so "Smart Fit" and "SMARTFIT"
    share a key. "PAYPAL *NETFLIX.COM 12345 SAO PAULO BR", "Netflix" and "netflix" are all
    ``"netflix"``. An empty string when nothing is left (no merchant).
    """
    text = _fold(merchant)
    while (m := _prefix_re().match(text)) is not None and m.end() < len(text):
        text = text[m.end() :]
    words = _WORD_RE.findall(text)
    drop = frozenset(_noise()["word"])
    words = [w for w in words if w not in drop] or words
    named = [w for w in words if not any(c.isdigit() for c in w)]
    words = named or words
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for place in _places():
            if len(words) > len(place) and tuple(words[-len(place) :]) == place:
                words = words[: -len(place)]
                stripped = True
                break
    return "".join(words)[:_MAX_KEY]


# --------------------------------------------------------------------------- dates


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _on_day(year: int, month: int, day: int) -> dt.date:
    """``day`` of that month, clamped to its length (31 in February is its last day)."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _one_year_after(day: dt.date) -> dt.date:
    return _on_day(day.year + 1, day.month, day.day)


def _weekly(dates: Sequence[dt.date]) -> tuple[int, dt.date] | None:
    if len(dates) < MIN_OCCURRENCES["weekly"]:
        return None
    gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
    if all(abs(g - 7) <= WEEK_SLACK for g in gaps):
        return 0, dates[-1] + dt.timedelta(days=7)
    return None


def _month_index(day: dt.date, anchor: int) -> int | None:
    """The month (``year * 12 + month - 1``) whose ``anchor`` day ``day`` is within ±3 days of."""
    best: tuple[int, int] | None = None
    for shift in (-1, 0, 1):
        year, month = _add_months(day.year, day.month, shift)
        off = abs((day - _on_day(year, month, anchor)).days)
        if best is None or off < best[0]:
            best = (off, year * 12 + month - 1)
    assert best is not None
    return best[1] if best[0] <= MONTH_DAY_SLACK else None


def _monthly(dates: Sequence[dt.date]) -> tuple[int, dt.date] | None:
    if len(dates) < MIN_OCCURRENCES["monthly"]:
        return None
    anchor = _median_low([d.day for d in dates])
    months = [_month_index(d, anchor) for d in dates]
    if any(m is None for m in months):
        return None
    found = [m for m in months if m is not None]
    steps = [b - a for a, b in itertools.pairwise(found)]
    if any(s not in (1, 2) for s in steps) or steps.count(2) > 1:
        return None
    year, month = divmod(found[-1] + 1, 12)
    return steps.count(2), _on_day(year, month + 1, anchor)


def _yearly(dates: Sequence[dt.date]) -> tuple[int, dt.date] | None:
    if len(dates) < MIN_OCCURRENCES["yearly"]:
        return None
    gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
    if all(abs(g - 365) <= YEAR_SLACK for g in gaps):
        return 0, _one_year_after(dates[-1])
    return None


_CADENCE_TESTS: Final[
    tuple[tuple[Cadence, Callable[[Sequence[dt.date]], tuple[int, dt.date] | None]], ...]
] = (
    ("weekly", _weekly),
    ("monthly", _monthly),
    ("yearly", _yearly),
)


# --------------------------------------------------------------------------- amounts


def _median_low(values: Sequence[_N]) -> _N:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def _near(amount: Decimal, reference: Decimal, tolerance: Decimal) -> bool:
    return abs(amount - reference) <= reference * tolerance


def _all_near(amounts: Sequence[Decimal], tolerance: Decimal) -> bool:
    median = _median_low(amounts)
    return all(_near(a, median, tolerance) for a in amounts)


def _stable_suffix(amounts: Sequence[Decimal]) -> int:
    """How many of the latest ``amounts`` are one price (each within 1 % of the latest)."""
    last = amounts[-1]
    n = 0
    for amount in reversed(amounts):
        if not _near(amount, last, STABLE_TOLERANCE):
            break
        n += 1
    return n


@dataclass(frozen=True, slots=True)
class _Amounts:
    typical: Decimal
    expected: Decimal
    varies: bool
    step_at: int | None  # index of the first occurrence at the new price
    old: Decimal | None


def _amounts(amounts: Sequence[Decimal], min_before: int) -> _Amounts | None:
    """The amounts' fit as one series (see the module), or ``None`` when they are not one."""
    typical = _median_low(amounts)
    within = _all_near(amounts, AMOUNT_TOLERANCE)
    tail = _stable_suffix(amounts)
    head = amounts[: len(amounts) - tail]
    if head:
        run = _stable_suffix(head)
        old, new = _median_low(head[len(head) - run :]), _median_low(amounts[len(head) :])
        stepped = (
            run >= min_before
            and not _near(new, old, STABLE_TOLERANCE)
            and old / MAX_STEP <= new <= old * MAX_STEP
            and (within or _all_near(head, AMOUNT_TOLERANCE))
        )
        if stepped:
            varies = run < len(head)
            return _Amounts(typical, new, varies, len(head), old)
    if not within:
        return None
    return _Amounts(typical, typical, not _all_near(amounts, STABLE_TOLERANCE), None, None)


# --------------------------------------------------------------------------- detection


def _confidence(cadence: Cadence, occurrences: int, skipped: int, varies: bool) -> float:
    extra = occurrences - MIN_OCCURRENCES[cadence]
    value = min(Decimal("0.95"), Decimal("0.7") + Decimal("0.05") * extra)
    value -= Decimal("0.1") * skipped + (Decimal("0.1") if varies else 0)
    return float(value)


def _display(found: Sequence[Occurrence]) -> str:
    """The merchant as its occurrences wrote it most often (ties: the latest), on one line."""
    written = [" ".join((o.merchant or "").split())[:_MAX_KEY] for o in found]
    counts = Counter(w for w in written if w)
    if not counts:
        return ""
    top = max(counts.values())
    return next(w for w in reversed(written) if w and counts[w] == top)


def _category(found: Sequence[Occurrence]) -> str | None:
    counts = Counter(o.category for o in found if o.category)
    if not counts:
        return None
    top = max(counts.values())
    return next(o.category for o in reversed(found) if o.category and counts[o.category] == top)


def _series(key: str, found: Sequence[Occurrence], today: dt.date | None) -> Series | None:
    """The series one merchant's occurrences (oldest first) make, or ``None``."""
    by_day: dict[dt.date, Decimal] = {}
    for o in found:
        by_day[o.occurred_on] = by_day.get(o.occurred_on, Decimal(0)) + o.amount
    dates = sorted(by_day)
    amounts = [by_day[d] for d in dates]
    for cadence, test in _CADENCE_TESTS:
        fit = test(dates)
        if fit is None:
            continue
        skipped, next_due = fit
        money = _amounts(amounts, 1 if cadence == "yearly" else 2)
        if money is None:
            return None
        if today is not None and (today - next_due).days > LAPSE_DAYS[cadence]:
            return None
        change = None
        if money.step_at is not None and money.old is not None:
            change = PriceChange(money.old, money.expected, dates[money.step_at])
        latest = found[-1]
        return Series(
            key=key,
            merchant=_display(found) or key,
            kind=latest.kind,
            currency=latest.currency,
            cadence=cadence,
            category=_category(found),
            occurrences=len(dates),
            skipped=skipped,
            first_seen=dates[0],
            last_seen=dates[-1],
            typical_amount=money.typical,
            expected_amount=money.expected,
            next_due=next_due,
            confidence=_confidence(cadence, len(dates), skipped, money.varies),
            price_change=change,
        )
    return None


def detect(occurrences: Iterable[Occurrence], *, today: dt.date | None = None) -> list[Series]:
    """Return the recurring series among ``occurrences`` (see the module), by next date then key.

    ``today`` (the ledger's local date): leave out series that lapsed; ``None``: keep them.
    Occurrences of other kinds than expense and income, and without a merchant, are ignored.
    """
    groups: dict[tuple[str, str, str], list[Occurrence]] = {}
    for o in occurrences:
        if o.kind not in KINDS or not o.merchant or o.amount <= 0:
            continue
        key = series_key(o.merchant)
        if key:
            groups.setdefault((o.kind, o.currency, key), []).append(o)
    found = []
    for (_, _, key), members in groups.items():
        members.sort(key=lambda o: o.occurred_on)
        series = _series(key, members, today)
        if series is not None:
            found.append(series)
    return sorted(found, key=lambda s: (s.next_due, s.key, s.kind, s.currency))


def reopens(dismissed_cadence: str, dismissed_amount: Decimal, series: Series) -> bool:
    """Whether a series the user dismissed (with that cadence and expected amount) is proposed
    again: only when its cadence changed or its expected amount moved by more than
    :data:`REOPEN_AMOUNT_CHANGE` (25 %) of the dismissed one."""
    if series.cadence != dismissed_cadence:
        return True
    return not _near(series.expected_amount, dismissed_amount, REOPEN_AMOUNT_CHANGE)


def upcoming(cadence: str, due: dt.date, today: dt.date) -> dt.date:
    """Return ``due``, or, once it passed, the first date of the series on or after ``today``
    (weekly: every 7 days; monthly: ``due``'s day of each month, clamped; yearly: its day)."""
    step = 0
    found = due
    while found < today:
        step += 1
        if cadence == "weekly":
            found = due + dt.timedelta(days=7 * step)
        elif cadence == "monthly":
            year, month = _add_months(due.year, due.month, step)
            found = _on_day(year, month, due.day)
        else:
            found = _on_day(due.year + step, due.month, due.day)
    return found


def due_for_reminder(next_due: dt.date, today: dt.date, days_before: int) -> bool:
    """Whether a reminder of a payment due on ``next_due`` goes out ``today``: from
    ``days_before`` days before it until the day itself."""
    return 0 <= (next_due - today).days <= days_before
