"""Statement export: a ledger's transactions as CSV, JSON or OFX bytes (pure writers, no I/O).

The files are made to be read back by ``financy import`` (and by any other reader of the
format), so that export followed by import into a new ledger gives the same transactions:

* **CSV** (:func:`write_csv`): UTF-8 without BOM, ``,`` delimiter, ``\\r\\n`` line ends
  (RFC 4180), one header row with the English names of :data:`CSV_COLUMNS`, ISO dates
  ``YYYY-MM-DD`` and signed amounts with a ``.`` decimal point (negative: money out), so the
  file reads the same whatever the reader's locale.
* **JSON** (:func:`write_json`): ``{"schema_version": 1, "ledger": {...}, "exported_at", "from",
  "to", "transactions": [...]}``, amounts as decimal strings (DESIGN §5), positive with ``kind``
  giving the direction, as the API lists them.
* **OFX** (:func:`write_ofx`): OFX 2.2 XML, one ``BANKMSGSRSV1/STMTTRNRS/STMTRS`` statement with
  a ``STMTTRN`` per transaction (``TRNTYPE`` DEBIT/CREDIT/XFER, ``DTPOSTED`` ``YYYYMMDD``,
  signed ``TRNAMT``, ``FITID``, ``NAME`` at most 32 characters, ``MEMO`` at most 255).

Direction: an expense is money out (negative), an income money in (positive), a transfer is
written as money out (negative; ``kind`` in CSV and JSON keeps that it was a transfer, OFX says
``XFER``). Amounts keep the currency's own minor digits (JPY ``1000``, BHD ``1.250``, BRL
``45.90``) and any finer precision the ledger really holds (``5.789``); never a float.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision

from financy.core.adapters.statements._common import formula_safe
from financy.core.domain.model import CATEGORY_BY_SLUG

#: The CSV header, in column order. ``amount`` is signed (negative: money out) in ``currency``;
#: ``payee`` the merchant; ``category`` the taxonomy slug and ``category_name`` its name in the
#: export's language; ``base_amount`` the signed amount in ``base_currency`` (empty: no FX rate
#: known); ``kind`` expense/income/transfer; ``source`` the channel it was recorded from; ``id``
#: the transaction's UUID; ``external_id`` the bank's own id of an imported line (OFX FITID).
CSV_COLUMNS = (
    "date",
    "amount",
    "currency",
    "payee",
    "description",
    "category",
    "base_amount",
    "base_currency",
    "kind",
    "payment_method",
    "source",
    "id",
    "external_id",
    "category_name",
    "subcategory",
    "author",
    "paid_by",
)

#: OFX 2.x limits (OFX 2.2 specification, §11.4.4.1 and the element types A-32, A-255, A-22).
OFX_NAME_MAX = 32
OFX_MEMO_MAX = 255
OFX_ACCTID_MAX = 22
OFX_FITID_MAX = 255
#: The ``BANKID`` the statement names (A-9): the file comes from Financy, not from a bank.
OFX_BANK_ID = "FINANCY"

_KINDS = frozenset({"expense", "income", "transfer"})


class ExportError(ValueError):
    """The rows cannot be written in the asked format; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One recorded transaction as an export writes it.

    ``amount``: positive Decimal in ``currency`` (ISO 4217); ``kind`` (expense, income, transfer)
    gives the direction. ``occurred_on``: the day in the ledger's time zone. ``category``: the
    taxonomy slug (``None``: uncategorised), ``subcategory`` the ledger's own sub-category's
    name. ``base_amount``: positive, in ``base_currency`` (``None``: no FX rate known).
    ``source_channel``: where it was recorded (``telegram``, ``api``, ``import``...). ``author``
    / ``paid_by``: display names of who recorded it and who paid (``None``: nobody / unknown).
    ``external_id``: the bank's own id of an imported statement line, else ``None``.
    """

    id: uuid.UUID
    occurred_on: dt.date
    kind: str
    amount: Decimal
    currency: str
    merchant: str | None = None
    description: str | None = None
    category: str | None = None
    subcategory: str | None = None
    payment_method: str | None = None
    base_amount: Decimal | None = None
    base_currency: str | None = None
    source_channel: str = "api"
    author: str | None = None
    paid_by: str | None = None
    external_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown transaction kind {self.kind!r}")
        if self.amount <= 0:
            raise ValueError(f"amount must be positive, got {self.amount}")

    @property
    def sign(self) -> int:
        """Return ``1`` for money in (income), ``-1`` for money out (expense, transfer)."""
        return 1 if self.kind == "income" else -1

    @property
    def signed_amount(self) -> Decimal:
        """Return the amount with its direction (negative: money out)."""
        return self.sign * self.amount


@dataclass(frozen=True, slots=True)
class ExportLedger:
    """The ledger (context) an export comes from: its id, name, base currency (ISO 4217),
    locale (BCP 47, for the CSV's category names) and time zone (IANA)."""

    id: uuid.UUID
    name: str
    base_currency: str
    locale: str = "en"
    time_zone: str = "UTC"


def decimal_text(amount: Decimal, currency: str) -> str:
    """Return ``amount`` as a plain decimal string with at least ``currency``'s minor digits.

    ``Decimal("45.9000")`` BRL is ``"45.90"``, ``Decimal("-1000.0000")`` JPY ``"-1000"``,
    ``Decimal("1.25")`` BHD ``"1.250"``; finer precision that is really there is kept
    (``"5.789"`` BRL). Never exponent notation.
    """
    digits = get_currency_precision(currency)
    exponent = amount.normalize().as_tuple().exponent
    places = max(digits, -exponent if isinstance(exponent, int) else 0)
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"


def _text(value: str | None) -> str:
    """Return ``value`` with control characters (newlines, NUL...) as spaces; ``None`` as ``""``."""
    if not value:
        return ""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value)


# --------------------------------------------------------------------------- CSV


def _language(locale: str) -> str:
    return "pt" if locale.lower().startswith("pt") else "en"


def write_csv(rows: Iterable[ExportRow], *, locale: str) -> bytes:
    """Return ``rows`` as CSV bytes (UTF-8, no BOM, ``,``, ``\\r\\n``; columns :data:`CSV_COLUMNS`).

    ``locale`` (a BCP 47 tag such as ``pt-BR``) chooses only the language of ``category_name``;
    dates, amounts and the header are the same in every locale so any reader takes them. Text
    fields are written as recorded (quoted when they hold ``,``, ``"`` or line ends), except
    that one starting like a spreadsheet formula (``=``, ``+``, ``-``, ``@``) gets a ``'`` in
    front (:func:`formula_safe`); ``financy import`` takes that ``'`` off again.
    """
    language = _language(locale)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        category = CATEGORY_BY_SLUG.get(row.category) if row.category else None
        base = (
            ""
            if row.base_amount is None or row.base_currency is None
            else decimal_text(row.sign * row.base_amount, row.base_currency)
        )
        writer.writerow(
            (
                row.occurred_on.isoformat(),
                decimal_text(row.signed_amount, row.currency),
                row.currency,
                formula_safe(row.merchant or ""),
                formula_safe(row.description or ""),
                row.category or "",
                base,
                row.base_currency or "" if base else "",
                row.kind,
                row.payment_method or "",
                row.source_channel,
                str(row.id),
                formula_safe(row.external_id or ""),
                formula_safe(category.name(language)) if category else "",
                formula_safe(row.subcategory or ""),
                formula_safe(row.author or ""),
                formula_safe(row.paid_by or ""),
            )
        )
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- JSON


def _row_json(row: ExportRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "occurred_on": row.occurred_on.isoformat(),
        "kind": row.kind,
        "amount": decimal_text(row.amount, row.currency),
        "currency": row.currency,
        "merchant": row.merchant,
        "description": row.description,
        "category": row.category,
        "subcategory": row.subcategory,
        "payment_method": row.payment_method,
        "base_amount": None
        if row.base_amount is None or row.base_currency is None
        else decimal_text(row.base_amount, row.base_currency),
        "base_currency": row.base_currency if row.base_amount is not None else None,
        "source_channel": row.source_channel,
        "author": row.author,
        "paid_by": row.paid_by,
        "external_id": row.external_id,
    }


def write_json(
    rows: Iterable[ExportRow],
    *,
    context: ExportLedger,
    start: dt.date | None = None,
    end: dt.date | None = None,
    exported_at: dt.datetime | None = None,
) -> bytes:
    """Return ``rows`` as UTF-8 JSON: the ledger, when and which days, and the transactions.

    Shape: ``{"schema_version": 1, "ledger": {"id", "name", "base_currency"}, "exported_at"
    (ISO 8601 UTC), "from", "to" (``YYYY-MM-DD`` or null: unbounded), "transactions": [{"id",
    "occurred_on", "kind", "amount" (positive decimal string), "currency", "merchant",
    "description", "category", "subcategory", "payment_method", "base_amount", "base_currency",
    "source_channel", "author", "paid_by", "external_id"}]}``. ``exported_at`` defaults to now.

    Raises:
        ValueError: ``exported_at`` without a time zone.
    """
    when = exported_at or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        raise ValueError("exported_at needs a time zone")
    document = {
        "schema_version": 1,
        "ledger": {"id": str(context.id), "name": context.name, "base_currency": context.base_currency},
        "exported_at": when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "from": None if start is None else start.isoformat(),
        "to": None if end is None else end.isoformat(),
        "transactions": [_row_json(row) for row in rows],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- OFX

_OFX_HEADER = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\r\n'
    '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\r\n'
)


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _ofx_day(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip()


def ofx_name_and_memo(row: ExportRow) -> tuple[str | None, str | None]:
    """Return the ``NAME`` and ``MEMO`` of ``row`` (``None``: the element is left out).

    ``NAME`` is the merchant cut to :data:`OFX_NAME_MAX` characters; when it had to be cut the
    whole merchant leads the ``MEMO`` (``"merchant; description"``), so no text is lost. ``MEMO``
    is cut to :data:`OFX_MEMO_MAX` characters. Control characters become spaces.
    """
    merchant = _text(row.merchant).strip()
    description = _text(row.description).strip()
    name = _cut(merchant, OFX_NAME_MAX) if merchant else None
    if merchant and len(merchant) > OFX_NAME_MAX:
        memo = f"{merchant}; {description}" if description else merchant
    else:
        memo = description
    return name, (_cut(memo, OFX_MEMO_MAX) if memo else None)


def _rate(row: ExportRow, currency: str) -> Decimal:
    """Return how many ``currency`` units one unit of ``row.currency`` was worth (OFX ``CURRATE``)."""
    if row.base_amount is None or row.base_currency != currency:
        raise ExportError(
            f"the transaction {row.id} of {row.occurred_on} in {row.currency} has no FX rate to "
            f"{currency} yet, and an OFX statement in {currency} needs one; export CSV or JSON, "
            "or export again once the rate is known"
        )
    return (row.base_amount / row.amount).quantize(Decimal("0.0000000001")).normalize()


def write_ofx(
    rows: Sequence[ExportRow],
    *,
    currency: str,
    account_id: str,
    start: dt.date,
    end: dt.date,
    generated_at: dt.datetime | None = None,
) -> bytes:
    """Return ``rows`` as one OFX 2.2 bank statement in ``currency`` (UTF-8 XML bytes).

    ``account_id`` is the statement's ``ACCTID`` (1 to 22 characters; the bank id is
    :data:`OFX_BANK_ID`, the account type ``CHECKING``); ``start``/``end`` its ``DTSTART`` and
    ``DTEND``; ``generated_at`` (default now) its ``DTSERVER``. Each row is a ``STMTTRN``:
    ``TRNTYPE`` CREDIT (income), DEBIT (expense) or XFER (transfer), ``DTPOSTED`` the day as
    ``YYYYMMDD``, ``TRNAMT`` signed (negative: money out) with the currency's own decimals,
    ``FITID`` the row's ``external_id`` else its transaction id, ``NAME``/``MEMO`` as
    :func:`ofx_name_and_memo`. A row in another currency keeps its own amount and says so in a
    ``CURRENCY`` aggregate (``CURSYM`` its currency, ``CURRATE`` ``currency`` units per unit, from
    its base amount). ``LEDGERBAL`` is the net of the rows (the file comes from a ledger, not an
    account with a balance), as of ``end``.

    Raises:
        ExportError: ``account_id`` empty or longer than 22 characters; ``start`` after ``end``;
            a row in another currency whose value in ``currency`` is not known (no FX rate yet).
    """
    if not 1 <= len(account_id) <= OFX_ACCTID_MAX:
        raise ExportError(f"an OFX account id has 1 to {OFX_ACCTID_MAX} characters, got {account_id!r}")
    if start > end:
        raise ExportError(f"the statement starts ({start}) after it ends ({end})")
    when = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    root = ET.Element("OFX")
    sonrs = _add(_add(root, "SIGNONMSGSRSV1"), "SONRS")
    status = _add(sonrs, "STATUS")
    _add(status, "CODE", "0")
    _add(status, "SEVERITY", "INFO")
    _add(sonrs, "DTSERVER", when.strftime("%Y%m%d%H%M%S") + ".000[+0:UTC]")
    _add(sonrs, "LANGUAGE", "ENG")
    trnrs = _add(_add(root, "BANKMSGSRSV1"), "STMTTRNRS")
    _add(trnrs, "TRNUID", "0")
    status = _add(trnrs, "STATUS")
    _add(status, "CODE", "0")
    _add(status, "SEVERITY", "INFO")
    stmtrs = _add(trnrs, "STMTRS")
    _add(stmtrs, "CURDEF", currency)
    account = _add(stmtrs, "BANKACCTFROM")
    _add(account, "BANKID", OFX_BANK_ID)
    _add(account, "ACCTID", _text(account_id))
    _add(account, "ACCTTYPE", "CHECKING")
    tranlist = _add(stmtrs, "BANKTRANLIST")
    _add(tranlist, "DTSTART", _ofx_day(start))
    _add(tranlist, "DTEND", _ofx_day(end))
    net = Decimal(0)
    for row in rows:
        trn = _add(tranlist, "STMTTRN")
        _add(trn, "TRNTYPE", {"income": "CREDIT", "expense": "DEBIT"}.get(row.kind, "XFER"))
        _add(trn, "DTPOSTED", _ofx_day(row.occurred_on))
        _add(trn, "TRNAMT", decimal_text(row.signed_amount, row.currency))
        fitid = _text(row.external_id).strip() or str(row.id)
        _add(trn, "FITID", _cut(fitid, OFX_FITID_MAX))
        name, memo = ofx_name_and_memo(row)
        if name:
            _add(trn, "NAME", name)
        if memo:
            _add(trn, "MEMO", memo)
        if row.currency == currency:
            net += row.signed_amount
        else:
            rate = _rate(row, currency)
            foreign = _add(trn, "CURRENCY")
            _add(foreign, "CURRATE", f"{rate:f}")
            _add(foreign, "CURSYM", row.currency)
            assert row.base_amount is not None  # _rate refused it otherwise
            net += row.sign * row.base_amount
    balance = _add(stmtrs, "LEDGERBAL")
    _add(balance, "BALAMT", decimal_text(net, currency))
    _add(balance, "DTASOF", _ofx_day(end))
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=False)
    return (_OFX_HEADER + body + "\r\n").encode("utf-8")


# --------------------------------------------------------------------------- one entry for CLI and API

#: The export formats and the media type of each file.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "ofx": "application/x-ofx",
}
FORMATS = tuple(CONTENT_TYPES)


def ofx_account_id(ledger: ExportLedger) -> str:
    """Return the OFX ``ACCTID`` of ``ledger``: the first 22 hex digits of its id (A-22)."""
    return ledger.id.hex[:OFX_ACCTID_MAX]


def write_export(
    fmt: str,
    rows: Sequence[ExportRow],
    *,
    ledger: ExportLedger,
    start: dt.date | None,
    end: dt.date | None,
    today: dt.date,
    exported_at: dt.datetime | None = None,
) -> bytes:
    """Return ``rows`` of ``ledger`` written as ``fmt`` (one of :data:`FORMATS`).

    OFX needs a period: an open ``start``/``end`` is the first/last row's day (``today`` when there
    are no rows), and the statement's currency is the ledger's base currency.

    Raises:
        ExportError: an unknown ``fmt``; what :func:`write_ofx` refuses.
    """
    if fmt == "csv":
        return write_csv(rows, locale=ledger.locale)
    if fmt == "json":
        return write_json(rows, context=ledger, start=start, end=end, exported_at=exported_at)
    if fmt == "ofx":
        last = end or (rows[-1].occurred_on if rows else today)
        first = start or (rows[0].occurred_on if rows else min(today, last))
        return write_ofx(
            rows,
            currency=ledger.base_currency,
            account_id=ofx_account_id(ledger),
            start=first,
            end=last,
            generated_at=exported_at,
        )
    raise ExportError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")


def export_filename(ledger: ExportLedger, fmt: str, start: dt.date | None, end: dt.date | None) -> str:
    """Return a safe file name for an export: ``financy-<ledger>[-<from>][_<to>].<fmt>``.

    Only ASCII letters, digits, ``-`` and ``_`` come from the ledger's name (accents dropped,
    other characters as ``-``, at most 40), so the name is safe in a ``Content-Disposition``
    header and on any file system. ``financy-casa-2026-11-01_2026-11-30.csv``.
    """
    folded = unicodedata.normalize("NFKD", ledger.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-").lower()[:40].strip("-") or "ledger"
    period = ""
    if start is not None or end is not None:
        period = "-" + (start.isoformat() if start else "") + "_" + (end.isoformat() if end else "")
    return f"financy-{slug}{period}.{fmt}"
