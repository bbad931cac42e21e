"""Reader: numbers that are not money — street addresses, durations, counting, counts of items, grades."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from financy.inference.text import Reading, ReadItem, read_message

TODAY = dt.date(2026, 11, 28)


def read(text: str, **kwargs: Any) -> Reading:
    return read_message(text, today=TODAY, **kwargs)


def only_item(text: str, **kwargs: Any) -> ReadItem:
    reading = read(text, **kwargs)
    assert reading.intent == "record", reading
    assert len(reading.items) == 1, reading.items
    return reading.items[0]


# --- street addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "amount", "merchant"),
    [
        ("almocei no restaurante da Av. Paulista 1578, 45 reais", "pt", "45", "restaurante"),
        ("almocei no restaurante da Av. Paulista 1578 45 reais", "pt", "45", "restaurante"),
        ("café na Rua Augusta, 200 por 12", "pt", "12", "café"),
        ("mercado na Alameda Santos 1200 paguei 230,50", "pt", "230.50", "mercado"),
        ("farmácia na R. Oscar Freire 900, 38,90", "pt", "38.90", "farmácia"),
        ("estacionamento na Av Brigadeiro Faria Lima 3477 25", "pt", "25", "estacionamento"),
        ("padaria da rua das Flores nº 45 gastei 18", "pt", "18", "padaria"),
        ("lunch at 221 Baker Street 15 dollars", "en", "15", "lunch"),
        ("coffee on 350 Fifth Avenue, 6.50", "en", "6.50", "coffee"),
        ("groceries 1200 Market St 80", "en", "80", "groceries"),
    ],
)
def test_a_house_number_is_not_the_amount(text: str, hint: str, amount: str, merchant: str) -> None:
    item = only_item(text, language_hint=hint)
    assert (item.amount, item.merchant) == (Decimal(amount), merchant)


def test_the_address_stays_in_the_description() -> None:
    item = only_item("almocei no restaurante da Av. Paulista 1578, 45 reais")
    assert item.description == "almocei no restaurante da Av. Paulista 1578"


def test_a_house_number_in_words_as_speech_writes_it() -> None:
    item = only_item("avenida paulista mil quinhentos e setenta e oito, quarenta e cinco reais")
    assert (item.amount, item.currency) == (Decimal(45), "BRL")


@pytest.mark.parametrize("text", ["Rua Augusta, 200", "Av. Paulista, nº 1578", "moro na Rua Augusta, 200"])
def test_an_address_alone_records_nothing(text: str) -> None:
    assert read(text).problem == "no_amount"


def test_a_street_without_its_name_before_a_price_is_no_address() -> None:
    # nothing names the street, so the number after the comma is the price
    assert only_item("comprei na rua, 30").amount == Decimal(30)
    # a lone number after a street's name, with no comma or nº, may be a fare
    assert only_item("uber pra av paulista 25").amount == Decimal(25)


# --- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "amount"),
    [
        ("esperei uns 40 minutos no uber, 23 reais", "pt", "23"),
        ("2 horas de estacionamento 15", "pt", "15"),
        ("estacionamento 2h 15", "pt", "15"),
        ("fiquei 3 horas no salão, 120", "pt", "120"),
        ("40min de espera, taxi 30", "pt", "30"),
        ("waited 40 minutes for the uber, 23 dollars", "en", "23"),
        ("parking 2 hours 15", "en", "15"),
        ("3 nights at the hotel 450", "en", "450"),
    ],
)
def test_a_duration_is_not_an_amount(text: str, hint: str, amount: str) -> None:
    assert only_item(text, language_hint=hint).amount == Decimal(amount)


# --- counting (a voice note testing the microphone) -------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("one, two, three", "en"),
        ("testing one two three", "en"),
        ("testing, one, two", "en"),
        ("um, dois, três, testando", "pt"),
        ("um dois três testando", "pt"),
        ("1, 2, 3, testando", "pt"),
        ("três, dois, um", "pt"),
        ("five four three two one", "en"),
    ],
)
def test_counting_is_not_an_expense(text: str, hint: str) -> None:
    reading = read(text, language_hint=hint)
    assert (reading.intent, reading.items, reading.problem) == ("unknown", (), "no_amount")


def test_counting_then_a_price_keeps_the_price() -> None:
    assert only_item("um, dois, três, testando... mercado 50").amount == Decimal(50)
    assert only_item("one two three, coffee 4", language_hint="en").amount == Decimal(4)


def test_numbers_that_do_not_count_in_steps_of_one_are_still_amounts() -> None:
    reading = read("uber 2, cinema 4")
    assert [item.amount for item in reading.items] == [Decimal(2), Decimal(4)]


# --- counts of items and instalments ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "amount", "installments"),
    [
        ("comprei 3 pizzas por 90", "pt", "90", None),
        ("2x coca 12", "pt", "12", None),
        ("2 x coca 12", "pt", "12", None),
        ("coca x2 12", "pt", "12", None),
        ("2 cafés 9,50", "pt", "9.50", None),
        ("1 kg de carne 45", "pt", "45", None),
        ("dozen eggs 6", "en", "6", None),
        ("2 x burger 30", "en", "30", None),
        ("3 beers 24", "en", "24", None),
        # instalments are still instalments
        ("3x de 50", "pt", "150", 3),
        ("3x sem juros 300", "pt", "300", 3),
        ("tenis 300 3x no cartao", "pt", "300", 3),
        ("geladeira 2500 em 10x", "pt", "2500", 10),
        ("parcelei 3x geladeira 2000", "pt", "2000", 3),  # a verb says instalments
        ("tv 1500 3x magalu", "pt", "1500", 3),  # after an amount, "3x" is how it was paid
    ],
)
def test_a_count_of_items_is_not_an_amount(
    text: str, hint: str, amount: str, installments: int | None
) -> None:
    item = only_item(text, language_hint=hint)
    assert (item.amount, item.installments) == (Decimal(amount), installments)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("2 cafés e 1 pão de queijo", "pt"),
        ("two large pizzas please", "en"),
        ("2 grandes pizzas", "pt"),
        ("comprei 2 pizzas e 1 refri", "pt"),
    ],
)
def test_a_list_of_counted_items_without_a_price_records_nothing(text: str, hint: str) -> None:
    assert read(text, language_hint=hint).problem == "no_amount"


def test_a_count_of_items_stays_in_the_description() -> None:
    item = only_item("2x coca 12")
    assert (item.merchant, item.description) == ("coca", "2x coca")


# --- grades -------------------------------------------------------------------------------------


def test_a_grade_is_not_an_amount() -> None:
    assert read("nota 10 pro atendimento").problem == "no_amount"
    assert read("rating 9 for the waiter", language_hint="en").problem == "no_amount"
    assert only_item("nota 10 pro atendimento, jantar 120").amount == Decimal(120)
    # more than ten after "nota" is a banknote or a price
    assert only_item("nota 50").amount == Decimal(50)


def test_consecutive_prices_in_digits_are_not_counting() -> None:
    # digits count only up to ten: "mercado 10 11 12" is prices (the first of back-to-back ones)
    assert only_item("mercado 10 11 12").amount == Decimal(10)
