"""A bare amount answering the bot's "how much?" completes that question, at the edge.

GIVEN a sender's message without an amount (a text or a voice note) in the edge outbox, WHEN the
same sender's next message in that chat, within the answer window, is only an amount (typed or
spoken), THEN the capture carries the completed reading and names the question it answers
(``completes``); any other bare amount stays what it was read as.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from financy.bots.common.message import InboundMessage
from financy.core.contracts.v1 import CaptureV1, Intent, MediaRef
from financy.edge.intake import Intake
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.categorize import CategorizeTransactions
from financy.edge.pipeline.complete import ANSWER_WINDOW, CompleteMedia
from financy.edge.pipeline.media import MediaJob, MediaReader
from financy.edge.pipeline.steps import Pipeline, PipelineContext
from financy.edge.pipeline.understand import UnderstandText, understand_text
from financy.inference.speech.audio import SpeechError
from financy.inference.speech.base import Transcript

T0 = dt.datetime(2026, 11, 28, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[EdgeOutbox]:
    box = EdgeOutbox(tmp_path / "outbox.sqlite3")
    try:
        yield box
    finally:
        box.close()


def text_intake(outbox: EdgeOutbox) -> Intake:
    """The text path as ``financy edge run`` builds it (no category model here: the lexicon decides)."""
    pipeline = Pipeline(
        [UnderstandText(), CategorizeTransactions(None), CompleteMedia(outbox, None)], PipelineContext()
    )
    return Intake("local", pipeline, outbox, lambda: None)


def send_text(
    outbox: EdgeOutbox, text: str, *, minutes: float = 0, sender: str = "ana", chat: str = "ana"
) -> CaptureV1:
    message_id = uuid.uuid4().hex
    inbound = InboundMessage("devchat", chat, message_id, sender, T0 + dt.timedelta(minutes=minutes), text)
    result = asyncio.run(text_intake(outbox)(inbound))
    assert result.accepted
    payload = outbox.payload_of(result.idempotency_key)
    assert payload is not None
    return CaptureV1.model_validate_json(payload)


class Heard:
    """A speech engine that hears ``text``."""

    name = "fake"

    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, data: bytes, *, language: str, prompt: str) -> Transcript:
        return Transcript(self.text, language, 2.0, (), "whisper-base", "1", 0.9, True)


def send_voice(outbox: EdgeOutbox, heard: str, *, minutes: float = 0, sender: str = "ana") -> CaptureV1:
    """A voice note read by an edge worker (with the edge's outbox) and put in the outbox."""
    job = MediaJob(
        capture_id=uuid.uuid4(),
        idempotency_key=f"devchat:ana:{uuid.uuid4().hex}",
        edge_id="local",
        platform="devchat",
        chat_id="ana",
        message_id=uuid.uuid4().hex,
        sender_id=sender,
        received_at=T0 + dt.timedelta(minutes=minutes),
        kind="voice",
        media=MediaRef(key="k", content_type="audio/ogg", size=3, sha256="0" * 64),
    )
    reader = MediaReader(
        time_zone="America/Sao_Paulo",
        language="pt",
        currency="BRL",
        transcriber=Heard(heard),
        read_receipt=None,
        categorize=None,
        audio_error=SpeechError,
        outbox=outbox,
    )
    draft = asyncio.run(reader.read_draft(reader.draft(job, b"ogg")))
    capture = reader.capture_of(draft)
    assert outbox.put(job.idempotency_key, capture.model_dump_json())
    return capture


def only(capture: CaptureV1) -> tuple[Decimal, str | None, str | None]:
    u = capture.understanding
    assert u is not None
    assert u.intent is Intent.RECORD
    (tx,) = u.transactions
    return tx.amount, tx.merchant, tx.category


@pytest.mark.parametrize(
    ("text", "language", "item"),
    [
        ("paguei o estacionamento agora", "pt", "estacionamento"),
        ("comprei um tênis", "pt", "tênis"),
        ("comprei 3 pizzas", "pt", "pizzas"),
        ("paid the plumber", "en", "plumber"),
        ("bought new shoes", "en", "shoes"),
        ("vou viajar amanhã", "pt", None),  # nothing says money was spent
    ],
)
def test_a_message_without_an_amount_keeps_what_was_bought(
    text: str, language: str, item: str | None
) -> None:
    u = understand_text(text, today=T0.date(), language_hint=language, currency="BRL")
    assert (u.intent, u.problem, u.item_without_amount) == (Intent.UNKNOWN, "no_amount", item)


def test_the_pizzas_stay_pizzas(outbox: EdgeOutbox) -> None:
    asked = send_text(outbox, "comprei 3 pizzas")
    assert asked.understanding is not None
    assert asked.understanding.problem == "no_amount"
    answer = send_text(outbox, "90", minutes=2)
    assert answer.completes == asked.capture_id
    assert only(answer) == (Decimal(90), "pizzas", "restaurants")
    assert answer.text == "90"


def test_an_english_answer_completes_an_english_question(outbox: EdgeOutbox) -> None:
    asked = send_text(outbox, "paid the parking")
    answer = send_text(outbox, "12.50", minutes=1)
    assert answer.completes == asked.capture_id
    assert only(answer)[:2] == (Decimal("12.50"), "parking")


def test_a_bare_amount_with_no_question_before_it_stays_as_it_is(outbox: EdgeOutbox) -> None:
    alone = send_text(outbox, "90")
    assert alone.completes is None
    assert only(alone) == (Decimal(90), None, None)
    send_text(outbox, "padaria 15", minutes=1)  # answered by "recorded": no question
    after_a_record = send_text(outbox, "90", minutes=2)
    assert after_a_record.completes is None
    assert only(after_a_record) == (Decimal(90), None, None)


def test_only_the_same_sender_in_the_same_chat_within_the_window_answers(outbox: EdgeOutbox) -> None:
    send_text(outbox, "comprei 3 pizzas")
    bob = send_text(outbox, "90", minutes=1, sender="bob")  # in Ana's chat
    assert bob.completes is None
    elsewhere = send_text(outbox, "90", minutes=1, chat="family")
    assert elsewhere.completes is None
    late = send_text(outbox, "90", minutes=ANSWER_WINDOW.total_seconds() / 60 + 1)
    assert late.completes is None
    assert only(late) == (Decimal(90), None, None)


def test_a_second_bare_amount_answers_nothing(outbox: EdgeOutbox) -> None:
    asked = send_text(outbox, "comprei 3 pizzas")
    assert send_text(outbox, "90", minutes=1).completes == asked.capture_id
    assert send_text(outbox, "20", minutes=2).completes is None


def test_an_amount_with_words_is_its_own_expense(outbox: EdgeOutbox) -> None:
    send_text(outbox, "comprei 3 pizzas")
    other = send_text(outbox, "uber 20", minutes=1)
    assert other.completes is None
    assert only(other)[:2] == (Decimal(20), "uber")


def test_a_typed_amount_answers_a_voice_note(outbox: EdgeOutbox) -> None:
    asked = send_voice(outbox, "eu quero uma coxinha de frango")
    assert asked.understanding is not None
    assert asked.understanding.problem == "voice_no_amount"
    answer = send_text(outbox, "8,50", minutes=1)
    assert answer.completes == asked.capture_id
    amount, merchant, category = only(answer)
    assert (amount, category) == (Decimal("8.50"), "restaurants")
    assert merchant is not None
    assert "coxinha" in merchant


def test_a_spoken_amount_answers_a_voice_note(outbox: EdgeOutbox) -> None:
    asked = send_voice(outbox, "eu quero uma coxinha de frango")
    answer = send_voice(outbox, "oito e cinquenta", minutes=1)
    assert answer.completes == asked.capture_id
    amount, merchant, category = only(answer)
    assert (amount, category) == (Decimal("8.50"), "restaurants")
    assert merchant is not None
    assert "coxinha" in merchant
    assert answer.provenance is not None
    assert answer.provenance.text == "oito e cinquenta"  # the answer's own transcript is kept


def test_a_spoken_amount_answers_a_text(outbox: EdgeOutbox) -> None:
    asked = send_text(outbox, "paguei o estacionamento agora")
    answer = send_voice(outbox, "vinte e cinco reais", minutes=3)
    assert answer.completes == asked.capture_id
    assert only(answer)[:3] == (Decimal(25), "estacionamento", "transport")


def test_a_voice_note_with_its_own_words_answers_nothing(outbox: EdgeOutbox) -> None:
    send_text(outbox, "comprei 3 pizzas")
    own = send_voice(outbox, "gastei vinte reais no uber", minutes=1)
    assert own.completes is None
    assert only(own)[:2] == (Decimal(20), "uber")
