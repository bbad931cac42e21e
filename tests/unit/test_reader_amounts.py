"""Reader amounts: formats, decimal separators, currencies, words, ranges, numbers that are not money."""

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


@pytest.mark.parametrize(
    ("text", "hint", "amount", "currency"),
    [
        ("45,90", "pt", "45.90", None),
        ("1.234,56", "pt", "1234.56", None),
        ("1,234.56", "en", "1234.56", None),
        ("1,234.56", "pt", "1234.56", None),
        ("12.5", "pt", "12.5", None),
        ("R$45", "pt", "45", "BRL"),
        ("R$ 45", "pt", "45", "BRL"),
        ("45 reais", "pt", "45", "BRL"),
        ("1 real", "pt", "1", "BRL"),
        ("US$ 20", "pt", "20", "USD"),
        ("20 dólares", "pt", "20", "USD"),
        ("20 dolares", "pt", "20", "USD"),
        ("€3", "pt", "3", "EUR"),
        ("3 euros", "pt", "3", "EUR"),
        ("20 Euro", "pt", "20", "EUR"),
        ("EUR 20", "en", "20", "EUR"),
        ("GBP3,01", "pt", "3.01", "GBP"),
        ("£9", "en", "9", "GBP"),
        ("5 pounds", "en", "5", "GBP"),
        ("$10.000", "pt", "10000", "USD"),
        ("$10,000", "en", "10000", "USD"),
        ("$10k", "en", "10000", "USD"),
        ("$10K", "en", "10000", "USD"),
        ("2k", "pt", "2000", None),
        ("1,5 mil", "pt", "1500", None),
        ("2 mil reais", "pt", "2000", "BRL"),
        ("3.14US$", "en", "3.14", "USD"),
        ("$20 and 43c", "en", "20.43", "USD"),
        ("20 dollar 43c", "en", "20.43", "USD"),
        ("twenty dollar 43 cents", "en", "20.43", "USD"),
        ("3 GBP 1 pence", "en", "3.01", "GBP"),
        ("one dollar", "en", "1", "USD"),
        ("ten dollars", "en", "10", "USD"),
        ("ten pennies", "en", "0.10", "USD"),
        ("10 c", "en", "0.10", "USD"),
        ("around 42 bucks", "en", "42", "USD"),
        ("205,68 € 205.68", None, "205.68", "EUR"),
        ("€ 610,", None, "610", "EUR"),
        ("9.990,00 €", None, "9990", "EUR"),
        ("R$ 139,99 R$ 135,99", "pt", "139.99", "BRL"),
        ("R$ 1.500,00", "pt", "1500", "BRL"),
        ("gastei 30 reais e 50 centavos", "pt", "30.50", "BRL"),
        ("50 centavos", "pt", "0.50", "BRL"),
        ("50 pence", "en", "0.50", "GBP"),
        ("6.80$ SGD lunch", "en", "6.80", "SGD"),
        ("５０ reais", "pt", "50", "BRL"),
    ],
)
def test_amount_formats(text: str, hint: str | None, amount: str, currency: str | None) -> None:
    item = only_item(text, language_hint=hint, default_currency="BRL")
    assert (item.amount, item.currency) == (Decimal(amount), currency)


def test_amount_keeps_the_written_scale() -> None:
    assert str(only_item("45,90").amount) == "45.90"
    assert str(only_item("ten pennies", language_hint="en").amount) == "0.10"
    assert str(only_item("1,5 mil").amount) == "1500"


@pytest.mark.parametrize("text", ["R$0", "gastei 0 reais", "0"])
def test_zero_is_not_recordable(text: str) -> None:
    assert read(text) == Reading("pt", "unknown", (), 0.0, "no_amount")


@pytest.mark.parametrize(("text", "amount"), [("-50", 50), ("gastei -30", 30), ("R$ -20 mercado", 20)])
def test_negative_amount_is_money_out(text: str, amount: int) -> None:
    """A minus sign is read as its magnitude, still an expense, with lower confidence."""
    reading = read(text)
    unsigned = read(text.replace("-", ""))
    assert [(i.kind, i.amount) for i in reading.items] == [("expense", Decimal(amount))]
    assert reading.items[0] == unsigned.items[0]
    assert reading.confidence == min(round(unsigned.confidence - 0.15, 2), 0.45)  # asked, not recorded


def test_a_hyphen_between_words_is_not_a_minus() -> None:
    assert only_item("uber - 23").amount == Decimal(23)


@pytest.mark.parametrize(
    "text",
    [
        "between 10 and 20 dollars",
        "about $10-$20",
        "less than 7 EUR",
        "entre 10 e 20 reais",
        "de 10 a 20 reais",
        "10 a 20 reais",
        "mais de 50 reais",
        "até 20 reais",
        "at least $5",
        "up to 30 euros",
        "10 or 20 dollars",
    ],
)
def test_ranges_and_bounds_are_ambiguous(text: str) -> None:
    reading = read(text)
    assert (reading.intent, reading.items, reading.problem) == ("unknown", (), "ambiguous_amount")


# --- the decimal separator, by evidence --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "amount"),
    [
        ("1.234", "pt", "1234"),
        ("1.234", "en", "1.234"),
        ("1,234", "en", "1234"),
        ("1,234", "pt", "1.234"),
        ("1,5", "pt", "1.5"),
        ("1,5", "en", "1.5"),
        ("45,90", "en", "45.90"),
        ("12.5", "pt", "12.5"),
        ("$10.000", "en", "10000"),
        ("$10,000", "pt", "10000"),
        ("1.234.567", "en", "1234567"),
        ("1,234,567.8", "pt", "1234567.8"),
    ],
)
def test_decimal_separator_by_evidence(text: str, hint: str, amount: str) -> None:
    assert only_item(text, language_hint=hint).amount == Decimal(amount)


def test_invalid_grouping_is_not_a_number() -> None:
    assert read("1.23.45").problem == "no_amount"


# --- currencies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("default_currency", "expected"),
    [
        ("CAD", "CAD"),
        ("AUD", "AUD"),
        ("mxn", "MXN"),
        ("USD", "USD"),
        ("BRL", "USD"),
        ("EUR", "USD"),
        (None, "USD"),
    ],
)
def test_bare_dollar_resolves_to_the_context_dollar(default_currency: str | None, expected: str) -> None:
    assert only_item("$10", default_currency=default_currency).currency == expected
    assert only_item("10 c", language_hint="en", default_currency=default_currency).currency == expected


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("R$ 10", "BRL"),
        ("10 reais", "BRL"),
        ("1 real", "BRL"),
        ("10 centavos", "BRL"),
        ("€ 10", "EUR"),
        ("10 euros", "EUR"),
        ("10 euro", "EUR"),
        ("EUR 10", "EUR"),
        ("£ 10", "GBP"),
        ("10 GBP", "GBP"),
        ("10 pounds", "GBP"),
        ("10 pound", "GBP"),
        ("10 pence", "GBP"),
        ("US$ 10", "USD"),
        ("USD 10", "USD"),
        ("10 dólares", "USD"),
        ("10 dólar", "USD"),
        ("10 dollars", "USD"),
        ("10 bucks", "USD"),
        ("¥1000", "JPY"),
        ("C$ 10", "CAD"),
    ],
)
def test_currency_words_and_symbols(text: str, currency: str) -> None:
    assert only_item(text, default_currency="CAD").currency == currency


@pytest.mark.parametrize(("text", "currency"), [("20 CHF", "CHF"), ("JPY 1000", "JPY"), ("eur 20", "EUR")])
def test_iso_codes_babel_knows(text: str, currency: str) -> None:
    assert only_item(text).currency == currency


def test_unknown_code_next_to_a_number_is_passed_through() -> None:
    item = only_item("10 XYZ")
    assert (item.amount, item.currency) == (Decimal(10), "XYZ")


def test_capital_words_of_our_own_are_not_codes() -> None:
    item = only_item("PAGUEI 50 PRA ANA")
    assert (item.amount, item.currency, item.merchant) == (Decimal(50), None, "ana")


def test_no_currency_named_gives_none_whatever_the_default() -> None:
    assert only_item("gastei 45,90 no mercado", default_currency="BRL").currency is None
    assert only_item("paid 12 for lunch", default_currency="USD").currency is None


# --- numbers in words -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "amount", "currency"),
    [
        ("quarenta e cinco e noventa", "pt", "45.90", None),
        ("cento e vinte reais", "pt", "120", "BRL"),
        ("dois mil e quinhentos reais", "pt", "2500", "BRL"),
        ("mil reais", "pt", "1000", "BRL"),
        ("um real", "pt", "1", "BRL"),
        ("café 3 reais e setenta e cinco", "pt", "3.75", "BRL"),
        ("vinte reais e cinquenta centavos", "pt", "20.50", "BRL"),
        ("twelve fifty", "en", "12.50", None),
        ("one dollar", "en", "1", "USD"),
        ("a buck", "en", "1", "USD"),
        ("ten dollars", "en", "10", "USD"),
        ("twenty dollar 43 cents", "en", "20.43", "USD"),
        ("twenty-five bucks", "en", "25", "USD"),
        ("two thousand five hundred dollars", "en", "2500", "USD"),
        ("one hundred and five dollars", "en", "105", "USD"),
        ("a hundred dollars", "en", "100", "USD"),
    ],
)
def test_numbers_in_words(text: str, hint: str, amount: str, currency: str | None) -> None:
    item = only_item(text, language_hint=hint)
    assert (item.amount, item.currency) == (Decimal(amount), currency)


def test_article_one_is_not_an_amount() -> None:
    assert only_item("Comprei um lanche por 25,50").amount == Decimal("25.50")
    assert read("Peguei um Uber").problem == "no_amount"
    assert read("the blue one", language_hint="en").problem == "no_amount"


# --- numbers that are not money ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2 pizzas",
        "dois cafés",
        "apartamento 302",
        "123.456.789-09",
        "(11) 98765-4321",
        "+55 11 98765-4321",
        "01310-100",
        "28/11",
        "5/11",
        "14:30",
        "14h30",
        "3x",
        "em 3x",
        "10%",
        "1º",
        "pedido 12345",
        "50 litros",
        "2 horas",
        "código 007",
        "12345678901",
        "cartão final 4321",
    ],
)
def test_a_lone_non_money_number_gives_no_amount(text: str) -> None:
    assert read(text).problem == "no_amount"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("2 pizzas 50", "50"),
        ("1 pizza 50", "50"),
        ("comprei 2 cafés por 12", "12"),
        ("comprei 3 remédios 45", "45"),
        ("apartamento 302 aluguel 1500", "1500"),
        ("CPF 123.456.789-09 paguei 50", "50"),
        ("liguei (11) 98765-4321 e paguei 30", "30"),
        ("às 14:30 almoço 45", "45"),
        ("dia 28/11 mercado 80", "80"),
        ("50 litros gasolina 300", "300"),
        ("IPVA 2025 1.200,00", "1200"),
        ("gastei 20 em 2024", "20"),
        ("pedido 12345678 frete 30", "30"),
        ("10% de desconto, paguei 90", "90"),
    ],
)
def test_non_money_numbers_next_to_an_amount(text: str, amount: str) -> None:
    assert only_item(text).amount == Decimal(amount)


def test_a_count_is_kept_in_the_description() -> None:
    item = only_item("2 pizzas 50")
    assert (item.amount, item.merchant, item.description, item.category) == (
        Decimal(50),
        "pizzas",
        "2 pizzas",
        "restaurants",
    )


def test_a_plural_category_word_after_a_price_is_not_a_count() -> None:
    item = only_item("last saturday 40 groceries")
    assert (item.amount, item.category) == (Decimal(40), "groceries")


def test_two_back_to_back_amounts_are_one_price() -> None:
    reading = read("mercado 120 130")
    assert [i.amount for i in reading.items] == [Decimal(120)]


@pytest.mark.parametrize(
    ("text", "amount", "currency", "merchant"),
    [
        ("6 reais e 80 de pastel", "6.80", "BRL", "pastel"),
        ("pastel 5 e 50", "5.50", None, "pastel"),
        ("3 e 20 de bala", "3.20", None, "bala"),
        ("gastei 12 e 90", "12.90", None, None),
    ],
)
def test_spoken_reais_and_centavos_in_digits(
    text: str, amount: str, currency: str | None, merchant: str | None
) -> None:
    item = only_item(text)
    assert (item.amount, item.currency, item.merchant) == (Decimal(amount), currency, merchant)


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("taxi 30 e jantar 80", [Decimal(30), Decimal(80)]),
        ("padaria 45 e 20 de remédio", [Decimal(45), Decimal(20)]),
        ("lanche 3 e 5", [Decimal(3), Decimal(5)]),  # one digit: not centavos
    ],
)
def test_n_e_m_that_stays_two_amounts(text: str, amounts: list[Decimal]) -> None:
    assert [i.amount for i in read(text).items] == amounts


def test_spoken_cents_do_not_hide_a_range() -> None:
    assert read("entre 10 e 20 no bar").problem == "ambiguous_amount"


def test_dollars_and_cents_still_join() -> None:
    item = only_item("5 dollars and 25 cents", language_hint="en")
    assert (item.amount, item.currency) == (Decimal("5.25"), "USD")


def test_grouped_number_after_apartamento_is_money() -> None:
    item = only_item("recebi 2.300 do aluguel do apartamento", language_hint="pt")
    assert (item.amount, item.kind) == (Decimal(2300), "income")
    item = only_item("condomínio apartamento 1.250,00")
    assert item.amount == Decimal("1250.00")


def test_apartment_number_is_still_a_label() -> None:
    assert only_item("condomínio apto 302 850").amount == Decimal(850)
    assert read("apartamento 1201").problem == "no_amount"


@pytest.mark.parametrize(
    ("text", "amount"),
    [("99 pra faculdade 21,40", "21.40"), ("99 para o aeroporto 48", "48")],
)
def test_the_ride_app_before_pra_is_the_merchant(text: str, amount: str) -> None:
    item = only_item(text)
    assert (item.amount, item.merchant, item.category) == (Decimal(amount), "99", "transport")


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("120 massage THB", "120", "THB"),
        ("tuk tuk 80 baht", "80", "THB"),
        ("RM 12 teh tarik", "12", "MYR"),
        ("RM8.50 roti", "8.50", "MYR"),
        ("S$ 15 chicken rice", "15", "SGD"),
        ("HK$ 40 dim sum", "40", "HKD"),
        ("NT$ 90 bubble tea", "90", "TWD"),
        ("¥ 1200 sushi", "1200", "JPY"),
        ("¥ 35 yuan dumplings", "35", "CNY"),
        ("noodles 28 rmb", "28", "CNY"),
        ("₹ 250 auto rickshaw", "250", "INR"),
        ("₩ 9000 bibimbap", "9000", "KRW"),
    ],
)
def test_asian_currencies(text: str, amount: str, currency: str) -> None:
    item = only_item(text, language_hint="en")
    assert (item.amount, item.currency) == (Decimal(amount), currency)


def test_lower_case_rm_with_a_space_is_not_ringgit() -> None:
    assert only_item("arquivo rm 20").currency is None


def test_a_trailing_word_that_is_a_rare_code_is_not_a_currency() -> None:
    assert only_item("uber 20 e ALL").currency is None
