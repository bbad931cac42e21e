"""Telegram and WhatsApp on one single box end to end: ``financy up`` with both bots configured,
local stand-ins where the Bot API and the Graph API stand, real webhook bodies in
(tests/fixtures/telegram and whatsapp, see SOURCES.md) and the real Portuguese voice note and
receipt photo served by the stand-ins' file endpoints.

Asserted: the exact API calls the box makes (getFile, the downloads, sendMessage text and
buttons, the Graph media chain), the transactions in the database, and a family group of three
people recording into one shared ledger, each member's /resumo showing it. A second box runs
Telegram in long-polling mode (a home server without a public URL).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from financy.core.settings import sqlalchemy_url
from financy.runtime.services import running_box_urls
from tests.conftest import FIXTURES
from tests.support.box import Box, running_box
from tests.support.graph_api import Call, GraphStandIn
from tests.support.telegram_api import BOT_ID, TOKEN, USERNAME, StandInBotApi

pytestmark = pytest.mark.e2e

SECRET = "e2e-webhook-secret"
SAMPLES = FIXTURES / "telegram"
VOICE_NOTE = FIXTURES / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg"
RECEIPT = FIXTURES / "receipts" / "azure_contoso_cafe_photo.jpg"
WHATSAPP = FIXTURES / "whatsapp"
WA_SECRET = json.loads((WHATSAPP / "pywa_signed_text_signature.json").read_text())["app_secret"]
WA_TOKEN = "EAAG-box-token"
WA_PHONE_ID = "1122334455667"


@pytest.fixture(scope="module")
def api() -> Iterator[StandInBotApi]:
    stand_in = StandInBotApi().start()
    try:
        yield stand_in
    finally:
        stand_in.stop()


@pytest.fixture(scope="module")
def graph() -> Iterator[GraphStandIn]:
    stand_in = GraphStandIn(WA_TOKEN).start()
    try:
        yield stand_in
    finally:
        stand_in.close()


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, api: StandInBotApi, graph: GraphStandIn) -> Iterator[Box]:
    settings = {
        "FINANCY_WHATSAPP__TOKEN": WA_TOKEN,
        "FINANCY_WHATSAPP__APP_SECRET": WA_SECRET,
        "FINANCY_WHATSAPP__VERIFY_TOKEN": "box-verify",
        "FINANCY_WHATSAPP__PHONE_NUMBER_ID": WA_PHONE_ID,
        "FINANCY_WHATSAPP__API_BASE_URL": graph.base_url,
        "FINANCY_TELEGRAM__TOKEN": TOKEN,
        "FINANCY_TELEGRAM__API_BASE_URL": f"{api.url}/bot",
        "FINANCY_TELEGRAM__FILE_BASE_URL": f"{api.url}/file/bot",
        "FINANCY_TELEGRAM__WEBHOOK_SECRET": SECRET,
        "FINANCY_TELEGRAM__MODE": "webhook",
        "FINANCY_TELEGRAM__WEBHOOK_URL": "https://financy.example/webhooks/telegram",
    }
    with running_box(tmp_path_factory.mktemp("botbox"), redis_db=14, **settings) as b:
        yield b


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return loaded


def post(box: Box, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{box.edge}/webhooks/telegram",
        content=json.dumps(body).encode(),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
        timeout=10,
    )


def replies_to(api: StandInBotApi, chat_id: int, count: int, timeout_s: float = 120) -> list[dict[str, Any]]:
    """Wait until ``count`` sendMessage calls went to ``chat_id``; return their parameters in order."""
    return api.wait_sent_to(chat_id, count, timeout_s)


def text_update(
    update_id: int, chat: dict[str, Any], person: dict[str, Any], message_id: int, body: str
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": person,
            "chat": chat,
            "date": int(time.time()),
            "text": body,
            **(
                {"entities": [{"type": "bot_command", "offset": 0, "length": len(body.split(maxsplit=1)[0])}]}
                if body.startswith("/")
                else {}
            ),
        },
    }


def scalar(box: Box, sql: str, **params: object) -> Any:
    url = box.database_url or running_box_urls(box.data_dir)["FINANCY_DATABASE_URL"]
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def test_the_box_registers_its_webhook_and_commands(box: Box, api: StandInBotApi) -> None:
    commands = api.wait_for("setMyCommands", 3, 30)
    (webhook,) = api.calls_of("setWebhook")
    assert webhook["url"] == "https://financy.example/webhooks/telegram"
    assert webhook["secret_token"] == SECRET
    languages = {c.get("language_code") for c in commands}
    assert {"pt", "en"} <= languages


def test_a_webhook_without_the_secret_is_refused(box: Box) -> None:
    body = sample("teloxide_private_text_digit.json")
    for headers in (
        {},
        {"X-Telegram-Bot-Api-Secret-Token": ""},
        {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
    ):
        response = httpx.post(f"{box.edge}/webhooks/telegram", json=body, headers=headers, timeout=10)
        assert response.status_code == 401, response.text


def test_a_real_voice_note_is_heard_asked_about_and_completed(box: Box, api: StandInBotApi) -> None:
    update = sample("tgdocs_voice.json")
    update["update_id"] = 810_001
    update["message"]["chat"]["id"] = update["message"]["from"]["id"] = 5_550_001
    # The sample is from 2015: a question asked that long ago is no longer waiting for its amount.
    update["message"]["date"] = int(time.time())
    file_id = update["message"]["voice"]["file_id"]
    api.add_file(file_id, VOICE_NOTE.read_bytes(), "voice/file_1.oga")
    assert post(box, update).status_code == 200
    (asked,) = replies_to(api, 5_550_001, 1)
    assert "coxinha de frango" in asked["text"].lower()
    assert "quanto foi" in asked["text"].lower()
    assert [c["file_id"] for c in api.calls_of("getFile")].count(file_id) == 1
    assert "voice/file_1.oga" in api.downloads
    chat = update["message"]["chat"]
    person = update["message"]["from"]
    assert post(box, text_update(810_002, chat, person, 1366, "8,50")).status_code == 200
    answered = replies_to(api, 5_550_001, 2)[1]
    assert answered["text"].startswith("✅ R$ 8,50 · coxinha de frango · Alimentação"), answered["text"]
    keyboard = answered["reply_markup"]["inline_keyboard"]
    labels = [button["text"] for row in keyboard for button in row]
    assert "↩️ Desfazer" in labels


def test_a_real_receipt_photo_is_read_into_one_transaction(box: Box, api: StandInBotApi) -> None:
    update = sample("illemius_message_with_photo.json")
    update["update_id"] = 820_001
    update["message"]["chat"]["id"] = update["message"]["from"]["id"] = 5_550_002
    # A Brazilian sender: the personal ledger speaks the sender's client language (the sample's is "en").
    update["message"]["from"]["language_code"] = "pt-br"
    update["message"]["date"] = int(time.time())
    update["message"].pop("caption", None)
    largest = update["message"]["photo"][-1]
    largest["file_size"] = RECEIPT.stat().st_size
    api.add_file(largest["file_id"], RECEIPT.read_bytes(), "photos/file_2.jpg")
    assert post(box, update).status_code == 200
    (read,) = replies_to(api, 5_550_002, 1, 180)
    assert read["text"].startswith("✅ US$ 14,50 ≈ R$ 56,30 (BCE 10/06) · Contoso · Alimentação · 10/06"), (
        read["text"]
    )
    assert api.downloads.count("photos/file_2.jpg") == 1
    stored = scalar(
        box,
        "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id"
        " WHERE c.platform = 'telegram' AND c.chat_id = '5550002' AND t.amount = 14.50 AND t.currency = 'USD'",
    )
    assert stored == 1


def test_a_family_group_is_one_shared_ledger(box: Box, api: StandInBotApi) -> None:
    group_id = -100_777_001
    group: dict[str, Any] = {"id": group_id, "title": "Família Silva", "type": "supergroup"}
    ana = {"id": 7_001, "is_bot": False, "first_name": "Ana", "language_code": "pt-br"}
    bruno = {"id": 7_002, "is_bot": False, "first_name": "Bruno", "language_code": "pt-br"}
    carla = {"id": 7_003, "is_bot": False, "first_name": "Carla", "language_code": "pt-br"}
    rights = dict.fromkeys(
        (
            "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
            "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
            "can_edit_stories", "can_delete_stories",
        ),
        True,
    )  # fmt: skip
    api.admins = [  # as the Bot API answers getChatAdministrators
        {"user": ana, "status": "creator", "is_anonymous": False},
        {"user": bruno, "status": "administrator", "is_anonymous": False, "can_be_edited": False, **rights},
    ]
    added = sample("teloxide_my_chat_member_kicked.json")
    added["update_id"] = 830_001
    member = added["my_chat_member"]
    member["chat"] = group
    member["from"] = ana
    member["old_chat_member"] = {
        "user": {"id": BOT_ID, "is_bot": True, "first_name": "Financy", "username": USERNAME},
        "status": "left",
    }
    member["new_chat_member"] = copy.deepcopy(member["old_chat_member"]) | {"status": "member"}
    assert post(box, added).status_code == 200
    (welcome,) = replies_to(api, group_id, 1)
    assert "Família Silva" in welcome["text"]
    spends = [(ana, "mercado 100"), (bruno, "uber 20"), (carla, "farmácia 30")]
    for n, (person, body) in enumerate(spends):
        assert post(box, text_update(830_010 + n, group, person, 10 + n, body)).status_code == 200
    replies_to(api, group_id, 4)
    for n, person in enumerate((ana, bruno, carla)):
        assert (
            post(box, text_update(830_020 + n, group, person, 20 + n, f"/resumo@{USERNAME}")).status_code
            == 200
        )
    summaries = replies_to(api, group_id, 7)[4:]
    for summary in summaries:
        assert "R$ 150,00" in summary["text"], summary["text"]
    roles = scalar(
        box,
        "SELECT string_agg(m.role, ',' ORDER BY ci.platform_user_id) FROM chat_bindings b"
        " JOIN members m ON m.context_id = b.context_id"
        " JOIN channel_identities ci ON ci.user_id = m.user_id AND ci.platform = 'telegram'"
        " WHERE b.platform = 'telegram' AND b.chat_id = :chat",
        chat=str(group_id),
    )
    assert roles == "owner,admin,editor"
    total = scalar(
        box,
        "SELECT sum(t.amount) FROM chat_bindings b JOIN transactions t ON t.context_id = b.context_id"
        " WHERE b.platform = 'telegram' AND b.chat_id = :chat AND t.status = 'recorded'",
        chat=str(group_id),
    )
    assert Decimal(total) == Decimal("150")
    assert uuid.UUID(
        str(scalar(box, "SELECT context_id FROM chat_bindings WHERE chat_id = :c", c=str(group_id)))
    )


def deliver(box: Box, body: dict[str, Any]) -> None:
    """Post a WhatsApp webhook body signed with the app secret, as Meta does."""
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(WA_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = httpx.post(
        f"{box.edge}/webhooks/whatsapp", content=raw, headers={"X-Hub-Signature-256": signature}, timeout=10
    )
    assert response.status_code == 200, response.text


def wa_replies(graph: GraphStandIn, wa_id: str, count: int, timeout_s: float = 180.0) -> list[str]:
    """Wait for ``count`` messages sent to ``wa_id``; return their texts (body or interactive body)."""

    def texts(calls: list[Call]) -> list[str]:
        out = []
        for call in calls:
            body = call.body or {}
            if call.path.endswith("/messages") and body.get("to") == wa_id:
                out.append(
                    body["text"]["body"] if body["type"] == "text" else body["interactive"]["body"]["text"]
                )
        return out

    return texts(graph.wait_for(lambda calls: len(texts(calls)) >= count, timeout_s))


def _from(name: str, wa_id: str, **media: str) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(json.loads((WHATSAPP / f"{name}.json").read_text()))
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = wa_id
    message = value["messages"][0]
    message.update(**{"from": wa_id, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time()))})
    for kind, media_id in media.items():
        message[kind]["id"] = media_id
    return body


def test_the_box_serves_the_verification_and_answers_a_voice_note_and_a_receipt(
    box: Box, graph: GraphStandIn
) -> None:
    check = httpx.get(
        f"{box.edge}/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "box-verify", "hub.challenge": "42"},
    )
    assert (check.status_code, check.text) == (200, "42")
    wa = "55119" + str(uuid.uuid4().int)[:8]
    graph.add_media(
        "voice-1",
        (FIXTURES / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg").read_bytes(),
        "audio/ogg",
    )
    photo = (FIXTURES / "receipts" / "azure_contoso_cafe_photo.jpg").read_bytes()
    graph.add_media("photo-1", photo, "image/jpeg")

    # A real Portuguese voice note without an amount: the bot quotes it and asks; "8,50" completes it.
    deliver(box, _from("pywa_message__audio", wa, audio="voice-1"))
    (heard,) = wa_replies(graph, wa, 1)
    assert "coxinha de frango" in heard.lower()
    assert "quanto foi" in heard.lower()
    answer = _from("pywa_message__text", wa)
    answer["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "8,50"
    deliver(box, answer)
    assert wa_replies(graph, wa, 2)[1].startswith("✅ R$ 8,50")

    # A real receipt photo: one transaction with the receipt's total and date.
    deliver(box, _from("pywa_message__image", wa, image="photo-1"))
    assert wa_replies(graph, wa, 3)[2].startswith(
        "✅ US$ 14,50 ≈ R$ 56,30 (BCE 10/06) · Contoso · Alimentação · 10/06"
    )
    fetched = [c for c in graph.calls if c.method == "GET"]
    assert fetched == [
        Call("GET", "/v21.0/voice-1", f"Bearer {WA_TOKEN}"),
        Call("GET", "/files/voice-1", f"Bearer {WA_TOKEN}"),
        Call("GET", "/v21.0/photo-1", f"Bearer {WA_TOKEN}"),
        Call("GET", "/files/photo-1", f"Bearer {WA_TOKEN}"),
    ]


def test_a_home_box_without_a_public_url_polls_telegram(tmp_path: Path) -> None:
    api = StandInBotApi().start()
    try:
        dani = 5_550_900
        person: dict[str, Any] = {"id": dani, "is_bot": False, "first_name": "Dani", "language_code": "pt-br"}
        chat = {"id": dani, "type": "private", "first_name": "Dani"}
        api.updates.append([text_update(900_001, chat, person, 1, "uber 23")])
        settings = {
            "FINANCY_TELEGRAM__TOKEN": TOKEN,
            "FINANCY_TELEGRAM__API_BASE_URL": f"{api.url}/bot",
            "FINANCY_TELEGRAM__MODE": "polling",
            "FINANCY_TELEGRAM__POLL_TIMEOUT_S": "1",
        }
        with running_box(tmp_path, redis_db=13, **settings) as box:
            (answer,) = api.wait_sent_to(dani, 1, 120)
            assert answer["text"].startswith("✅ R$ 23,00 · uber · Transporte")
            methods = api.methods()
            assert "deleteWebhook" in methods
            assert "setWebhook" not in methods
            assert methods.index("deleteWebhook") < methods.index("getUpdates")
            # In polling mode the webhook route is not what feeds the bot: it stays refused.
            refused = httpx.post(f"{box.edge}/webhooks/telegram", json={"update_id": 1}, timeout=10)
            assert refused.status_code in (401, 503)
    finally:
        api.stop()
