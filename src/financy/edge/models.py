"""The edge's category model: loaded lazily from the shared models directory, swapped when the core publishes.

The core writes ``<data_dir>/models/categories/current.json`` and the ``.onnx`` file it names, and
announces new versions on ``financy:edge:{edge_id}:control``. The edge loads a file only when its
sha256 matches the announcement (or the manifest); until a model exists it works without one
(the reader's keyword lexicon still categorises).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from pathlib import Path

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError

from financy.core.contracts.v1 import control_stream, decode_control
from financy.inference.classify import CategoryModel, ModelIntegrityError, normalize
from financy.runtime.streams import ConsumerOptions, PoisonEntry, StreamConsumer

log = structlog.stdlib.get_logger(__name__)

#: While the edge has no model, it looks for the core's manifest at most this often (seconds).
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
        self._next_look = 0.0  # monotonic time of the next look for a manifest while there is no model
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
        manifest = self.directory / "current.json"
        if not manifest.exists():
            return
        try:
            data = json.loads(manifest.read_text())
            self.load(self.directory / data["file"], data["sha256"], data["version"])
        except (OSError, ValueError, KeyError, ModelIntegrityError) as exc:
            log.warning("categorizer.manifest_unusable", error=str(exc))

    def categorize(self, text: str) -> tuple[str, float] | None:
        """Return the model's top ``(slug, probability)`` for ``text``, or ``None`` when there is no model."""
        ranked = self.ranked(text)
        return ranked[0] if ranked else None

    def ranked(self, text: str) -> tuple[tuple[str, float], ...]:
        """Return the model's :data:`TOP_K` best ``(slug, probability)`` for ``text``, best first.

        Empty when there is no model (or no text).
        """
        if self._model is None and time.monotonic() >= self._next_look:
            # No model yet (a new box trains its first within seconds): look again now and then.
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


class ControlConsumer(StreamConsumer):
    """Applies the core's control messages to this edge (today: new category models)."""

    def __init__(
        self, client: aioredis.Redis, *, edge_id: str, categorizer: EdgeCategorizer, consumer: str
    ) -> None:
        super().__init__(
            client,
            stream=control_stream(edge_id),
            group=f"edge-{edge_id}-control",
            consumer=consumer,
            options=ConsumerOptions(block_ms=2000),
        )
        self.categorizer = categorizer

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        """Load an announced model (raises :class:`PoisonEntry` for a bad message or checksum)."""
        try:
            message = decode_control(fields)
        except (KeyError, ValidationError) as exc:
            raise PoisonEntry(f"invalid control message: {exc}") from exc
        if message.name != "categories":
            raise PoisonEntry(f"unknown model {message.name!r}")
        if message.version == self.categorizer.version:
            return
        try:
            self.categorizer.load(Path(message.location), message.sha256, message.version)
        except (ModelIntegrityError, FileNotFoundError) as exc:
            raise PoisonEntry(f"model {message.version} not loadable: {exc}") from exc
