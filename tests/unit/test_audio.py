"""Audio in: real voice notes in every container we take, and bad input refused fast with a stable code."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import wave
import zlib
from pathlib import Path

import numpy as np
import pytest

from financy.inference.speech import AudioError, SpeechLimits, decode_audio, sniff_format

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
COXINHA_WAV = AUDIO / "ufpalign_coxinha_ptbr.wav"
COXINHA_OGG = AUDIO / "ufpalign_coxinha_ptbr.derived_voice_note.ogg"
JFK_FLAC = AUDIO / "fasterwhisper_jfk_en.flac"
ONE_TWO_THREE = AUDIO / "speechrecognition_one_two_three_en.wav"
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg (Debian package) not installed"
)


def wav_bytes(samples: np.ndarray, rate: int, *, sample_width: int = 2, channels: int = 1) -> bytes:
    """A WAV file of ``samples`` (int array already in the sample width's range)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(sample_width)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def png_bytes() -> bytes:
    """A real 2x2 grey PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\x00" + b"\x80\x80" for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def ffmpeg(source: Path, target: Path, *options: str) -> bytes:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), *options, str(target)],
        check=True,
        timeout=60,
    )
    return target.read_bytes()


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


# -- real audio ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt", "seconds"),
    [
        (COXINHA_OGG, "ogg/opus", 4.5),
        (COXINHA_WAV, "wav/pcm_s16le", 4.5),
        (JFK_FLAC, "flac/flac", 11.0),
        (ONE_TWO_THREE, "wav/pcm_s16le", 2.745),
    ],
)
def test_real_clips_decode_to_16k_mono(path: Path, fmt: str, seconds: float) -> None:
    audio = decode_audio(path.read_bytes())
    assert audio.format == fmt
    assert audio.samples.dtype == np.float32
    assert audio.samples.ndim == 1
    assert audio.duration_s == pytest.approx(seconds, abs=0.01)
    assert audio.samples.shape[0] == round(audio.duration_s * 16_000)
    assert 0.01 < rms(audio.samples) < 0.5
    assert not audio.truncated


def test_voice_note_matches_the_wav_it_came_from() -> None:
    """OGG/Opus at 48 kHz comes back at 16 kHz with the loudness of the 16 kHz original (RMS within 5%)."""
    wav = decode_audio(COXINHA_WAV.read_bytes()).samples
    ogg = decode_audio(COXINHA_OGG.read_bytes()).samples
    assert rms(ogg) == pytest.approx(rms(wav), rel=0.05)


@needs_ffmpeg
@pytest.mark.parametrize(
    ("suffix", "options", "fmt"),
    [
        (".mp3", ("-c:a", "libmp3lame", "-b:a", "32k"), "mp3/mp3float"),
        (".m4a", ("-c:a", "aac", "-b:a", "32k"), "mp4/aac"),
        (".webm", ("-c:a", "libopus"), "matroska/opus"),
        (".wav", ("-ar", "44100", "-ac", "2"), "wav/pcm_s16le"),
        (".wav", ("-ar", "8000", "-c:a", "pcm_u8"), "wav/pcm_u8"),
    ],
)
def test_other_containers_and_rates(tmp_path: Path, suffix: str, options: tuple[str, ...], fmt: str) -> None:
    data = ffmpeg(COXINHA_WAV, tmp_path / f"clip{suffix}", *options)
    audio = decode_audio(data)
    assert audio.format == fmt
    assert audio.duration_s == pytest.approx(4.5, abs=0.06)
    assert rms(audio.samples) == pytest.approx(rms(decode_audio(COXINHA_WAV.read_bytes()).samples), rel=0.1)


def test_truncated_voice_note_decodes_what_is_there() -> None:
    """Decision: a voice note cut in half (an upload that broke off) gives its first half, not an error."""
    data = COXINHA_OGG.read_bytes()
    audio = decode_audio(data[: len(data) // 2])
    assert 1.0 < audio.duration_s < 3.0
    assert rms(audio.samples) > 0.005


# -- bad input ----------------------------------------------------------------------------------------


def refused(data: bytes, limits: SpeechLimits | None = None) -> AudioError:
    with pytest.raises(AudioError) as caught:
        decode_audio(data, limits=limits or SpeechLimits())
    assert isinstance(caught.value, ValueError)
    return caught.value


def test_zero_length() -> None:
    assert refused(b"").code == "empty_audio"


def test_corrupt_bytes() -> None:
    noise = np.random.default_rng(7).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    assert refused(b"\x00\x01" + noise).code == "unsupported_audio"


def test_ogg_header_then_garbage_is_corrupt() -> None:
    data = COXINHA_OGG.read_bytes()
    assert refused(data[:100]).code == "corrupt_audio"
    assert refused(b"OggS" + bytes(300)).code == "corrupt_audio"


def test_png_passed_as_audio() -> None:
    error = refused(png_bytes())
    assert error.code == "unsupported_audio"
    assert "PNG image" in str(error)
    assert sniff_format(png_bytes()) is None


def test_pdf_and_jpeg_are_named() -> None:
    assert "PDF document" in str(refused(b"%PDF-1.7\n" + bytes(100)))
    assert "JPEG image" in str(refused(b"\xff\xd8\xff\xe0" + bytes(100)))


def test_over_size_refused_before_parsing() -> None:
    data = COXINHA_WAV.read_bytes()
    error = refused(data, SpeechLimits(max_bytes=len(data) - 1))
    assert error.code == "too_large"
    # Garbage over the limit is refused for its size: nothing was parsed.
    assert refused(b"\x00" * 2048, SpeechLimits(max_bytes=1024)).code == "too_large"


def test_two_hour_wav_refused_from_its_header_without_decoding() -> None:
    """A real 2 h WAV (8 kHz, 8-bit: 57.6 MB) is too large by default, and too long in milliseconds when
    the byte limit allows it: full decoding would take seconds (10 min decode in ~0.3 s here)."""
    data = wav_bytes(np.full(8000 * 7200, 128, dtype=np.uint8), 8000, sample_width=1)
    assert refused(data).code == "too_large"
    error = refused(data, SpeechLimits(max_bytes=len(data)))
    assert error.code == "too_long"
    assert "2:00:00" in str(error)  # the length the header declares: nothing was decoded to find it


def test_header_claiming_two_hours_over_one_second_of_data() -> None:
    """The data chunk says 2 h but 1 s is there: decoded as the 1 s it holds (the length is measured)."""
    real = wav_bytes(np.zeros(8000, dtype="<i2"), 8000)
    claimed = 7200 * 8000 * 2
    data = real[:4] + struct.pack("<I", 36 + claimed) + real[8:40] + struct.pack("<I", claimed) + real[44:]
    audio = decode_audio(data)
    assert audio.duration_s == pytest.approx(1.0, abs=0.01)


@needs_ffmpeg
def test_stream_without_declared_length_is_capped_while_decoding(tmp_path: Path) -> None:
    """A streamed WebM declares no duration: decoding stops as soon as it passes the limit."""
    target = tmp_path / "stream.webm"
    with target.open("wb") as out:
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=20:sample_rate=16000",
             "-c:a", "libopus", "-b:a", "12k", "-f", "webm", "-"],
            stdout=out, check=True, timeout=60,
        )  # fmt: skip
    data = target.read_bytes()
    error = refused(data, SpeechLimits(max_duration_s=10))
    assert error.code == "too_long"
    assert decode_audio(data).duration_s == pytest.approx(20, abs=0.1)


@needs_ffmpeg
def test_video_without_sound(tmp_path: Path) -> None:
    target = tmp_path / "silent.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=64x64:rate=5",
         "-c:v", "mpeg4", str(target)],
        check=True, timeout=60,
    )  # fmt: skip
    error = refused(target.read_bytes())
    assert error.code == "unsupported_audio"
    assert "no audio stream" in str(error)


def test_wav_without_samples() -> None:
    assert refused(wav_bytes(np.zeros(0, dtype="<i2"), 16000)).code == "empty_audio"


def test_a_wav_of_an_unknown_codec_is_unsupported() -> None:
    data = bytearray(wav_bytes(np.zeros(16000, dtype=np.int16), 16000))
    data[20:22] = (0x1234).to_bytes(2, "little")  # format tag no decoder knows
    assert refused(bytes(data)).code in ("unsupported_audio", "corrupt_audio")
