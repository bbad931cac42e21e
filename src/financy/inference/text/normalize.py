"""Clean-up, accent folding and tokenisation of a chat message.

The reader works on three strings of the *same length*, so a span found in one is valid in all:
``clean`` (control characters and odd spaces replaced), ``lower`` (lower-cased) and ``fold``
(lower-cased, diacritics removed: "almoço" -> "almoco"). Keywords match ``fold``; merchants are
cut from ``lower`` so they keep the accents the user typed.

Digits grouped by spaces ("1 234,56", "12 345 678,90") are one number when the grouping is certain:
groups of exactly three digits after a first group of one to three, and either a non-breaking or
thin space between them (U+00A0, U+202F, U+2009, U+2007: what number formatters and banking apps
write) or a decimal part of one or two digits at the end ("1 234,56" with plain spaces). Once the
dates are known, :func:`join_spaced_numbers` makes those spaces :data:`GROUP_MARK` in ``fold`` so
the number is one token ("dia 5 100,00" stays a day and an amount); ``clean`` and ``lower`` keep
a space. Anything else ("uber 23 e almoço 35", "2 pizzas 50", "mercado 120 130")
stays separate numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

__all__ = [
    "GROUP_MARK",
    "Role",
    "SpacedNumber",
    "Text",
    "TokKind",
    "Token",
    "control_count",
    "drop_invisible",
    "fold",
    "join_spaced_numbers",
    "prepare",
    "tokenize",
]

# C0 controls except \t \n \r, DEL, lone surrogates, and the replacement character that bad
# decoding leaves behind.
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffd]")
# Spaces of every width (and tabs, zero-width ones) become one plain space: same length.
_SPACE_RE: Final = re.compile(r"[\t\u00a0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]")
_CR_RE: Final = re.compile(r"\r")

#: Stands in ``fold`` for a space that groups thousands ("1 234,56" -> "1_234,56").
GROUP_MARK: Final = "_"
_GROUP_SPACES: Final = "\u00a0\u202f\u2009\u2007"
# A first group of 1-3 digits (no leading zero), then space + exactly three digits (at least
# once), then an optional decimal part; never inside a longer run of digits, separators, letters
# or a "28/11"-like date.
_SPACED_NUMBER_RE: Final = re.compile(
    rf"(?<![\w.,/:])[1-9]\d{{0,2}}(?:[ {_GROUP_SPACES}]\d{{3}})+(?P<frac>[.,]\d+)?(?![\w]|[.,]\d)"
)

_TOKEN_RE: Final = re.compile(
    r"(?P<num>[0-9]+(?:[.,_][0-9]+)*)"
    r"|(?P<sym>(?:r|us|u|ca|c|au|a|nz|hk|s|mx|rd|nt|ar|cl|co|uy)?\$|[€£¥₹₩₽₺₪₱฿₫₴₦¢])"
    r"|(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)*)"
    r"|(?P<nl>\n)"
    r"|(?P<punct>\S)"
)


class TokKind(IntEnum):
    """What a token is."""

    NUM = 1  # digits with optional "." / "," groups: "1.234,56"
    WORD = 2  # letters: "mercado", "k", "c", "º"
    SYM = 3  # currency symbol: "r$", "$", "€"
    PUNCT = 4  # any other visible character: "," "-" "/" "(" emoji
    NL = 5  # a line break (separates transactions)


class Role(IntEnum):
    """What the reader has decided a token is; FREE tokens may still become a merchant."""

    FREE = 0
    DATE = 1  # part of a date expression ("ontem", "dia 5", "28/11")
    NOT_MONEY = 2  # a number that is not money (phone, time, CPF, unit, label, instalment count)
    MONEY = 3  # number, multiplier or currency of an amount
    PAYMENT = 4  # payment-method words ("no pix", "cartão de crédito")
    INSTALMENT = 5  # instalment words ("em 3x", "parcelas")
    MERCHANT_NUMBER = 6  # a number that names a merchant ("99", the ride app)
    QUANTITY = 7  # a count or measure, kept in descriptions ("2 pizzas", "50 litros")
    CHATTER = 8  # a greeting or thanks around a transaction ("oi,", "obrigado!")
    ADDRESS = 9  # a street address, kept in descriptions, never a merchant ("Av. Paulista 1578")


@dataclass(slots=True)
class Token:
    """One token of the folded text; ``start``/``end`` index ``Text.clean``/``lower``/``fold``."""

    kind: TokKind
    text: str
    start: int
    end: int
    space_before: bool
    role: Role = Role.FREE


@dataclass(frozen=True, slots=True)
class SpacedNumber:
    """A number written with spaces between digit groups: characters ``[start, end)``, and the
    index of each grouping space."""

    start: int
    end: int
    spaces: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Text:
    """A message prepared for reading: three same-length views of the cleaned text, and the
    numbers grouped by spaces (not yet joined in ``fold``: see :func:`join_spaced_numbers`)."""

    clean: str
    lower: str
    fold: str
    spaced: tuple[SpacedNumber, ...] = ()


class _FoldTable(dict[int, str]):
    """``str.translate`` table that strips diacritics one character at a time (length-safe)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        digit = unicodedata.decimal(char, None)
        if digit is not None:  # "５", "٣" -> "5", "3"
            folded = str(digit)
        else:
            compat = unicodedata.normalize("NFKC", char)  # fullwidth "＄" -> "$", "º" -> "o"
            if len(compat) != 1:
                compat = char
            decomposed = unicodedata.normalize("NFD", compat)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            folded = base if len(base) == 1 else compat
        self[code] = folded
        return folded


_FOLD: Final = _FoldTable()


def control_count(text: str) -> int:
    """Return how many control / undecodable characters ``text`` holds."""
    return len(_CONTROL_RE.findall(text))


#: Invisible format characters that no one types on purpose but copy-paste and some keyboards
#: leave inside words and numbers: soft hyphen, zero-width space / non-joiner / joiner,
#: left-to-right and right-to-left marks, bidi embeddings, overrides and isolates, word joiner
#: and invisible operators, and the byte-order mark.
_INVISIBLE_RE: Final = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def drop_invisible(text: str) -> str:
    """Return ``text`` without invisible format characters ("18 re\u200bais" -> "18 reais",
    "18\u200b,50" -> "18,50", "45\u202e reais" -> "45 reais"); may be shorter than ``text``."""
    return _INVISIBLE_RE.sub("", text)


def fold(text: str) -> str:
    """Return ``text`` lower-cased with diacritics removed, same length ("Açúcar" -> "acucar")."""
    lower = text.lower()
    if len(lower) != len(text):
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lower if lower.isascii() else lower.translate(_FOLD)


def prepare(text: str) -> Text:
    """Return the three same-length views of ``text`` (controls and odd spaces made spaces)."""
    clean = _CONTROL_RE.sub(" ", text)
    clean = _SPACE_RE.sub(" ", clean)
    clean = _CR_RE.sub("\n", clean)
    lower = clean.lower()
    if len(lower) != len(clean):  # e.g. "İ" lower-cases to two characters
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in clean)
    fold = lower if lower.isascii() else lower.translate(_FOLD)
    return Text(clean=clean, lower=lower, fold=fold, spaced=_spaced_numbers(text))


def _spaced_numbers(text: str) -> tuple[SpacedNumber, ...]:
    """Return the numbers of ``text`` whose digit groups are certainly joined by spaces."""
    if " " not in text and text.isascii():
        return ()
    found: list[SpacedNumber] = []
    for m in _SPACED_NUMBER_RE.finditer(text):
        start = m.start()
        spaces = tuple(start + k for k, char in enumerate(m.group()) if char == " " or char in _GROUP_SPACES)
        frac = m.group("frac")
        typographic = all(text[k] != " " for k in spaces)
        if typographic or (frac is not None and len(frac) <= 3):
            found.append(SpacedNumber(start, m.end(), spaces))
    return tuple(found)


def join_spaced_numbers(text: Text, keep_apart: Sequence[tuple[int, int]]) -> Text:
    """Return ``text`` with the grouping spaces of its spaced numbers made :data:`GROUP_MARK` in
    ``fold``, except for numbers overlapping a ``keep_apart`` span ("dia 5 100,00": a date)."""
    marks = [
        k
        for number in text.spaced
        if not any(number.start < end and start < number.end for start, end in keep_apart)
        for k in number.spaces
    ]
    if not marks:
        return text
    chars = list(text.fold)
    for k in marks:
        chars[k] = GROUP_MARK
    return Text(clean=text.clean, lower=text.lower, fold="".join(chars))


def tokenize(fold: str) -> list[Token]:
    """Split folded text into tokens; whitespace is dropped but remembered in ``space_before``."""
    tokens: list[Token] = []
    prev_end = 0
    for match in _TOKEN_RE.finditer(fold):
        group = match.lastgroup
        start = match.start()
        if group == "num":
            kind = TokKind.NUM
        elif group == "word":
            kind = TokKind.WORD
        elif group == "sym":
            kind = TokKind.SYM
        elif group == "nl":
            kind = TokKind.NL
        else:
            kind = TokKind.PUNCT
        tokens.append(Token(kind, match.group(), start, match.end(), start > prev_end or start == 0))
        prev_end = match.end()
    return tokens
