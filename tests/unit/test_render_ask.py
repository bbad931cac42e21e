"""The "how much was X?" question and the unusual-amount confirmation, in both languages."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from financy.bots.common.render import _STRINGS, CATEGORY_NAMES, buttons, render_reply
from financy.bots.common.reply import ButtonAction
from financy.core.contracts.v1 import RecordedTransaction, ReplyKind, ReplyV1, TransactionKind, UsualAmounts


def reply(kind: ReplyKind, language: str, **fields: Any) -> ReplyV1:
    return ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key="devchat:a:1",
        edge_id="local",
        platform="devchat",
        chat_id="a",
        in_reply_to="1",
        language=language,  # type: ignore[arg-type]
        kind=kind,
        created_at=dt.datetime.now(dt.UTC),
        **fields,
    )


def bakery(amount: str, currency: str, category: str = "Mercado") -> RecordedTransaction:
    return RecordedTransaction(
        transaction_id=uuid.uuid4(),
        kind=TransactionKind.EXPENSE,
        amount=Decimal(amount),
        currency=currency,
        occurred_on=dt.date(2026, 11, 28),
        merchant="padaria",
        category="groceries",
        category_name=category,
    )


@pytest.mark.parametrize(
    ("language", "item", "text"),
    [
        (
            "pt",
            "estacionamento",
            "❓ Quanto foi “estacionamento”? Responda só o valor (ex.: “45,90”) e eu registro.",
        ),
        (
            "en",
            "plumber",
            "❓ How much was “plumber”? Reply with just the amount (e.g. “45.90”) and I'll record it.",
        ),
    ],
)
def test_the_question_names_what_was_bought(language: str, item: str, text: str) -> None:
    assert render_reply(reply(ReplyKind.QUESTION, language, problem="no_amount", asked_about=item)) == text


def test_without_an_item_or_with_only_spaces_the_question_is_the_general_one() -> None:
    general = render_reply(reply(ReplyKind.QUESTION, "en", problem="no_amount"))
    assert general.startswith("❓ I couldn't find an amount in that message. How much was it?")
    assert render_reply(reply(ReplyKind.QUESTION, "en", problem="no_amount", asked_about="  ")) == general


def test_a_long_item_is_cut_on_one_line() -> None:
    text = render_reply(reply(ReplyKind.QUESTION, "pt", problem="no_amount", asked_about="a\nb " + "x" * 100))
    assert text.startswith("❓ Quanto foi “a b xxx")
    assert "…”?" in text


def test_an_unusual_amount_says_why_it_asks_in_portuguese() -> None:
    usual = UsualAmounts(
        basis="merchant",
        name="padaria",
        amount=Decimal(1200),
        currency="BRL",
        low=Decimal(8),
        high=Decimal("20.50"),
        count=6,
    )
    asked = reply(
        ReplyKind.CONFIRM_REQUEST,
        "pt",
        problem="unusual_amount",
        usual=usual,
        transactions=(bakery("1200", "BRL"),),
    )
    text = render_reply(asked)
    # the "✅ Sim" button sends "sim", which records it
    assert [(b.action, b.value) for b in buttons(asked)] == [(ButtonAction.CONFIRM, "sim")]
    assert text == (
        "🤔 Isso é bem mais que o habitual em “padaria” (R$ 8 a R$ 20,50). Confirma R$ 1.200,00?\n"
        "• R$ 1.200,00 · padaria · Mercado · 28/11\n"
        "Responda “sim” para registrar."
    )


def test_an_unusual_amount_in_a_category_says_why_it_asks_in_english() -> None:
    usual = UsualAmounts(
        basis="category",
        name="groceries",
        amount=Decimal(900),
        currency="USD",
        low=Decimal(8),
        high=Decimal(20),
        count=6,
    )
    text = render_reply(
        reply(
            ReplyKind.CONFIRM_REQUEST,
            "en",
            problem="unusual_amount",
            usual=usual,
            transactions=(bakery("900", "USD", "Groceries"),),
        )
    )
    groceries = CATEGORY_NAMES["en"]["groceries"][0]  # the display name, wherever it is decided
    assert text == (
        f"🤔 That's much more than usual for {groceries} ($8 to $20). Confirm $900.00?\n"
        "• $900.00 · padaria · Groceries · 11/28\n"
        "Reply “yes” to record it."
    )


def test_the_new_texts_exist_in_both_languages() -> None:
    keys = {"q.no_amount.item", "confirm_unusual", "unusual.merchant", "unusual.category"}
    for language in ("pt", "en"):
        assert keys <= set(_STRINGS[language])
