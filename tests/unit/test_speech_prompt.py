"""The vocabulary prompt of a voice note: the chat's merchants, then places, amounts, currency and
payment words from a data file; the edge and the evaluation build it with one function."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from uuid import uuid4

from financy.core.contracts.v1 import MediaRef
from financy.edge.pipeline import media
from financy.edge.pipeline.media import (
    MAX_PROMPT_CHARS,
    PROMPT_MERCHANTS,
    MediaJob,
    MediaReader,
    speech_prompt,
)
from financy.inference.speech.base import Transcript
from financy.inference.speech.vocabulary import prompt_vocabulary
from financy.inference.tables import SOURCE, read_table
from financy.inference.text.normalize import fold
from tests.eval import seen, splits
from tests.eval import speech as speech_eval

VOCABULARY_FILE = "speech/data/prompt_vocabulary.tsv"
TEXT = "financy.inference.text"


def test_the_portuguese_vocabulary_holds_currency_and_amount_words() -> None:
    words = {w.strip(".,:").lower() for w in prompt_vocabulary("pt").split()}
    assert {"reais", "real", "centavos", "dólares", "euros"} <= words
    assert {"pix", "cartão", "débito", "crédito", "mercado", "farmácia"} <= words
    assert prompt_vocabulary("pt-BR") == prompt_vocabulary("pt")
    assert {"dollars", "cents"} <= {w.strip(".,").lower() for w in prompt_vocabulary("en").split()}
    assert prompt_vocabulary("ko") == ""


def test_the_vocabulary_names_no_amount() -> None:
    """Whisper copies prompt words into badly heard speech: a number in the prompt is an amount
    nobody said (see ``financy.inference.speech.vocabulary``)."""
    numbers = {
        row["word"] for row in read_table(TEXT, "data/number_words.tsv", ("kind", "word", "value", SOURCE))
    }
    for language in ("pt", "en"):
        text = prompt_vocabulary(language)
        assert not any(ch.isdigit() for ch in text)
        assert not numbers & {fold(w.strip(".,:")) for w in text.split()}


def test_the_prompt_is_the_merchants_then_the_vocabulary() -> None:
    assert speech_prompt("pt") == prompt_vocabulary("pt")
    assert (
        speech_prompt("pt", ["Padaria  Real", "uber", "uber"])
        == f"Padaria Real, uber. {prompt_vocabulary('pt')}"
    )
    assert speech_prompt("en", ["starbucks"]) == f"starbucks. {prompt_vocabulary('en')}"
    assert speech_prompt("es", []) == prompt_vocabulary(
        "pt"
    )  # any language but English: the Portuguese words


def test_many_or_long_merchants_never_cut_the_vocabulary() -> None:
    many = [f"loja {i}" for i in range(50)]
    prompt = speech_prompt("pt", many)
    assert prompt.endswith(prompt_vocabulary("pt"))
    assert prompt.startswith(", ".join(many[:PROMPT_MERCHANTS]) + ". ")
    long_names = ["x" * 150 for _ in range(10)]
    prompt = speech_prompt("pt", [f"{name}{i}" for i, name in enumerate(long_names)])
    assert len(prompt) <= MAX_PROMPT_CHARS
    assert prompt.endswith(prompt_vocabulary("pt"))


def test_the_evaluation_prompts_are_the_edges() -> None:
    for language in ("pt", "en"):
        merchants = speech_eval.recent_merchants(language)
        assert merchants
        assert speech_eval.PROMPTS[language] == speech_prompt(language, merchants)
    assert speech_eval.RECENT_MERCHANTS == PROMPT_MERCHANTS


def test_the_vocabulary_holds_no_test_split_name() -> None:
    assert seen.find_seen(splits.names_in_test_split(), seen.file_reader, (VOCABULARY_FILE,)) == []


class Recorder:
    """A transcriber that records what it was asked (this tests the edge's call, not Whisper)."""

    name = "whisper"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def transcribe(
        self, data: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        self.calls.append({"language": language, "prompt": prompt})
        return Transcript(
            "gastei trinta reais no mercado", language or "pt", 2.0, (), "whisper-base", "1.0.0", 0.8, True
        )


def test_the_transcribe_step_passes_the_same_prompt() -> None:
    recorder = Recorder()
    reader = MediaReader(
        time_zone="America/Sao_Paulo",
        language="pt",
        currency="BRL",
        transcriber=recorder,
        read_receipt=None,
        categorize=None,
    )
    job = MediaJob(
        capture_id=uuid4(),
        idempotency_key="devchat:c1:m1",
        edge_id="local",
        platform="devchat",
        chat_id="c1",
        message_id="m1",
        sender_id="u1",
        received_at=dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC),
        kind="voice",
        media=MediaRef(key="captures/x/original.ogg", content_type="audio/ogg", size=3, sha256="0" * 64),
    )
    draft = asyncio.run(reader.read_draft(reader.draft(job, b"abc", merchants=["padaria do zé", "uber"])))
    assert recorder.calls == [{"language": "pt", "prompt": speech_prompt("pt", ["padaria do zé", "uber"])}]
    assert draft.understanding is not None
    assert [str(t.amount) for t in draft.understanding.transactions] == ["30"]
    assert media.speech_prompt is speech_prompt
