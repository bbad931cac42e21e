"""The Telegram adapter's pure parts: UTF-16 offsets, callback data, the rate limiter, the keyboard."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

import pytest

from financy.bots.common.ratelimit import RateLimiter
from financy.bots.common.render import render
from financy.bots.common.reply import Button, ButtonAction
from financy.bots.telegram.callbacks import (
    MAX_DATA_BYTES,
    Press,
    all_categories,
    category_slug,
    decode,
    encode,
    press_language,
    press_text,
)
from financy.bots.telegram.client import keyboard, lenient
from financy.bots.telegram.utf16 import utf16_len, utf16_remove, utf16_slice, utf16_to_index
from financy.core.contracts.v1 import RecordedTransaction, ReplyKind, TransactionKind
from tests.support.replies import chat_reply

TX = uuid.UUID("0190f0a1-2b3c-7d4e-8f90-a1b2c3d4e5f6")


# --- UTF-16 -------------------------------------------------------------------------------------


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("ação") == 4  # BMP accents are one unit
    assert utf16_len("🍕") == 2
    assert utf16_len("🎉🎉 /resumo") == 12


def test_a_slice_after_an_emoji_uses_utf16_offsets() -> None:
    text = "🎉🎉 /resumo@FinancyBot hoje"
    # Telegram's entity: offset 5 (two emoji = 4 units, a space), length 18.
    assert utf16_slice(text, 5, 18) == "/resumo@FinancyBot"
    assert text[5 : 5 + 18] != "/resumo@FinancyBot"  # what a plain Python slice would give
    assert utf16_remove(text, 12, 11) == "🎉🎉 /resumo hoje"


def test_utf16_index_edges() -> None:
    assert utf16_to_index("🍕a", 0) == 0
    assert utf16_to_index("🍕a", 2) == 1
    assert utf16_to_index("🍕a", 1) == 1  # inside the pair: after the character
    assert utf16_to_index("🍕a", 99) == 2
    assert utf16_to_index("🍕a", -3) == 0


# --- callback data ------------------------------------------------------------------------------


def test_buttons_encode_within_64_bytes_and_decode_back() -> None:
    undo = Button("↩️ Desfazer", ButtonAction.UNDO, "/desfazer", str(TX))
    confirm = Button("✅ Sim", ButtonAction.CONFIRM, "sim")
    category = Button(
        "🏷️ Presentes e doações", ButtonAction.CHANGE_CATEGORY, "muda pra presentes e doações", str(TX)
    )
    assert encode(undo) == f"u:{TX.hex}"
    assert encode(confirm) == "y"
    assert encode(category) == f"c:{TX.hex}:gifts_donations"
    for data in (encode(undo), encode(confirm), encode(category)):
        assert data is not None
        assert len(data.encode()) <= MAX_DATA_BYTES
    assert decode(f"u:{TX.hex}") == Press("undo", TX)
    assert decode("y") == Press("confirm", None)
    assert decode(f"c:{TX.hex}:gifts_donations") == Press("category", TX, slug="gifts_donations")
    assert decode(f"m:{TX.hex}") == Press("more", TX)
    assert decode(f"p:{TX.hex}") == Press("claim", TX)


def test_an_english_category_button_encodes_the_same_slug() -> None:
    assert category_slug("change category to gifts and donations") == "gifts_donations"
    assert category_slug("muda pra contas da casa") == "utilities"
    assert category_slug("muda pra nada disso") is None


def test_buttons_of_other_actions_carry_their_message() -> None:
    # Actions this adapter has no short form for travel as the message itself.
    other = Button("🙋 Eu paguei", ButtonAction.CONFIRM, "eu paguei", str(TX))
    object.__setattr__(other, "action", "split_bill")
    assert encode(other) == f"v:{TX.hex}:eu paguei"
    assert decode(f"v:{TX.hex}:eu paguei") == Press("text", TX, text="eu paguei")
    assert encode(Button("🙋 Fui eu", ButtonAction.CLAIM_PAYER, "/eu", str(TX))) == f"p:{TX.hex}"
    assert (
        encode(Button("➕ Categorias", ButtonAction.MORE_CATEGORIES, "/categoria", str(TX))) == f"m:{TX.hex}"
    )
    too_long = Button("x", ButtonAction.CONFIRM, "x" * 40, str(TX))
    object.__setattr__(too_long, "action", "something_new")
    assert encode(too_long) is None


@pytest.mark.parametrize(
    "data",
    [
        "",
        "b",
        "1",
        "u:xyz",
        f"u:{TX.hex}x",
        f"c:{TX.hex}",
        f"c:{TX.hex}:not_a_category",
        "v:",
        f"v:{TX.hex}:  ",
        "z:1",
        "y" * 65,
    ],
)
def test_malformed_callback_data_decodes_to_none(data: str) -> None:
    assert decode(data) is None


def test_a_press_is_the_message_in_the_pressers_language() -> None:
    assert press_language("en-US") == "en"
    assert press_language("pt-br") == "pt"
    assert press_language(None) == "pt"
    assert press_text(Press("undo", TX), "en") == "/undo"
    assert press_text(Press("confirm"), "pt") == "sim"
    assert press_text(Press("category", TX, slug="health"), "pt") == "muda pra saúde"
    assert press_text(Press("category", TX, slug="health"), "en") == "change category to health"
    assert press_text(Press("more", TX), "pt") is None
    assert (press_text(Press("claim", TX), "pt"), press_text(Press("claim", TX), "en")) == ("/eu", "/me")


def test_press_texts_are_the_values_render_gives() -> None:
    """The words a press sends are the very values under render's buttons, in both languages."""
    for language in ("pt", "en"):
        reply = chat_reply(
            "telegram",
            "1",
            "2",
            ReplyKind.RECORDED,
            language=language,
            edge_id="e",
            transactions=(
                RecordedTransaction(
                    transaction_id=TX,
                    kind=TransactionKind.EXPENSE,
                    amount=Decimal("45.90"),
                    currency="BRL",
                    occurred_on=dt.date(2026, 11, 29),
                    category="groceries",
                    category_guesses=("health", "restaurants"),
                ),
            ),
            created_at=dt.datetime(2026, 11, 29, tzinfo=dt.UTC),
        )
        rendered = render(reply).buttons
        assert [b.action for b in rendered] == [
            ButtonAction.UNDO,
            ButtonAction.CHANGE_CATEGORY,
            ButtonAction.CHANGE_CATEGORY,
            ButtonAction.MORE_CATEGORIES,
        ]
        for button in rendered:
            press = decode(encode(button))
            assert press is not None, button
            assert press.transaction_id == TX
            if button.action is ButtonAction.MORE_CATEGORIES:
                assert press.kind == "more"  # the adapter lists the categories itself
            else:
                assert press_text(press, language) == button.value
        who_paid = reply.model_copy(update={"kind": ReplyKind.WHO_PAID})
        [claim] = render(who_paid).buttons
        press = decode(encode(claim))
        assert press == Press("claim", TX)
        assert press_text(press, language) == claim.value


def test_the_full_category_list_is_twenty_buttons() -> None:
    listed = all_categories(TX, "pt")
    assert len(listed) == 20
    assert listed[0] == ("🏷️ Mercado", f"c:{TX.hex}:groceries")
    assert all(len(data.encode()) <= MAX_DATA_BYTES for _label, data in listed)


def test_keyboard_rows_hold_one_then_two_buttons() -> None:
    buttons = (
        Button("↩️ Desfazer", ButtonAction.UNDO, "/desfazer", str(TX)),
        Button("🏷️ Saúde", ButtonAction.CHANGE_CATEGORY, "muda pra saúde", str(TX)),
        Button("🏷️ Lazer", ButtonAction.CHANGE_CATEGORY, "muda pra lazer", str(TX)),
        Button("🏷️ Pets", ButtonAction.CHANGE_CATEGORY, "muda pra pets", str(TX)),
    )
    markup = keyboard(buttons)
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        [f"u:{TX.hex}"],
        [f"c:{TX.hex}:health", f"c:{TX.hex}:entertainment"],
        [f"c:{TX.hex}:pets"],
    ]
    assert keyboard(()) is None


def test_lenient_fills_what_telegrams_examples_omit() -> None:
    body = {
        "update_id": 1,
        "message": {
            "from": {"id": 5, "first_name": "A"},
            "forward_from": {"id": -1, "type": "channel", "title": "C"},
        },
    }
    fixed = lenient(body)
    assert fixed["message"]["from"] == {"id": 5, "first_name": "A", "is_bot": False}
    assert fixed["message"]["forward_from_chat"] == {"id": -1, "type": "channel", "title": "C"}
    assert "forward_from" not in fixed["message"]


# --- rate limiter -------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_one_chat_is_spaced_one_second_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(30.0, 1.0, clock=clock, sleep=clock.sleep)
    assert [limiter.reserve_chat("a") for _ in range(3)] == [0.0, 1.0, 2.0]


def test_many_chats_share_the_overall_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, 1.0, clock=clock, sleep=clock.sleep)

    async def run() -> list[float]:
        return [round(await limiter.acquire(f"chat{i}"), 6) for i in range(4)]

    assert asyncio.run(run()) == [0.0, 0.1, 0.1, 0.1]
    assert clock.now == pytest.approx(100.3)


def test_groups_get_their_own_slower_rate_without_holding_up_others() -> None:
    clock = FakeClock()
    limiter = RateLimiter(30.0, 1.0, group_per_s=20 / 60, clock=clock, sleep=clock.sleep)
    assert limiter.reserve_chat("-100", group=True) == 0.0
    assert limiter.reserve_chat("-100", group=True) == pytest.approx(3.0)
    assert limiter.reserve_chat("7") == 0.0
    assert limiter.reserve_overall() == 0.0
    assert limiter.reserve_overall() == pytest.approx(1 / 30)


def test_acquire_sleeps_the_reserved_wait_and_time_moves_on() -> None:
    clock = FakeClock()
    limiter = RateLimiter(30.0, 2.0, clock=clock, sleep=clock.sleep)

    async def run() -> list[float]:
        return [round(await limiter.acquire("a"), 6) for _ in range(3)]

    assert asyncio.run(run()) == [0.0, 0.5, 0.5]
    assert clock.slept == [0.5, 0.5]
    clock.now += 10
    assert limiter.reserve_chat("a") == 0.0  # an idle chat sends at once


def test_the_limiter_forgets_the_least_recent_chats() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1000.0, 1.0, max_chats=2, clock=clock, sleep=clock.sleep)
    limiter.reserve_chat("a")
    limiter.reserve_chat("b")
    limiter.reserve_chat("c")  # "a" is forgotten
    assert limiter.reserve_chat("a") == 0.0
    assert limiter.reserve_chat("c") == 1.0
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0, 1)


# --- settings -----------------------------------------------------------------------------------


def test_telegram_urls_default_and_derive() -> None:
    from financy.edge.settings import TelegramSettings

    default = TelegramSettings()
    assert (default.api_base_url, default.resolved_file_base_url()) == (
        "https://api.telegram.org/bot",
        "https://api.telegram.org/file/bot",
    )
    local = TelegramSettings(api_base_url="http://127.0.0.1:8081/")
    assert (local.api_base_url, local.resolved_file_base_url()) == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    both = TelegramSettings(api_base_url="http://h/tg/bot", file_base_url="http://files/x/bot")
    assert (both.api_base_url, both.resolved_file_base_url()) == ("http://h/tg/bot", "http://files/x/bot")
    assert (default.mode, default.webhook_url, default.bot_username) == ("webhook", None, None)


def test_a_link_confirmation_button_carries_its_code_and_comes_back_as_the_confirmation() -> None:
    reply = chat_reply(
        "telegram",
        "1",
        "2",
        ReplyKind.LINK_CONFIRM,
        link_account="ana",
        link_account_name="Ana Silva",
        link_code="K7QM-2XPD",
    )
    markup = keyboard(render(reply).buttons)
    assert markup is not None
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == [
        [("🔗 Vincular", "v::/vincular K7QM-2XPD")]
    ]
    press = decode("v::/vincular K7QM-2XPD")
    assert press == Press("text", None, text="/vincular K7QM-2XPD")
    assert press_text(press, "en") == "/vincular K7QM-2XPD"  # the value as rendered, whoever presses
    # the longest code a reply carries (32 characters) still fits Telegram's 64 bytes
    longest = Button("🔗 Link", ButtonAction.CONFIRM_LINK, "/vincular " + "K" * 32)
    data = encode(longest)
    assert data is not None
    assert len(data.encode()) <= MAX_DATA_BYTES
    assert decode(data) == Press("text", None, text="/vincular " + "K" * 32)
