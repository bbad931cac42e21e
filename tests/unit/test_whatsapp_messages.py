"""Replies as WhatsApp messages: text, up to 3 reply buttons, else a list; button ids carry the message."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from financy.bots.common.render import render
from financy.bots.common.reply import Button, ButtonAction, Reply
from financy.bots.whatsapp.messages import (
    MAX_BUTTON_ID,
    MAX_BUTTON_TITLE,
    MAX_ROW_ID,
    MAX_ROW_TITLE,
    build_message,
    button_id,
    parse_button_id,
)
from financy.core.contracts.v1 import RecordedTransaction, ReplyKind
from tests.support.replies import chat_reply

TX = "0190a3c4-1111-7222-8333-444455556666"


def _button(label: str, value: str, action: ButtonAction = ButtonAction.CHANGE_CATEGORY) -> Button:
    return Button(label, action, value, TX)


def test_text_only_quotes_the_users_message() -> None:
    body = build_message("5511999990000", Reply("Olá"), language="pt", context_message_id="wamid.in1")
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5511999990000",
        "context": {"message_id": "wamid.in1"},
        "type": "text",
        "text": {"body": "Olá", "preview_url": False},
    }


def test_up_to_three_buttons_are_reply_buttons_with_short_titles() -> None:
    buttons = (
        Button("↩️ Desfazer", ButtonAction.UNDO, "/desfazer", TX),
        _button("🏷️ Presentes e doações", "muda pra presentes e doações"),
        _button("🏷️ Saúde", "muda pra saúde"),
    )
    body = build_message("55", Reply("✅ R$ 10,00", buttons), language="pt")
    assert body["type"] == "interactive"
    interactive = body["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"] == {"text": "✅ R$ 10,00"}
    replies = [b["reply"] for b in interactive["action"]["buttons"]]
    assert [r["title"] for r in replies] == ["↩️ Desfazer", "🏷️ Presentes e doaç…", "🏷️ Saúde"]
    assert all(len(r["title"]) <= MAX_BUTTON_TITLE for r in replies)
    assert replies[0]["id"] == f"undo:{TX}:/desfazer"
    assert all(len(r["id"]) <= MAX_BUTTON_ID for r in replies)


def test_more_than_three_buttons_make_a_list_of_at_most_ten_rows() -> None:
    buttons = tuple(_button(f"🏷️ Categoria número {n:02d} longa", f"muda pra c{n}") for n in range(12))
    body = build_message("55", Reply("Escolha", buttons), language="pt")
    interactive = body["interactive"]
    assert interactive["type"] == "list"
    action = interactive["action"]
    assert action["button"] == "Opções"
    (section,) = action["sections"]
    rows = section["rows"]
    assert len(rows) == 10
    assert rows[0] == {
        "id": f"change_category:{TX}:muda pra c0",
        "title": "🏷️ Categoria número 00 …",
        "description": "🏷️ Categoria número 00 longa",
    }
    assert all(len(r["title"]) <= MAX_ROW_TITLE and len(r["id"]) <= MAX_ROW_ID for r in rows)
    english = build_message("55", Reply("Choose", buttons), language="en")
    assert english["interactive"]["action"]["button"] == "Options"


def test_a_button_whose_id_would_not_fit_is_left_out() -> None:
    long_value = "x" * 300
    body = build_message("55", Reply("t", (_button("ok", "sim"), _button("long", long_value))), language="pt")
    assert [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]] == ["ok"]
    only_long = build_message("55", Reply("t", (_button("long", long_value),)), language="pt")
    assert only_long["type"] == "text"


def test_a_text_too_long_for_an_interactive_body_goes_as_text() -> None:
    body = build_message("55", Reply("a" * 1500, (_button("ok", "sim"),)), language="pt")
    assert body["type"] == "text"
    assert body["text"]["body"] == "a" * 1500
    huge = build_message("55", Reply("b" * 5000), language="pt")
    assert len(huge["text"]["body"]) == 4096
    assert huge["text"]["body"].endswith("…")


def test_button_ids_round_trip_and_foreign_ids_are_not_ours() -> None:
    button = _button("🏷️ Saúde", "muda pra saúde: já")
    pressed = parse_button_id(button_id(button))
    assert pressed is not None
    assert (pressed.action, pressed.text, pressed.transaction_id) == (
        "change_category",
        "muda pra saúde: já",
        uuid.UUID(TX),
    )
    confirm = parse_button_id(button_id(Button("✅ Sim", ButtonAction.CONFIRM, "sim")))
    assert confirm is not None
    assert (confirm.text, confirm.transaction_id) == ("sim", None)
    # An action this code does not know (a newer renderer's) still carries its message.
    newer = parse_button_id(f"claim_payer:{TX}:fui eu")
    assert newer is not None
    assert (newer.action, newer.text, newer.transaction_id) == ("claim_payer", "fui eu", uuid.UUID(TX))
    for foreign in ("callback_data", "a:b", "undo:not-a-uuid:/desfazer", "Undo::x", "undo::  ", ""):
        assert parse_button_id(foreign) is None, foreign


def test_a_rendered_recorded_reply_with_guesses_becomes_a_list_or_buttons() -> None:
    tx_id = uuid.uuid4()
    tx = RecordedTransaction.model_validate(
        {
            "transaction_id": tx_id,
            "kind": "expense",
            "amount": Decimal("45.90"),
            "currency": "BRL",
            "occurred_on": dt.date(2026, 11, 28),
            "merchant": "mercado",
            "category": "groceries",
            "category_name": "Mercado",
            "category_guesses": ["restaurants", "shopping", "health"],
        }
    )
    reply = chat_reply("whatsapp", "55", "wamid.a", ReplyKind.RECORDED, transactions=(tx,))
    rendered = render(reply)
    body = build_message("55", rendered, language="pt", context_message_id="wamid.a")
    ids = (
        [r["id"] for r in body["interactive"]["action"]["sections"][0]["rows"]]
        if body["interactive"]["type"] == "list"
        else [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]]
    )
    assert len(ids) == len(rendered.buttons) >= 4  # undo and three guesses (and any newer button)
    assert body["interactive"]["type"] == "list"
    assert ids[0] == f"undo:{tx_id}:/desfazer"
    assert ids[1] == f"change_category:{tx_id}:muda pra alimentação"
    for value in ids:
        pressed = parse_button_id(value)
        assert pressed is not None
        assert pressed.transaction_id == tx_id


def test_a_link_confirmation_is_one_reply_button_whose_id_brings_the_code_back() -> None:
    reply = chat_reply(
        "whatsapp",
        "55",
        "wamid.b",
        ReplyKind.LINK_CONFIRM,
        link_account="ana",
        link_account_name="Ana Silva",
        link_code="K7QM-2XPD",
    )
    body = build_message("55", render(reply), language="pt", context_message_id="wamid.b")
    assert body["type"] == "interactive"
    assert body["interactive"]["type"] == "button"
    assert body["interactive"]["body"]["text"].startswith("🔗 Vincular este chat à conta “ana” (Ana Silva)?")
    assert body["interactive"]["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "confirm_link::/vincular K7QM-2XPD", "title": "🔗 Vincular"}}
    ]
    pressed = parse_button_id(body["interactive"]["action"]["buttons"][0]["reply"]["id"])
    assert pressed is not None
    assert (pressed.action, pressed.text, pressed.transaction_id) == (
        "confirm_link",
        "/vincular K7QM-2XPD",
        None,
    )
    # the longest code a reply can carry (32 characters) still fits a reply button's and a row's id
    longest = Button("🔗 Link", ButtonAction.CONFIRM_LINK, "/vincular " + "K" * 32)
    assert len(button_id(longest)) <= min(MAX_BUTTON_ID, MAX_ROW_ID)
    back = parse_button_id(button_id(longest))
    assert back is not None
    assert back.text == "/vincular " + "K" * 32
