"""Media made at test time: espeak-ng speech with known words, silence, a decompression bomb, a non-receipt.

espeak-ng is a Debian package (scripts/system-packages.txt); everything else is made with the
standard library, NumPy and Pillow.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import wave
import zlib
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def espeak_wav(text: str, language: str, path: Path, *, speed: int = 150) -> Path:
    """Write ``text`` spoken by espeak-ng (``pt`` -> voice pt-br, ``en`` -> en-us, else that voice) to ``path``.

    Raises:
        FileNotFoundError: espeak-ng is not installed.
        subprocess.CalledProcessError: espeak-ng failed.
    """
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise FileNotFoundError("espeak-ng is not installed (scripts/install-system-deps.sh installs it)")
    voice = {"pt": "pt-br", "en": "en-us"}.get(language, language)
    subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", str(path), text], check=True, timeout=60)
    return path


def silence_wav(seconds: float = 3.0, rate: int = 16_000) -> bytes:
    """Return a WAV of ``seconds`` of digital silence (16-bit mono)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """Return a tiny PNG (a few hundred kB) whose header declares ``width`` x ``height`` 1-bit pixels.

    Decoded it would take width*height bytes in RGB times three: a decompression bomb.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def cat_png(size: int = 640, seed: int = 7) -> bytes:
    """Return a PNG photo-like picture with no text (smooth blobs and fur-like noise): not a receipt."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    base = 0.5 + 0.25 * np.sin(6 * x + 3 * y) * np.cos(4 * y)
    fur = rng.normal(0, 0.05, (size, size)).astype(np.float32)
    grey = np.clip(base + fur, 0, 1)
    rgb = np.stack([grey * 0.9, grey * 0.7, grey * 0.5], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray((rgb * 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()
