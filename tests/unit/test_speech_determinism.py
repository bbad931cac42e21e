"""The same voice note gives the same transcript every time: temperature-0 beam search only, and a
deterministic guard against repetition loops (the real models, the real clips of tests/fixtures/audio).

Measured before this decoding (faster-whisper's temperature fallback, no prompt): espeak-ng's
"paguei cinquenta reais na farmácia" at 150 wpm came out three different ways in five runs of one
process ("A gasing quinta é a isa farmácia." four times, "A gasing quenta reais a farmácia." once),
the fallback sampling at temperature 1.0 after every pass stayed under log-probability -1.0.
"""

from __future__ import annotations

import shutil
import subprocess
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from financy.edge.pipeline.media import speech_prompt
from financy.inference.registry import ModelRegistry
from financy.inference.speech import WhisperTranscriber
from financy.inference.speech.base import Segment
from financy.inference.speech.whisper import (
    DECODE_OPTIONS,
    MAX_COMPRESSION_RATIO,
    REPETITION_RETRY_OPTIONS,
    collapse_repeats,
    compression_ratio,
    repetitive,
)
from tests.unit.test_audio import COXINHA_OGG, COXINHA_WAV, JFK_FLAC

RUNS = 5
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng (scripts/system-packages.txt) not installed"
)


@pytest.fixture(scope="module")
def whisper() -> WhisperTranscriber:
    return WhisperTranscriber(ModelRegistry.default())


def texts(whisper: WhisperTranscriber, data: bytes, language: str, prompt: str | None) -> list[str]:
    return [whisper.transcribe(data, language=language, prompt=prompt).text for _ in range(RUNS)]


# -- the options: no sampling anywhere -----------------------------------------------------------------


def test_every_pass_is_temperature_zero_beam_search() -> None:
    for options in (DECODE_OPTIONS, REPETITION_RETRY_OPTIONS):
        assert options["temperature"] == 0.0  # one value: faster-whisper has no temperature to fall back to
        assert options["beam_size"] == 5
        assert options["condition_on_previous_text"] is False
    assert REPETITION_RETRY_OPTIONS["repetition_penalty"] > 1.0
    assert REPETITION_RETRY_OPTIONS["no_repeat_ngram_size"] == 4
    assert "repetition_penalty" not in DECODE_OPTIONS


# -- the repetition guard (pure) -----------------------------------------------------------------------


def test_compression_ratio_tells_a_loop_from_speech() -> None:
    assert compression_ratio("") == 0.0
    assert compression_ratio("Eu quero uma coxinha de frango.") < 1.0
    assert compression_ratio("Paguei doze reais no café e mais trinta e cinco no mercado ontem.") < 1.5
    assert compression_ratio(" ".join(["Obrigado."] * 20)) > 9.0


@pytest.mark.parametrize(
    ("text", "collapsed"),
    [
        ("Obrigado. Obrigado. obrigado! Obrigado.", "Obrigado."),
        ("gastei 20 no mercado mercado mercado mercado", "gastei 20 no mercado"),
        ("um dois um dois um dois três", "um dois três"),
        ("e aí e aí e aí paguei trinta e aí e aí e aí", "e aí paguei trinta e aí"),
        # twice is speech, and text without runs comes back as written
        ("não, não, paguei 30", "não, não, paguei 30"),
        ("One, two, three.", "One, two, three."),
        ("Eu quero uma coxinha de frango.", "Eu quero uma coxinha de frango."),
        ("", ""),
    ],
)
def test_collapse_repeats(text: str, collapsed: str) -> None:
    assert collapse_repeats(text) == collapsed


def segment(start: float, text: str) -> Segment:
    return Segment(start=start, end=start + 1.0, text=text, avg_logprob=-0.2, no_speech_prob=0.01)


def test_a_loop_is_found_in_one_segment_or_spread_over_a_window() -> None:
    assert not repetitive((segment(0.0, "Eu quero uma coxinha de frango."),))
    assert repetitive((segment(0.0, " ".join(["Obrigado."] * 20)),))
    spread = tuple(segment(float(i), "Obrigado pela atenção.") for i in range(12))
    assert all(compression_ratio(s.text) < MAX_COMPRESSION_RATIO for s in spread)
    assert repetitive(spread)
    # the same words in different 30-second windows are not one loop
    assert not repetitive(
        (segment(0.0, "Gastei 30."), segment(31.0, "Gastei 30."), segment(62.0, "Gastei 30."))
    )


# -- the real models: five runs, one transcript ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("clip", "language", "words"),
    [
        (COXINHA_WAV, "pt", {"coxinha", "frango"}),
        (COXINHA_OGG, "pt", {"coxinha", "frango"}),
        (JFK_FLAC, "en", {"country", "americans"}),
    ],
    ids=["coxinha-wav", "coxinha-ogg", "jfk"],
)
def test_a_real_clip_gives_one_transcript(
    whisper: WhisperTranscriber, clip: Path, language: str, words: set[str]
) -> None:
    prompt = speech_prompt(language, ["padaria", "mercado"])
    runs = texts(whisper, clip.read_bytes(), language, prompt)
    assert len(set(runs)) == 1, runs
    assert words <= {w.strip(".,!?").lower() for w in runs[0].split()}


@pytest.mark.slow
@needs_espeak
def test_a_clip_under_the_fallback_threshold_gives_one_transcript(
    whisper: WhisperTranscriber, tmp_path: Path
) -> None:
    """The clip that came out three ways in five runs under the temperature fallback (module docstring)."""
    target = tmp_path / "farmacia.wav"
    subprocess.run(
        ["espeak-ng", "-v", "pt-br", "-s", "150", "-w", str(target), "paguei cinquenta reais na farmácia"],
        check=True,
        timeout=60,
    )
    data = target.read_bytes()
    runs = texts(whisper, data, "pt", None)
    assert len(set(runs)) == 1, runs
    # The words of a clip this hard depend on the CPU's int8 kernels: measured "a gasing quenta
    # reais a farmácia." (avg log-probability -1.04) on one machine and "A gai-sinkuenta, ai,
    # Zafa, Mácia." on another, similarity 0.81 and 0.66 to what was said; a transcript of
    # something else ("Obrigado.") is 0.05. Each machine's is the same five times out of five.
    said = "paguei cinquenta reais na farmácia"
    assert SequenceMatcher(None, said, runs[0].lower()).ratio() > 0.5, runs[0]
    with_prompt = texts(whisper, data, "pt", speech_prompt("pt", ["mercado", "padaria"]))
    assert len(set(with_prompt)) == 1, with_prompt


@pytest.mark.slow
def test_the_repetition_retry_is_deterministic_too() -> None:
    """With the loop threshold at 0 every clip takes the second pass: its text is the same every run
    and keeps the words said (the retry does not cost a real clip its words)."""
    eager = WhisperTranscriber(ModelRegistry.default(), max_compression_ratio=0.0)
    runs = texts(eager, COXINHA_OGG.read_bytes(), "pt", speech_prompt("pt", []))
    assert len(set(runs)) == 1, runs
    assert {"coxinha", "frango"} <= {w.strip(".,!?").lower() for w in runs[0].split()}
