"""WhatsApp media fetches that fail or point elsewhere, and notifications for another business number.

A redirect, an error status or a foreign host never becomes a stored (empty) file: the Graph API's
trouble is tried again later, anything else keeps the capture with ``media_missing``. The Graph
API is the stand-in on 127.0.0.1; the bot state is the edge's own (SQLite in the test's directory).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sanic import Sanic

from financy.bots.common.message import InboundMessage, IntakeResult
from financy.bots.whatsapp.graph import GraphClient, GraphConfig, MediaError, token_host
from financy.bots.whatsapp.inbound import WhatsAppInbound
from financy.bots.whatsapp.sender import WhatsAppSender
from financy.bots.whatsapp.webhook import split_units, whatsapp_blueprint
from financy.edge.outbox.bots import EdgeBotState
from tests.conftest import FIXTURES
from tests.support.graph_api import GraphStandIn

TOKEN = "EAAG-media-token"
PHONE_ID = "1122334455667"
MEDIA_ID = "65463453"  # the id in pywa_message__image
JPEG = b"\xff\xd8\xff\xe0" + b"receipt" * 20


class Kept:
    """An intake that keeps what it is handed."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []

    async def __call__(self, inbound: InboundMessage) -> IntakeResult:
        self.messages.append(inbound)
        return IntakeResult(f"whatsapp:{inbound.chat_id}:{inbound.message_id}", accepted=True)


@pytest.fixture
def graph() -> Iterator[GraphStandIn]:
    server = GraphStandIn(TOKEN).start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def state(tmp_path: Path) -> Iterator[EdgeBotState]:
    bots = EdgeBotState(tmp_path / "bots.sqlite3")
    try:
        yield bots
    finally:
        bots.close()


def image_body() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "whatsapp" / "pywa_message__image.json").read_text())
    return data


async def take_image(graph: GraphStandIn, state: EdgeBotState) -> list[InboundMessage]:
    """Process the image sample's unit; return what the intake got (raises what ``process`` raises)."""
    client = GraphClient(GraphConfig(TOKEN, PHONE_ID, graph.base_url))
    intake = Kept()
    inbound = WhatsAppInbound(intake, state, client, WhatsAppSender(client, state, queue=state))
    ((_key, unit),) = split_units(image_body())[0]
    try:
        await inbound.process(unit)
    finally:
        await client.aclose()
    return intake.messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("status", [301, 302, 304, 307, 204])
async def test_a_download_answered_without_the_file_is_kept_as_media_missing(
    graph: GraphStandIn, state: EdgeBotState, status: int
) -> None:
    graph.add_media(MEDIA_ID, JPEG, "image/jpeg", file_status=status)
    (inbound,) = await take_image(graph, state)
    assert [c.path for c in graph.calls] == [f"/v21.0/{MEDIA_ID}", f"/files/{MEDIA_ID}"]
    assert (inbound.media_type, inbound.media, inbound.problem) == ("photo", None, "media_missing")


@pytest.mark.parametrize("status", [302, 304])
async def test_a_lookup_answered_with_a_redirect_is_kept_as_media_missing(
    graph: GraphStandIn, state: EdgeBotState, status: int
) -> None:
    graph.add_media(MEDIA_ID, JPEG, "image/jpeg", info_status=status)
    (inbound,) = await take_image(graph, state)
    assert [c.path for c in graph.calls] == [f"/v21.0/{MEDIA_ID}"]
    assert (inbound.media, inbound.problem) == (None, "media_missing")


@pytest.mark.parametrize(("where", "status"), [("file", 500), ("file", 503), ("file", 429), ("info", 502)])
async def test_the_graph_apis_trouble_is_tried_again_later(
    graph: GraphStandIn, state: EdgeBotState, where: str, status: int
) -> None:
    if where == "file":
        graph.add_media(MEDIA_ID, JPEG, "image/jpeg", file_status=status)
    else:
        graph.add_media(MEDIA_ID, JPEG, "image/jpeg", info_status=status)
    with pytest.raises(MediaError, match=f"HTTP {status}") as caught:
        await take_image(graph, state)
    assert caught.value.permanent is False


async def test_a_download_refused_for_good_is_kept_as_media_missing(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    graph.add_media(MEDIA_ID, JPEG, "image/jpeg", file_status=404)
    (inbound,) = await take_image(graph, state)
    assert (inbound.media, inbound.problem) == (None, "media_missing")


async def test_a_media_host_nobody_answers_on_is_tried_again_later(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    graph.add_media(MEDIA_ID, JPEG, "image/jpeg", url=f"http://127.0.0.1:{free_port()}/files/{MEDIA_ID}")
    with pytest.raises(MediaError, match="download failed") as caught:
        await take_image(graph, state)
    assert caught.value.permanent is False


async def test_the_token_goes_to_no_other_host(graph: GraphStandIn, state: EdgeBotState) -> None:
    # "localhost" is the stand-in too, but not the configured API host (127.0.0.1).
    graph.add_media(MEDIA_ID, JPEG, "image/jpeg", url=f"http://localhost:{graph.port}/files/{MEDIA_ID}")
    (inbound,) = await take_image(graph, state)
    assert [c.path for c in graph.calls] == [f"/v21.0/{MEDIA_ID}"]
    assert (inbound.media, inbound.problem) == (None, "media_missing")


async def test_the_api_host_itself_is_fetched(graph: GraphStandIn, state: EdgeBotState) -> None:
    graph.add_media(MEDIA_ID, JPEG, "image/jpeg")
    (inbound,) = await take_image(graph, state)
    assert inbound.problem is None
    assert inbound.media is not None
    assert inbound.media.data == JPEG


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", True),
        ("https://fbsbx.com/x", True),
        ("https://LOOKASIDE.FBSBX.COM./x", True),
        ("https://graph.facebook.com/v21.0/1", True),
        ("https://mmg.whatsapp.net/d/f/x.enc", True),
        ("https://scontent.xx.fbcdn.net/v/t1", True),
        ("https://api.example.org/v21.0/file", True),  # the configured API root's host
        ("https://evilfbsbx.com/x", False),
        ("https://fbsbx.com.evil.example/x", False),
        ("https://notfacebook.com/x", False),
        ("https://example.org/x", False),
        ("https://user@evil.example/@lookaside.fbsbx.com", False),
        ("https:///no-host", False),
    ],
)
def test_which_hosts_get_the_token(url: str, allowed: bool) -> None:
    assert token_host(url, "https://api.example.org/v21.0") is allowed


def two_numbers() -> dict[str, Any]:
    """The image sample with a second change for another business number."""
    body = image_body()
    other = copy.deepcopy(body["entry"][0])
    other["changes"][0]["value"]["metadata"]["phone_number_id"] = "999000999"
    other["changes"][0]["value"]["messages"][0]["id"] = "wamid.other"
    body["entry"].append(other)
    return body


def test_changes_for_another_number_give_no_unit() -> None:
    body = two_numbers()
    units, notes = split_units(body, PHONE_ID)
    assert [json.loads(unit)["phone_number_id"] for _key, unit in units] == [PHONE_ID]
    assert [key for key, _unit in units] != ["wamid.other"]
    assert notes == [{"note": "other_number", "phone_number_id": "999000999", "messages": 1, "statuses": 0}]
    missing = image_body()
    del missing["entry"][0]["changes"][0]["value"]["metadata"]
    assert split_units(missing, PHONE_ID) == (
        [],
        [{"note": "other_number", "phone_number_id": "", "messages": 1, "statuses": 0}],
    )


async def test_the_webhook_acknowledges_another_numbers_messages_without_storing_them(
    state: EdgeBotState,
) -> None:
    app = Sanic("wa_other_number_test")
    app.blueprint(
        whatsapp_blueprint(state, app_secret="app-secret", verify_token="v", phone_number_id=PHONE_ID)
    )
    raw = json.dumps(two_numbers()).encode()
    signature = "sha256=" + hmac.new(b"app-secret", raw, hashlib.sha256).hexdigest()
    _request, response = await app.asgi_client.post(
        "/webhooks/whatsapp", content=raw, headers={"X-Hub-Signature-256": signature}
    )
    assert (response.status, response.json) == (200, {"received": 1, "new": 1})
    assert [u.update_key for u in state.due_updates()] == [
        image_body()["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    ]
