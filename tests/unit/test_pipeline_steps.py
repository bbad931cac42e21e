"""The edge pipeline's steps: typed results with reasons, work off the event loop, category guesses."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

import financy.edge.pipeline.understand as understand_module
from financy.bots.common.message import InboundMessage
from financy.core.contracts.v1 import Intent, MediaRef
from financy.edge.pipeline.categorize import CategorizeTransactions
from financy.edge.pipeline.media import MediaJob, MediaReader
from financy.edge.pipeline.steps import (
    RUN,
    Able,
    Draft,
    Outcome,
    Pipeline,
    PipelineContext,
    RetryLater,
    SkipStep,
    StepResult,
    StopPipeline,
    skip,
)
from financy.edge.pipeline.understand import UnderstandText
from financy.inference.speech.audio import SpeechError
from financy.inference.speech.base import Transcript
from financy.inference.vision.fields import ReceiptFields, ReceiptItem
from financy.inference.vision.receipt import Receipt

RECEIVED = dt.datetime(2026, 11, 28, 15, 0, tzinfo=dt.UTC)
CONTEXT = PipelineContext()


def _inbound(text: str | None, language: str | None = None) -> InboundMessage:
    return InboundMessage("devchat", "c", uuid.uuid4().hex, "u", RECEIVED, text, sender_language=language)


class _Step:
    def __init__(self, name: str, able: Able = RUN, error: Exception | None = None) -> None:
        self.name, self.able, self.error, self.ran = name, able, error, False

    def able_to_run(self, draft: Draft) -> Able:
        return self.able

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        self.ran = True
        if self.error is not None:
            raise self.error


def test_every_step_leaves_a_typed_result_with_its_reason() -> None:
    steps = [
        _Step("a"),
        _Step("b", skip("not a voice note")),
        _Step("c", error=SkipStep("no earlier capture")),
        _Step("d", error=KeyError("boom")),
        _Step("e", error=StopPipeline("no_speech")),
        _Step("f"),
    ]
    draft = asyncio.run(Pipeline(steps, CONTEXT).run(_inbound("x")))
    assert [(r.step, r.outcome, r.reason) for r in draft.results] == [
        ("a", Outcome.RAN, None),
        ("b", Outcome.SKIPPED, "not a voice note"),
        ("c", Outcome.SKIPPED, "no earlier capture"),
        ("d", Outcome.FAILED, "KeyError"),
        ("e", Outcome.STOPPED, "no_speech"),
        ("f", Outcome.SKIPPED, "stopped by e"),
    ]
    assert draft.failures == ["d: KeyError"]
    assert not steps[1].ran
    assert not steps[5].ran
    assert draft.result_of("a") == StepResult("a", Outcome.RAN, None, draft.results[0].seconds)


def test_retry_later_is_recorded_and_raised() -> None:
    draft = Draft(inbound=_inbound(None), text=None)
    with pytest.raises(RetryLater):
        asyncio.run(
            Pipeline([_Step("fetch", error=RetryLater("object store: unavailable"))], CONTEXT).run_draft(
                draft
            )
        )
    assert draft.results == [StepResult("fetch", Outcome.FAILED, "object store: unavailable")]


class _Ranker:
    """A category model that answers ``answers`` and notes the threads it was asked on."""

    def __init__(self, answers: Sequence[tuple[str, float]]) -> None:
        self.answers = list(answers)
        self.threads: set[int] = set()

    def __call__(self, text: str) -> Sequence[tuple[str, float]]:
        self.threads.add(threading.get_ident())
        return self.answers


def test_the_text_is_read_and_categorised_off_the_event_loop_with_guesses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rank = _Ranker(
        [("health", 0.7), ("salary", 0.1), ("shopping", 0.08), ("groceries", 0.05), ("pets", 0.01)]
    )
    reader_threads: set[str] = set()
    real_reader = understand_module.understand_text

    def noting(*args: Any, **kwargs: Any) -> Any:
        reader_threads.add(threading.current_thread().name)
        return real_reader(*args, **kwargs)

    monkeypatch.setattr(understand_module, "understand_text", noting)

    async def go() -> tuple[Draft, int]:
        pipeline = Pipeline([UnderstandText(), CategorizeTransactions(rank)], CONTEXT)
        return await pipeline.run(_inbound("gastei 40 na drogasil")), threading.get_ident()

    draft, loop_thread = asyncio.run(go())
    assert draft.understanding is not None
    (tx,) = draft.understanding.transactions
    assert tx.amount == Decimal("40")
    assert tx.category == "health"
    assert tx.category_guesses == ("shopping", "groceries", "pets")  # a salary never fits an expense
    assert [r.outcome for r in draft.results] == [Outcome.RAN, Outcome.RAN]
    # Both ran in the process's one reader thread, never on the event loop's.
    assert len(reader_threads) == 1
    assert next(iter(reader_threads)).startswith("financy-reader")
    assert loop_thread not in rank.threads
    assert len(rank.threads) == 1
    assert loop_thread not in rank.threads


def test_without_a_model_the_categorize_step_says_why() -> None:
    draft = asyncio.run(
        Pipeline([UnderstandText(), CategorizeTransactions(None)], CONTEXT).run(_inbound("uber 23"))
    )
    assert draft.results[1].outcome is Outcome.SKIPPED
    assert draft.results[1].reason == "no category model on this edge"
    assert draft.understanding is not None
    assert draft.understanding.transactions[0].category_guesses == ()


def _job(kind: str, caption: str | None = None) -> MediaJob:
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
        kind=kind,  # type: ignore[arg-type]
        media=MediaRef(key="k", content_type="audio/ogg", size=3, sha256="0" * 64),
    )


class _Transcriber:
    name = "fake"

    def __init__(self, text: str = "", error: Exception | None = None, confidence: float = 0.9) -> None:
        self.text, self.error, self.confidence = text, error, confidence
        self.threads: set[int] = set()

    def transcribe(self, data: bytes, *, language: str, prompt: str) -> Transcript:
        self.threads.add(threading.get_ident())
        if self.error is not None:
            raise self.error
        return Transcript(self.text, language, 2.0, (), "whisper-base", "1", self.confidence, bool(self.text))


def _reader(transcriber: Any = None, read_receipt: Any = None, rank: Any = None) -> MediaReader:
    return MediaReader(
        time_zone="America/Sao_Paulo",
        language="pt",
        currency="BRL",
        transcriber=transcriber,
        read_receipt=read_receipt,
        categorize=rank,
        audio_error=SpeechError,
        image_error=None,
    )


def _read(reader: MediaReader, job: MediaJob) -> Draft:
    return asyncio.run(reader.read_draft(reader.draft(job, b"abc")))


def test_a_voice_note_is_transcribed_understood_and_categorised() -> None:
    transcriber = _Transcriber("gastei 35 no almoço")
    rank = _Ranker([("restaurants", 0.8), ("groceries", 0.1)])
    reader = _reader(transcriber, rank=rank)
    draft = _read(reader, _job("voice"))
    outcomes = {r.step: r.outcome for r in draft.results}
    assert outcomes == {
        "transcribe": Outcome.RAN,
        "ocr": Outcome.SKIPPED,
        "understand_text": Outcome.RAN,
        "understand_receipt": Outcome.SKIPPED,
        "categorize": Outcome.RAN,
    }
    capture = reader.capture_of(draft)
    assert capture.provenance is not None
    assert capture.provenance.text == "gastei 35 no almoço"
    assert capture.understanding is not None
    (tx,) = capture.understanding.transactions
    assert (tx.amount, tx.category, tx.category_guesses) == (Decimal("35"), "restaurants", ("groceries",))
    assert threading.main_thread().ident not in transcriber.threads


def test_an_unplayable_voice_note_stops_with_its_problem() -> None:
    reader = _reader(_Transcriber(error=SpeechError("corrupt_audio", "bad")))
    draft = _read(reader, _job("voice"))
    transcribe = draft.result_of("transcribe")
    assert transcribe == StepResult("transcribe", Outcome.STOPPED, "audio:corrupt_audio", transcribe.seconds)  # type: ignore[union-attr]
    assert draft.result_of("understand_text") == StepResult(
        "understand_text", Outcome.SKIPPED, "stopped by transcribe"
    )
    understanding = reader.capture_of(draft).understanding
    assert understanding is not None
    assert understanding.problem == "audio:corrupt_audio"


def test_without_engines_media_is_not_read_and_each_step_says_why() -> None:
    reader = _reader()
    draft = _read(reader, _job("voice"))
    assert draft.result_of("transcribe") == StepResult(
        "transcribe", Outcome.SKIPPED, "no speech engine on this edge"
    )
    photo = _read(reader, _job("photo", caption="mercado 45"))
    assert photo.result_of("ocr") == StepResult("ocr", Outcome.SKIPPED, "no OCR engine on this edge")
    for finished in (draft, photo):
        understanding = reader.capture_of(finished).understanding
        assert understanding is not None
        assert understanding.problem == "not_text"


def _receipt(total: Decimal | None, merchant: str = "DROGARIA SAO PAULO", text: str = "") -> Receipt:
    fields = ReceiptFields(
        merchant=merchant,
        total=total,
        currency="BRL",
        items=(ReceiptItem("DIPIRONA 500MG", Decimal("1"), Decimal("12.90"), Decimal("12.90")),),
        confidence=0.9,
    )
    return Receipt(fields, text or merchant, None, "ppocr", "5", 0.9, 0.5)


def test_a_receipt_is_read_understood_and_categorised_with_guesses() -> None:
    rank = _Ranker([("health", 0.9), ("shopping", 0.05), ("salary", 0.03), ("groceries", 0.02)])
    reader = _reader(read_receipt=lambda data, language, currency: _receipt(Decimal("12.90")), rank=rank)
    draft = _read(reader, _job("photo"))
    assert [r.step for r in draft.results if r.outcome is Outcome.RAN] == [
        "ocr",
        "understand_receipt",
        "categorize",
    ]
    understanding = reader.capture_of(draft).understanding
    assert understanding is not None
    assert understanding.intent is Intent.RECORD
    (tx,) = understanding.transactions
    assert (tx.amount, tx.merchant, tx.category) == (Decimal("12.90"), "DROGARIA SAO PAULO", "health")
    assert tx.category_guesses == ("shopping", "groceries")


def test_a_receipt_without_a_total_takes_the_amount_typed_with_it() -> None:
    rank = _Ranker([("health", 0.9), ("shopping", 0.05)])
    reader = _reader(read_receipt=lambda data, language, currency: _receipt(None), rank=rank)
    draft = _read(reader, _job("photo", caption="40 reais"))
    assert draft.read_from == "caption"
    understanding = reader.capture_of(draft).understanding
    assert understanding is not None
    (tx,) = understanding.transactions
    assert (tx.amount, tx.merchant, tx.category) == (Decimal("40"), "DROGARIA SAO PAULO", "health")
    no_caption = _read(reader, _job("photo"))
    assert no_caption.understanding is not None
    assert no_caption.understanding.problem == "receipt_no_total"
