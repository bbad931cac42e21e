"""Telegram file downloads are streamed and cut at the edge's limit, whatever getFile declared.

The Bot API is the stand-in on 127.0.0.1, which records how many bytes of each file it wrote before
the reader went away; the bot state is the edge's real one and the intake a list.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from financy.bots.common.message import InboundMessage, IntakeResult, RetryLaterError
from financy.bots.common.ratelimit import RateLimiter
from financy.bots.telegram.client import TelegramBot, TelegramConfig
from financy.edge.outbox.bots import EdgeBotState
from tests.conftest import FIXTURES
from tests.support.telegram_api import TOKEN, USERNAME, StandInBotApi

VOICE = (FIXTURES / "telegram" / "tgdocs_voice.json").read_bytes()  # declares 23000 bytes
FILE_ID = json.loads(VOICE)["message"]["voice"]["file_id"]
PATH = "voice/file_7.oga"
LIMIT = 100_000


class Kept:
    """An intake that keeps what it is handed."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []

    async def __call__(self, inbound: InboundMessage) -> IntakeResult:
        self.messages.append(inbound)
        return IntakeResult(f"telegram:{inbound.chat_id}:{inbound.message_id}", accepted=True)


@pytest.fixture
def api() -> Iterator[StandInBotApi]:
    server = StandInBotApi().start()
    try:
        yield server
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def claims(api: StandInBotApi, file_size: int) -> None:
    """Have the next getFile answer declare ``file_size`` bytes for the voice file at ``PATH``."""
    result = {"file_id": FILE_ID, "file_unique_id": "uvoice", "file_size": file_size, "file_path": PATH}
    api.script("getFile", (200, {"ok": True, "result": result}))


def take_voice(
    api: StandInBotApi, tmp_path: Path, *, file_base_url: str | None = None
) -> list[InboundMessage]:
    """Process the voice sample with a ``LIMIT``-byte media limit; return what the intake got."""
    intake = Kept()
    state = EdgeBotState(tmp_path / "bots.sqlite3")
    config = TelegramConfig(
        token=TOKEN,
        api_base_url=f"{api.url}/bot",
        file_base_url=file_base_url or f"{api.url}/file/bot",
        bot_username=USERNAME,
        max_media_bytes=LIMIT,
    )
    tg = TelegramBot(config, intake, state, limiter=RateLimiter(1000.0, 1000.0))

    async def run() -> None:
        try:
            await tg.process(VOICE)
        finally:
            await tg.stop()
            state.close()

    asyncio.run(run())
    return intake.messages


@pytest.mark.parametrize("send_length", [True, False])
def test_a_file_larger_than_getfile_said_is_not_read_whole(
    api: StandInBotApi, tmp_path: Path, send_length: bool
) -> None:
    big = b"\x4f" * (32 * 1024 * 1024)
    api.add_file(FILE_ID, big, PATH)
    api.send_length = send_length
    claims(api, 10)
    (inbound,) = take_voice(api, tmp_path)
    assert (inbound.media_type, inbound.media, inbound.problem) == ("voice", None, "file_too_large")
    ((path, written),) = api.served
    assert path == PATH
    assert written < len(big) // 2  # the reader went away early; before, all 32 MiB were read


@pytest.mark.parametrize("send_length", [True, False])
def test_a_file_of_exactly_the_limit_is_taken_and_one_byte_more_is_not(
    api: StandInBotApi, tmp_path: Path, send_length: bool
) -> None:
    api.send_length = send_length
    exact = bytes(range(256)) * (LIMIT // 256) + b"\x00" * (LIMIT % 256)
    api.add_file(FILE_ID, exact, PATH)
    claims(api, 10)
    (inbound,) = take_voice(api, tmp_path / "a")
    assert inbound.problem is None
    assert inbound.media is not None
    assert (inbound.media.data, inbound.media.filename) == (exact, "file_7.oga")
    api.add_file(FILE_ID, exact + b"!", PATH)
    claims(api, 10)
    (over,) = take_voice(api, tmp_path / "b")
    assert (over.media, over.problem) == (None, "file_too_large")
    assert api.downloads == [PATH, PATH]


@pytest.mark.parametrize("status", [500, 502, 429])
def test_a_download_the_bot_api_cannot_serve_now_is_tried_again(
    api: StandInBotApi, tmp_path: Path, status: int
) -> None:
    api.add_file(FILE_ID, b"OggS", PATH)
    api.file_errors[PATH] = status
    with pytest.raises(RetryLaterError, match=f"HTTP {status}"):
        take_voice(api, tmp_path)
    assert api.downloads == [PATH]


@pytest.mark.parametrize("status", [404, 302, 204])
def test_a_download_refused_for_good_or_empty_is_kept_as_media_missing(
    api: StandInBotApi, tmp_path: Path, status: int
) -> None:
    api.add_file(FILE_ID, b"OggS", PATH)
    api.file_errors[PATH] = status
    (inbound,) = take_voice(api, tmp_path)
    assert (inbound.media_type, inbound.media, inbound.problem) == ("voice", None, "media_missing")


def test_a_file_server_nobody_answers_on_is_tried_again(api: StandInBotApi, tmp_path: Path) -> None:
    api.add_file(FILE_ID, b"OggS", PATH)
    with pytest.raises(RetryLaterError, match="file download failed: ConnectError") as caught:
        take_voice(api, tmp_path, file_base_url=f"http://127.0.0.1:{free_port()}/file/bot")
    assert TOKEN not in str(caught.value)


def test_the_download_goes_to_the_file_root_with_the_token(api: StandInBotApi, tmp_path: Path) -> None:
    api.add_file(FILE_ID, b"OggS-voice", PATH)
    (inbound,) = take_voice(api, tmp_path)
    assert inbound.media is not None
    assert inbound.media.data == b"OggS-voice"
    assert api.downloads == [PATH]
    assert [c.method for c in api.calls if c.method == "getFile"] == ["getFile"]
