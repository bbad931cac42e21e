"""Shared pieces of the statement parsers: text decoding, dates and amounts read column-wide.

Nothing here knows a file format; ``csv_import`` and ``qif`` call these with the values of one
column (or one file), so the date order and the decimal separator are decided from all of them
together, never row by row.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from financy.core.domain.statements import StatementFormatError

DATE_ORDERS = ("DMY", "MDY", "YMD")
#: How many distinct texts the pure readers below remember (a statement repeats its dates and
#: many of its amounts; the results are immutable).
_CACHED = 1 << 16

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` names, else ``None``."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _nul_pattern_encoding(data: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII text with every other byte NUL (LE: odd bytes, BE: even)."""
    head = data[:4000]
    if len(head) < 4:
        return None
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    half = len(head) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def decode_text(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text statement; returns ``(text, encoding used)``.

    Order when ``encoding`` is not given: a BOM (UTF-8, UTF-16 LE/BE, UTF-32), UTF-16 recognised
    by its NUL bytes, strict UTF-8, then cp1252, then Latin-1 (which reads any byte: the
    documented fallback for an 8-bit file that is neither). The BOM is not part of the text.

    Raises :class:`StatementFormatError` when ``encoding`` is not a known codec or does not
    decode the bytes, and when the decoded text holds NUL or many other control characters
    (binary data, or a text encoding we do not recognise).
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise StatementFormatError(f"unknown text encoding {encoding!r}") from None
        enc = encoding
        bom = bom_encoding(data)
        if bom and codecs.lookup(bom).name.startswith(codecs.lookup(encoding).name.split("-sig")[0]):
            enc = bom
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            raise StatementFormatError(
                f"the file is not in the encoding {encoding!r} (byte {exc.start} cannot be read)"
            ) from None
        used = encoding
    else:
        enc_or_none = bom_encoding(data) or _nul_pattern_encoding(data)
        if enc_or_none:
            try:
                text = data.decode(enc_or_none)
            except UnicodeDecodeError:
                raise StatementFormatError(
                    f"the file starts like {enc_or_none} text but its bytes are not valid {enc_or_none}"
                ) from None
            used = enc_or_none
        else:
            for candidate in ("utf-8", "cp1252", "latin-1"):
                try:
                    text = data.decode(candidate)
                except UnicodeDecodeError:  # noqa: S112 (try the next encoding)
                    continue
                used = candidate
                break
    text = text.removeprefix("\ufeff")
    _refuse_binary(text)
    return text, used


def _refuse_binary(text: str) -> None:
    sample = text[:20000]
    if not sample:
        return
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n\x0c") or ord(ch) == 0x7F)
    if "\x00" in sample or controls > max(3, len(sample) // 100):
        raise StatementFormatError("the file is not readable text (binary data or an unknown text encoding)")


# --- dates ------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^\s*(\d{1,4})\s*[./\-\s]\s*(\d{1,2})\s*([./\-\s']|'\s*)\s*(\d{1,4})")
_COMPACT_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:\D|$)")


@functools.lru_cache(maxsize=_CACHED)
def date_parts(text: str) -> tuple[str, str, str, bool] | None:
    """Split a written date into its three numbers (as text) and whether the year was written
    with an apostrophe (Quicken's ``6/24'24``: 21st century). ``None`` when it is no date."""
    text = text.strip()
    m = _DATE_RE.match(text)
    if m:
        return m.group(1), m.group(2), m.group(4), "'" in m.group(3)
    m = _COMPACT_RE.match(text)
    if m:
        return m.group(1), m.group(2), m.group(3), False
    return None


def _year(text: str, apostrophe: bool) -> int:
    y = int(text)
    if len(text.strip()) <= 2:
        # two-digit years: 00-69 -> 20xx, 70-99 -> 19xx (the POSIX strptime pivot); an apostrophe
        # year is always 20xx (Quicken writes 19xx years with a slash).
        y += 2000 if apostrophe or y < 70 else 1900
    return y


def build_date(parts: tuple[str, str, str, bool], order: str) -> dt.date | None:
    """The date ``parts`` mean in ``order`` (``DMY``/``MDY``/``YMD``), or ``None`` if impossible."""
    a, b, c, apostrophe = parts
    try:
        if order == "YMD" or len(a) == 4:
            return dt.date(_year(a, apostrophe), int(b), int(c))
        if len(c) not in (2, 4) and not (apostrophe and len(c) == 1):
            return None
        if order == "DMY":
            return dt.date(_year(c, apostrophe), int(b), int(a))
        return dt.date(_year(c, apostrophe), int(a), int(b))
    except ValueError:
        return None


def decide_date_order(values: Iterable[str], fallback: str) -> tuple[str, str]:
    """Decide the date order of a whole column: ``(order, how)``.

    ``how`` is ``"column"`` when the values decide it (a 4-digit first number means YMD, a first
    number over 12 rules out MDY, a second over 12 rules out DMY), else ``"ambiguous"`` and the
    ``fallback`` (the preset's, the user's, or the locale's order) applies.
    """
    can_dmy = can_mdy = True
    ymd = 0
    seen = 0
    for value in values:
        parts = date_parts(value)
        if parts is None:
            continue
        seen += 1
        if len(parts[0]) == 4:
            ymd += 1
            continue
        if build_date(parts, "DMY") is None:
            can_dmy = False
        if build_date(parts, "MDY") is None:
            can_mdy = False
    if seen and ymd == seen:
        return "YMD", "column"
    if can_dmy and not can_mdy:
        return "DMY", "column"
    if can_mdy and not can_dmy:
        return "MDY", "column"
    return fallback, "ambiguous"


@functools.lru_cache(maxsize=_CACHED)
def parse_date(text: str, order: str) -> dt.date | None:
    """One written date in the decided ``order``; ``None`` when it is not a valid date."""
    parts = date_parts(text)
    if parts is None:
        return None
    return build_date(parts, order)


# --- amounts ----------------------------------------------------------------------------------

_GROUPING_ALWAYS = "'\u2019 \u00a0\u202f\u2009"
_MINUS = "-\u2212\u2013"
_NUMBER_RE = re.compile(r"\d[\d.,'\u2019 \u00a0\u202f\u2009]*\d|\d")
_TRAILING_DC = re.compile(r"(?i)(?<![A-Z])(DR|CR|D|C)\s*$")


@dataclass(frozen=True, slots=True)
class AmountText:
    """A written amount taken apart: the number's characters, its sign, and a currency code."""

    number: str
    negative: bool
    currency: str | None


@functools.lru_cache(maxsize=_CACHED)
def split_amount(text: str) -> AmountText | None:
    """Take a written amount apart: sign (leading/trailing minus, parentheses, ``D``/``C``/``DR``/
    ``CR`` suffix), currency symbols and ISO codes removed. ``None`` when there is no number or
    two numbers."""
    raw = text.strip().replace("\u00a0", " ")
    if not raw:
        return None
    negative = False
    dc = _TRAILING_DC.search(raw)
    if dc and re.search(r"\d\s*(?:DR|CR|D|C)\s*$", raw, re.IGNORECASE):
        negative = dc.group(1).upper().startswith("D")
        raw = raw[: dc.start()]
    numbers = _NUMBER_RE.findall(raw)
    numbers = [n for n in numbers if n.strip()]
    if len(numbers) != 1:
        return None
    number = numbers[0].strip()
    start = raw.index(numbers[0])
    before, after = raw[:start], raw[start + len(numbers[0]) :]
    if "(" in before and ")" in after:
        negative = True
    if any(m in before for m in _MINUS) or after.strip()[:1] in tuple(_MINUS):
        negative = True
    rest = re.sub(r"[()\s+" + _MINUS + "]", "", before + after)
    currency = None
    codes = re.findall(r"[A-Z]{3}", rest)
    if codes:
        currency = codes[0]
    leftover = re.sub(r"[A-Za-z]{1,3}|[$€£¥₩₹₽₺₪₫₱฿]|R\$|zł|kr", "", rest)
    if re.search(r"\d", leftover) or len(leftover) > 2:
        return None
    return AmountText(number=number, negative=negative, currency=currency)


@functools.lru_cache(maxsize=_CACHED)
def _separator_evidence(number: str) -> str | None:
    """What one number says about its decimal separator: ``"."``, ``","``, or ``None``."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        return "." if number.rfind(".") > number.rfind(",") else ","
    for sep, other in ((".", ","), (",", ".")):
        count = number.count(sep)
        if count > 1:
            return other  # repeated: grouping, so the other one is the decimal
        if count == 1:
            whole, frac = number.split(sep)
            whole = re.sub("[" + _GROUPING_ALWAYS + "]", "", whole)
            if len(frac) != 3 or whole in ("0", ""):
                return sep
            if re.search("[" + _GROUPING_ALWAYS + "]", number):
                return sep  # "1 234.567"-style: space groups, so the mark is the decimal
            return None
    return None


def decide_decimal(
    numbers: Sequence[str], currency_digits: int | None, fallback: str | None
) -> tuple[str, str]:
    """Decide the decimal separator of a whole column: ``(separator, how)``.

    Decisive values win by majority (``1.234,56`` says ``,``; ``-110.7`` says ``.``; ``0.500``
    says ``.``). Values like ``-3.000`` alone are ambiguous: a 3-decimal currency (BHD, KWD,
    TND, ... per babel's currency digits) reads the mark as the decimal, a 0-decimal one (JPY,
    CLP) as grouping, otherwise the ``fallback`` (preset/user) applies, else the mark is read as
    grouping (three decimals are rare outside those currencies). ``how``: ``column``,
    ``currency``, ``fallback``, ``default``.
    """
    votes = {".": 0, ",": 0}
    marks: set[str] = set()
    for number in numbers:
        evidence = _separator_evidence(number)
        if evidence:
            votes[evidence] += 1
        for ch in ".,":
            if ch in number:
                marks.add(ch)
    if votes["."] != votes[","]:
        return ("." if votes["."] > votes[","] else ","), "column"
    if fallback in (".", ","):
        return fallback, "fallback"
    if len(marks) == 1:
        mark = marks.pop()
        if currency_digits == 3:
            return mark, "currency"
        return ("," if mark == "." else "."), ("currency" if currency_digits == 0 else "default")
    return ".", "default"


@functools.lru_cache(maxsize=_CACHED)
def to_decimal(amount: AmountText, decimal: str) -> Decimal | None:
    """The exact signed value of a split amount with the decided ``decimal`` separator."""
    group = "," if decimal == "." else "."
    number = amount.number
    for ch in _GROUPING_ALWAYS + group:
        number = number.replace(ch, "")
    if number.count(decimal) > 1:
        return None
    number = number.replace(decimal, ".")
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    return -value if amount.negative else value


def currency_digits(code: str | None) -> int | None:
    """Decimal digits of an ISO 4217 currency (babel), ``None`` when unknown."""
    if not code:
        return None
    try:
        from babel.numbers import get_currency_precision, list_currencies

        if code.upper() not in list_currencies():
            return None
        return int(get_currency_precision(code.upper()))
    except Exception:  # babel absent or unknown code: no currency hint
        return None


def clip(text: str, limit: int = 200) -> str:
    """A record's text for a :class:`LineProblem` (at most ``limit`` characters)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: A cell a spreadsheet runs as a formula starts with ``=``, ``+``, ``-``, ``@``, a tab or a
#: carriage return (OWASP, "CSV Injection"); ``'`` before them is the escape that
#: :func:`formula_safe` adds, so any run of apostrophes in front counts too.
_FORMULA_LEAD = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED_FORMULA_LEAD = re.compile(r"^'+[=+\-@\t\r]")


def formula_safe(text: str) -> str:
    """Return a CSV text cell a spreadsheet shows as text, never runs (OWASP "CSV Injection").

    ``"=HYPERLINK(...)"`` becomes ``"'=HYPERLINK(...)"``, ``"+55 11 5555"`` ``"'+55 11 5555"``
    and ``"'=x"`` ``"''=x"`` (so :func:`formula_unescape` gives back exactly what was written);
    any other text is returned as it is. For text columns only: a signed amount such as
    ``-45.90`` must not pass through here.
    """
    return f"'{text}" if _FORMULA_LEAD.match(text) else text


def formula_unescape(text: str) -> str:
    """Undo :func:`formula_safe`: drop one ``'`` in front of a formula-looking text.

    ``"'=SUM(A1)"`` -> ``"=SUM(A1)"``, ``"''=x"`` -> ``"'=x"``; ``"'quoted'"`` and every other
    text is returned as it is.
    """
    return text[1:] if _ESCAPED_FORMULA_LEAD.match(text) else text
