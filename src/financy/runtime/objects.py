"""The object store for capture originals: a directory on a single box, MinIO or any S3 in production.

Voice notes and receipt photos are kept as evidence. The edge writes each original under
``captures/{edge_id}/{capture_id}/original{ext}`` (:func:`original_key`) before any model runs.
Originals are write-once: putting the same bytes again is a no-op, putting different bytes under
an existing key is refused (``ObjectStoreError`` code ``"conflict"``).

Which store a process gets is decided by :func:`object_store_from_settings` (DESIGN §6): with
``FINANCY_S3__ENDPOINT`` unset it is a :class:`DirectoryStore` in ``<data_dir>/objects``.

Everything here is synchronous: the edge calls it through ``asyncio.to_thread``, RQ workers call
it directly. Both stores are safe to share between threads.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

if TYPE_CHECKING:
    from minio import Minio

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DirectoryStore",
    "ErrorCode",
    "ObjectStore",
    "ObjectStoreError",
    "S3Settings",
    "S3Store",
    "StoredObject",
    "object_store_from_settings",
    "original_key",
    "sniff_content_type",
    "validate_content_type",
    "validate_key",
]

ErrorCode = Literal[
    "not_found", "invalid_key", "invalid_content_type", "unavailable", "too_large", "conflict"
]

# The largest original accepted. The chat platforms cap what reaches us below this: the Telegram
# Bot API's getFile downloads at most 20 MB (core.telegram.org/bots/api#getfile); the WhatsApp
# Cloud API allows 16 MB of audio, 5 MB images and 100 MB documents
# (developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types).
DEFAULT_MAX_BYTES = 100 * 1024 * 1024

MAX_KEY_LENGTH = 512
_KEY_RE = re.compile(r"[A-Za-z0-9._/-]+")
_ID_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
# RFC 9110 §8.3.1 media type: token "/" token, then optional parameters (no CR/LF: it becomes a header).
_TCHARS = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_CONTENT_TYPE_RE = re.compile(rf"{_TCHARS}/{_TCHARS}(\s*;[\x20-\x7e]*)?")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_OCTET_STREAM = "application/octet-stream"


class ObjectStoreError(Exception):
    """A store operation failed; ``code`` is stable, the message is for people.

    Codes: ``not_found`` (no object under the key), ``invalid_key`` (key or id not allowed),
    ``invalid_content_type``, ``too_large`` (over the store's ``max_bytes``), ``conflict`` (other
    bytes already stored under the key: originals are write-once), ``unavailable`` (the store cannot
    be reached or refused the request after the retries: network, disk, credentials).
    """

    def __init__(self, code: ErrorCode, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.key = key

    def __str__(self) -> str:
        return f"{self.code}: {self.args[0]}"


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What the store holds under ``key``: ``size`` in bytes, ``sha256`` as 64 lowercase hex digits."""

    key: str
    size: int
    sha256: str
    content_type: str


@runtime_checkable
class ObjectStore(Protocol):
    """Keyed blobs, write-once. Keys: ``[A-Za-z0-9._/-]``, ``/``-separated, at most 512 characters.

    Every method raises :class:`ObjectStoreError`; ``invalid_key`` for a key that is not allowed
    (no ``..``, ``.``-leading segments, empty segments, absolute paths, backslashes or NUL).
    """

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store ``data``; the same bytes again return the stored object, other bytes raise ``conflict``."""
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key`` (``not_found`` when there are none)."""
        ...

    def stat(self, key: str) -> StoredObject:
        """Return size, sha256 and content type of ``key`` without reading it (``not_found``)."""
        ...

    def exists(self, key: str) -> bool:
        """Return whether an object is stored under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a key that is not there is not an error (as in S3)."""
        ...

    def list(self, prefix: str) -> builtins.list[str]:
        """Return the keys starting with ``prefix`` (a plain string prefix, as in S3), sorted."""
        ...

    def describe(self) -> str:
        """Return ``dir:/path`` or ``s3://bucket@host:port`` for logs (never credentials)."""
        ...


# --- keys and content types ---------------------------------------------------------------------


def _check_key(key: str) -> str:
    """Return ``key`` when it is allowed, else raise ``invalid_key`` saying why."""
    why = None
    if not isinstance(key, str) or not key:
        why = "is empty"
    elif len(key) > MAX_KEY_LENGTH:
        why = f"is longer than {MAX_KEY_LENGTH} characters"
    elif "\x00" in key:
        why = "contains NUL"
    elif "\\" in key:
        why = "contains a backslash"
    elif key.startswith("/"):
        why = "is absolute"
    elif not _KEY_RE.fullmatch(key):
        why = "has characters outside [A-Za-z0-9._/-]"
    else:
        for segment in key.split("/"):
            if segment in {".", ".."}:
                why = "has a '.' or '..' segment"
            elif not segment:
                why = "has an empty segment (leading, trailing or double '/')"
            elif segment.startswith("."):
                # Names starting with "." are the store's own (temporary files, metadata sidecars).
                why = "has a segment starting with '.'"
            if why:
                break
    if why:
        raise ObjectStoreError("invalid_key", f"object key {str(key)[:80]!r} {why}")
    return key


def validate_key(key: str) -> str:
    """Return ``key`` when it is a valid object key (see :class:`ObjectStore`).

    Raises:
        ObjectStoreError: ``invalid_key``, saying why.
    """
    return _check_key(key)


def validate_content_type(content_type: str) -> str:
    """Return ``content_type`` stripped when it is a media type the store takes (``type/subtype[; ...]``).

    Raises:
        ObjectStoreError: ``invalid_content_type``, naming it.
    """
    return _check_content_type(content_type)


def _check_prefix(prefix: str) -> str:
    if prefix == "":
        return prefix
    if (
        len(prefix) > MAX_KEY_LENGTH
        or not _KEY_RE.fullmatch(prefix)
        or prefix.startswith("/")
        or any(seg in {".", ".."} for seg in prefix.split("/"))
    ):
        raise ObjectStoreError("invalid_key", f"object key prefix {prefix[:80]!r} is not allowed")
    return prefix


def _check_content_type(content_type: str) -> str:
    value = content_type.strip() if isinstance(content_type, str) else ""
    if len(value) > 255 or not _CONTENT_TYPE_RE.fullmatch(value):
        raise ObjectStoreError(
            "invalid_content_type", f"content type {str(content_type)[:80]!r} is not a media type"
        )
    return value


def _essence(content_type: str | None) -> str | None:
    """Return ``type/subtype`` in lower case without parameters, or None when it is not a media type."""
    if not content_type:
        return None
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence if re.fullmatch(f"{_TCHARS}/{_TCHARS}", essence) else None


_EXTENSIONS: dict[str, str] = {
    "audio/ogg": ".ogg",
    "audio/opus": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/mp4": ".m4a",
    "audio/m4a": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/vnd.wave": ".wav",
    "audio/flac": ".flac",
    "audio/x-flac": ".flac",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/gif": ".gif",
    "image/tiff": ".tiff",
    "image/avif": ".avif",
    "audio/webm": ".webm",
    "video/webm": ".webm",
    "video/mp4": ".mp4",
    "application/pdf": ".pdf",
}


def original_key(edge_id: str, capture_id: str, content_type: str) -> str:
    """Return ``captures/{edge_id}/{capture_id}/original{ext}``, the key of a capture's original.

    ``ext`` comes from the content type (parameters and case ignored): audio/ogg -> .ogg,
    audio/mpeg -> .mp3, audio/mp4 -> .m4a, audio/wav | audio/x-wav -> .wav, audio/flac -> .flac,
    image/jpeg -> .jpg, image/png -> .png, image/webp -> .webp, image/heic -> .heic,
    application/pdf -> .pdf, anything else -> .bin. Pass the sniffed type
    (:func:`sniff_content_type`), not the one the chat platform declared.

    Raises ObjectStoreError("invalid_key") when an id is empty, longer than 128 characters, starts
    with ``.`` or has characters outside ``[A-Za-z0-9._-]``.
    """
    for name, value in (("edge id", edge_id), ("capture id", capture_id)):
        if not isinstance(value, str) or not _ID_RE.fullmatch(value):
            raise ObjectStoreError(
                "invalid_key", f"{name} {str(value)[:80]!r} is not allowed in an object key"
            )
    ext = _EXTENSIONS.get(_essence(content_type) or "", ".bin")
    return f"captures/{edge_id}/{capture_id}/original{ext}"


# MPEG-1/2/2.5 audio frame header (ISO/IEC 11172-3 §2.4.2.3): 11 sync bits, version != reserved,
# layer != reserved (ADTS AAC uses layer 00, so it is not taken for MP3), bitrate index != 15,
# sampling frequency index != 3.
def _is_mpeg_audio_frame(head: bytes) -> bool:
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    bitrate = head[2] >> 4
    sampling = (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate != 0b1111 and sampling != 0b11


_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P "}


def sniff_content_type(data: bytes, declared: str | None = None) -> str:
    """Return the media type of ``data`` from its magic bytes, else ``declared``, else octet-stream.

    Recognised: OGG (``OggS``) -> audio/ogg; MP3 (``ID3`` tag or an MPEG audio frame sync) ->
    audio/mpeg; ISO BMFF (``ftyp`` at offset 4): brands M4A/M4B/M4P -> audio/mp4, HEIF brands ->
    image/heic, other brands -> audio/mp4 when ``declared`` is audio/*, else video/mp4; RIFF
    ``WAVE`` -> audio/wav; ``fLaC`` -> audio/flac; JPEG ``FF D8 FF`` -> image/jpeg; PNG signature ->
    image/png; RIFF ``WEBP`` -> image/webp; ``GIF87a``/``GIF89a`` -> image/gif; ``II*\0``/``MM\0*``
    -> image/tiff; EBML (Matroska/WebM) -> audio/webm when declared audio/*, else video/webm;
    ``%PDF-`` -> application/pdf. Magic bytes win over the declared type (a PNG sent as image/jpeg is image/png).
    A declared type is returned as its lower-case ``type/subtype`` without parameters; a declared
    value that is not a media type counts as none.
    """
    head = bytes(data[:16])
    declared_essence = _essence(declared)
    sniffed: str | None = None
    if head.startswith(b"OggS"):
        sniffed = "audio/ogg"
    elif head.startswith(b"fLaC"):
        sniffed = "audio/flac"
    elif head.startswith(b"\xff\xd8\xff"):
        sniffed = "image/jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        sniffed = "image/png"
    elif head.startswith(b"%PDF-"):
        sniffed = "application/pdf"
    elif head.startswith((b"GIF87a", b"GIF89a")):
        sniffed = "image/gif"
    elif head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        sniffed = "audio/wav"
    elif head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        sniffed = "image/webp"
    elif head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _M4A_BRANDS:
            sniffed = "audio/mp4"
        elif brand in _HEIF_BRANDS:
            sniffed = "image/heic"
        elif brand in {b"avif", b"avis"}:
            sniffed = "image/avif"
        else:
            sniffed = "audio/mp4" if (declared_essence or "").startswith("audio/") else "video/mp4"
    elif head.startswith((b"II*\x00", b"MM\x00*")):
        sniffed = "image/tiff"
    elif head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska / WebM
        sniffed = "audio/webm" if (declared_essence or "").startswith("audio/") else "video/webm"
    elif head.startswith(b"ID3") or _is_mpeg_audio_frame(head):
        sniffed = "audio/mpeg"
    return sniffed or declared_essence or _OCTET_STREAM


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_size(key: str, data: bytes, max_bytes: int) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"object data must be bytes, not {type(data).__name__}")
    if len(data) > max_bytes:
        raise ObjectStoreError(
            "too_large", f"object {key!r} has {len(data)} bytes, more than the limit of {max_bytes}", key=key
        )


# --- a directory ---------------------------------------------------------------------------------


class DirectoryStore:
    """Objects as files under ``root`` (the single box: ``<data_dir>/objects``); key ``a/b/c`` is ``root/a/b/c``.

    A write goes to a temporary file in the object's directory, is fsynced and renamed into place
    (``os.replace``), then the directory is fsynced: a crash leaves either the whole object or none.
    The content type, size and sha256 live in a sidecar ``.{name}.meta.json`` written (the same way)
    before the object, so a visible object always has its sidecar; if a sidecar is missing or
    unreadable (say, files restored by hand) ``stat`` hashes the file and sniffs the type instead.
    Writers of one directory take an exclusive ``flock`` on it (threads and processes alike), which
    makes write-once hold under concurrency and lets a writer remove temporary files a crashed
    writer left. Names starting with ``.`` are the store's own and are never listed or returned.

    The directory is created on the first put. Disk errors (ENOSPC, EIO, EACCES) raise
    ObjectStoreError("unavailable").
    """

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root).absolute()
        self.max_bytes = max_bytes

    def describe(self) -> str:
        """Return ``dir:<absolute root>``."""
        return f"dir:{self.root}"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_check_key(key).split("/"))

    @staticmethod
    def _meta_path(path: Path) -> Path:
        return path.with_name(f".{path.name}.meta.json")

    @contextlib.contextmanager
    def _locked(self, directory: Path) -> Iterator[int]:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    @contextlib.contextmanager
    def _disk_errors(self, action: str, key: str) -> Iterator[None]:
        try:
            yield
        except ObjectStoreError:
            raise
        except OSError as exc:
            raise ObjectStoreError(
                "unavailable", f"{self.describe()}: cannot {action} {key!r}: {exc.strerror or exc}", key=key
            ) from exc

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Write ``data`` under ``key`` once; see :meth:`ObjectStore.put`.

        Raises ObjectStoreError: invalid_key, invalid_content_type, too_large, conflict (other bytes
        under the key, or a directory of other objects has its name), unavailable (disk errors).
        """
        path = self._path(key)
        content_type = _check_content_type(content_type)
        _check_size(key, data, self.max_bytes)
        data = bytes(data)
        stored = StoredObject(key=key, size=len(data), sha256=_sha256(data), content_type=content_type)
        with self._disk_errors("write", key):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError) as exc:
                raise ObjectStoreError(
                    "conflict", f"object key {key!r} runs through an existing object", key=key
                ) from exc
            with self._locked(path.parent) as dir_fd:
                self._remove_leftovers(path)
                if path.is_dir():
                    raise ObjectStoreError(
                        "conflict", f"object key {key!r} names a folder of other objects", key=key
                    )
                if path.exists():
                    existing = self._stat_path(key, path)
                    if existing.sha256 != stored.sha256:
                        raise ObjectStoreError(
                            "conflict",
                            f"object {key!r} already holds other bytes (sha256 {existing.sha256[:12]}…, "
                            f"{existing.size} bytes); originals are write-once",
                            key=key,
                        )
                    return existing
                meta = {"content_type": content_type, "size": stored.size, "sha256": stored.sha256}
                meta_bytes = json.dumps(meta, sort_keys=True).encode()
                self._write_atomically(self._meta_path(path), meta_bytes, dir_fd, f".{path.name}.meta.tmp-")
                self._write_atomically(path, data, dir_fd, f".{path.name}.tmp-")
        return stored

    @staticmethod
    def _write_atomically(path: Path, data: bytes, dir_fd: int, tmp_prefix: str) -> None:
        tmp = path.with_name(tmp_prefix + secrets.token_hex(8))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        os.fsync(dir_fd)

    @staticmethod
    def _remove_leftovers(path: Path) -> None:
        """Remove temporary files of ``path`` left by a writer that died (we hold the directory lock)."""
        for pattern in (f".{path.name}.tmp-*", f".{path.name}.meta.tmp-*"):
            for leftover in path.parent.glob(pattern):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key``; raises ObjectStoreError not_found, invalid_key, unavailable."""
        path = self._path(key)
        with self._disk_errors("read", key):
            try:
                return path.read_bytes()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
                raise ObjectStoreError(
                    "not_found", f"no object {key!r} in {self.describe()}", key=key
                ) from exc

    def stat(self, key: str) -> StoredObject:
        """Return the object's size, sha256 and content type; raises not_found, invalid_key, unavailable."""
        path = self._path(key)
        with self._disk_errors("stat", key):
            return self._stat_path(key, path)

    def _stat_path(self, key: str, path: Path) -> StoredObject:
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise FileNotFoundError(path)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectStoreError("not_found", f"no object {key!r} in {self.describe()}", key=key) from exc
        meta = self._read_sidecar(path, size)
        if meta is not None:
            sha256, content_type = meta
            return StoredObject(key=key, size=size, sha256=sha256, content_type=content_type)
        # No trustworthy sidecar: derive what it would have said.
        data = path.read_bytes()
        return StoredObject(
            key=key, size=len(data), sha256=_sha256(data), content_type=sniff_content_type(data)
        )

    def _read_sidecar(self, path: Path, size: int) -> tuple[str, str] | None:
        """Return (sha256, content type) from the sidecar of ``path``, or None when it is missing or stale."""
        try:
            meta = json.loads(self._meta_path(path).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict):
            return None
        sha256, content_type = meta.get("sha256"), meta.get("content_type")
        if meta.get("size") != size or not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
            return None
        if not isinstance(content_type, str):
            return None
        return sha256, content_type

    def exists(self, key: str) -> bool:
        """Return whether ``key`` holds an object; raises invalid_key."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove ``key`` and its sidecar; a missing key is not an error. Raises invalid_key, unavailable."""
        path = self._path(key)
        with self._disk_errors("delete", key):
            if not path.parent.is_dir():
                return
            with self._locked(path.parent) as dir_fd:
                if path.is_dir():
                    return
                # Object first: a sidecar without its object is invisible and replaced by the next put.
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                with contextlib.suppress(FileNotFoundError):
                    self._meta_path(path).unlink()
                os.fsync(dir_fd)

    def list(self, prefix: str) -> builtins.list[str]:
        """Return the keys that start with ``prefix`` (a string prefix, "" for all), sorted.

        Temporary files and sidecars are never listed. Raises invalid_key, unavailable.
        """
        _check_prefix(prefix)
        # Walk only below the deepest folder the prefix fixes.
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root.joinpath(*folder.split("/")) if folder else self.root
        keys: builtins.list[str] = []
        with self._disk_errors("list", prefix):
            if not start.is_dir():
                return keys
            for dirpath, dirnames, filenames in os.walk(start):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                base = Path(dirpath).relative_to(self.root).as_posix()
                for name in filenames:
                    if name.startswith("."):
                        continue
                    key = name if base == "." else f"{base}/{name}"
                    if key.startswith(prefix):
                        keys.append(key)
        return sorted(keys)


# --- S3 ------------------------------------------------------------------------------------------


class S3Settings(BaseModel):
    """S3 or MinIO connection (``FINANCY_S3__*``, DESIGN §6); no ``endpoint`` means a directory store.

    ``endpoint`` is ``https://host[:port]``, ``http://host[:port]`` or a bare ``host:port`` (blank
    counts as unset). ``secure`` None follows the endpoint's scheme (bare host:port: plain HTTP).
    Access and secret key come together or not at all (anonymous). Raises pydantic's
    ValidationError on an endpoint with a path, query or credentials, or a bucket name S3 refuses.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoint: str | None = None
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    bucket: str = "financy"
    secure: bool | None = None
    region: str = "us-east-1"

    @field_validator("endpoint", "access_key", "secret_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        parts = urlsplit(value if "://" in value else "//" + value)
        if parts.scheme not in {"", "http", "https"}:
            raise ValueError(f"endpoint scheme must be http or https, not {parts.scheme!r}")
        if not parts.hostname or parts.username or parts.password:
            raise ValueError("endpoint must be host[:port] with no credentials (use access_key/secret_key)")
        if parts.path not in {"", "/"} or parts.query or parts.fragment:
            raise ValueError("endpoint must not have a path or query (the bucket is a setting of its own)")
        _ = parts.port  # raises ValueError on a port that is not a number in range
        return value

    @field_validator("bucket")
    @classmethod
    def _check_bucket(cls, value: str) -> str:
        # docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value) or ".." in value:
            raise ValueError(f"bucket name {value!r} breaks S3's naming rules (3-63 of a-z 0-9 . -)")
        return value

    @model_validator(mode="after")
    def _keys_together(self) -> S3Settings:
        if (self.access_key is None) != (self.secret_key is None):
            raise ValueError("set both access_key and secret_key, or neither")
        return self

    def host(self) -> str:
        """Return the endpoint as ``host[:port]`` (what the minio SDK takes); ValueError when unset."""
        if self.endpoint is None:
            raise ValueError("no S3 endpoint is set")
        return urlsplit(self.endpoint if "://" in self.endpoint else "//" + self.endpoint).netloc

    def use_tls(self) -> bool:
        """Return ``secure`` if set, else whether the endpoint says ``https://``."""
        if self.secure is not None:
            return self.secure
        return (self.endpoint or "").lower().startswith("https://")


T = TypeVar("T")

# S3 error codes that a retry may cure (docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
_RETRYABLE_S3_CODES = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "OperationAborted",
}
_NOT_FOUND_S3_CODES = {"NoSuchKey", "NoSuchObject", "NoSuchBucket", "ResourceNotFound"}


class S3Store:
    """Objects in an S3 bucket (MinIO or any S3) through the minio SDK.

    The bucket is created on the first put if it is missing (once per store). The sha256 travels as
    user metadata (``x-amz-meta-sha256``); an object without it (written by another tool) is hashed
    on ``stat``. Network failures, timeouts and 5xx answers are retried ``attempts`` times in all
    with exponential backoff from ``backoff_s`` seconds, then raise ObjectStoreError("unavailable");
    ``timeout_s`` bounds connecting and each read. Errors S3 gives for bad credentials or access
    (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch) are not retried: "unavailable" at once.

    Write-once is checked with a HEAD before the PUT; two writers racing on one key with different
    bytes could both pass it (capture keys are unique per capture, so originals never race).
    """

    def __init__(
        self,
        settings: S3Settings,
        *,
        timeout_s: float = 10.0,
        attempts: int = 3,
        backoff_s: float = 0.2,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        import urllib3
        from minio import Minio

        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.settings = settings
        self.bucket = settings.bucket
        self.max_bytes = max_bytes
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._host = settings.host()
        ca_certs = os.environ.get("SSL_CERT_FILE")
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s),
            maxsize=10,
            retries=False,  # we retry ourselves, the whole operation, with our own limits
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs or None,
        )
        self._client: Minio = Minio(
            self._host,
            access_key=settings.access_key.get_secret_value() if settings.access_key else None,
            secret_key=settings.secret_key.get_secret_value() if settings.secret_key else None,
            secure=settings.use_tls(),
            region=settings.region,
            http_client=http,
        )
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def describe(self) -> str:
        """Return ``s3://{bucket}@{host:port}``."""
        return f"s3://{self.bucket}@{self._host}"

    def _call(self, action: str, key: str, operation: Callable[[], T]) -> T:
        from minio.error import InvalidResponseError, S3Error, ServerError
        from urllib3.exceptions import HTTPError

        last: Exception | None = None
        for attempt in range(self._attempts):
            try:
                return operation()
            except ObjectStoreError:
                raise
            except S3Error as exc:
                if exc.code == "NoSuchBucket":
                    self._bucket_ready = False
                if exc.code in _NOT_FOUND_S3_CODES and action != "put":
                    raise ObjectStoreError(
                        "not_found", f"no object {key!r} in {self.describe()}", key=key
                    ) from exc
                status = exc.response.status if exc.response is not None else 0
                if not (exc.code in _RETRYABLE_S3_CODES or status >= 500 or exc.code == "NoSuchBucket"):
                    raise ObjectStoreError(
                        "unavailable",
                        f"{self.describe()}: {action} {key!r} refused: {exc.code}: {exc.message}",
                        key=key,
                    ) from exc
                last = exc
            except (ServerError, InvalidResponseError, HTTPError, OSError) as exc:
                last = exc
            if attempt + 1 < self._attempts:
                time.sleep(self._backoff_s * 2**attempt)
        raise ObjectStoreError(
            "unavailable",
            f"{self.describe()}: {action} {key!r} failed after {self._attempts} attempts: "
            f"{type(last).__name__}: {last}",
            key=key,
        ) from last

    def _ensure_bucket(self) -> None:
        from minio.error import S3Error

        with self._bucket_lock:
            if self._bucket_ready:
                return
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket, location=self.settings.region)
                except S3Error as exc:
                    # Another process made it between our HEAD and PUT.
                    if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise
            self._bucket_ready = True

    def _stat_once(self, key: str) -> StoredObject:
        info = self._client.stat_object(self.bucket, key)
        metadata = info.metadata or {}
        sha256 = next((str(v) for k, v in metadata.items() if k.lower() == "x-amz-meta-sha256"), "").lower()
        if not _SHA256_RE.fullmatch(sha256):
            sha256 = _sha256(self._get_once(key))
        return StoredObject(
            key=key, size=info.size or 0, sha256=sha256, content_type=info.content_type or _OCTET_STREAM
        )

    def _get_once(self, key: str) -> bytes:
        response = self._client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Write ``data`` under ``key`` once; see :meth:`ObjectStore.put`.

        Raises ObjectStoreError: invalid_key, invalid_content_type, too_large, conflict, unavailable.
        """
        from minio.error import S3Error

        _check_key(key)
        content_type = _check_content_type(content_type)
        _check_size(key, data, self.max_bytes)
        data = bytes(data)
        stored = StoredObject(key=key, size=len(data), sha256=_sha256(data), content_type=content_type)

        def operation() -> StoredObject:
            self._ensure_bucket()
            try:
                existing = self._stat_once(key)
            except S3Error as exc:
                if exc.code not in _NOT_FOUND_S3_CODES:
                    raise
            else:
                if existing.sha256 != stored.sha256:
                    raise ObjectStoreError(
                        "conflict",
                        f"object {key!r} already holds other bytes (sha256 {existing.sha256[:12]}…, "
                        f"{existing.size} bytes); originals are write-once",
                        key=key,
                    )
                return existing
            self._client.put_object(
                self.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata={"sha256": stored.sha256},
            )
            return stored

        return self._call("put", key, operation)

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key``; raises ObjectStoreError not_found, invalid_key, unavailable."""
        _check_key(key)
        return self._call("get", key, lambda: self._get_once(key))

    def stat(self, key: str) -> StoredObject:
        """Return the object's size, sha256 and content type; raises not_found, invalid_key, unavailable."""
        _check_key(key)
        return self._call("stat", key, lambda: self._stat_once(key))

    def exists(self, key: str) -> bool:
        """Return whether ``key`` holds an object; raises invalid_key, unavailable."""
        try:
            self.stat(key)
        except ObjectStoreError as exc:
            if exc.code == "not_found":
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key or bucket is not an error. Raises invalid_key, unavailable."""
        _check_key(key)
        try:
            self._call("delete", key, lambda: self._client.remove_object(self.bucket, key))
        except ObjectStoreError as exc:
            if exc.code != "not_found":
                raise

    def list(self, prefix: str) -> builtins.list[str]:
        """Return the keys that start with ``prefix`` ("" for all), sorted; no bucket yet -> [].

        Raises invalid_key, unavailable.
        """
        _check_prefix(prefix)

        def operation() -> builtins.list[str]:
            found = self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True)
            return sorted(obj.object_name for obj in found if obj.object_name and not obj.is_dir)

        try:
            return self._call("list", prefix, operation)
        except ObjectStoreError as exc:
            if exc.code == "not_found":
                return []
            raise

    def presigned_get_url(
        self,
        key: str,
        expires_s: int = 300,
        *,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> str:
        """Return a URL that reads ``key`` without credentials for ``expires_s`` seconds (1..604800).

        Signed locally (SigV4, no request is made; the object's existence is not checked). The
        answer's ``Content-Type`` and an attachment ``Content-Disposition`` can be pinned with
        ``content_type`` and ``filename``. Raises ObjectStoreError invalid_key, ValueError for an
        expiry out of range.
        """
        import datetime as dt

        _check_key(key)
        if not 1 <= expires_s <= 604800:
            raise ValueError("expires_s must be 1..604800 seconds (S3's limit is 7 days)")
        headers: dict[str, str | list[str] | tuple[str]] = {}
        if content_type:
            headers["response-content-type"] = _check_content_type(content_type)
        if filename:
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:200] or "original"
            headers["response-content-disposition"] = f'attachment; filename="{safe}"'
        return self._client.presigned_get_object(
            self.bucket, key, expires=dt.timedelta(seconds=expires_s), response_headers=headers or None
        )


def object_store_from_settings(s3: S3Settings, directory: Path) -> ObjectStore:
    """Return the process's object store: S3Store when ``s3.endpoint`` is set, else DirectoryStore(directory).

    ``directory`` is ``<data_dir>/objects`` by convention. Nothing is contacted or created here.
    """
    if s3.endpoint is None:
        return DirectoryStore(directory)
    return S3Store(s3)
