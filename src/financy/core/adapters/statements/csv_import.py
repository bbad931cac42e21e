"""Bank CSV exports: encoding, delimiter, header, columns, date order and decimal separator found
out from the file (or confirmed by the user through :class:`CsvOptions` / a bank preset).

The column roles come from header words in ``csv_vocabulary.json`` (pt, en, es, de, fr); bank
layouts are presets in ``presets/*.json`` (see :func:`load_presets` for their format). The date
order and the decimal separator are decided over a whole column, never row by row; a row that
cannot be read becomes a :class:`LineProblem` with its text, and the rest of the file is read.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

from financy.core.adapters.statements._common import (
    DATE_ORDERS,
    AmountText,
    clip,
    currency_digits,
    decide_date_order,
    decide_decimal,
    decode_text,
    formula_unescape,
    parse_date,
    split_amount,
    to_decimal,
)
from financy.core.domain.statements import (
    LineProblem,
    ParsedStatement,
    StatementFormat,
    StatementFormatError,
    StatementLine,
)

ROLES = (
    "date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "indicator",
    "payee",
    "description",
    "memo",
    "category",
    "currency",
    "id",
    "check_number",
    "balance",
)
_MULTI_ROLES = frozenset({"memo"})
DELIMITERS = (",", ";", "\t", "|")
_HEADER_SCAN_ROWS = 15

ColumnRef = str | int
"""A column named by its header text (as written, compared loosely) or by its 0-based index."""


@dataclass(frozen=True, slots=True)
class CsvOptions:
    """What the user confirmed or changed about a CSV file; ``None`` fields are detected.

    ``encoding``: a Python codec name (``"utf-8"``, ``"cp1252"``, ``"utf-16"``...).
    ``delimiter``: one character. ``quotechar``: one character (default ``"``).
    ``date_order``: ``"DMY"``, ``"MDY"`` or ``"YMD"`` (overrides what the column says).
    ``decimal``: ``"."`` or ``","`` (overrides the column's evidence).
    ``skip_rows``: rows before the header row (or before the first data row without header).
    ``has_header``: whether the first row after ``skip_rows`` is a header.
    ``columns``: role -> column (header text or 0-based index; ``memo`` may take a sequence);
    roles are those of :data:`ROLES`. ``preset``: a preset name (``presets/<name>.json``).
    ``currency``: ISO 4217 code of the amounts when the file does not say. ``negate``: flip
    every amount's sign (card exports where a positive amount is an expense).

    Raises ``ValueError`` on an impossible value (unknown role, two-character delimiter...).
    """

    encoding: str | None = None
    delimiter: str | None = None
    quotechar: str | None = None
    date_order: str | None = None
    decimal: str | None = None
    skip_rows: int | None = None
    has_header: bool | None = None
    columns: Mapping[str, ColumnRef | Sequence[ColumnRef]] | None = None
    preset: str | None = None
    currency: str | None = None
    negate: bool | None = None

    def __post_init__(self) -> None:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError("delimiter must be one character")
        if self.quotechar is not None and len(self.quotechar) != 1:
            raise ValueError("quotechar must be one character")
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            raise ValueError(f"date_order must be one of {DATE_ORDERS}")
        if self.decimal is not None and self.decimal not in (".", ","):
            raise ValueError("decimal must be '.' or ','")
        if self.skip_rows is not None and self.skip_rows < 0:
            raise ValueError("skip_rows must be 0 or more")
        for role in self.columns or {}:
            if role not in ROLES:
                raise ValueError(f"unknown column role {role!r}; roles are {', '.join(ROLES)}")


@dataclass(frozen=True, slots=True)
class CsvPreset:
    """One bank's CSV layout, read from ``presets/<name>.json``.

    JSON keys: ``name`` (= file stem), ``title``, ``source`` (where the layout comes from),
    ``headers`` (list of header rows, each a list of header texts, that identify the layout:
    a file whose header row holds all texts of one of them matches), ``columns`` (role -> header
    text or index; ``memo`` may be a list), and optional ``encoding``, ``delimiter``,
    ``decimal``, ``date_order`` (used when the file itself does not decide), ``currency``,
    ``negate`` (bool) and ``skip_payees`` (texts of summary rows such as "Saldo Anterior" that
    are not movements: such rows are left out and counted in ``detected["skipped_rows"]``).
    """

    name: str
    title: str
    source: str
    headers: tuple[tuple[str, ...], ...] = ()
    columns: Mapping[str, ColumnRef | Sequence[ColumnRef]] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    date_order: str | None = None
    currency: str | None = None
    negate: bool = False
    skip_payees: tuple[str, ...] = ()


def normalize_header(text: str) -> str:
    """Header text compared loosely: casefolded, accents removed, punctuation as single spaces."""
    text = unicodedata.normalize("NFKD", text.strip().casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


@functools.cache
def _vocabulary() -> tuple[dict[str, dict[str, str]], frozenset[str], frozenset[str]]:
    raw = json.loads(resources.files(__package__).joinpath("csv_vocabulary.json").read_text("utf-8"))
    words: dict[str, dict[str, str]] = {}
    for role, by_language in raw["roles"].items():
        words[role] = {}
        for language, entries in by_language.items():
            for entry in entries:
                words[role].setdefault(normalize_header(entry), language)
    values = raw["indicator_values"]
    debit = frozenset(normalize_header(v) for v in values["debit"])
    credit = frozenset(normalize_header(v) for v in values["credit"])
    return words, debit, credit


@functools.cache
def load_presets() -> dict[str, CsvPreset]:
    """All bank presets shipped in ``presets/``, by name."""
    presets: dict[str, CsvPreset] = {}
    folder = resources.files(__package__).joinpath("presets")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        raw: dict[str, Any] = json.loads(entry.read_text("utf-8"))
        columns = {
            role: (tuple(ref) if isinstance(ref, list) else ref)
            for role, ref in raw.get("columns", {}).items()
        }
        presets[raw["name"]] = CsvPreset(
            name=raw["name"],
            title=raw["title"],
            source=raw["source"],
            headers=tuple(tuple(h) for h in raw.get("headers", [])),
            columns=columns,
            encoding=raw.get("encoding"),
            delimiter=raw.get("delimiter"),
            decimal=raw.get("decimal"),
            date_order=raw.get("date_order"),
            currency=raw.get("currency"),
            negate=bool(raw.get("negate", False)),
            skip_payees=tuple(raw.get("skip_payees", [])),
        )
    return presets


def _score(header: str, word: str) -> int:
    if header == word:
        return 3
    if header.startswith(word) and (len(header) == len(word) or header[len(word)] in " 0123456789"):
        return 2
    if len(word) >= 5 and f" {word} " in f" {header} ":
        return 1
    return 0


def _roles_from_vocabulary(header: Sequence[str]) -> tuple[dict[str, list[int]], str | None]:
    """Column roles from header words: role -> column indexes, and the language of the date header."""
    words, _, _ = _vocabulary()
    candidates: list[tuple[int, int, int, str, str]] = []
    for index, cell in enumerate(header):
        norm = normalize_header(cell)
        if not norm:
            continue
        for rank, role in enumerate(ROLES):
            for word, language in words[role].items():
                score = _score(norm, word)
                if score:
                    candidates.append((-score, index, rank, role, language))
    candidates.sort()
    roles: dict[str, list[int]] = {}
    taken: set[int] = set()
    date_language = None
    for _, index, _, role, language in candidates:
        if index in taken or (role in roles and role not in _MULTI_ROLES):
            continue
        roles.setdefault(role, []).append(index)
        taken.add(index)
        if role == "date":
            date_language = language
    for indexes in roles.values():
        indexes.sort()
    return roles, date_language


def _resolve(ref: ColumnRef, header: Sequence[str] | None, width: int) -> int:
    if isinstance(ref, int):
        if not 0 <= ref < width:
            raise StatementFormatError(f"column {ref} does not exist (the file has {width} columns)")
        return ref
    if header is not None:
        wanted = normalize_header(ref)
        for index, cell in enumerate(header):
            if normalize_header(cell) == wanted:
                return index
    raise StatementFormatError(f"the file has no column {ref!r}")


def _explicit_roles(
    columns: Mapping[str, ColumnRef | Sequence[ColumnRef]], header: Sequence[str] | None, width: int
) -> dict[str, list[int]]:
    roles: dict[str, list[int]] = {}
    for role, ref in columns.items():
        refs: Sequence[ColumnRef] = ref if isinstance(ref, list | tuple) else (ref,)
        roles[role] = [_resolve(r, header, width) for r in refs]
    return roles


def _sniff_delimiter(text: str, quotechar: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()][:40]
    sample = "\n".join(lines)
    best: tuple[int, int, int] = (-1, -1, 0)
    chosen = ","
    for position, delimiter in enumerate(DELIMITERS):
        counts = [
            len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar=quotechar)
        ]
        if not counts:
            continue
        width, rows = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        score = (rows, width, -position)
        if score > best:
            best, chosen = score, delimiter
    return chosen


def _sniff_quote(text: str) -> str:
    head = text[:20000]
    double = len(re.findall(r'(^|[,;\t|])"', head, re.MULTILINE))
    single = len(re.findall(r"(^|[,;\t|])'[^']*'([,;\t|]|$)", head, re.MULTILINE))
    return "'" if single > double else '"'


def _looks_like_header(row: Sequence[str]) -> bool:
    roles, _ = _roles_from_vocabulary(row)
    has_amount = "amount" in roles or "debit" in roles or "credit" in roles
    return "date" in roles and has_amount and not any(parse_date(c, "DMY") for c in row if c.strip())


def _match_preset(header: Sequence[str]) -> CsvPreset | None:
    names = {normalize_header(c) for c in header}
    best: tuple[int, str] | None = None
    for preset in load_presets().values():
        for layout in preset.headers:
            wanted = {normalize_header(h) for h in layout}
            if wanted and wanted <= names and (best is None or len(wanted) > best[0]):
                best = (len(wanted), preset.name)
    return load_presets()[best[1]] if best else None


def _roles_from_content(rows: Sequence[Sequence[str]], width: int) -> dict[str, list[int]]:
    """Without a header: the first mostly-date column is the date, the next mostly-amount column
    the amount, and the longest text column the payee."""
    roles: dict[str, list[int]] = {}
    sample = rows[:50]

    def share(index: int, test: Any) -> float:
        values = [r[index] for r in sample if index < len(r) and r[index].strip()]
        return sum(1 for v in values if test(v)) / len(values) if values else 0.0

    def is_amount(v: str) -> bool:
        return split_amount(v) is not None and parse_date(v, "DMY") is None and parse_date(v, "MDY") is None

    for index in range(width):
        if "date" not in roles and share(index, lambda v: parse_date(v, "DMY") or parse_date(v, "MDY")) > 0.8:
            roles["date"] = [index]
        elif "date" in roles and "amount" not in roles and share(index, is_amount) > 0.8:
            roles["amount"] = [index]
    used = {i for v in roles.values() for i in v}
    text_columns = [
        (sum(len(r[i]) for r in sample if i < len(r)), i)
        for i in range(width)
        if i not in used and share(i, lambda v: not is_amount(v)) > 0.8
    ]
    if text_columns:
        roles["payee"] = [max(text_columns)[1]]
    return roles


def _cell(row: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _first(roles: Mapping[str, list[int]], role: str) -> int | None:
    indexes = roles.get(role)
    return indexes[0] if indexes else None


def parse_csv(data: bytes, options: CsvOptions | None = None) -> ParsedStatement:
    """Read a bank CSV export.

    ``data``: the file's bytes. ``options``: what the user confirmed (see :class:`CsvOptions`).
    Returns a :class:`ParsedStatement` whose ``detected`` names every choice made (``encoding``,
    ``delimiter``, ``quote``, ``header``, ``skip_rows``, ``preset``, ``columns``,
    ``date_order`` with ``date_order_from`` ``option``/``column``/``preset``/``locale``, and
    ``decimal`` with ``decimal_from``). ``line_no`` is the 1-based CSV record number counting the
    header and skipped rows.

    Raises :class:`StatementFormatError` when the text cannot be decoded, when the file has no
    rows, or when no date column and no amount (or debit/credit) column can be found.
    """
    options = options or CsvOptions()
    preset: CsvPreset | None = None
    if options.preset:
        preset = load_presets().get(options.preset)
        if preset is None:
            raise StatementFormatError(f"there is no CSV preset named {options.preset!r}")
    text, encoding = decode_text(data, options.encoding or (preset.encoding if preset else None))
    detected: dict[str, str] = {"encoding": encoding}
    quotechar = options.quotechar or _sniff_quote(text)
    delimiter = (
        options.delimiter or (preset.delimiter if preset else None) or _sniff_delimiter(text, quotechar)
    )
    detected["delimiter"] = delimiter
    detected["quote"] = quotechar
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise StatementFormatError(f"the CSV text cannot be split into rows ({exc})") from None
    if not any(any(c.strip() for c in r) for r in records):
        raise StatementFormatError("the CSV file has no rows")

    # Header row: given, or the first of the first rows whose words name a date and an amount.
    header: list[str] | None = None
    start = options.skip_rows or 0
    if options.has_header is False:
        header_at = None
    elif options.skip_rows is not None or options.has_header:
        header_at = start if options.has_header or _looks_like_header(records[start]) else None
    else:
        header_at = None
        for index, row in enumerate(records[:_HEADER_SCAN_ROWS]):
            if _looks_like_header(row) or (_match_preset(row) is not None):
                header_at = index
                break
        if header_at is None:
            start = next(i for i, r in enumerate(records) if any(c.strip() for c in r))
    if header_at is not None:
        header = records[header_at]
        start = header_at
    body_from = start + (1 if header is not None else 0)
    body = [(i + 1, r) for i, r in enumerate(records) if i >= body_from]
    widths = Counter(len(r) for _, r in body if any(c.strip() for c in r))
    width = len(header) if header is not None else (widths.most_common(1)[0][0] if widths else 0)
    detected["header"] = "yes" if header is not None else "no"
    detected["skip_rows"] = str(start)

    if preset is None and header is not None:
        preset = _match_preset(header)
    detected["preset"] = preset.name if preset else "generic"

    date_language: str | None = None
    if options.columns:
        roles = _explicit_roles(options.columns, header, width)
    elif preset is not None and preset.columns:
        roles = _explicit_roles(preset.columns, header, width)
    elif header is not None:
        roles, date_language = _roles_from_vocabulary(header)
    else:
        roles = _roles_from_content([r for _, r in body], width)
    if "payee" not in roles and "description" in roles:
        roles["payee"] = roles.pop("description")
    has_amount = any(r in roles for r in ("amount", "debit", "credit"))
    if "date" not in roles and "value_date" in roles:
        roles["date"] = roles.pop("value_date")
    if "date" not in roles or not has_amount:
        missing = " and ".join(
            what for what, ok in (("a date", "date" in roles), ("an amount", has_amount)) if not ok
        )
        raise StatementFormatError(
            f"no column with {missing} was found in the CSV file; choose the columns by hand"
        )
    _, debit_words, credit_words = _vocabulary()
    indicator = _first(roles, "indicator")
    if indicator is not None and not options.columns:
        values = [normalize_header(_cell(r, indicator)) for _, r in body[:100] if _cell(r, indicator)]
        known = sum(1 for v in values if v in debit_words or v in credit_words)
        if not values or known < len(values) / 2:
            indicator = None
            roles.pop("indicator")
    names = header or [str(i) for i in range(width)]
    detected["columns"] = ";".join(
        f"{role}={'+'.join(names[i] if i < len(names) else str(i) for i in roles[role])}"
        for role in ROLES
        if role in roles
    )

    # Decimal separator, over all amount columns together.
    amount_cols = [c for role in ("amount", "debit", "credit") for c in roles.get(role, [])[:1]]
    split: dict[tuple[int, int], AmountText | None] = {}
    for line_no, row in body:
        for c in amount_cols:
            raw = _cell(row, c)
            if raw:
                split[(line_no, c)] = split_amount(raw)
    currency_col = _first(roles, "currency")
    file_currency = options.currency or (preset.currency if preset else None)
    column_currencies = {
        _cell(r, currency_col).upper() for _, r in body if currency_col is not None and _cell(r, currency_col)
    } | {a.currency for a in split.values() if a is not None and a.currency}
    hint = file_currency or (next(iter(column_currencies)) if len(column_currencies) == 1 else None)
    if options.decimal:
        decimal, decimal_from = options.decimal, "option"
    else:
        numbers = [a.number for a in split.values() if a is not None]
        decimal, decimal_from = decide_decimal(
            numbers, currency_digits(hint), preset.decimal if preset else None
        )
    detected["decimal"] = decimal
    detected["decimal_from"] = decimal_from

    # Date order, over the whole date column(s).
    date_col, value_col = _first(roles, "date"), _first(roles, "value_date")
    date_values = [_cell(r, c) for _, r in body for c in (date_col, value_col) if c is not None]
    if options.date_order:
        date_order, date_from = options.date_order, "option"
    else:
        fallback_from = "preset" if preset and preset.date_order else "locale"
        fallback = (preset.date_order if preset else None) or (
            "MDY" if date_language == "en" and decimal == "." else "DMY"
        )
        date_order, how = decide_date_order(dict.fromkeys(date_values), fallback)  # each value once
        date_from = "column" if how == "column" else fallback_from
    detected["date_order"] = date_order
    detected["date_order_from"] = date_from

    negate = options.negate if options.negate is not None else bool(preset and preset.negate)
    skip_payees = {normalize_header(p) for p in (preset.skip_payees if preset else ())}
    payee_col = _first(roles, "payee")
    memo_cols = roles.get("description", []) + roles.get("memo", [])
    lines: list[StatementLine] = []
    problems: list[LineProblem] = []
    skipped = 0

    for line_no, row in body:
        if not any(c.strip() for c in row):
            continue
        if len(row) != width and not (len(row) > width and not any(c.strip() for c in row[width:])):
            problems.append(
                LineProblem(
                    line_no,
                    f"the row has {len(row)} fields where the header has {width}",
                    clip(delimiter.join(row)),
                )
            )
            continue
        payee = formula_unescape(_cell(row, payee_col)) or None
        if payee and skip_payees and normalize_header(payee) in skip_payees:
            skipped += 1
            continue
        date_text = _cell(row, date_col)
        booked = parse_date(date_text, date_order) if date_text else None
        value_text = _cell(row, value_col)
        value_date = parse_date(value_text, date_order) if value_text else None
        if booked is None and value_date is None:
            reason = (
                f"the date {date_text!r} cannot be read as {date_order}"
                if date_text
                else "the row has no date"
            )
            problems.append(LineProblem(line_no, reason, clip(delimiter.join(row))))
            continue
        amount: Decimal | None = None
        bad_amount = None
        line_currency: str | None = None
        for role in ("amount", "debit", "credit"):
            column = _first(roles, role)
            if column is None or not _cell(row, column):
                continue
            parts = split.get((line_no, column))
            value = to_decimal(parts, decimal) if parts is not None else None
            if value is None or parts is None:
                bad_amount = _cell(row, column)
                break
            line_currency = line_currency or parts.currency
            if role == "debit":
                value = -abs(value)
            elif role == "credit":
                value = abs(value)
            amount = value if amount is None else amount + value
        if bad_amount is not None:
            problems.append(
                LineProblem(line_no, f"the amount {bad_amount!r} cannot be read", clip(delimiter.join(row)))
            )
            continue
        if amount is None:
            problems.append(LineProblem(line_no, "the row has no amount", clip(delimiter.join(row))))
            continue
        if indicator is not None:
            marker = normalize_header(_cell(row, indicator))
            if marker in debit_words:
                amount = -abs(amount)
            elif marker in credit_words:
                amount = abs(amount)
        if negate:
            amount = -amount
        currency = (_cell(row, currency_col).upper() or None) if currency_col is not None else None
        currency = currency or line_currency or file_currency
        memo_parts = [formula_unescape(_cell(row, c)) for c in memo_cols if c != payee_col and _cell(row, c)]
        occurred = value_date or booked
        assert occurred is not None
        lines.append(
            StatementLine(
                line_no=line_no,
                occurred_on=occurred,
                amount=amount,
                currency=currency,
                payee=payee,
                memo="; ".join(memo_parts) or None,
                external_id=formula_unescape(_cell(row, _first(roles, "id"))) or None,
                category=_cell(row, _first(roles, "category")) or None,
                check_number=_cell(row, _first(roles, "check_number")) or None,
                booked_on=booked if value_date is not None and booked != value_date else None,
            )
        )
    if skipped:
        detected["skipped_rows"] = str(skipped)
    currencies = {line.currency for line in lines}
    statement_currency = file_currency or (
        next(iter(currencies)) if len(currencies) == 1 and None not in currencies else None
    )
    return ParsedStatement(
        format=StatementFormat.CSV,
        lines=tuple(lines),
        currency=statement_currency,
        problems=tuple(problems),
        detected=detected,
    )
