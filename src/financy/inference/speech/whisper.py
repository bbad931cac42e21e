"""Whisper on CTranslate2 (faster-whisper): int8 on CPU, CUDA when a GPU is present.

Two models: English speech goes to ``whisper-tiny.en`` (small, fast, English only), every other
language to the multilingual ``whisper-base`` with the language given explicitly. Whisper's own
language detection is never used: on short or synthetic clips it picks wrong languages (STACK.md
"Speech"), so the caller passes the context's language.

Silence and noise: Whisper invents text on non-speech ("You", "Thank you for watching",
"Obrigado."). Three guards, cheapest first: audio whose peak stays under -60 dBFS is silence and
never reaches the model; faster-whisper's Silero VAD (an ONNX model inside the wheel) drops
stretches without voice before decoding; segments Whisper itself rates as non-speech
(``no_speech_prob`` > 0.6 with ``avg_logprob`` < -1.0, Whisper's own rule), segments whose
:func:`segment_score` is under :data:`MIN_SEGMENT_SCORE`, and segments with no letter or digit
are dropped. Measured here: digital silence, a real room-tone recording, white
and pink noise all give ``speech_found=False`` with both models.

Determinism: the same voice note gives the same transcript every time. Whisper's reference
decoding falls back to sampling at rising temperatures (0.2 ... 1.0) when a window's text is too
repetitive (compression ratio over 2.4) or too unsure (mean log-probability under -1.0); sampling
is random, so a clip near a threshold was heard differently from run to run ("trinta e dois
reais" one run, "trinta e voz de ice" the next). Here every pass is beam search at temperature 0
(:data:`DECODE_OPTIONS`), which depends only on the audio, the prompt and the model. What the
fallback was for is kept, deterministically: an unsure window is kept as decoded (its
:func:`segment_score` drops it when it is invented, the edge asks before recording a transcript
it is unsure of); a repetitive one (a hallucination loop, "obrigado obrigado obrigado ...") makes
the whole clip decode once more with a repetition penalty and no repeated 4-grams
(:data:`REPETITION_RETRY_OPTIONS`), and a segment still over the ratio has its repeated runs of
words collapsed to one (:func:`collapse_repeats`).
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from financy.inference.base import LazyModel
from financy.inference.speech.audio import DecodedAudio, SpeechError, SpeechLimits, decode_audio
from financy.inference.speech.base import Segment, Transcript

if TYPE_CHECKING:
    from financy.inference.registry import ModelRegistry

__all__ = [
    "DECODE_OPTIONS",
    "MAX_COMPRESSION_RATIO",
    "MIN_SEGMENT_SCORE",
    "REPETITION_RETRY_OPTIONS",
    "SILENCE_PEAK",
    "WhisperTranscriber",
    "collapse_repeats",
    "compression_ratio",
    "segment_score",
    "whisper_device",
]

#: Ratio of a segment's UTF-8 length to its zlib-compressed length above which its text is a
#: repetition loop (Whisper's own threshold; speech that is said once stays under 2).
MAX_COMPRESSION_RATIO: Final = 2.4
#: Decoding parameters of every call (the benchmark passes the same ones to the raw call).
#: Beam search of 5 is Whisper's reference setting; ``temperature`` 0.0 alone means no sampling
#: fallback, so the result is the same every run (see the module docstring);
#: ``condition_on_previous_text=False`` keeps one misheard segment from steering the next (voice
#: notes are short, context helps little); the VAD filter drops non-speech before decoding. The
#: thresholds then only mark windows as silence (``no_speech_threshold`` with
#: ``log_prob_threshold``: faster-whisper skips them), they trigger no other decoding.
DECODE_OPTIONS: Final[dict[str, Any]] = {
    "beam_size": 5,
    "temperature": 0.0,
    "condition_on_previous_text": False,
    "vad_filter": True,
    "no_speech_threshold": 0.6,
    "log_prob_threshold": -1.0,
    "compression_ratio_threshold": MAX_COMPRESSION_RATIO,
}
#: The second, still deterministic pass over a clip one of whose segments is a repetition loop
#: (compression ratio over :data:`MAX_COMPRESSION_RATIO`): the same beam search with repeated
#: tokens penalised and no token 4-gram said twice.
REPETITION_RETRY_OPTIONS: Final[dict[str, Any]] = {
    **DECODE_OPTIONS,
    "repetition_penalty": 1.3,
    "no_repeat_ngram_size": 4,
}
#: Peak amplitude under which audio is silence without asking a model (-60 dBFS).
SILENCE_PEAK: Final = 1e-3
#: Segments scoring under this (see :func:`segment_score`) are dropped as invented. Measured here:
#: tiny.en's "You" on white noise 0.015 and on digital silence (without VAD) 0.02; real and
#: synthetic speech 0.25-0.80 (the coxinha clip 0.73, badly heard espeak-ng Portuguese 0.29).
MIN_SEGMENT_SCORE: Final = 0.1
#: Longest vocabulary prompt passed to Whisper, in characters (its prompt window is 223 tokens).
MAX_PROMPT_CHARS: Final = 600


def whisper_device() -> tuple[str, str]:
    """Return ``(device, compute_type)``: ("cuda", "int8_float16") with a CUDA GPU, else ("cpu", "int8")."""
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        return "cuda", "int8_float16"
    return "cpu", "int8"


class WhisperTranscriber:
    """Speech to text with faster-whisper, models from the registry, loaded lazily.

    ``registry`` resolves ``english_model`` and ``multilingual_model`` (manifest names) to verified
    directories on first use; each model unloads after ``idle_ttl_s`` seconds unused (``reap_idle``
    in :mod:`financy.inference.base`). ``cpu_threads=0`` lets CTranslate2 use every core.
    ``default_language`` is used when ``transcribe`` gets no language. ``max_compression_ratio``:
    a segment above it is a repetition loop (the clip is decoded again with
    :data:`REPETITION_RETRY_OPTIONS`, see the module docstring).
    """

    name = "whisper"

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        english_model: str = "whisper-tiny.en",
        multilingual_model: str = "whisper-base",
        default_language: str = "pt",
        limits: SpeechLimits = SpeechLimits(),  # noqa: B008 - frozen dataclass, safe as a default
        idle_ttl_s: float = 900.0,
        cpu_threads: int = 0,
        max_compression_ratio: float = MAX_COMPRESSION_RATIO,
    ) -> None:
        """Prepare the backend (nothing is loaded or verified until the first transcription)."""
        self.registry = registry
        self.english_model = english_model
        self.multilingual_model = multilingual_model
        self.default_language = default_language
        self.limits = limits
        self.idle_ttl_s = idle_ttl_s
        self.cpu_threads = cpu_threads
        self.max_compression_ratio = max_compression_ratio
        self._models: dict[str, LazyModel[Any]] = {}

    def model_for(self, language: str) -> str:
        """Return the manifest name of the model used for ``language`` ("en" -> English model)."""
        return self.english_model if language == "en" else self.multilingual_model

    def lazy_model(self, name: str) -> LazyModel[Any]:
        """Return the :class:`LazyModel` of the manifest artifact ``name`` (created once, loaded on ``get``).

        Raises the registry's ``ModelError`` (``model_not_found``) for an unknown name.
        """
        model = self._models.get(name)
        if model is None:
            artifact = self.registry.artifact(name)

            def load() -> Any:
                from faster_whisper import WhisperModel

                device, compute_type = whisper_device()
                return WhisperModel(
                    str(self.registry.path(name)),
                    device=device,
                    compute_type=compute_type,
                    cpu_threads=self.cpu_threads,
                    local_files_only=True,
                )

            model = self._models.setdefault(
                name, LazyModel(name, artifact.version, load, idle_ttl_s=self.idle_ttl_s)
            )
        return model

    def transcribe(
        self, data: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Decode the audio file ``data`` within ``limits`` and return its transcript.

        ``language``: ISO 639-1 code of the speech (default ``default_language``). ``prompt``: the
        context's merchants and categories, given to Whisper as its initial prompt (vocabulary).
        Raises AudioError (see :func:`decode_audio`), SpeechError ``unsupported_language`` when
        the model does not list the language, and the registry's ModelError when a model is
        missing or fails its checksum.
        """
        audio = decode_audio(data, limits=self.limits)
        return self.transcribe_audio(audio, language=language, prompt=prompt)

    def transcribe_audio(
        self, audio: DecodedAudio, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Transcribe already decoded audio (see :meth:`transcribe`)."""
        lang = (language or self.default_language).strip().lower()
        name = self.model_for(lang)
        artifact = self.registry.artifact(name)
        if artifact.languages and lang not in artifact.languages:
            raise SpeechError(
                "unsupported_language", f"the speech model {name} does not know the language {lang!r}"
            )
        lazy = self.lazy_model(name)
        if audio.samples.size == 0 or float(np.max(np.abs(audio.samples))) < SILENCE_PEAK:
            return _no_speech(lang, audio.duration_s, name, artifact.version)
        initial_prompt = " ".join((prompt or "").split())[:MAX_PROMPT_CHARS] or None
        model = lazy.get()
        segments = self._decode(model, audio, lang, initial_prompt, DECODE_OPTIONS)
        if repetitive(segments, self.max_compression_ratio):
            retried = self._decode(model, audio, lang, initial_prompt, REPETITION_RETRY_OPTIONS)
            segments = _without_loops(retried, self.max_compression_ratio)
        if not segments:
            return _no_speech(lang, audio.duration_s, name, artifact.version)
        return Transcript(
            text=" ".join(s.text for s in segments),
            language=lang,
            duration_s=audio.duration_s,
            segments=segments,
            model=name,
            model_version=artifact.version,
            confidence=_confidence(segments),
            speech_found=True,
        )

    def _decode(
        self, model: Any, audio: DecodedAudio, language: str, prompt: str | None, options: dict[str, Any]
    ) -> tuple[Segment, ...]:
        """Run one deterministic decoding pass; return the segments that are speech (``_is_speech``)."""
        raw_segments, _info = model.transcribe(
            audio.samples, language=language, initial_prompt=prompt, **options
        )
        return tuple(
            Segment(
                start=float(s.start),
                end=float(s.end),
                text=s.text.strip(),
                avg_logprob=float(s.avg_logprob),
                no_speech_prob=float(s.no_speech_prob),
            )
            for s in raw_segments
            if _is_speech(s.text, float(s.avg_logprob), float(s.no_speech_prob))
        )


#: Seconds of audio Whisper decodes at once; the repetition check measures each such stretch.
WINDOW_S: Final = 30.0


def repetitive(segments: tuple[Segment, ...], max_ratio: float = MAX_COMPRESSION_RATIO) -> bool:
    """Return whether a segment, or the text of one :data:`WINDOW_S` stretch of segments (by their
    start), has a :func:`compression_ratio` over ``max_ratio`` (a loop spread over segments,
    "Obrigado." "Obrigado." "Obrigado." ..., is caught by the stretch)."""
    windows: dict[int, list[str]] = {}
    for segment in segments:
        if compression_ratio(segment.text) > max_ratio:
            return True
        windows.setdefault(int(segment.start // WINDOW_S), []).append(segment.text)
    return any(compression_ratio(" ".join(texts)) > max_ratio for texts in windows.values())


def _without_loops(segments: tuple[Segment, ...], max_ratio: float) -> tuple[Segment, ...]:
    """Return ``segments`` with loops folded: a segment over ``max_ratio`` has its repeated runs
    collapsed (:func:`collapse_repeats`), and a segment saying the same words as the
    :data:`MIN_REPEATS` - 1 segments before it is dropped."""
    out: list[Segment] = []
    keys: list[str] = []
    for raw in segments:
        segment = raw
        if compression_ratio(raw.text) > max_ratio:
            segment = replace(raw, text=collapse_repeats(raw.text))
        key = _phrase_key(segment.text)
        if len(keys) >= MIN_REPEATS - 1 and all(k == key for k in keys[-(MIN_REPEATS - 1) :]):
            continue
        out.append(segment)
        keys.append(key)
    return tuple(out)


def _phrase_key(text: str) -> str:
    return " ".join(_word_key(tok) for tok in _WORD_RE.findall(text))


def _word_key(token: str) -> str:
    return "".join(ch for ch in token.casefold() if ch.isalnum())


def compression_ratio(text: str) -> float:
    """Return ``len(utf8) / len(zlib(utf8))`` of ``text`` (Whisper's repetition measure; 0.0 for "").

    Text said once stays under 2 (short texts under 1); a loop of one phrase climbs with every
    repeat ("obrigado. " twenty times: about 9).
    """
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


_WORD_RE: Final = re.compile(r"\S+")
#: Longest phrase, in words, whose back-to-back repeats :func:`collapse_repeats` folds.
MAX_REPEATED_PHRASE: Final = 8
#: A phrase said this many times in a row, or more, is a loop (twice is speech: "não, não").
MIN_REPEATS: Final = 3


def collapse_repeats(text: str) -> str:
    """Return ``text`` with every run of one phrase said :data:`MIN_REPEATS` or more times in a row
    kept once ("obrigado. obrigado. obrigado. obrigado." -> "obrigado.").

    Phrases of 1 to :data:`MAX_REPEATED_PHRASE` words are compared case-insensitively without their
    punctuation; the first occurrence is kept as written. Text without such runs comes back unchanged.
    """
    tokens = _WORD_RE.findall(text)
    keys = [_word_key(tok) for tok in tokens]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        best_n, best_repeats = 0, 1
        for n in range(1, MAX_REPEATED_PHRASE + 1):
            phrase = keys[i : i + n]
            if len(phrase) < n or not any(phrase):
                break
            repeats = 1
            while keys[i + repeats * n : i + (repeats + 1) * n] == phrase:
                repeats += 1
            if repeats >= MIN_REPEATS and repeats * n > best_repeats * best_n:
                best_n, best_repeats = n, repeats
        if best_n:
            out.extend(tokens[i : i + best_n])
            i += best_n * best_repeats
        else:
            out.append(tokens[i])
            i += 1
    if len(out) == len(tokens):
        return text
    return " ".join(out)


def segment_score(avg_logprob: float, no_speech_prob: float) -> float:
    """``exp(avg_logprob) * (1 - no_speech_prob)``: how likely the segment is words that were said, in [0, 1]."""
    return math.exp(min(avg_logprob, 0.0)) * (1.0 - no_speech_prob)


def _is_speech(text: str, avg_logprob: float, no_speech_prob: float) -> bool:
    if (
        no_speech_prob > DECODE_OPTIONS["no_speech_threshold"]
        and avg_logprob < DECODE_OPTIONS["log_prob_threshold"]
    ):
        return False
    if segment_score(avg_logprob, no_speech_prob) < MIN_SEGMENT_SCORE:
        return False
    return any(ch.isalnum() for ch in text)


def _confidence(segments: tuple[Segment, ...]) -> float:
    """Duration-weighted mean of ``exp(avg_logprob) * (1 - no_speech_prob)``, in [0, 1]."""
    weights = [max(s.end - s.start, 0.01) for s in segments]
    scores = [segment_score(s.avg_logprob, s.no_speech_prob) for s in segments]
    value = sum(w * v for w, v in zip(weights, scores, strict=True)) / sum(weights)
    return max(0.0, min(1.0, value))


def _no_speech(language: str, duration_s: float, model: str, version: str) -> Transcript:
    return Transcript(
        text="",
        language=language,
        duration_s=duration_s,
        segments=(),
        model=model,
        model_version=version,
        confidence=0.0,
        speech_found=False,
    )
