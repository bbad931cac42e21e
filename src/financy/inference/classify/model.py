"""Run the exported category model with ONNX Runtime (CPU, one thread), loaded lazily.

Only onnxruntime and numpy are needed here (the ``inference`` extra); both are imported when a
model is loaded, not when this module is imported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from financy.inference.classify.normalize import model_input

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_TOP_K",
    "CategoryModel",
    "LazyCategoryModel",
    "ModelIntegrityError",
    "Prediction",
]

#: How many (slug, probability) pairs :meth:`CategoryModel.predict` returns by default.
DEFAULT_TOP_K: Final = 3

#: Rows per ONNX Runtime run in :meth:`CategoryModel.probabilities`.
BATCH_SIZE: Final = 64

#: One ranked answer: ``(category slug, probability 0..1)``.
Prediction = tuple[str, float]


class ModelIntegrityError(Exception):
    """The model file is not the one expected (sha256 mismatch) or is not a category model.

    Attributes:
        path: the file that was checked.
        reason: a stable key: "sha256_mismatch" or "not_a_category_model".
    """

    def __init__(self, path: Path, reason: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.reason = reason


class CategoryModel:
    """A loaded category model: text in, ranked category slugs out.

    Thread-safe: ONNX Runtime sessions may be run from several threads at once.
    """

    def __init__(self, session: Any, labels: Sequence[str], *, path: Path, sha256: str, version: str) -> None:
        """Wrap an open session; use :meth:`load` instead of calling this directly."""
        self._session = session
        self._input = session.get_inputs()[0].name
        self.labels: tuple[str, ...] = tuple(labels)
        self.path = path
        self.sha256 = sha256
        self.version = version

    @classmethod
    def load(cls, path: Path, sha256: str | None = None) -> CategoryModel:
        """Read, verify and open a model written by :func:`~financy.inference.classify.train.train`.

        The file is read once; the digest is taken over those same bytes, then the session is
        built from them (no window for the file to change between check and use).

        Args:
            path: the ``.onnx`` file.
            sha256: expected hex digest (any case); ``None`` skips the check (a model trained
                locally). Pass the manifest's value for anything downloaded or synced.

        Returns:
            The model, ready to predict (about 75 ms for the 5 MB default model).

        Raises:
            FileNotFoundError: no file at ``path``.
            ModelIntegrityError: digest mismatch ("sha256_mismatch"), or the bytes are not an
                ONNX category model with a ``labels`` entry ("not_a_category_model").
        """
        import onnxruntime as ort

        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if sha256 is not None and not hmac.compare_digest(actual, sha256.strip().lower()):
            raise ModelIntegrityError(
                path, "sha256_mismatch", f"sha256 is {actual}, expected {sha256.strip().lower()}"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            meta = session.get_modelmeta().custom_metadata_map
            labels = json.loads(meta["labels"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad bytes
            raise ModelIntegrityError(path, "not_a_category_model", f"not a category model: {exc}") from exc
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise ModelIntegrityError(
                path, "not_a_category_model", "metadata 'labels' is not a list of strings"
            )
        outputs = [out.name for out in session.get_outputs()]
        if "probabilities" not in outputs:
            raise ModelIntegrityError(path, "not_a_category_model", f"no 'probabilities' output in {outputs}")
        return cls(session, labels, path=path, sha256=actual, version=str(meta.get("version", "")))

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Return the ``[len(texts), len(labels)]`` float32 numpy array of probabilities.

        Texts go through :func:`model_input` here; columns follow :attr:`labels`. Long lists are
        run in chunks of :data:`BATCH_SIZE` (ONNX Runtime's TF-IDF operator slows down on very
        large batches: 10,000 lines take 8 s in one run, 2 s in chunks).
        """
        import numpy as np

        if len(texts) == 0:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        chunks = []
        for start in range(0, len(texts), BATCH_SIZE):
            part = texts[start : start + BATCH_SIZE]
            batch = np.array([[model_input(text)] for text in part], dtype=object).reshape(len(part), 1)
            chunks.append(self._session.run(["probabilities"], {self._input: batch})[0])
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)

    def predict(self, text: str, k: int = DEFAULT_TOP_K) -> list[Prediction]:
        """Return the ``k`` most likely ``(slug, probability)`` pairs for ``text``, best first.

        Probabilities are 0..1 and sum to 1 over all labels (not over the ``k`` returned).
        Any string is accepted; one with nothing usable ("", an emoji) gets the model's prior.
        """
        return self.predict_many([text], k)[0]

    def predict_many(self, texts: Sequence[str], k: int = DEFAULT_TOP_K) -> list[list[Prediction]]:
        """Return :meth:`predict` for each text, in order (one session run for the batch)."""
        rows = self.probabilities(texts)
        labels = self.labels
        ranked: list[list[Prediction]] = []
        for row in rows:
            order = sorted(range(len(labels)), key=lambda i: (-float(row[i]), labels[i]))[:k]
            ranked.append([(labels[i], float(row[i])) for i in order])
        return ranked


#: What a resolver returns: the artifact path, optionally with the sha256 to verify.
Resolved = Path | tuple[Path, str | None]


class LazyCategoryModel:
    """Loads a :class:`CategoryModel` on first use, behind a lock; :meth:`reload` swaps it.

    ``path_resolver`` is asked where the current artifact is each time a load happens (first use
    and every :meth:`reload`), so publishing a new model is: write it, update what the resolver
    reads, call :meth:`reload`. Predictions in flight keep using the model they started with.
    """

    def __init__(self, path_resolver: Callable[[], Resolved]) -> None:
        """Remember how to find the artifact; nothing is read yet."""
        self._resolve = path_resolver
        self._lock = threading.Lock()
        self._model: CategoryModel | None = None

    @property
    def loaded(self) -> bool:
        """Whether a model is in memory."""
        return self._model is not None

    def get(self) -> CategoryModel:
        """Return the model, loading it first if needed (one load even with many callers).

        Raises:
            FileNotFoundError, ModelIntegrityError: as :meth:`CategoryModel.load`; the next call
                tries again.
        """
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def reload(self) -> CategoryModel:
        """Resolve and load the artifact again, then swap it in.

        If loading fails the previous model (if any) stays in use and the error is raised.
        """
        with self._lock:
            model = self._load()
            self._model = model
            return model

    def unload(self) -> None:
        """Drop the model from memory; the next prediction loads it again."""
        with self._lock:
            self._model = None

    def predict(self, text: str, k: int = DEFAULT_TOP_K) -> list[Prediction]:
        """:meth:`CategoryModel.predict` on the current model (loading it on first use)."""
        return self.get().predict(text, k)

    def predict_many(self, texts: Sequence[str], k: int = DEFAULT_TOP_K) -> list[list[Prediction]]:
        """:meth:`CategoryModel.predict_many` on the current model (loading it on first use)."""
        return self.get().predict_many(texts, k)

    def _load(self) -> CategoryModel:
        resolved = self._resolve()
        if isinstance(resolved, tuple):
            path, sha256 = resolved
            return CategoryModel.load(path, sha256)
        return CategoryModel.load(resolved)
