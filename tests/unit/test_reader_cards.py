"""Card commands as the edge reads them: "/cartao Nubank fecha 5 vence 12", "/card ... closes 5
due 12", "/fatura" and the card bill questions, onto the contract the core receives."""

from __future__ import annotations

import datetime as dt

import pytest

from financy.core.contracts.v1 import CardRequest, Intent, Understanding
from financy.edge.pipeline.understand import understand_text
from financy.inference.text.cards import CardSpec, read_card

TODAY = dt.date(2026, 12, 4)


def read(text: str, hint: str | None = "pt") -> Understanding:
    return understand_text(text, today=TODAY, language_hint=hint, currency="BRL")


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("/cartao Nubank fecha 5 vence 12", CardRequest(name="Nubank", closing_day=5, due_day=12)),
        ("/cartão Nubank fecha dia 5 vence dia 12", CardRequest(name="Nubank", closing_day=5, due_day=12)),
        ("/card Nubank closes 5 due 12", CardRequest(name="Nubank", closing_day=5, due_day=12)),
        (
            "/card Inter closes on the 31st, due on the 8th",
            CardRequest(name="Inter", closing_day=31, due_day=8),
        ),
        (
            "/cartao meu Itaú Personnalité fecha dia 28 e vence dia 5 padrão",
            CardRequest(name="Itaú Personnalité", closing_day=28, due_day=5, make_default=True),
        ),
        (
            "/cartao nubank fechamento: 05 vencimento: 12",
            CardRequest(name="nubank", closing_day=5, due_day=12),
        ),
        ("/cartao C6 5 12", CardRequest(name="C6", closing_day=5, due_day=12)),
        ("/cartao Nubank vence 12 fecha 5", CardRequest(name="Nubank", closing_day=5, due_day=12)),
        ("/cartao Nubank", CardRequest(name="Nubank")),
        ("/cartao Nubank fecha 40 vence 12", CardRequest(name="Nubank", due_day=12)),
        ("/cartao fecha 5 vence 12", CardRequest(closing_day=5, due_day=12)),
    ],
)
def test_a_card_command_is_read_with_its_name_and_days(text: str, card: CardRequest) -> None:
    understood = read(text)
    assert (understood.intent, understood.card, understood.confidence) == (Intent.CARD, card, 1.0)
    assert understood.transactions == ()


@pytest.mark.parametrize("text", ["/cartao", "/card", "/cartoes"])
def test_a_bare_card_command_asks_for_the_cards(text: str) -> None:
    understood = read(text)
    assert (understood.intent, understood.card) == (Intent.CARD, None)


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        ("/fatura", "pt", "pt"),
        ("/fatura", None, "pt"),
        ("/faturas", "pt", "pt"),
        ("/bill", None, "en"),
        ("/fatura@financy_bot", "pt", "pt"),
        ("fatura", "pt", "pt"),
        ("quanto tá a fatura do cartão?", "pt", "pt"),
        ("credit card bill", "en", "en"),
        ("how much is my credit card bill?", "en", "en"),
    ],
)
def test_the_card_bill_commands_and_questions_ask_for_the_card_bill(
    text: str, hint: str | None, language: str
) -> None:
    understood = read(text, hint)
    assert understood.intent is Intent.QUERY
    assert understood.query is not None
    assert (understood.query.ask, understood.language) == ("card_bill", language)


def test_a_card_purchase_in_instalments_is_still_read_as_a_purchase() -> None:
    understood = read("comprei uma tv de 2000 em 10x no cartão")
    (tv,) = understood.transactions
    assert (understood.intent, tv.amount, tv.payment_method, tv.installments) == (
        Intent.RECORD,
        2000,
        "credit",
        10,
    )


def test_read_card_never_raises_and_cuts_long_names() -> None:
    assert read_card("") == CardSpec(None, None, None)
    assert read_card("   ,,, ") == CardSpec(None, None, None)
    long = read_card("x" * 100 + " fecha 5 vence 12")
    assert (long.name, long.closing_day, long.due_day) == ("x" * 60, 5, 12)
