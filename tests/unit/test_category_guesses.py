"""When the category is missing or unsure, the reply offers the top guesses as choices, in its
text and as buttons: the edge marks the item, the core carries the mark to the reply, the bot
renders it (pt and en)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

import pytest

from financy.bots.common.render import render
from financy.bots.common.reply import ButtonAction
from financy.core.contracts.v1 import (
    Intent,
    ProposedTransaction,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    TransactionKind,
    Understanding,
)
from financy.core.service.messagebus import MessageBus
from financy.edge.pipeline.understand import (
    MODEL_AT_LEAST,
    MODEL_FIRST_FROM,
    RankCategories,
    fill_categories_ranked,
)
from financy.inference.text.reader import read_message
from tests.support.captures import dev_capture
from tests.unit.bus import send

TODAY = dt.date(2026, 11, 28)


def _ranker(*answers: tuple[str, float]) -> RankCategories:
    """A category ranker that answers ``answers`` for any text (the model's shape: best first)."""

    def rank(_text: str) -> Sequence[tuple[str, float]]:
        return list(answers)

    return rank


def _one(category: str | None = None, kind: TransactionKind = TransactionKind.EXPENSE) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(ProposedTransaction(kind=kind, amount=Decimal(80), category=category),),
        confidence=0.9,
    )


# --- the edge marks the item -----------------------------------------------------------------


def test_no_category_keeps_the_three_best_guesses_and_is_unsure() -> None:
    low = MODEL_AT_LEAST - 0.1
    rank = _ranker(("shopping", low), ("health", 0.2), ("pets", 0.1), ("other", 0.05))
    (tx,) = fill_categories_ranked(_one(), "coisa 80", rank).transactions
    assert tx.category is None
    assert tx.category_guesses == ("shopping", "health", "pets")
    assert tx.category_unsure is True


def test_a_model_answer_below_model_first_is_filed_but_unsure() -> None:
    middle = (MODEL_AT_LEAST + MODEL_FIRST_FROM) / 2
    rank = _ranker(("shopping", middle), ("gifts_donations", 0.2), ("personal_care", 0.1), ("other", 0.05))
    (tx,) = fill_categories_ranked(_one(), "coisa 80", rank).transactions
    assert tx.category == "shopping"
    assert tx.category_guesses == ("gifts_donations", "personal_care", "other")
    assert tx.category_unsure is True


def test_a_sure_model_answer_or_a_keyword_is_not_unsure() -> None:
    sure = _ranker(("pets", 0.9), ("health", 0.05), ("shopping", 0.03))
    (tx,) = fill_categories_ranked(_one(), "ração 80", sure).transactions
    assert (tx.category, tx.category_unsure) == ("pets", False)
    unsure_model = _ranker(("shopping", 0.4), ("pets", 0.3), ("other", 0.1))
    # the reader's keyword filed it: the model's unsure other answer does not make it unsure
    (kept,) = fill_categories_ranked(_one("health"), "remédio 80", unsure_model).transactions
    assert (kept.category, kept.category_unsure) == ("health", False)


def test_income_is_never_offered_expense_guesses() -> None:
    rank = _ranker(("other_income", 0.3), ("salary", 0.2))
    (tx,) = fill_categories_ranked(_one(None, TransactionKind.INCOME), "x 80", rank).transactions
    assert tx.category_unsure is False


# --- the bot renders the choices ---------------------------------------------------------------


def _recorded(language: str, category: str | None, guesses: tuple[str, ...], unsure: bool) -> ReplyV1:
    tx = RecordedTransaction(
        transaction_id=uuid.uuid4(),
        kind=TransactionKind.EXPENSE,
        amount=Decimal("80"),
        currency="BRL",
        occurred_on=TODAY,
        category=category,
        category_name={"shopping": "Compras" if language == "pt" else "Shopping"}.get(category or ""),
        category_guesses=guesses,
        category_unsure=unsure,
    )
    return ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key="devchat:a:1",
        edge_id="local",
        platform="devchat",
        chat_id="a",
        in_reply_to="1",
        language=language,
        kind=ReplyKind.RECORDED,
        transactions=(tx,),
        created_at=dt.datetime.now(dt.UTC),
    )


def test_no_category_shows_three_choices_in_text_and_buttons_pt() -> None:
    rendered = render(_recorded("pt", None, ("shopping", "health", "pets"), True))
    assert rendered.text == (
        "✅ R$ 80,00 · 28/11\n"
        '🤔 Qual categoria? Pode ser 🛍️ Compras, 💊 Saúde ou 🐾 Pets (toque num botão ou diga "muda pra compras").\n'
        "Errado? /desfazer"
    )
    changes = [(b.label, b.value) for b in rendered.buttons if b.action is ButtonAction.CHANGE_CATEGORY]
    assert changes == [
        ("🏷️ Compras", "muda pra compras"),
        ("🏷️ Saúde", "muda pra saúde"),
        ("🏷️ Pets", "muda pra pets"),
    ]


def test_an_unsure_category_offers_the_others_in_english() -> None:
    rendered = render(_recorded("en", "shopping", ("gifts_donations", "personal_care"), True))
    assert rendered.text == (
        "✅ R$80.00 · Shopping · 11/28\n"
        "🤔 Not sure of the category; if it isn't that, maybe 🎁 Gifts & donations or 💇 Personal care "
        '(tap a button or say "change category to gifts and donations").\n'
        "Wrong? /undo"
    )
    labels = [b.label for b in rendered.buttons if b.action is ButtonAction.CHANGE_CATEGORY]
    assert labels == ["🏷️ Gifts & donations", "🏷️ Personal care"]


def test_a_sure_category_has_no_choices_line_but_keeps_its_buttons() -> None:
    rendered = render(_recorded("pt", "shopping", ("health",), False))
    assert "🤔" not in rendered.text
    assert [b.label for b in rendered.buttons if b.action is ButtonAction.CHANGE_CATEGORY] == ["🏷️ Saúde"]


@pytest.mark.parametrize("language", ["pt", "en"])
def test_each_choice_button_is_a_correction_the_reader_understands(language: str) -> None:
    rendered = render(_recorded(language, None, ("shopping", "health", "pets"), True))
    for button in rendered.buttons:
        if button.action is ButtonAction.CHANGE_CATEGORY:
            reading = read_message(button.value, today=TODAY, language_hint=language, default_currency="BRL")
            assert reading.intent == "recategorize", button.value


# --- through the core --------------------------------------------------------------------------


def test_the_core_carries_the_choices_to_the_reply(bus: MessageBus) -> None:
    """GIVEN an edge's unsure item WHEN the core records it THEN its reply offers the guesses."""
    understanding = Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(
            ProposedTransaction(
                amount=Decimal(80),
                description="coisa",
                category_guesses=("shopping", "health", "pets"),
                category_unsure=True,
            ),
        ),
        confidence=0.9,
    )
    reply = send(bus, dev_capture("ana", understanding, name="Ana"))
    assert reply.kind is ReplyKind.RECORDED
    (tx,) = reply.transactions
    assert (tx.category, tx.category_guesses, tx.category_unsure) == (
        None,
        ("shopping", "health", "pets"),
        True,
    )
    assert "🤔 Qual categoria? Pode ser 🛍️ Compras, 💊 Saúde ou 🐾 Pets" in render(reply).text
