"""Word lists the message reader matches against: categories, payment methods, currencies, cues.

Every key is *folded*: lower-case with diacritics removed ("farmácia" -> "farmacia"), because
users type with and without accents. Multi-word keys are single-space separated. The words live
in ``data/*.tsv`` beside this module (one row a word, with its ``source``; see
:mod:`financy.inference.tables`), read once at import; this module only gives them their shapes,
so the keyword category lexicon can later be swapped for a trained classifier without touching
the reader's logic.

The files: ``category_words.tsv`` (word -> category), ``category_words_by_language.tsv``,
``category_phrases.tsv``, ``category_names.tsv``, ``merchants.tsv``, ``payment_words.tsv``,
``payment_phrases.tsv``, ``not_payment_phrases.tsv``, ``currency_words.tsv`` (symbols, words,
prefix words, minor units and misspellings -> ISO code, by ``kind``), ``number_words.tsv``
(numbers, scales and multipliers -> value, by ``kind``) and ``word_lists.tsv`` (the word sets
below, by ``list``: the lower-cased name of the constant).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Final

from financy.inference.tables import SOURCE, read_table
from financy.inference.taxonomy import CATEGORY_SLUGS as TAXONOMY_SLUGS

_PACKAGE: Final = "financy.inference.text"


def _table(name: str, *columns: str) -> tuple[Mapping[str, str], ...]:
    """Rows of ``data/{name}.tsv``, whose header is ``columns`` then ``source``."""
    return read_table(_PACKAGE, f"data/{name}.tsv", (*columns, SOURCE))


def _pairs(name: str, key: str, value: str) -> dict[str, str]:
    return {row[key]: row[value] for row in _table(name, key, value)}


def _grouped(rows: Iterable[Mapping[str, str]], key: str, value: str) -> dict[str, tuple[str, ...]]:
    """``key`` -> its ``value`` fields, both in file order."""
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row[value])
    return {name: tuple(values) for name, values in grouped.items()}


@cache
def _word_lists() -> dict[str, tuple[str, ...]]:
    return _grouped(_table("word_lists", "list", "word"), "list", "word")


def _words(name: str) -> tuple[str, ...]:
    """The words of list ``name`` in ``word_lists.tsv``, in file order."""
    return _word_lists()[name]


def _currencies(kind: str) -> dict[str, str]:
    rows = _table("currency_words", "kind", "text", "currency")
    return {row["text"]: row["currency"] for row in rows if row["kind"] == kind}


def _numbers(kind: str) -> dict[str, int]:
    rows = _table("number_words", "kind", "word", "value")
    return {row["word"]: int(row["value"]) for row in rows if row["kind"] == kind}


# --- categories (DESIGN §4 slugs) -------------------------------------------------------------

CATEGORY_SLUGS: Final = frozenset(TAXONOMY_SLUGS)

_CATEGORY_WORDS: Final[dict[str, tuple[str, ...]]] = _grouped(
    _table("category_words", "category", "word"), "category", "word"
)

#: folded word -> category slug (both languages).
CATEGORY_BY_WORD: Final[dict[str, str]] = {
    word: slug for slug, words in _CATEGORY_WORDS.items() for word in words
}

#: (folded word, language) -> slug, for words whose meaning differs by language ("gas": fuel in
#: English, cooking gas in Portuguese). Checked before :data:`CATEGORY_BY_WORD`.
CATEGORY_BY_WORD_AND_LANGUAGE: Final[dict[tuple[str, str], str]] = {
    (row["word"], row["language"]): row["category"]
    for row in _table("category_words_by_language", "word", "language", "category")
}

# folded multi-word phrases -> slug (with merchant names, see CATEGORY_BY_PHRASE below).
_CATEGORY_PHRASES: Final[dict[str, str]] = _pairs("category_phrases", "phrase", "category")

INCOME_CATEGORIES: Final = frozenset({"salary", "other_income"})

# --- payment methods --------------------------------------------------------------------------

#: folded word -> payment method. "cartao"/"card" alone mean credit; a debit word nearby wins.
PAYMENT_BY_WORD: Final[dict[str, str]] = _pairs("payment_words", "word", "method")

# --- transaction kind cues --------------------------------------------------------------------

#: verbs that make a message income, whatever else it says ("recebi o reembolso").
INCOME_VERBS: Final = frozenset(_words("income_verbs"))

#: nouns that make a message income unless an expense verb says otherwise ("salário 5000" is
#: income, "paguei o salário da diarista" is not).
INCOME_NOUNS: Final = frozenset(_words("income_nouns"))

#: verbs that make a message an expense.
EXPENSE_VERBS: Final = frozenset(_words("expense_verbs"))

#: folded phrases that make a message income ("got paid", but "paid" alone is an expense).
INCOME_PHRASES: Final = _words("income_phrases")

#: verbs that make a message a transfer between people or accounts.
TRANSFER_WORDS: Final = frozenset(_words("transfer_words"))

# --- currencies -------------------------------------------------------------------------------

#: folded currency symbols as tokenised -> ISO code; "$" is the bare, ambiguous dollar sign.
CURRENCY_BY_SYMBOL: Final[dict[str, str]] = _currencies("symbol")

BARE_DOLLAR: Final = "$"
CENT_SIGN: Final = "¢"

#: folded currency words written after (or, for codes, before) a number -> ISO code.
CURRENCY_BY_WORD: Final[dict[str, str]] = _currencies("word")

#: folded words that are a currency only right before a number ("RM 25" is 25 ringgit).
CURRENCY_BY_PREFIX_WORD: Final[dict[str, str]] = _currencies("prefix_word")

#: words saying a "¥" is the Chinese yuan, not the Japanese yen.
YUAN_WORDS: Final = frozenset(_words("yuan_words"))

#: folded minor-unit words -> the major currency they are hundredths of; "$" means "the dollar
#: currency in context" (see :data:`DOLLAR_CURRENCIES`).
MINOR_UNIT_BY_WORD: Final[dict[str, str]] = _currencies("minor_unit")

#: misspellings of currency words right after a number ("18 reias", "25 euors") -> ISO code.
MISSPELT_CURRENCY_BY_WORD: Final[dict[str, str]] = _currencies("misspelling")

#: currency words a word right after a number may be a typo of (one edit away, same first
#: letter, not a word we know): "reaus" -> "reais". Only long words of the everyday currencies,
#: so "back" is never "buck" nor "pilha" "pila".
FUZZY_CURRENCY_WORDS: Final = frozenset(_words("fuzzy_currency_words"))

#: three-letter codes taken even when typed in lower case (common, and not everyday words).
COMMON_CURRENCY_CODES: Final = frozenset(_words("common_currency_codes"))

#: currencies written with a bare "$": a "$" means the context's base currency when it is one of
#: these, else USD.
DOLLAR_CURRENCIES: Final = frozenset(_words("dollar_currencies"))

#: multipliers written after a number ("10k", "1,5 mil", "2 million"). "trilhao" is there so that
#: "1 trilhão" asks (out of range), never reads as "1".
MULTIPLIER_BY_WORD: Final[dict[str, int]] = _numbers("multiplier")

# --- words around numbers that say "not money" ------------------------------------------------

#: units written after a number: a quantity, not a price.
UNIT_WORDS: Final = frozenset(_words("unit_words"))

#: label words naming a room or a flat: a grouped number after them ("apartamento 1.500") is money.
ROOM_LABEL_WORDS: Final = frozenset(_words("room_label_words"))

#: words a number right after is a label, not a price ("apartamento 302", "pedido 1234").
LABEL_WORDS: Final = frozenset(_words("label_words"))

#: street words before a street's name: the number after the name is a house number ("Av.
#: Paulista 1578", "Rua Augusta, 200"); the abbreviations count only with their dot ("R. Augusta").
STREET_WORDS: Final = frozenset(_words("street_words"))
STREET_ABBREVIATIONS: Final = frozenset(_words("street_abbreviations"))
#: English street words after the name: the number before the name is a house number ("221
#: Baker Street").
STREET_SUFFIXES: Final = frozenset(_words("street_suffixes"))
#: words between a street's name and its house number ("Rua Augusta nº 200", "número 200").
HOUSE_NUMBER_MARKERS: Final = frozenset(_words("house_number_markers"))

#: words a small number after is a grade, not a price ("nota 10 pro atendimento").
RATING_WORDS: Final = frozenset(_words("rating_words"))

#: words after "3x" that keep it instalments ("3x sem juros"); another noun makes it a count
#: of items ("2x coca 12").
INSTALMENT_WORDS: Final = frozenset(_words("instalment_words"))
#: verbs before "3x" that make it instalments whatever follows ("parcelei 3x geladeira 2000").
INSTALMENT_VERBS: Final = frozenset(_words("instalment_verbs"))

#: words before a date that make it the day a bill is (or was) due, not the day it was paid
#: ("venceu dia 5, paguei hoje"); the past ones say the due day is behind.
DUE_WORDS: Final = frozenset(_words("due_words"))
DUE_PAST_WORDS: Final = frozenset(_words("due_past_words"))

#: words before an hour that make it a time of day ("às 8", "at 9h", "pelas 20h").
TIME_CUE_WORDS: Final = frozenset(_words("time_cue_words"))
#: folded phrases for 12:00 and 00:00, and the parts of the day that say am or pm ("8 da noite").
NOON_WORDS: Final = _words("noon_words")
MIDNIGHT_WORDS: Final = _words("midnight_words")
AM_PERIOD_WORDS: Final = frozenset(_words("am_period_words"))
PM_PERIOD_WORDS: Final = frozenset(_words("pm_period_words"))

#: plural-looking words that are not counted nouns (so "23 bus" is still a price).
NOT_PLURAL_NOUNS: Final = frozenset(_words("not_plural_nouns"))

# --- function words ---------------------------------------------------------------------------

#: function words (pt, then en), never a merchant; "ha" too ("há 3 dias"), even when the date
#: around it is not read.
STOPWORDS: Final = frozenset(_words("stopwords"))

#: verbs that introduce a transaction; stripped from merchants and descriptions.
VERBS: Final = frozenset(_words("verbs"))

#: nouns too general to be a merchant ("um gasto de 30", "paguei a conta").
GENERIC_NOUNS: Final = frozenset(_words("generic_nouns"))

#: prepositions after which the next noun is the place the money went ("no mercado", "at Target").
PLACE_PREPOSITIONS: Final = frozenset(_words("place_prepositions"))

#: words joining consecutive transactions in one message ("uber 23 e almoço 35").
ITEM_SEPARATOR_WORDS: Final = frozenset(_words("item_separator_words"))
ITEM_SEPARATOR_PUNCT: Final = frozenset({",", ";", "+", "&", "|", "\n"})

#: words before an amount that make it a bound, not an amount ("less than 7 EUR").
COMPARATOR_PHRASES: Final = tuple(tuple(phrase.split(" ")) for phrase in _words("comparator_phrases"))
COMPARATOR_SYMBOLS: Final = frozenset(_words("comparator_symbols"))
#: pt "até 20 reais" (up to); only in Portuguese, since "ate" is also English "ate".
COMPARATOR_PT_ONLY: Final = frozenset(_words("comparator_pt_only"))

#: words introducing an interval ("between 10 and 20", "entre 10 e 20").
RANGE_OPENERS: Final = frozenset(_words("range_openers"))
RANGE_JOINERS: Final = frozenset(_words("range_joiners"))

#: words saying an amount is approximate; it is still recorded, with lower confidence.
APPROXIMATE_WORDS: Final = frozenset(_words("approximate_words"))

# --- numbers in words -------------------------------------------------------------------------

#: folded number words -> value. "cem"/"cento" and the pt hundreds are 100..900; en "hundred" is a
#: multiplier handled by the parser.
NUMBER_WORDS: Final[dict[str, int]] = _numbers("number")
#: English "hundred" multiplies what precedes it ("two hundred").
HUNDRED_WORDS: Final = frozenset(_words("hundred_words"))
#: scale words inside a number phrase ("dois mil", "two thousand").
SCALE_WORDS: Final[dict[str, int]] = _numbers("scale")
#: words joining parts of one number ("cento e vinte", "one hundred and five").
NUMBER_JOINERS: Final = frozenset(_words("number_joiners"))
#: articles that mean "one" only before a scale or currency word ("a hundred", "a buck").
ONE_ARTICLES: Final = frozenset(_words("one_articles"))

# --- language scoring -------------------------------------------------------------------------

PT_WORDS: Final = frozenset(_words("pt_words"))

EN_WORDS: Final = frozenset(_words("en_words"))

PT_STRONG_CHARS: Final = frozenset("ãõç")
PT_WEAK_CHARS: Final = frozenset("áéíóúâêôà")

# --- category names, merchants and payment phrases (entity ruler, questions, corrections) -------

#: names people give a category when they ask about it or correct one ("lazer", "cuidados
#: pessoais", "eating out"); folded. Used for questions and "muda pra ..." corrections, on top of
#: :data:`CATEGORY_BY_WORD` and :data:`CATEGORY_BY_PHRASE`. Words here that are too general to
#: categorise a transaction on their own ("casa", "contas", "outros") are deliberately not in
#: :data:`CATEGORY_BY_WORD`.
CATEGORY_BY_NAME: Final[dict[str, str]] = {
    **{slug.replace("_", " "): slug for slug in CATEGORY_SLUGS},
    **_pairs("category_names", "name", "category"),
}

#: folded merchants whose name is more than one word -> the category their purchases go to.
#: Longer names win over their words: "uber eats" is food, not a ride; "whole foods" is
#: groceries, not "foods".
MERCHANT_BY_NAME: Final[dict[str, str]] = _pairs("merchants", "name", "category")

#: single category words that name a merchant (a brand), not a kind of spending: a question
#: "quanto gastei no uber?" asks about that merchant, "quanto gastei com mercado?" about a category.
BRAND_WORDS: Final = frozenset(_words("brand_words"))

#: folded payment phrases -> payment method (the words alone are in :data:`PAYMENT_BY_WORD`).
PAYMENT_BY_PHRASE: Final[dict[str, str]] = _pairs("payment_phrases", "phrase", "method")

#: folded phrases that contain a payment word but name what was bought: inside them the word is
#: not how it was paid ("gift card 50" is a present, "taxa de transferência" a fee).
NOT_PAYMENT_PHRASES: Final[dict[str, str]] = _pairs("not_payment_phrases", "phrase", "category")

#: folded multi-word phrases (merchant names included) -> slug; they win over their single words
#: ("mercado livre" is a shop, "uber eats" food, "gift card" a present).
CATEGORY_BY_PHRASE: Final[dict[str, str]] = {**_CATEGORY_PHRASES, **MERCHANT_BY_NAME, **NOT_PAYMENT_PHRASES}

# --- language cues ----------------------------------------------------------------------------

#: words that settle the language on their own (with the keyword score on their side, the
#: statistical detector may not overturn them): verbs of spending and currency names.
PT_STRONG_WORDS: Final = frozenset(_words("pt_strong_words"))
EN_STRONG_WORDS: Final = frozenset(_words("en_strong_words"))
