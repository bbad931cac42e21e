"""The directory object store, keys, content-type sniffing and the choice of store (no network)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import struct
import subprocess
import sys
import threading
import wave
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from financy.runtime.objects import (
    DirectoryStore,
    ObjectStore,
    ObjectStoreError,
    S3Settings,
    S3Store,
    StoredObject,
    object_store_from_settings,
    original_key,
    sniff_content_type,
)

VOICE_NOTE = Path(__file__).parents[1] / "fixtures" / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg"
VOICE_NOTE_SHA256 = "84490a17d73d776b70a6b9c774eb738f9cb3a69e9c5d0e05b4e025c1aefdd3ff"
KEY = "captures/edge-1/0193a5c2-7d1e-7000-8000-000000000001/original.ogg"


@pytest.fixture
def voice_note() -> bytes:
    """Return the real 12 203-byte OGG/Opus voice note (Portuguese, "eu quero uma coxinha de frango")."""
    return VOICE_NOTE.read_bytes()


@pytest.fixture
def store(tmp_path: Path) -> DirectoryStore:
    """Return a directory store in a fresh ``<data_dir>/objects`` (not created yet)."""
    return DirectoryStore(tmp_path / "objects")


def _png(width: int = 1, height: int = 1) -> bytes:
    """Return a valid RGB PNG (PNG spec §5: signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _wav(tmp_path: Path) -> bytes:
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x10" * 800)
    return path.read_bytes()


# --- DirectoryStore ------------------------------------------------------------------------------


def test_round_trip_of_a_real_voice_note(store: DirectoryStore, voice_note: bytes) -> None:
    """GIVEN the real voice note WHEN it is put THEN get/stat/exists/list/delete see exactly it."""
    stored = store.put(KEY, voice_note, "audio/ogg")

    assert stored == StoredObject(key=KEY, size=12203, sha256=VOICE_NOTE_SHA256, content_type="audio/ogg")
    assert store.get(KEY) == voice_note
    assert store.stat(KEY) == stored
    assert store.exists(KEY)
    assert store.list("captures/") == [KEY]
    assert store.list("captures/edge-1/") == [KEY]
    assert store.list("") == [KEY]
    assert store.list("captures/edge-2/") == []
    # An operator (or a backup) reads the original straight from the disk.
    assert (store.root / KEY).read_bytes() == voice_note
    assert store.describe() == f"dir:{store.root}"
    assert isinstance(store, ObjectStore)

    store.delete(KEY)
    assert not store.exists(KEY)
    assert store.list("") == []
    with pytest.raises(ObjectStoreError) as err:
        store.get(KEY)
    assert err.value.code == "not_found"
    with pytest.raises(ObjectStoreError) as err:
        store.stat(KEY)
    assert err.value.code == "not_found"
    store.delete(KEY)  # deleting what is gone is not an error (as in S3)
    assert sorted(p.name for p in (store.root / KEY).parent.iterdir()) == []


def test_same_bytes_twice_is_a_no_op(store: DirectoryStore, voice_note: bytes) -> None:
    """A redelivered capture puts the same original again: it succeeds and keeps the first write."""
    first = store.put(KEY, voice_note, "audio/ogg")
    mtime = (store.root / KEY).stat().st_mtime_ns
    again = store.put(KEY, voice_note, "audio/ogg; codecs=opus")

    assert again == first  # the first content type stays
    assert (store.root / KEY).stat().st_mtime_ns == mtime


def test_other_bytes_under_the_same_key_are_refused(store: DirectoryStore, voice_note: bytes) -> None:
    """Originals are write-once: a second, different original under the key is a conflict."""
    store.put(KEY, voice_note, "audio/ogg")
    with pytest.raises(ObjectStoreError) as err:
        store.put(KEY, voice_note[:-1], "audio/ogg")

    assert err.value.code == "conflict"
    assert "write-once" in str(err.value)
    assert store.get(KEY) == voice_note


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "captures/../../etc/passwd",
        "/abs",
        "a\\b",
        "a\x00b",
        "",
        "a//b",
        "a/",
        "a/./b",
        "captures/.original.ogg.meta.json",
        "ação/x",
        "a b",
        "k" * 513,
    ],
)
def test_bad_keys_are_rejected(store: DirectoryStore, key: str) -> None:
    """Traversal, absolute paths, backslashes, NUL, empty and hidden segments never reach the disk."""
    for call in (
        lambda: store.put(key, b"x", "application/octet-stream"),
        lambda: store.get(key),
        lambda: store.stat(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
    ):
        with pytest.raises(ObjectStoreError) as err:
            call()
        assert err.value.code == "invalid_key"
    assert not store.root.exists()


def test_the_longest_allowed_key(store: DirectoryStore) -> None:
    """512 characters is allowed (segments within the file system's 255-byte name limit)."""
    key = "/".join(["k" * 127] * 4)
    assert len(key) == 511
    store.put(key + "x", b"ok", "text/plain")
    assert store.get(key + "x") == b"ok"


@pytest.mark.parametrize("content_type", ["", "audio", "audio/ogg\r\nX-Injected: 1", "a/b/c", "ação/x"])
def test_bad_content_types_are_rejected(store: DirectoryStore, content_type: str) -> None:
    """A content type that is not ``type/subtype[; params]`` is refused before anything is written."""
    with pytest.raises(ObjectStoreError) as err:
        store.put(KEY, b"x", content_type)
    assert err.value.code == "invalid_content_type"


def test_an_original_over_the_limit_is_refused(tmp_path: Path, voice_note: bytes) -> None:
    """``max_bytes`` bounds what is kept: one byte more is ``too_large``; exactly the limit fits."""
    store = DirectoryStore(tmp_path, max_bytes=len(voice_note))
    with pytest.raises(ObjectStoreError) as err:
        store.put(KEY, voice_note + b"\x00", "audio/ogg")
    assert err.value.code == "too_large"
    assert store.put(KEY, voice_note, "audio/ogg").size == 12203


def test_list_is_a_string_prefix_as_in_s3(store: DirectoryStore) -> None:
    """``captures/e1`` matches ``e1`` and ``e10``; ``captures/e1/`` only ``e1``."""
    keys = ["captures/e1/c1/original.ogg", "captures/e1/c2/original.jpg", "captures/e10/c3/original.png", "x"]
    for key in keys:
        store.put(key, key.encode(), "application/octet-stream")

    assert store.list("") == sorted(keys)
    assert store.list("captures/e1") == keys[:3]
    assert store.list("captures/e1/") == keys[:2]
    assert store.list("captures/e1/c1/original.o") == keys[:1]
    assert store.list("nothing/") == []
    with pytest.raises(ObjectStoreError) as err:
        store.list("../")
    assert err.value.code == "invalid_key"


def test_a_key_running_through_an_object_is_a_conflict(store: DirectoryStore) -> None:
    """A directory store cannot hold ``a/b`` and ``a/b/c`` at once: a clear conflict, no crash."""
    store.put("a/b", b"1", "text/plain")
    with pytest.raises(ObjectStoreError) as err:
        store.put("a/b/c", b"2", "text/plain")
    assert err.value.code == "conflict"
    with pytest.raises(ObjectStoreError) as err:
        store.put("a", b"3", "text/plain")
    assert err.value.code == "conflict"
    assert store.list("") == ["a/b"]


def test_concurrent_puts_of_different_keys_from_8_threads(store: DirectoryStore, voice_note: bytes) -> None:
    """64 originals from 8 threads, several per folder: all stored, each with its own bytes."""
    items = {
        f"captures/edge-{i % 2}/cap-{i % 8}/original-{i}.ogg": voice_note + i.to_bytes(2, "big")
        for i in range(64)
    }
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda kv: store.put(kv[0], kv[1], "audio/ogg"), items.items()))

    assert [r.key for r in results] == list(items)
    assert store.list("captures/") == sorted(items)
    for key, data in items.items():
        assert store.get(key) == data
        assert store.stat(key).sha256 == hashlib.sha256(data).hexdigest()


def test_concurrent_puts_of_one_key_with_different_bytes_keep_one(
    store: DirectoryStore, voice_note: bytes
) -> None:
    """8 threads race to write different bytes under one key: one wins, 7 get a conflict, no mix."""
    barrier = threading.Barrier(8)
    payloads = [voice_note + bytes([i]) for i in range(8)]

    def put(data: bytes) -> str:
        barrier.wait()
        try:
            return store.put(KEY, data, "audio/ogg").sha256
        except ObjectStoreError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(put, payloads))

    winners = [o for o in outcomes if o != "conflict"]
    assert len(winners) == 1
    assert outcomes.count("conflict") == 7
    assert hashlib.sha256(store.get(KEY)).hexdigest() == winners[0]
    assert store.stat(KEY).sha256 == winners[0]


_CRASHING_WRITER = """
import os, signal, sys
from pathlib import Path
from financy.runtime.objects import DirectoryStore

real_fsync = os.fsync
def fsync(fd):
    # Die the hard way once the original's bytes are in the temporary file, before the rename.
    if ".original.ogg.tmp-" in os.readlink(f"/proc/self/fd/{fd}"):
        os.kill(os.getpid(), signal.SIGKILL)
    real_fsync(fd)
os.fsync = fsync
DirectoryStore(Path(sys.argv[1])).put(sys.argv[2], Path(sys.argv[3]).read_bytes(), "audio/ogg")
"""


def test_a_crash_mid_write_leaves_no_partial_object(store: DirectoryStore, voice_note: bytes) -> None:
    """GIVEN a writer SIGKILLed between writing the temp file and the rename
    THEN the leftover is not listed, not returned, and the next put stores the original and clears it.
    """
    proc = subprocess.run(
        [sys.executable, "-c", _CRASHING_WRITER, str(store.root), KEY, str(VOICE_NOTE)],
        check=False,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == -9, proc.stderr.decode()
    folder = (store.root / KEY).parent
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".original.ogg.tmp-")]
    assert len(leftovers) == 1
    assert (folder / leftovers[0]).stat().st_size == 12203  # the bytes were there, the object was not

    assert store.list("") == []
    assert not store.exists(KEY)
    with pytest.raises(ObjectStoreError) as err:
        store.get(KEY)
    assert err.value.code == "not_found"

    assert store.put(KEY, voice_note, "audio/ogg").sha256 == VOICE_NOTE_SHA256
    assert sorted(p.name for p in folder.iterdir()) == [".original.ogg.meta.json", "original.ogg"]
    assert store.list("") == [KEY]


def test_a_disk_error_is_unavailable_and_leaves_nothing(
    store: DirectoryStore, voice_note: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (ENOSPC at fsync) raises ``unavailable``; no object and no temporary file remain."""

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(ObjectStoreError) as err:
        store.put(KEY, voice_note, "audio/ogg")
    monkeypatch.undo()

    assert err.value.code == "unavailable"
    assert "No space left on device" in str(err.value)
    assert isinstance(err.value.__cause__, OSError)
    assert not store.exists(KEY)
    assert [p.name for p in (store.root / KEY).parent.iterdir()] == []


def test_stat_without_a_sidecar_derives_hash_and_type(store: DirectoryStore, voice_note: bytes) -> None:
    """Objects restored without their sidecar still stat right: the file is hashed and sniffed."""
    store.put(KEY, voice_note, "audio/ogg; codecs=opus")
    sidecar = (store.root / KEY).parent / ".original.ogg.meta.json"
    assert json.loads(sidecar.read_text()) == {
        "content_type": "audio/ogg; codecs=opus",
        "sha256": VOICE_NOTE_SHA256,
        "size": 12203,
    }
    sidecar.unlink()

    assert store.stat(KEY) == StoredObject(KEY, 12203, VOICE_NOTE_SHA256, "audio/ogg")
    assert store.put(KEY, voice_note, "audio/ogg").sha256 == VOICE_NOTE_SHA256  # still idempotent


def test_an_empty_store_lists_nothing(tmp_path: Path) -> None:
    """Before the first put the root does not exist; list/exists answer, nothing is created."""
    store = DirectoryStore(tmp_path / "never")
    assert store.list("") == []
    assert not store.exists("captures/a/b/original.ogg")
    store.delete("captures/a/b/original.ogg")
    assert not store.root.exists()


# --- keys and content types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "ext"),
    [
        ("audio/ogg", ".ogg"),
        ("audio/ogg; codecs=opus", ".ogg"),
        ("audio/mpeg", ".mp3"),
        ("audio/mp4", ".m4a"),
        ("audio/wav", ".wav"),
        ("audio/x-wav", ".wav"),
        ("audio/flac", ".flac"),
        ("IMAGE/JPEG", ".jpg"),
        ("image/png", ".png"),
        ("image/webp", ".webp"),
        ("application/pdf", ".pdf"),
        ("video/mp4", ".mp4"),
        ("application/octet-stream", ".bin"),
        ("not a type", ".bin"),
    ],
)
def test_original_key(content_type: str, ext: str) -> None:
    """The extension follows the content type; anything unknown is ``.bin``."""
    assert original_key("edge-1", "0193a5c2", content_type) == f"captures/edge-1/0193a5c2/original{ext}"


@pytest.mark.parametrize(
    ("edge_id", "capture_id"),
    [("", "c"), ("e", ""), ("..", "c"), ("e/f", "c"), ("e", ".c"), ("e", "c" * 129)],
)
def test_original_key_refuses_ids_that_would_change_the_path(edge_id: str, capture_id: str) -> None:
    """An id never adds a segment, climbs out, or hides a file."""
    with pytest.raises(ObjectStoreError) as err:
        original_key(edge_id, capture_id, "audio/ogg")
    assert err.value.code == "invalid_key"


def test_sniff_real_files(voice_note: bytes, tmp_path: Path) -> None:
    """The real OGG voice note, a WAV and a PNG written by their standard encoders."""
    assert sniff_content_type(voice_note) == "audio/ogg"
    assert sniff_content_type(voice_note, "application/octet-stream") == "audio/ogg"
    assert sniff_content_type(_wav(tmp_path), "audio/ogg") == "audio/wav"
    assert sniff_content_type(_png(), "image/jpeg") == "image/png"  # a PNG named .jpg is a PNG


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00\x00", "audio/mpeg"),  # MPEG-1 Layer III, 128 kb/s, 44.1 kHz
        (b"\xff\xf1\x50\x80\x02\x1f", "application/octet-stream"),  # ADTS AAC is not MP3
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"RIFF\x24\x08\x00\x00WAVEfmt ", "audio/wav"),
        (b"RIFF\x24\x08\x00\x00WEBPVP8 ", "image/webp"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"%PDF-1.7\n%\xe2\xe3", "application/pdf"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"", "application/octet-stream"),
        (b"hello", "application/octet-stream"),
    ],
)
def test_sniff_magic_bytes(head: bytes, expected: str) -> None:
    """Each format by its signature; unknown bytes with nothing declared are octet-stream."""
    assert sniff_content_type(head) == expected


def test_sniff_falls_back_to_the_declared_type() -> None:
    """Unrecognised bytes keep the declared type (normalised), an ISO BMFF declared as audio stays audio."""
    assert sniff_content_type(b"plain text", "Text/Plain; charset=utf-8") == "text/plain"
    assert sniff_content_type(b"plain text", "garbage") == "application/octet-stream"
    assert sniff_content_type(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "audio/x-m4a") == "audio/mp4"


# --- settings and the choice of store ------------------------------------------------------------


class _Settings(BaseSettings):
    """The shape core and edge settings give ``s3`` (DESIGN §6)."""

    model_config = SettingsConfigDict(env_prefix="FINANCY_", env_nested_delimiter="__", extra="ignore")
    s3: S3Settings = S3Settings()


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``FINANCY_S3__*`` fill S3Settings; secrets stay out of repr; https means TLS."""
    monkeypatch.setenv("FINANCY_S3__ENDPOINT", "https://s3.eu-central-1.amazonaws.com")
    monkeypatch.setenv("FINANCY_S3__ACCESS_KEY", "AKIAEXAMPLE")
    monkeypatch.setenv("FINANCY_S3__SECRET_KEY", "very-secret")
    monkeypatch.setenv("FINANCY_S3__BUCKET", "family-originals")
    s3 = _Settings().s3

    assert s3.host() == "s3.eu-central-1.amazonaws.com"
    assert s3.use_tls()
    assert s3.bucket == "family-originals"
    assert s3.secret_key is not None
    assert s3.secret_key.get_secret_value() == "very-secret"
    assert "very-secret" not in repr(s3)
    assert "AKIAEXAMPLE" not in repr(s3)


@pytest.mark.parametrize(
    ("endpoint", "secure", "host", "tls"),
    [
        ("minio:9000", None, "minio:9000", False),
        ("http://127.0.0.1:9000", None, "127.0.0.1:9000", False),
        ("https://minio.example.org/", None, "minio.example.org", True),
        ("minio.example.org:9000", True, "minio.example.org:9000", True),
        ("https://minio.example.org", False, "minio.example.org", False),
    ],
)
def test_endpoint_and_tls(endpoint: str, secure: bool | None, host: str, tls: bool) -> None:
    """``secure`` unset follows the scheme; a bare host:port is plain HTTP."""
    s3 = S3Settings(endpoint=endpoint, secure=secure)
    assert (s3.host(), s3.use_tls()) == (host, tls)


@pytest.mark.parametrize(
    "fields",
    [
        {"endpoint": "ftp://minio:9000"},
        {"endpoint": "http://minio:9000/financy"},
        {"endpoint": "http://user:pw@minio:9000"},
        {"endpoint": "minio:notaport"},
        {"endpoint": "minio:9000", "access_key": "only-one-half"},
        {"bucket": "Bad_Bucket"},
        {"bucket": "ab"},
        {"region": "x", "unknown": 1},
    ],
)
def test_bad_settings_fail_at_startup(fields: dict[str, object]) -> None:
    """A wrong endpoint, half the credentials, an S3-invalid bucket or a typo are refused when read."""
    with pytest.raises(ValidationError):
        S3Settings.model_validate(fields)


def test_the_store_follows_the_settings(tmp_path: Path) -> None:
    """No endpoint (or a blank one, as compose files leave it) -> the directory; an endpoint -> S3."""
    for s3 in (S3Settings(), S3Settings(endpoint="  ")):
        store = object_store_from_settings(s3, tmp_path / "objects")
        assert isinstance(store, DirectoryStore)
        assert store.describe() == f"dir:{tmp_path / 'objects'}"

    s3_store = object_store_from_settings(
        S3Settings(endpoint="http://127.0.0.1:9", access_key="a", secret_key="b", bucket="originals"),
        tmp_path,
    )
    assert isinstance(s3_store, S3Store)
    assert s3_store.describe() == "s3://originals@127.0.0.1:9"


@pytest.mark.parametrize(
    ("head", "declared", "expected"),
    [
        (b"II*\x00" + b"\x00" * 12, None, "image/tiff"),
        (b"MM\x00*" + b"\x00" * 12, "application/octet-stream", "image/tiff"),
        (b"\x1a\x45\xdf\xa3" + b"\x00" * 12, "audio/webm", "audio/webm"),
        (b"\x1a\x45\xdf\xa3" + b"\x00" * 12, None, "video/webm"),
    ],
)
def test_tiff_and_webm_are_sniffed(head: bytes, declared: str | None, expected: str) -> None:
    assert sniff_content_type(head, declared) == expected
    assert original_key("e", "c", expected).endswith((".tiff", ".webm"))
