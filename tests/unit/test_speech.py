"""Speech to text with the real models: real Portuguese and English speech, silence and noise, Vosk's path.

Models come from the registry (whisper-base joined from its two PyPI parts, tiny.en, vosk-ko) and are
loaded once per module.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import jiwer
import numpy as np
import pytest

from financy.edge.pipeline.understand import understand_text
from financy.inference.registry import ModelRegistry
from financy.inference.speech import (
    AudioError,
    SpeechError,
    Transcript,
    VoskTranscriber,
    WhisperTranscriber,
    decode_audio,
    make_transcriber,
)
from tests.unit.test_audio import AUDIO, COXINHA_OGG, COXINHA_WAV, JFK_FLAC, png_bytes, wav_bytes

pytestmark = pytest.mark.slow
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng (scripts/system-packages.txt) not installed"
)


def words(text: str) -> str:
    """Lower case, no punctuation, single spaces (accents kept: they are part of Portuguese words)."""
    text = unicodedata.normalize("NFC", text.lower())
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(words(reference), words(hypothesis) or "<empty>"))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    return ModelRegistry.default()


@pytest.fixture(scope="module")
def whisper(registry: ModelRegistry) -> WhisperTranscriber:
    return WhisperTranscriber(registry)


@pytest.fixture(scope="module")
def vosk(registry: ModelRegistry) -> VoskTranscriber:
    transcriber = make_transcriber("vosk", registry)
    assert isinstance(transcriber, VoskTranscriber)
    return transcriber


def espeak(tmp_path: Path, voice: str, text: str, *options: str) -> bytes:
    target = tmp_path / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", voice, *options, "-w", str(target), text], check=True, timeout=60)
    return target.read_bytes()


def room_tone() -> bytes:
    """5 s of a real recording's silence: the pauses of the coxinha clip (0.2-1.3 s, 3.1-4.5 s), repeated."""
    samples = decode_audio(COXINHA_WAV.read_bytes()).samples
    quiet = np.concatenate([samples[3200:20800], samples[49600:]])
    return wav_bytes((np.tile(quiet, 2) * 32767).astype("<i2"), 16000)


# -- real speech --------------------------------------------------------------------------------------


@pytest.mark.parametrize("clip", [COXINHA_WAV, COXINHA_OGG], ids=["wav", "ogg"])
def test_portuguese_voice_note(whisper: WhisperTranscriber, clip: Path) -> None:
    reference = (AUDIO / "ufpalign_coxinha_ptbr.txt").read_text(encoding="utf-8")
    transcript = whisper.transcribe(clip.read_bytes(), language="pt")
    assert transcript.model == "whisper-base"
    assert transcript.model_version == "1.0.0"
    assert transcript.language == "pt"
    assert transcript.duration_s == pytest.approx(4.5, abs=0.01)
    assert transcript.speech_found
    assert {"coxinha", "frango"} <= set(words(transcript.text).split())
    assert wer(reference, transcript.text) <= 0.2  # measured 0.0 ("Eu quero uma coxinha de frango.")
    assert 0.5 < transcript.confidence <= 1.0  # measured 0.73
    segment = transcript.segments[0]
    assert 0.5 < segment.start < segment.end < 4.5


def test_english_speech_uses_tiny_en(whisper: WhisperTranscriber) -> None:
    reference = (AUDIO / "fasterwhisper_jfk_en.txt").read_text(encoding="utf-8")
    transcript = whisper.transcribe(JFK_FLAC.read_bytes(), language="en")
    assert transcript.model == "whisper-tiny.en"
    assert transcript.speech_found
    assert wer(reference, transcript.text) <= 0.1
    assert transcript.duration_s == pytest.approx(11.0, abs=0.01)


def test_vocabulary_prompt_keeps_the_words(whisper: WhisperTranscriber) -> None:
    transcript = whisper.transcribe(
        COXINHA_OGG.read_bytes(),
        language="pt",
        prompt="Padaria, lanchonete, mercado: coxinha, pastel, frango.",
    )
    assert {"coxinha", "frango"} <= set(words(transcript.text).split())


@needs_espeak
def test_spoken_amount_is_read_from_the_transcript(whisper: WhisperTranscriber, tmp_path: Path) -> None:
    """espeak-ng Portuguese at 120 wpm: whisper-base writes 'Almoço que eu estou trinta e dois reais.'
    here, the same every run (mean log-probability -0.85). At 160 wpm the clip sits at Whisper's
    log-probability threshold (-0.99 to -1.02 from run to run), where its fallback samples at a
    temperature and heard "trinta e voz de ice" one run in two."""
    data = espeak(tmp_path, "pt-br", "almoço custou trinta e dois reais", "-s", "120")
    transcript = whisper.transcribe(data, language="pt")
    understanding = understand_text(
        transcript.text, today=dt.date(2026, 11, 28), language_hint="pt", currency="BRL"
    )
    assert [str(t.amount) for t in understanding.transactions] == ["32"]


# -- silence and noise: no invented words -------------------------------------------------------------


def white_noise() -> bytes:
    rng = np.random.default_rng(4)
    return wav_bytes((rng.normal(0, 0.2, 5 * 16000).clip(-1, 1) * 32767).astype("<i2"), 16000)


@pytest.mark.parametrize("language", ["pt", "en"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: wav_bytes(np.zeros(5 * 16000, dtype="<i2"), 16000),
        room_tone,
        white_noise,
    ],
    ids=["digital-silence", "room-tone", "white-noise"],
)
def test_no_speech_gives_no_words(whisper: WhisperTranscriber, make: object, language: str) -> None:
    assert callable(make)
    transcript = whisper.transcribe(make(), language=language)
    assert transcript.speech_found is False
    assert transcript.text == ""
    assert transcript.segments == ()
    assert transcript.confidence == 0.0
    assert transcript.duration_s == pytest.approx(5.0, abs=0.01)


# -- errors -------------------------------------------------------------------------------------------


def test_bad_audio_is_refused_before_any_model_loads(registry: ModelRegistry) -> None:
    fresh = WhisperTranscriber(registry)
    with pytest.raises(AudioError) as caught:
        fresh.transcribe(png_bytes(), language="pt")
    assert caught.value.code == "unsupported_audio"
    with pytest.raises(AudioError) as caught:
        fresh.transcribe(b"", language="pt")
    assert caught.value.code == "empty_audio"
    assert not fresh.lazy_model("whisper-base").loaded


def test_language_the_model_lacks(whisper: WhisperTranscriber) -> None:
    with pytest.raises(SpeechError) as caught:
        whisper.transcribe(COXINHA_WAV.read_bytes(), language="xx")
    assert caught.value.code == "unsupported_language"


def test_unknown_backend(registry: ModelRegistry) -> None:
    with pytest.raises(SpeechError) as caught:
        make_transcriber("deepspeech", registry)
    assert caught.value.code == "unknown_backend"


def test_transcript_json_shape() -> None:
    transcript = Transcript("", "pt", 1.23456, (), "whisper-base", "1.0.0", 0.0, False)
    assert json.loads(json.dumps(transcript.to_json())) == {
        "text": "",
        "language": "pt",
        "duration_s": 1.235,
        "segments": [],
        "model": "whisper-base",
        "model_version": "1.0.0",
        "confidence": 0.0,
        "speech_found": False,
    }


# -- Vosk: proves the code path with the only model PyPI has (Korean) ---------------------------------


@needs_espeak
def test_vosk_transcribes_korean(vosk: VoskTranscriber, tmp_path: Path) -> None:
    data = espeak(tmp_path, "ko", "삼만 원 썼어요")
    transcript = vosk.transcribe(data)
    assert transcript.model == "vosk-ko"
    assert transcript.model_version == "0.1.0"
    assert transcript.language == "ko"
    assert transcript.duration_s == pytest.approx(decode_audio(data).duration_s)
    assert transcript.speech_found
    assert transcript.text
    assert all(0.0 <= s.start <= s.end <= transcript.duration_s + 0.05 for s in transcript.segments)
    assert 0.0 < transcript.confidence <= 1.0


@needs_espeak
def test_vosk_grammar_limits_the_words(registry: ModelRegistry, tmp_path: Path) -> None:
    grammar = ["삼만 원", "오천 원", "만 원"]
    transcriber = make_transcriber("vosk", registry, grammar=grammar)
    assert isinstance(transcriber, VoskTranscriber)
    assert transcriber.grammar == (*grammar, "[unk]")
    transcript = transcriber.transcribe(espeak(tmp_path, "ko", "삼만 원 썼어요"))
    allowed = {word for phrase in grammar for word in phrase.split()}
    assert transcript.speech_found
    assert set(transcript.text.split()) <= allowed


def test_vosk_refuses_another_language(vosk: VoskTranscriber) -> None:
    with pytest.raises(SpeechError) as caught:
        vosk.transcribe(COXINHA_WAV.read_bytes(), language="pt")
    assert caught.value.code == "unsupported_language"


def test_vosk_silence(vosk: VoskTranscriber) -> None:
    transcript = vosk.transcribe(wav_bytes(np.zeros(16000, dtype="<i2"), 16000))
    assert transcript.speech_found is False
    assert transcript.text == ""
