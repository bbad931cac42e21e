"""The core's background jobs on Celery: the app factory, the jobs, and the beat schedule.

Broker and result backend are the core's Redis (``FINANCY_REDIS_URL``); messages are JSON only
(never pickle). Every job is one :class:`Job` in :data:`JOBS`: its Celery task name, the function
that runs it (a thin call into ``financy.core.service``), how often beat sends it and whether the
worker sends it once at start. Adding a job is adding one entry there.

A job marked ``exclusive`` holds a Redis lock (``financy:lock:<task name>``) while it runs, so two
overlapping runs (a beat tick while the start-up run is still training, two workers) never do the
work at once: the second returns ``{"status": "busy"}`` at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import redis
import structlog
from celery import Celery
from redis.exceptions import LockError
from sqlalchemy import Engine, create_engine

from financy.core.entrypoints.import_jobs import COMMIT_IMPORT, COMMIT_SOFT_LIMIT_S, commit_statement_import
from financy.core.service.training import announce, models_dir, needs_training, publish, retrain_categories
from financy.core.settings import CoreSettings
from financy.runtime.objects import ObjectStore, ObjectStoreError, object_store_from_settings

log = structlog.stdlib.get_logger(__name__)

TRAIN_CATEGORIES = "financy.core.train_categories"
REFRESH_FX = "financy.core.refresh_fx"
DETECT_RECURRING = "financy.core.detect_recurring"
LOCK_PREFIX = "financy:lock:"
#: Seconds a job may run before ``SoftTimeLimitExceeded`` is raised in it (prefork pool).
DEFAULT_SOFT_LIMIT_S = 600.0
#: A job may run this long, in seconds, past its soft limit before the pool kills it.
HARD_LIMIT_MARGIN_S = 60.0

#: What a job returns: JSON-serialisable, ``status`` always set.
JobResult = dict[str, Any]


class JobResources:
    """What one process's jobs share: the settings, a database engine and a Redis client.

    The engine and the client are made on first use (after a pool forks, never before) and
    closed by :meth:`close`.
    """

    def __init__(self, settings: CoreSettings, *, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._owns_engine = engine is None
        self._redis: redis.Redis | None = None
        self._objects: ObjectStore | None = None

    @property
    def objects(self) -> ObjectStore:
        """Return the core's object store (S3 when ``FINANCY_S3__ENDPOINT`` is set, else ``<data_dir>/objects``)."""
        if self._objects is None:
            self._objects = object_store_from_settings(self.settings.s3, self.settings.data_dir / "objects")
        return self._objects

    @property
    def engine(self) -> Engine:
        """Return the SQLAlchemy engine (raises ``RuntimeError`` when no database URL is set)."""
        if self._engine is None:
            self._engine = create_engine(
                self.settings.require_database_url(), pool_pre_ping=True, pool_size=2
            )
        return self._engine

    @property
    def redis(self) -> redis.Redis:
        """Return the Redis client (raises ``RuntimeError`` when no Redis URL is set)."""
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.settings.require_redis_url(), socket_timeout=10)
        return self._redis

    def close(self) -> None:
        """Close the Redis client and dispose of the engine this object made."""
        if self._redis is not None:
            self._redis.close()
            self._redis = None
        if self._engine is not None and self._owns_engine:
            self._engine.dispose()
            self._engine = None


@dataclass(frozen=True, slots=True)
class Job:
    """One background job.

    Attributes:
        name: the Celery task name (stable: messages in the queue carry it).
        run: does the work with the process's resources; returns a JSON-serialisable dict. A job
            sent with keyword arguments (JSON values only, e.g. an import's ids) gets them after
            the resources; the periodic jobs take none.
        every_s: how often beat sends it, in seconds, from the settings; ``None`` (or a function
            returning ``None`` for these settings): never.
        at_start: the worker sends it once when it starts (e.g. a new box's first model).
        exclusive: hold a Redis lock while running; an overlapping run returns ``busy``.
        soft_limit_s: seconds before ``SoftTimeLimitExceeded`` is raised in the job. Only the
            prefork pool enforces limits; on the threads and solo pools the lock's TTL
            (:attr:`hard_limit_s`) is what bounds how long a stuck run keeps the next one out.
    """

    name: str
    run: Callable[..., JobResult]
    every_s: Callable[[CoreSettings], float | None] | None = None
    at_start: bool = False
    exclusive: bool = False
    soft_limit_s: float = DEFAULT_SOFT_LIMIT_S

    @property
    def hard_limit_s(self) -> float:
        """Return the seconds after which the pool kills the job (and the lock expires)."""
        return self.soft_limit_s + HARD_LIMIT_MARGIN_S


def train_categories(resources: JobResources) -> JobResult:
    """Retrain the category model if there is none or users corrected categories since, and announce it.

    Returns ``{"status": "up_to_date"}`` or ``{"status": "trained", "version", "sha256",
    "n_examples", "edges"}`` (the edge ids told on their control streams).

    Raises:
        sqlalchemy.exc.OperationalError, redis.RedisError: the database or Redis is away (the
            next scheduled run tries again).
        ImportError: the ``train`` extra is not installed.
    """
    directory = models_dir(resources.settings.data_dir)
    if not needs_training(resources.engine, directory):
        return {"status": "up_to_date"}
    model = retrain_categories(resources.engine, directory)
    object_key: str | None = None
    try:
        object_key = publish(resources.objects, model)
    except ObjectStoreError as exc:
        # Edges sharing this disk still load it; the others get the next one (or `models pull`).
        log.error("worker.model_not_uploaded", version=model.version, error=str(exc))
    edges = announce(resources.redis, resources.engine, model, object_key=object_key)
    log.info(
        "worker.model_published",
        version=model.version,
        sha256=model.sha256,
        edges=edges,
        object_key=object_key,
    )
    return {
        "status": "trained",
        "version": model.version,
        "sha256": model.sha256,
        "n_examples": model.n_examples,
        "edges": edges,
    }


#: Largest FX file the refresh accepts (the ECB's whole history is ~600 KB zipped, ~3.5 MB as CSV).
FX_MAX_BYTES = 32 * 1024 * 1024


def fetch(url: str, timeout_s: float, max_bytes: int = FX_MAX_BYTES) -> bytes:
    """Return the body at ``url`` (``http(s)://`` or ``file://``), at most ``max_bytes``.

    Raises:
        OSError: the server or file cannot be read (urllib's ``URLError`` is one).
        ValueError: the body is larger than ``max_bytes``.
    """
    from urllib.request import Request, urlopen

    if not url.startswith(("http://", "https://", "file://")):
        raise ValueError("the FX refresh URL must be http://, https:// or file://")
    # The admin's configured URL, of a scheme checked above.
    request = Request(url, headers={"User-Agent": "financy-fx-refresh"})  # noqa: S310
    with urlopen(request, timeout=timeout_s) as response:  # noqa: S310
        body: bytes = response.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise ValueError(f"the FX file at the refresh URL is larger than {max_bytes} bytes")
    return body


def refresh_fx(resources: JobResources) -> JobResult:
    """Fetch ECB rates from ``FINANCY_FX__REFRESH_URL``, upsert them, then value the transactions
    that had no rate.

    Returns ``{"status": "off"}`` when no URL is set, else ``{"status": "refreshed", "rates"
    (parsed), "changed" (rows new or different), "latest" (newest day, ISO), "revalued"}``.

    Raises:
        OSError: the URL cannot be read (the next scheduled run tries again).
        financy.core.adapters.ecb.EcbFormatError: the file is not ECB rates (nothing stored).
    """
    from financy.core.adapters.ecb import load_rates, parse_ecb
    from financy.core.adapters.unit_of_work import SqlAlchemyUnitOfWork
    from financy.core.service.valuation import revalue_unvalued

    fx = resources.settings.fx
    if not fx.refresh_url:
        return {"status": "off"}
    rates = parse_ecb(fetch(fx.refresh_url, fx.refresh_timeout_s))
    with resources.engine.begin() as conn:
        changed = load_rates(conn, rates)
    with SqlAlchemyUnitOfWork(resources.engine) as uow:
        revalued = revalue_unvalued(uow)
        uow.commit()
    latest = max(r.rate_date for r in rates)
    log.info(
        "worker.fx_refreshed", rates=len(rates), changed=changed, latest=latest.isoformat(), revalued=revalued
    )
    return {
        "status": "refreshed",
        "rates": len(rates),
        "changed": changed,
        "latest": latest.isoformat(),
        "revalued": revalued,
    }


def detect_recurring(resources: JobResources, now: dt.datetime | None = None) -> JobResult:
    """Find every ledger's recurring series again and send the price changes of confirmed ones
    and the renewal reminders due, one
    ledger per transaction (``service.recurring``); the reminders go out through the outbox and,
    at once, to the edges' reply streams (the ingest's outbox sweep sends them if Redis is away).
    ``now`` (aware; default: the clock's) gives each ledger's "today" in its time zone.

    Returns ``{"status": "detected", "contexts", "series", "reminders", "price_changes"}`` (the
    last two: messages queued).

    Raises:
        sqlalchemy.exc.OperationalError: the database is away (the next scheduled run tries again).
    """
    from financy.core.adapters.outbox import mark_published, send_messages
    from financy.core.adapters.unit_of_work import SqlAlchemyUnitOfWork
    from financy.core.domain.recurring_commands import RefreshRecurring
    from financy.core.service.bootstrap import bootstrap
    from financy.core.service.recurring import LOOKBACK_DAYS

    now = now or dt.datetime.now(dt.UTC)
    bus = bootstrap(engine=resources.engine)
    with SqlAlchemyUnitOfWork(resources.engine) as uow:
        contexts = uow.recurring.contexts_to_scan(now.date() - dt.timedelta(days=LOOKBACK_DAYS + 1))
    days = resources.settings.recurring.remind_days_before
    series = reminders = changes = 0
    for context_id in contexts:
        batch = bus.handle_many([RefreshRecurring(context_id, now, days)])
        counts = batch.results[0]
        series += counts["series"]
        reminders += counts["reminders"]
        changes += counts["price_changes"]
        if batch.outbox_messages:
            try:
                send_messages(resources.redis, batch.outbox_messages)
                with resources.engine.begin() as conn:
                    mark_published(conn, batch.outbox_ids)
            except (redis.RedisError, RuntimeError) as exc:  # left to the outbox sweep
                log.warning("worker.reminders_not_sent", error=str(exc), context_id=str(context_id))
    log.info(
        "worker.recurring_detected",
        contexts=len(contexts),
        series=series,
        reminders=reminders,
        price_changes=changes,
    )
    return {
        "status": "detected",
        "contexts": len(contexts),
        "series": series,
        "reminders": reminders,
        "price_changes": changes,
    }


INDEX_SEARCH = "financy.core.index_search"


def index_search(resources: JobResources) -> JobResult:
    """Send the transactions changed since the last run to OpenSearch (``FINANCY_OPENSEARCH_URL``).

    Returns ``{"status": "off"}`` without an OpenSearch URL, else
    :func:`financy.core.adapters.search.opensearch.index_changes`'s ``{"status": "indexed",
    "documents", "deleted", "watermark", "created"}``.

    Raises:
        opensearchpy.exceptions.OpenSearchException: OpenSearch refused or did not answer (the
            watermark stays; the next run sends the same documents again).
    """
    from financy.core.adapters.search.opensearch import client_from_settings, index_changes

    settings = resources.settings
    if not settings.opensearch_url:
        return {"status": "off"}
    client = client_from_settings(settings)
    try:
        result = index_changes(resources.engine, client, settings.opensearch_index)
    finally:
        client.close()
    log.info("worker.search_indexed", **{k: v for k, v in result.items() if k != "status"})
    return result


#: Every job of the core, in one place: a task plus, if it repeats, its beat schedule entry.
JOBS: tuple[Job, ...] = (
    Job(
        TRAIN_CATEGORIES,
        train_categories,
        every_s=lambda settings: settings.train_interval_s,
        at_start=True,
        exclusive=True,
    ),
    Job(
        REFRESH_FX,
        refresh_fx,
        # In beat's schedule only when a refresh URL is set.
        every_s=lambda settings: settings.fx.refresh_interval_s if settings.fx.refresh_url else None,
        exclusive=True,
        soft_limit_s=300.0,
    ),
    Job(
        DETECT_RECURRING,
        detect_recurring,
        every_s=lambda settings: settings.recurring.interval_s,
        exclusive=True,
    ),
    # Sent by POST /imports/{id}/commit with the context, import and actor ids; never scheduled.
    Job(COMMIT_IMPORT, commit_statement_import, soft_limit_s=COMMIT_SOFT_LIMIT_S),
    Job(
        INDEX_SEARCH,
        index_search,
        # In beat's schedule only when OpenSearch is the search backend.
        every_s=lambda settings: settings.opensearch_index_interval_s if settings.opensearch_url else None,
        exclusive=True,
        soft_limit_s=300.0,
    ),
)


def celery_broker_url(redis_url: str) -> str:
    """Return ``redis_url`` as Celery/kombu spell it.

    ``unix:///path/redis.sock?db=N`` (redis-py's socket form, what the single box's embedded
    Redis gives) becomes ``redis+socket:///path/redis.sock?virtual_host=N`` (a password in the
    URL is kept); ``redis://`` and ``rediss://`` URLs are returned unchanged.

    Raises:
        ValueError: ``redis_url`` is neither a ``redis://``, ``rediss://`` nor ``unix://`` URL.
    """
    parts = urlsplit(redis_url)
    if parts.scheme in ("redis", "rediss"):
        return redis_url
    if parts.scheme != "unix":
        raise ValueError(f"not a Redis URL (redis://, rediss:// or unix://): {parts.scheme}://…")
    if not parts.path:
        raise ValueError("a unix:// Redis URL needs the socket's path")
    query = urlencode(
        [("virtual_host", value) if key == "db" else (key, value) for key, value in parse_qsl(parts.query)]
    )
    # Built by hand: urlunsplit drops the "//" of an empty authority (redis+socket:/path).
    return f"redis+socket://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")


def beat_schedule_path(data_dir: Path) -> Path:
    """Return the file where beat keeps when each entry last ran (``<data_dir>/celery/beat-schedule``)."""
    return data_dir / "celery" / "beat-schedule"


def lock_name(job: Job) -> str:
    """Return the Redis key of ``job``'s lock."""
    return LOCK_PREFIX + job.name


def _task_body(job: Job, resources: JobResources, log_context: dict[str, Any]) -> Callable[..., JobResult]:
    def body(**arguments: Any) -> JobResult:
        # Pool threads do not inherit the process's log context (service, pid): give it to them.
        structlog.contextvars.bind_contextvars(**log_context, job=job.name)
        if not job.exclusive:
            return job.run(resources, **arguments)
        lock = resources.redis.lock(lock_name(job), timeout=job.hard_limit_s, blocking=False)
        if not lock.acquire():
            log.info("worker.job_busy", job=job.name)
            return {"status": "busy"}
        try:
            return job.run(resources, **arguments)
        finally:
            # The lock may have expired under a run slower than its limit; nothing to release then.
            with contextlib.suppress(LockError):
                lock.release()

    body.__name__ = body.__qualname__ = job.name.rsplit(".", 1)[-1]
    return body


def create_app(
    settings: CoreSettings, resources: JobResources | None = None, *, jobs: Sequence[Job] = JOBS
) -> Celery:
    """Return the core's Celery app for ``settings``, with ``jobs`` as tasks and beat entries.

    ``resources`` (default: made from ``settings``) is what the tasks run with; the caller closes it.
    Broker and result backend are ``settings.redis_url`` (see :func:`celery_broker_url`).

    Raises:
        RuntimeError: ``FINANCY_REDIS_URL`` is not set.
        ValueError: it is not a Redis URL.
    """
    url = celery_broker_url(settings.require_redis_url())
    shared = resources or JobResources(settings)
    app = Celery("financy", broker=url, backend=url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        event_serializer="json",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=settings.worker_concurrency,
        worker_pool=settings.worker_pool,
        task_soft_time_limit=DEFAULT_SOFT_LIMIT_S,
        task_time_limit=DEFAULT_SOFT_LIMIT_S + HARD_LIMIT_MARGIN_S,
        result_expires=24 * 3600,
        # Longer than any job may run, or Redis hands an unacknowledged job to a second worker.
        broker_transport_options={"visibility_timeout": 3600},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            job.name: {
                "task": job.name,
                "schedule": every,
                # A tick nobody ran before the next one is worthless: do not let them pile up.
                "options": {"expires": every},
            }
            for job in jobs
            if job.every_s is not None and (every := job.every_s(settings)) is not None
        },
    )
    log_context = structlog.contextvars.get_contextvars()
    for job in jobs:
        app.task(
            name=job.name,
            soft_time_limit=job.soft_limit_s,
            time_limit=job.hard_limit_s,
            acks_late=True,
            # Not shared: a shared task is added to every Celery app made later in the process.
            shared=False,
        )(_task_body(job, shared, log_context))
    return app


def send_start_jobs(app: Celery, jobs: Sequence[Job] = JOBS) -> list[str]:
    """Queue each job marked ``at_start`` once; return their task ids.

    Raises:
        kombu.exceptions.OperationalError: the broker is away.
    """
    ids: list[str] = []
    for job in jobs:
        if job.at_start:
            ids.append(str(app.send_task(job.name, expires=job.hard_limit_s).id))
    return ids
