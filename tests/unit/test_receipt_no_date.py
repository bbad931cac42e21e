"""A receipt with no readable date is recorded today, and the reply says so.

The flag travels: the vision step's fields (no date) -> the edge's ``ProposedTransaction.
receipt_date_missing`` -> the core's entry, recorded the day received -> ``RecordedTransaction.
receipt_date_missing`` in the reply -> one line of text in the user's language.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

from financy.bots.common.render import render_reply
from financy.core.contracts.v1 import (
    Intent,
    MediaRef,
    ProposedTransaction,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    Understanding,
)
from financy.core.service.messagebus import MessageBus
from financy.edge.pipeline.media import MediaJob, MediaReader
from financy.inference.speech.audio import SpeechError
from financy.inference.vision.fields import ReceiptFields, extract_fields
from financy.inference.vision.receipt import Receipt
from tests.support.captures import NOW, dev_capture
from tests.unit.bus import send
from tests.unit.fakes import Store

RECEIVED = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)

UNDATED = """MERCADINHO BOA VISTA
ARROZ TIPO 1 5KG          27,90
OLEO DE SOJA               8,49
TOTAL                     36,39"""


def _job(caption: str | None = None) -> MediaJob:
    return MediaJob(
        capture_id=uuid.uuid4(),
        idempotency_key="devchat:c:1",
        edge_id="local",
        platform="devchat",
        chat_id="c",
        message_id="1",
        sender_id="u",
        received_at=RECEIVED,
        caption=caption,
        kind="photo",
        media=MediaRef(key="k", content_type="image/jpeg", size=3, sha256="0" * 64),
    )


def _understood(fields: ReceiptFields, caption: str | None = None) -> Understanding:
    receipt = Receipt(fields, "text", None, "ppocr", "5", 0.9, 0.5)
    reader = MediaReader(
        time_zone="America/Sao_Paulo",
        language="pt",
        currency="BRL",
        transcriber=None,
        read_receipt=lambda data, language, currency: receipt,
        categorize=None,
        audio_error=SpeechError,
        image_error=None,
    )
    draft = asyncio.run(reader.read_draft(reader.draft(_job(caption), b"abc")))
    understanding = reader.capture_of(draft).understanding
    assert understanding is not None
    return understanding


def test_the_vision_step_flags_a_receipt_without_a_date_on_the_edge() -> None:
    fields = extract_fields(UNDATED.split("\n"))
    assert (fields.total, fields.date) == (Decimal("36.39"), None)
    (tx,) = _understood(fields).transactions
    assert (tx.amount, tx.occurred_on, tx.receipt_date_missing) == (Decimal("36.39"), None, True)
    dated = extract_fields([*UNDATED.split("\n"), "01/12/2026 10:04"])
    (tx,) = _understood(dated).transactions
    assert (tx.occurred_on, tx.receipt_date_missing) == (dt.date(2026, 12, 1), False)


def test_a_date_said_with_the_photo_is_not_flagged() -> None:
    no_total = ReceiptFields(merchant="MERCADINHO BOA VISTA", currency="BRL", problem="no_total")
    (tx,) = _understood(no_total, caption="ontem 40 reais").transactions
    assert (tx.amount, tx.days_ago, tx.receipt_date_missing) == (Decimal("40"), 1, False)
    (tx,) = _understood(no_total, caption="40 reais").transactions
    assert (tx.amount, tx.receipt_date_missing) == (Decimal("40"), True)


def _undated(flag: bool) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(
            ProposedTransaction(amount=Decimal("36.39"), merchant="Mercadinho", receipt_date_missing=flag),
        ),
        confidence=0.9,
    )


def test_the_core_records_it_today_and_the_reply_carries_the_flag(bus: MessageBus, store: Store) -> None:
    reply = send(bus, dev_capture("ana", _undated(True), message_id="m1"))
    assert reply.kind is ReplyKind.RECORDED
    (tx,) = reply.transactions
    today = NOW.astimezone(dt.timezone(dt.timedelta(hours=-3))).date()
    assert (tx.occurred_on, tx.receipt_date_missing) == (today, True)
    assert store.transactions[-1].occurred_on == today
    text = render_reply(reply)
    assert f"📅 Sem data legível no recibo: registrei como hoje ({today:%d/%m})." in text.split("\n")
    plain = send(bus, dev_capture("ana", _undated(False), message_id="m2"))
    assert not plain.transactions[0].receipt_date_missing
    assert "Sem data" not in render_reply(plain)


def test_the_note_is_rendered_in_both_languages() -> None:
    tx = RecordedTransaction(
        transaction_id=uuid.uuid4(),
        kind="expense",  # type: ignore[arg-type]
        amount=Decimal("36.39"),
        currency="BRL",
        occurred_on=dt.date(2026, 12, 2),
        merchant="Mercadinho",
        receipt_date_missing=True,
    )
    reply = _reply(tx, "pt")
    assert render_reply(reply) == (
        "✅ R$ 36,39 · Mercadinho · 02/12\n"
        "📅 Sem data legível no recibo: registrei como hoje (02/12).\n"
        "Errado? /desfazer"
    )
    assert render_reply(_reply(tx, "en")) == (
        "✅ R$36.39 · Mercadinho · 12/02\n📅 No readable date on the receipt: recorded as today (12/02).\nWrong? /undo"
    )


def _reply(tx: RecordedTransaction, language: str) -> ReplyV1:
    return ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key="devchat:a:1",
        edge_id="local",
        platform="devchat",
        chat_id="a",
        in_reply_to="1",
        language=language,  # type: ignore[arg-type]
        kind=ReplyKind.RECORDED,
        transactions=(tx,),
        created_at=dt.datetime.now(dt.UTC),
    )
