"""WhatsApp on the single box: `financy up` with the WhatsApp settings, a stand-in Graph API serving files.

The box is started as a user starts it (``python -m financy.cli up``) with ``FINANCY_WHATSAPP__*``
pointing at a stand-in Graph API on 127.0.0.1. A real Portuguese voice note and a real receipt
photo arrive as WhatsApp webhook bodies (pywa's samples, signed with the app secret pywa
published); the stand-in serves the files by media id; the replies the box sends are asserted.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import FIXTURES, create_database, drop_database
from tests.support.graph_api import Call, GraphStandIn
from tests.support.processes import financy_env, free_port, stop, wait_http

pytestmark = pytest.mark.e2e

DATA = FIXTURES / "whatsapp"
SECRET = json.loads((DATA / "pywa_signed_text_signature.json").read_text())["app_secret"]
TOKEN = "EAAG-box-token"
PHONE_ID = "1122334455667"


@dataclass
class WhatsAppBox:
    edge: str
    graph: GraphStandIn

    def deliver(self, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        response = httpx.post(
            f"{self.edge}/webhooks/whatsapp",
            content=raw,
            headers={"X-Hub-Signature-256": signature},
            timeout=10,
        )
        assert response.status_code == 200, response.text

    def replies_to(self, wa_id: str, count: int, timeout_s: float = 180.0) -> list[str]:
        """Wait for ``count`` messages sent to ``wa_id``; return their texts (body or interactive body)."""

        def texts(calls: list[Call]) -> list[str]:
            out = []
            for call in calls:
                body = call.body or {}
                if call.path.endswith("/messages") and body.get("to") == wa_id:
                    out.append(
                        body["text"]["body"]
                        if body["type"] == "text"
                        else body["interactive"]["body"]["text"]
                    )
            return out

        return texts(self.graph.wait_for(lambda calls: len(texts(calls)) >= count, timeout_s))


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhatsAppBox]:
    data_dir = tmp_path_factory.mktemp("wabox") / "var"
    graph = GraphStandIn(TOKEN).start()
    port, edge_port = free_port(), free_port()
    overrides = {
        "FINANCY_WHATSAPP__TOKEN": TOKEN,
        "FINANCY_WHATSAPP__APP_SECRET": SECRET,
        "FINANCY_WHATSAPP__VERIFY_TOKEN": "box-verify",
        "FINANCY_WHATSAPP__PHONE_NUMBER_ID": PHONE_ID,
        "FINANCY_WHATSAPP__API_BASE_URL": graph.base_url,
    }
    server_url = os.environ.get("FINANCY_TEST_DATABASE_URL")
    database_url = create_database(server_url) if server_url else None
    if database_url:
        overrides["FINANCY_DATABASE_URL"] = database_url
    if os.environ.get("FINANCY_TEST_REDIS_URL"):
        overrides["FINANCY_REDIS_URL"] = os.environ["FINANCY_TEST_REDIS_URL"].rsplit("/", 1)[0] + "/14"
    env = financy_env(**overrides)
    log = (data_dir.parent / "up.log").open("wb")
    cmd = [sys.executable, "-m", "financy.cli", "up", "--data-dir", str(data_dir), "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--edge-port", str(edge_port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", 120, proc)
        wait_http(f"http://127.0.0.1:{edge_port}/readyz", 60, proc)
        yield WhatsAppBox(f"http://127.0.0.1:{edge_port}", graph)
    finally:
        code = stop(proc, 40)
        log.close()
        graph.close()
        if server_url and database_url:
            drop_database(server_url, database_url)
        assert code == 0, (data_dir.parent / "up.log").read_text()[-4000:]


def _from(name: str, wa_id: str, **media: str) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(json.loads((DATA / f"{name}.json").read_text()))
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = wa_id
    message = value["messages"][0]
    message.update(**{"from": wa_id, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time()))})
    for kind, media_id in media.items():
        message[kind]["id"] = media_id
    return body


def test_the_box_serves_the_verification_and_answers_a_voice_note_and_a_receipt(box: WhatsAppBox) -> None:
    check = httpx.get(
        f"{box.edge}/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "box-verify", "hub.challenge": "42"},
    )
    assert (check.status_code, check.text) == (200, "42")
    wa = "55119" + str(uuid.uuid4().int)[:8]
    box.graph.add_media(
        "voice-1",
        (FIXTURES / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg").read_bytes(),
        "audio/ogg",
    )
    photo = (FIXTURES / "receipts" / "azure_contoso_cafe_photo.jpg").read_bytes()
    box.graph.add_media("photo-1", photo, "image/jpeg")

    # A real Portuguese voice note without an amount: the bot quotes it and asks; "8,50" completes it.
    box.deliver(_from("pywa_message__audio", wa, audio="voice-1"))
    (heard,) = box.replies_to(wa, 1)
    assert "coxinha de frango" in heard.lower()
    assert "quanto foi" in heard.lower()
    answer = _from("pywa_message__text", wa)
    answer["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "8,50"
    box.deliver(answer)
    assert box.replies_to(wa, 2)[1].startswith("✅ R$ 8,50")

    # A real receipt photo: one transaction with the receipt's total and date.
    box.deliver(_from("pywa_message__image", wa, image="photo-1"))
    assert box.replies_to(wa, 3)[2].startswith("✅ US$ 14,50 · Contoso · Alimentação · 10/06")
    fetched = [c for c in box.graph.calls if c.method == "GET"]
    assert fetched == [
        Call("GET", "/v21.0/voice-1", f"Bearer {TOKEN}"),
        Call("GET", "/files/voice-1", f"Bearer {TOKEN}"),
        Call("GET", "/v21.0/photo-1", f"Bearer {TOKEN}"),
        Call("GET", "/files/photo-1", f"Bearer {TOKEN}"),
    ]
