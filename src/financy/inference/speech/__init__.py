"""Speech to text on the edge: audio decoding with limits, faster-whisper and Vosk backends.

``make_transcriber("whisper", registry)`` is the entry point; see :mod:`.audio` for the formats and
limits, :mod:`.whisper` for the model choice per language and the guards against invented words on
silence. Heavy libraries (faster-whisper, CTranslate2, Vosk, PyAV) are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from financy.inference.speech.audio import (
    SAMPLE_RATE,
    AudioError,
    DecodedAudio,
    SpeechError,
    SpeechLimits,
    decode_audio,
    sniff_format,
)
from financy.inference.speech.base import Segment, Transcriber, Transcript
from financy.inference.speech.vosk import VoskTranscriber
from financy.inference.speech.whisper import DECODE_OPTIONS, WhisperTranscriber

if TYPE_CHECKING:
    from financy.inference.registry import ModelRegistry

__all__ = [
    "BACKENDS",
    "DECODE_OPTIONS",
    "SAMPLE_RATE",
    "AudioError",
    "DecodedAudio",
    "Segment",
    "SpeechError",
    "SpeechLimits",
    "Transcriber",
    "Transcript",
    "VoskTranscriber",
    "WhisperTranscriber",
    "decode_audio",
    "make_transcriber",
    "sniff_format",
]

#: Backend names ``make_transcriber`` takes.
BACKENDS = ("whisper", "vosk")


def make_transcriber(backend: str, registry: ModelRegistry, **options: Any) -> Transcriber:
    """Return the transcriber ``backend`` ("whisper" or "vosk") over the models of ``registry``.

    whisper: ``options`` are :class:`WhisperTranscriber`'s keywords (``english_model``,
    ``multilingual_model``, ``default_language``, ``limits``, ``idle_ttl_s``, ``cpu_threads``).
    vosk: ``model`` (manifest name, default "vosk-ko"), ``grammar``, ``limits``, ``idle_ttl_s``; the
    model directory is resolved (and sha256-verified) now, its language is the artifact's first.
    Raises SpeechError ``unknown_backend``, TypeError for an unknown option, and the registry's
    ModelError for a missing or corrupt Vosk model.
    """
    if backend == "whisper":
        return WhisperTranscriber(registry, **options)
    if backend == "vosk":
        name = options.pop("model", None) or "vosk-ko"
        artifact = registry.artifact(name)
        return VoskTranscriber(
            registry.path(name),
            language=artifact.languages[0] if artifact.languages else "",
            model_name=name,
            model_version=artifact.version,
            **options,
        )
    raise SpeechError(
        "unknown_backend", f"no speech backend {backend!r}; choose one of {', '.join(BACKENDS)}"
    )
