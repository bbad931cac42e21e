"""Amounts of money in a tokenised message, and the numbers that are not money.

Steps, in order (each only looks at tokens the earlier ones left ``Role.FREE``):

1. :func:`mask_not_money` marks identifiers, times, percentages, ordinals and counting (CPF
   "123.456.789-09", phone "(11) 98765-4321", CEP, "14:30", "10%", "1º", "um, dois, três").
2. :func:`find_instalments` marks "em 3x", "3x de 50", "em 3 vezes", "3 parcelas", "in 3
   installments" and remembers the count.
3. :func:`find_mentions` reads each number (digits or words), its multiplier ("10k", "1,5 mil"),
   sign, and currency before or after it ("R$ 45", "20€", "3.14US$", "EUR 20", "45 reais", "10 XYZ").
   Numbers with no currency are dropped when they are labels ("apartamento 302"), quantities
   ("2 pizzas", "50 litros", "2 x coca", "two large pizzas"), grades ("nota 10"), ids (8+
   digits) or house numbers written with a comma or "nº" ("Rua Augusta, 200"). A currency word
   misspelt after a number counts (:func:`misspelt_currency`: "18 reias", "25 euors").
   :func:`drop_not_amounts` then drops a house number ("Av. Paulista 1578") when another amount
   is in the message, and a lone count in a list of counted items ("2 cafés e 1 pão de queijo").
4. :func:`combine_cents` joins "$20 and 43c" / "3 GBP 1 pence" and the spoken "3 e 50" (two-digit
   centavos) and turns lone cents into hundredths.
5. :func:`has_range` says whether any amount is a bound or an interval ("less than 7 EUR",
   "between 10 and 20", "$10-$20"): the reader then records nothing and asks.
6. :func:`merge_repeats` keeps the first of amounts written back to back with no word between
   them: a price comparison ("R$ 139,99 R$ 135,99") or the same price twice ("205,68 € 205.68").
   Before that, :func:`has_split_number` says whether two of them may be one number grouped by
   a plain space ("1 500": 1 and 500, far apart in value): the reader then asks.

Guards the reader asks on: :func:`has_scientific` ("1e5" is not "1 e 5"), an instalment count
outside ``1..MAX_INSTALMENTS`` ("em 999x" is a count, never a second amount), an amount of
:data:`MAX_AMOUNT` or more, and :func:`oversized_number` (a bare run of 13+ digits, set aside as
an identifier, when no other amount is left).

A negative amount ("-50", "gastei -30") is read as its magnitude with ``negative`` set: the reader
records it as money out like any other (the sign in a chat is almost always a typo or a "minus"
dash), with lower confidence so the reply asks for confirmation.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from financy.inference.text import lexicon as lx
from financy.inference.text.normalize import Role, Token, TokKind
from financy.inference.text.numbers import parse_digits, read_number_words

__all__ = [
    "MAX_AMOUNT",
    "MAX_INSTALMENTS",
    "HouseNumber",
    "Instalment",
    "Mention",
    "combine_cents",
    "drop_not_amounts",
    "find_instalments",
    "find_mentions",
    "has_range",
    "has_scientific",
    "has_split_number",
    "house_number",
    "mark_span",
    "mask_counting",
    "mask_not_money",
    "merge_repeats",
    "misspelt_currency",
    "oversized_number",
    "resolve_currency",
]

#: Amounts from this up are not read ("amount_out_of_range"): a chat expense is never a trillion.
MAX_AMOUNT: Final = Decimal(10) ** 12
#: Bare digit runs this long are identifiers next to an amount, or an amount out of range alone.
_OVERSIZED_DIGITS: Final = len(str(MAX_AMOUNT))
_HUNDRED: Final = Decimal(100)
_ONE: Final = Decimal(1)
_MINUS: Final = frozenset({"-", "−", "–"})


@dataclass(slots=True)
class Mention:
    """One amount of money found in the token list.

    ``start``/``end`` are token indices (end exclusive) covering sign, currency, number and
    multiplier. ``currency`` is an ISO 4217 code, ``"$"`` for a bare dollar sign still to be
    resolved against the context, or None when the text names none.
    """

    start: int
    end: int
    amount: Decimal
    currency: str | None = None
    minor: str | None = None  # set while the value is in hundredths: the unit's currency or "$"
    from_words: bool = False
    negative: bool = False
    approximate: bool = False
    weak_quantity: bool = False  # "1 pizza 50": a small count before a noun, dropped if more follows
    currency_word: bool = False  # currency written as a word after the number ("3 reais")
    whole_number: bool = True  # written without decimals
    #: a house number maybe ("Av. Paulista 1578"): the address's tokens ``[start, end)``; the
    #: number is dropped when another amount is in the message
    address: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Instalment:
    """Instalments said in the text: ``count`` payments; ``per_amount_at`` is the character
    index where a per-instalment amount starts ("3x de 50": at "50"), or None when the amount
    next to it is the total."""

    count: int
    start: int
    end: int
    per_amount_at: int | None


def mark_span(tokens: Sequence[Token], starts: Sequence[int], start: int, end: int, role: Role) -> None:
    """Give ``role`` to every still-free token lying inside characters ``[start, end)``."""
    i = bisect.bisect_left(starts, start)
    while i < len(tokens) and tokens[i].start < end:
        tok = tokens[i]
        if tok.end <= end and tok.role is Role.FREE:
            tok.role = role
        i += 1


# --- 1. numbers that are not money ------------------------------------------------------------

_NOT_MONEY_RE: Final = re.compile(
    "|".join(
        (
            r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b",  # CPF
            r"\b\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}\b",  # CNPJ
            r"(?:\+\d{1,3}\s?)?\(\d{2,3}\)\s?\d{4,5}[-\s]?\d{4}\b",  # phone with (area code)
            r"\+\d{1,3}[\s-]?\d{2,3}[\s-]?\d{4,5}[\s-]?\d{4}\b",  # international phone
            r"\b\d{2}\s9\d{4}[\s-]\d{4}\b",  # BR mobile "11 98765 4321"
            r"\b\d{4,5}-\d{4}\b",  # phone "98765-4321"
            r"\b\d{5}-\d{3}\b",  # CEP
            r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\b\.?)?",  # time 14:30
            r"\b\d{1,2}\s?h\d{2}\b|\b\d{1,2}\s?(?:h|hs|hrs)\b",  # 14h30, 14h ("19h 30": see dates.find_times)
            r"\b\d{1,2}\.\d{2}\s?[ap]\.?m\b\.?",  # 8.30pm
            r"\b\d{1,2}\s?[ap]\.?m\b\.?",  # 3pm
            r"\b\d+(?:[.,_]\d+)*\s?%",  # 10%
            r"\b\d{1,3}\s?[ºª°]",  # 1º, 2ª
            r"\b\d{1,2}[oa]\b",  # 1o, 2a (ordinals typed without º)
            r"\b\d{1,2}(?:st|nd|rd|th)\b",  # 3rd (a day of month is caught by dates first)
            r"\b(?:19|20)\d{2}\s?[/-]\s?(?:19|20)?\d{2}\b",  # 2024/2025
            r"#\s?\d+",  # #123
            r"\b(?:ending\s+in|ending|final|terminad[oa]\s+em|com\s+final)\s+\d{4}\b",  # card digits
        )
    )
)


def mask_not_money(fold: str, tokens: Sequence[Token], starts: Sequence[int]) -> None:
    """Mark numbers that are identifiers, times, percentages, ordinals or counting ("um, dois,
    três", see :func:`mask_counting`) as ``NOT_MONEY``."""
    for m in _NOT_MONEY_RE.finditer(fold):
        mark_span(tokens, starts, m.start(), m.end(), Role.NOT_MONEY)
    mask_counting(tokens)


#: Punctuation allowed between the numbers of a count ("one, two, three").
_COUNT_GLUE: Final = frozenset({",", ".", ";", "-", "…"})
#: The largest number a spoken count is read up to, in words and in digits ("mercado 10 11 12"
#: is prices, not counting).
_COUNT_MAX: Final = 20
_COUNT_MAX_DIGITS: Final = 10


def _count_value(tok: Token) -> int | None:
    """The value of a free token that is one small whole number ("três", "3"), else None."""
    if tok.role is not Role.FREE:
        return None
    if tok.kind is TokKind.NUM and tok.text.isdigit() and len(tok.text) <= 2:
        value = int(tok.text)
        if value > _COUNT_MAX_DIGITS:
            return None
    elif tok.kind is TokKind.WORD and tok.text in lx.NUMBER_WORDS:
        value = lx.NUMBER_WORDS[tok.text]
    else:
        return None
    return value if value <= _COUNT_MAX else None


def mask_counting(tokens: Sequence[Token]) -> None:
    """Mark counting as ``NOT_MONEY``: three or more small numbers in a row going up or down by
    one ("um, dois, três, testando", "3 2 1"), or two from zero or one ("one, two"), separated by
    nothing or a comma. A microphone test or a countdown in a voice note is not two expenses. A
    count followed by a currency ("1, 2, 3 reais") is left alone."""
    n = len(tokens)
    i = 0
    while i < n:
        first = _count_value(tokens[i])
        if first is None:
            i += 1
            continue
        run, values = [i], [first]
        k = i + 1
        while k < n:
            nxt = k + 1 if tokens[k].kind is TokKind.PUNCT and tokens[k].text in _COUNT_GLUE else k
            value = _count_value(tokens[nxt]) if nxt < n else None
            step = values[1] - values[0] if len(values) > 1 else None
            if (
                value is None
                or abs(value - values[-1]) != 1
                or (step is not None and value - values[-1] != step)
            ):
                break
            run.append(nxt)
            values.append(value)
            k = nxt + 1
        after = tokens[run[-1] + 1] if run[-1] + 1 < n else None
        priced = after is not None and (
            after.kind is TokKind.SYM
            or after.text in lx.CURRENCY_BY_WORD
            or after.text in lx.MINOR_UNIT_BY_WORD
        )
        counting = len(values) >= 3 or (len(values) == 2 and values[0] <= 1 and values[1] == values[0] + 1)
        if counting and not priced:
            for k in run:
                tokens[k].role = Role.NOT_MONEY
            i = run[-1] + 1
        else:
            i += 1


_SCIENTIFIC_RE: Final = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?e[+-]?\d+\b")


def has_scientific(fold: str) -> bool:
    """True if the text writes a number in scientific notation ("1e5", "2.5e-3"): the reader asks
    rather than reading "1 e 5" as two amounts."""
    return "e" in fold and _SCIENTIFIC_RE.search(fold) is not None


# --- 2. instalments ---------------------------------------------------------------------------

# Instalment counts in words ("duas vezes", "twelve payments"): the number words up to twelve.
_COUNT_WORDS: Final[dict[str, int]] = {word: n for word, n in lx.NUMBER_WORDS.items() if 2 <= n <= 12}
#: The most instalments a purchase is read with; "em 999x" (or "em 0x") asks instead.
MAX_INSTALMENTS: Final = 72

_WORD_COUNTS: Final = "|".join(_COUNT_WORDS)
_N: Final = r"(?P<n>\d{1,2}|" + _WORD_COUNTS + ")"
# where an "x" or "parcelas" says the number is a count, any count is one ("999x" is not money)
_N_ANY: Final = r"(?P<n>\d+|" + _WORD_COUNTS + ")"
_BARE_TIMES_RE: Final = re.compile(r"\b(?P<n>\d+)x\b")
_INSTALMENT_RES: Final = (
    re.compile(r"\b(?:parcelad[oa]\s+)?(?:em|in)\s+" + _N_ANY + r"\s?x\b"),
    _BARE_TIMES_RE,
    re.compile(r"\b(?P<n>\d+)\s+x(?=\s+(?:de|of)\b)"),
    re.compile(
        r"\b(?:parcelad[oa]\s+)?(?:em|in)\s+"
        + _N_ANY
        + r"\s+(?:vezes|parcelas|prestacoes|installments|instalments"
        r"|payments)\b"
    ),
    re.compile(r"\bparcelad[oa]\s+em\s+" + _N + r"\b"),
    re.compile(r"\b" + _N_ANY + r"\s+(?:parcelas|prestacoes|installments|instalments)\b"),
)
_PER_INSTALMENT_RE: Final = re.compile(r"\s*(?:de|of|sendo)\s+|\s*(?=(?:r|us)?\$|€|£)")


def find_instalments(
    fold: str,
    tokens: Sequence[Token],
    starts: Sequence[int],
    extra: Sequence[tuple[int, int, int]] = (),
) -> list[Instalment]:
    """Find instalment phrases, mark their tokens ``INSTALMENT``, and return them in text order.

    ``extra`` are more phrases found elsewhere (the spaCy matcher: "parcelei em 4", "3 vezes sem
    juros"), as ``(start, end, count)`` characters of ``fold``; one overlapping a phrase found
    here only widens what is marked ("em 3 vezes sem juros": "sem juros" is no fee). A count
    outside ``1..MAX_INSTALMENTS`` ("em 999x") is returned as written: the reader asks. A bare
    "2x" before a noun counts items ("2x coca 12": ``QUANTITY``, no instalments); before "sem
    juros", "no cartão", "de 50" or an amount it stays instalments.
    """
    found: list[Instalment] = []
    counted: list[tuple[int, int]] = []  # "2x coca": a count of items, not instalments

    def add(start: int, end: int, count: int) -> None:
        per = _PER_INSTALMENT_RE.match(fold, end)
        found.append(Instalment(count, start, end, per.end() if per else None))
        mark_span(tokens, starts, start, end, Role.INSTALMENT)

    for regex in _INSTALMENT_RES:
        for m in regex.finditer(fold):
            start, end = m.span()
            if any(start < f.end and f.start < end for f in found):
                continue
            if regex is _BARE_TIMES_RE and _counts_items(tokens, starts, start, end):
                mark_span(tokens, starts, start, end, Role.QUANTITY)  # "2x coca 12": two cokes
                counted.append((start, end))
                continue
            raw = m.group("n")
            add(start, end, int(raw) if raw.isdigit() else _COUNT_WORDS[raw])
    for start, end, count in extra:
        if any(start < b and a < end for a, b in counted):
            continue
        if not any(start < f.end and f.start < end for f in found):
            add(start, end, count)
        else:  # "em 3 vezes" read here, "3 vezes sem juros" there: the whole phrase is instalments
            mark_span(tokens, starts, start, end, Role.INSTALMENT)
    found.sort(key=lambda f: f.start)
    return found


def _counts_items(tokens: Sequence[Token], starts: Sequence[int], start: int, end: int) -> bool:
    """True if the "2x" at characters ``[start, end)`` counts the noun after it ("2x coca 12",
    "3x pão de queijo"), not instalments ("3x sem juros", "3x no cartão", "3x 50", "3x de 50",
    after an amount "tv 1500 3x magalu", after a verb "parcelei 3x geladeira 2000")."""
    k = bisect.bisect_left(starts, end)
    first = bisect.bisect_left(starts, start)
    if k >= len(tokens):
        return False
    before = tokens[first - 1] if first > 0 else None
    if before is not None and (
        before.kind in (TokKind.NUM, TokKind.SYM)
        or before.text in lx.CURRENCY_BY_WORD
        or before.text in lx.INSTALMENT_VERBS
    ):
        return False
    tok = tokens[k]
    return (
        _is_content_word(tok)
        and tok.text not in lx.INSTALMENT_WORDS
        and tok.text not in lx.PAYMENT_BY_WORD
        and tok.text not in lx.GENERIC_NOUNS
        and tok.text not in lx.MULTIPLIER_BY_WORD
    )


# --- 3. amounts -------------------------------------------------------------------------------


@functools.cache
def _iso_codes() -> frozenset[str]:
    """Every ISO 4217 code babel knows (loaded once, on first need)."""
    from babel.numbers import list_currencies

    return frozenset(str(code) for code in list_currencies())


_KNOWN_WORDS: Final = (
    lx.STOPWORDS
    | lx.VERBS
    | lx.GENERIC_NOUNS
    | lx.UNIT_WORDS
    | lx.LABEL_WORDS
    | frozenset(lx.CATEGORY_BY_WORD)
    | frozenset(lx.PAYMENT_BY_WORD)
    | frozenset(lx.NUMBER_WORDS)
    | lx.PT_WORDS
    | lx.EN_WORDS
)


def _code(tok: Token, clean: str, *, after_number: bool) -> str | None:
    """Return the ISO code a word token spells, if it is one next to a number.

    Common codes count in any case ("eur 20"); other codes babel knows count when typed in
    capitals ("20 CHF"); an unknown three-capital word right after a number ("10 XYZ") is taken
    as-is so the core can reject it and ask, unless it is one of our own words ("50 PRA ANA").
    """
    if tok.kind is not TokKind.WORD or len(tok.text) != 3 or tok.role is not Role.FREE:
        return None
    if tok.text in lx.COMMON_CURRENCY_CODES:
        return tok.text.upper()
    written = clean[tok.start : tok.end]
    if not (written.isascii() and written.isalpha() and written.isupper()):
        return None
    if written in _iso_codes():
        return written
    if after_number and tok.text not in _KNOWN_WORDS:
        return written
    return None


def _is_content_word(tok: Token) -> bool:
    """True for a free word that could name something (not a function word, verb or unit)."""
    return (
        tok.kind is TokKind.WORD
        and tok.role is Role.FREE
        and len(tok.text) > 1
        and tok.text not in lx.STOPWORDS
        and tok.text not in lx.VERBS
        and tok.text not in lx.CURRENCY_BY_WORD
        and tok.text not in lx.ITEM_SEPARATOR_WORDS
        and tok.text not in lx.NUMBER_WORDS
    )


def _is_plural_noun(tok: Token) -> bool:
    """True for a plural noun after a count ("2 pizzas"); keyword plurals ("40 groceries") are
    left to :func:`_looks_like_count`, since they often name what a price was for."""
    text = tok.text
    return (
        _is_content_word(tok)
        and len(text) > 3
        and text.endswith("s")
        and text not in lx.NOT_PLURAL_NOUNS
        and text not in lx.GENERIC_NOUNS
        and text not in lx.MULTIPLIER_BY_WORD
        and text not in lx.CATEGORY_BY_WORD
    )


def _starts_number(tok: Token) -> bool:
    if tok.role is not Role.FREE:
        return False
    if tok.kind is TokKind.NUM:
        return True
    return tok.kind is TokKind.WORD and (
        tok.text in lx.NUMBER_WORDS
        or tok.text in lx.ONE_ARTICLES
        or tok.text in lx.SCALE_WORDS
        or tok.text in lx.HUNDRED_WORDS
    )


def find_mentions(tokens: list[Token], clean: str, language: str) -> list[Mention]:
    """Return the money mentions in text order, marking their tokens ``MONEY``.

    ``clean`` is the cleaned original text (for the case of currency codes); ``language``
    ("pt"/"en") settles "1.234". Tokens left free by earlier steps are the only ones read.
    """
    mentions: list[Mention] = []
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        if not _starts_number(tok):
            i += 1
            continue
        only_one = False
        if tok.kind is TokKind.NUM:
            value = parse_digits(tok.text, language)
            if value is None:
                tok.role = Role.NOT_MONEY
                i += 1
                continue
            j = i + 1
            from_words = False
            whole_number = "." not in tok.text and "," not in tok.text
        else:
            words = read_number_words(tokens, i)
            if words is None:
                i += 1
                continue
            value, j, only_one = words.value, words.end, words.only_one
            from_words = True
            whole_number = value == value.to_integral_value()

        # multiplier: "10k", "1,5 mil", "2 million"
        if j < n and tokens[j].kind is TokKind.WORD and tokens[j].role is Role.FREE:
            mult_word = tokens[j].text
            if (mult_word == "k" and not tokens[j].space_before) or (
                mult_word in lx.MULTIPLIER_BY_WORD and mult_word != "k" and not from_words
            ):
                value *= lx.MULTIPLIER_BY_WORD[mult_word]
                if value >= MAX_AMOUNT:
                    pass  # out of range anyway (the reader asks); quantize would overflow
                elif value == value.to_integral_value():
                    value = value.quantize(_ONE)  # "1,5 mil" is 1500, not 1500.0
                else:
                    value = value.normalize()  # "1,23456 mil" is 1234.56, not 1234.56000
                j += 1
                whole_number = True

        # sign and currency before the number
        start = i
        negative = False
        currency: str | None = None
        p = i - 1
        if (
            p >= 0
            and tokens[p].text in _MINUS
            and tokens[p].role is Role.FREE
            and not tok.space_before
            and (p == 0 or tokens[p].space_before or tokens[p - 1].kind is TokKind.SYM)
        ):
            negative, start, p = True, p, p - 1
        if p >= 0 and tokens[p].role is Role.FREE:
            before = tokens[p]
            if before.kind is TokKind.SYM and before.text != lx.CENT_SIGN:
                currency = lx.CURRENCY_BY_SYMBOL.get(before.text, lx.BARE_DOLLAR)
                start, p = p, p - 1
            elif (
                before.kind is TokKind.WORD
                and before.text in lx.CURRENCY_BY_PREFIX_WORD
                and (clean[before.start : before.end].isupper() or not tok.space_before)
            ):  # "RM 25", "rm25"; not a lower-case "rm 25"
                currency, start, p = lx.CURRENCY_BY_PREFIX_WORD[before.text], p, p - 1
            else:
                code = _code(before, clean, after_number=False)
                if code is not None:
                    currency, start, p = code, p, p - 1
        if (
            not negative
            and currency is not None
            and p >= 0
            and tokens[p].text in _MINUS
            and tokens[p].role is Role.FREE
            and not tokens[start].space_before
            and (p == 0 or tokens[p].space_before)
        ):
            negative, start = True, p

        # currency or minor unit after the number
        minor: str | None = None
        currency_word = False
        if j < n and tokens[j].role is Role.FREE:
            after = tokens[j]
            nxt = tokens[j + 1] if j + 1 < n else None
            if after.kind is TokKind.SYM:
                if after.text == lx.CENT_SIGN:
                    minor, j = lx.BARE_DOLLAR, j + 1
                elif currency is None and not (
                    nxt is not None
                    and nxt.kind is TokKind.NUM
                    and not nxt.space_before
                    and after.space_before
                ):
                    currency, j = lx.CURRENCY_BY_SYMBOL.get(after.text, lx.BARE_DOLLAR), j + 1
                    code = _code(nxt, clean, after_number=False) if nxt is not None else None
                    if currency == lx.BARE_DOLLAR and code is not None:  # "6.80$ SGD"
                        currency, j = code, j + 1
            elif after.kind is TokKind.WORD:
                word = after.text
                word_currency = lx.CURRENCY_BY_WORD.get(word) or misspelt_currency(after)
                if word_currency == "CNY" and currency == "JPY":  # "¥ 20 yuan"
                    currency = None
                if word_currency is not None and currency in (None, word_currency):
                    currency, j = word_currency, j + 1
                    currency_word = True
                elif (
                    word in lx.MINOR_UNIT_BY_WORD
                    and currency is None
                    and not (word == "p" and after.space_before)
                    and not (word == "c" and nxt is not None and nxt.text == "/")
                ):
                    minor, j = lx.MINOR_UNIT_BY_WORD[word], j + 1
                elif currency is None:
                    code = _code(after, clean, after_number=True)
                    if code is not None:
                        currency, j = code, j + 1

        address: HouseNumber | None = None
        if currency is None and minor is None:
            address = house_number(tokens, i, j) if not only_one else None
            if address is not None and address.certain:  # "Rua Augusta, 200", "Av. Paulista nº 1578"
                _mark_address(tokens, address.start, address.end)
                i = j
                continue
            reject = _not_money(tokens, i, j, whole_number, only_one, from_words)
            if reject is Role.FREE:  # not money, but its words may still be read
                i += 1
                continue
            if reject is not None:
                for k in range(i, j):
                    if tokens[k].role is Role.FREE:
                        tokens[k].role = reject
                i = j
                continue
            if tok.kind is TokKind.NUM and tok.text == "99" and _names_the_ride_app(tokens, i):
                tok.role = Role.MERCHANT_NUMBER
                i += 1
                continue

        mention = Mention(
            start=start,
            end=j,
            amount=value,
            currency=currency,
            minor=minor,
            from_words=from_words,
            negative=negative,
            whole_number=whole_number,
            currency_word=currency_word,
            address=(address.start, address.end) if address is not None else None,
        )
        if currency is None and minor is None and whole_number:
            mention.weak_quantity = _looks_like_count(tokens, i, j, value)
        mention.approximate = _is_approximate(tokens, start)
        for k in range(start, j):
            if tokens[k].role is Role.FREE:
                tokens[k].role = Role.MONEY
        mentions.append(mention)
        i = j
    _trailing_code(tokens, clean, mentions)
    if any(tok.text in lx.YUAN_WORDS for tok in tokens):  # "¥" is the yen unless yuan is said
        for mention in mentions:
            if mention.currency == "JPY" and any(
                tokens[k].text == "¥" for k in range(mention.start, mention.end)
            ):
                mention.currency = "CNY"
    return mentions


def _trailing_code(tokens: Sequence[Token], clean: str, mentions: Sequence[Mention]) -> None:
    """Give the one amount of a message ending in a common currency code that code ("50 Taxi
    THB")."""
    if len(mentions) != 1 or mentions[0].currency is not None or mentions[0].minor is not None:
        return
    last = len(tokens) - 1
    while last >= 0 and tokens[last].kind in (TokKind.PUNCT, TokKind.NL):
        last -= 1
    if last < mentions[0].end:
        return
    tok = tokens[last]
    code = _code(tok, clean, after_number=False)
    if code is None or tok.text not in lx.COMMON_CURRENCY_CODES:
        return  # "uber 20 e ALL": only the common codes, not words that happen to be codes
    mentions[0].currency = code
    tok.role = Role.MONEY


def _not_money(
    tokens: Sequence[Token],
    i: int,
    j: int,
    whole_number: bool,
    only_one: bool,
    from_words: bool,
) -> Role | None:
    """Why a number with no currency (tokens ``[i, j)``) is not an amount: the role to give its
    tokens (QUANTITY, NOT_MONEY), FREE to skip just its first token ("um lanche"), or None when
    it may be money."""
    if only_one:
        return Role.FREE
    after = tokens[j] if j < len(tokens) else None
    before = tokens[i - 1] if i > 0 else None
    if before is not None and before.text in {"#", ":"} and i > 1:
        before = tokens[i - 2]
    tok = tokens[i]
    small = whole_number and j == i + 1 and _small_count(tok)
    if after is not None and after.kind is TokKind.WORD and after.role is Role.FREE:
        if after.text in lx.UNIT_WORDS:
            return Role.QUANTITY  # "50 litros", "2 horas"
        if whole_number and _is_plural_noun(after):
            return Role.QUANTITY  # "2 pizzas", "dois cafés"
        second = tokens[j + 1] if j + 1 < len(tokens) else None
        if small and after.text == "x" and second is not None and _is_content_word(second):
            return Role.QUANTITY  # "2 x coca 12"
        if (
            small
            and second is not None
            and _is_content_word(after)
            and after.text not in lx.CATEGORY_BY_WORD
            and not after.text.endswith("s")
            and _is_plural_noun(second)
        ):
            return Role.QUANTITY  # "two large pizzas", "2 grandes pizzas"
    if (
        small
        and before is not None
        and before.text == "x"
        and before.space_before
        and not tok.space_before
        and i >= 2
        and _is_content_word(tokens[i - 2])
    ):
        return Role.QUANTITY  # "coca x2 12"
    if small and before is not None and before.text in lx.RATING_WORDS and _value(tok) <= _MAX_RATING:
        return Role.NOT_MONEY  # "nota 10 pro atendimento"
    if (
        before is not None
        and before.kind is TokKind.WORD
        and before.text in lx.LABEL_WORDS
        and not (before.text in lx.ROOM_LABEL_WORDS and _not_a_room_number(tok, j - i))
    ):
        return Role.NOT_MONEY  # "apartamento 302", "pedido 1234"; "apartamento 1.500" is money
    if not from_words and tok.kind is TokKind.NUM and tok.text.isdigit() and j == i + 1:
        if len(tok.text) >= 8:
            return Role.NOT_MONEY  # account, barcode or order numbers
        if len(tok.text) >= 2 and tok.text.startswith("0"):
            return Role.NOT_MONEY  # "007", "01": codes, not prices
    return None


#: The highest grade after a rating word ("nota 10"); "nota 50" is a banknote or a price.
_MAX_RATING: Final = 10
#: The largest number read as a count of items before a noun ("2 x coca", "two large pizzas").
_MAX_COUNT: Final = 12


def _value(tok: Token) -> int:
    """The whole value of a digits or number-word token (0 for anything else)."""
    if tok.kind is TokKind.NUM and tok.text.isdigit():
        return int(tok.text)
    return lx.NUMBER_WORDS.get(tok.text, 0)


def _small_count(tok: Token) -> bool:
    """True for a one-token whole number from 1 to :data:`_MAX_COUNT` ("2", "dois", "two")."""
    return 1 <= _value(tok) <= _MAX_COUNT and (tok.kind is TokKind.WORD or not tok.text.startswith("0"))


def _not_a_room_number(tok: Token, width: int) -> bool:
    """True if the number after "apartamento" is money: grouped or with decimals ("1.500",
    "1.200,00") or longer than four digits; "302" and "1201" stay apartment numbers."""
    if tok.kind is not TokKind.NUM or width != 1:
        return False
    return not tok.text.isdigit() or len(tok.text) > 4


def _names_the_ride_app(tokens: Sequence[Token], i: int) -> bool:
    """True if the "99" at ``i`` is the ride app: "no 99", "99 pop", or "99 23,50"."""
    before = tokens[i - 1] if i > 0 else None
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    if (
        before is not None
        and before.kind is TokKind.WORD
        and before.text in {"no", "na", "pelo", "pela", "o"}
    ):
        return True
    if after is None:
        return False
    if after.kind is TokKind.WORD and after.text in {"pop", "taxi", "app", "moto", "food"}:
        return True
    if (i == 0 or (after.kind is TokKind.WORD and after.text in {"pro", "pra", "para", "to", "ate"})) and any(
        t.kind is TokKind.NUM and t.role is Role.FREE for t in tokens[i + 2 :]
    ):
        return True  # "99 pro trabalho 17,50": the ride, then its price
    return after.kind in (TokKind.NUM, TokKind.SYM) and after.role is Role.FREE


def _looks_like_count(tokens: Sequence[Token], i: int, j: int, value: Decimal) -> bool:
    """True for a whole number that may count the noun after it: a small one ("1 pizza 50") or
    one before a keyword plural ("3 remédios 45"). Such a number is dropped when another amount
    follows in the same clause."""
    after = tokens[j] if j < len(tokens) else None
    if after is None or not _is_content_word(after):
        return False
    if value > 10 and not (after.text.endswith("s") and after.text in lx.CATEGORY_BY_WORD):
        return False
    before = tokens[i - 1] if i > 0 else None
    return before is None or not _is_content_word(before)


def _is_approximate(tokens: Sequence[Token], start: int) -> bool:
    p = start - 1
    if p >= 0 and tokens[p].text == "de":  # "cerca de 50"
        p -= 1
    return p >= 0 and tokens[p].text in lx.APPROXIMATE_WORDS


# --- 3b. misspelt currencies and house numbers ----------------------------------------------

_NOT_A_CURRENCY: Final = (
    _KNOWN_WORDS | lx.NOT_PLURAL_NOUNS | lx.INCOME_NOUNS | lx.APPROXIMATE_WORDS | lx.BRAND_WORDS
)


def _one_edit(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` differ by exactly one insertion, deletion, substitution or swap of
    two neighbouring letters."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    k = 0
    while k < len(short) and short[k] == long[k]:
        k += 1
    return short[k:] == long[k + 1 :]


def misspelt_currency(tok: Token) -> str | None:
    """The ISO code of a currency word misspelt right after a number ("18 reias", "dolars",
    "25 euors"), or None.

    A listed misspelling (``currency_words.tsv``, kind ``misspelling``) counts as it is; otherwise
    the word must be one edit from a long everyday currency word (``fuzzy_currency_words``: reais,
    dólar(es), dollar(s), euros), start with the same letter, have four letters or more and be no
    word the reader knows (a unit, a category word, a verb...): "2 colares" stays necklaces, "got 20
    back" is no "bucks".
    """
    if tok.kind is not TokKind.WORD or tok.role is not Role.FREE:
        return None
    text = tok.text
    listed = lx.MISSPELT_CURRENCY_BY_WORD.get(text)
    if listed is not None:
        return listed
    if len(text) < 4 or text in _NOT_A_CURRENCY or text in lx.CURRENCY_BY_WORD:
        return None
    for target in sorted(lx.FUZZY_CURRENCY_WORDS):
        if target[0] == text[0] and _one_edit(text, target):
            return lx.CURRENCY_BY_WORD[target]
    return None


_NAME_JOINERS: Final = frozenset({"de", "da", "do", "dos", "das", "del"})
#: Words a street's name may hold at most (before the house number).
_MAX_NAME_WORDS: Final = 5


def _name_word(tok: Token) -> bool:
    """True for a free word that may be part of a street's name ("Paulista", "Brigadeiro")."""
    return (
        tok.kind is TokKind.WORD
        and tok.role is Role.FREE
        and tok.text not in lx.VERBS
        and tok.text not in lx.EXPENSE_VERBS
        and tok.text not in lx.CURRENCY_BY_WORD
        and tok.text not in lx.ITEM_SEPARATOR_WORDS
        and tok.text not in lx.NUMBER_WORDS
    )


def _street_before(tokens: Sequence[Token], k: int) -> bool:
    """True if token ``k`` is a street word ("rua", "av", "avenida"; "r." and "al." with their dot)."""
    tok = tokens[k]
    if tok.kind is not TokKind.WORD:
        return False
    if tok.text in lx.STREET_WORDS:
        return True
    dot = tokens[k + 1] if k + 1 < len(tokens) else None
    return (
        tok.text in lx.STREET_ABBREVIATIONS and dot is not None and dot.text == "." and not dot.space_before
    )


@dataclass(frozen=True, slots=True)
class HouseNumber:
    """A number that is (``certain``) or may be the house number of a street address, whose tokens
    are ``[start, end)`` (street word, name, number)."""

    start: int
    end: int
    certain: bool


def house_number(tokens: Sequence[Token], i: int, j: int) -> HouseNumber | None:
    """The street address the bare number at tokens ``[i, j)`` is the house number of, or None.

    Portuguese addresses put it after the street word and the name: "Av. Paulista 1578", "rua
    augusta 200" (not ``certain``: the number is dropped only when another amount is in the
    message, "almocei na Av. Paulista 1578, 45 reais"); with a comma or "nº" before it ("Rua
    Augusta, 200", "Av. Paulista nº 1578") it is ``certain``, never an amount. English ones put
    it before the name and a street word after it ("221 Baker Street", "1578 Main St"): not
    certain. A number in words counts too, as speech writes it ("avenida paulista mil e
    quinhentos, quarenta reais"). A bare "rua 200" is already a label (``label_words``).
    """
    tok = tokens[i]
    in_words = all(t.kind is TokKind.WORD for t in tokens[i:j])  # "mil quinhentos e setenta e oito"
    if not in_words and (
        j != i + 1 or tok.kind is not TokKind.NUM or not tok.text.isdigit() or tok.text.startswith("0")
    ):
        return None
    if not in_words and len(tok.text) > 5:
        return None
    # "Av. Paulista, nº 1578": walk back over the marker, the comma and the name
    k = i - 1
    marked = comma = False
    if k >= 0 and tokens[k].kind is TokKind.PUNCT and tokens[k].text in {"°", "º", "."}:
        k -= 1
    if k >= 0 and tokens[k].kind is TokKind.WORD and tokens[k].text in lx.HOUSE_NUMBER_MARKERS:
        marked, k = True, k - 1
    if k >= 0 and tokens[k].text == ",":
        comma, k = True, k - 1
    names = 0
    while k >= 0 and names <= _MAX_NAME_WORDS:
        before = tokens[k]
        if names and _street_before(tokens, k):
            return HouseNumber(k, j, certain=comma or marked)
        if before.kind is TokKind.PUNCT and before.text == "." and not before.space_before:
            k -= 1  # "Av." "Dr."
            continue
        if not _name_word(before):
            break
        names += before.text not in _NAME_JOINERS
        k -= 1
    # "221 Baker Street": the name, then an English street word
    k = j
    names = 0
    while k < len(tokens) and names <= _MAX_NAME_WORDS:
        after = tokens[k]
        if names and after.kind is TokKind.WORD and after.text in lx.STREET_SUFFIXES:
            return HouseNumber(i, k + 1, certain=False)
        if not _name_word(after) or after.text in lx.STOPWORDS:
            return None
        names += 1
        k += 1
    return None


def _mark_address(tokens: Sequence[Token], start: int, end: int) -> None:
    """Give the free (or money) tokens of an address ``[start, end)`` the ``ADDRESS`` role."""
    for k in range(start, end):
        if tokens[k].role in (Role.FREE, Role.MONEY):
            tokens[k].role = Role.ADDRESS


def drop_not_amounts(tokens: Sequence[Token], mentions: list[Mention]) -> list[Mention]:
    """Drop numbers that turned out not to be amounts once every mention is known.

    * A house number ("Av. Paulista 1578") when another amount is in the message.
    * A small count before a noun ("1 pão de queijo") in a message that already counts other
      items ("2 cafés e 1 pão de queijo": a list of what was bought, with no price).
    """
    if len(mentions) > 1 and any(m.address is None for m in mentions):
        for m in mentions:
            if m.address is not None:
                _mark_address(tokens, *m.address)
        mentions = [m for m in mentions if m.address is None]
    if (
        len(mentions) == 1
        and mentions[0].weak_quantity
        and mentions[0].amount <= _MAX_COUNT
        and _counted_items(tokens)
    ):
        for k in range(mentions[0].start, mentions[0].end):
            tokens[k].role = Role.QUANTITY
        return []
    return mentions


def _counted_items(tokens: Sequence[Token]) -> bool:
    """True if a number was set aside as a count of items ("2 cafés", "dois cafés", "2x coca")."""
    return any(
        tok.role is Role.QUANTITY and (tok.kind is TokKind.NUM or tok.text in lx.NUMBER_WORDS)
        for tok in tokens
    )


# --- 4. cents ---------------------------------------------------------------------------------

_CENTS_JOINERS: Final = frozenset({"and", "e", "com", "&", ","})


#: Words after spoken cents that start where or what ("45 reais e 90 no mercado").
_AFTER_CENTS: Final = frozenset(
    {"no", "na", "nos", "nas", "de", "do", "da", "em", "pra", "pro", "para", "at", "for", "on", "in"}
)


def _spoken_cents(tokens: Sequence[Token], prev: Mention | None, mention: Mention) -> bool:
    """True for "3 reais e setenta e cinco": a currency word, "e"/"and", then a bare number
    under 100 that ends the clause, or is followed by where or what when nothing was named
    before the amount ("quarenta e cinco reais e noventa no mercado", as speech comes out)."""
    if (
        prev is None
        or not prev.currency_word
        or mention.currency is not None
        or mention.minor is not None
        or not mention.whole_number
        or mention.amount >= _HUNDRED
        or mention.start - prev.end != 1
        or tokens[prev.end].text not in {"e", "and", "com"}
    ):
        return False
    nxt = tokens[mention.end] if mention.end < len(tokens) else None
    if nxt is None or nxt.kind is TokKind.NL or (nxt.kind is TokKind.PUNCT and nxt.text in ",;.!"):
        return True
    return nxt.text in _AFTER_CENTS and not _described_before(tokens, prev.start)


def _is_clause_end(tok: Token | None) -> bool:
    return tok is None or tok.kind is TokKind.NL or (tok.kind is TokKind.PUNCT and tok.text in ",;.!")


def _described_before(tokens: Sequence[Token], start: int) -> bool:
    """True if a content word (a merchant or an item) comes before ``start`` in its clause."""
    for k in range(start - 1, -1, -1):
        tok = tokens[k]
        if _is_clause_end(tok) or tok.role is Role.MONEY:
            return False
        if _is_content_word(tok) and tok.text not in lx.GENERIC_NOUNS:
            return True
    return False


def _digit_cents(tokens: Sequence[Token], prev: Mention | None, mention: Mention) -> bool:
    """True for the spoken "3 e 50" / "4 reais e 50 de pão": a whole amount in digits, "e", then
    a two-digit bare number ("50", "05") is reais and centavos.

    The cents must end the clause ("café 3 e 50"), or be followed by "de" and what was bought
    when nothing was named before the reais ("2 e 50 de coxinha"); "mercado 120 e 30 de farmácia"
    stays two amounts, as does "entre 10 e 20" (a range).
    """
    if (
        prev is None
        or prev.from_words
        or mention.from_words
        or not prev.whole_number
        or prev.minor is not None
        or mention.currency is not None
        or mention.minor is not None
        or mention.end - mention.start != 1
        or mention.start - prev.end != 1
        or tokens[prev.end].text != "e"
    ):
        return False
    cents = tokens[mention.start]
    if not (cents.kind is TokKind.NUM and len(cents.text) == 2 and cents.text.isdigit()):
        return False
    number = tokens[prev.end - 2] if prev.currency_word else tokens[prev.end - 1]
    if number.kind is not TokKind.NUM or not number.text.isdigit():
        return False
    opener = tokens[prev.start - 1].text if prev.start > 0 else ""
    if opener in lx.RANGE_OPENERS or opener in lx.COMPARATOR_SYMBOLS:
        return False
    nxt = tokens[mention.end] if mention.end < len(tokens) else None
    if _is_clause_end(nxt):
        return True
    return nxt is not None and nxt.text in {"de", "do", "da"} and not _described_before(tokens, prev.start)


def combine_cents(tokens: Sequence[Token], mentions: list[Mention]) -> list[Mention]:
    """Join "20 dollars 43 cents" (and the spoken "3 reais e setenta e cinco") into one amount
    and turn lone cents ("10 c") into hundredths."""
    out: list[Mention] = []
    for mention in mentions:
        prev = out[-1] if out else None
        if _spoken_cents(tokens, prev, mention) or _digit_cents(tokens, prev, mention):
            assert prev is not None
            prev.amount += mention.amount.scaleb(-2)
            prev.end = mention.end
            prev.whole_number = False
            for k in range(prev.start, prev.end):
                tokens[k].role = Role.MONEY
            continue
        if mention.minor is None:
            out.append(mention)
            continue
        if (
            prev is not None
            and prev.minor is None
            and prev.currency is not None
            and mention.whole_number
            and mention.amount < _HUNDRED
            and all(tokens[k].text in _CENTS_JOINERS for k in range(prev.end, mention.start))
        ):
            prev.amount += mention.amount.scaleb(-2)
            prev.end = mention.end
            prev.whole_number = False
            for k in range(prev.start, prev.end):
                tokens[k].role = Role.MONEY
            continue
        mention.amount = mention.amount.scaleb(-2)
        mention.currency = mention.minor
        mention.minor = None
        mention.whole_number = False
        out.append(mention)
    return out


# --- 5. ranges and bounds ---------------------------------------------------------------------


_COMPARATORS_BY_LAST_WORD: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    last: tuple(phrase for phrase in lx.COMPARATOR_PHRASES if phrase[-1] == last)
    for last in {phrase[-1] for phrase in lx.COMPARATOR_PHRASES}
}


def _comparator_before(tokens: Sequence[Token], start: int, language: str) -> bool:
    """True if a bound ("less than", "mais de", "<", pt "até") ends right before ``start``."""
    if start == 0:
        return False
    last = tokens[start - 1].text
    if last in lx.COMPARATOR_SYMBOLS or (language == "pt" and last in lx.COMPARATOR_PT_ONLY):
        return True
    phrases = _COMPARATORS_BY_LAST_WORD.get(last)
    if not phrases:
        return False
    words = tuple(t.text for t in tokens[max(0, start - 3) : start])
    return any(words[-len(phrase) :] == phrase for phrase in phrases if len(words) >= len(phrase))


def has_range(tokens: Sequence[Token], mentions: Sequence[Mention], language: str) -> bool:
    """True if an amount is a bound ("less than 7 EUR") or two form an interval ("10-20")."""
    for k, mention in enumerate(mentions):
        if _comparator_before(tokens, mention.start, language):
            return True
        if k + 1 >= len(mentions):
            continue
        between = [t.text for t in tokens[mention.end : mentions[k + 1].start]]
        if len(between) != 1:
            continue
        joiner = between[0]
        opener = tokens[mention.start - 1].text if mention.start > 0 else ""
        if opener in lx.RANGE_OPENERS and joiner in lx.RANGE_JOINERS:
            return True
        if joiner in lx.RANGE_JOINERS and joiner not in {"e", "and"}:
            if joiner == "ate" and language != "pt":
                continue
            return True
    return False


def oversized_number(tokens: Sequence[Token]) -> bool:
    """True if an unlabelled bare digit run of 13+ digits (10^12 or more) was set aside as an
    identifier: with no other amount in the message, it is an amount out of range."""
    for i, tok in enumerate(tokens):
        if (
            tok.kind is TokKind.NUM
            and tok.role is Role.NOT_MONEY
            and tok.text.isdigit()
            and len(tok.text.lstrip("0")) >= _OVERSIZED_DIGITS
            and not (i > 0 and tokens[i - 1].text in lx.LABEL_WORDS)
        ):
            return True
    return False


# --- 6. repeated amounts ----------------------------------------------------------------------

_BETWEEN_REPEATS: Final = frozenset({"/", "|", "(", ")", "=", "["})


def has_split_number(tokens: Sequence[Token], mentions: Sequence[Mention]) -> bool:
    """True if two amounts back to back may be one number grouped by a plain space ("1 500",
    "R$ 1 500", "1 500 reais") rather than a price written twice ("mercado 120 130").

    The pair must look like thousands (a first number of 1-3 digits, then one starting with
    exactly three digits, one space apart: "1 500", "1 234,5678") and the two values must differ
    by more than a factor of two: a price comparison has values close to each other, "1 500"
    does not. The reader then asks.
    """
    for prev, mention in itertools.pairwise(mentions):
        first, second = tokens[prev.end - 1], tokens[mention.start]
        if (
            prev.end != mention.start
            or first.kind is not TokKind.NUM
            or second.kind is not TokKind.NUM
            or second.start != first.end + 1
            or not (first.text.isdigit() and 1 <= len(first.text) <= 3 and first.text[0] != "0")
            or len(second.text) < 3
            or not (second.text[:3].isdigit() and (len(second.text) == 3 or second.text[3] in ".,"))
        ):
            continue
        low, high = sorted((int(first.text), int(second.text[:3])))
        if high > 2 * low:
            return True
    return False


def has_clashing_repeat(mentions: Sequence[Mention]) -> bool:
    """True when two amounts are written back to back, each with its own currency, and they differ
    in both currency and value ("gastei 50 reais 30 euros"): not one price written twice, so
    :func:`merge_repeats` would drop one of them; the reader asks instead."""
    return any(
        prev.end == mention.start
        and prev.currency is not None
        and mention.currency is not None
        and prev.currency != mention.currency
        and prev.amount != mention.amount
        for prev, mention in itertools.pairwise(mentions)
    )


def merge_repeats(tokens: Sequence[Token], mentions: list[Mention]) -> list[Mention]:
    """Keep the first of amounts written back to back ("R$ 139,99 R$ 135,99", "205,68 € 205.68").

    A bare year before an amount ("IPVA 2025 1.200,00") is dropped instead.
    """
    out: list[Mention] = []
    for mention in mentions:
        prev = out[-1] if out else None
        if prev is None or not all(
            tokens[k].text in _BETWEEN_REPEATS for k in range(prev.end, mention.start)
        ):
            out.append(mention)
            continue
        if (
            prev.currency is None
            and prev.whole_number
            and 1900 <= prev.amount <= 2100
            and (mention.currency is not None or not mention.whole_number)
        ):
            out[-1] = mention
            continue
        if prev.currency is None:
            prev.currency = mention.currency
        prev.end = mention.end
    return out


def resolve_currency(currency: str | None, default_currency: str | None) -> tuple[str | None, bool]:
    """Turn a bare "$" into a dollar currency: (ISO code or None, whether it was ambiguous).

    "$" means ``default_currency`` when that is a dollar currency (USD, CAD, AUD, MXN, ...), else
    USD.
    """
    if currency != lx.BARE_DOLLAR:
        return currency, False
    base = (default_currency or "").upper()
    return (base if base in lx.DOLLAR_CURRENCIES else "USD"), True
