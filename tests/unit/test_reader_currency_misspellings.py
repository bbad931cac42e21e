"""Reader: currency words misspelt right after a number ("18 reias", "dolars", "25 euors")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from financy.inference.text import ReadItem, read_message
from financy.inference.text.money import misspelt_currency
from financy.inference.text.normalize import tokenize

TODAY = dt.date(2026, 11, 28)


def only_item(text: str, **kwargs: Any) -> ReadItem:
    reading = read_message(text, today=TODAY, **kwargs)
    assert reading.intent == "record", reading
    assert len(reading.items) == 1, reading.items
    return reading.items[0]


@pytest.mark.parametrize(
    ("text", "hint", "amount", "currency"),
    [
        ("18 reias", "pt", "18", "BRL"),
        ("almoço 32 reaus", "pt", "32", "BRL"),
        ("uber 15 reas", "pt", "15", "BRL"),
        ("paguei 50 reals no mercado", "pt", "50", "BRL"),
        ("cinema 40 reiais", "pt", "40", "BRL"),
        ("gastei 30 dolares na amazon", "pt", "30", "USD"),
        ("gastei 40 doláres", "pt", "40", "USD"),
        ("paguei 25 dolars no hotel", "pt", "25", "USD"),
        ("paid 20 dolars for the taxi", "en", "20", "USD"),
        ("hotel 90 dollers", "en", "90", "USD"),
        ("museum 14 dollrs", "en", "14", "USD"),
        ("25 euors for the museum", "en", "25", "EUR"),
        ("lunch 12 eruos", "en", "12", "EUR"),
        ("jantar 60 eurso", "pt", "60", "EUR"),
    ],
)
def test_a_misspelt_currency_word_gives_its_currency(
    text: str, hint: str, amount: str, currency: str
) -> None:
    item = only_item(text, language_hint=hint)
    assert (item.amount, item.currency) == (Decimal(amount), currency)


def test_the_misspelt_word_is_neither_merchant_nor_description() -> None:
    item = only_item("almoço 32 reaus")
    assert (item.merchant, item.description) == ("almoço", "almoço")


@pytest.mark.parametrize(
    ("text", "amount", "merchant"),
    [
        ("2 colares 50", "50", "colares"),  # necklaces, one letter from "dólares"
        ("comprei 4 pilhas 20", "20", "pilhas"),  # batteries, not "pilas"
        ("paguei 50 conta de luz", "50", "luz"),  # "conta", not "conto"
        ("got 20 back", "20", "back"),  # not "bucks"
    ],
)
def test_ordinary_words_next_to_a_number_are_not_currencies(text: str, amount: str, merchant: str) -> None:
    item = only_item(text)
    assert (item.amount, item.currency, item.merchant) == (Decimal(amount), None, merchant)


@pytest.mark.parametrize(
    ("word", "currency"),
    [
        ("reias", "BRL"),  # listed
        ("reaus", "BRL"),
        ("reeais", "BRL"),  # one letter added
        ("dollr", "USD"),  # one letter dropped
        ("dolaers", "USD"),
        ("euors", "EUR"),  # two letters swapped
        ("euroos", "EUR"),
        ("mercado", None),
        ("reino", None),
        ("colares", None),  # another first letter
        ("litros", None),  # a unit
        ("reis", "BRL"),  # "reais" without its "a"
    ],
)
def test_misspelt_currency(word: str, currency: str | None) -> None:
    (token,) = tokenize(word)
    assert misspelt_currency(token) == currency
