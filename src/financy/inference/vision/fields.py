"""Receipt fields from OCR lines: merchant, tax id, date, time, total and its neighbours, items, payment.

The input is the OCR text in reading order, one printed line per string (either engine, or a
cloud OCR's lines). The rules are those receipt parsers in the field apply (Azure/Textract expense
models, receipt-parser-legacy, Brazilian NFC-e readers), written as our own code:

* Amounts are numbers with two decimals ("14.50", "0,99", "1,234.56", "1.234,56", "R$ 45,90",
  "$1,998.00", "3.99B", ".75-"). A number without decimals is not an amount unless the receipt's
  currency is printed without decimals (``data/currencies.tsv``: JPY, KRW, CLP, and IDR, COP, HUF in
  practice), when "25.000", "Rp 25,000", "¥1,280" and "12,000원" are whole amounts (see
  :func:`find_amounts`), or the receipt has no decimal amounts at all and a currency sign stands
  before it ("¥1200"): a quantity, a store or phone number, or an OCR slip ("$450" for "$14.50") is
  never read as money. OCR slips fixed first: "O"/"o" inside a number ("1O,50"), a space before the
  decimals ("$1699 .96"), a date glued to its time ("03/05/202318:27").
* Every line gets a label from its words (``data/receipt_labels.tsv``, in English, Portuguese,
  German, French, Italian, Spanish, Czech, Dutch, Hungarian, Polish, Indonesian/Malay, Japanese and
  Korean): total ("TOTAL", "VALOR TOTAL R$", "TOTAL TTC", "NET A PAYER", "ZU ZAHLEN", "TOTALE
  COMPLESSIVO", "TOTAL A PAGAR", "CELKEM K ÚHRADĚ", "TE BETALEN", "合計"...), subtotal ("TOTAL HT",
  "BASE IMPONIBLE"), tax ("TAX", "MwSt", "TVA", "IVA", "DPH", "BTW"), tip, change ("troco",
  "Rückgeld", "RENDU", "RESTO"), tendered ("dinheiro", "BAR", "EC-Karte", "CB", "ESPECES"), savings,
  loyalty points and item counts, which are never money totals. A label line with no amount takes
  the amount of the next line when that line is only an amount (OCR engines that split columns).
* The total is chosen among the total-labelled amounts: the last one consistent with subtotal +
  tax + tip (- savings) when a subtotal is printed; otherwise the strongest label ("Valor a pagar",
  "NET A PAYER" and "AMOUNT DUE" over "TOTAL" over "Gesamtbetrag"), later lines breaking ties. An
  amount below the subtotal (less savings) is an OCR slip and is dropped; a total line naming the
  tax it includes is that tax when another total is larger ("TOTAL INCLUDES GST 0.75"). No total
  label: what a card was charged ("EC-KARTE 3,29") or the cash given less the change is the total;
  otherwise no total: the largest number is never taken as the total.
* Currency: a marker printed on the receipt (``data/currency_markers.tsv``: R$, US$, $, €, £, ₱, ¥,
  Rp, RM, Kč, Ft, 원, "P21.50/Unit", ISO codes...), else a country hint (a CNPJ or "NFC-e" -> BRL,
  a US state + ZIP -> USD, German receipt words or an EU VAT id -> EUR, tax-id words and "+NN"
  phone numbers: ``data/countries.tsv``), else a bare "$" (the country's, the caller's dollar, or
  USD), else the language of the labels, else the caller's ``currency``.
* Dates: "dd/mm/yyyy", "dd.mm.yyyy", "mm/dd/yyyy", "yyyy-mm-dd", "10 DEZ 2024", "Dec 7, 2019"
  and 2-digit years (20yy). The order is taken from a day over 12 when there is one, else from the
  receipt (its currency's or country's date order in ``currencies.tsv``: USD -> month first; BRL,
  EUR... -> day first), else from a 12-hour clock ("05:32 PM" -> month first), else from the
  language hint ("en" -> month first, "pt"/"de" -> day first), else day first. A date that does not
  exist (31/02) or lies outside 1990..2100 is not a date.
* Merchant: the first meaningful header line; a known name OCR garbled ("CARREF0UR",
  "SUPERMERCADOPAODEACUCAR") is named right (:mod:`financy.inference.vision.merchants`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final, Literal

from financy.inference.vision import words
from financy.inference.vision.merchants import known_merchant
from financy.inference.vision.nfce import find_access_key
from financy.inference.vision.taxid import TaxId, find_tax_ids

__all__ = ["Problem", "ReceiptFields", "ReceiptItem", "extract_fields", "find_amounts"]

Problem = Literal["no_total", "not_a_receipt", "no_text"]
CENT: Final = Decimal("0.01")


@dataclass(frozen=True)
class ReceiptItem:
    """One purchased line: ``description`` as printed (trimmed, without the trailing tax flag),
    ``quantity`` (None when not printed), ``unit_price`` and ``line_total`` in the receipt's currency
    (None when not printed; ``unit_price`` is derived from total/quantity only when it divides to the cent).
    """

    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    line_total: Decimal | None


@dataclass(frozen=True)
class ReceiptFields:
    """What a receipt says. Amounts are Decimal in ``currency`` (ISO 4217), None when not printed/read.

    ``merchant`` is the first meaningful header line, as printed; ``merchant_tax_id`` the issuer's
    CNPJ or VAT id (a consumer's CPF is not the merchant's); ``payment_method`` one of
    "credit_card", "debit_card", "cash", "pix", "meal_voucher", or None.

    ``confidence`` (0..1) is a weighted score of the fields a transaction needs: total 0.45 (full
    when it is consistent with subtotal + tax + tip, with tendered - change, or with the sum of the
    items; 0.8 of that when only the subtotal it rests on is checked, by the items adding up to it,
    the step to the total (an unreadable tip) being unchecked; 0.7 when only labelled), date 0.2,
    merchant 0.15, currency 0.2. It says how much of the receipt was understood, not how sure the
    OCR was (the caller combines the two).

    ``problem`` is None for a usable receipt, else "no_text" (nothing legible), "not_a_receipt"
    (text but no amounts of money) or "no_total" (amounts, but no printed total could be read:
    the user is asked, nothing is guessed). ``tendered`` is the amount handed over (cash given, card
    charged) and ``total_verified`` whether the total agreed with another printed figure.
    """

    merchant: str | None = None
    merchant_tax_id: TaxId | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    total: Decimal | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    tip: Decimal | None = None
    change: Decimal | None = None
    savings: Decimal | None = None
    currency: str | None = None
    items: tuple[ReceiptItem, ...] = ()
    payment_method: str | None = None
    confidence: float = 0.0
    problem: Problem | None = None
    tendered: Decimal | None = None
    total_verified: bool = False

    def score(self) -> float:
        """Recompute ``confidence`` from the fields (see the class docstring); used after merging readings."""
        if self.total is None:
            total = 0.0
        elif self.total_verified:
            total = 0.45
        else:
            total = 0.36 if self.items_add_up() else 0.315
        value = (
            total
            + (0.2 if self.date else 0.0)
            + (0.15 if self.merchant else 0.0)
            + (0.2 if self.currency else 0.0)
        )
        return round(value, 3)

    def items_add_up(self) -> bool:
        """Whether the items' line totals sum exactly to the printed subtotal (to the total when no
        subtotal is printed): every item was read, and read right. False without items."""
        target = self.subtotal if self.subtotal is not None else self.total
        return target is not None and _items_sum(self.items) == target


# -- text helpers ---------------------------------------------------------------------------------------


def _fold(text: str, *, words: bool = True) -> str:
    """Lower case without accents ("Crédito" -> "credito", "Rückgeld" -> "ruckgeld"); with ``words``,
    a zero inside a word is the letter O it was read for ("VAL0R T0TAL" -> "valor total")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"(?<=[a-z])0|0(?=[a-z]{2})", "o", plain) if words else plain


def _fix_ocr(text: str) -> str:
    """Undo OCR slips inside numbers: "1O,50" -> "10,50", "$1699 .96" -> "$1699.96", "45, 90" -> "45,90"."""
    text = re.sub(r"(?<=\d)[Oo](?=[\d.,])|(?<=\d[.,])[Oo](?=\d)|(?<=[.,]\d)[Oo](?![A-Za-z])", "0", text)
    text = re.sub(r"(?<=\d) (?=[.,]\d{2}(?![\d.,]))", "", text)
    text = re.sub(r"(?<=\d[.,]) (?=\d{2}(?:\s|$|[A-Za-z*-]))", "", text)
    # A date glued to the time after it: "03/05/202318:27", "2023-05-0318:27:05".
    text = _GLUED_TIME_RE.sub(r"\1 ", text)
    # Full-width punctuation from CJK-trained recognisers (PP-OCR): "CHICAGO，IL", "）".
    return text.translate(_FULL_WIDTH)


_GLUED_TIME_RE: Final = re.compile(
    r"((?<!\d)(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d{2}|(?:19|20)\d{2}[./-]\d{2}[./-]\d{2}))"
    r"(?=(?:[01]\d|2[0-3])[:h][0-5]\d)"
)


_FULL_WIDTH: Final = str.maketrans("，．：（）＄", ",.:()$")


# -- amounts --------------------------------------------------------------------------------------------

_SIGN_RE: Final = words.marker_regex()
_AMOUNT_RE: Final = re.compile(
    rf"(?P<pre>{_SIGN_RE})?[ ]?(?P<sign>-)?[ ]?"
    r"(?P<num>(?<![\d.,])(?:\d{1,3}(?:[.,']\d{3})+|\d+)?[.,]\d{2})(?![\d]|[.,]\d)"
    rf"(?P<post>-)?(?:[ ]?(?P<suf>{_SIGN_RE}))?"
)
_INTEGER_AMOUNT_RE: Final = re.compile(
    rf"(?P<pre>{_SIGN_RE})[ ]?(?P<num>(?<![\d.,])\d{{1,3}}(?:[.,']\d{{3}})*|\d+)(?![\d.,])"
)
#: A whole amount of a currency printed without decimals ("25.000", "Rp 25,000", "¥1,280", "12,000원",
#: "12 990 Ft"): thousands grouped by ".", ",", "'" (or a space when a marker follows), or plain digits.
_WHOLE_AMOUNT_RE: Final = re.compile(
    rf"(?P<pre>{_SIGN_RE})?[ ]?(?P<sign>-)?[ ]?"
    r"(?P<num>(?<![\d.,:/])(?:\d{1,3}(?P<sep>[.,'])\d{3}(?:(?P=sep)\d{3})*|\d{1,3}(?: \d{3})+(?=[ ]?[^\W\d])|\d{1,9}))"
    r"(?![\d]|[.,:/]\d|[ ]?%|-\d)(?P<post>-)?(?:,-)?"
    rf"(?:[ ]?(?P<suf>{_SIGN_RE}))?"
)


@dataclass(frozen=True)
class Amount:
    """An amount of money on a line: ``value`` (>= 0), ``negative`` (printed "-1.20" or "1.20-"),
    ``currency`` (ISO code, "$" for a bare dollar sign, "¥" for a yen/yuan sign, or None),
    ``start``/``end`` in the line.
    """

    value: Decimal
    negative: bool
    currency: str | None
    start: int
    end: int


def _to_decimal(num: str) -> Decimal:
    body, decimals = num[:-3], num[-2:]
    digits = re.sub(r"\D", "", body) or "0"
    return Decimal(f"{int(digits)}.{decimals}")


def _whole_amounts(line: str, *, labelled: bool) -> list[Amount]:
    """Amounts of a currency printed without decimals (see :func:`find_amounts`)."""
    found: list[Amount] = []
    matches = list(_WHOLE_AMOUNT_RE.finditer(line))
    for index, m in enumerate(matches):
        sign = m["pre"] or m["suf"]
        grouped = m["sep"] is not None or " " in m["num"]
        rest = line[m.end() :]
        last = index == len(matches) - 1 and re.fullmatch(r"(?:\s+[A-Z*]{1,2})?\s*", rest) is not None
        in_column = last and (m.start() == 0 or line[: m.start()].endswith("  ") or labelled)
        if not (sign or grouped or in_column):
            continue
        if grouped and not sign and m["sep"] == "," and re.search(r"\d,\d{3}\.\d", line[m.start() :]):
            continue  # "1,234.56" is a decimal amount, read by the main pattern
        digits = re.sub(r"\D", "", m["num"])
        found.append(
            Amount(
                Decimal(int(digits)),
                bool(m["sign"] or m["post"]),
                words.marker_currency(sign) if sign else None,
                m.start(),
                m.end(),
            )
        )
    return found


def find_amounts(
    text: str, *, integers: bool = False, whole: bool = False, labelled: bool = False
) -> list[Amount]:
    """Return the amounts of money in one line of receipt text, left to right (see the module docstring).

    ``integers`` also accepts whole numbers with a currency sign before them ("¥1200"), for receipts
    whose currency has no cents. ``whole`` reads the line in a currency printed without decimals
    (JPY, KRW, CLP, IDR... see ``data/currencies.tsv``): "25.000" and "25,000" are 25000; a number
    is an amount when a currency marker stands beside it, when its thousands are grouped, or when it
    ends the line after a column gap (any last number of a ``labelled`` line); decimal amounts count
    only with zero decimals ("25.000,00"), so "1.25 kg" is not money.
    """
    line = _fix_ocr(text)
    found: list[Amount] = []
    for m in _AMOUNT_RE.finditer(line):
        if whole and not m["num"].endswith("00"):
            continue
        sign = m["pre"] or m["suf"]
        found.append(
            Amount(
                value=_to_decimal(m["num"]),
                negative=bool(m["sign"] or m["post"]),
                currency=words.marker_currency(sign) if sign else None,
                start=m.start(),
                end=m.end(),
            )
        )
    if whole and not found:
        return _whole_amounts(line, labelled=labelled)
    if integers and not found:
        for m in _INTEGER_AMOUNT_RE.finditer(line):
            digits = re.sub(r"\D", "", m["num"])
            found.append(Amount(Decimal(digits), False, words.marker_currency(m["pre"]), m.start(), m.end()))
    return found


# -- line labels ----------------------------------------------------------------------------------------

Label = Literal["total", "subtotal", "tax", "tip", "change", "tendered", "savings", "points", "count"]


def _label(folded: str) -> words.LabelMatch | None:
    """The line's label from ``data/receipt_labels.tsv`` (see :mod:`financy.inference.vision.words`)."""
    return words.label_line(folded)


@dataclass
class _Line:
    index: int
    text: str
    folded: str
    amounts: list[Amount]
    match: words.LabelMatch | None
    position: int  # in the caller's list, blank lines counted (a left-out illegible line is blank)

    @property
    def label(self) -> Label | None:
        return self.match.label if self.match is not None else None  # type: ignore[return-value]

    @property
    def letters(self) -> int:
        return sum(c.isalpha() for c in _strip_amounts(self))

    def last(self) -> Amount | None:
        return self.amounts[-1] if self.amounts else None


def _strip_amounts(line: _Line) -> str:
    text = _fix_ocr(line.text)
    for a in reversed(line.amounts):
        text = text[: a.start] + " " + text[a.end :]
    return text


def _is_amount_only(line: _Line) -> bool:
    """A line that is just an amount (and maybe a currency or tax flag): "$1810.46", "0,99 B"."""
    return bool(line.amounts) and line.label is None and line.letters <= 2


def _labelled_amount(lines: list[_Line], i: int) -> Amount | None:
    """The amount a label line carries: its last amount, or the next line's when it is only an amount."""
    line = lines[i]
    if line.amounts:
        return line.amounts[-1]
    if len(line.folded.split()) <= 4 and i + 1 < len(lines) and _is_amount_only(lines[i + 1]):
        return lines[i + 1].amounts[-1]
    return None


# -- currency -------------------------------------------------------------------------------------------

_US_STATES: Final = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
    "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
_US_PLACE_RE: Final = re.compile(
    rf"[A-Za-z](?:,\s*|\s)(?:{_US_STATES})\s+\d{{5}}(?:-\d{{4}})?\b|"
    rf"[A-Z]{{3}},\s*(?:{_US_STATES})\s*$",
    re.MULTILINE,
)
_GERMAN_RE: Final = re.compile(
    r"\b(summe|mwst|steuer|netto|brutto|r[uü]ckge[il1]d|kasse|bon-?nr|ust-?id|uid nr|geg\.|gegeben|"
    r"zu zahlen|vielen dank|markt gmbh|gmbh)\b"
)
_BRAZIL_RE: Final = re.compile(
    r"\b(cnpj|nfc-?e|cupom fiscal|danfe|sefaz|consumidor|troco|tributos|valor a pagar|ltda|cpf)\b"
)
_PESO_RE: Final = re.compile(r"(?:^|[\s(xX×])P ?\d{1,3}(?:,\d{3})*\.\d{2}")
_MARKER_RE: Final = re.compile(_SIGN_RE)
#: ISO codes counted wherever they are printed ("Valores em EUR"); other lettered markers only
#: beside a number.
_STANDALONE_CODES: Final = frozenset({"EUR", "BRL", "USD", "GBP", "PHP", "CHF"})


def _next_to_number(text: str, start: int, end: int) -> bool:
    return bool(re.match(r"[ ]?-?\d", text[end:]) or re.search(r"\d[.,]?-?[ ]?$", text[:start]))


@dataclass(frozen=True)
class _CurrencyReading:
    """The currency a receipt is in (``code``: ISO, or None), the country hint's currency
    (``country``: "USD", "BRL", "EUR"... or None) and whether its prices carry no decimals."""

    code: str | None
    country: str | None
    whole: bool


def _currency(texts: Sequence[str], tax_ids: list[TaxId], hint: str | None) -> _CurrencyReading:
    """Read the receipt's currency from its raw lines, before the amounts are read.

    In order: currency markers printed on it (``data/currency_markers.tsv``: "R$", "Rp", "Kč",
    "원", ISO codes; a bare "$" and "¥" are resolved below), else a country hint (a CNPJ or
    Brazilian receipt words, a US state + ZIP, German receipt words or an EU VAT id, tax-id words,
    "+NN" phone numbers: ``data/countries.tsv``), else a bare "$" (the country's dollar-sign
    currency, else the caller's dollar ``hint``, else USD), else the language of the labels, else
    ``hint``. "¥" is JPY, or CNY when the receipt's amounts have decimals.
    """
    fixed = [_fix_ocr(t) for t in texts]
    folded_lines = [_fold(t) for t in fixed]
    folded = "\n".join(folded_lines)
    has_decimals = any(_AMOUNT_RE.search(t) for t in fixed)
    votes: dict[str, int] = {}
    for text in fixed:
        for m in _MARKER_RE.finditer(text):
            marked = words.marker_currency(m[0])
            if marked == "¥":
                marked = "CNY" if has_decimals else "JPY"
            lettered = any("a" <= c.lower() <= "z" for c in m[0]) and m[0] not in _STANDALONE_CODES
            if lettered and not _next_to_number(text, m.start(), m.end()):
                continue  # "Ft" (feet), "RM" in a word: a lettered marker counts beside a number
            if marked:
                votes[marked] = votes.get(marked, 0) + 1
        if _PESO_RE.search(text):
            votes["PHP"] = votes.get("PHP", 0) + 1
    country: str | None = None
    if any(t.country == "BR" for t in tax_ids) or _BRAZIL_RE.search(folded):
        country = "BRL"
    elif _US_PLACE_RE.search("\n".join(fixed)):
        country = "USD"
    elif (
        any(t.kind == "vat" and t.country not in ("GB", "PL", "DK", "SE") for t in tax_ids)
        or len(set(_GERMAN_RE.findall(folded))) >= 2
    ):
        country = "EUR"
    languages = words.label_languages(folded_lines)
    hinted = words.country_hints("\n".join(fixed), folded, Counter(), [t.country for t in tax_ids])
    if country is None and hinted:
        country = max(hinted.items(), key=lambda kv: kv[1])[0]
    known = words.currencies()
    explicit = {code: n for code, n in votes.items() if code != "$"}
    code: str | None
    if explicit and max(explicit.values()) >= votes.get("$", 0):
        code = max(explicit.items(), key=lambda kv: kv[1])[0]
    elif country is not None:
        code = country
    elif "$" in votes:
        dollar_hint = hint is not None and hint in known and known[hint].dollar_sign
        code = hint if dollar_hint else "USD"
    else:
        by_language = words.country_hints("", "", languages, [])
        code = max(by_language.items(), key=lambda kv: kv[1])[0] if by_language else hint
        country = code if by_language else None
    whole = code in known and known[code].receipt_decimals == 0
    return _CurrencyReading(code, country, whole)


# -- dates and times ------------------------------------------------------------------------------------

_MONTHS: Final = {
    "jan": 1, "fev": 2, "feb": 2, "mar": 3, "mär": 3, "abr": 4, "apr": 4, "mai": 5, "may": 5,
    "jun": 6, "jul": 7, "ago": 8, "aug": 8, "set": 9, "sep": 9, "out": 10, "oct": 10, "okt": 10,
    "nov": 11, "dez": 12, "dec": 12,
}  # fmt: skip
_NUMERIC_DATE_RE: Final = re.compile(
    r"(?<![\d.,/])(\d{1,2}) ?([./-]) ?(\d{1,2}) ?\2 ?(\d{4}|\d{2})(?![\d]|[.,/]\d)"
)
_ISO_DATE_RE: Final = re.compile(r"(?<!\d)(\d{4})[-./](\d{2})[-./](\d{2})(?!\d)")
_MONTH_NAMES: Final = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_RE: Final = re.compile(
    rf"(?<!\d)(\d{{1,2}})[ .\-/]*(?:de )?({_MONTH_NAMES})[a-zç]*\.?[ ,.\-/]*(?:de )?(\d{{4}}|\d{{2}})(?!\d)"
)
_MONTH_DAY_RE: Final = re.compile(rf"\b({_MONTH_NAMES})[a-z]*\.? (\d{{1,2}}),? (\d{{4}})(?!\d)")
_AM_PM_RE: Final = re.compile(r"(?<![\d:])(?:0?[1-9]|1[0-2]) ?: ?[0-5]\d(?::[0-5]\d)? ?[AaPp]\.? ?[Mm]\b")
_TIME_RE: Final = re.compile(
    r"(?<![\d:.,])([01]?\d|2[0-3]) ?[:h] ?([0-5]\d)(?::([0-5]\d))?(?![\d.,])(?: ?([ap])\.? ?m\b\.?)?"
)


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    if year < 100:
        year += 2000
    if not 1990 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _date(lines: list[_Line], month_first: bool) -> tuple[dt.date, int] | None:
    for line in lines:
        text = _fix_ocr(line.text)
        folded = _fold(text, words=False)
        for m in _ISO_DATE_RE.finditer(text):
            date = _make_date(int(m[1]), int(m[2]), int(m[3]))
            if date:
                return date, line.index
        for m in _NUMERIC_DATE_RE.finditer(text):
            a, b, year = int(m[1]), int(m[3]), int(m[4])
            if a > 12 >= b:
                order = (b, a)
            elif b > 12 >= a:
                order = (a, b)
            else:
                order = (a, b) if month_first else (b, a)
            date = _make_date(year, *order)
            if date:
                return date, line.index
        for m in _DAY_MONTH_RE.finditer(folded):
            date = _make_date(int(m[3]), _MONTHS[m[2]], int(m[1]))
            if date:
                return date, line.index
        for m in _MONTH_DAY_RE.finditer(folded):
            date = _make_date(int(m[3]), _MONTHS[m[1]], int(m[2]))
            if date:
                return date, line.index
    return None


def _time(lines: list[_Line], date_line: int | None) -> dt.time | None:
    def read(line: _Line) -> list[dt.time]:
        times = []
        for m in _TIME_RE.finditer(_fold(_fix_ocr(line.text), words=False)):
            hour, minute = int(m[1]), int(m[2])
            second = int(m[3]) if m[3] else 0
            if m[4]:
                if hour == 0 or hour > 12:
                    continue
                hour = hour % 12 + (12 if m[4] == "p" else 0)
            times.append(dt.time(hour, minute, second))
        return times

    ordered = sorted(lines, key=lambda ln: (ln.index != date_line, abs(ln.index - (date_line or 0))))
    for line in ordered:
        times = read(line)
        if not times:
            continue
        # Opening hours ("7:00 bis 24:00", "08:00 às 22:00") print two times on a line: not the sale's.
        if line.index == date_line or len(re.findall(r"(?<!\d)\d{1,2} ?[:h] ?\d{2}(?!\d)", line.text)) == 1:
            return times[0]
    return None


# -- merchant -------------------------------------------------------------------------------------------

_NOT_MERCHANT_RE: Final = re.compile(
    r"\b(cupom fiscal|nfc-?e|nf-?e|danfe|documento auxiliar|nota fiscal|extrato|welcome|bem[- ]vindo|"
    r"willkommen|thank you|thanks|obrigado|volte sempre|receipt|recibo|comprovante|customer copy|"
    r"via (do )?(cliente|consumidor|estabelecimento)|sales associate|cashier|operador|caixa|atendente|"
    r"cnpj|cpf|ie|im|uid|vat|tax id|inscricao|tel|tel\.|fone|phone|fax|www|http|e-?mail|"
    r"street|st\.|avenue|ave\.?|road|rd\.|blvd|suite|rua|r\.|av\.?|avenida|alameda|travessa|rodovia|"
    r"praca|estrada|bairro|centro|cep|allee|strasse|stra(ss|ß)e|str\.|platz|weg|store|loja|filial|"
    r"date|data|hora|time|order|pedido|mesa|table|guest|server)\b|@|\*{3}"
)
_PHONE_RE: Final = re.compile(r"\(?\d{2,3}\)?[\s.\-]?\d{3,5}[\s.\-]\d{4}")
_CLEAN_ENDS_RE: Final = re.compile(r"^[\s*\-=|:;,_~#'\"?!·•.>]+|[\s*\-=|:;,_~#'\"?!·•>]+$")


def _merchant(lines: list[_Line], first_money_line: int) -> str | None:
    for line in lines[:first_money_line]:
        if line.position >= 8:
            break  # the merchant heads the receipt: a name further down is an item or a footer
        text = _fix_ocr(line.text)
        if line.amounts or _NOT_MERCHANT_RE.search(line.folded) or _PHONE_RE.search(text):
            continue
        if re.match(r"^\s*\d+\s+\w", text) and re.search(r"\d{4,5}", text) is None and len(text) > 12:
            continue  # "123 Main Street": a street number first
        if re.search(r"\d{5}(?:-\d{3,4})?", text) or _NUMERIC_DATE_RE.search(text) or _TIME_RE.search(text):
            continue  # a ZIP/CEP, a date or a time
        tokens = re.findall(r"[^\W\d_]{3,}|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2,}", text)  # CJK: 2
        letters = sum(c.isalpha() for c in text)
        if not tokens or letters < 0.5 * len(text.replace(" ", "")):
            continue
        cleaned = _CLEAN_ENDS_RE.sub("", text).strip()
        if len(cleaned) >= 2:
            # A known name OCR garbled ("CARREF0UR", "SUPERMERCADOPAODEACUCAR") is named right.
            return known_merchant(cleaned) or re.sub(r"\s{2,}", " ", cleaned)
    return None


# -- payment --------------------------------------------------------------------------------------------

_PAYMENT_RULES: Final = (
    ("pix", re.compile(r"\bpix\b")),
    (
        "meal_voucher",
        re.compile(r"\b(vale[ -]?(refeicao|alimentacao)|ticket restaurante|sodexo|alelo|vr beneficios)\b"),
    ),
    ("debit_card", re.compile(r"\b(cartao de debito|debito|debit|maestro|girocard|ec-?karte|electron)\b")),
    (
        "credit_card",
        re.compile(
            r"\b(cartao de credito|credito|credit|visa|mastercard|master|amex|american express|elo|hipercard|"
            r"diners|discover)\b"
        ),
    ),
    ("cash", re.compile(r"\b(dinheiro|cash|efectivo|especie)\b|\bgeg(\.|eben)? ?bar\b|\bbar (eur|€)")),
)


def _payment(lines: list[_Line], after: int) -> str | None:
    for region in (lines[after:], lines[:after]):
        for line in region:
            for method, pattern in _PAYMENT_RULES:
                if pattern.search(line.folded):
                    return method
    return None


# -- items ----------------------------------------------------------------------------------------------

_QTY_X_RE: Final = re.compile(
    r"(?P<qty>\d+(?:[.,]\d{1,3})?) ?(?:un|und|unid|pc|pcs|st|stk|kg|g|l|lt|cx|ea)?\.? ?[x×*] ?"
    r"(?:R\$|\$|€|P|£)? ?(?P<unit>\d+[.,]\d{2})",
    re.IGNORECASE,
)
#: "RegPrice 3.79" (and OCR slips of it: "RasPrice", "RenPrlee"), "preço normal": the price before a
#: loyalty discount, printed under the item; not an item of its own.
_REG_PRICE_RE: Final = re.compile(
    r"\br[a-z]{1,2} ?pr[a-z]{2,3}\b|\bregular price\b|\bpreco (normal|de tabela)\b"
)
_FLAG_RE: Final = re.compile(r"(\s+[A-Z*]{1,2})+$|\s*\b[A-Z]$")


def _qty(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


#: How an item's first line starts: an NFC-e item number ("003", "0012") and/or a barcode, or a
#: quantity ("1 BACON & EGGS", "12 PAO FRANCES"), then the description's first word.
_ITEM_START_RE: Final = re.compile(
    r"^\s*(?:(?:(?P<code>0\d{1,3}|\d{3,4})\s+)?(?P<ean>\d{8,14})\s+|(?P<number>0\d{1,3}|\d{3,4})\s+|"
    r"(?P<qty>[1-9]\d?)\s+)(?=[^\W\d_])"
)
#: Header lines that are not the first line of an item even when a number starts them.
_NOT_ITEM_RE: Final = re.compile(
    r"\b(street|st\.|avenue|ave|road|rd\.|blvd|suite|rua|av\.?|avenida|alameda|travessa|rodovia|"
    r"estrada|bairro|cep|strasse|stra(ss|ß)e|str\.|platz|associate|cashier|operador|server|table|mesa|"
    r"guest|order|pedido|caixa|store|loja)\b"
)
#: A price with ONE decimal digit at the end of a line ("Sunny-side-up  $9.5", OCR lost the last
#: zero of "9.50"): after a currency sign or a column gap, maybe followed by a tax flag or OCR
#: specks; not before a unit ("1,5 L" is a volume).
_ONE_DECIMAL_RE: Final = re.compile(
    r"(?:(?:R\$|US\$|\$|€|£)\s?|\s{2,})(?<![\d.,])(?P<num>\d{1,5}[.,]\d)"
    r"(?:\s+(?:(?![LlGg]\b)[^\W\d_]|[^\w\s]+))*\s*$"
)


def _item_start(text: str) -> tuple[Decimal | None, str] | None:
    """(quantity or None, description) when ``text`` opens an item with a number or a barcode, else None."""
    m = _ITEM_START_RE.match(text)
    if m is None or _NOT_ITEM_RE.search(_fold(text)):
        return None
    return (Decimal(m["qty"]) if m["qty"] else None), text[m.end() :].strip()


def _clean_description(text: str) -> str:
    text = _FLAG_RE.sub("", _CLEAN_ENDS_RE.sub("", re.sub(r"\s{2,}", " ", text)).strip())
    text = re.sub(r"\s*(R\$|US\$|\$|€|£)\s*$", "", text).strip()
    return re.sub(r"\s+\d{8,14}$", "", text)  # a barcode printed after the name


def _items(lines: list[_Line], start: int, end: int, *, repair: bool) -> tuple[tuple[ReceiptItem, ...], int]:
    """The items between ``start`` and ``end`` and how many of them were priced by a one-decimal repair.

    An item is one line ("1 Cappuccino  $2.20", "001 789... ARROZ 1 UN X 24,90 24,90") or two: a
    description line without a price that opens an item (a quantity, an item number or a barcode
    first: "1 BACON & EGGS", "003 AGUA MINERAL") and the next line, whose price closes it
    ("Sunny-side-up  $9.5", "1 UN X 2,50  2,50"); the descriptions are joined, the quantity is the
    second line's "N x" when printed, else the first line's. With ``repair``, a price with one
    decimal digit ("$9.5") counts as "9.50": the caller keeps such items only when the items then
    sum to the printed subtotal (see :func:`extract_fields`).
    """
    items: list[ReceiptItem] = []
    repaired = 0
    pending: str | None = None  # a description line waiting for its price line
    for line in lines[start:end]:
        if (
            line.label is not None
            or any(a.negative for a in line.amounts)
            or _REG_PRICE_RE.search(line.folded)
        ):
            pending = None
            continue
        text = _fix_ocr(line.text).strip()
        if re.fullmatch(r"[\d\s\-/]{8,}", text):
            continue  # a barcode / EAN line between an item and its quantity line
        one_decimal = _ONE_DECIMAL_RE.search(text) if repair and not line.amounts else None
        if one_decimal is not None:
            total = Decimal(one_decimal["num"].replace(",", ".") + "0")
            description = text[: one_decimal.start()]
        elif line.amounts:
            total = line.amounts[-1].value
            description = _strip_amounts(line)
        else:
            if sum(c.isalpha() for c in text) >= 3 and not _PHONE_RE.search(text):
                pending = text
            continue
        qty_m = _QTY_X_RE.search(text)
        quantity: Decimal | None = None
        unit: Decimal | None = None
        if qty_m:
            quantity, unit = _qty(qty_m["qty"]), _to_decimal(qty_m["unit"].replace(",", "."))
            description = text[: qty_m.start()]
        opened = _item_start(pending) if pending is not None else None
        if opened is not None and _item_start(description) is None:
            # The second line of an item: its first line gave the quantity and the start of the name.
            first_qty, first_description = opened
            description = f"{_clean_description(first_description)} {description}"
            if quantity is None:
                quantity = first_qty
        else:
            description = re.sub(r"^\s*\d{1,3}\s+(?=\d{8,14}\s)", "", description)  # NFC-e item number
            description = re.sub(r"^\s*\d{8,14}\s+", "", description)  # EAN code
            if quantity is None:
                lead = re.match(r"^\s*(\d{1,2})\s+(?=[^\W\d_])", description)
                if lead and len(line.amounts) <= 1:
                    quantity = Decimal(lead[1])
                    description = description[lead.end() :]
        if quantity is not None and unit is None and quantity > 0:
            share = (total / quantity).quantize(CENT)
            unit = share if share * quantity == total else None
        description = _clean_description(description)
        if sum(c.isalpha() for c in description) < 2:
            if pending is None:
                continue
            description = _clean_description(pending)
        pending = None
        repaired += one_decimal is not None
        items.append(ReceiptItem(description, quantity, unit, total))
    return tuple(items), repaired


# -- the whole receipt ----------------------------------------------------------------------------------


def _tax_inside(line: _Line) -> bool:
    return line.match is not None and line.match.tax_inside


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= CENT


def _items_sum(items: Sequence[ReceiptItem]) -> Decimal | None:
    """The sum of the items' line totals; None without items or when one has no line total."""
    if not items or any(it.line_total is None for it in items):
        return None
    return sum((it.line_total or Decimal(0) for it in items), Decimal(0))


def extract_fields(
    lines: Sequence[str], *, language: str | None = None, currency: str | None = None
) -> ReceiptFields:
    """Read a receipt's fields from its OCR lines (reading order, one printed line each).

    ``language`` ("pt", "en", "de"...) orders ambiguous dates and ``currency`` (ISO 4217) is used
    when the receipt names none. Never raises on odd text: what cannot be read is None, and
    ``problem`` says when the result cannot become a transaction (see :class:`ReceiptFields`).
    Blank strings stand for lines left out (illegible ones): skipped, but they keep their place, so
    the merchant is only looked for among the receipt's first 8 lines.
    """
    numbered = [(n, t) for n, t in enumerate(str(s).strip() for s in lines) if t]
    texts = [t for _, t in numbered]
    if sum(sum(c.isalnum() for c in t) for t in texts) < 4:
        return ReceiptFields(problem="no_text")
    tax_ids = find_tax_ids("\n".join(_fix_ocr(t) for t in texts))
    reading = _currency(texts, tax_ids, currency)
    cur, country = reading.code, reading.country
    all_ints = not reading.whole and not any(_AMOUNT_RE.search(_fix_ocr(t)) for t in texts)
    parsed: list[_Line] = []
    for i, (position, text) in enumerate(numbered):
        folded = _fold(_fix_ocr(text))
        match = _label(folded)
        amounts = find_amounts(text, integers=all_ints, whole=reading.whole, labelled=match is not None)
        parsed.append(_Line(i, text, folded, amounts, match, position))
    if not any(line.amounts for line in parsed):
        return ReceiptFields(problem="not_a_receipt")

    def labelled(label: Label) -> list[tuple[int, Amount]]:
        out = []
        for i, line in enumerate(parsed):
            if line.label == label:
                amount = _labelled_amount(parsed, i)
                if amount is not None:
                    out.append((i, amount))
        return out

    def single(label: Label) -> Decimal | None:
        found = labelled(label)
        return found[-1][1].value if found else None

    total_found = [(i, a) for i, a in labelled("total") if not a.negative]
    # "TOTAL INCL. GST 12.30" is a total, "TOTAL INCLUDES GST 1.12" the tax inside one: a line naming
    # the tax it includes is that tax when another total is larger.
    plain_totals = [a.value for i, a in total_found if not _tax_inside(parsed[i])]
    as_tax = [
        (i, a)
        for i, a in total_found
        if _tax_inside(parsed[i]) and plain_totals and a.value < max(plain_totals)
    ]
    subtotal = single("subtotal")
    tax_found = sorted(labelled("tax") + as_tax)
    tax = sum((a.value for _, a in tax_found), Decimal(0)) if tax_found else None
    tip = single("tip")
    change = single("change")
    tendered = single("tendered")
    savings_found = [(i, a) for i, a in labelled("savings") if a.negative or "desconto" in parsed[i].folded]
    savings = sum((a.value for _, a in savings_found), Decimal(0)) if savings_found else None

    candidates = [pair for pair in total_found if pair not in as_tax]
    total: Decimal | None = None
    verified = False
    total_line: int | None = None
    if candidates:
        if subtotal is not None:
            base = subtotal - (savings or 0)
            sums = {subtotal, base, base + (tax or 0), base + (tax or 0) + (tip or 0), subtotal + (tax or 0)}
            consistent = [(i, a) for i, a in candidates if any(_close(a.value, s) for s in sums)]
            if consistent:
                total_line, chosen = consistent[-1]
                total, verified = chosen.value, True
            else:
                candidates = [(i, a) for i, a in candidates if a.value + CENT >= base]
        if total is None and candidates:

            def strength(pair: tuple[int, Amount]) -> tuple[int, int]:
                match = parsed[pair[0]].match
                return (match.strength if match is not None else 1), pair[0]

            total_line, chosen = max(candidates, key=strength)
            total = chosen.value
    elif not total_found:
        # No total printed (or read): what a card was charged ("EC-Karte 12,34", "CB 8,90") is the
        # total, and so is the cash handed over less the change ("BAR 20,00", "Rückgeld 7,66").
        paid = [(i, a, parsed[i].match) for i, a in labelled("tendered") if not a.negative]
        exact = [(i, a) for i, a, m in paid if m is not None and m.tendered == "exact"]
        cash = [(i, a) for i, a, m in paid if m is not None and m.tendered == "cash"]
        if exact:
            total_line, chosen = exact[-1]
            total = chosen.value
        elif cash and change is not None and cash[-1][1].value > change:
            total_line, total = cash[-1][0], cash[-1][1].value - change
    if total is not None and not verified and tendered is not None and change is not None:
        verified = _close(tendered - change, total)
    # The receipt's own country decides before the reader's language: a Brazilian reading a US
    # receipt still has a US date on it; then a 12-hour clock ("05:32 PM") says month first.
    known = words.currencies()
    order = next((known[c].date_order for c in (cur, country) if c in known and known[c].date_order), "")
    if order:
        month_first = order == "MDY"
    elif any(_AM_PM_RE.search(line.text) for line in parsed):
        month_first = True
    else:
        month_first = language == "en"
    found_date = _date(parsed, month_first)
    date, date_line = (found_date[0], found_date[1]) if found_date else (None, None)
    first_money = next(
        (line.index for line in parsed if line.amounts or line.label in ("total", "subtotal")), len(parsed)
    )
    merchant = _merchant(parsed, first_money)
    end_items = next(
        (
            line.index
            for line in parsed
            if line.label in ("total", "subtotal", "tax", "tendered", "count")
            and _labelled_amount(parsed, line.index) is not None
        ),
        len(parsed),
    )
    items_end = end_items if total is not None or subtotal is not None else len(parsed)
    items, repaired = _items(parsed, 0, items_end, repair=True)
    target = subtotal if subtotal is not None else total
    if repaired and (target is None or _items_sum(items) != target):
        # A one-decimal price is read as "x.x0" only when the items then add up to the printed
        # subtotal (or total): otherwise it stays unread, as it was printed.
        items, _ = _items(parsed, 0, items_end, repair=False)
    summed = _items_sum(items) if items else None
    if total is not None and not verified and summed is not None and not _close(summed, total):
        # Two totals printed ("TOTAL 15,00", "TOTAL 150,00"): the one the items add up to.
        agreeing = [(i, a) for i, a in candidates if _close(a.value, summed)]
        if agreeing:
            total_line, chosen = agreeing[-1]
            total, verified = chosen.value, True
    if total is not None and not verified and items:
        # Items that add up to the total check it; adding up to the subtotal checks the subtotal
        # only (the step from it to the total, e.g. an unreadable tip, stays unchecked): see score().
        verified = _close(_items_sum(items) or Decimal(0), total)
    merchant_id = next((t for t in tax_ids if t.kind in ("cnpj", "vat")), None)
    if merchant_id is None:
        merchant_id = next(
            (
                t
                for t in tax_ids
                if t.kind == "cpf" and not re.search(r"consumidor|cliente|customer", _fold("\n".join(texts)))
            ),
            None,
        )
    if merchant_id is None and (key := find_access_key("\n".join(texts))) is not None:
        from financy.inference.vision.taxid import valid_cnpj

        if valid_cnpj(key.issuer_cnpj):
            merchant_id = TaxId("cnpj", key.issuer_cnpj, "BR")
    fields = ReceiptFields(
        merchant=merchant,
        merchant_tax_id=merchant_id,
        date=date,
        time=_time(parsed, date_line),
        total=total,
        subtotal=subtotal,
        tax=tax,
        tip=tip,
        change=change,
        savings=savings,
        currency=cur,
        items=items,
        payment_method=_payment(parsed, total_line if total_line is not None else 0),
        problem=None if total is not None else "no_total",
        tendered=tendered,
        total_verified=verified,
    )
    return replace(fields, confidence=fields.score())
