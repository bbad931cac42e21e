"""The Telegram adapter against a stand-in Bot API, without an edge: Telegram's errors, in both directions.

The edge's intake is stood in for by a list that collects the inbound messages (these tests are
about what the adapter asks Telegram and what it hands on); the bot state is the edge's real one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from financy.bots.common.message import RetryLaterError, UndeliverableError
from financy.bots.common.ratelimit import RateLimiter
from financy.bots.common.render import render
from financy.bots.telegram.client import TelegramBot, TelegramConfig
from financy.core.contracts.v1 import ReplyKind, ReplyV1
from financy.edge.outbox.bots import EdgeBotState
from tests.conftest import FIXTURES
from tests.support.intake import RecordingIntake
from tests.support.replies import chat_reply
from tests.support.telegram_api import TOKEN, USERNAME, StandInBotApi


@pytest.fixture
def api() -> Iterator[StandInBotApi]:
    server = StandInBotApi().start()
    try:
        yield server
    finally:
        server.stop()


def bot(
    api: StandInBotApi, tmp_path: Path, **config: Any
) -> tuple[TelegramBot, RecordingIntake, EdgeBotState]:
    intake = RecordingIntake()
    state = EdgeBotState(tmp_path / "bots.sqlite3")
    cfg = TelegramConfig(
        token=TOKEN,
        api_base_url=f"{api.url}/bot",
        file_base_url=f"{api.url}/file/bot",
        bot_username=USERNAME,
        **config,
    )
    return TelegramBot(cfg, intake, state, limiter=RateLimiter(1000.0, 1000.0)), intake, state


def question(chat_id: str = "12345678", in_reply_to: str = "11223") -> ReplyV1:
    return chat_reply("telegram", chat_id, in_reply_to, ReplyKind.QUESTION, edge_id="e", problem="no_amount")


def error(status: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


def test_telegrams_errors_become_the_edges_delivery_errors(api: StandInBotApi, tmp_path: Path) -> None:
    tg, _intake, state = bot(api, tmp_path)
    reply = question()
    api.script(
        "sendMessage",
        error(429, "Too Many Requests: retry after 7", retry_after=7),
        error(502, "Bad Gateway"),
        error(403, "Forbidden: bot was blocked by the user"),
        error(400, "Bad Request: chat not found"),
    )

    async def run() -> list[BaseException]:
        caught: list[BaseException] = []
        for _ in range(4):
            try:
                await tg.send(reply, render(reply))
            except (RetryLaterError, UndeliverableError) as exc:
                caught.append(exc)
        await tg.stop()
        return caught

    caught = asyncio.run(run())
    assert [type(e).__name__ for e in caught] == [
        "RetryLaterError",
        "RetryLaterError",
        "UndeliverableError",
        "UndeliverableError",
    ]
    first = caught[0]
    assert isinstance(first, RetryLaterError)
    assert first.retry_after_s == 7.0
    assert state.sent_message("telegram", "12345678", "501") is None  # nothing was sent


def test_a_migrated_group_gets_the_reply_at_its_new_id(api: StandInBotApi, tmp_path: Path) -> None:
    tg, _intake, state = bot(api, tmp_path)
    reply = question(chat_id="-4001", in_reply_to="mig-1004001")
    api.script(
        "sendMessage",
        error(400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=-1004001),
    )

    async def run() -> None:
        await tg.send(reply, render(reply))
        await tg.stop()

    asyncio.run(run())
    calls = api.calls_of("sendMessage")
    assert [c["chat_id"] for c in calls] == ["-4001", "-1004001"]
    assert "reply_parameters" not in calls[1]
    sent = state.sent_message("telegram", "-1004001", "501")
    assert sent is not None
    assert sent.reply_id == str(reply.reply_id)


def test_a_file_the_bot_api_will_not_serve_is_refused_not_retried(api: StandInBotApi, tmp_path: Path) -> None:
    tg, intake, _state = bot(api, tmp_path)
    api.script("getFile", error(400, "Bad Request: file is too big"))
    body = json.loads((FIXTURES / "telegram" / "tgdocs_voice.json").read_text())

    async def run() -> None:
        await tg.process(json.dumps(body).encode())
        await tg.stop()

    asyncio.run(run())
    assert [(m.media_type, m.problem, m.media) for m in intake.messages] == [
        ("voice", "file_too_large", None)
    ]
    assert api.downloads == []


def test_a_bot_api_away_while_fetching_a_file_is_tried_again(api: StandInBotApi, tmp_path: Path) -> None:
    tg, intake, _state = bot(api, tmp_path)
    api.script("getFile", error(502, "Bad Gateway"))
    body = (FIXTURES / "telegram" / "tgdocs_voice.json").read_bytes()

    async def run() -> None:
        with pytest.raises(RetryLaterError):
            await tg.process(body)
        await tg.stop()

    asyncio.run(run())
    assert intake.messages == []


def test_an_unreadable_update_is_acknowledged(api: StandInBotApi, tmp_path: Path) -> None:
    tg, intake, _state = bot(api, tmp_path)

    async def run() -> None:
        await tg.process(b'{"update_id": 1, "message": {"message_id": "x"}}')
        await tg.process(b"[1, 2]")
        await tg.stop()

    asyncio.run(run())
    assert intake.messages == []
    assert api.methods() == []


def test_a_reply_to_an_edit_quotes_the_edited_message(api: StandInBotApi, tmp_path: Path) -> None:
    tg, _intake, state = bot(api, tmp_path)
    reply = question(in_reply_to="1365.e1441646600")

    async def run() -> None:
        await tg.send(reply, render(reply))
        await tg.stop()

    asyncio.run(run())
    [call] = api.calls_of("sendMessage")
    assert call["reply_parameters"] == {"message_id": 1365, "allow_sending_without_reply": True}
    assert call["text"] == render(reply).text
    assert "reply_markup" not in call  # a question has no buttons
    sent = state.sent_message("telegram", "12345678", "501")
    assert sent is not None
    assert sent.transaction_ids == ()


def test_administrators_the_library_cannot_read_do_not_lose_the_bot_added_event(
    api: StandInBotApi, tmp_path: Path
) -> None:
    tg, intake, _state = bot(api, tmp_path)
    # An administrator entry without the rights fields this library requires (a newer or
    # self-hosted Bot API): the group is still bound, without the administrators.
    api.admins = [{"user": {"id": 7002, "is_bot": False, "first_name": "Bruno"}, "status": "administrator"}]
    added = {
        "update_id": 77,
        "my_chat_member": {
            "chat": {"id": -100123, "title": "Casa", "type": "supergroup"},
            "from": {"id": 7001, "is_bot": False, "first_name": "Ana"},
            "date": 1764633600,
            "old_chat_member": {
                "user": {"id": 7000001, "is_bot": True, "first_name": "Financy"},
                "status": "left",
            },
            "new_chat_member": {
                "user": {"id": 7000001, "is_bot": True, "first_name": "Financy"},
                "status": "member",
            },
        },
    }

    async def run() -> None:
        await tg.process(json.dumps(added).encode())
        await tg.stop()

    asyncio.run(run())
    [inbound] = intake.messages
    assert inbound.chat_event is not None
    assert (inbound.chat_event.kind, inbound.chat_event.chat_title) == ("bot_added", "Casa")
    assert inbound.chat_event.admins == ()
    assert (inbound.sender_id, inbound.chat_type) == ("7001", "group")
    assert api.methods() == ["getChatAdministrators"]
