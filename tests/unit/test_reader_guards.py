"""Reader guards: what the reader must ask about instead of inventing an amount or a date.

The product rule: never invent an amount or a date; when unsure, record nothing and return a
``problem`` key so the bot asks ("ambiguous_amount", "ambiguous_date", "amount_too_small",
"amount_out_of_range"). Also: space-grouped thousands, one date per item, and a seeded fuzz.
``TODAY`` is Saturday 28 November 2026.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from financy.inference.text import MAX_ITEMS, Reading, ReadItem, read_message

TODAY = dt.date(2026, 11, 28)


def read(text: str, **kwargs: Any) -> Reading:
    return read_message(text, today=TODAY, **kwargs)


def asks(problem: str, language: str = "pt") -> Reading:
    return Reading(language, "unknown", (), 0.0, problem)


def expense(amount: str, **fields: Any) -> ReadItem:
    values: dict[str, Any] = {
        "kind": "expense",
        "amount": Decimal(amount),
        "currency": None,
        "occurred_on": None,
        "days_ago": None,
        "merchant": None,
        "description": None,
        "category": None,
        "payment_method": None,
        "installments": None,
    }
    values.update(fields)
    return ReadItem(**values)


BAR = {"merchant": "bar", "description": "bar", "category": "restaurants"}


# --- 1. thousands grouped by spaces -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "gastei 1 234,56 no bar",
        "gastei 1\u00a0234,56 no bar",  # no-break space
        "gastei 1\u202f234,56 no bar",  # narrow no-break space
        "gastei 1\u2009234,56 no bar",  # thin space
    ],
)
def test_space_grouped_thousands_are_one_amount(text: str) -> None:
    assert read(text) == Reading("pt", "record", (expense("1234.56", **BAR),), 0.85, None)


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("gastei 1 234 567,89", "1234567.89", None),
        ("spent 12 345.67", "12345.67", None),
        ("gastei 1\u00a0500 no bar", "1500", None),  # a formatter's space needs no decimals
        ("R$\u00a01\u00a0234,56", "1234.56", "BRL"),
    ],
)
def test_more_space_grouped_amounts(text: str, amount: str, currency: str | None) -> None:
    reading = read(text)
    assert [(i.amount, i.currency) for i in reading.items] == [(Decimal(amount), currency)]


def test_short_numbers_next_to_each_other_are_still_separate() -> None:
    assert [i.amount for i in read("uber 23 e almoço 35").items] == [Decimal(23), Decimal(35)]
    assert [(i.amount, i.description) for i in read("2 pizzas 50").items] == [(Decimal(50), "2 pizzas")]
    assert [i.amount for i in read("mercado 120 130").items] == [Decimal(120)]


def test_a_day_before_an_amount_is_not_a_thousands_group() -> None:
    reading = read("dia 5 100,00")
    assert [(i.amount, i.occurred_on) for i in reading.items] == [(Decimal("100.00"), dt.date(2026, 11, 5))]


@pytest.mark.parametrize("text", ["gastei 1 500 no bar", "R$ 1 500", "1 500 reais", "gastei 1 234,5678"])
def test_a_plain_space_that_may_group_thousands_asks(text: str) -> None:
    """Without decimals or a formatter's space, "1 500" may be 1500 or 1 and 500: ask."""
    assert read(text) == asks("ambiguous_amount")


# --- 2. one date per item ---------------------------------------------------------------------


def test_each_item_keeps_its_own_date() -> None:
    assert read("almoço 35 ontem e uber 20 anteontem") == Reading(
        "pt",
        "record",
        (
            expense("35", days_ago=1, merchant="almoço", description="almoço", category="restaurants"),
            expense("20", days_ago=2, merchant="uber", description="uber", category="transport"),
        ),
        0.8,
        None,
    )


def test_one_date_for_the_message_applies_to_every_item() -> None:
    reading = read("almoço 35 e uber 20 ontem")
    assert [(i.amount, i.days_ago) for i in reading.items] == [(Decimal(35), 1), (Decimal(20), 1)]
    reading = read("ontem almoço 35 e uber 20")
    assert [(i.amount, i.days_ago) for i in reading.items] == [(Decimal(35), 1), (Decimal(20), 1)]


def test_a_heading_date_carries_forward_and_a_trailing_one_backward() -> None:
    reading = read("ontem almoço 35, uber 20, hoje cinema 40")
    assert [(i.amount, i.days_ago) for i in reading.items] == [
        (Decimal(35), 1),
        (Decimal(20), 1),
        (Decimal(40), 0),
    ]
    reading = read("almoço 35, uber 20 ontem, cinema 40 hoje")
    assert [(i.amount, i.days_ago) for i in reading.items] == [
        (Decimal(35), 1),
        (Decimal(20), 1),
        (Decimal(40), 0),
    ]


def test_an_item_between_two_dates_it_cannot_take_asks() -> None:
    assert read("uber 20 hoje, almoço 35, ontem cinema 40") == asks("ambiguous_date")


# --- 3. instalments are counts, never a second amount ------------------------------------------


@pytest.mark.parametrize(
    "text", ["gastei 1000 em 999x", "gastei 1000 em 73x", "em 0x 30", "1000 em 100 parcelas"]
)
def test_instalments_out_of_range_ask(text: str) -> None:
    assert read(text) == asks("ambiguous_amount")


def test_the_most_instalments_read() -> None:
    assert read("gastei 1000 em 72x") == Reading(
        "pt", "record", (expense("1000", installments=72),), 0.65, None
    )


# --- 4. scientific notation and degenerate dates ----------------------------------------------


@pytest.mark.parametrize("text", ["gastei 1e5", "gastei 2.5e-3", "paid 1E5"])
def test_scientific_notation_asks(text: str) -> None:
    assert read(text).problem == "ambiguous_amount"
    assert read(text).items == ()


def test_a_date_with_a_one_digit_year_asks() -> None:
    """ "1/1/1" is neither an amount nor a day we can trust: ask, never a second transaction."""
    assert read("gastei 10 em 1/1/1") == asks("ambiguous_date")


# --- 5. impossible dates and years out of range -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "gastei 10 dia 31/02",
        "gastei 10 29/02/2027",
        "gastei 10 dia 32",
        "gastei 10 dia 0",
        "gastei 10 00/00/0000",
        "gastei 10 01/01/0001",
        "gastei 10 01/01/1900",
        "gastei 10 01/01/3000",
        "gastei 10 em 31 de fevereiro",
        "gastei 10 em 2025-02-30",
        "gastei 10 em 5/11/2015",  # today.year - 11
        "gastei 10 em 5/11/2028",  # today.year + 2
        "gastei 10 em 05/11/99",  # two digits are 20xx: 2099
    ],
)
def test_impossible_dates_ask(text: str) -> None:
    assert read(text) == asks("ambiguous_date")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("gastei 10 em 5/11/2016", dt.date(2016, 11, 5)),  # today.year - 10
        ("gastei 10 em 5/11/2027", dt.date(2027, 11, 5)),  # today.year + 1
        ("gastei 10 em 29/02/2028", None),  # a real day, but a year too far
        ("gastei 10 em 29/02/2024", dt.date(2024, 2, 29)),
    ],
)
def test_year_bounds(text: str, day: dt.date | None) -> None:
    reading = read(text)
    if day is None:
        assert reading == asks("ambiguous_date")
    else:
        assert [(i.amount, i.occurred_on) for i in reading.items] == [(Decimal(10), day)]


def test_numbers_that_cannot_be_a_day_and_month_are_only_masked() -> None:
    item = read("dividimos 50/50 o jantar 80").items[0]
    assert (item.amount, item.occurred_on, item.merchant) == (Decimal(80), None, "jantar")


def test_a_bad_date_without_an_amount_asks_for_the_amount() -> None:
    assert read("dia 32") == asks("no_amount")


# --- 6. far-away relative dates ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["gastei 10 há 5000 dias", "gastei 10 há 3651 dias", "gastei 10 há 600 semanas", "há 5000 dias bar 10"],
)
def test_too_many_days_ago_asks(text: str) -> None:
    assert read(text) == asks("ambiguous_date")


def test_the_furthest_day_read() -> None:
    assert read("gastei 10 há 3650 dias") == Reading(
        "pt", "record", (expense("10", days_ago=3650),), 0.65, None
    )


def test_ha_is_never_a_merchant() -> None:
    item = read("gastei 10 há tempo").items[0]
    assert (item.merchant, item.description) == ("tempo", "tempo")


# --- 7. a month or a year without a day -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "fields"),
    [
        ("gastei 10 mês passado", "pt", {}),
        ("gastei 10 mes passado", "pt", {}),
        ("uber 10 mes passado", "pt", {"merchant": "uber", "description": "uber", "category": "transport"}),
        ("spent 10 last month", "en", {}),
        ("gastei 10 há muitos dias", "pt", {}),
        ("há 2 meses uber 10", "pt", {"merchant": "uber", "description": "uber", "category": "transport"}),
        ("ano passado ipva 10", "pt", {"merchant": "ipva", "description": "ipva", "category": "taxes_fees"}),
    ],
)
def test_a_month_without_a_day_keeps_the_amount_and_no_date(
    text: str, language: str, fields: dict[str, Any]
) -> None:
    """The day is unknown: no date is carried (never today, never the 1st) and confidence drops
    below 0.5 so the core confirms."""
    assert read(text) == Reading(language, "record", (expense("10", **fields),), 0.45, None)


# --- 8. decimals -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["gastei 0,001", "gastei 0,0099", "0.5 c"])
def test_under_a_cent_asks(text: str) -> None:
    assert read(text).problem == "amount_too_small"
    assert read(text).items == ()


@pytest.mark.parametrize(
    ("text", "language", "amount"),
    [("gastei 1,234", "pt", "1.234"), ("spent 1.234", "en", "1.234"), ("gastei 1,2345", "pt", "1.2345")],
)
def test_three_or_four_decimals_are_kept_with_low_confidence(text: str, language: str, amount: str) -> None:
    assert read(text, language_hint=language) == Reading(language, "record", (expense(amount),), 0.45, None)


def test_more_than_four_decimals_ask() -> None:
    assert read("gastei 12,34567") == asks("ambiguous_amount")


def test_two_decimals_keep_their_confidence() -> None:
    assert read("gastei 0,01") == Reading("pt", "record", (expense("0.01"),), 0.65, None)


# --- 9. very large amounts --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "gastei 100000000000000",
        "gastei 1" + "0" * 40,
        "R$ 999999999999999999,99",
        "99999999999999,99",
        "gastei 1000000000000",
        "R$ 1.000.000.000.000",
        "1 trilhão",
        "10000000 milhões",
        "12x de 99999999999,99",  # the total, 1 199 999 999 999,88
    ],
)
def test_amounts_from_a_trillion_up_ask(text: str) -> None:
    assert read(text) == asks("amount_out_of_range")


def test_just_under_a_trillion_is_recorded() -> None:
    assert read("gastei 999999999999,99") == Reading(
        "pt", "record", (expense("999999999999.99"),), 0.65, None
    )


def test_a_long_digit_run_next_to_an_amount_is_an_identifier() -> None:
    assert [i.amount for i in read("uber 20 1000000000000000").items] == [Decimal(20)]


# --- fuzz --------------------------------------------------------------------------------------

_PIECES = (
    "1", "0", "9", "12", "123", "1234", "99999", "1000000", "1" + "0" * 20, "0,5", "0,001", "1,234",
    "1.234", "1 234,56", "1\u00a0234", "1\u202f234,5", "12,345.67", "1e5", "3x", "999x", "em", "de",
    "e", "and", "x", "dia", "31/02", "1/1/1", "00/00/0000", "01/01/1900", "10/10/2026", "2025-02-30",
    "2024", "ontem", "hoje", "anteontem", "há", "dias", "5000", "mês passado", "last month",
    "semana passada", "sexta", "nov", "5 de novembro", "R$", "$", "€", "reais", "dollars", "mil", "k",
    "milhões", "c", "centavos", "parcelas", "vezes", "entre", "até", "-", ",", ";", "/", ".", "%",
    "#", "º", "\n", "uber", "almoço", "mercado", "gastei", "paguei", "recebi",
)  # fmt: skip
_JOINS = (" ", " ", "", "  ", "\u00a0", "\u202f")


def test_fuzz_never_raises_and_never_records_an_impossible_item() -> None:
    rng = random.Random(20261128)
    for _ in range(2000):
        text = "".join(rng.choice(_PIECES) + rng.choice(_JOINS) for _ in range(rng.randint(1, 12)))
        reading = read(
            text, language_hint=rng.choice(("pt", "en", None)), default_currency=rng.choice(("BRL", None))
        )
        assert len(reading.items) <= MAX_ITEMS, text
        assert (reading.intent == "record") == bool(reading.items), text
        for item in reading.items:
            assert Decimal(0) < item.amount < Decimal(10) ** 12, text
            assert item.days_ago is None or 0 <= item.days_ago <= 3650, text
            assert item.occurred_on is None or TODAY.year - 10 <= item.occurred_on.year <= TODAY.year + 1, (
                text
            )
            assert item.installments is None or 1 <= item.installments <= 72, text
