"""Statement import: what a bank file says, line by line, and what becomes of each line (no I/O).

A parser (``financy.core.adapters.statements``) turns the bytes of an OFX/QFX, CSV, QIF or
CAMT.053 file into a :class:`ParsedStatement`: its :class:`StatementLine` rows with exact signed
amounts (negative: money out of the account), the dates as the bank wrote them, and the rows it
could not read as :class:`LineProblem` (kept and shown in the preview, never silently dropped).

The matcher (:func:`financy.core.domain.matching.plan_import`) then decides per line: ``add`` a
new transaction, ``duplicate`` of a line already imported (the bank's own id, or the same date,
amount and payee counted as a multiset so genuine identical rows stay), ``merge`` into an
earlier chat capture of the same purchase, or ``ambiguous`` (several captures could be it: the
user is asked, nothing is guessed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from financy.core.domain.editing import EditingError
from financy.core.domain.errors import FinancyError


class StatementFormat(StrEnum):
    """The file formats ``financy import`` reads."""

    OFX = "ofx"  # OFX 1.x SGML and 2.x XML; QFX is OFX with Intuit's extra tags
    CSV = "csv"
    QIF = "qif"
    CAMT053 = "camt053"  # ISO 20022 BankToCustomerStatement


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One movement as the statement states it.

    ``line_no``: 1-based position of the record in the file (a CSV row counting the header, an
    OFX ``STMTTRN``, a QIF record, a CAMT ``Ntry``), for messages. ``amount``: signed exact
    Decimal in ``currency`` (negative: money out). ``currency``: ISO 4217 when the file says,
    else ``None`` (the import's account or ledger currency applies). ``external_id``: the
    bank's own id of the line (OFX ``FITID``, CAMT ``AcctSvcrRef``/``NtryRef``), else ``None``.
    ``payee``: who was paid or paid (OFX ``NAME``/``PAYEE``, QIF ``P``, CSV payee column);
    ``memo``: the rest of the bank's text. ``category``: the file's own category text, as
    written (QIF ``L``, some CSV exports), else ``None``. ``booked_on``: the date the bank
    booked the line when the file gives another one (CAMT ``BookgDt`` besides ``ValDt``).
    """

    line_no: int
    occurred_on: dt.date
    amount: Decimal
    currency: str | None = None
    payee: str | None = None
    memo: str | None = None
    external_id: str | None = None
    category: str | None = None
    check_number: str | None = None
    booked_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class LineProblem:
    """A record of the file that could not be read: where, and why in words a person understands."""

    line_no: int
    reason: str
    text: str = ""  # the record as written (at most 200 characters), so nothing is lost from view


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """What a parser read from one file.

    ``currency``: the statement's currency when the file states one (OFX ``CURDEF``, CAMT
    ``Acct/Ccy``). ``account``: the bank's account id as written (OFX ``ACCTID``, CAMT IBAN),
    else ``None``. ``detected``: the choices the parser made and the user may confirm or
    change, as strings (``encoding``, ``delimiter``, ``date_order`` ``DMY``/``MDY``/``YMD``,
    ``decimal``, ``columns``, ``preset``, ``tolerant`` when the strict OFX reader refused the
    file). ``balance``: the closing (ledger) balance the file states, with its date.
    """

    format: StatementFormat
    lines: tuple[StatementLine, ...]
    currency: str | None = None
    account: str | None = None
    problems: tuple[LineProblem, ...] = ()
    detected: dict[str, str] = field(default_factory=dict)
    balance: Decimal | None = None
    balance_on: dt.date | None = None


class StatementFormatError(FinancyError):
    """The file is not a statement Financy can read at all (unknown format, truncated, empty,
    unknown encoding, too large). ``reason`` says what is wrong in words for the user."""

    key = "statement_format"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ImportNotFoundError(EditingError):
    """No such import in this ledger (another ledger's id answers the same)."""

    key = "not_found"
    status = 404

    def __init__(self, import_id: object) -> None:
        super().__init__(f"no import {import_id} in this ledger")


class ImportStateError(EditingError):
    """The import's state does not allow the step (commit one already committed, undo a preview,
    answer a line that is not ambiguous or with a transaction that is not one of its candidates)."""

    key = "conflict"
    status = 409


def category_of_text(text: str | None) -> str | None:
    """Return the taxonomy slug a file's own category text names, or ``None``.

    The last part of a nested QIF category counts ("Usual Expenses:Shopping" is "Shopping"),
    compared without case or accents with each slug and its Portuguese and English names
    (``core/contracts/category_display_names.tsv``): "Shopping" and "Compras" are ``shopping``,
    "Groceries" and "Mercado" ``groceries``.
    """
    from financy.core.domain.model import TAXONOMY, merchant_key

    if not text:
        return None
    wanted = merchant_key(text.split(":")[-1])
    for c in TAXONOMY:
        if wanted in {
            merchant_key(c.slug.replace("_", " ")),
            merchant_key(c.name_pt),
            merchant_key(c.name_en),
        }:
            return c.slug
    return None
