"""The receipt vocabulary, read from ``data/*.tsv``: line labels, currency markers, currencies, countries.

* ``receipt_labels.tsv`` (label, detail, lang, phrase): the words that make a line the total, a
  subtotal, a tax, the change, the amount tendered... in the languages receipts are printed in
  (English, Portuguese, German, French, Italian, Spanish, Czech, Dutch, Indonesian/Malay, Japanese,
  Korean). ``detail`` is a total's strength (3 the amount to pay, 2 a plain total, 1 a weak label)
  or a tendered line's kind ("exact": a card or instant payment, "cash"). Phrases are folded (lower
  case, no accents); Latin ones match as whole words, a space in a phrase matching spaces, ".", "-"
  or nothing (OCR loses spaces: "TOTALAPAGAR"); ``re:`` starts a regular expression.
* ``currency_markers.tsv`` (marker, currency): signs and abbreviations printed beside amounts
  ("R$", "Rp", "RM", "Kč", "원", "¥"); "$" and "¥" stand for themselves (resolved by the country and
  by whether the amounts have decimals).
* ``currencies.tsv`` (code, iso_minor, receipt_decimals, dollar_sign, date_order): ISO 4217 minor
  units (List One, SIX), the decimals receipts actually print (CLDR's ``digits`` where it differs:
  IDR, COP, HUF print none), whether "$" is the currency's sign at home, and its country's numeric
  date order.
* ``countries.tsv`` (country, currency, phone_prefix, tax_id_words, label_language): hints at a
  receipt's country when it prints no currency: "+49" phone numbers, "NPWP"/"RUT"/"P.IVA" tax ids,
  the language of its labels.

Empty fields are written "-". Everything is read once per process.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final

from financy.inference.tables import SOURCE, read_table

__all__ = [
    "LABEL_ORDER",
    "Currency",
    "LabelMatch",
    "country_hints",
    "currencies",
    "fold",
    "label_languages",
    "label_line",
    "marker_currency",
    "markers",
]

_PACKAGE: Final = "financy.inference.vision"
#: Labels in the order a line is checked: the first label one of whose phrases the line holds wins.
LABEL_ORDER: Final = ("points", "count", "subtotal", "savings", "tip", "tax", "change", "tendered", "total")


def _table(name: str, *columns: str) -> tuple[Mapping[str, str], ...]:
    rows = read_table(_PACKAGE, f"data/{name}.tsv", (*columns, SOURCE))
    return tuple({k: ("" if v == "-" else v) for k, v in row.items()} for row in rows)


def fold(text: str) -> str:
    """Lower case without accents (NFKD, combining marks dropped), as receipt lines are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _phrase_pattern(phrase: str) -> str:
    if phrase.startswith("re:"):
        return phrase[3:]
    phrase = fold(phrase)
    body = r"[\s.\-]*".join(re.escape(part) for part in phrase.split())
    if re.fullmatch(r"[a-z0-9 .\-'$]+", phrase):
        return rf"(?<![a-z0-9]){body}(?![a-z0-9])"
    return body  # CJK and Hangul words are not separated by spaces


@dataclass(frozen=True)
class _Phrase:
    label: str
    detail: str
    lang: str
    pattern: re.Pattern[str]


@cache
def _phrases() -> tuple[_Phrase, ...]:
    return tuple(
        _Phrase(row["label"], row["detail"], row["lang"], re.compile(_phrase_pattern(row["phrase"])))
        for row in _table("receipt_labels", "label", "detail", "lang", "phrase")
    )


@cache
def _by_label() -> dict[str, re.Pattern[str]]:
    grouped: dict[str, list[str]] = {}
    for p in _phrases():
        grouped.setdefault(p.label, []).append(p.pattern.pattern)
    return {label: re.compile("|".join(f"(?:{p})" for p in parts)) for label, parts in grouped.items()}


@dataclass(frozen=True)
class LabelMatch:
    """A line's label: ``label`` (one of :data:`LABEL_ORDER`), ``strength`` (a total's, 1..3; 0
    otherwise), ``tendered`` ("exact", "cash" or "" for a tendered line) and ``tax_inside`` (a total
    line that names the tax it includes: "SUMME inkl. MwSt", "TOTAL INCL GST", which may also be the
    tax line "TOTAL INCLUDES GST 1.23"; the caller decides by the amounts)."""

    label: str
    strength: int = 0
    tendered: str = ""
    tax_inside: bool = False


def _strength(folded: str) -> int:
    return max(
        (int(p.detail) for p in _phrases() if p.label == "total" and p.pattern.search(folded)), default=1
    )


@lru_cache(maxsize=8192)
def label_line(folded: str) -> LabelMatch | None:
    """The label of one folded receipt line ("total a pagar r$ 45,90" -> total, strength 3), or None."""
    patterns = _by_label()
    for label in LABEL_ORDER:
        if not patterns[label].search(folded):
            continue
        if label == "tax" and patterns["included"].search(folded) and patterns["total"].search(folded):
            return LabelMatch("total", _strength(folded), tax_inside=True)
        if label == "total":
            return LabelMatch("total", _strength(folded))
        if label == "tendered":
            kinds = {p.detail for p in _phrases() if p.label == "tendered" and p.pattern.search(folded)}
            kind = "cash" if "cash" in kinds else "exact" if "exact" in kinds else ""
            return LabelMatch("tendered", tendered=kind)
        return LabelMatch(label)
    return None


def label_languages(folded_lines: Iterable[str]) -> Counter[str]:
    """How many lines hold a label phrase of each specific language (``*`` phrases not counted)."""
    counts: Counter[str] = Counter()
    for line in folded_lines:
        langs = {p.lang for p in _phrases() if p.lang != "*" and p.pattern.search(line)}
        counts.update(langs)
    return counts


# -- currencies -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Currency:
    """One currency of ``currencies.tsv``: ISO code, ISO 4217 minor units, decimals printed on
    receipts, whether "$" is its sign, and its home country's date order ("DMY", "MDY", "YMD" or "")."""

    code: str
    iso_minor: int
    receipt_decimals: int
    dollar_sign: bool
    date_order: str


@cache
def currencies() -> dict[str, Currency]:
    """ISO code -> :class:`Currency`."""
    return {
        row["code"]: Currency(
            row["code"],
            int(row["iso_minor"]),
            int(row["receipt_decimals"]),
            row["dollar_sign"] == "yes",
            row["date_order"],
        )
        for row in _table("currencies", "code", "iso_minor", "receipt_decimals", "dollar_sign", "date_order")
    }


@cache
def markers() -> dict[str, str]:
    """Currency marker as printed -> ISO code ("$" and "¥" map to themselves), longest marker first."""
    rows = [
        (row["marker"], row["currency"]) for row in _table("currency_markers", "marker", "currency", "note")
    ]
    rows += [(code, code) for code in currencies()]  # ISO codes printed beside amounts ("12,50 EUR")
    return dict(sorted(dict(rows).items(), key=lambda kv: len(kv[0]), reverse=True))


@cache
def marker_regex() -> str:
    """A regular expression alternation of every marker (letters kept apart from other letters)."""
    parts = []
    for marker in markers():
        escaped = re.escape(marker)
        if marker[0].isalpha() and marker[0].isascii():
            escaped = rf"(?<![A-Za-z]){escaped}"
        if marker[-1].isalpha() and marker[-1].isascii():
            escaped = rf"{escaped}(?![A-Za-z])"
        parts.append(escaped)
    return "|".join(parts)


def marker_currency(marker: str) -> str | None:
    """The ISO code (or "$"/"¥") of a printed marker, None if it is not one."""
    return markers().get(marker.strip())


# -- countries ------------------------------------------------------------------------------------------


@cache
def _countries() -> tuple[Mapping[str, str], ...]:
    return _table("countries", "country", "currency", "phone_prefix", "tax_id_words", "label_language")


@cache
def _tax_word_regex() -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for row in _countries():
        for word in filter(None, row["tax_id_words"].split("|")):
            out.append((re.compile(_phrase_pattern(word)), row["currency"]))
    return tuple(out)


@cache
def _phone_prefixes() -> tuple[tuple[str, str], ...]:
    rows = [(r["phone_prefix"], r["currency"]) for r in _countries() if r["phone_prefix"]]
    return tuple(sorted(rows, key=lambda r: len(r[0]), reverse=True))


_PHONE_RE: Final = re.compile(r"(?<![\w+])\+ ?(\d[\d\s().\-]{7,})")


def country_hints(
    text: str, folded: str, languages: Counter[str], country_codes: Iterable[str]
) -> Counter[str]:
    """Votes for currencies from a receipt's country hints: tax ids (``country_codes`` of the verified
    tax ids found, and tax-id words), international phone numbers, then the language of its labels
    (one vote, only when no other hint names a currency).

    ``text`` is the receipt's text, ``folded`` the same folded; returns ISO code -> votes.
    """
    by_country = {row["country"]: row["currency"] for row in _countries()}
    votes: Counter[str] = Counter()
    for code in country_codes:
        if code in by_country:
            votes[by_country[code]] += 2
    for pattern, currency in _tax_word_regex():
        if pattern.search(folded):
            votes[currency] += 1
    for m in _PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", m[1])
        for prefix, currency in _phone_prefixes():
            if digits.startswith(prefix) and prefix != "1":
                votes[currency] += 1
                break
    if not votes and languages:
        by_language = {
            row["label_language"]: row["currency"] for row in _countries() if row["label_language"]
        }
        top = [lang for lang, n in languages.most_common() if lang in by_language]
        if top:
            votes[by_language[top[0]]] += 1
    return votes
