"""LazyModel: one load under concurrency, idle unloading, the process-wide list, measured memory."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from financy.inference.base import (
    LazyModel,
    LoadedModelsCollector,
    loaded_models,
    process_rss_bytes,
    reap_idle,
    start_idle_reaper,
)
from financy.inference.registry import ModelRegistry

MANIFEST = Path(__file__).resolve().parents[2] / "models" / "manifest.toml"
MB = 1 << 20


def test_loads_once_under_eight_threads() -> None:
    calls: list[int] = []
    barrier = threading.Barrier(8)

    def loader() -> object:
        calls.append(1)
        time.sleep(0.2)  # long enough for every thread to arrive while the load runs
        return object()

    model = LazyModel("test-once", "1", loader)
    seen: list[object] = []

    def worker() -> None:
        barrier.wait()
        seen.append(model.get())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len(seen) == 8
    assert all(item is seen[0] for item in seen)
    assert model.loaded
    assert model.load_seconds >= 0.2


def test_unload_if_idle_honours_the_ttl() -> None:
    model = LazyModel("test-ttl", "1", lambda: [1, 2, 3], idle_ttl_s=30.0)
    assert not model.unload_if_idle()  # nothing to unload yet
    first = model.get()
    used = model.last_used
    assert not model.unload_if_idle(used + 29.9)
    assert model.status().loaded
    assert model.unload_if_idle(used + 30.0)
    assert not model.status().loaded
    assert model.resident_bytes == 0
    second = model.get()
    assert second == first
    assert second is not first  # really loaded again


def test_loader_errors_propagate_and_the_next_get_retries() -> None:
    attempts: list[int] = []

    def loader() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("disk hiccup")
        return "model"

    model = LazyModel("test-retry", "1", loader)
    with pytest.raises(OSError, match="disk hiccup"):
        model.get()
    assert not model.loaded
    assert model.get() == "model"
    assert len(attempts) == 2


def test_bad_ttl_is_refused() -> None:
    with pytest.raises(ValueError, match="idle_ttl_s"):
        LazyModel("test-bad", "1", object, idle_ttl_s=0)


def test_loaded_models_and_reap_idle() -> None:
    short = LazyModel("test-reap-short", "2", lambda: "a", idle_ttl_s=10.0)
    long = LazyModel("test-reap-long", "3", lambda: "b", idle_ttl_s=math.inf)
    never = LazyModel("test-reap-never", "4", lambda: "c")
    short.get()
    long.get()
    now = time.monotonic()
    statuses = {s.name: s for s in loaded_models(now) if s.name.startswith("test-reap-")}
    assert set(statuses) == {"test-reap-short", "test-reap-long", "test-reap-never"}
    assert statuses["test-reap-short"].loaded
    assert statuses["test-reap-short"].version == "2"
    assert not statuses["test-reap-never"].loaded
    unloaded = [n for n in reap_idle(now + 60.0) if n.startswith("test-reap-")]
    assert unloaded == ["test-reap-short"]
    assert not short.loaded
    assert long.loaded
    assert not never.loaded
    del never  # only weak references are kept
    assert "test-reap-never" not in {s.name for s in loaded_models()}


def test_idle_reaper_thread_unloads() -> None:
    model = LazyModel("test-reaper", "1", lambda: "x", idle_ttl_s=0.05)
    model.get()
    thread = start_idle_reaper(interval_s=0.05)
    assert thread.daemon
    deadline = time.monotonic() + 5.0
    while model.loaded and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not model.loaded


def test_resident_bytes_measures_a_real_allocation_and_unload_releases_it() -> None:
    size = 64 * MB
    model = LazyModel("test-memory", "1", lambda: b"\xff" * size)  # written bytes, so resident
    assert model.resident_bytes == 0
    assert len(model.get()) == size
    assert model.resident_bytes > 0.9 * size
    before = process_rss_bytes()
    model.unload()
    assert model.resident_bytes == 0
    assert before - process_rss_bytes() > 0.9 * size


def test_metrics_collector_exports_model_state() -> None:
    model = LazyModel("test-metrics", "7", lambda: "m")
    model.get()
    registry = CollectorRegistry()
    registry.register(LoadedModelsCollector())
    text = generate_latest(registry).decode()
    assert 'financy_model_loaded{name="test-metrics",version="7"} 1.0' in text
    assert 'financy_model_loads_total{name="test-metrics",version="7"} 1.0' in text
    assert "financy_model_resident_bytes" in text


@pytest.mark.slow
def test_a_real_onnx_model_loads_lazily_from_the_registry(tmp_path: Path) -> None:
    import numpy as np
    import onnxruntime

    det = ModelRegistry.from_manifest(MANIFEST, tmp_path).path("ppocrv5") / "det" / "det.onnx"
    model: LazyModel[Any] = LazyModel(
        "ppocrv5-det",
        "0.0.22",
        lambda: onnxruntime.InferenceSession(str(det), providers=["CPUExecutionProvider"]),
    )
    assert not model.loaded
    session = model.get()
    # (Its RSS share is measured, but in a long test process the allocator may reuse freed pages:
    # the 64 MB allocation test above checks the figure.)
    assert model.loaded
    assert model.load_seconds > 0
    assert [s.name for s in loaded_models() if s.name == "ppocrv5-det" and s.loaded] == ["ppocrv5-det"]
    blank = np.zeros((1, 3, 64, 64), dtype=np.float32)
    (probability,) = session.run(None, {session.get_inputs()[0].name: blank})
    assert probability.shape[-2:] == (64, 64)
    assert float(probability.max()) < 0.5  # a blank page has no text
    model.unload()
    assert not model.loaded
