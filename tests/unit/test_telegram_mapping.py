"""Each real Telegram update (tests/fixtures/telegram) maps to the inbound message it should."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from telegram import Bot, Update

from financy.bots.common.message import SentMessage
from financy.bots.telegram.client import lenient
from financy.bots.telegram.mapping import BotIdentity, Mapped, map_update
from tests.conftest import FIXTURES

BOT = Bot("7000001:TEST")
ME = BotIdentity(7000001, "FinancyTestBot", 25 * 1024 * 1024)
TX = uuid.UUID("0190f0a1-2b3c-7d4e-8f90-a1b2c3d4e5f6")


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "telegram" / f"{name}.json").read_text())
    return loaded


def mapped(
    body: dict[str, Any], sent: dict[tuple[str, str], SentMessage] | None = None, me: BotIdentity = ME
) -> Mapped:
    update = Update.de_json(lenient(copy.deepcopy(body)), BOT)
    return map_update(update, me, lambda chat, mid: (sent or {}).get((chat, mid)))


def test_a_private_text() -> None:
    m = mapped(sample("illemius_message"))
    assert m.inbound is not None
    i = m.inbound
    assert (i.platform, i.chat_id, i.message_id, i.sender_id, i.text) == (
        "telegram",
        "12345678",
        "11223",
        "12345678",
        "Hi, world!",
    )
    assert (i.chat_type, i.sender_is_person, i.sender_language, i.sender_name) == (
        "private",
        True,
        "ru",
        "FirstName LastName",
    )
    assert i.received_at == dt.datetime.fromtimestamp(1508709711, dt.UTC)
    assert m.file is None


def test_telegrams_documentation_example_without_is_bot_maps() -> None:
    m = mapped(sample("tgdocs_entities"))
    assert m.inbound is not None
    assert m.inbound.text == "Bold and italics"
    assert m.inbound.sender_is_person is True


def test_a_voice_note_asks_for_its_file() -> None:
    m = mapped(sample("tgdocs_voice"))
    assert m.inbound is not None
    assert m.inbound.media_type == "voice"
    assert m.inbound.text is None
    assert m.file is not None
    assert (m.file.file_id, m.file.file_size, m.file.content_type) == (
        "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX",
        23000,
        "audio/ogg",
    )


def test_audio_photo_and_pdf_ask_for_files_a_docx_does_not() -> None:
    audio = mapped(sample("illemius_message_with_audio"))
    assert audio.file is not None
    assert (audio.inbound and audio.inbound.media_type, audio.file.content_type) == ("voice", "audio/mpeg3")
    photo = mapped(sample("illemius_message_with_photo"))
    assert photo.file is not None
    assert photo.inbound is not None
    assert photo.file.file_id == "AgADAgADOagxG8vyeUvsltCem_XPv5A6Sw0ABNXULc5u7jny5VkRAAEC"  # the largest
    assert (photo.inbound.media_type, photo.inbound.text) == ("photo", "photo description")
    pdf = mapped(sample("tgdocs_document"))
    assert pdf.file is not None
    assert pdf.inbound is not None
    assert (pdf.file.content_type, pdf.file.filename, pdf.inbound.media_type) == (
        "application/pdf",
        "Testfile.pdf",
        "document",
    )
    docx = mapped(sample("illemius_message_with_document"))
    assert docx.file is None
    assert docx.inbound is not None
    assert (docx.inbound.media_type, docx.inbound.text, docx.inbound.problem) == (
        "other",
        "doc description",
        "not_text",
    )


def test_the_largest_photo_within_the_limit_is_taken_and_none_fits_is_refused() -> None:
    small = BotIdentity(ME.bot_id, ME.username, 40_000)
    photo = mapped(sample("illemius_message_with_photo"), me=small)
    assert photo.file is not None
    assert photo.file.file_size == 38244
    tiny = BotIdentity(ME.bot_id, ME.username, 500)
    refused = mapped(sample("illemius_message_with_photo"), me=tiny)
    assert refused.file is None
    assert refused.inbound is not None
    assert refused.inbound.problem == "file_too_large"


def test_a_file_declared_over_the_limit_is_refused_before_download() -> None:
    body = sample("tgdocs_voice")
    body["message"]["voice"]["file_size"] = 30 * 1024 * 1024
    m = mapped(body)
    assert m.file is None
    assert m.inbound is not None
    assert (m.inbound.media_type, m.inbound.problem) == ("voice", "file_too_large")


def test_an_edit_amends_the_original_message() -> None:
    m = mapped(sample("tgdocs_edited_message"))
    assert m.inbound is not None
    assert (m.inbound.message_id, m.inbound.amends, m.inbound.text) == (
        "1365.e1441646600",
        "1365",
        "Edited text",
    )
    assert m.inbound.received_at == dt.datetime.fromtimestamp(1441646600, dt.UTC)


def test_a_reply_to_the_bots_message_targets_its_transaction() -> None:
    body = sample("illemius_reply_message")
    sent = {("12345678", "12345"): SentMessage("telegram", "12345678", "12345", "r1", (str(TX),))}
    m = mapped(body, sent)
    assert m.inbound is not None
    assert m.inbound.target_transaction == TX
    several = {
        ("12345678", "12345"): SentMessage(
            "telegram", "12345678", "12345", "r1", (str(TX), str(uuid.uuid4()))
        )
    }
    assert (mapped(body, several).inbound or m.inbound).target_transaction is None
    assert (mapped(body).inbound or m.inbound).target_transaction is None  # not the bot's message


def test_a_command_with_a_mention_entity_in_private_is_kept() -> None:
    m = mapped(sample("kutana_private_command_with_mention_2023"))
    assert m.inbound is not None
    assert m.inbound.text == "/echo @shiudfhjkads_bot"


def group(text: str, entities: list[dict[str, Any]], **message: Any) -> dict[str, Any]:
    body = sample("teloxide_supergroup_dice")
    del body["message"]["dice"]
    body["message"].update(text=text, entities=entities, **message)
    return body


def test_group_commands_to_this_bot_lose_the_mention_and_others_are_ignored() -> None:
    ours = mapped(group("/add@FinancyTestBot 12", [{"type": "bot_command", "offset": 0, "length": 19}]))
    assert ours.inbound is not None
    assert (ours.inbound.text, ours.inbound.chat_type, ours.inbound.chat_id) == (
        "/add 12",
        "group",
        "-1001276785818",
    )
    other = mapped(group("/start@OtherBot", [{"type": "bot_command", "offset": 0, "length": 15}]))
    assert (other.inbound, other.ignored) == (None, "command_for_another_bot")


def test_a_command_after_an_emoji_is_cut_by_utf16_offsets() -> None:
    m = mapped(
        group("🎉🎉 /resumo@FinancyTestBot hoje", [{"type": "bot_command", "offset": 5, "length": 22}])
    )
    assert m.inbound is not None
    assert m.inbound.text == "🎉🎉 /resumo hoje"


def test_a_dice_in_a_group_is_kept_as_an_unread_capture() -> None:
    m = mapped(sample("teloxide_supergroup_dice"))
    assert m.inbound is not None
    assert (m.inbound.media_type, m.inbound.text, m.inbound.chat_type, m.inbound.problem) == (
        "other",
        None,
        "group",
        "not_text",
    )
    loc = mapped(sample("illemius_message_with_location"))
    assert loc.inbound is not None
    assert (loc.inbound.media_type, loc.inbound.text) == ("other", None)


def test_senders_that_are_not_people() -> None:
    anonymous = group(
        "mercado 50", [], sender_chat={"id": -1001276785818, "type": "supergroup", "title": "bla"}
    )
    anonymous["message"]["from"] = {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    m = mapped(anonymous)
    assert m.inbound is not None
    assert (m.inbound.sender_is_person, m.inbound.sender_id, m.inbound.sender_language) == (
        False,
        "-1001276785818",
        None,
    )
    channel = group("uber 20", [], sender_chat={"id": -100999, "type": "channel", "title": "News"})
    channel["message"]["from"] = {
        "id": 136817688,
        "is_bot": True,
        "first_name": "Channel",
        "username": "Channel_Bot",
    }
    c = mapped(channel)
    assert c.inbound is not None
    assert (c.inbound.sender_is_person, c.inbound.sender_id, c.inbound.sender_name) == (
        False,
        "-100999",
        "News",
    )
    forwarded = mapped(sample("tgdocs_forwarded_channel"))
    assert forwarded.inbound is not None
    assert forwarded.inbound.sender_is_person is True  # a person forwarding a channel's post


def test_a_callback_is_answered_even_when_malformed() -> None:
    m = mapped(sample("kutana_callback_query_inline_keyboard"))
    assert (m.answer_callback, m.inbound, m.ignored) == ("1579255662248293506", None, "callback_malformed")


def test_a_callback_becomes_the_buttons_message_for_its_transaction() -> None:
    body = sample("kutana_callback_query_inline_keyboard")
    body["callback_query"]["data"] = f"c:{TX.hex}:health"
    m = mapped(body)
    assert m.answer_callback == "1579255662248293506"
    assert m.inbound is not None
    i = m.inbound
    assert (i.text, i.message_id, i.sender_id, i.chat_id, i.target_transaction) == (
        "change category to health",
        "cb1579255662248293506",
        "367699112",
        "367699112",
        TX,
    )
    body["callback_query"]["data"] = f"m:{TX.hex}"
    more = mapped(body)
    assert more.inbound is None
    assert more.expand is not None
    assert (more.expand.chat_id, more.expand.message_id, more.expand.language) == ("367699112", 3827, "en")


def test_the_link_button_becomes_the_pressers_confirmation() -> None:
    body = sample("kutana_callback_query_inline_keyboard")
    body["callback_query"]["data"] = "v::/vincular K7QM-2XPD"
    m = mapped(body)
    assert m.inbound is not None
    i = m.inbound
    assert (i.text, i.sender_id, i.chat_id, i.target_transaction) == (
        "/vincular K7QM-2XPD",
        "367699112",
        "367699112",
        None,
    )


def test_the_bot_blocked_in_private_is_bot_removed() -> None:
    m = mapped(sample("teloxide_my_chat_member_kicked"))
    assert m.inbound is not None
    assert m.inbound.chat_event is not None
    assert (m.inbound.chat_event.kind, m.inbound.message_id, m.inbound.chat_id) == (
        "bot_removed",
        "mcm0",
        "0",
    )


def test_the_bot_added_to_a_group_asks_for_its_admins() -> None:
    body = sample("teloxide_my_chat_member_kicked")
    member = body["my_chat_member"]
    member["chat"] = {"id": -100123, "type": "supergroup", "title": "Família Silva"}
    member["old_chat_member"]["status"] = "left"
    member["new_chat_member"] = {"user": member["new_chat_member"]["user"], "status": "member"}
    body["update_id"] = 77
    m = mapped(body)
    assert m.inbound is not None
    assert m.inbound.chat_event is not None
    assert (m.inbound.chat_event.kind, m.inbound.chat_event.chat_title, m.admins_of) == (
        "bot_added",
        "Família Silva",
        "-100123",
    )
    assert (m.inbound.message_id, m.inbound.chat_type, m.inbound.sender_id) == ("mcm77", "group", "0")


def test_a_migrated_group_carries_its_new_id() -> None:
    body = group("", [])
    del body["message"]["text"]
    body["message"]["chat"] = {"id": -4001, "type": "group", "title": "Casa"}
    body["message"]["migrate_to_chat_id"] = -1004001
    m = mapped(body)
    assert m.inbound is not None
    assert m.inbound.chat_event is not None
    assert (m.inbound.chat_event.kind, m.inbound.chat_event.migrate_to_chat_id, m.inbound.message_id) == (
        "migrated",
        "-1004001",
        "mig-1004001",
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"update_id": 210473607}, "update_kind_not_handled"),
        (
            {
                "update_id": 5,
                "inline_query": {
                    "id": "1",
                    "from": {"id": 1, "is_bot": False, "first_name": "a"},
                    "query": "x",
                    "offset": "",
                },
            },
            "update_kind_not_handled",
        ),
        (
            {
                "update_id": 6,
                "channel_post": {
                    "message_id": 1,
                    "date": 1,
                    "chat": {"id": -1002, "type": "channel", "title": "c"},
                    "text": "x",
                },
            },
            "channel_post",
        ),
    ],
)
def test_updates_without_a_user_message_are_acknowledged(body: dict[str, Any], reason: str) -> None:
    m = mapped(body)
    assert (m.inbound, m.ignored) == (None, reason)
