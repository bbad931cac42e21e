"""WhatsApp end to end: Meta's real webhook bodies replayed into a running edge, the core answering.

``financy edge run`` (WhatsApp settings pointing at a stand-in Graph API on 127.0.0.1) and
``financy core ingest`` run as subprocesses on the run's PostgreSQL and Redis. Each test writes as
its own WhatsApp user (the samples' ``from``/``wa_id`` replaced), signs the bodies with the app
secret pywa published, and asserts the captures in the edge outbox and the exact Graph API calls.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from financy.core.contracts.v1 import CaptureV1, idempotency_key
from financy.core.domain.commands import CreateUser, IssuedLinkCode, IssueLinkCode
from financy.core.service.bootstrap import bootstrap
from financy.edge.outbox.store import EdgeOutbox
from tests.conftest import FIXTURES
from tests.support.graph_api import Call, GraphStandIn
from tests.support.processes import financy_env, free_port, start, stop, wait_http

pytestmark = pytest.mark.integration

DATA = FIXTURES / "whatsapp"
SIGNATURE = json.loads((DATA / "pywa_signed_text_signature.json").read_text())
SECRET = SIGNATURE["app_secret"].encode()
TOKEN = "EAAG-stand-in-token"
VERIFY = "verify-me-please"
PHONE_ID = "1122334455667"
MAX_MEDIA = 2 * 1024 * 1024


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


def as_user(body: dict[str, Any], wa_id: str, *, now: bool = True) -> dict[str, Any]:
    """Return ``body`` written by ``wa_id``, each message with a fresh wamid (and the current time)."""
    body = copy.deepcopy(body)
    for entry in body["entry"]:
        for change in entry["changes"]:
            value = change["value"]
            for contact in value.get("contacts", ()):
                contact["wa_id"] = wa_id
            for message in value.get("messages", ()):
                message["from"] = wa_id
                message["id"] = f"wamid.{uuid.uuid4().hex}"
                if now:
                    message["timestamp"] = str(int(time.time()))
    return body


def messages_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for e in body["entry"] for c in e["changes"] for m in c["value"].get("messages", ())]


@dataclass
class Stack:
    url: str
    edge_id: str
    data_dir: Path
    graph: GraphStandIn
    outbox: EdgeOutbox
    edge: Popen[bytes]
    ingest: Popen[bytes]

    def post(self, body: bytes, headers: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(f"{self.url}/webhooks/whatsapp", content=body, headers=headers or {}, timeout=10)

    def deliver(self, body: dict[str, Any]) -> httpx.Response:
        raw = json.dumps(body).encode()  # ASCII with \uXXXX escapes, as Meta sends
        response = self.post(raw, {"X-Hub-Signature-256": sign(raw), "Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        return response

    def capture(self, wa_id: str, message_id: str, timeout_s: float = 20.0) -> CaptureV1:
        key = idempotency_key("whatsapp", wa_id, message_id)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            payload = self.outbox.payload_of(key)
            if payload is not None:
                return CaptureV1.model_validate_json(payload)
            time.sleep(0.05)
        raise TimeoutError(f"no capture {key}")

    def captures_of(self, wa_id: str) -> int:
        with sqlite3.connect(self.outbox.path) as db:
            row = db.execute(
                "SELECT count(*) FROM outbox WHERE idempotency_key LIKE ?", (f"whatsapp:{wa_id}:%",)
            ).fetchone()
        return int(row[0])

    def sent_to(self, wa_id: str, count: int, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait for ``count`` successful sends to ``wa_id``; return every POST body to it, in order."""

        def bodies(calls: list[Call]) -> list[dict[str, Any]]:
            return [
                c.body for c in calls if c.path.endswith("/messages") and (c.body or {}).get("to") == wa_id
            ]

        self.graph.wait_for(lambda calls: len(bodies(calls)) >= count, timeout_s)
        return bodies(list(self.graph.calls))


@pytest.fixture(scope="module")
def stack(
    database_url: str, redis_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("whatsapp")
    graph = GraphStandIn(TOKEN).start()
    port = free_port()
    edge_id = f"test-wa-{uuid.uuid4().hex[:8]}"
    env = financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=redis_server_url,
        FINANCY_DATA_DIR=str(tmp),
        FINANCY_EDGE__ID=edge_id,
        FINANCY_EDGE__PORT=str(port),
        FINANCY_EDGE__MAX_MEDIA_BYTES=str(MAX_MEDIA),
        FINANCY_WHATSAPP__TOKEN=TOKEN,
        FINANCY_WHATSAPP__APP_SECRET=SIGNATURE["app_secret"],
        FINANCY_WHATSAPP__VERIFY_TOKEN=VERIFY,
        FINANCY_WHATSAPP__PHONE_NUMBER_ID=PHONE_ID,
        FINANCY_WHATSAPP__API_BASE_URL=graph.base_url,
    )
    edge = start(["edge", "run"], env, tmp / "edge.log")
    ingest = start(["core", "ingest"], env, tmp / "ingest.log")
    outbox = EdgeOutbox(tmp / "edge" / edge_id / "outbox.sqlite3")
    s = Stack(f"http://127.0.0.1:{port}", edge_id, tmp, graph, outbox, edge, ingest)
    try:
        wait_http(f"{s.url}/readyz", 60, edge)
        yield s
    finally:
        edge_code, ingest_code = stop(edge), stop(ingest)
        outbox.close()
        graph.close()
        assert edge_code == 0, (tmp / "edge.log").read_text()[-3000:]
        assert ingest_code == 0, (tmp / "ingest.log").read_text()[-3000:]


def new_user() -> str:
    return "55119" + str(uuid.uuid4().int)[:8]


def test_meta_verification_answers_the_challenge_only_for_the_right_token(stack: Stack) -> None:
    url = f"{stack.url}/webhooks/whatsapp"
    right = httpx.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    )
    assert right.status_code == 200
    assert right.text == "1158201444"
    assert right.headers["content-type"].startswith("text/plain")
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY + "x", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
    ):
        wrong = httpx.get(url, params=params)
        assert wrong.status_code == 403, params
        assert wrong.json()["error"]["code"] == "forbidden"


def test_the_signed_sample_verifies_and_a_changed_byte_is_refused(stack: Stack) -> None:
    body = (DATA / "pywa_signed_text_body.bin").read_bytes()
    header = SIGNATURE["x_hub_signature"]
    changed = body.replace(b"Hey there!", b"Hey there?")
    refused = stack.post(changed, {"X-Hub-Signature-256": header})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    assert stack.captures_of("972544401243") == 0
    other_number = stack.post(body, {"X-Hub-Signature-256": header})
    # Signed by Meta for pywa's business number, not the configured one: acknowledged, not stored.
    assert (other_number.status_code, other_number.json()) == (200, {"received": 0, "new": 0})
    ours = body.replace(b'"phone_number_id":"277321005464405"', f'"phone_number_id":"{PHONE_ID}"'.encode())
    assert ours != body
    accepted = stack.post(ours, {"X-Hub-Signature-256": sign(ours)})
    assert accepted.status_code == 200
    assert accepted.json() == {"received": 1, "new": 1}
    capture = stack.capture(
        "972544401243", "wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA"
    )
    assert capture.text == "Hey there! I am using PyWa."
    assert capture.sender.display_name == "PyWa Tests"
    assert capture.received_at.timestamp() == 1730231903


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441",
        "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc4",
        "sha256=nothexnothexnothexnothexnothexnothexnothexnothexnothexnothex1234",
        "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc44é".encode(),
        "sha256=ŧŧŧ".encode(),
    ],
)
def test_missing_malformed_or_non_ascii_signatures_get_401(stack: Stack, header: str | bytes | None) -> None:
    body = (DATA / "pywa_signed_text_body.bin").read_bytes()
    response = stack.post(body, {} if header is None else {"X-Hub-Signature-256": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_not_json_is_400_and_json_without_entries_is_acknowledged(stack: Stack) -> None:
    junk = b"{not json"
    assert stack.post(junk, {"X-Hub-Signature-256": sign(junk)}).status_code == 400
    empty = b'{"object":"whatsapp_business_account"}'
    response = stack.post(empty, {"X-Hub-Signature-256": sign(empty)})
    assert (response.status_code, response.json()) == (200, {"received": 0, "new": 0})


def test_a_batch_makes_one_capture_per_message_and_a_redelivery_none(stack: Stack) -> None:
    wa = new_user()
    body = as_user(sample("pywa_message__text"), wa)
    value = body["entry"][0]["changes"][0]["value"]
    value["messages"][0]["text"]["body"] = "almoço 35"
    value["messages"].append(
        dict(value["messages"][0], id=f"wamid.{uuid.uuid4().hex}", text={"body": "uber 23"})
    )
    value["statuses"] = sample("pywa_message_status__delivered")["entry"][0]["changes"][0]["value"][
        "statuses"
    ]
    value["statuses"].append(
        sample("pywa_message_status__read")["entry"][0]["changes"][0]["value"]["statuses"][0]
    )
    first = stack.deliver(body)
    assert first.json() == {"received": 4, "new": 4}
    ids = [m["id"] for m in value["messages"]]
    assert [stack.capture(wa, mid).text for mid in ids] == ["almoço 35", "uber 23"]
    sent = stack.sent_to(wa, 2)
    assert sorted(b["context"]["message_id"] for b in sent) == sorted(ids)
    again = stack.deliver(body)
    assert again.json() == {"received": 4, "new": 0}
    # One more message: its reply comes after anything a redelivery could have caused.
    later = as_user(sample("pywa_message__text"), wa)
    stack.deliver(later)
    sent = stack.sent_to(wa, 3)
    assert len(sent) == 3
    assert stack.captures_of(wa) == 3


def test_buttons_and_replies_act_on_the_transaction_they_showed(stack: Stack) -> None:
    wa = new_user()
    body = as_user(sample("pywa_message__text"), wa)
    messages_of(body)[0]["text"]["body"] = "gastei 45,90 no mercado"
    stack.deliver(body)
    (recorded,) = stack.sent_to(wa, 1)
    assert recorded["type"] == "interactive"
    assert recorded["interactive"]["body"]["text"].startswith("✅ R$ 45,90 · mercado")
    action = recorded["interactive"]["action"]
    ids = (
        [b["reply"]["id"] for b in action["buttons"]]
        if "buttons" in action
        else [r["id"] for r in action["sections"][0]["rows"]]
    )
    undo = next(i for i in ids if i.startswith("undo:"))
    tx = undo.split(":")[1]
    (wamid,) = stack.graph.wamids_to(wa)
    (call,) = [c for c in stack.graph.sent() if (c.body or {}).get("to") == wa]
    assert (call.path, call.authorization) == (f"/v21.0/{PHONE_ID}/messages", f"Bearer {TOKEN}")

    # A text reply quoting the bot's message acts on its transaction.
    quoted = as_user(sample("pywa_message__reply"), wa)
    messages_of(quoted)[0]["context"] = {"from": PHONE_ID, "id": wamid}
    messages_of(quoted)[0]["text"]["body"] = "muda pra saúde"
    stack.deliver(quoted)
    capture = stack.capture(wa, messages_of(quoted)[0]["id"])
    assert str(capture.target_transaction) == tx
    stack.sent_to(wa, 2)

    # The undo button of that message, pressed.
    pressed = as_user(sample("pywa_callback_button__button"), wa)
    messages_of(pressed)[0]["context"] = {"from": PHONE_ID, "id": wamid}
    messages_of(pressed)[0]["interactive"]["button_reply"] = {"id": undo, "title": "↩️ Desfazer"}
    stack.deliver(pressed)
    capture = stack.capture(wa, messages_of(pressed)[0]["id"])
    assert (capture.text, str(capture.target_transaction)) == ("/desfazer", tx)
    undone = stack.sent_to(wa, 3)[2]
    assert undone["type"] == "text"
    assert undone["text"]["body"].startswith("↩️ Desfeito: R$ 45,90")
    assert undone["context"] == {"message_id": messages_of(pressed)[0]["id"]}


def test_media_is_fetched_by_id_then_url_with_the_token_and_kept(stack: Stack) -> None:
    wa = new_user()
    photo = (FIXTURES / "receipts" / "azure_contoso_cafe_photo.jpg").read_bytes()
    voice = (FIXTURES / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg").read_bytes()
    image_id, audio_id = f"img{uuid.uuid4().hex[:10]}", f"aud{uuid.uuid4().hex[:10]}"
    stack.graph.add_media(image_id, photo, "image/jpeg")
    stack.graph.add_media(audio_id, voice, "audio/ogg")
    image = as_user(sample("pywa_message__image"), wa)
    messages_of(image)[0]["image"]["id"] = image_id
    audio = as_user(sample("pywa_message__audio"), wa)
    messages_of(audio)[0]["audio"]["id"] = audio_id
    stack.deliver(image)
    stack.deliver(audio)
    for media_id, data in ((image_id, photo), (audio_id, voice)):
        downloaded = f"/files/{media_id}"
        calls = stack.graph.wait_for(lambda calls: any(c.path == downloaded for c in calls))  # noqa: B023
        mine = [c for c in calls if media_id in c.path]
        assert mine == [
            Call("GET", f"/v21.0/{media_id}", f"Bearer {TOKEN}"),
            Call("GET", f"/files/{media_id}", f"Bearer {TOKEN}"),
        ]
        job = _media_job(stack, wa, data)
        stored = stack.data_dir / "objects" / job["media"]["key"]
        assert stored.read_bytes() == data
        assert job["message_id"] == messages_of(image if media_id == image_id else audio)[0]["id"]
    assert _media_job(stack, wa, photo)["kind"] == "photo"
    assert _media_job(stack, wa, voice)["kind"] == "voice"


def _media_job(stack: Stack, wa_id: str, data: bytes, timeout_s: float = 20.0) -> dict[str, Any]:
    sha256 = hashlib.sha256(data).hexdigest()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = stack.outbox.media_sent_before(wa_id, wa_id, sha256)
        if row is not None and row.state != "receiving":
            job: dict[str, Any] = json.loads(row.payload)
            return job
        time.sleep(0.05)
    raise TimeoutError(f"no media job for {sha256}")


def test_a_file_over_the_limit_is_never_downloaded_and_the_user_told(stack: Stack) -> None:
    wa = new_user()
    media_id = f"big{uuid.uuid4().hex[:10]}"
    stack.graph.add_media(media_id, b"\xff\xd8\xff" + b"0" * 100, "image/jpeg", file_size=MAX_MEDIA + 1)
    body = as_user(sample("pywa_message__image"), wa)
    messages_of(body)[0]["image"]["id"] = media_id
    stack.deliver(body)
    capture = stack.capture(wa, messages_of(body)[0]["id"])
    assert capture.understanding is not None
    assert (capture.media_type, capture.media, capture.understanding.problem) == (
        "photo",
        None,
        "file_too_large",
    )
    (reply,) = stack.sent_to(wa, 1)
    assert "📎 Esse arquivo é grande demais para mim (até 25 MB) e não o guardei." in reply["text"]["body"]
    assert [c.path for c in stack.graph.calls if media_id in c.path] == [f"/v21.0/{media_id}"]


def test_an_unsupported_message_is_kept_and_the_user_asked_to_type_it(stack: Stack) -> None:
    wa = new_user()
    body = as_user(sample("pywa_message__unsupported"), wa)
    stack.deliver(body)
    capture = stack.capture(wa, messages_of(body)[0]["id"])
    assert capture.understanding is not None
    assert (capture.text, capture.media_type, capture.understanding.problem) == (None, "other", "not_text")
    (reply,) = stack.sent_to(wa, 1)
    assert reply["text"]["body"] == (
        "❓ Recebi, mas ainda não consigo ler esse tipo de mensagem. Guardei; pode escrever o gasto?"
    )


def test_a_link_code_passes_through_unchanged(stack: Stack) -> None:
    wa = new_user()
    body = as_user(sample("pywa_message__text"), wa)
    messages_of(body)[0]["text"]["body"] = "K7Q2-9XPM"
    stack.deliver(body)
    assert stack.capture(wa, messages_of(body)[0]["id"]).text == "K7Q2-9XPM"


def test_outside_the_window_the_reply_is_held_until_the_user_writes(stack: Stack) -> None:
    wa = new_user()
    old = as_user(sample("pywa_message__text"), wa, now=False)  # sent 2023-10-11: the window is long closed
    messages_of(old)[0]["text"]["body"] = "uber 23"
    stack.deliver(old)
    capture = stack.capture(wa, messages_of(old)[0]["id"])
    assert capture.text == "uber 23"
    fresh = as_user(sample("pywa_message__text"), wa)
    messages_of(fresh)[0]["text"]["body"] = "almoço 35"
    # The held reply waits for the user: wait until the core's answer is held before writing again.
    _wait_held(stack, wa)
    assert stack.sent_to(wa, 0) == []
    stack.deliver(fresh)
    sent = stack.sent_to(wa, 2)
    assert sorted(b["context"]["message_id"] for b in sent) == sorted(
        [messages_of(old)[0]["id"], messages_of(fresh)[0]["id"]]
    )


def _wait_held(stack: Stack, wa_id: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    path = stack.data_dir / "edge" / stack.edge_id / "bots.sqlite3"
    while time.monotonic() < deadline:
        with sqlite3.connect(path) as db:
            row = db.execute(
                "SELECT count(*) FROM deliveries WHERE chat_id = ? AND state = 'held'", (wa_id,)
            ).fetchone()
        if row[0]:
            return
        time.sleep(0.05)
    raise TimeoutError("no reply was held")


def test_a_throttled_send_is_retried(stack: Stack) -> None:
    wa = new_user()
    stack.graph.answer_next(
        429, {"error": {"message": "Rate limit hit", "code": 130429, "type": "OAuthException"}}
    )
    body = as_user(sample("pywa_message__text"), wa)
    messages_of(body)[0]["text"]["body"] = "uber 23"
    stack.deliver(body)
    first, second = stack.sent_to(wa, 2)
    assert first == second
    assert first["context"] == {"message_id": messages_of(body)[0]["id"]}


def test_a_failed_delivery_status_sends_the_reply_again(stack: Stack) -> None:
    wa = new_user()
    body = as_user(sample("pywa_message__text"), wa)
    messages_of(body)[0]["text"]["body"] = "uber 23"
    stack.deliver(body)
    (first,) = stack.sent_to(wa, 1)
    (wamid,) = stack.graph.wamids_to(wa)
    status = sample("pywa_message_status__sent")
    entry = status["entry"][0]["changes"][0]["value"]["statuses"][0]
    entry.update(
        id=wamid,
        status="failed",
        recipient_id=wa,
        timestamp=str(int(time.time())),
        errors=[{"code": 131000, "title": "Something went wrong", "error_data": {"details": "try again"}}],
    )
    stack.deliver(status)
    _first, again = stack.sent_to(wa, 2)
    assert again == first


def owner_of(engine: Engine, wa_id: str) -> uuid.UUID | None:
    """The user the WhatsApp identity ``wa_id`` belongs to, None before the core has seen it."""
    with engine.connect() as conn:
        owner: uuid.UUID | None = conn.execute(
            text(
                "SELECT user_id FROM channel_identities WHERE platform = 'whatsapp' AND platform_user_id = :w"
            ),
            {"w": wa_id},
        ).scalar()
    return owner


def test_a_link_code_asks_first_and_the_pressed_button_links(stack: Stack, engine: Engine) -> None:
    wa = new_user()
    tag = uuid.uuid4().hex[:8]
    bus = bootstrap(engine=engine)
    ana: uuid.UUID = bus.handle(
        CreateUser(username=f"ana{tag}", password=f"pw-{tag}-secret", display_name="Ana Silva")
    )
    issued: IssuedLinkCode = bus.handle(IssueLinkCode(ana, 900))
    sent = as_user(sample("pywa_message__text"), wa)
    messages_of(sent)[0]["text"]["body"] = issued.code
    stack.deliver(sent)

    (asked,) = stack.sent_to(wa, 1)
    assert asked["type"] == "interactive"
    assert asked["interactive"]["body"]["text"] == (
        f"🔗 Vincular este chat à conta “ana{tag}” (Ana Silva)? Os livros deste chat passarão a "
        "aparecer nessa conta. Se não foi você quem pediu, ignore."
    )
    (button,) = asked["interactive"]["action"]["buttons"]
    assert button["reply"] == {"id": f"confirm_link::/vincular {issued.code}", "title": "🔗 Vincular"}
    owner = owner_of(engine, wa)
    assert owner is not None
    assert owner != ana  # the chat user the core made at first contact

    pressed = as_user(sample("pywa_callback_button__button"), wa)
    messages_of(pressed)[0]["interactive"]["button_reply"] = button["reply"]
    stack.deliver(pressed)

    linked = stack.sent_to(wa, 2)[1]
    assert linked["text"]["body"].startswith("🔗 Pronto! Esta conversa está ligada à sua conta")
    owner = owner_of(engine, wa)
    assert owner == ana
