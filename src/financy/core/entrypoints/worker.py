"""``financy core worker``: the core's periodic jobs. Today: retrain and publish the category model.

On start it trains a first model if there is none (a new box), then every
``FINANCY_TRAIN_INTERVAL_S`` seconds it retrains when users have corrected categories since the
current model, and tells the edges. Training runs in a thread; SIGTERM stops the loop between jobs.
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress

import redis
import structlog
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from financy.core.service.training import announce, models_dir, needs_training, retrain_categories
from financy.core.settings import CoreSettings

log = structlog.stdlib.get_logger(__name__)


async def serve_worker(settings: CoreSettings, stopping: asyncio.Event) -> int:
    """Run the periodic jobs until ``stopping`` is set; return the exit status."""
    engine = create_engine(settings.require_database_url(), pool_pre_ping=True, pool_size=2)
    client = redis.Redis.from_url(settings.require_redis_url(), socket_timeout=10)
    directory = models_dir(settings.data_dir)
    log.info("worker.started", models=str(directory), interval_s=settings.train_interval_s)
    while not stopping.is_set():
        try:
            if await asyncio.to_thread(needs_training, engine, directory):
                model = await asyncio.to_thread(retrain_categories, engine, directory)
                edges = await asyncio.to_thread(announce, client, engine, model)
                log.info("worker.model_published", version=model.version, sha256=model.sha256, edges=edges)
        except (OperationalError, redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("worker.dependency_unavailable", error=str(exc))
        except Exception:
            log.exception("worker.job_failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=settings.train_interval_s)
    client.close()
    engine.dispose()
    log.info("worker.stopped")
    return 0


def run_worker(settings: CoreSettings) -> int:
    """Run the worker process until SIGTERM/SIGINT; return the exit status."""

    async def main() -> int:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        return await serve_worker(settings, stopping)

    return asyncio.run(main())
