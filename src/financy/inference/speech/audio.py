"""Audio in: bytes of a voice note -> 16 kHz mono float32 samples, within size and length limits.

Formats: OGG/Opus (Telegram and WhatsApp voice notes), MP3, M4A/AAC (MP4 container and ADTS),
WAV/RF64 at any sample rate and channel count, FLAC, WebM/Matroska, AMR. Decoding is PyAV's
bundled FFmpeg.

The container format is recognised from the first bytes and the matching demuxer is named
explicitly: FFmpeg's probing is never run on untrusted bytes, so a playlist or an image
sequence cannot make it open other files or URLs, and a PNG or a PDF gets a clear "not audio".

Limits are checked as early as each one can be: the byte size before anything is parsed, the
length the container declares before any frame is decoded (a two-hour file is refused in
milliseconds), and the decoded length while decoding (the header may lie or be absent).

A file cut short (a voice note whose upload broke off) decodes to what is there and is marked
``truncated``; the decoder stops at the first damaged packet. Only when nothing at all decodes
is it refused as ``corrupt_audio``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "SAMPLE_RATE",
    "AudioError",
    "AudioErrorCode",
    "DecodedAudio",
    "SpeechError",
    "SpeechLimits",
    "decode_audio",
    "sniff_format",
]

#: Sample rate every backend here takes (Whisper's and Vosk's models are trained at 16 kHz).
SAMPLE_RATE: Final = 16_000

AudioErrorCode = Literal["corrupt_audio", "empty_audio", "too_long", "too_large", "unsupported_audio"]


class SpeechError(ValueError):
    """A speech request that cannot be served; ``code`` is a stable key for messages and metrics.

    Codes raised outside :class:`AudioError`: ``unsupported_language`` (a Vosk model asked for
    another language), ``unknown_backend`` (``make_transcriber``).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AudioError(SpeechError):
    """Audio that cannot be decoded or is refused by a limit.

    ``code`` is one of ``corrupt_audio`` (not decodable), ``empty_audio`` (no bytes, or no
    samples), ``too_long`` (over ``SpeechLimits.max_duration_s``), ``too_large`` (over
    ``SpeechLimits.max_bytes``) and ``unsupported_audio`` (not a known audio container: an
    image, a PDF, a video without sound...).
    """

    def __init__(self, code: AudioErrorCode, message: str) -> None:
        super().__init__(code, message)


@dataclass(frozen=True)
class SpeechLimits:
    """What a transcription accepts.

    ``max_bytes``: 25 MiB (Telegram's Bot API hands bots files of at most 20 MB; WhatsApp audio is
    at most 16 MB). ``max_duration_s``: 600 s, ten minutes, far beyond any expense voice note and
    about 30 s of CPU for whisper-base here (RTF ~0.05).
    """

    max_bytes: int = 25 * 1024 * 1024
    max_duration_s: float = 600.0


@dataclass(frozen=True)
class DecodedAudio:
    """Decoded audio: ``samples`` float32, mono, :data:`SAMPLE_RATE` Hz, in [-1, 1].

    ``duration_s`` is ``len(samples) / 16000``. ``format`` is "<container>/<codec>", e.g.
    "ogg/opus", "wav/pcm_s16le", "mp4/aac". ``truncated`` says decoding stopped at damaged data
    and ``samples`` holds what came before it.
    """

    samples: npt.NDArray[np.float32]
    duration_s: float
    format: str
    truncated: bool = False


_RIFF_KINDS: Final = {b"WAVE": "wav", b"WEBP": "a WebP image", b"AVI ": "an AVI video"}
_NOT_AUDIO: Final = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"BM", "a BMP image"),
)


def sniff_format(data: bytes) -> str | None:
    """Return the FFmpeg demuxer for ``data`` from its first bytes, or None when it is not one we take.

    Demuxers: "ogg", "wav", "flac", "mp3", "aac" (ADTS), "mp4" (MP4/M4A/3GP), "matroska"
    (also WebM), "amr".
    """
    head = data[:16]
    if head.startswith(b"OggS"):
        return "ogg"
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # MPEG audio frame sync; layer bits 00 mean ADTS (AAC), anything else MPEG layer I-III.
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"#!AMR"):
        return "amr"
    return None


def _what_it_is(data: bytes) -> str:
    """Say what the unsupported ``data`` is, for the error message."""
    kind = None
    if data[:4] == b"RIFF":
        kind = _RIFF_KINDS.get(data[8:12], "a RIFF file that is not WAV")
    for magic, name in _NOT_AUDIO:
        if data.startswith(magic):
            kind = name
    if kind is not None:
        return f"the file is {kind}, not audio"
    return "the file is not audio in a format we read (OGG/Opus, MP3, M4A/AAC, WAV, FLAC, WebM, AMR)"


def decode_audio(data: bytes, *, limits: SpeechLimits = SpeechLimits()) -> DecodedAudio:
    """Decode ``data`` (a whole audio file) to 16 kHz mono float32.

    Raises :class:`AudioError`: ``empty_audio`` for no bytes or no samples, ``too_large`` when
    ``len(data) > limits.max_bytes`` (checked before anything is parsed), ``unsupported_audio``
    for a container we do not take or one without an audio stream, ``too_long`` when the
    declared or the decoded length exceeds ``limits.max_duration_s`` (decoding stops there),
    ``corrupt_audio`` when the container or its first packet cannot be read.
    """
    if not data:
        raise AudioError("empty_audio", "the audio file is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise AudioError(
            "too_large",
            f"the audio file is {len(data) / 1e6:.1f} MB; at most {limits.max_bytes / 1e6:.1f} MB is accepted",
        )
    demuxer = sniff_format(data)
    if demuxer is None:
        raise AudioError("unsupported_audio", _what_it_is(data))

    import av

    try:
        container = av.open(io.BytesIO(data), mode="r", format=demuxer)
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise AudioError("corrupt_audio", f"the {demuxer} audio cannot be read: {exc}") from exc
    with container:
        if not container.streams.audio:
            raise AudioError("unsupported_audio", f"the {demuxer} file has no audio stream")
        stream = container.streams.audio[0]
        declared = _declared_seconds(container.duration, stream.duration, stream.time_base)
        if declared is not None and declared > limits.max_duration_s:
            raise AudioError(
                "too_long",
                f"the audio lasts {_clock(declared)}; at most {_clock(limits.max_duration_s)} is accepted",
            )
        context = stream.codec_context
        if context is None or not context.name:
            raise AudioError(
                "unsupported_audio", f"the {demuxer} file's audio codec is not one we can decode"
            )
        codec = context.name
        container_name = "mp4" if demuxer == "mp4" else container.format.name.split(",")[0]
        max_samples = int(limits.max_duration_s * SAMPLE_RATE)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        chunks: list[npt.NDArray[np.float32]] = []
        total = 0
        truncated = False
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1)
                    chunks.append(chunk)
                    total += chunk.shape[0]
                if total > max_samples:
                    raise AudioError(
                        "too_long",
                        f"the audio lasts more than {_clock(limits.max_duration_s)}, the most accepted",
                    )
            for out in resampler.resample(None):
                chunk = np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1)
                chunks.append(chunk)
                total += chunk.shape[0]
        except (av.FFmpegError, ValueError) as exc:
            if total == 0:
                raise AudioError("corrupt_audio", f"the {demuxer} audio cannot be decoded: {exc}") from exc
            truncated = True
    if total == 0:
        raise AudioError("empty_audio", "the audio file holds no sound samples")
    if total > max_samples:
        raise AudioError(
            "too_long", f"the audio lasts more than {_clock(limits.max_duration_s)}, the most accepted"
        )
    samples = np.concatenate(chunks).astype(np.float32, copy=False)
    np.clip(samples, -1.0, 1.0, out=samples)
    return DecodedAudio(
        samples=samples,
        duration_s=samples.shape[0] / SAMPLE_RATE,
        format=f"{container_name}/{codec}",
        truncated=truncated,
    )


def _declared_seconds(
    container_us: int | None, stream_duration: int | None, time_base: Fraction | None
) -> float | None:
    """Length the container declares (container duration in µs, else the stream's in its time base)."""
    if container_us is not None and container_us > 0:
        return container_us / 1_000_000
    if stream_duration is not None and stream_duration > 0 and time_base is not None:
        return float(stream_duration * time_base)
    return None


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
