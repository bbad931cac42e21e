"""Reader: a bill's due date is not the day it was paid; a time of day is never an amount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from financy.core.contracts.v1 import ProposedTransaction
from financy.edge.pipeline.understand import understand_text
from financy.inference.text import Reading, ReadItem, read_message
from financy.inference.text.dates import find_times
from financy.inference.text.normalize import prepare

TODAY = dt.date(2026, 11, 28)  # a Saturday


def read(text: str, **kwargs: Any) -> Reading:
    return read_message(text, today=TODAY, **kwargs)


def only_item(text: str, **kwargs: Any) -> ReadItem:
    reading = read(text, **kwargs)
    assert reading.intent == "record", reading
    assert len(reading.items) == 1, reading.items
    return reading.items[0]


# --- due date vs payment date -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "amount", "days_ago", "occurred_on", "due_on"),
    [
        ("o boleto venceu dia 5, paguei hoje 230", "pt", "230", 0, None, dt.date(2026, 11, 5)),
        ("vence dia 10, paguei 150 hoje", "pt", "150", 0, None, dt.date(2026, 12, 10)),
        ("vence dia 10, paguei 150", "pt", "150", None, None, dt.date(2026, 12, 10)),
        ("paguei a fatura que vence dia 10, 800", "pt", "800", None, None, dt.date(2026, 12, 10)),
        ("vencimento dia 25, paguei ontem 90", "pt", "90", 1, None, dt.date(2026, 11, 25)),
        ("conta de luz venceu ontem, paguei hoje 180", "pt", "180", 0, None, dt.date(2026, 11, 27)),
        ("boleto vencido dia 20/11 paguei 95 hj", "pt", "95", 0, None, dt.date(2026, 11, 20)),
        ("condomínio com vencimento para o dia 5 paguei dia 3 650", "pt", "650", None, dt.date(2026, 11, 3),
         dt.date(2026, 12, 5)),
        ("the bill was due on the 5th, paid it today 230", "en", "230", 0, None, dt.date(2026, 11, 5)),
        ("electricity bill due on the 10th, paid 120", "en", "120", None, None, dt.date(2026, 12, 10)),
        ("rent was due yesterday, paid 1500 today", "en", "1500", 0, None, dt.date(2026, 11, 27)),
        ("internet bill was due 11/20, paid 99 yesterday", "en", "99", 1, None, dt.date(2026, 11, 20)),
    ],
)  # fmt: skip
def test_the_payment_date_wins_and_the_due_date_is_kept(
    text: str, hint: str, amount: str, days_ago: int | None, occurred_on: dt.date | None, due_on: dt.date
) -> None:
    item = only_item(text, language_hint=hint)
    assert (item.amount, item.days_ago, item.occurred_on, item.due_on) == (
        Decimal(amount),
        days_ago,
        occurred_on,
        due_on,
    )


def test_the_due_word_is_not_the_merchant() -> None:
    assert only_item("vence dia 10, paguei 150").merchant is None
    assert only_item("the bill was due on the 5th, paid it today 230", language_hint="en").merchant is None


def test_a_date_without_a_due_word_is_still_the_payment_date() -> None:
    item = only_item("paguei o boleto dia 5, 230")
    assert (item.occurred_on, item.due_on) == (dt.date(2026, 11, 5), None)


def test_a_due_date_that_names_no_day_asks() -> None:
    assert read("vence dia 32, paguei 150").problem == "ambiguous_date"


# --- time of day ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "amount", "time"),
    [
        ("jantar às 20h30 120 reais", "pt", "120", dt.time(20, 30)),
        ("uber às 19h 25", "pt", "25", dt.time(19, 0)),
        ("às 19h 30 paguei 40", "pt", "40", dt.time(19, 30)),
        ("almoço ao meio-dia 35", "pt", "35", dt.time(12, 0)),
        ("almoço meio dia 30", "pt", "30", dt.time(12, 0)),
        ("meia-noite uber 40", "pt", "40", dt.time(0, 0)),
        ("jantar às 8 da noite 90", "pt", "90", dt.time(20, 0)),
        ("ontem às 23h uber 32", "pt", "32", dt.time(23, 0)),
        ("café da manhã às 7:30 12", "pt", "12", dt.time(7, 30)),
        ("jantar 20:30h 90", "pt", "90", dt.time(20, 30)),
        ("dinner at 8:30pm 45", "en", "45", dt.time(20, 30)),
        ("taxi at 11pm 30", "en", "30", dt.time(23, 0)),
        ("lunch at noon 18", "en", "18", dt.time(12, 0)),
        ("coffee at 7 in the morning 4", "en", "4", dt.time(7, 0)),
        ("drinks at 9.30 p.m. 25 dollars", "en", "25", dt.time(21, 30)),
    ],
)
def test_a_time_of_day_is_kept_and_never_the_amount(text: str, hint: str, amount: str, time: dt.time) -> None:
    item = only_item(text, language_hint=hint)
    assert (item.amount, item.occurred_at_time) == (Decimal(amount), time)


@pytest.mark.parametrize(
    ("text", "hint", "amount"),
    [
        ("jantar às 8 120 reais", "pt", "120"),  # morning or evening: not kept
        ("cheguei às 10 e paguei 30", "pt", "30"),
        ("dinner at 8:30 45", "en", "45"),
        ("estacionamento 2h 15", "pt", "15"),  # a duration, not a time
        ("1h30 de estacionamento 12", "pt", "12"),
    ],
)
def test_an_unclear_time_is_not_kept_and_not_the_amount(text: str, hint: str, amount: str) -> None:
    item = only_item(text, language_hint=hint)
    assert (item.amount, item.occurred_at_time) == (Decimal(amount), None)


@pytest.mark.parametrize(
    "text", ["amanhã às 10 tem reunião", "chego às 18h", "meeting at 3pm", "ao meio-dia"]
)
def test_a_time_alone_is_no_expense(text: str) -> None:
    assert read(text).problem == "no_amount"


def test_a_time_is_not_a_date() -> None:
    # "meio-dia 30" is noon and a price, not the 30th
    item = only_item("almoço meio-dia 30")
    assert (item.amount, item.occurred_on, item.days_ago) == (Decimal(30), None, None)


def test_times_found_in_the_text() -> None:
    text = prepare("das 19h às 22h30, pelas 20 e ao meio-dia")
    assert [m.time for m in find_times(text.fold, text.lower, "pt")] == [
        dt.time(19, 0),
        dt.time(22, 30),
        dt.time(20, 0),
        dt.time(12, 0),
    ]
    # the article "as" is no time word: "as 3 pizzas"
    text = prepare("as 3 pizzas")
    assert find_times(text.fold, text.lower, "pt") == ()


def test_several_items_each_take_their_own_time() -> None:
    reading = read("café às 8h 6, jantar às 20h30 80")
    assert [(i.amount, i.occurred_at_time) for i in reading.items] == [
        (Decimal(6), dt.time(8, 0)),
        (Decimal(80), dt.time(20, 30)),
    ]


# --- the wire contract ------------------------------------------------------------------------


def test_the_understanding_carries_the_due_date_and_the_time() -> None:
    understanding = understand_text(
        "o boleto venceu dia 5, paguei hoje 230 às 20h30", today=TODAY, language_hint="pt", currency="BRL"
    )
    (tx,) = understanding.transactions
    assert (tx.amount, tx.days_ago, tx.due_on, tx.occurred_at_time) == (
        Decimal(230),
        0,
        dt.date(2026, 11, 5),
        dt.time(20, 30),
    )
    again = ProposedTransaction.model_validate_json(tx.model_dump_json())
    assert (again.due_on, again.occurred_at_time) == (tx.due_on, tx.occurred_at_time)


def test_the_new_fields_are_optional() -> None:
    tx = ProposedTransaction(amount=Decimal(10))
    assert (tx.due_on, tx.occurred_at_time) == (None, None)
