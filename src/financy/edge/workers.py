"""Edge workers: voice notes and photos are read by RQ jobs on the edge's own Redis.

``financy edge worker`` runs one RQ worker process (start several to read in parallel; the
single box starts ``FINANCY_EDGE__WORKERS`` of them). Each worker keeps its models loaded between
jobs (an RQ ``SimpleWorker``: no fork per job) and unloads them after an idle TTL.

A job names a capture id only; what to read is in the edge outbox's ``media_jobs`` row and the
original in the object store, so a job lost with its Redis (or a worker killed mid-job) is
queued again by the edge's sweeper (:class:`MediaSweeper`) and read again; the capture is put
in the outbox exactly once (:meth:`EdgeOutbox.finish_media`). After ``job_attempts`` starts a
job gives up and the user is told ("media_failed"), the original kept.

Jobs are JSON on the queue (RQ's :class:`~rq.serializers.JSONSerializer` on both the queue and
the workers): never pickle, so nothing in Redis can run code in a worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import redis
import structlog

from financy.core.contracts.v1 import CaptureV1
from financy.edge.outbox.store import DONE, RECEIVING, EdgeOutbox
from financy.edge.pipeline.media import MediaJob, MediaReader
from financy.edge.pipeline.steps import Outcome, RetryLater
from financy.edge.pipeline.understand import RankCategories
from financy.edge.settings import EdgeSettings
from financy.runtime.objects import ObjectStore, ObjectStoreError

log = structlog.stdlib.get_logger(__name__)

#: Seconds an RQ job's result and a worker's status are kept in Redis.
RESULT_TTL_S = 600
STATUS_TTL_S = 120


def queue_name(edge_id: str) -> str:
    """Return the RQ queue of ``edge_id``'s media jobs."""
    return f"financy-edge-{edge_id}-media"


def workers_key(edge_id: str) -> str:
    """Return the Redis hash where ``edge_id``'s workers publish their status (pid, RSS, models)."""
    return f"financy:edge:{edge_id}:workers"


def sync_redis(url: str) -> redis.Redis:
    """Return a synchronous Redis client for RQ (``redis://``, ``rediss://`` or ``unix://`` URL)."""
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=3)


def media_queue(client: redis.Redis, edge_id: str) -> Any:
    """Return ``edge_id``'s RQ media queue, its jobs serialised as JSON (never pickle)."""
    from rq import Queue
    from rq.serializers import JSONSerializer

    return Queue(queue_name(edge_id), connection=client, serializer=JSONSerializer)


class MediaQueue:
    """Puts media jobs on the edge's RQ queue (synchronous: call it from a thread in async code)."""

    def __init__(self, client: redis.Redis, edge_id: str, *, job_timeout_s: int) -> None:
        self.queue = media_queue(client, edge_id)
        self.job_timeout_s = job_timeout_s

    def enqueue(self, capture_id: str) -> None:
        """Queue the reading of ``capture_id`` (raises ``redis.RedisError`` when the queue is away)."""
        self.queue.enqueue_call(
            "financy.edge.workers.process_media",
            args=(capture_id,),
            job_id=f"media-{capture_id}-{time.time_ns()}",
            timeout=self.job_timeout_s,
            result_ttl=RESULT_TTL_S,
            failure_ttl=86400,
        )


@dataclass
class MediaRunner:
    """Reads one media job into a capture in the outbox (what an RQ job of this edge does)."""

    settings: EdgeSettings
    outbox: EdgeOutbox
    store: ObjectStore
    reader: MediaReader

    def run(self, capture_id: str) -> str:
        """Read ``capture_id``'s original and put its capture in the outbox; return the outcome.

        Outcomes: ``"done"``, ``"already_done"``, ``"unknown"`` (no such job), ``"failed"`` (a reader
        raised: the user is told at once), ``"gave_up"`` (started ``job_attempts`` times without
        finishing: the worker died each time). Raises :class:`ObjectStoreError` when the store is
        unavailable (RQ records the failure; the sweeper queues the job again).
        """
        row = self.outbox.media_job(capture_id)
        if row is None:
            return "unknown"
        if row.state == DONE:
            return "already_done"
        job = MediaJob.model_validate_json(row.payload)
        starts = self.outbox.start_media(capture_id)
        if starts > self.settings.edge.job_attempts:
            self._finish(job, self.reader.failed(job))
            log.error("media.gave_up", capture_id=capture_id, starts=starts)
            return "gave_up"
        started = time.perf_counter()
        try:
            merchants = self.outbox.recent_merchants(job.platform, job.chat_id, job.sender_id)
        except Exception:
            log.exception("media.merchants_failed", capture_id=capture_id)
            merchants = []
        draft = self.reader.draft(job, merchants=merchants)
        try:
            asyncio.run(self.reader.read_draft(draft, self.store))
        except RetryLater as exc:
            if isinstance(exc.__cause__, ObjectStoreError):
                raise exc.__cause__ from None
            raise
        steps = [
            (r.step, r.outcome.value, r.reason) for r in draft.results if r.outcome is not Outcome.SKIPPED
        ]
        fetched = draft.result_of("fetch_media")
        if fetched is not None and fetched.outcome is Outcome.STOPPED:
            self._finish(job, self.reader.failed(job, "media_missing"))
            log.warning("media.missing", capture_id=capture_id, key=job.media.key)
            return "gave_up"
        if draft.failures:
            # A file the readers choke on does so every time: tell the user now, keep the original.
            log.error("media.read_failed", capture_id=capture_id, kind=job.kind, steps=steps)
            self._finish(job, self.reader.failed(job))
            return "failed"
        capture = self.reader.capture_of(draft)
        self._finish(job, capture)
        understanding = capture.understanding
        log.info(
            "media.read",
            capture_id=capture_id,
            kind=job.kind,
            seconds=round(time.perf_counter() - started, 3),
            intent=understanding.intent.value if understanding else None,
            problem=understanding.problem if understanding else None,
            steps=steps,
        )
        return "done"

    def _finish(self, job: MediaJob, capture: CaptureV1) -> None:
        self.outbox.finish_media(str(job.capture_id), job.idempotency_key, capture.model_dump_json())


def build_reader(
    settings: EdgeSettings, categorize: RankCategories | None, outbox: EdgeOutbox | None = None
) -> MediaReader:
    """Return the media reader for ``settings``: speech backend, OCR engines and limits, models lazy
    (with ``outbox``, a spoken bare amount completes the sender's earlier "how much?")."""
    from financy.inference.registry import ModelRegistry
    from financy.inference.speech import SpeechError, SpeechLimits, make_transcriber
    from financy.inference.vision.image import ImageError, ImageLimits
    from financy.inference.vision.ocr import make_engines
    from financy.inference.vision.receipt import read_receipt

    edge = settings.edge
    # FINANCY_MODELS_DIR, else <data_dir>/models: where whisper-base is joined and pulled models live.
    registry = ModelRegistry.default(
        None if os.environ.get("FINANCY_MODELS_DIR") else settings.data_dir / "models"
    )
    limits = SpeechLimits(max_bytes=edge.max_media_bytes, max_duration_s=edge.max_audio_s)
    speech_options: dict[str, Any] = {"limits": limits}
    if edge.speech_backend == "vosk":
        speech_options["model"] = edge.vosk_model
        speech_options["grammar"] = _amount_grammar(edge.language) if edge.vosk_grammar else None
    else:
        speech_options["default_language"] = edge.language
    transcriber = make_transcriber(edge.speech_backend, registry, **speech_options)
    engines = make_engines([n.strip() for n in edge.ocr_engines.split(",") if n.strip()], registry)
    image_limits = ImageLimits(max_bytes=edge.max_media_bytes)

    def receipt(data: bytes, language: str, currency: str) -> Any:
        return read_receipt(data, engines=engines, language=language, currency=currency, limits=image_limits)

    return MediaReader(
        time_zone=edge.time_zone,
        language=edge.language,
        currency=edge.currency,
        transcriber=transcriber,
        read_receipt=receipt,
        categorize=categorize,
        audio_error=SpeechError,
        image_error=ImageError,
        outbox=outbox,
    )


def _amount_grammar(language: str) -> list[str]:
    """Return a small Vosk grammar of spoken amounts and expense words in ``language``."""
    if language == "en":
        units = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twenty"]
        return [*units, "dollars", "cents", "and", "for", "lunch", "groceries", "uber", "[unk]"]
    units = ["um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez", "vinte"]
    return [*units, "reais", "real", "centavos", "e", "no", "mercado", "almoço", "uber", "[unk]"]


class _ProcessRunner:
    """The one runner of a worker process (built on its first job, or by :func:`run_worker`)."""

    def __init__(self) -> None:
        self.runner: MediaRunner | None = None
        self.lock = threading.Lock()

    def get(self) -> MediaRunner:
        with self.lock:
            if self.runner is None:
                self.runner = make_runner(EdgeSettings())
            return self.runner


_PROCESS = _ProcessRunner()


def make_runner(settings: EdgeSettings) -> MediaRunner:
    """Return a runner for ``settings`` (outbox file, object store, reader with the category model)."""
    from financy.edge.models import EdgeCategorizer
    from financy.edge.store import edge_object_store

    categorizer = EdgeCategorizer(settings.models_dir)
    outbox = EdgeOutbox(settings.edge_dir / "outbox.sqlite3")
    return MediaRunner(
        settings=settings,
        outbox=outbox,
        store=edge_object_store(settings, settings.media_store()),
        reader=build_reader(settings, categorizer.ranked, outbox),
    )


def process_media(capture_id: str) -> str:
    """RQ job: read the voice note or photo of ``capture_id`` (see :meth:`MediaRunner.run`)."""
    return _PROCESS.get().run(capture_id)


def worker_status(name: str) -> dict[str, Any]:
    """Return this worker process's status: pid, RSS bytes and every model it holds."""
    from financy.inference.base import loaded_models, process_rss_bytes

    return {
        "name": name,
        "pid": os.getpid(),
        "rss_bytes": process_rss_bytes(),
        "updated_at": time.time(),
        "models": [
            {
                "name": m.name,
                "version": m.version,
                "loaded": m.loaded,
                "resident_bytes": m.resident_bytes,
                "load_seconds": round(m.load_seconds, 3),
            }
            for m in loaded_models()
        ],
    }


def _publish_status(client: redis.Redis, edge_id: str, name: str, stop: threading.Event) -> None:
    from financy.inference.base import reap_idle

    while not stop.is_set():
        with suppress(redis.RedisError, OSError):
            for unloaded in reap_idle():
                log.info("model.unloaded_idle", model=unloaded)
            key = workers_key(edge_id)
            client.hset(key, name, json.dumps(worker_status(name)))
            client.expire(key, STATUS_TTL_S)
        stop.wait(10.0)


def run_worker(settings: EdgeSettings, *, burst: bool = False) -> int:
    """Run one RQ worker for this edge's media queue until SIGTERM (or the queue is empty with ``burst``)."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    client = sync_redis(settings.queue_url())
    runner = _PROCESS.runner = make_runner(settings)
    name = f"edge-{settings.edge.id}-{socket.gethostname()}-{os.getpid()}"
    stop = threading.Event()
    publisher = threading.Thread(
        target=_publish_status, args=(client, settings.edge.id, name, stop), name="status", daemon=True
    )
    publisher.start()
    worker = SimpleWorker(
        [media_queue(client, settings.edge.id)], name=name, connection=client, serializer=JSONSerializer
    )
    log.info(
        "edge.worker_started", worker=name, queue=queue_name(settings.edge.id), store=runner.store.describe()
    )
    try:
        worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
    finally:
        stop.set()
        with suppress(redis.RedisError, OSError):
            client.hdel(workers_key(settings.edge.id), name)
        runner.outbox.close()
    return 0


class MediaSweeper:
    """Queues again media jobs whose worker went away; drops claims whose original never arrived.

    Runs in the edge's HTTP process every ``interval_s`` seconds. A job untouched for
    ``job_timeout_s`` (plus a margin) is queued again; the runner gives up after ``job_attempts``.
    """

    def __init__(
        self,
        outbox: EdgeOutbox,
        store: ObjectStore,
        queue: MediaQueue,
        *,
        job_timeout_s: int,
        interval_s: float = 15.0,
        margin_s: float = 5.0,
    ) -> None:
        self.outbox = outbox
        self.store = store
        self.queue = queue
        self.job_timeout_s = job_timeout_s
        self.interval_s = interval_s
        self.margin_s = margin_s
        self.requeued = 0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask :meth:`run` to return."""
        self._stopping.set()

    def sweep(self) -> int:
        """Queue stale jobs again (synchronous); return how many were queued."""
        count = 0
        for row in self.outbox.stale_media(self.job_timeout_s + self.margin_s):
            job = MediaJob.model_validate_json(row.payload)
            if row.state == RECEIVING:
                # The intake died between claiming and storing: keep the job only if the file made it.
                if not self.store.exists(job.media.key):
                    self.outbox.release_media(row.capture_id)
                    continue
                self.outbox.media_stored(row.capture_id)
            try:
                self.queue.enqueue(row.capture_id)
            except (redis.RedisError, OSError) as exc:
                log.warning("media.requeue_failed", capture_id=row.capture_id, error=str(exc))
                break
            self.outbox.touch_media(row.capture_id)
            count += 1
            log.warning("media.requeued", capture_id=row.capture_id, starts=row.attempts)
        self.requeued += count
        return count

    async def run(self) -> None:
        """Sweep until :meth:`stop`."""
        while not self._stopping.is_set():
            try:
                await asyncio.to_thread(self.sweep)
            except (ObjectStoreError, redis.RedisError, OSError) as exc:
                log.warning("media.sweep_failed", error=str(exc))
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval_s)
