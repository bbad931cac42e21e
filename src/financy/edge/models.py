"""The edge's category model: loaded lazily from the shared models directory, swapped when the core publishes.

The core writes ``<data_dir>/models/categories/current.json`` and the ``.onnx`` file it names, and
announces new versions on ``financy:edge:{edge_id}:control``. The edge loads a file only when its
sha256 matches the announcement (or the manifest); until a model exists it works without one
(the reader's keyword lexicon still categorises).

An edge on another machine gets the model through the object store: the announcement's
``object_key`` (``models/categories/{version}.onnx``) is downloaded with the edge's own
credentials (read-only on ``models/``), verified and written atomically into its models
directory, and at start an edge with no model reads ``models/categories/manifest.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError

from financy.core.contracts.v1 import control_stream, decode_control
from financy.inference.classify import CategoryModel, ModelIntegrityError, normalize
from financy.runtime.objects import ObjectStore, ObjectStoreError
from financy.runtime.streams import ConsumerOptions, PoisonEntry, StreamConsumer

log = structlog.stdlib.get_logger(__name__)

MODEL_NAME = "categories"
#: The object store's manifest of the current category model (written by the core's publish).
MANIFEST_KEY = f"models/{MODEL_NAME}/manifest.json"
#: How often (seconds, at most) the categorizer looks at ``current.json`` for a first or newer model.
MANIFEST_RETRY_S = 10.0
#: How many distinct normalised texts' answers the edge keeps (LRU).
ANSWER_CACHE_SIZE = 4096
#: How many answers the edge asks the model for: the category and three guesses after it.
TOP_K = 4


class EdgeCategorizer:
    """Predicts a category slug for a merchant or description; thread-safe, hot-swappable."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._model: CategoryModel | None = None
        self._version: str | None = None
        # Monotonic time of the next look at current.json: for a first model, and for a newer one
        # (another process of this edge, its control consumer or the core, wrote it).
        self._next_look = 0.0
        self._refused: str | None = None  # a manifest version that would not load: not tried again
        # Families say the same things again ("uber 23", "uber 18"): the model's normalisation maps
        # them to one text, so its answers are kept per normalised text for the loaded model.
        self._answers: OrderedDict[str, tuple[tuple[str, float], ...]] = OrderedDict()

    @property
    def model(self) -> CategoryModel | None:
        """Return the loaded model (``None`` before one is loaded)."""
        return self._model

    @property
    def version(self) -> str | None:
        """Return the loaded model's version, or ``None`` before one is loaded."""
        return self._version

    def load(self, path: Path, sha256: str, version: str) -> None:
        """Load ``path`` if its sha256 matches and make it current.

        Raises:
            ModelIntegrityError: the file's sha256 differs (the current model stays).
            FileNotFoundError: no such file.
        """
        model = CategoryModel.load(path, sha256=sha256)
        with self._lock:
            self._model, self._version = model, version
            self._answers.clear()
        log.info("categorizer.loaded", version=version, path=str(path))

    def _from_manifest(self) -> None:
        """Load the model ``current.json`` names unless it is the loaded one (or one refused before)."""
        manifest = self.directory / "current.json"
        if not manifest.exists():
            return
        data: object = None
        try:
            data = json.loads(manifest.read_text())
            if not isinstance(data, dict):
                raise ValueError("current.json is not a JSON object")
            version = str(data["version"])
            if version in (self._version, self._refused):
                return
            self.load(self.directory / data["file"], data["sha256"], version)
        except (OSError, ValueError, KeyError, ModelIntegrityError) as exc:
            self._refused = str(data.get("version")) if isinstance(data, dict) else None
            log.warning("categorizer.manifest_unusable", error=str(exc))

    def categorize(self, text: str) -> tuple[str, float] | None:
        """Return the model's top ``(slug, probability)`` for ``text``, or ``None`` when there is no model."""
        ranked = self.ranked(text)
        return ranked[0] if ranked else None

    def ranked(self, text: str) -> tuple[tuple[str, float], ...]:
        """Return the model's :data:`TOP_K` best ``(slug, probability)`` for ``text``, best first.

        Empty when there is no model (or no text).
        """
        if time.monotonic() >= self._next_look:
            # No model yet (a new box trains its first within seconds), or a newer one on disk
            # (an edge worker learns of it this way): look again now and then.
            with self._lock:
                due = time.monotonic() >= self._next_look
                self._next_look = time.monotonic() + MANIFEST_RETRY_S
            if due:
                self._from_manifest()
        model = self._model
        if model is None or not text.strip():
            return ()
        key = normalize(text)
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
                return answer
        answer = tuple((slug, float(probability)) for slug, probability in model.predict(text, TOP_K))
        with self._lock:
            if self._model is model:
                self._answers[key] = answer
                if len(self._answers) > ANSWER_CACHE_SIZE:
                    self._answers.popitem(last=False)
        return answer


class ModelStoreUnavailable(Exception):  # noqa: N818 - names the state, like PoisonEntry
    """The object store could not be read right now (the entry is retried, never dead-lettered)."""


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, fsynced, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def fetch_model(
    store: ObjectStore, directory: Path, *, key: str, sha256: str, version: str, size: int | None = None
) -> Path:
    """Download the model under ``key`` into ``directory`` (``categories-{version}.onnx``), verified.

    A file already there with the same sha256 (a single box shares the core's directory) is used
    as it is. Otherwise the bytes are checked against ``sha256`` and the stored size (and
    ``size`` when the manifest gave one) before they are written, atomically, so a bad download
    never lands on disk; ``current.json`` then names the new file for the edge's workers.

    Returns:
        The path of the verified file.

    Raises:
        ModelIntegrityError: the bytes' sha256 or size is not the announced one.
        ObjectStoreError: ``not_found`` (no such object), ``invalid_key``.
        ModelStoreUnavailable: the store is away (try again later).
    """
    target = directory / f"{MODEL_NAME}-{version}.onnx"
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return target
    try:
        stored = store.stat(key)
        data = store.get(key)
    except ObjectStoreError as exc:
        if exc.code == "unavailable":
            raise ModelStoreUnavailable(str(exc)) from exc
        raise
    actual = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(actual, sha256):
        raise ModelIntegrityError(target, "sha256_mismatch", f"{key}: sha256 is {actual}, expected {sha256}")
    if len(data) != stored.size or (size is not None and len(data) != size):
        raise ModelIntegrityError(
            target,
            "size_mismatch",
            f"{key}: {len(data)} bytes, expected {size if size is not None else stored.size}",
        )
    _write_atomically(target, data)
    manifest = {"name": MODEL_NAME, "version": version, "sha256": sha256, "file": target.name, "key": key}
    _write_atomically(directory / "current.json", json.dumps(manifest, indent=2).encode())
    log.info("categorizer.downloaded", version=version, key=key, bytes=len(data))
    return target


class ControlConsumer(StreamConsumer):
    """Applies the core's control messages to this edge (today: new category models).

    With ``store`` (the edge's object store) an announcement carrying ``object_key`` is downloaded
    into ``models_dir``, verified (sha256 and size) and swapped in; requests in flight finish on
    the old model. A bad checksum keeps the old model and dead-letters the message with the
    reason. At start, an edge with no model reads ``models/categories/manifest.json``.
    """

    transient = (ModelStoreUnavailable,)

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        edge_id: str,
        categorizer: EdgeCategorizer,
        consumer: str,
        store: ObjectStore | None = None,
        models_dir: Path | None = None,
    ) -> None:
        super().__init__(
            client,
            stream=control_stream(edge_id),
            group=f"edge-{edge_id}-control",
            consumer=consumer,
            options=ConsumerOptions(block_ms=2000),
        )
        self.categorizer = categorizer
        self.store = store
        self.models_dir = models_dir or categorizer.directory

    async def run(self) -> None:
        """Pull the published model first when the edge has none, then consume the control stream."""
        await self.bootstrap()
        await super().run()

    async def bootstrap(self) -> bool:
        """Load the local manifest's model, else the object store's current one; return whether one is loaded.

        Never raises: an unreadable store or manifest is logged (the control stream still brings
        the next model, and the categorizer keeps looking at the local manifest).
        """
        if self.categorizer.version is None:
            await asyncio.to_thread(self.categorizer._from_manifest)
        if self.categorizer.version is not None or self.store is None:
            return self.categorizer.version is not None
        store = self.store
        try:
            raw = await asyncio.to_thread(store.get, MANIFEST_KEY)
            data = json.loads(raw)
            key, sha256, version = str(data["key"]), str(data["sha256"]).lower(), str(data["version"])
            size = int(data["size_bytes"]) if data.get("size_bytes") is not None else None
            path = await asyncio.to_thread(
                fetch_model, store, self.models_dir, key=key, sha256=sha256, version=version, size=size
            )
            await asyncio.to_thread(self.categorizer.load, path, sha256, version)
        except ObjectStoreError as exc:
            if exc.code == "not_found":
                log.info("categorizer.no_published_model", store=store.describe())
            else:
                log.warning("categorizer.manifest_unreadable", store=store.describe(), error=str(exc))
        except (ModelStoreUnavailable, ModelIntegrityError, OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("categorizer.published_model_unusable", store=store.describe(), error=str(exc))
        return self.categorizer.version is not None

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        """Load an announced model (raises :class:`PoisonEntry` for a bad message or checksum).

        Raises:
            PoisonEntry: not a control message, an unknown model, a missing object or file, or
                bytes whose sha256/size differ (the old model stays).
            ModelStoreUnavailable: the object store is away (retried later).
        """
        try:
            message = decode_control(fields)
        except (KeyError, ValidationError) as exc:
            raise PoisonEntry(f"invalid control message: {exc}") from exc
        if message.name != "categories":
            raise PoisonEntry(f"unknown model {message.name!r}")
        if message.version == self.categorizer.version:
            return
        try:
            if message.object_key is not None and self.store is not None:
                path = await asyncio.to_thread(
                    fetch_model,
                    self.store,
                    self.models_dir,
                    key=message.object_key,
                    sha256=message.sha256,
                    version=message.version,
                )
            else:
                path = Path(message.location)
            await asyncio.to_thread(self.categorizer.load, path, message.sha256, message.version)
        except (ModelIntegrityError, FileNotFoundError, ObjectStoreError) as exc:
            log.error(
                "categorizer.model_refused",
                version=message.version,
                key=message.object_key,
                kept=self.categorizer.version,
                reason=str(exc),
            )
            raise PoisonEntry(f"model {message.version} not loadable: {exc}") from exc
