"""``financy core worker`` and ``financy core beat``: the core's Celery worker and scheduler.

The worker runs the jobs of :mod:`financy.core.entrypoints.tasks` (pool and concurrency from
``FINANCY_WORKER_POOL`` / ``FINANCY_WORKER_CONCURRENCY``) and, when it starts, queues the jobs
that must run at once (a new box trains its first category model). Beat sends each repeating
job on its interval (``FINANCY_TRAIN_INTERVAL_S`` for the category model) and keeps when each
last ran in ``<data_dir>/celery/beat-schedule``. Both stop cleanly on SIGTERM: the worker
finishes the jobs it holds (a warm shutdown), beat saves its schedule.
"""

from __future__ import annotations

import os
import socket

import structlog

from financy.core.entrypoints.tasks import JobResources, beat_schedule_path, create_app, send_start_jobs
from financy.core.settings import CoreSettings

log = structlog.stdlib.get_logger(__name__)


def _allow_root() -> None:
    # Celery refuses to run as root unless told; our messages are JSON only, so the reason it
    # refuses (pickle runs code) does not apply. Containers often run as root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("C_FORCE_ROOT", "1")


def run_worker(settings: CoreSettings) -> int:
    """Run the Celery worker until SIGTERM/SIGINT; return its exit status (0 after a clean stop).

    Raises:
        RuntimeError: ``FINANCY_REDIS_URL`` or ``FINANCY_DATABASE_URL`` is not set.
        kombu.exceptions.OperationalError: Redis does not answer when the start-up jobs are queued.
    """
    settings.require_database_url()
    _allow_root()
    resources = JobResources(settings)
    app = create_app(settings, resources)
    try:
        queued = send_start_jobs(app)
        worker = app.Worker(
            hostname=f"core@{socket.gethostname()}",
            pool_cls=settings.worker_pool,
            concurrency=settings.worker_concurrency,
            loglevel=settings.log_level.upper(),
            without_gossip=True,
            without_mingle=True,
            quiet=True,
        )
        log.info(
            "worker.started",
            pool=settings.worker_pool,
            concurrency=settings.worker_concurrency,
            interval_s=settings.train_interval_s,
            start_jobs=queued,
        )
        worker.start()
        code = int(worker.exitcode or 0)
    finally:
        resources.close()
    log.info("worker.stopped", code=code)
    return code


def run_beat(settings: CoreSettings) -> int:
    """Run Celery beat until SIGTERM/SIGINT (it saves its schedule first); return 0.

    Raises:
        RuntimeError: ``FINANCY_REDIS_URL`` is not set.
    """
    _allow_root()
    schedule = beat_schedule_path(settings.data_dir)
    schedule.parent.mkdir(parents=True, exist_ok=True)
    app = create_app(settings)
    beat = app.Beat(schedule=str(schedule), loglevel=settings.log_level.upper(), quiet=True)
    log.info("beat.started", schedule=str(schedule), entries=sorted(app.conf.beat_schedule))
    try:
        beat.run()
    except SystemExit as exc:  # how beat's SIGTERM handler ends its loop, after saving
        code = exc.code if isinstance(exc.code, int) else 0
    else:
        code = 0
    log.info("beat.stopped", code=code)
    return code
