"""Numbers written in digits ("1.234,56") or in words ("quarenta e cinco", "twelve fifty").

Digits: the decimal separator is decided by evidence. Both "." and "," present -> the last one is
the decimal separator. One kind repeated ("1.234.567") -> grouping. One separator followed by one
or two digits ("45,90", "12.5") -> decimal. One separator followed by exactly three digits is
grouping when the digits are "000" ("$10,000", "$10.000") or when the separator is not the
language's decimal separator ("1.234" is 1234 in Portuguese, "1,234" is 1234 in English); else it
is decimal ("1.234" is 1.234 in English). Groups joined by spaces ("1 234,56", marked in the
folded text with ``GROUP_MARK``, see ``normalize``) are thousands; the separator after the last
group, if any, is the decimal one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from financy.inference.text.lexicon import (
    CURRENCY_BY_WORD,
    HUNDRED_WORDS,
    MINOR_UNIT_BY_WORD,
    NUMBER_JOINERS,
    NUMBER_WORDS,
    ONE_ARTICLES,
    SCALE_WORDS,
)
from financy.inference.text.normalize import GROUP_MARK, Role, Token, TokKind

__all__ = ["WordNumber", "decimal_separator", "parse_digits", "read_number_words"]

_NO_CAP: Final = 10**15
_SPACE_GROUPED_RE: Final = re.compile(
    rf"(?P<whole>[1-9]\d{{0,2}}(?:{GROUP_MARK}\d{{3}})+)(?:[.,](?P<frac>\d+))?"
)


def decimal_separator(language: str) -> str:
    """Return the decimal separator of ``language`` ("," for pt, "." for en)."""
    return "." if language == "en" else ","


def _valid_groups(parts: Sequence[str]) -> bool:
    """True if ``parts`` are thousands groups: 1-3 digits (no leading zero), then 3-digit groups."""
    first = parts[0]
    if not 1 <= len(first) <= 3 or first.startswith("0"):
        return False
    return all(len(part) == 3 for part in parts[1:])


def parse_digits(text: str, language: str) -> Decimal | None:
    """Return the value of a digit token such as "1.234,56", or None if its grouping is invalid.

    ``text`` holds only ASCII digits, "." and "," (and ``GROUP_MARK`` for a space between
    thousands); ``language`` ("pt"/"en") breaks the tie for a lone separator followed by three
    digits (see the module docstring). The result is exact and keeps the written scale ("45,90"
    -> Decimal("45.90")).
    """
    if GROUP_MARK in text:
        spaced = _SPACE_GROUPED_RE.fullmatch(text)
        if spaced is None:
            return None
        whole, frac = spaced.group("whole").replace(GROUP_MARK, ""), spaced.group("frac")
        return Decimal(whole + "." + frac) if frac else Decimal(whole)
    has_dot = "." in text
    has_comma = "," in text
    if not has_dot and not has_comma:
        return Decimal(text)
    if has_dot and has_comma:
        last = max(text.rfind("."), text.rfind(","))
        dec = text[last]
        group = "," if dec == "." else "."
        whole, frac = text[:last], text[last + 1 :]
        if dec in whole or not _valid_groups(whole.split(group)):
            return None
        return Decimal(whole.replace(group, "") + "." + frac)
    sep = "." if has_dot else ","
    parts = text.split(sep)
    if len(parts) > 2:
        return Decimal("".join(parts)) if _valid_groups(parts) else None
    whole, frac = parts
    if len(frac) == 3 and _valid_groups(parts) and (frac == "000" or sep != decimal_separator(language)):
        return Decimal(whole + frac)
    return Decimal(whole + "." + frac)


@dataclass(frozen=True, slots=True)
class WordNumber:
    """A number read from words: ``value`` spans tokens ``[start, end)``.

    ``only_one`` is True for a lone "um"/"uma"/"one"/"a": it only counts as money next to a
    currency word ("um real", "one dollar"), never as in "comprei um lanche".
    """

    value: Decimal
    start: int
    end: int
    only_one: bool


# Accumulator for one integer: (big, small, hundreds?, tens?, units?, scale cap).
_Acc = tuple[int, int, bool, bool, bool, int]
_EMPTY: Final[_Acc] = (0, 0, False, False, False, _NO_CAP)


def _add(acc: _Acc, word: str) -> _Acc | None:
    """Return ``acc`` with ``word`` added, or None if the word cannot continue this number."""
    big, small, hund, tens, units, cap = acc
    value = NUMBER_WORDS.get(word)
    if value is not None:
        if value >= 100:
            if hund or tens or units:
                return None
            return (big, small + value, True, tens, units, cap)
        if value >= 10:
            if tens or units:
                return None
            return (big, small + value, hund, True, value < 20, cap)
        if value == 0:
            return (big, small, hund, tens, True, cap) if acc == _EMPTY else None
        if units:
            return None
        return (big, small + value, hund, tens, True, cap)
    if word in HUNDRED_WORDS:
        if hund or small == 0 or small >= 100:
            return None
        return (big, small * 100, True, False, False, cap)
    scale = SCALE_WORDS.get(word)
    if scale is not None:
        if scale >= cap:
            return None
        return (big + (small or 1) * scale, 0, False, False, False, scale)
    return None


def _read_group(tokens: Sequence[Token], i: int) -> tuple[int, int, int] | None:
    """Read one integer in words from token ``i``: (value, end index, number of number words)."""
    n = len(tokens)
    acc = _EMPTY
    j = i
    end = i
    count = 0
    first = tokens[i]
    if first.kind is TokKind.WORD and first.text in ONE_ARTICLES:
        nxt = tokens[i + 1] if i + 1 < n else None
        if nxt is None or (nxt.text not in HUNDRED_WORDS and nxt.text not in SCALE_WORDS):
            return None
        acc = (0, 1, False, False, True, _NO_CAP)
        j = end = i + 1
        count = 1
    while j < n:
        tok = tokens[j]
        if tok.role is not Role.FREE:
            break
        if count and (tok.text in NUMBER_JOINERS or (tok.text == "-" and not tok.space_before)):
            nxt = tokens[j + 1] if j + 1 < n else None
            if (
                nxt is not None
                and nxt.kind is TokKind.WORD
                and nxt.role is Role.FREE
                and (tok.text != "-" or not nxt.space_before)
                and _add(acc, nxt.text) is not None
            ):
                j += 1
                continue
            break
        if tok.kind is not TokKind.WORD:
            break
        new = _add(acc, tok.text)
        if new is None:
            break
        acc = new
        count += 1
        j += 1
        end = j
    if count == 0:
        return None
    return acc[0] + acc[1], end, count


def read_number_words(tokens: Sequence[Token], i: int) -> WordNumber | None:
    """Read a number written in words starting at token ``i``, or None if there is none.

    One integer ("cento e vinte" -> 120, "two thousand five hundred" -> 2500), optionally followed
    by a second one under 100 that gives the cents ("quarenta e cinco e noventa" -> 45.90,
    "twelve fifty" -> 12.50). "a"/"an" count as one before "hundred"/"thousand" or a currency word
    ("a buck").
    """
    n = len(tokens)
    first = tokens[i]
    if first.text in ONE_ARTICLES:
        nxt = tokens[i + 1] if i + 1 < n else None
        if nxt is not None and (nxt.text in CURRENCY_BY_WORD or nxt.text in MINOR_UNIT_BY_WORD):
            return WordNumber(Decimal(1), i, i + 1, only_one=True)
    group = _read_group(tokens, i)
    if group is None:
        return None
    whole, end, count = group
    k = end
    if k < n and tokens[k].text in NUMBER_JOINERS and tokens[k].role is Role.FREE:
        k += 1
    if k < n and tokens[k].kind is TokKind.WORD and tokens[k].role is Role.FREE and whole > 0:
        cents = _read_group(tokens, k)
        if cents is not None:
            value, cents_end, cents_count = cents
            after = tokens[cents_end].text if cents_end < n else ""
            if (
                10 <= value < 100
                and cents_count <= 2
                and after not in MINOR_UNIT_BY_WORD
                and after not in CURRENCY_BY_WORD
            ):
                return WordNumber(Decimal(f"{whole}.{value:02d}"), i, cents_end, only_one=False)
    only_one = count == 1 and whole == 1 and first.text in {"um", "uma", "one"}
    return WordNumber(Decimal(whole), i, end, only_one=only_one)
