"""Bank statement files sent to the bot: Telegram and WhatsApp hand them over as documents, the
edge keeps the original and sends its capture at once (no media job), and the replies read well
in both languages."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Update

from financy.bots.common.message import InboundMessage, MediaPayload
from financy.bots.common.render import render
from financy.bots.telegram.client import lenient
from financy.bots.telegram.mapping import BotIdentity, map_update
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ReplyKind,
    ReplyV1,
    StatementImportV1,
    is_statement_file,
)
from financy.edge.intake import Intake
from financy.edge.outbox.bots import EdgeBotState
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.steps import Pipeline, PipelineContext
from financy.runtime.objects import DirectoryStore
from tests.conftest import FIXTURES
from tests.support.graph_api import GraphStandIn
from tests.unit.test_whatsapp_inbound import Setup, first_message
from tests.unit.test_whatsapp_inbound import sample as whatsapp_sample

OFX = (FIXTURES / "statements" / "ofxparse_bank_medium_sgml_v102.ofx").read_bytes()


@pytest.mark.parametrize(
    ("filename", "content_type", "statement"),
    [
        ("extrato.ofx", None, True),
        ("EXTRATO.QFX", "application/octet-stream", True),
        ("nubank-2026-11.csv", "text/plain", True),
        ("quicken.qif", None, True),
        ("camt053.xml", "application/xml", True),
        (None, "application/x-ofx", True),
        ("export", "text/csv; charset=utf-8", True),
        ("nota.pdf", "application/pdf", False),
        ("planilha.xlsx", "application/vnd.ms-excel", False),
        (None, None, False),
    ],
)
def test_which_documents_are_statements(
    filename: str | None, content_type: str | None, statement: bool
) -> None:
    assert is_statement_file(filename, content_type) is statement


def _telegram_document(file_name: str, mime_type: str) -> Update:
    body: dict[str, Any] = json.loads((FIXTURES / "telegram" / "tgdocs_document.json").read_text())
    body = copy.deepcopy(body)
    body["message"]["document"].update(file_name=file_name, mime_type=mime_type, file_size=len(OFX))
    return Update.de_json(lenient(body), Bot("7000001:TEST"))


def test_telegram_hands_a_statement_document_over_to_be_fetched() -> None:
    me = BotIdentity(7000001, "FinancyTestBot", 25 * 1024 * 1024)
    mapped = map_update(_telegram_document("extrato.ofx", "application/x-ofx"), me, lambda chat, mid: None)
    assert mapped.file is not None
    assert mapped.inbound is not None
    assert (mapped.file.content_type, mapped.file.filename, mapped.file.file_size) == (
        "application/x-ofx",
        "extrato.ofx",
        len(OFX),
    )
    assert (mapped.inbound.media_type, mapped.inbound.problem) == ("document", None)
    other = map_update(_telegram_document("planilha.xlsx", "application/vnd.ms-excel"), me, lambda c, m: None)
    assert other.file is None
    assert other.inbound is not None
    assert (other.inbound.media_type, other.inbound.problem) == ("other", "not_text")


async def test_whatsapp_fetches_a_statement_document(graph: GraphStandIn, state: EdgeBotState) -> None:
    graph.add_media("1234567890987654321", OFX, "text/csv")
    body = whatsapp_sample("pywa_message__document")
    first_message(body)["document"].update(mime_type="text/csv", filename="extrato.csv")
    (doc,) = await Setup(graph, state, max_media_bytes=len(OFX)).feed(body)
    assert doc.media is not None
    assert (doc.media_type, doc.media.filename, doc.media.data, doc.problem) == (
        "document",
        "extrato.csv",
        OFX,
        None,
    )


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[EdgeOutbox]:
    box = EdgeOutbox(tmp_path / "outbox.sqlite3")
    try:
        yield box
    finally:
        box.close()


def _inbound(data: bytes, filename: str, content_type: str, message_id: str = "m1") -> InboundMessage:
    return InboundMessage(
        platform="devchat",
        chat_id="c1",
        message_id=message_id,
        sender_id="u1",
        received_at=dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC),
        text=None,
        media_type="document",
        media=MediaPayload(data=data, content_type=content_type, filename=filename),
        sender_language="en",
    )


async def test_the_edge_keeps_a_statement_and_sends_its_capture_without_a_media_job(
    outbox: EdgeOutbox, tmp_path: Path
) -> None:
    store = DirectoryStore(tmp_path / "objects")
    woken: list[int] = []
    intake = Intake(
        "edge-1", Pipeline([], PipelineContext()), outbox, lambda: woken.append(1), store=store, queue=None
    )
    result = await intake(_inbound(OFX, "extrato.ofx", "application/x-ofx"))
    assert (result.accepted, woken) == (True, [1])
    payload = outbox.payload_of(result.idempotency_key)
    assert payload is not None
    capture = CaptureV1.model_validate_json(payload)
    assert capture.media_type == "document"
    assert capture.understanding is not None
    assert (capture.understanding.intent, capture.understanding.language) == (Intent.STATEMENT, "en")
    assert capture.media is not None
    assert (capture.media.filename, capture.media.size) == ("extrato.ofx", len(OFX))
    assert capture.media.sha256 == hashlib.sha256(OFX).hexdigest()
    assert capture.media.key == f"captures/edge-1/{capture.capture_id}/original.bin"
    assert store.get(capture.media.key) == OFX
    again = await intake(_inbound(OFX, "extrato.ofx", "application/x-ofx"))
    assert again.accepted is False  # a redelivery is one capture
    # A PDF named like a statement is still a PDF (read as a receipt, not imported).
    pdf = await intake(_inbound(b"%PDF-1.4 nota", "nota.csv", "text/csv", message_id="m2"))
    assert outbox.payload_of(pdf.idempotency_key) is None  # waits for its media job instead


def _reply(
    kind: ReplyKind, language: str, found: StatementImportV1 | None, problem: str | None = None
) -> ReplyV1:
    return ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key="devchat:c1:m1",
        edge_id="edge-1",
        platform="devchat",
        chat_id="c1",
        in_reply_to="m1",
        language=language,  # type: ignore[arg-type]
        kind=kind,
        problem=problem,
        created_at=dt.datetime(2026, 11, 29, tzinfo=dt.UTC),
        statement_import=found,
    )


FOUND = StatementImportV1(
    import_id=uuid.uuid4(),
    filename="extrato.ofx",
    format="ofx",
    lines=12,
    add=7,
    duplicate=2,
    merge=1,
    ambiguous=1,
    invalid=1,
    date_from=dt.date(2026, 11, 1),
    date_to=dt.date(2026, 11, 30),
)


def test_the_preview_says_what_the_import_would_do_and_asks_in_english() -> None:
    shown = render(_reply(ReplyKind.IMPORT_PREVIEW, "en", FOUND))
    assert shown.text == (
        "📄 Statement “extrato.ofx”: 12 lines from 11/01/2026 to 11/30/2026.\n"
        "➕ 7 new\n"
        "🔗 1 joined to chat entries\n"
        "⏭️ 2 already imported\n"
        "❓ 1 could be more than one chat entry (choose later, through the API or “financy import --answer”)\n"
        "⚠️ 1 cannot be recorded (zero amount, bad currency or date)\n"
        "Nothing is recorded yet. Reply “yes” to import it."
    )
    assert [(b.label, b.value) for b in shown.buttons] == [("✅ Yes", "yes")]
    committed = render(_reply(ReplyKind.IMPORT_COMMITTED, "en", FOUND))
    assert (
        committed.text
        == "✅ Statement imported: 7 new entries, 1 joined to chat entries, 2 were already there."
    )
    assert committed.buttons == ()


def test_a_refusal_says_why() -> None:
    reason = StatementImportV1(reason="the OFX file is truncated (no </OFX>)")
    assert render(_reply(ReplyKind.IMPORT_REFUSED, "en", reason, "statement_format")).text == (
        "📄 I could not read this statement: the OFX file is truncated (no </OFX>). Send the whole OFX, "
        "CSV, QIF or camt.053 file as your bank exports it."
    )
    assert render(_reply(ReplyKind.IMPORT_REFUSED, "pt", None, "statement_not_here")).text == (
        "📄 Não consigo abrir este arquivo aqui (ele fica guardado na borda). Importe-o pelo painel ou "
        "com “financy import”."
    )
