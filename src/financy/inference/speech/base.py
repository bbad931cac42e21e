"""What every speech backend returns: segments and a transcript, and the ``Transcriber`` protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Segment", "Transcriber", "Transcript"]


@dataclass(frozen=True)
class Segment:
    """A stretch of speech: ``start``/``end`` in seconds from the start of the audio, and its text.

    ``avg_logprob`` is the mean log-probability of its tokens (Whisper) or of its words' confidences
    (Vosk); ``no_speech_prob`` is Whisper's probability that the window holds no speech (0.0 from
    Vosk, which does not estimate it).
    """

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float

    def to_json(self) -> dict[str, Any]:
        """Return the segment as JSON values (seconds to the millisecond)."""
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "avg_logprob": round(self.avg_logprob, 4),
            "no_speech_prob": round(self.no_speech_prob, 4),
        }


@dataclass(frozen=True)
class Transcript:
    """The text of a capture's speech and how sure the model was.

    ``language``: the ISO 639-1 code decoded with (the hint, never auto-detected). ``duration_s``:
    seconds of decoded audio. ``model``/``model_version``: the artifact's manifest name and version.
    ``confidence`` in [0, 1]: for Whisper the duration-weighted mean over segments of
    ``exp(avg_logprob) * (1 - no_speech_prob)`` (the geometric-mean token probability, discounted
    by the chance the window is not speech); for Vosk the mean word confidence. 0.0 when
    ``speech_found`` is False, and then ``text`` is "" and ``segments`` is empty: silence or noise
    never yields words.
    """

    text: str
    language: str
    duration_s: float
    segments: tuple[Segment, ...]
    model: str
    model_version: str
    confidence: float
    speech_found: bool

    def to_json(self) -> dict[str, Any]:
        """Return the DESIGN §5 ``transcribe --json`` shape (plus model, version, confidence, speech_found)."""
        return {
            "text": self.text,
            "language": self.language,
            "duration_s": round(self.duration_s, 3),
            "segments": [segment.to_json() for segment in self.segments],
            "model": self.model,
            "model_version": self.model_version,
            "confidence": round(self.confidence, 3),
            "speech_found": self.speech_found,
        }


class Transcriber(Protocol):
    """A speech-to-text backend: whole audio files in, a :class:`Transcript` out.

    ``transcribe`` raises :class:`~financy.inference.speech.audio.AudioError` for audio it refuses
    and :class:`~financy.inference.speech.audio.SpeechError` (``unsupported_language``) for a
    language its model does not speak. ``prompt``: words to expect (the context's merchants and
    categories); backends without prompting ignore it.
    """

    name: str

    def transcribe(
        self, data: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Return the transcript of the audio file ``data``."""
        ...
