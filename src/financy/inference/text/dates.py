"""When a message says the money moved: "ontem", "há 3 dias", "dia 5", "5/11", "last friday".

Our own precompiled rules, no dateparser: every form the reader supports is covered here in a few
microseconds, while dateparser costs milliseconds per call and returns None for "sexta passada".

Relative days (hoje/today 0, ontem/yesterday/last night 1, anteontem 2, "há N dias"/"N days
ago"/"a N dias" (a typo of "há") N, "há N semanas"/"N weeks ago" 7N) come back as ``days_ago``;
everything else as an absolute ``occurred_on`` computed from ``today``:

* "dia 5" / "on the 5th" / "the 3rd": that day of this month, or of the latest earlier month
  that has it if it would be after ``today``.
* "dia 10 do mês passado" / "the 10th of last month": that day of the previous month ("do mês
  retrasado": two months back). "do mês que vem" is not supported: "dia 3" alone is read.
* "5/11", "5/11/2025", "2025-11-05", "05.11.2025": day/month (DMY) by default, in both languages.
  When one part is over 12 the order is taken from it ("11/28" is 28 November). For English we
  keep D/M when both parts are 12 or less: the project's users write DMY and a wrong guess is shown
  back to the user with the transaction. Without a year: this year, or last year if after today.
* "5 de novembro", "november 5th", "5 nov 2025": as above with the named month.
* "sexta passada" / "last friday": the latest such weekday strictly before today; "na sexta" /
  "on friday": the latest on or before today; "sexta retrasada": one week earlier still. A bare
  "segunda"/"quarta"/"quinta" (also ordinals) is a weekday only at the start of the message or
  before an amount or a verb ("segunda gastei 40"), never before "parcela", "vez", "via"...
* "semana passada" / "last week": today minus 7 days. "amanhã" / "tomorrow": today plus one.
* "mês passado", "last month", "há 2 meses", "ano passado", "há muitos dias": no day. They
  are read as a *vague* date: no ``occurred_on`` and no ``days_ago`` (the day is unknown and we do
  not invent one), but the words are a date, never a quantity ("10 mês") or a merchant; the reader
  lowers the item's confidence.

Numbers inside a date ("dia 5", "28/11", "em 2024") are reported as spans so they never become
amounts.

A date-shaped expression that names no real day is *invalid*, and the reader asks
("ambiguous_date") instead of recording today: "31/02", "29/02/2027", "dia 32", "dia 0",
"00/00/0000", "1/1/1" (a year of one or three digits), a year outside ``[today.year - 10,
today.year + 1]`` ("01/01/1900", "01/01/0001", "01/01/3000"), or more than 3650 days ago ("há 5000
dias"). Two-digit years are 20xx; four digits are taken as written. "d/m" pairs that cannot be a
day and month at all ("50/50", "13/13") stay masked (neither a date nor an amount), as before.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from financy.inference.text.lexicon import (
    AM_PERIOD_WORDS,
    DUE_PAST_WORDS,
    DUE_WORDS,
    EXPENSE_VERBS,
    INCOME_VERBS,
    MIDNIGHT_WORDS,
    NOON_WORDS,
    NUMBER_WORDS,
    PM_PERIOD_WORDS,
    TIME_CUE_WORDS,
    VERBS,
)

__all__ = [
    "MAX_DAYS_AGO",
    "MAX_YEARS_BACK",
    "DateFindings",
    "DateMention",
    "DateReading",
    "TimeMention",
    "find_dates",
    "find_times",
]

#: The furthest back a relative date is read ("há 3650 dias"); further asks.
MAX_DAYS_AGO: Final = 3650
#: Years read: from ``today.year - MAX_YEARS_BACK`` to ``today.year + 1``; others ask.
MAX_YEARS_BACK: Final = 10


@dataclass(frozen=True, slots=True)
class DateReading:
    """What a message says about its date: at most one of the two fields is set.

    ``vague`` is set for a month or a year without a day ("mês passado"): both fields are None.
    ``invalid`` is set for a date-shaped expression naming no real day ("31/02", "dia 32").
    """

    occurred_on: dt.date | None = None
    days_ago: int | None = None
    vague: bool = False
    invalid: bool = False


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date expression: characters ``[start, end)`` of the folded text and what it says."""

    start: int
    end: int
    reading: DateReading


@dataclass(frozen=True, slots=True)
class DateFindings:
    """Every date a message gives, in text order, and every span that is a date (or a year, or the
    due word before a due date); ``mentions`` are when the money moved, ``due`` when a bill is due."""

    mentions: tuple[DateMention, ...]
    spans: tuple[tuple[int, int], ...]
    #: dates after a due word ("venceu dia 5", "due on the 5th"): when a bill is due, not when it
    #: was paid; they are not in ``mentions``.
    due: tuple[DateMention, ...] = ()

    @property
    def invalid(self) -> bool:
        """True if some date-shaped expression names no real day: the reader asks."""
        return any(m.reading.invalid for m in (*self.mentions, *self.due))


_INVALID: Final = DateReading(invalid=True)
_VAGUE: Final = DateReading(vague=True)

#: Month names in full, Portuguese (without accents) and English.
MONTH_NAMES: Final[dict[str, int]] = {
    "janeiro": 1,
    "fevereiro": 2,
    "marco": 3,
    "abril": 4,
    "maio": 5,
    "junho": 6,
    "julho": 7,
    "agosto": 8,
    "setembro": 9,
    "outubro": 10,
    "novembro": 11,
    "dezembro": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_MONTHS: Final[dict[str, int]] = {
    **MONTH_NAMES,
    "jan": 1,
    "fev": 2,
    "mar": 3,
    "abr": 4,
    "mai": 5,
    "jun": 6,
    "jul": 7,
    "ago": 8,
    "set": 9,
    "out": 10,
    "nov": 11,
    "dez": 12,
    "feb": 2,
    "apr": 4,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "dec": 12,
}
_WEEKDAYS: Final[dict[str, int]] = {
    "segunda": 0,
    "terca": 1,
    "quarta": 2,
    "quinta": 3,
    "sexta": 4,
    "sabado": 5,
    "domingo": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}

_PT_MONTH_FULL: Final = (
    "janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro"
)
# Abbreviations that are also everyday words ("mar", "set", "out", "dez", "ago") need "de" first.
_PT_MONTH_ABBR_SAFE: Final = "jan|fev|abr|mai|jun|jul|nov"
_PT_MONTH_ABBR_WORDY: Final = "mar|ago|set|out|dez"
_EN_MONTH: Final = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)  # no "mar": it is Portuguese for "sea"
_COUNT: Final = r"(?P<n>\d+|an?|[a-z]+(?:-[a-z]+)?)"
_YEAR: Final = r"(?P<y>\d{4})"


def _count(word: str) -> int | None:
    """Return the small count written as digits or one number word ("3", "tres", "a")."""
    if word.isdigit():
        return int(word)
    if word in {"a", "an"}:
        return 1
    if "-" in word:
        tens, _, unit = word.partition("-")
        a, b = NUMBER_WORDS.get(tens), NUMBER_WORDS.get(unit)
        return a + b if a is not None and b is not None else None
    return NUMBER_WORDS.get(word)


def _day_of_month(day: int, today: dt.date) -> dt.date | None:
    """Return the latest date on or before ``today`` whose day of month is ``day``."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate <= today:
            return candidate
        month -= 1
        if month == 0:
            month, year = 12, year - 1
    return None


def _year(raw: str | None) -> int | None:
    """Return the year as written: two digits are 20xx, four as they are; other lengths are -1."""
    if raw is None:
        return None
    if len(raw) == 2:
        return 2000 + int(raw)
    return int(raw) if len(raw) == 4 else -1


def _day_month(day: int, month: int, year: int | None, today: dt.date) -> dt.date | None:
    """Return the date, with a missing year meaning the latest such date on or before today."""
    try:
        if year is not None:
            return dt.date(year, month, day)
        candidate = dt.date(today.year, month, day)
        return candidate if candidate <= today else dt.date(today.year - 1, month, day)
    except ValueError:
        return None


def _weekday(target: int, today: dt.date, *, strict: bool, extra_weeks: int = 0) -> dt.date:
    """Return the latest ``target`` weekday on (or, if ``strict``, before) ``today``."""
    back = (today.weekday() - target) % 7
    if strict and back == 0:
        back = 7
    return today - dt.timedelta(days=back + 7 * extra_weeks)


_Rule = Callable[[re.Match[str], dt.date, str], DateReading | None]


def _fixed_days(days: int) -> _Rule:
    def rule(_m: re.Match[str], _today: dt.date, _lang: str) -> DateReading:
        return DateReading(days_ago=days)

    return rule


def _ago(multiplier: int) -> _Rule:
    def rule(m: re.Match[str], _today: dt.date, _lang: str) -> DateReading:
        count = _count(m.group("n"))
        if count is None:
            return _VAGUE  # "há muitos dias": some days ago, but not which
        return DateReading(days_ago=count * multiplier)

    return rule


def _vague(_m: re.Match[str], _today: dt.date, _lang: str) -> DateReading:
    """ "mês passado", "há 2 meses": a month or a year was said, but no day."""
    return _VAGUE


def _offset(days: int) -> _Rule:
    def rule(_m: re.Match[str], today: dt.date, _lang: str) -> DateReading:
        return DateReading(occurred_on=today + dt.timedelta(days=days))

    return rule


# Nouns after which "segunda"/"quarta"/"quinta" is an ordinal ("segunda parcela", "quinta vez").
_ORDINAL_NOUNS: Final = frozenset(
    {
        "parcela",
        "parcelas",
        "prestacao",
        "vez",
        "vezes",
        "via",
        "mao",
        "opcao",
        "conta",
        "fatura",
        "mensalidade",
        "cobranca",
        "compra",
        "dose",
        "etapa",
        "fase",
        "parte",
        "rodada",
        "semana",
        "serie",
        "temporada",
        "edicao",
        "classe",
        "geracao",
        "pessoa",
        "tentativa",
        "chamada",
        "ordem",
        "feira",
    }
)
_NEXT_WORD_RE: Final = re.compile(r"\s*(?:(?P<num>(?:r\$|us\$|\$)?\s*\d)|(?P<word>[a-z]+))?")


def _bare_weekday(m: re.Match[str]) -> bool:
    """True if a bare "segunda"/"quarta"/"quinta" is the weekday: it starts the message or is
    followed by an amount or a verb ("segunda gastei 40"), and no ordinal noun follows it."""
    nxt = _NEXT_WORD_RE.match(m.string, m.end())
    word = nxt.group("word") if nxt else None
    if nxt is not None and nxt.group("num"):
        return True
    if word is not None and word in _ORDINAL_NOUNS:
        return False
    if word is not None and (word in VERBS or word in EXPENSE_VERBS or word in INCOME_VERBS):
        return True
    return not m.string[: m.start()].strip(" ,.!:;-")


def _pt_weekday(m: re.Match[str], today: dt.date, _lang: str) -> DateReading | None:
    pre, day, feira, post = m.group("pre"), m.group("wd"), m.group("feira"), m.group("post")
    if not (pre or feira or post or day in {"terca", "sexta", "sabado", "domingo"} or _bare_weekday(m)):
        return None  # bare "segunda"/"quarta"/"quinta" are also "second"/"fourth"/"fifth"
    strict = bool(post) or pre in {"ultima", "ultimo"}
    extra = 1 if post and post.startswith("retrasad") else 0
    return DateReading(occurred_on=_weekday(_WEEKDAYS[day], today, strict=strict, extra_weeks=extra))


def _en_weekday(m: re.Match[str], today: dt.date, _lang: str) -> DateReading:
    pre = m.group("pre") or ""
    strict = pre.startswith(("last", "past", "this past"))
    return DateReading(occurred_on=_weekday(_WEEKDAYS[m.group("wd")], today, strict=strict))


def _dom(m: re.Match[str], today: dt.date, _lang: str) -> DateReading:
    raw = m.group("d")
    day = 1 if raw == "primeiro" else int(raw)
    found = _day_of_month(day, today)
    return DateReading(occurred_on=found) if found else _INVALID


def _numeric(m: re.Match[str], today: dt.date, _lang: str) -> DateReading | None:
    a, b = int(m.group("a")), int(m.group("b"))
    year = _year(m.group("y"))
    if a > 12 or b <= 12:
        day, month = a, b
    else:  # b > 12 >= a: only month/day makes sense
        day, month = b, a
    shaped = year is not None or "dia" in m.group() or (min(a, b) <= 12 and max(a, b) <= 31)
    if year == -1 or not 1 <= month <= 12:
        return _INVALID if shaped else None  # "31/13/2025" asks; "50/50" is just not a date
    found = _day_month(day, month, year, today)
    return DateReading(occurred_on=found) if found else _INVALID


def _iso(m: re.Match[str], _today: dt.date, _lang: str) -> DateReading:
    try:
        return DateReading(occurred_on=dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d"))))
    except ValueError:
        return _INVALID


def _named_month(m: re.Match[str], today: dt.date, _lang: str) -> DateReading:
    month = _MONTHS[m.group("mon")]
    year = _year(m.group("y"))
    found = _day_month(int(m.group("d")), month, year, today) if year != -1 else None
    return DateReading(occurred_on=found) if found else _INVALID


def _dom_last_month(m: re.Match[str], today: dt.date, _lang: str) -> DateReading:
    """ "dia 10 do mês passado", "the 10th of last month": that day, one (or two) months back."""
    raw = m.group("d")
    back = 2 if m.group("which") == "retrasado" else 1
    year, month = today.year, today.month - back
    if month <= 0:
        month, year = month + 12, year - 1
    try:
        return DateReading(occurred_on=dt.date(year, month, 1 if raw == "primeiro" else int(raw)))
    except ValueError:
        return _INVALID


# "a 2 dias" typed for "há 2 dias", but not "daqui a 2 dias", "de 2 a 5 dias", "a 2 dias do fim"
_A_DAYS_BEFORE_RE: Final = re.compile(r"(?:\bdaqui|\d)\s*$")
_A_DAYS_AFTER_RE: Final = re.compile(r"\s+(?:de|do|da|dos|das|para|pra|pro|ate|antes|depois|que|sem)\b")


def _a_days_ago(m: re.Match[str], _today: dt.date, _lang: str) -> DateReading | None:
    count = _count(m.group("n"))
    if count is None or m.group("n") in {"a", "an"}:
        return None
    if _A_DAYS_BEFORE_RE.search(m.string, 0, m.start()) is not None:
        return None
    if not m.group("atras") and _A_DAYS_AFTER_RE.match(m.string, m.end()) is not None:
        return None
    return DateReading(days_ago=count)


def _mask_only(_m: re.Match[str], _today: dt.date, _lang: str) -> None:
    return None


_ORD: Final = r"(?:st|nd|rd|th)"

# Rules in priority order: a match overlapping one already taken is ignored.
# Each rule runs only if one of its cue substrings is in the text: most messages skip most rules.
_MONTH_CUE: Final = (
    "jan",
    "fev",
    "feb",
    "mar",
    "abr",
    "apr",
    "mai",
    "may",
    "jun",
    "jul",
    "ago",
    "aug",
    "set",
    "sep",
    "out",
    "oct",
    "nov",
    "dez",
    "dec",
)
_RULES: Final[tuple[tuple[tuple[str, ...], re.Pattern[str], _Rule], ...]] = (
    (("-",), re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"), _iso),
    (
        _MONTH_CUE,
        re.compile(
            r"\b(?:(?:no|em)\s+)?(?:dia\s+)?(?P<d>\d{1,2})(?:º|o)?\s*(?:de\s+)?"
            rf"(?P<mon>{_PT_MONTH_FULL}|{_PT_MONTH_ABBR_SAFE})\b\.?(?:\s*(?:de\s+|/)?{_YEAR}\b)?"
        ),
        _named_month,
    ),
    (
        _MONTH_CUE,
        re.compile(
            r"\b(?:(?:no|em)\s+)?(?:dia\s+)?(?P<d>\d{1,2})(?:º|o)?\s*de\s+"
            rf"(?P<mon>{_PT_MONTH_ABBR_WORDY})\b\.?(?:\s*(?:de\s+|/)?{_YEAR}\b)?"
        ),
        _named_month,
    ),
    (
        _MONTH_CUE,
        re.compile(
            rf"\b(?:on\s+)?(?P<mon>{_EN_MONTH})\.?\s+(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}?\b(?:,?\s+{_YEAR}\b)?"
        ),
        _named_month,
    ),
    (
        _MONTH_CUE,
        re.compile(
            rf"\b(?:on\s+)?(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}?\s+(?:of\s+)?(?P<mon>{_EN_MONTH})\b\.?"
            rf"(?:,?\s+{_YEAR}\b)?"
        ),
        _named_month,
    ),
    (
        ("/",),
        re.compile(r"\b(?:(?:no|em)\s+)?(?:dia\s+)?(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d+))?\b"),
        _numeric,
    ),
    ((".", "-"), re.compile(r"\b(?P<a>\d{1,2})[.-](?P<b>\d{1,2})[.-](?P<y>\d{4}|\d{2})\b"), _numeric),
    (
        ("mes",),
        re.compile(
            r"\b(?:no\s+|em\s+)?(?<!meio[\s-])dia\s+(?P<d>\d{1,2}|primeiro)(?:º|o)?\s+(?:do|no)\s+mes\s+"
            r"(?P<which>passado|anterior|retrasado)\b"
        ),
        _dom_last_month,
    ),
    (
        ("month",),
        re.compile(
            rf"\b(?:on\s+)?(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}?\s+of\s+(?:the\s+)?"
            r"(?P<which>last|previous|past)\s+month\b"
        ),
        _dom_last_month,
    ),
    (
        ("dia",),
        re.compile(r"\b(?:no\s+|em\s+)?(?<!meio[\s-])dia\s+(?P<d>\d{1,2}|primeiro)(?:º|o)?\b(?![.,]\d)"),
        _dom,
    ),
    (("st", "nd", "rd", "th"), re.compile(rf"\b(?:on\s+)?(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}\b"), _dom),
    (
        ("ontem", "yesterday"),
        re.compile(r"\b(?:antes\s+de\s+ontem|anteontem|antontem|(?:the\s+)?day\s+before\s+yesterday)\b"),
        _fixed_days(2),
    ),
    (
        ("ontem", "yesterday", "last night"),
        re.compile(r"\b(?:ontem|yesterday|last\s+night)\b"),
        _fixed_days(1),
    ),
    (
        ("hoje", "hj", "today", "tonight", "this "),
        re.compile(r"\b(?:hoje|hj|today|tonight|this\s+morning|this\s+afternoon)\b"),
        _fixed_days(0),
    ),
    (("amanha", "tomorrow"), re.compile(r"\b(?:amanha|tomorrow)\b"), _offset(1)),
    (("dia",), re.compile(rf"\b(?:ha|faz)\s+{_COUNT}\s+dias?\b(?:\s+atras\b)?"), _ago(1)),
    (("dia",), re.compile(rf"\b{_COUNT}\s+dias?\s+atras\b"), _ago(1)),
    (("dia",), re.compile(rf"(?<![\w.,])a\s+{_COUNT}\s+dias?\b(?P<atras>\s+atras\b)?"), _a_days_ago),
    (("day",), re.compile(rf"\b{_COUNT}\s+days?\s+ago\b"), _ago(1)),
    (("semana",), re.compile(rf"\b(?:ha|faz)\s+{_COUNT}\s+semanas?\b(?:\s+atras\b)?"), _ago(7)),
    (("semana",), re.compile(rf"\b{_COUNT}\s+semanas?\s+atras\b"), _ago(7)),
    (("week",), re.compile(rf"\b{_COUNT}\s+weeks?\s+ago\b"), _ago(7)),
    (
        ("semana", "last week"),
        re.compile(r"\b(?:(?:na|da)\s+)?semana\s+passada\b|\blast\s+week\b"),
        _offset(-7),
    ),
    (
        ("mes", "ano"),
        re.compile(r"\b(?:(?:no|do|em|o|n?esse|n?este)\s+)?(?:mes|ano)\s+(?:passado|retrasado|anterior)\b"),
        _vague,
    ),
    (("mes", "ano"), re.compile(rf"\b(?:ha|faz)\s+{_COUNT}\s+(?:mes|meses|anos?)\b(?:\s+atras\b)?"), _vague),
    (("mes", "ano"), re.compile(rf"\b{_COUNT}\s+(?:mes|meses|anos?)\s+atras\b"), _vague),
    (
        ("month", "year"),
        re.compile(
            rf"\b(?:(?:in\s+)?(?:the\s+)?(?:last|past|previous)\s+(?:month|year)|(?:the\s+)?month\s+before\s+last"
            rf"|{_COUNT}\s+(?:months?|years?)\s+ago)\b"
        ),
        _vague,
    ),
    (
        ("segunda", "terca", "quarta", "quinta", "sexta", "sabado", "domingo"),
        re.compile(
            r"\b(?:(?P<pre>na|no|nesta|nessa|esta|essa|desta|dessa|ultima|ultimo|naquela)\s+)?"
            r"(?P<wd>segunda|terca|quarta|quinta|sexta|sabado|domingo)(?P<feira>[\s-]feira)?"
            r"(?:\s+(?P<post>passada|passado|retrasada|retrasado))?\b"
        ),
        _pt_weekday,
    ),
    (
        ("day",),
        re.compile(
            r"\b(?:(?P<pre>last|on|this\s+past|past)\s+)?"
            r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
        ),
        _en_weekday,
    ),
    # a year is not money: "em 2024", "ano de 2023", "in 2022" (not "em 2000 reais")
    (
        ("19", "20"),
        re.compile(
            r"\b(?:em|in|ano(?:\s+de)?|year|desde|since)\s+(?:19|20)\d{2}\b"
            r"(?!\s*(?:reais|real|dolares|dollars|euros|r\$|\$|€|k\b|mil\b))"
        ),
        _mask_only,
    ),
)


_SKIP_WHEN_NONE: Final[frozenset[_Rule]] = frozenset({_pt_weekday, _a_days_ago})


def _checked(reading: DateReading, today: dt.date) -> DateReading:
    """Return ``reading``, or the invalid reading when its day is too far from ``today``."""
    day = reading.occurred_on
    if day is not None and not today.year - MAX_YEARS_BACK <= day.year <= today.year + 1:
        return _INVALID
    if reading.days_ago is not None and reading.days_ago > MAX_DAYS_AGO:
        return _INVALID
    return reading


def find_dates(fold: str, today: dt.date, language: str) -> DateFindings:
    """Return every date the folded text gives (in text order) and every character span that is
    a date.

    ``fold`` is the lower-cased, accent-folded message; ``today`` is the reference day for
    relative expressions. Spans are ``(start, end)`` into ``fold``. A date right after a due word
    ("venceu dia 5", "due on the 5th") is a due date (``DateFindings.due``), not the day the money
    moved (see :func:`_due_reading`).
    """
    taken: list[tuple[int, int]] = []  # sorted, non-overlapping
    found: list[DateMention] = []
    due: list[DateMention] = []
    cue_spans: list[tuple[int, int]] = []
    for cues, regex, rule in _RULES:
        if not any(cue in fold for cue in cues):
            continue
        for m in regex.finditer(fold):
            start, end = m.span()
            at = bisect.bisect_left(taken, (start, end))
            if (at > 0 and taken[at - 1][1] > start) or (at < len(taken) and taken[at][0] < end):
                continue  # overlaps a span an earlier rule took
            reading = rule(m, today, language)
            if reading is None and rule in _SKIP_WHEN_NONE:
                continue  # a bare "segunda" or "a 2 dias do fim" is not a date: leave it alone
            taken.insert(at, (start, end))
            if reading is None:
                continue
            cue = _due_cue(fold, start)
            if cue is None:
                found.append(DateMention(start, end, _checked(reading, today)))
            else:
                past, cue_start = cue
                reading = _due_reading(rule, m, reading, today, past=past)
                due.append(DateMention(start, end, _checked(reading, today)))
                cue_spans.append((cue_start, start))
    found.sort(key=lambda mention: mention.start)
    due.sort(key=lambda mention: mention.start)
    # the due word and the words up to its date belong to the date ("venceu dia 5"): no merchant
    spans = sorted([*taken, *cue_spans])
    return DateFindings(tuple(found), tuple(spans), tuple(due))


# --- due dates ----------------------------------------------------------------------------------

_DUE_FILLERS: Final = r"(?:[\s:,.-]+(?:date|data|dia|em|no|na|para|pra|pro|o|a|on|the|at|by|for|is|de|do))*"
_DUE_CUE_RE: Final = re.compile(
    r"\b(?P<cue>"
    + "|".join(
        re.escape(w).replace("\\ ", r"\s+") for w in sorted(DUE_WORDS | DUE_PAST_WORDS, key=len, reverse=True)
    )
    + r")"
    + _DUE_FILLERS
    + r"[\s:,.-]*$"
)
_DUE_FIRST_WORDS: Final = frozenset(word.split(" ")[-1] for word in DUE_WORDS | DUE_PAST_WORDS)
#: How far before a date its due word may be (characters): "com vencimento para o dia 10".
_DUE_REACH: Final = 40


def _due_cue(fold: str, start: int) -> tuple[bool, int] | None:
    """Whether the date at ``start`` follows a due word: None if not, else (True when the word
    says the day is past ("venceu", "was due"), False when it may be ahead ("vence", "due"); where
    the word starts in ``fold``)."""
    if not any(word in fold for word in _DUE_FIRST_WORDS):
        return None
    before = fold[max(0, start - _DUE_REACH) : start]
    m = _DUE_CUE_RE.search(before)
    if m is None:
        return None
    if m.start() == 0 and start - _DUE_REACH > 0 and fold[start - _DUE_REACH - 1].isalnum():
        return None  # the cue is the tail of a longer word
    offset = max(0, start - _DUE_REACH)
    return re.sub(r"\s+", " ", m.group("cue")) in DUE_PAST_WORDS, offset + m.start("cue")


def _next_day_of_month(day: int, today: dt.date) -> dt.date | None:
    """Return the earliest date on or after ``today`` whose day of month is ``day``."""
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        month += 1
        if month == 13:
            month, year = 1, year + 1
    return None


def _due_reading(
    rule: _Rule, m: re.Match[str], reading: DateReading, today: dt.date, *, past: bool
) -> DateReading:
    """The due day a date after a due word names.

    Dates are read looking back ("dia 5" is the latest 5th); a bill that "vence dia 5" may be due
    ahead, so without a past word ("venceu", "was due") a day of month, or a day and month without
    a year, is whichever of the latest and the next such day is nearer to ``today`` (the latest on a
    tie): on 28/11 "vence dia 5" is 5/12, "vence dia 25" is 25/11. A relative day ("venceu ontem")
    is made absolute.
    """
    if reading.days_ago is not None:  # "venceu ontem": a day, so it can be shown and compared
        return DateReading(occurred_on=today - dt.timedelta(days=reading.days_ago))
    day = reading.occurred_on
    if past or day is None or day >= today:
        return reading
    ahead: dt.date | None = None
    if rule is _dom:
        ahead = _next_day_of_month(day.day, today)
    elif rule in (_numeric, _named_month) and m.group("y") is None:
        try:
            ahead = day.replace(year=today.year) if day.replace(year=today.year) >= today else None
            ahead = ahead or day.replace(year=today.year + 1)
        except ValueError:  # 29/02 in a year without it
            ahead = None
    if ahead is not None and (ahead - today) < (today - day):
        return DateReading(occurred_on=ahead)
    return reading


# --- times of day -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimeMention:
    """A time of day the text says: characters ``[start, end)`` of the folded text, and the time
    (minutes precision), or None when the hour is said but not which half of the day ("às 8")."""

    start: int
    end: int
    time: dt.time | None


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w).replace("\\ ", r"[\s-]?") for w in sorted(words, key=len, reverse=True))


_PERIOD: Final = (
    r"(?:\s+(?:da|de|a|of|in\s+the|at)\s+(?P<period>"
    + _alternation(AM_PERIOD_WORDS | PM_PERIOD_WORDS)
    + r")\b)?"
)
_AMPM: Final = r"\s?(?P<ampm>[ap])\.?\s?m\b\.?"
_HOUR: Final = r"(?<![\d.,:/])(?P<h>\d{1,2})"
# What may not follow a bare hour: a currency or decimals ("às 20 reais" is no time).
_NOT_AFTER_HOUR: Final = r"(?![.,]\d|\s*(?:r?\$|us\$|€|£|%))"

#: (regex, kind) in priority order; a match overlapping one already taken is skipped.
_TIME_RULES: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(_HOUR + r"[:.h](?P<m>\d{2})" + _AMPM), "ampm"),  # 8:30pm, 8.30 p.m.
    (re.compile(_HOUR + _AMPM), "ampm"),  # 3pm
    (re.compile(_HOUR + r":(?P<m>\d{2})(?::\d{2})?(?:h|hs)?\b" + _PERIOD), "colon"),  # 14:30, 20:30h
    (re.compile(_HOUR + r"\s?h(?P<m>\d{2})\b" + _PERIOD), "h"),  # 20h30
    (
        re.compile(_HOUR + r"\s?h\s(?P<m>\d{2})\b(?!\s*(?:min|minutos?|minutes?)\b)" + _NOT_AFTER_HOUR),
        "spaced",
    ),
    (re.compile(_HOUR + r"\s?(?:h|hs|hrs|horas?)\b" + _PERIOD), "hour"),  # às 19h, 8 horas da manhã
    (
        re.compile(
            _HOUR
            + r"\s+(?:da|de|in\s+the|at)\s+(?P<period>"
            + _alternation(AM_PERIOD_WORDS | PM_PERIOD_WORDS)
            + r")\b"
        ),
        "period",
    ),
    (re.compile(_HOUR + r"\s+o['’]?\s?clock\b"), "oclock"),
    (re.compile(r"\b(?P<noon>" + _alternation(NOON_WORDS) + r")(?P<half>\s+e\s+meia)?\b"), "noon"),
    (
        re.compile(r"\b(?P<midnight>" + _alternation(MIDNIGHT_WORDS) + r")(?P<half>\s+e\s+meia)?\b"),
        "midnight",
    ),
    (re.compile(r"\b(?:as|pelas)\s+" + _HOUR + r"\b" + _NOT_AFTER_HOUR), "cue"),  # às 8 (the accent checked)
)
#: Something every rule above needs: most messages have none and skip them all.
_TIME_CUE_RE: Final = re.compile(
    r"\d\s?(?:h|:|[ap]\.?\s?m\b|\.\d{2}\s?[ap]|\s+(?:da|de|in|at|o)\b)|\b(?:as|pelas)\s+\d|"
    + "|".join(sorted({w.split(" ")[0] for w in (*NOON_WORDS, *MIDNIGHT_WORDS)}))
)
_WORD_BEFORE_RE: Final = re.compile(r"([a-z]+)\s*$")
_OTHER_NUMBER_RE: Final = re.compile(r"\d|r\$|\$|€|£")


def _cue_before(fold: str, start: int) -> bool:
    """True if a time word ("às", "at", "pelas", "das") comes right before ``start``."""
    m = _WORD_BEFORE_RE.search(fold, max(0, start - 12), start)
    return m is not None and m.group(1) in TIME_CUE_WORDS


def _clock(hour: int, minute: int, m: re.Match[str]) -> dt.time | None:
    """The 24-hour time for ``hour``:``minute`` with the match's am/pm or part of the day."""
    groups = m.groupdict()
    ampm, period = groups.get("ampm"), groups.get("period")
    if ampm is not None:
        return dt.time(hour % 12 + (12 if ampm == "p" else 0), minute)
    if period is not None:
        pm = re.sub(r"[\s-]", " ", period) in PM_PERIOD_WORDS
        if hour > 12:
            return dt.time(hour, minute) if pm else None
        return dt.time(hour % 12 + (12 if pm else 0), minute)
    return dt.time(hour, minute)


def _time_of(
    kind: str, m: re.Match[str], fold: str, lower: str, language: str
) -> tuple[bool, dt.time | None]:
    """(whether the match is a time of day, its time if the text says which one)."""
    if kind == "noon":
        return True, dt.time(12, 30 if m.group("half") else 0)
    if kind == "midnight":
        return True, dt.time(0, 30 if m.group("half") else 0)
    hour = int(m.group("h"))
    minute = int(m.groupdict().get("m") or 0)
    if hour > 23 or minute > 59:
        return False, None
    if kind == "ampm" and not 1 <= hour <= 12:
        return False, None
    if kind in ("ampm", "period", "oclock") or m.groupdict().get("period"):
        if kind == "oclock" and hour > 12:
            return False, None
        return True, _clock(hour, minute, m) if kind != "oclock" else (
            dt.time(hour, 0) if hour > 12 else None
        )
    cue = _cue_before(fold, m.start())
    if kind == "cue":  # "às 8": only with the accent (the article "as" is not a time word) or "pelas"
        word = lower[m.start() : m.start() + 2]
        if word not in ("às", "ás") and not fold.startswith("pelas", m.start()):
            return False, None
        return True, dt.time(hour, 0) if hour >= 13 else None
    if kind == "spaced":  # "19h 30": the minutes only when another number is the amount
        rest = fold[: m.start()] + " " + fold[m.end() :]
        if _OTHER_NUMBER_RE.search(rest) is None:
            return False, None
    if kind == "hour" and not cue and (hour < 13 or "hora" in m.group()):
        return False, None  # "2h de estacionamento", "8 horas": a duration (masked as before)
    if kind == "colon" and language == "en" and 1 <= hour <= 12:
        return True, None  # "at 8:30" in English: morning or evening
    if kind in ("h", "spaced") and not cue and hour < 7:
        return True, None  # "1h30 de estacionamento": more likely a duration
    return True, dt.time(hour, minute)


def find_times(fold: str, lower: str, language: str) -> tuple[TimeMention, ...]:
    """Return the times of day the text says, in text order.

    ``fold`` and ``lower`` are the same-length folded and lower-cased message (``lower`` tells "às"
    from the article "as"). Read: "20h30", "19h", "14:30", "8:30pm", "3 pm", "8 da noite", "9 in the
    morning", "7 o'clock", "meio-dia", "meia-noite", "noon", "midnight", "às 8", "pelas 20". The time
    is kept when the text says it unambiguously: 24-hour forms in Portuguese ("8h30" is 08:30), an
    hour of 13 or more, am/pm or a part of the day; "às 8" and an English "8:30" give None. A bare
    "2h" or "8 horas" with no "às"/"at" before it is a duration, not reported (the reader masks it
    as a quantity). "19h 30" with a space is 19:30 only when another number is left to be the
    amount ("às 19h 30 paguei 40"); alone ("uber às 19h 25") the 25 is the price.
    """
    if _TIME_CUE_RE.search(fold) is None:
        return ()
    taken: list[tuple[int, int]] = []
    found: list[TimeMention] = []
    for regex, kind in _TIME_RULES:
        for m in regex.finditer(fold):
            start, end = m.span()
            if any(start < b and a < end for a, b in taken):
                continue
            is_time, time = _time_of(kind, m, fold, lower, language)
            if not is_time:
                continue
            taken.append((start, end))
            found.append(TimeMention(start, end, time))
    found.sort(key=lambda mention: mention.start)
    return tuple(found)
