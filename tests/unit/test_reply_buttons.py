"""Buttons under replies: undo, change category and more categories under a recorded transaction,
confirm under a confirm request, "I paid" under a "who paid?", "link" under a link confirmation;
each button's value is a message the text reader understands as that action."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from financy.bots.common.render import CATEGORY_NAMES, render
from financy.bots.common.reply import Button, ButtonAction
from financy.bots.devchat.cli import buttons_line
from financy.core.contracts.v1 import RecordedTransaction, ReplyKind, ReplyV1, TransactionKind
from financy.core.domain.model import TAXONOMY
from financy.inference.text.reader import read_message

TODAY = dt.date(2026, 11, 28)


def _tx(category: str | None = "groceries", guesses: tuple[str, ...] = ()) -> RecordedTransaction:
    return RecordedTransaction(
        transaction_id=uuid.uuid4(),
        kind=TransactionKind.EXPENSE,
        amount=Decimal("40"),
        currency="BRL",
        occurred_on=TODAY,
        merchant="drogasil",
        category=category,
        category_name="Mercado" if category == "groceries" else None,
        category_guesses=guesses,
    )


def _reply(kind: ReplyKind, language: str, *transactions: RecordedTransaction) -> ReplyV1:
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
        transactions=transactions,
        created_at=dt.datetime.now(dt.UTC),
    )


def _read(text: str, language: str) -> tuple[str, str | None]:
    reading = read_message(text, today=TODAY, language_hint=language, default_currency="BRL")
    return reading.intent, reading.category


def test_a_recorded_transaction_gets_undo_and_one_button_per_guess_in_portuguese() -> None:
    tx = _tx(guesses=("health", "shopping"))
    rendered = render(_reply(ReplyKind.RECORDED, "pt", tx))
    assert rendered.text == "✅ R$ 40,00 · drogasil · Mercado · 28/11\nErrado? /desfazer"
    target = str(tx.transaction_id)
    assert rendered.buttons == (
        Button("↩️ Desfazer", ButtonAction.UNDO, "/desfazer", target),
        Button("🏷️ Saúde", ButtonAction.CHANGE_CATEGORY, "muda pra saúde", target),
        Button("🏷️ Compras", ButtonAction.CHANGE_CATEGORY, "muda pra compras", target),
        Button("➕ Categorias", ButtonAction.MORE_CATEGORIES, "/categoria", target),
    )
    assert buttons_line({"buttons": [b.as_json() for b in rendered.buttons]}) == (
        "[↩️ Desfazer] [🏷️ Saúde] [🏷️ Compras] [➕ Categorias]"
    )


def test_english_buttons_and_a_guess_equal_to_the_category_is_not_offered() -> None:
    rendered = render(_reply(ReplyKind.RECORDED, "en", _tx(guesses=("groceries", "gifts_donations"))))
    assert [(b.label, b.action.value, b.value) for b in rendered.buttons] == [
        ("↩️ Undo", "undo", "/undo"),
        ("🏷️ Gifts & donations", "change_category", "change category to gifts and donations"),
        ("➕ Categories", "more_categories", "/category"),
    ]


def test_several_transactions_get_undo_only_and_a_confirm_request_gets_confirm() -> None:
    two = render(_reply(ReplyKind.RECORDED, "pt", _tx(guesses=("health",)), _tx(guesses=("pets",))))
    assert [b.action for b in two.buttons] == [ButtonAction.UNDO]
    # Undo under several transactions undoes the message's last one: no single transaction to name.
    assert [b.transaction_id for b in two.buttons] == [None]
    confirm = render(_reply(ReplyKind.CONFIRM_REQUEST, "en", _tx()))
    assert confirm.buttons == (Button("✅ Yes", ButtonAction.CONFIRM, "yes"),)
    assert render(_reply(ReplyKind.NOTHING_TO_UNDO, "pt")).buttons == ()
    assert buttons_line({"buttons": []}) is None


@pytest.mark.parametrize("language", ["pt", "en"])
def test_undo_and_confirm_values_are_read_as_undo_and_confirm(language: str) -> None:
    undo = render(_reply(ReplyKind.RECORDED, language, _tx())).buttons[0]
    confirm = render(_reply(ReplyKind.CONFIRM_REQUEST, language, _tx())).buttons[0]
    assert _read(undo.value, language)[0] == "undo"
    assert _read(confirm.value, language)[0] == "confirm"


@pytest.mark.parametrize("language", ["pt", "en"])
def test_more_categories_and_i_paid_values_are_read_as_categories_and_claim_payer(language: str) -> None:
    more = render(_reply(ReplyKind.RECORDED, language, _tx())).buttons[-1]
    claim = render(_reply(ReplyKind.WHO_PAID, language, _tx())).buttons[0]
    assert (more.action, claim.action) == (ButtonAction.MORE_CATEGORIES, ButtonAction.CLAIM_PAYER)
    assert _read(more.value, language) == ("categories", None)
    assert _read(claim.value, language) == ("claim_payer", None)
    # the reply keeps the user's language: the value's command word is in it
    assert read_message(more.value, today=TODAY).language == language
    assert read_message(claim.value, today=TODAY).language == language


@pytest.mark.parametrize("language", ["pt", "en"])
def test_every_button_value_is_read_as_its_action(language: str) -> None:
    read_as = {
        ButtonAction.CONFIRM: "confirm",
        ButtonAction.UNDO: "undo",
        ButtonAction.CHANGE_CATEGORY: "recategorize",
        ButtonAction.CLAIM_PAYER: "claim_payer",
        ButtonAction.MORE_CATEGORIES: "categories",
        ButtonAction.CONFIRM_LINK: "link",
    }
    seen: set[ButtonAction] = set()
    replies = [
        _reply(kind, language, _tx(guesses=("health",)))
        for kind in (ReplyKind.RECORDED, ReplyKind.CONFIRM_REQUEST, ReplyKind.WHO_PAID)
    ]
    replies.append(_reply(ReplyKind.LINK_CONFIRM, language).model_copy(update={"link_code": "K7QM-2XPD"}))
    for reply in replies:
        for button in render(reply).buttons:
            assert _read(button.value, language)[0] == read_as[button.action], button
            seen.add(button.action)
    assert seen == set(ButtonAction)


@pytest.mark.parametrize("language", ["pt", "en"])
def test_the_link_button_is_read_as_a_confirmed_link_with_its_code(language: str) -> None:
    reply = _reply(ReplyKind.LINK_CONFIRM, language).model_copy(
        update={"link_account": "ana", "link_code": "K7QM-2XPD"}
    )
    (button,) = render(reply).buttons
    assert button.action is ButtonAction.CONFIRM_LINK
    reading = read_message(button.value, today=TODAY)  # no hint: the command word's language
    assert (reading.intent, reading.link_code, reading.link_confirmed, reading.language) == (
        "link",
        "K7QM-2XPD",
        True,
        language,
    )


def test_who_paid_offers_i_paid_for_each_transaction_up_to_three() -> None:
    one = _tx()
    assert render(_reply(ReplyKind.WHO_PAID, "pt", one)).buttons == (
        Button("🙋 Fui eu", ButtonAction.CLAIM_PAYER, "/eu", str(one.transaction_id)),
    )
    four = [_tx() for _ in range(4)]
    rendered = render(_reply(ReplyKind.WHO_PAID, "en", *four))
    assert rendered.buttons == tuple(
        Button(f"🙋 I paid ({n})", ButtonAction.CLAIM_PAYER, "/me", str(tx.transaction_id))
        for n, tx in enumerate(four[:3], start=1)
    )
    assert render(_reply(ReplyKind.WHO_PAID, "pt")).buttons == ()


def test_only_a_single_recorded_transaction_gets_more_categories() -> None:
    two = render(_reply(ReplyKind.RECORDED, "pt", _tx(), _tx()))
    assert ButtonAction.MORE_CATEGORIES not in {b.action for b in two.buttons}
    for kind in ReplyKind:
        if kind not in (ReplyKind.RECORDED, ReplyKind.CONFIRM_REQUEST, ReplyKind.WHO_PAID):
            assert render(_reply(kind, "pt", _tx())).buttons == (), kind


@pytest.mark.parametrize("language", ["pt", "en"])
@pytest.mark.parametrize("slug", [c.slug for c in TAXONOMY])
def test_every_change_category_value_is_read_as_that_category(language: str, slug: str) -> None:
    rendered = render(_reply(ReplyKind.RECORDED, language, _tx(category=None, guesses=(slug,))))
    (change,) = [b for b in rendered.buttons if b.action is ButtonAction.CHANGE_CATEGORY]
    assert _read(change.value, language) == ("recategorize", slug)


def test_the_bots_category_names_are_the_taxonomys() -> None:
    for category in TAXONOMY:
        assert CATEGORY_NAMES["pt"][category.slug][0] == category.name_pt
        assert CATEGORY_NAMES["en"][category.slug][0] == category.name_en
    assert set(CATEGORY_NAMES["pt"]) == set(CATEGORY_NAMES["en"]) == {c.slug for c in TAXONOMY}


@pytest.mark.parametrize("language", ["pt", "en"])
def test_not_a_member_and_forbidden_replies_have_their_text_and_no_buttons(language: str) -> None:
    for kind in (ReplyKind.NOT_A_MEMBER, ReplyKind.FORBIDDEN):
        rendered = render(_reply(kind, language))
        assert rendered.text.startswith("🔒 ")
        assert rendered.buttons == ()
