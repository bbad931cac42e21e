"""Telegram through a real edge: ``financy edge run`` with a stand-in Bot API on 127.0.0.1.

The real sample updates (tests/fixtures/telegram) are posted to ``/webhooks/telegram`` as
Telegram would post them; the stand-in records every Bot API call the edge makes. The captures
are read from the edge's own outbox (the core side is not part of these tests): what lands there
is what the core will be given.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import pytest
import redis

from financy.bots.common.render import render
from financy.core.contracts.v1 import (
    CaptureV1,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    TransactionKind,
    encode,
    idempotency_key,
    replies_stream,
)
from tests.conftest import FIXTURES
from tests.support.processes import financy_env, free_port, start, stop, wait_http
from tests.support.replies import chat_reply
from tests.support.telegram_api import BOT_ID, TOKEN, USERNAME, StandInBotApi

pytestmark = pytest.mark.integration

SECRET = "webhook-Secret_123"
VOICE = (FIXTURES / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg").read_bytes()


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "telegram" / f"{name}.json").read_text())
    return loaded


@dataclass
class Edge:
    """A running edge with Telegram on, its stand-in Bot API and its state files."""

    url: str
    edge_id: str
    api: StandInBotApi
    data_dir: Path
    proc: Popen[bytes]
    redis_url: str
    _update_ids: Iterator[int]

    @property
    def edge_dir(self) -> Path:
        return self.data_dir / "edge" / self.edge_id

    def post(self, body: dict[str, Any] | bytes, *, headers: dict[str, Any] | None = None) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"X-Telegram-Bot-Api-Secret-Token": SECRET} if headers is None else headers
        return httpx.post(f"{self.url}/webhooks/telegram", content=content, headers=sent, timeout=10)

    def fresh(self, body: dict[str, Any]) -> dict[str, Any]:
        """Return ``body`` with a new update_id (each test's updates stay apart)."""
        out = copy.deepcopy(body)
        out["update_id"] = next(self._update_ids)
        return out

    def capture(self, chat_id: str, message_id: str, timeout_s: float = 20.0) -> CaptureV1:
        """Wait for the capture of (chat, message) in the edge's outbox."""
        key = idempotency_key("telegram", chat_id, message_id)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with sqlite3.connect(self.edge_dir / "outbox.sqlite3") as db:
                row = db.execute("SELECT payload FROM outbox WHERE idempotency_key = ?", (key,)).fetchone()
            if row is not None:
                return CaptureV1.model_validate_json(row[0])
            time.sleep(0.05)
        raise AssertionError(f"no capture {key}; log: {self.log()[-3000:]}")

    def count(self, sql: str, *params: object, db: str = "outbox.sqlite3") -> int:
        with sqlite3.connect(self.edge_dir / db) as conn:
            return int(conn.execute(sql, params).fetchone()[0])

    def media_job(self, chat_id: str, message_id: str, timeout_s: float = 20.0) -> tuple[dict[str, Any], str]:
        """Wait for the media job of (chat, message); return its job JSON and the original's sha256."""
        key = idempotency_key("telegram", chat_id, message_id)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with sqlite3.connect(self.edge_dir / "outbox.sqlite3") as db:
                row = db.execute(
                    "SELECT payload, sha256 FROM media_jobs WHERE idempotency_key = ?", (key,)
                ).fetchone()
            if row is not None:
                return json.loads(row[0]), str(row[1])
            time.sleep(0.05)
        raise AssertionError(f"no media job {key}; log: {self.log()[-3000:]}")

    def settle(self, chat_id: str = "555001") -> None:
        """Post a plain text and wait for its capture: every update stored before it was processed."""
        body = self.fresh(sample("illemius_message"))
        body["message"]["chat"]["id"] = int(chat_id)
        body["message"]["message_id"] = body["update_id"]
        assert self.post(body).status_code == 200
        self.capture(chat_id, str(body["update_id"]))

    def reply(self, reply: ReplyV1) -> None:
        client = redis.Redis.from_url(self.redis_url)
        try:
            client.xadd(replies_stream(self.edge_id), encode(reply))  # type: ignore[arg-type]
        finally:
            client.close()

    def log(self) -> str:
        return (self.data_dir / "edge.log").read_text(errors="replace")


StartEdge = Callable[..., Edge]


@pytest.fixture
def start_edge(tmp_path: Path, redis_url: str, edge_id: str) -> Iterator[StartEdge]:
    """Return ``start_edge(**env)``: an edge with Telegram pointed at a fresh stand-in Bot API."""
    started: list[Edge] = []
    apis: list[StandInBotApi] = []

    def run(**overrides: str) -> Edge:
        api = StandInBotApi().start()
        apis.append(api)
        port = free_port()
        data_dir = tmp_path / f"edge{len(started)}"
        data_dir.mkdir()
        settings = {
            "FINANCY_REDIS_URL": redis_url,
            "FINANCY_DATA_DIR": str(data_dir),
            "FINANCY_EDGE__ID": edge_id,
            "FINANCY_EDGE__PORT": str(port),
            "FINANCY_EDGE__WORKERS": "0",
            "FINANCY_TELEGRAM__TOKEN": TOKEN,
            "FINANCY_TELEGRAM__API_BASE_URL": f"{api.url}/bot",
            "FINANCY_TELEGRAM__WEBHOOK_SECRET": SECRET,
            "FINANCY_TELEGRAM__WEBHOOK_URL": "https://financy.example/webhooks/telegram",
        }
        settings.update(overrides)
        settings = {k: v for k, v in settings.items() if v != ""}
        proc = start(["edge", "run"], financy_env(**settings), data_dir / "edge.log")
        edge = Edge(
            f"http://127.0.0.1:{port}", edge_id, api, data_dir, proc, redis_url, iter(range(9000, 99999))
        )
        started.append(edge)
        wait_http(f"{edge.url}/readyz", 60, proc)
        return edge

    try:
        yield run
    finally:
        codes = [(e, stop(e.proc)) for e in started]
        for api in apis:
            api.stop()
        for e, code in codes:
            assert code == 0, e.log()[-3000:]


def test_start_registers_the_webhook_and_the_commands_in_both_languages(start_edge: StartEdge) -> None:
    edge = start_edge()
    api = edge.api
    api.wait_for("setMyCommands", 3)
    assert api.methods()[:2] == ["getMe", "setWebhook"]
    assert api.calls_of("setWebhook") == [
        {
            "url": "https://financy.example/webhooks/telegram",
            "secret_token": SECRET,
            "allowed_updates": [
                "message",
                "edited_message",
                "channel_post",
                "callback_query",
                "my_chat_member",
            ],
        }
    ]
    commands = api.calls_of("setMyCommands")
    assert [c.get("language_code") for c in commands] == ["pt", "en", None]
    assert [c["command"] for c in commands[0]["commands"]] == [
        "start",
        "ajuda",
        "resumo",
        "desfazer",
        "categoria",
        "contexto",
        "convidar",
        "pessoal",
        "fatura",
        "cartao",
    ]
    assert [c["command"] for c in commands[1]["commands"]] == [
        "start",
        "help",
        "summary",
        "undo",
        "category",
        "context",
        "invite",
        "personal",
        "bill",
        "card",
    ]
    assert commands[2]["commands"] == commands[0]["commands"]  # the default: the edge's language (pt)


def test_the_secret_header_is_required_and_checked(start_edge: StartEdge) -> None:
    edge = start_edge()
    body = edge.fresh(sample("illemius_message"))
    for headers in (
        {},
        {"X-Telegram-Bot-Api-Secret-Token": ""},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
        {"X-Telegram-Bot-Api-Secret-Token": "s\xe9cret".encode("latin-1")},
    ):
        response = edge.post(body, headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == "unauthorized"
    assert edge.count("SELECT count(*) FROM updates", db="bots.sqlite3") == 0
    assert edge.post(b"not json").status_code == 400
    assert edge.post({"message": {}}).status_code == 400
    assert edge.post({"update_id": "12"}).status_code == 400
    assert edge.post(b"{" + b" " * (1024 * 1024 + 1) + b"}").status_code == 413
    assert edge.post(body).status_code == 200


def test_without_a_secret_the_webhook_refuses_to_serve(start_edge: StartEdge) -> None:
    edge = start_edge(FINANCY_TELEGRAM__WEBHOOK_SECRET="", FINANCY_TELEGRAM__WEBHOOK_URL="")
    response = edge.post(sample("illemius_message"))
    assert response.status_code == 503
    assert "FINANCY_TELEGRAM__WEBHOOK_SECRET" in response.json()["error"]["message"]
    assert edge.count("SELECT count(*) FROM updates", db="bots.sqlite3") == 0
    assert "telegram.webhook_disabled" in edge.log()
    assert "telegram.webhook_not_registered" in edge.log()
    assert edge.api.calls_of("setWebhook") == []


def test_a_redelivered_update_is_one_capture(start_edge: StartEdge) -> None:
    edge = start_edge()
    body = sample("illemius_message")
    first, again = edge.post(body), edge.post(body)
    assert (first.status_code, again.status_code) == (200, 200)
    capture = edge.capture("12345678", "11223")
    assert capture.text == "Hi, world!"
    assert capture.chat_type == "private"
    assert (capture.sender.platform_user_id, capture.sender.language_code, capture.sender.is_person) == (
        "12345678",
        "ru",
        True,
    )
    assert capture.sender.display_name == "FirstName LastName"
    edge.settle()
    assert edge.count("SELECT count(*) FROM outbox WHERE idempotency_key = 'telegram:12345678:11223'") == 1
    assert edge.count("SELECT count(*) FROM updates WHERE update_key = '128526'", db="bots.sqlite3") == 1
    assert edge.count("SELECT count(*) FROM chats WHERE chat_id = '12345678'", db="bots.sqlite3") == 1


def group_text(edge: Edge, text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    body = edge.fresh(sample("teloxide_supergroup_dice"))
    message = body["message"]
    del message["dice"]
    message.update(text=text, entities=entities, message_id=body["update_id"])
    return body


def test_group_commands_are_read_by_utf16_offsets(start_edge: StartEdge) -> None:
    edge = start_edge()
    add = group_text(edge, "/add@FinancyTestBot 12", [{"type": "bot_command", "offset": 0, "length": 19}])
    emoji = group_text(
        edge, "🎉🎉 /resumo@FinancyTestBot hoje", [{"type": "bot_command", "offset": 5, "length": 22}]
    )
    other = group_text(edge, "/start@OtherBot", [{"type": "bot_command", "offset": 0, "length": 15}])
    for body in (add, emoji, other):
        assert edge.post(body).status_code == 200
    chat = "-1001276785818"
    captured = edge.capture(chat, str(add["update_id"]))
    assert (captured.text, captured.chat_type) == ("/add 12", "group")
    assert edge.capture(chat, str(emoji["update_id"])).text == "🎉🎉 /resumo hoje"
    edge.settle()
    other_key = idempotency_key("telegram", chat, str(other["update_id"]))
    assert edge.count("SELECT count(*) FROM outbox WHERE idempotency_key = ?", other_key) == 0
    assert "command_for_another_bot" in edge.log()


def test_callbacks_are_answered_every_time(start_edge: StartEdge) -> None:
    edge = start_edge()
    tx = uuid.uuid4()
    malformed = edge.fresh(sample("kutana_callback_query_inline_keyboard"))  # data "b": not ours
    undo = edge.fresh(sample("kutana_callback_query_inline_keyboard"))
    undo["callback_query"].update(id="cb-undo-1", data=f"u:{tx.hex}")
    more = edge.fresh(sample("kutana_callback_query_inline_keyboard"))
    more["callback_query"].update(id="cb-more-1", data=f"m:{tx.hex}")
    for body in (malformed, undo, more):
        assert edge.post(body).status_code == 200
    answered = edge.api.wait_for("answerCallbackQuery", 3)
    assert [a["callback_query_id"] for a in answered] == ["1579255662248293506", "cb-undo-1", "cb-more-1"]
    capture = edge.capture("367699112", "cbcb-undo-1")
    assert (capture.text, capture.target_transaction, capture.sender.platform_user_id) == (
        "/undo",
        tx,
        "367699112",
    )
    edit = edge.api.wait_for("editMessageReplyMarkup")
    assert (edit[0]["chat_id"], edit[0]["message_id"]) == ("367699112", "3827")
    rows = edit[0]["reply_markup"]["inline_keyboard"]
    cells = [cell for row in rows for cell in row]
    assert len(cells) == 20
    assert cells[0] == {"text": "🏷️ Groceries", "callback_data": f"c:{tx.hex}:groceries"}
    edge.settle()
    assert edge.count("SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'telegram:367699112:%'") == 1


def test_a_voice_note_is_fetched_and_a_too_big_file_is_not(start_edge: StartEdge) -> None:
    edge = start_edge()
    edge.api.add_file("AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", VOICE, "voice/file_7.oga")
    voice = edge.fresh(sample("tgdocs_voice"))
    big = edge.fresh(sample("tgdocs_voice"))
    big["message"]["message_id"] = 1366
    big["message"]["voice"].update(file_id="BIG-FILE", file_size=30 * 1024 * 1024)
    assert edge.post(voice).status_code == 200
    assert edge.post(big).status_code == 200
    job, sha256 = edge.media_job("1111111", "1365")
    assert sha256 == hashlib.sha256(VOICE).hexdigest()
    assert (job["kind"], job["media"]["content_type"], job["media"]["size"]) == (
        "voice",
        "audio/ogg",
        len(VOICE),
    )
    assert job["media"]["filename"] == "file_7.oga"
    refused = edge.capture("1111111", "1366")
    assert refused.understanding is not None
    assert (refused.media_type, refused.understanding.problem, refused.media) == (
        "voice",
        "file_too_large",
        None,
    )
    assert edge.api.calls_of("getFile") == [{"file_id": "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX"}]
    assert edge.api.downloads == ["voice/file_7.oga"]
    stored = edge.data_dir / "objects" / job["media"]["key"]
    assert stored.read_bytes() == VOICE


def test_chat_events_edits_and_senders_that_are_not_people(start_edge: StartEdge) -> None:
    edge = start_edge(FINANCY_TELEGRAM__BOT_USERNAME=USERNAME)
    edge.api.admins = [
        {
            "status": "creator",
            "user": {"id": 42, "is_bot": False, "first_name": "Ana", "language_code": "pt-br"},
            "is_anonymous": False,
        },
        {
            "status": "administrator",
            "user": {"id": BOT_ID, "is_bot": True, "first_name": "Financy"},
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
        },
    ]
    kicked = sample("teloxide_my_chat_member_kicked")
    added = edge.fresh(kicked)
    member = added["my_chat_member"]
    member["chat"] = {"id": -100777, "type": "supergroup", "title": "Família Silva"}
    member["from"] = {"id": 42, "is_bot": False, "first_name": "Ana"}
    member["old_chat_member"]["status"] = "left"
    member["new_chat_member"] = {"user": member["new_chat_member"]["user"], "status": "member"}
    edited = sample("tgdocs_edited_message")
    edited["update_id"] = 10001
    anonymous = group_text(edge, "mercado 50", [])
    anonymous["message"]["sender_chat"] = {
        "id": -1001276785818,
        "type": "supergroup",
        "title": "bla bla bla chat",
    }
    anonymous["message"]["from"] = {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    for body in (kicked, added, edited, anonymous):
        assert edge.post(body).status_code == 200
    removed = edge.capture("0", "mcm0")
    assert removed.chat_event is not None
    assert removed.chat_event.kind == "bot_removed"
    bound = edge.capture("-100777", f"mcm{added['update_id']}")
    assert bound.chat_event is not None
    assert (bound.chat_event.kind, bound.chat_event.chat_title, bound.chat_type) == (
        "bot_added",
        "Família Silva",
        "group",
    )
    assert [(a.platform_user_id, a.is_chat_admin, a.is_person) for a in bound.chat_event.admins] == [
        ("42", True, True)
    ]
    assert (bound.sender.platform_user_id, bound.sender.is_chat_admin) == ("42", True)
    assert edge.api.calls_of("getChatAdministrators") == [{"chat_id": "-100777"}]
    amended = edge.capture("1111111", "1365.e1441646600")
    assert (amended.amends, amended.text) == ("1365", "Edited text")
    anon = edge.capture("-1001276785818", str(anonymous["update_id"]))
    assert (anon.sender.is_person, anon.sender.platform_user_id) == (False, "-1001276785818")
    assert "getMe" not in edge.api.methods()  # the username came from the settings


def test_kinds_we_cannot_read_are_kept_and_empty_updates_acknowledged(start_edge: StartEdge) -> None:
    edge = start_edge()
    assert edge.post(sample("kutana_update_without_payload")).status_code == 200
    location = sample("illemius_message_with_location")
    assert edge.post(location).status_code == 200
    capture = edge.capture("12345678", "12345")
    assert (capture.media_type, capture.text) == ("other", None)
    assert capture.understanding is not None
    assert capture.understanding.problem == "not_text"  # the core asks for the expense in words
    edge.settle()
    assert edge.count("SELECT count(*) FROM updates WHERE state = 'done'", db="bots.sqlite3") == 3
    assert "update_kind_not_handled" in edge.log()


def recorded(edge: Edge, chat_id: str, in_reply_to: str, tx: uuid.UUID) -> ReplyV1:
    return chat_reply(
        "telegram",
        chat_id,
        in_reply_to,
        ReplyKind.RECORDED,
        edge_id=edge.edge_id,
        transactions=(
            RecordedTransaction(
                transaction_id=tx,
                kind=TransactionKind.EXPENSE,
                amount=Decimal("45.90"),
                currency="BRL",
                occurred_on=dt.date(2026, 11, 29),
                merchant="mercado",
                category="groceries",
                category_name="Mercado",
                category_guesses=("groceries", "restaurants"),
            ),
        ),
    )


def test_replies_carry_the_keyboard_and_a_reply_to_them_targets_the_transaction(
    start_edge: StartEdge,
) -> None:
    edge = start_edge()
    tx = uuid.uuid4()
    reply = recorded(edge, "12345678", "11223", tx)
    edge.reply(reply)
    sent = edge.api.wait_for("sendMessage")
    rendered = render(reply)
    assert sent == [
        {
            "chat_id": "12345678",
            "text": rendered.text,
            "reply_parameters": {"message_id": 11223, "allow_sending_without_reply": True},
            "reply_markup": {
                "inline_keyboard": [
                    [{"text": rendered.buttons[0].label, "callback_data": f"u:{tx.hex}"}],
                    [
                        {"text": rendered.buttons[1].label, "callback_data": f"c:{tx.hex}:restaurants"},
                        {"text": rendered.buttons[2].label, "callback_data": f"m:{tx.hex}"},
                    ],
                ]
            },
        }
    ]
    # The user answers the bot's message (id 501 from the stand-in): it acts on that transaction.
    answer = edge.fresh(sample("illemius_reply_message"))
    answer["message"]["reply_to_message"]["message_id"] = 501
    answer["message"]["message_id"] = 12346
    answer["message"]["text"] = "era 49,90"
    deadline = time.monotonic() + 10
    while edge.count("SELECT count(*) FROM sent_messages", db="bots.sqlite3") == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert edge.post(answer).status_code == 200
    assert edge.capture("12345678", "12346").target_transaction == tx


def test_a_throttled_reply_is_kept_and_sent_again(start_edge: StartEdge) -> None:
    edge = start_edge()
    edge.api.script(
        "sendMessage",
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            },
        ),
    )
    reply = recorded(edge, "12345678", "cb77", uuid.uuid4())
    edge.reply(reply)
    calls = edge.api.wait_for("sendMessage", 2, timeout_s=30)
    assert calls[0] == calls[1]
    assert "reply_parameters" not in calls[1]  # a button press is not a message to quote
    deadline = time.monotonic() + 10
    while edge.count("SELECT count(*) FROM deliveries WHERE state = 'done'", db="bots.sqlite3") != 1:
        assert time.monotonic() < deadline, edge.log()[-2000:]
        time.sleep(0.05)
    assert "reply.deferred" in edge.log()
    assert len(edge.api.calls_of("sendMessage")) == 2
    metrics = httpx.get(f"{edge.url}/metrics", timeout=10).text
    assert 'financy_edge_bot_replies_waiting{state="pending"} 0.0' in metrics
    assert 'financy_edge_bot_updates{state="failed"} 0.0' in metrics


def test_a_blocked_bot_gives_the_reply_up(start_edge: StartEdge) -> None:
    edge = start_edge()
    edge.api.script(
        "sendMessage",
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
    )
    edge.reply(recorded(edge, "12345678", "11223", uuid.uuid4()))
    edge.api.wait_for("sendMessage")
    deadline = time.monotonic() + 10
    while "reply.undeliverable" not in edge.log():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert edge.count("SELECT count(*) FROM deliveries", db="bots.sqlite3") == 0
    assert len(edge.api.calls_of("sendMessage")) == 1


def test_polling_mode_feeds_the_same_path(start_edge: StartEdge) -> None:
    api_updates = [sample("teloxide_private_text_digit"), sample("teloxide_private_text_link_preview")]
    edge = start_edge(
        FINANCY_TELEGRAM__MODE="polling",
        FINANCY_TELEGRAM__POLL_TIMEOUT_S="1",
        FINANCY_TELEGRAM__WEBHOOK_URL="",
    )
    edge.api.updates.append(api_updates)
    assert edge.capture("408258968", "154").text == "4"
    assert edge.capture("218485655", "6557").text == "hello there"
    assert edge.api.calls_of("deleteWebhook") == [{"drop_pending_updates": "false"}]
    assert edge.api.calls_of("setWebhook") == []
    deadline = time.monotonic() + 10
    while not any("offset" in p for p in edge.api.calls_of("getUpdates")):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    polls = edge.api.calls_of("getUpdates")
    with_offset = [p["offset"] for p in polls if "offset" in p]
    assert with_offset[0] == str(892252934 + 1)  # past the last update stored, once stored
    assert polls[0]["allowed_updates"] == [
        "message",
        "edited_message",
        "channel_post",
        "callback_query",
        "my_chat_member",
    ]
