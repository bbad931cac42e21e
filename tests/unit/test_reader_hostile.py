"""The reader on careless or hostile input: invisible characters inside words and numbers, a
budget phrase whose amount is zero, a "recent" question asking for more entries than we list.

Each case once read wrong: a zero-width space split "reais" (the currency was lost) or an amount
("18\u200b,50" became 18 and 50), a budget of 0 was asked for as an expense ("Quanto foi
mercado?") and then recorded, "últimos 200 gastos" recorded an expense of 200.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from financy.edge.pipeline.understand import understand_text
from financy.inference.text import read_message
from financy.inference.text.reader import Reading

TODAY = dt.date(2026, 12, 2)


def read(text: str) -> Reading:
    return read_message(text, today=TODAY, language_hint="pt", default_currency="BRL")


@pytest.mark.parametrize(
    ("text", "amount", "currency", "merchant"),
    [
        ("18 re\u200bais de pão", "18", "BRL", "pão"),
        ("18\u200b,50 no mercado", "18.50", None, "mercado"),
        ("45\u202e reais mercado", "45", "BRL", "mercado"),
        ("\u200f45 reais mercado", "45", "BRL", "mercado"),
        ("\ufeffgastei 12,\u200d90 na far\u00admácia", "12.90", None, "farmácia"),
        ("gastei 30 d\u2066ó\u2069lares no uber", "30", "USD", "uber"),
    ],
)
def test_invisible_characters_split_no_word_or_number(
    text: str, amount: str, currency: str | None, merchant: str
) -> None:
    reading = read(text)
    assert reading.intent == "record", reading
    assert [(i.amount, i.currency, i.merchant) for i in reading.items] == [
        (Decimal(amount), currency, merchant)
    ]


def test_only_invisible_characters_is_empty() -> None:
    assert (read("\u200b\u200f\ufeff").intent, read("\u200b\u200f\ufeff").problem) == ("unknown", "empty")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("orçamento de 0 para mercado", "groceries"),
        ("orçamento de 0,00 para mercado", "groceries"),
        ("budget 0 for groceries", "groceries"),
    ],
)
def test_budget_of_zero_is_a_budget_phrase_not_a_missing_amount(text: str, category: str) -> None:
    reading = read(text)
    assert (reading.intent, reading.items, reading.problem, reading.item_without_amount) == (
        "budget",
        (),
        None,
        None,
    )
    assert reading.budget is not None
    assert (reading.budget.amount, reading.budget.category) == (None, category)
    understood = understand_text(text, today=TODAY, language_hint="pt", currency="BRL")
    assert (understood.intent, understood.transactions, understood.item_without_amount) == (
        "budget",
        (),
        None,
    )


@pytest.mark.parametrize(
    "text", ["últimos 200 gastos", "meus últimos 99999 gastos", "mostra os 500 últimos gastos"]
)
def test_recent_with_a_big_count_lists_the_most_we_list(text: str) -> None:
    reading = read(text)
    assert (reading.intent, reading.items, reading.problem) == ("query", (), None), reading
    assert reading.query is not None
    assert (reading.query.ask, reading.query.limit) == ("recent", 20)


@pytest.mark.parametrize("text", ["gastei 50 reais 30 euros", "gastei 50 reais 30 dolares", "R$ 50 US$ 10"])
def test_two_amounts_in_two_currencies_back_to_back_are_asked_not_one_dropped(text: str) -> None:
    assert (read(text).intent, read(text).problem) == ("unknown", "ambiguous_amount")


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("gastei 50 reais e 30 euros", [("50", "BRL"), ("30", "EUR")]),  # a separator: two items
        ("205,68 € 205.68", [("205.68", "EUR")]),  # one price written twice
        ("US$ 20 (R$ 106,40)", [("20", "USD")]),  # a conversion in brackets
    ],
)
def test_repeats_and_separated_amounts_read_as_before(text: str, amounts: list[tuple[str, str]]) -> None:
    assert [(i.amount, i.currency) for i in read(text).items] == [(Decimal(a), c) for a, c in amounts]


@pytest.mark.parametrize(
    ("text", "amount", "merchant", "days_ago"),
    [
        ("quanto custa? paguei 30", "30", None, None),
        ("quanto foi? gastei 20 no uber", "20", "uber", None),
        ("sabe quanto foi? gastei 45 no mercado ontem", "45", "mercado", 1),
    ],
)
def test_a_transaction_after_a_question_we_cannot_answer_is_recorded(
    text: str, amount: str, merchant: str | None, days_ago: int | None
) -> None:
    reading = read(text)
    assert (reading.intent, reading.problem) == ("record", None), reading
    assert [(i.amount, i.merchant, i.days_ago) for i in reading.items] == [
        (Decimal(amount), merchant, days_ago)
    ]


@pytest.mark.parametrize("text", ["quanto custa?", "quanto custa o uber? 30"])
def test_a_question_alone_still_records_nothing(text: str) -> None:
    assert (read(text).intent, read(text).problem) == ("unknown", "query")


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("paguei 50 no nº 999999", ["50"]),  # once two expenses, 50 and 999999
        ("pedido n° 4521 de 80 reais", ["80"]),
        ("casa n.º 8, gastei 30", ["30"]),
        ("nº 5 reais de bala", ["5"]),  # a currency after it: an amount
    ],
)
def test_a_number_after_a_number_marker_is_no_money(text: str, amounts: list[str]) -> None:
    assert [i.amount for i in read(text).items] == [Decimal(a) for a in amounts]
