"""Vosk (Kaldi) speech to text for small edges: a few tens of MB, real time on a Raspberry Pi.

A grammar (phrases such as amounts: "cinquenta reais", "vinte e cinco") limits the recognizer to
those words, which makes a small model far more accurate on them; it needs a model with a
runtime graph (``graph/HCLr.fst`` + ``Gr.fst``, like the ``vosk-ko`` artifact). Words the model's
lexicon lacks are dropped from the grammar by Vosk with a warning.

Models are single-language: asking for another language is an error, never a guess. Vosk has no
prompt; ``prompt`` is accepted and ignored. ``Model(lang=...)`` is never called (it downloads).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from financy.inference.base import LazyModel
from financy.inference.speech.audio import SAMPLE_RATE, DecodedAudio, SpeechError, SpeechLimits, decode_audio
from financy.inference.speech.base import Segment, Transcript

__all__ = ["UNKNOWN_WORD", "VoskTranscriber"]

#: Vosk's out-of-grammar token; added to every grammar so unknown words do not force a match.
UNKNOWN_WORD: Final = "[unk]"
#: Samples fed to the recognizer per call (0.25 s at 16 kHz).
_CHUNK: Final = 4000


class VoskTranscriber:
    """Speech to text with Vosk's ``KaldiRecognizer`` over the model directory ``model_dir``.

    ``language``: the model's language (ISO 639-1). ``grammar``: phrases the recognizer may output
    (None: the model's full vocabulary). ``model_name``/``model_version`` go into each
    :class:`Transcript`. The model loads on first use and unloads after ``idle_ttl_s`` seconds idle.
    """

    name = "vosk"

    def __init__(
        self,
        model_dir: Path,
        *,
        language: str,
        grammar: Sequence[str] | None = None,
        limits: SpeechLimits = SpeechLimits(),  # noqa: B008 - frozen dataclass, safe as a default
        model_name: str = "vosk",
        model_version: str = "",
        idle_ttl_s: float = 900.0,
    ) -> None:
        """Prepare the backend; raises ValueError for an empty grammar (nothing could be recognised)."""
        self.model_dir = Path(model_dir)
        self.language = language
        phrases = None if grammar is None else tuple(" ".join(p.split()) for p in grammar if p.strip())
        if phrases is not None and not phrases:
            raise ValueError("a Vosk grammar needs at least one phrase")
        if phrases is not None and UNKNOWN_WORD not in phrases:
            phrases = (*phrases, UNKNOWN_WORD)
        self.grammar: tuple[str, ...] | None = phrases
        self.limits = limits
        self.model_name = model_name
        self.model_version = model_version
        self._model: LazyModel[Any] = LazyModel(model_name, model_version, self._load, idle_ttl_s=idle_ttl_s)

    def _load(self) -> Any:
        import vosk

        vosk.SetLogLevel(-1)
        if not (self.model_dir / "am").is_dir():
            raise SpeechError("model_not_found", f"{self.model_dir} is not a Vosk model directory (no am/)")
        return vosk.Model(str(self.model_dir))

    def recognizer(self) -> Any:
        """Return a new ``KaldiRecognizer`` at 16 kHz with word times, built with the grammar if any."""
        import vosk

        model = self._model.get()
        if self.grammar is None:
            rec = vosk.KaldiRecognizer(model, SAMPLE_RATE)
        else:
            rec = vosk.KaldiRecognizer(model, SAMPLE_RATE, json.dumps(list(self.grammar), ensure_ascii=False))
        rec.SetWords(True)
        return rec

    def transcribe(
        self, data: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Decode ``data`` within ``limits`` and return its transcript (``prompt`` is ignored).

        Raises AudioError (see :func:`decode_audio`) and SpeechError ``unsupported_language`` when
        ``language`` is given and is not the model's.
        """
        return self.transcribe_audio(decode_audio(data, limits=self.limits), language=language)

    def transcribe_audio(self, audio: DecodedAudio, *, language: str | None = None) -> Transcript:
        """Transcribe already decoded audio (see :meth:`transcribe`)."""
        if language is not None and language.strip().lower() != self.language:
            raise SpeechError(
                "unsupported_language",
                f"the Vosk model {self.model_name} speaks {self.language!r}, not {language!r}",
            )
        rec = self.recognizer()
        pcm = (np.clip(audio.samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        results: list[str] = []
        step = _CHUNK * 2  # bytes: 16-bit samples
        for offset in range(0, len(pcm), step):
            if rec.AcceptWaveform(pcm[offset : offset + step]):
                results.append(rec.Result())
        results.append(rec.FinalResult())
        segments = tuple(seg for seg in (_segment(json.loads(r)) for r in results) if seg is not None)
        words = [w for r in results for w in json.loads(r).get("result", []) if w.get("word") != UNKNOWN_WORD]
        if not segments:
            return Transcript(
                "", self.language, audio.duration_s, (), self.model_name, self.model_version, 0.0, False
            )
        confidence = sum(float(w.get("conf", 0.0)) for w in words) / len(words)
        return Transcript(
            text=" ".join(s.text for s in segments),
            language=self.language,
            duration_s=audio.duration_s,
            segments=segments,
            model=self.model_name,
            model_version=self.model_version,
            confidence=max(0.0, min(1.0, confidence)),
            speech_found=True,
        )


def _segment(result: dict[str, Any]) -> Segment | None:
    """One Vosk result (an utterance between endpoints) as a Segment; None when it holds no word."""
    words = [w for w in result.get("result", []) if w.get("word") and w["word"] != UNKNOWN_WORD]
    if not words:
        return None
    logprob = sum(math.log(max(float(w.get("conf", 0.0)), 1e-6)) for w in words) / len(words)
    return Segment(
        start=float(words[0]["start"]),
        end=float(words[-1]["end"]),
        text=" ".join(str(w["word"]) for w in words),
        avg_logprob=logprob,
        no_speech_prob=0.0,
    )
