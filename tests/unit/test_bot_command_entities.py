"""Malformed bot_command entities leave a Telegram message's text as sent.

Entity offsets count UTF-16 code units; one that starts or ends inside a surrogate pair (the
middle of 😀), lies past the end, is empty or overlaps an earlier command names no command.
"""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from financy.bots.telegram.mapping import BotIdentity, map_update
from financy.bots.telegram.utf16 import utf16_boundary

BOT = Bot("7000001:TEST")
ME = BotIdentity(7000001, "Bot", 25 * 1024 * 1024)


def text_of(text: str, *entities: tuple[int, int], chat_type: str = "private") -> str | None:
    """Return the intake text of a message with ``text`` and bot_command entities ``(offset, length)``."""
    chat_id = -100 if chat_type != "private" else 42
    body: dict[str, Any] = {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": chat_type, "title": "G"},
            "from": {"id": 42, "is_bot": False, "first_name": "Ana"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": o, "length": n} for o, n in entities],
        },
    }
    mapped = map_update(Update.de_json(body, BOT), ME, lambda chat, mid: None)
    return mapped.inbound.text if mapped.inbound is not None else None


def test_a_well_formed_command_after_an_emoji_loses_its_mention() -> None:
    assert text_of("😀/add@Bot 12", (2, 8)) == "😀/add 12"


@pytest.mark.parametrize(
    "entity",
    [
        (1, 8),  # starts inside 😀
        (1, 9),
        (0, 9),  # starts on 😀's first half, ends mid-word
        (2, 20),  # past the end
        (-1, 9),
        (2, 0),  # empty
    ],
)
def test_an_entity_off_the_character_boundaries_keeps_the_text(entity: tuple[int, int]) -> None:
    assert text_of("😀/add@Bot 12", entity) == "😀/add@Bot 12"


def test_an_entity_ending_inside_a_surrogate_pair_keeps_the_text() -> None:
    assert text_of("/add@Bot😀 12", (0, 9)) == "/add@Bot😀 12"


def test_a_repeated_or_overlapping_command_is_cut_once() -> None:
    assert text_of("/add@Bot 12", (0, 8), (0, 8)) == "/add 12"
    assert text_of("/add@Bot 12", (0, 8), (4, 4)) == "/add 12"
    assert text_of("/a /add@Bot 12", (0, 7), (3, 8)) == "/a /add@Bot 12"


def test_two_separate_commands_both_lose_their_mention() -> None:
    assert text_of("/add@Bot 12 😀 /list@Bot", (0, 8), (15, 9)) == "/add 12 😀 /list"


def test_a_misplaced_entity_cannot_make_a_group_message_look_addressed_elsewhere() -> None:
    assert text_of("x/start@Other", (1, 12), chat_type="group") == "x/start@Other"
    assert text_of("😀/start@Other", (1, 13), chat_type="group") == "😀/start@Other"


def test_utf16_boundaries() -> None:
    text = "a😀b"  # UTF-16: a=0, 😀=1..2, b=3, end=4
    assert [utf16_boundary(text, u) for u in range(-1, 6)] == [False, True, True, False, True, True, False]
    assert utf16_boundary("", 0) is True
