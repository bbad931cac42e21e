"""Stored WhatsApp units become inbound messages: text, buttons, media fetched with the token, the rest.

The Graph API is a stand-in HTTP server on 127.0.0.1 recording every call; the bot state is the
edge's own (SQLite in the test's directory); the intake records what it is handed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from financy.bots.common.message import InboundMessage, SentMessage
from financy.bots.whatsapp.graph import GraphClient, GraphConfig
from financy.bots.whatsapp.inbound import WhatsAppInbound
from financy.bots.whatsapp.sender import WhatsAppSender
from financy.bots.whatsapp.webhook import split_units
from financy.edge.outbox.bots import EdgeBotState
from tests.conftest import FIXTURES
from tests.support.graph_api import TOKEN, Call, GraphStandIn
from tests.support.intake import RecordingIntake

WA_ID = "972987654321"
TX = uuid.UUID("0190a3c4-1111-7222-8333-444455556666")


class Setup:
    def __init__(self, graph: GraphStandIn, state: EdgeBotState, max_media_bytes: int = 1000) -> None:
        self.client = GraphClient(GraphConfig(TOKEN, "1122334455667", graph.base_url))
        self.sender = WhatsAppSender(self.client, state, queue=state)
        self.intake = RecordingIntake()
        self.inbound = WhatsAppInbound(
            self.intake, state, self.client, self.sender, max_media_bytes=max_media_bytes
        )

    async def feed(self, body: dict[str, Any]) -> list[InboundMessage]:
        for _key, unit in split_units(body)[0]:
            await self.inbound.process(unit)
        await self.client.aclose()
        return self.intake.messages


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "whatsapp" / f"{name}.json").read_text())
    return data


def first_message(body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = body["entry"][0]["changes"][0]["value"]["messages"][0]
    return message


async def test_text_becomes_an_inbound_message_and_opens_the_window(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    (inbound,) = await Setup(graph, state).feed(sample("pywa_message__text"))
    sent_at = dt.datetime.fromtimestamp(1697043223, dt.UTC)
    assert inbound == InboundMessage(
        platform="whatsapp",
        chat_id=WA_ID,
        message_id="wamid.xyzxyz",
        sender_id=WA_ID,
        received_at=sent_at,
        text="Body Text",
        sender_name="Test Name",
    )
    assert state.last_inbound("whatsapp", WA_ID) == sent_at
    assert graph.calls == []


async def test_a_reply_to_the_bots_message_acts_on_its_transaction(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    state.remember_sent(SentMessage("whatsapp", WA_ID, "wamid.xyzxyz==", "r1", (str(TX),)))
    (inbound,) = await Setup(graph, state).feed(sample("pywa_message__reply"))
    assert (inbound.text, inbound.target_transaction) == ("replied text", TX)
    # A message the bot never sent (or one that showed two transactions) targets nothing.
    state.remember_sent(SentMessage("whatsapp", WA_ID, "wamid.xyzxyz==", "r2", (str(TX), str(uuid.uuid4()))))
    (again,) = await Setup(graph, state).feed(sample("pywa_message__reply"))
    assert again.target_transaction is None


async def test_pressed_buttons_carry_their_message_and_transaction(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    body = sample("pywa_callback_button__button")
    first_message(body)["interactive"]["button_reply"] = {"id": f"undo:{TX}:/desfazer", "title": "↩️ Desfazer"}
    listed = sample("pywa_callback_selection__description")
    first_message(listed)["interactive"]["list_reply"]["id"] = f"change_category:{TX}:muda pra saúde"
    quick = sample("pywa_callback_button__quick_reply")
    setup = Setup(graph, state)
    await setup.feed(body)
    await setup.feed(listed)
    messages = await setup.feed(quick)
    assert [(m.message_id, m.text, m.target_transaction) for m in messages] == [
        ("wamid.xyzxyz", "/desfazer", TX),
        ("wamid.zyzxyz", "muda pra saúde", TX),
        ("wamid.xsidjw", "title", None),  # a template's payload that is not ours reads as its title
    ]


async def test_the_link_button_comes_back_as_the_confirmation_message(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    body = sample("pywa_callback_button__button")
    first_message(body)["interactive"]["button_reply"] = {
        "id": "confirm_link::/vincular K7QM-2XPD",
        "title": "🔗 Vincular",
    }
    (inbound,) = await Setup(graph, state).feed(body)
    assert (inbound.text, inbound.target_transaction) == ("/vincular K7QM-2XPD", None)


async def test_the_samples_own_button_ids_read_as_their_titles(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    state.remember_sent(SentMessage("whatsapp", WA_ID, "wamid.xyzxyz", "r1", (str(TX),)))
    (inbound,) = await Setup(graph, state).feed(sample("pywa_callback_button__button"))
    assert (inbound.text, inbound.target_transaction) == ("title", TX)  # the quoted message's transaction


async def test_an_image_is_fetched_by_id_then_url_with_the_token(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"receipt" * 20
    graph.add_media("65463453", jpeg, "image/jpeg")
    (inbound,) = await Setup(graph, state).feed(sample("pywa_message__image"))
    assert graph.calls == [
        Call("GET", "/v21.0/65463453", f"Bearer {TOKEN}"),
        Call("GET", "/files/65463453", f"Bearer {TOKEN}"),
    ]
    assert inbound.media is not None
    assert (inbound.media.data, inbound.media.content_type, inbound.media_type) == (
        jpeg,
        "image/jpeg",
        "photo",
    )
    assert (inbound.text, inbound.problem) == (None, None)


async def test_audio_and_a_pdf_document_keep_caption_and_filename(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    graph.add_media("1234567890987654321", b"OggS-voice", "audio/ogg")
    setup = Setup(graph, state)
    (voice,) = await setup.feed(sample("pywa_message__audio"))
    assert voice.media is not None
    assert (voice.media_type, voice.media.data, voice.media.content_type) == (
        "voice",
        b"OggS-voice",
        "audio/ogg",
    )
    graph.add_media("1234567890987654321", b"%PDF-1.4 nota", "application/pdf")
    messages = await setup.feed(sample("pywa_message__document"))
    doc = messages[-1]
    assert doc.media is not None
    assert (doc.media_type, doc.text, doc.media.filename) == ("document", "caption", "filename.pdf")


async def test_the_size_is_checked_before_any_download(graph: GraphStandIn, state: EdgeBotState) -> None:
    graph.add_media("65463453", b"\xff\xd8" + b"x" * 50, "image/jpeg", file_size=5000)
    (inbound,) = await Setup(graph, state, max_media_bytes=1000).feed(sample("pywa_message__image"))
    assert graph.calls == [Call("GET", "/v21.0/65463453", f"Bearer {TOKEN}")]
    assert (inbound.media, inbound.media_type, inbound.problem) == (None, "photo", "file_too_large")


async def test_a_file_larger_than_declared_stops_downloading(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    graph.add_media("65463453", b"\xff\xd8" + b"x" * 5000, "image/jpeg", file_size=10)
    (inbound,) = await Setup(graph, state, max_media_bytes=1000).feed(sample("pywa_message__image"))
    assert [c.path for c in graph.calls] == ["/v21.0/65463453", "/files/65463453"]
    assert (inbound.media, inbound.problem) == (None, "file_too_large")


async def test_a_file_meta_no_longer_serves_is_asked_again(graph: GraphStandIn, state: EdgeBotState) -> None:
    (inbound,) = await Setup(graph, state).feed(sample("pywa_message__image"))  # the stand-in has no such id
    assert [c.path for c in graph.calls] == ["/v21.0/65463453"]
    assert (inbound.media, inbound.problem) == (None, "media_missing")


async def test_a_refused_token_is_tried_again_not_answered(graph: GraphStandIn, state: EdgeBotState) -> None:
    graph.add_media("65463453", b"\xff\xd8", "image/jpeg")
    setup = Setup(graph, state)
    setup.client = GraphClient(GraphConfig("wrong", "1122334455667", graph.base_url))
    setup.inbound.graph = setup.client
    ((_key, unit),) = split_units(sample("pywa_message__image"))[0]
    with pytest.raises(Exception, match="HTTP 401"):
        await setup.inbound.process(unit)
    await setup.client.aclose()
    assert setup.intake.messages == []


async def test_kinds_no_reader_handles_are_kept_with_a_problem(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    setup = Setup(graph, state)
    for name in (
        "pywa_message__unsupported",
        "pywa_message__current_location",
        "pywa_message__interactive_message_with_err",
    ):
        await setup.feed(sample(name))
    document = sample("pywa_message__document")
    first_message(document)["document"]["mime_type"] = "application/vnd.ms-excel"
    await setup.feed(document)
    assert [(m.text, m.media_type, m.media, m.problem) for m in setup.intake.messages] == [
        (None, "other", None, "not_text"),
        (None, "other", None, "not_text"),
        (None, "other", None, "not_text"),
        ("caption", "other", None, "not_text"),
    ]
    assert graph.calls == []


async def test_reactions_deletions_and_stickers_make_no_capture(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    reaction = sample("pywa_message__text")
    message = first_message(reaction)
    message.pop("text")
    message.update(type="reaction", id="wamid.react", reaction={"message_id": "wamid.sent1", "emoji": "👍"})
    sticker = sample("pywa_message__image")
    message = first_message(sticker)
    message["sticker"] = message.pop("image")
    message.update(type="sticker", id="wamid.sticker")
    setup = Setup(graph, state)
    for body in (reaction, sample("pywa_deleted_message__revoke"), sticker):
        await setup.feed(body)
    assert setup.intake.messages == []
    assert graph.calls == []
    assert state.last_inbound("whatsapp", WA_ID) is not None  # a reaction still opens the window


async def test_an_edit_amends_the_original_message(graph: GraphStandIn, state: EdgeBotState) -> None:
    body = sample("pywa_message__text")
    message = first_message(body)
    message.pop("text")
    message.update(
        type="edit",
        id="wamid.edit1",
        edit={
            "original_message_id": "wamid.xyzxyz",
            "message": {"type": "text", "text": {"body": "uber 25"}},
        },
    )
    (inbound,) = await Setup(graph, state).feed(body)
    assert (inbound.message_id, inbound.amends, inbound.text) == ("wamid.edit1", "wamid.xyzxyz", "uber 25")


async def test_statuses_are_logged_and_make_no_capture(graph: GraphStandIn, state: EdgeBotState) -> None:
    setup = Setup(graph, state)
    for name in ("pywa_message_status__sent", "pywa_message_status__delivered", "pywa_message_status__read"):
        await setup.feed(sample(name))
    assert setup.intake.messages == []
    assert state.count_deliveries("pending") == 0


async def test_odd_units_are_logged_not_raised(graph: GraphStandIn, state: EdgeBotState) -> None:
    setup = Setup(graph, state)
    for raw in (b"not json", b"[1]", b'{"kind": "other"}', b'{"kind": "status", "status": 3}'):
        await setup.inbound.process(raw)
    odd_messages: list[dict[str, Any]] = [
        {"id": "wamid.1", "from": WA_ID, "type": "text", "text": "plain string", "timestamp": "soon"},
        {"id": "wamid.2", "from": WA_ID, "type": "interactive", "interactive": []},
        {"id": "wamid.3", "from": WA_ID, "type": "image", "image": "x"},
        {"id": "wamid.4", "type": "text", "text": {"body": "no sender"}},
        {"id": "wamid.5", "from": WA_ID, "type": "button", "button": {"payload": "undo:::"}},
        {"id": "wamid.6", "from": WA_ID, "type": "edit", "edit": {"message": {"type": "image", "image": {}}}},
    ]
    for message in odd_messages:
        unit = {"v": 1, "kind": "message", "contact": None, "message": message}
        await setup.inbound.process(json.dumps(unit).encode())
    await setup.client.aclose()
    assert [(m.message_id, m.text, m.media_type, m.problem) for m in setup.intake.messages] == [
        ("wamid.1", "", "text", None),
        ("wamid.2", None, "other", "not_text"),
        ("wamid.3", None, "photo", "media_missing"),
        ("wamid.5", ":", "text", None),  # ours in form: action undo, no transaction, text ":"
        ("wamid.6", "", "text", None),
    ]
    assert graph.calls == []
