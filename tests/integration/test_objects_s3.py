"""S3Store against a real S3 endpoint: moto's server, spoken to through the minio SDK (STACK.md "S3").

moto does not verify signatures, so these tests prove the S3 protocol path (bucket creation,
metadata, listing, errors, timeouts), not credentials.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from minio import Minio
from moto.server import ThreadedMotoServer

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

pytestmark = pytest.mark.integration

VOICE_NOTE = Path(__file__).parents[1] / "fixtures" / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg"
VOICE_NOTE_SHA256 = "84490a17d73d776b70a6b9c774eb738f9cb3a69e9c5d0e05b4e025c1aefdd3ff"


def _start_moto() -> tuple[ThreadedMotoServer, str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"{host}:{port}"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """Yield ``host:port`` of a moto S3 server shared by this module's tests."""
    server, endpoint = _start_moto()
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def settings(s3_endpoint: str) -> S3Settings:
    """Return settings for a bucket of the test's own (not created yet)."""
    return S3Settings(
        endpoint=f"http://{s3_endpoint}",
        access_key="testing",
        secret_key="testing",
        bucket=f"financy-test-{secrets.token_hex(4)}",
    )


@pytest.fixture
def raw(s3_endpoint: str) -> Minio:
    """Return a plain minio client on the same server, to look behind the store's back."""
    return Minio(s3_endpoint, "testing", "testing", secure=False, region="us-east-1")


@pytest.fixture
def voice_note() -> bytes:
    """Return the real 12 203-byte OGG/Opus voice note."""
    return VOICE_NOTE.read_bytes()


def test_the_bucket_is_created_on_the_first_put(settings: S3Settings, raw: Minio, voice_note: bytes) -> None:
    """Nothing is created by building the store or by reading; the first put makes the bucket."""
    store = S3Store(settings)
    assert store.list("") == []
    assert not store.exists("captures/e/c/original.ogg")
    assert not raw.bucket_exists(settings.bucket)

    store.put("captures/e/c/original.ogg", voice_note, "audio/ogg")
    assert raw.bucket_exists(settings.bucket)
    # A second store on the same bucket (another worker) finds it there.
    assert S3Store(settings).put("captures/e/d/original.ogg", voice_note, "audio/ogg").size == 12203


def test_round_trip_of_a_real_voice_note(settings: S3Settings, raw: Minio, voice_note: bytes) -> None:
    """GIVEN the real voice note WHEN the edge keeps it THEN S3 holds its bytes, type and sha256."""
    store = S3Store(settings)
    content_type = sniff_content_type(voice_note, "application/octet-stream")
    key = original_key("edge-1", "0193a5c2-7d1e-7000-8000-000000000001", content_type)
    assert key == "captures/edge-1/0193a5c2-7d1e-7000-8000-000000000001/original.ogg"

    stored = store.put(key, voice_note, content_type)
    expected = StoredObject(key=key, size=12203, sha256=VOICE_NOTE_SHA256, content_type="audio/ogg")
    assert stored == expected
    assert store.get(key) == voice_note
    assert store.stat(key) == expected
    assert store.exists(key)
    assert isinstance(store, ObjectStore)

    info = raw.stat_object(settings.bucket, key)
    assert info.metadata is not None
    assert info.metadata["x-amz-meta-sha256"] == VOICE_NOTE_SHA256
    assert info.content_type == "audio/ogg"
    assert info.size == 12203

    # Redelivery: the same bytes again are fine; other bytes are refused and change nothing.
    assert store.put(key, voice_note, "audio/ogg") == expected
    with pytest.raises(ObjectStoreError) as err:
        store.put(key, voice_note[:-1], "audio/ogg")
    assert err.value.code == "conflict"
    assert hashlib.sha256(store.get(key)).hexdigest() == VOICE_NOTE_SHA256

    store.delete(key)
    assert not store.exists(key)
    store.delete(key)


def test_list_by_prefix(settings: S3Settings) -> None:
    """Listing is by string prefix, recursive, sorted."""
    store = S3Store(settings)
    keys = ["captures/e1/c1/original.ogg", "captures/e1/c2/original.jpg", "captures/e10/c3/original.png", "x"]
    for key in reversed(keys):
        store.put(key, key.encode(), "application/octet-stream")

    assert store.list("") == sorted(keys)
    assert store.list("captures/e1") == keys[:3]
    assert store.list("captures/e1/") == keys[:2]
    assert store.list("captures/e1/c2/") == ["captures/e1/c2/original.jpg"]
    assert store.list("nothing/") == []


def test_not_found(settings: S3Settings) -> None:
    """A missing key is ``not_found`` for get and stat, False for exists, and no error for delete."""
    store = S3Store(settings)
    store.put("captures/e/c/original.ogg", b"OggS", "audio/ogg")
    for call in (
        lambda: store.get("captures/e/c/missing.ogg"),
        lambda: store.stat("captures/e/c/missing.ogg"),
    ):
        with pytest.raises(ObjectStoreError) as err:
            call()
        assert err.value.code == "not_found"
        assert err.value.key == "captures/e/c/missing.ogg"
    assert not store.exists("captures/e/c/missing.ogg")
    store.delete("captures/e/c/missing.ogg")


def test_bad_keys_never_reach_the_server(settings: S3Settings, raw: Minio) -> None:
    """The same key rules as the directory store; nothing is sent, so no bucket appears."""
    store = S3Store(settings)
    for key in ("../x", "/abs", "a\\b", "a\x00b", ""):
        with pytest.raises(ObjectStoreError) as err:
            store.put(key, b"x", "application/octet-stream")
        assert err.value.code == "invalid_key"
    assert not raw.bucket_exists(settings.bucket)


def test_an_object_written_without_our_metadata_is_hashed(settings: S3Settings, raw: Minio) -> None:
    """An object another tool wrote (no x-amz-meta-sha256) still stats with its true sha256."""
    store = S3Store(settings)
    raw.make_bucket(settings.bucket)
    data = VOICE_NOTE.read_bytes()
    raw.put_object(
        settings.bucket, "imported/note.ogg", io.BytesIO(data), len(data), content_type="audio/ogg"
    )

    assert store.stat("imported/note.ogg") == StoredObject(
        "imported/note.ogg", 12203, VOICE_NOTE_SHA256, "audio/ogg"
    )
    assert store.put("imported/note.ogg", data, "audio/ogg").sha256 == VOICE_NOTE_SHA256


def test_unavailable_after_the_server_stops(voice_note: bytes) -> None:
    """GIVEN a store whose server went away THEN every call raises ``unavailable`` within the retry budget."""
    server, endpoint = _start_moto()
    store = S3Store(
        S3Settings(endpoint=endpoint, access_key="testing", secret_key="testing"),
        timeout_s=0.5,
        attempts=3,
        backoff_s=0.05,
    )
    store.put("captures/e/c/original.ogg", voice_note, "audio/ogg")
    server.stop()

    for call in (
        lambda: store.put("captures/e/d/original.ogg", voice_note, "audio/ogg"),
        lambda: store.get("captures/e/c/original.ogg"),
        lambda: store.stat("captures/e/c/original.ogg"),
        lambda: store.exists("captures/e/c/original.ogg"),
        lambda: store.list("captures/"),
        lambda: store.delete("captures/e/c/original.ogg"),
    ):
        with pytest.raises(ObjectStoreError) as err:
            call()
        assert err.value.code == "unavailable"
        assert "after 3 attempts" in str(err.value)


def test_unavailable_when_the_server_hangs() -> None:
    """A server that accepts connections and never answers costs ``attempts`` x ``timeout_s``, then ``unavailable``."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # never accepted: the kernel completes the handshake, nobody replies
        host, port = listener.getsockname()
        store = S3Store(S3Settings(endpoint=f"{host}:{port}"), timeout_s=0.3, attempts=2, backoff_s=0.05)
        started = time.monotonic()
        with pytest.raises(ObjectStoreError) as err:
            store.get("captures/e/c/original.ogg")
        elapsed = time.monotonic() - started
    assert err.value.code == "unavailable"
    assert "Timeout" in str(err.value) or "timed out" in str(err.value)
    assert elapsed >= 0.6  # both attempts waited their timeout


def test_object_store_from_settings_picks_each_kind(
    settings: S3Settings, tmp_path: Path, voice_note: bytes
) -> None:
    """With the endpoint set the process gets S3 (and it works); unset, a directory in ``<data_dir>/objects``."""
    s3_store = object_store_from_settings(settings, tmp_path / "objects")
    assert isinstance(s3_store, S3Store)
    assert s3_store.describe() == f"s3://{settings.bucket}@{settings.host()}"
    s3_store.put("captures/e/c/original.ogg", voice_note, "audio/ogg")
    assert s3_store.get("captures/e/c/original.ogg") == voice_note
    assert not (tmp_path / "objects").exists()

    dir_store = object_store_from_settings(S3Settings(), tmp_path / "objects")
    assert isinstance(dir_store, DirectoryStore)
    dir_store.put("captures/e/c/original.ogg", voice_note, "audio/ogg")
    assert (tmp_path / "objects" / "captures" / "e" / "c" / "original.ogg").read_bytes() == voice_note
