"""Lazy loading of inference models: load on first use, unload after an idle TTL, report what is resident.

Every model adapter (speech, vision, text) wraps its heavy object in a ``LazyModel``::

    whisper = LazyModel("whisper-base", "1.0.0", lambda: WhisperModel(str(registry.path("whisper-base"))))
    segments, info = whisper.get().transcribe(...)

``get()`` loads once even with concurrent callers; ``reap_idle()`` (or the thread of ``start_idle_reaper``)
unloads models unused for ``idle_ttl_s`` seconds. Unloading drops the reference and runs ``gc.collect()``;
a caller still holding the object from ``get()`` keeps it alive until it finishes. The heavy libraries are
imported inside the loaders, never at import time of an adapter module.

``loaded_models()`` lists every LazyModel alive in the process; ``LoadedModelsCollector`` exposes them to
Prometheus as ``financy_model_loaded``, ``financy_model_resident_bytes``, ``financy_model_load_seconds``
and ``financy_model_idle_seconds`` (labels ``name``, ``version``) and ``financy_model_loads_total``.

This module imports nothing of ours (DESIGN §3).
"""

from __future__ import annotations

import gc
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def process_rss_bytes() -> int:
    """Return this process's resident set size in bytes (psutil; /proc/self/statm when psutil is absent)."""
    try:
        import psutil
    except ImportError:  # psutil ships with the `embedded` extra; edges without it read /proc
        try:
            with open("/proc/self/statm", encoding="ascii") as handle:
                return int(handle.read().split()[1]) * _PAGE_SIZE
        except OSError:
            return 0
    return int(psutil.Process().memory_info().rss)


@dataclass(frozen=True)
class ModelStatus:
    """A snapshot of one LazyModel.

    ``resident_bytes`` is the RSS growth measured around the load (0 when unloaded); ``load_seconds`` the
    wall time of the last load (0.0 before any); ``idle_s`` seconds since the last ``get`` (0.0 when
    unloaded).
    """

    name: str
    version: str
    loaded: bool
    resident_bytes: int
    load_seconds: float
    idle_s: float


_MODELS: weakref.WeakSet[LazyModel[Any]] = weakref.WeakSet()
_MODELS_LOCK = threading.Lock()


class LazyModel(Generic[T]):
    """A model loaded on first ``get()`` and unloaded after ``idle_ttl_s`` seconds without use.

    ``loader`` builds the model (it may raise; the error propagates and the next ``get`` tries again).
    ``idle_ttl_s`` must be > 0 (``math.inf`` keeps the model until ``unload``). Times are
    ``time.monotonic()`` seconds. Thread-safe.
    """

    def __init__(
        self, name: str, version: str, loader: Callable[[], T], *, idle_ttl_s: float = 900.0
    ) -> None:
        """Register the model (not loaded yet); raise ValueError for a non-positive ``idle_ttl_s``."""
        if not idle_ttl_s > 0:
            raise ValueError(f"idle_ttl_s must be > 0, got {idle_ttl_s!r}")
        self.name = name
        self.version = version
        self.idle_ttl_s = float(idle_ttl_s)
        self._loader = loader
        self._lock = threading.Lock()
        self._box: tuple[T] | None = None  # (model,) while loaded
        self.resident_bytes = 0
        self.load_seconds = 0.0
        self.last_used = 0.0
        self.loads = 0
        with _MODELS_LOCK:
            _MODELS.add(self)

    @property
    def loaded(self) -> bool:
        """Return True while the model is resident."""
        return self._box is not None

    def get(self) -> T:
        """Return the model, loading it on first use (one load even with concurrent callers)."""
        box = self._box  # one read: a concurrent unload cannot hand back a half-cleared state
        if box is not None:
            self.last_used = time.monotonic()
            return box[0]
        with self._lock:
            box = self._box
            if box is None:
                before = process_rss_bytes()
                started = time.perf_counter()
                model = self._loader()
                self.load_seconds = time.perf_counter() - started
                self.resident_bytes = max(0, process_rss_bytes() - before)
                box = (model,)
                self._box = box
                self.loads += 1
            self.last_used = time.monotonic()
            return box[0]

    def unload(self) -> None:
        """Drop the model and collect garbage so its memory is released (no-op when not loaded)."""
        with self._lock:
            if self._box is None:
                return
            self._box = None
            self.resident_bytes = 0
        gc.collect()

    def unload_if_idle(self, now: float | None = None) -> bool:
        """Unload when unused for ``idle_ttl_s`` seconds at ``now`` (monotonic); return True if unloaded."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            if self._box is None or moment - self.last_used < self.idle_ttl_s:
                return False
            self._box = None
            self.resident_bytes = 0
        gc.collect()
        return True

    def status(self, now: float | None = None) -> ModelStatus:
        """Return a snapshot of this model's state."""
        moment = time.monotonic() if now is None else now
        loaded = self._box is not None
        return ModelStatus(
            name=self.name,
            version=self.version,
            loaded=loaded,
            resident_bytes=self.resident_bytes if loaded else 0,
            load_seconds=self.load_seconds,
            idle_s=max(0.0, moment - self.last_used) if loaded else 0.0,
        )

    def __repr__(self) -> str:
        """Return a short description for logs."""
        return f"LazyModel({self.name!r}, {self.version!r}, loaded={self.loaded})"


def _alive() -> list[LazyModel[Any]]:
    with _MODELS_LOCK:
        return list(_MODELS)


def loaded_models(now: float | None = None) -> list[ModelStatus]:
    """Return the status of every LazyModel alive in this process (loaded or not), sorted by name."""
    return sorted((model.status(now) for model in _alive()), key=lambda s: (s.name, s.version))


def reap_idle(now: float | None = None) -> list[str]:
    """Unload every model idle for at least its TTL at ``now`` (monotonic); return the names unloaded."""
    return [model.name for model in _alive() if model.unload_if_idle(now)]


def start_idle_reaper(interval_s: float = 60.0) -> threading.Thread:
    """Start a daemon thread calling ``reap_idle`` every ``interval_s`` seconds; return it (started)."""
    if not interval_s > 0:
        raise ValueError(f"interval_s must be > 0, got {interval_s!r}")

    def run() -> None:
        while True:
            time.sleep(interval_s)
            try:
                reap_idle()
            except Exception:  # noqa: S112 - one bad unload must not stop the reaper
                continue

    thread = threading.Thread(target=run, name="financy-model-reaper", daemon=True)
    thread.start()
    return thread


class LoadedModelsCollector:
    """Prometheus collector over ``loaded_models()``; register with ``REGISTRY.register(...)``."""

    def collect(self) -> Iterator[Any]:
        """Yield gauge families for every LazyModel alive in the process."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        labels = ["name", "version"]
        loaded = GaugeMetricFamily("financy_model_loaded", "1 while the model is resident", labels=labels)
        resident = GaugeMetricFamily(
            "financy_model_resident_bytes", "RSS growth measured around the model's load", labels=labels
        )
        seconds = GaugeMetricFamily("financy_model_load_seconds", "Wall time of the last load", labels=labels)
        idle = GaugeMetricFamily(
            "financy_model_idle_seconds", "Seconds since the model was last used", labels=labels
        )
        loads = CounterMetricFamily("financy_model_loads", "Loads since the process started", labels=labels)
        for model in sorted(_alive(), key=lambda m: (m.name, m.version)):
            status = model.status()
            values = [status.name, status.version]
            loaded.add_metric(values, 1.0 if status.loaded else 0.0)
            resident.add_metric(values, float(status.resident_bytes))
            seconds.add_metric(values, status.load_seconds)
            idle.add_metric(values, status.idle_s)
            loads.add_metric(values, float(model.loads))
        yield from (loaded, resident, seconds, idle, loads)


__all__ = [
    "LazyModel",
    "LoadedModelsCollector",
    "ModelStatus",
    "loaded_models",
    "process_rss_bytes",
    "reap_idle",
    "start_idle_reaper",
]
