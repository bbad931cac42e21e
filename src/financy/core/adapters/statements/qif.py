"""Quicken Interchange Format (QIF): ``!Type:Bank``, ``CCard``, ``Cash``, ``Oth A``, ``Oth L``.

Fields: ``D`` date (``M/D/YYYY``, ``M/D'YY``, ``D/M/YYYY``..., the order decided over the whole
file), ``T``/``U`` amount (grouping allowed; the decimal separator decided over the file), ``P``
payee, ``M`` memo, ``L`` category, ``N`` check number, ``^`` end of record.

Categories: ``category`` is the leaf of the written path (``Usual Expenses:Shopping`` ->
``Shopping``; a ``/class`` suffix is dropped); the parents are not kept anywhere (the memo stays
the bank's text). A transfer ``[Account]`` is kept as written, brackets included. Splits
(``S``/``E``/``$``) are left out: the record's total ``T`` is the line's amount, and
``detected["splits"]`` counts the records whose splits were left out. Sections of other types
(``!Type:Invst``, ``!Type:Cat``, ``!Option``...) are skipped and named in ``detected["skipped"]``.
"""

from __future__ import annotations

from financy.core.adapters.statements._common import (
    clip,
    decide_date_order,
    decide_decimal,
    decode_text,
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

_CASH_TYPES = {"bank", "ccard", "cash", "oth a", "oth l"}


def _leaf(category: str) -> str:
    if category.startswith("["):
        return category
    return category.split("/", 1)[0].rsplit(":", maxsplit=1)[-1].strip()


def parse_qif(data: bytes, *, encoding: str | None = None) -> ParsedStatement:
    """Read a QIF file (bytes); ``encoding`` overrides the detected text encoding.

    ``line_no`` is the 1-based record number among the file's transaction records. ``account``:
    the ``!Account`` name when the file names exactly one. Raises :class:`StatementFormatError`
    when the file has no bank/card/cash transaction section.
    """
    text, used = decode_text(data, encoding)
    records: list[tuple[int, dict[str, str], str]] = []
    accounts: list[str] = []
    skipped: set[str] = set()
    section: str | None = None
    in_account = False
    fields: dict[str, str] = {}
    raw: list[str] = []
    splits = 0
    has_split = False
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("!"):
            header = line[1:].strip()
            lowered = header.lower()
            in_account = lowered == "account"
            if lowered.startswith("type:"):
                section = lowered[5:].strip()
                if section not in _CASH_TYPES:
                    skipped.add(header[5:].strip())
            elif not in_account:
                skipped.add(header)
                section = None
            fields, raw = {}, []
            continue
        code, value = line[0], line[1:].strip()
        if in_account:
            if code == "N" and value:
                accounts.append(value)
            continue
        if section not in _CASH_TYPES:
            continue
        if code == "^":
            if fields:
                records.append((len(records) + 1, fields, "\n".join(raw)))
                splits += has_split
            fields, raw, has_split = {}, [], False
            continue
        raw.append(line)
        if code in "SE$%":
            has_split = True
            continue
        fields.setdefault(code, value)
    if fields and section in _CASH_TYPES:
        records.append((len(records) + 1, fields, "\n".join(raw)))
    if not records:
        if skipped:
            raise StatementFormatError(
                f"the QIF file holds no bank, card or cash transactions (only: {', '.join(sorted(skipped))})"
            )
        raise StatementFormatError("the QIF file holds no transactions")

    order, how = decide_date_order([f.get("D", "") for _, f, _ in records], "MDY")
    amounts = {n: split_amount(f.get("T") or f.get("U") or "") for n, f, _ in records}
    decimal, decimal_from = decide_decimal([a.number for a in amounts.values() if a], None, None)
    lines: list[StatementLine] = []
    problems: list[LineProblem] = []
    for number, f, record_text in records:
        occurred = parse_date(f.get("D", ""), order)
        parts = amounts[number]
        amount = to_decimal(parts, decimal) if parts else None
        reasons = []
        if occurred is None:
            reasons.append(f"the date {f.get('D', '')!r} cannot be read as {order}")
        if amount is None:
            reasons.append(f"the amount {(f.get('T') or f.get('U') or '')!r} cannot be read")
        if occurred is None or amount is None:
            problems.append(LineProblem(number, "; ".join(reasons), clip(record_text)))
            continue
        lines.append(
            StatementLine(
                line_no=number,
                occurred_on=occurred,
                amount=amount,
                payee=f.get("P") or None,
                memo=f.get("M") or None,
                category=_leaf(f["L"]) if f.get("L") else None,
                check_number=f.get("N") or None,
            )
        )
    detected = {
        "encoding": used,
        "date_order": order,
        "date_order_from": "column" if how == "column" else "default",
        "decimal": decimal,
        "decimal_from": decimal_from,
    }
    if splits:
        detected["splits"] = str(splits)
    if skipped:
        detected["skipped"] = ", ".join(sorted(skipped))
    if len(set(accounts)) > 1:
        detected["accounts"] = ", ".join(dict.fromkeys(accounts))
    return ParsedStatement(
        format=StatementFormat.QIF,
        lines=tuple(lines),
        account=accounts[0] if len(set(accounts)) == 1 else None,
        problems=tuple(problems),
        detected=detected,
    )
