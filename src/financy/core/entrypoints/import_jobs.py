"""The commit of a statement import as one Celery job, and how the API sends it.

``POST /api/v1/contexts/{id}/imports/{import_id}/commit`` claims the import's progress key in
Redis (:class:`~financy.core.adapters.import_progress.ImportProgress`: one job per import at a
time) and sends :data:`COMMIT_IMPORT` with ``{"context_id", "import_id", "actor_id"}`` (UUID
strings: JSON only) and the job id as the Celery task id. A core worker
(:mod:`financy.core.entrypoints.tasks`) runs :func:`commit_statement_import`: the
:class:`~financy.core.domain.import_commands.CommitImport` command through the message bus, in one
database transaction, telling Redis how many lines are settled as it goes; then ``committed`` with
the counts, or ``failed`` with the error (nothing was written: the transaction rolled back).
``GET /imports/{import_id}`` shows that progress beside the import.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import structlog
from celery import Celery

from financy.core.adapters.import_progress import (
    COMMITTED,
    FAILED,
    QUEUED,
    RUNNING,
    ImportProgress,
    JobProgress,
)
from financy.core.domain.errors import FinancyError
from financy.core.domain.import_commands import CommitImport
from financy.core.domain.statements import ImportStateError
from financy.core.settings import CoreSettings

if TYPE_CHECKING:
    from financy.core.entrypoints.tasks import JobResources

log = structlog.stdlib.get_logger(__name__)

#: The Celery task name of an import's commit (stable: queued messages carry it).
COMMIT_IMPORT = "financy.core.commit_import"
#: Seconds a commit may run before it is stopped (and rolled back); well under the broker's
#: visibility timeout (3600 s), or Redis would hand the job to a second worker while it runs.
COMMIT_SOFT_LIMIT_S = 1800.0
#: The message a failed commit shows when the cause is ours, not the import's.
INTERNAL_FAILURE = "the commit failed and nothing was written; commit the import again"


def _task_id(fallback: str) -> str:
    from celery import current_task

    request = getattr(current_task, "request", None)
    task_id = getattr(request, "id", None)
    return str(task_id) if task_id else fallback


def commit_statement_import(
    resources: JobResources, *, context_id: str, import_id: str, actor_id: str
) -> dict[str, Any]:
    """Commit the previewed import ``import_id`` of ``context_id`` as ``actor_id`` (UUID strings).

    Returns ``{"status": "committed", "import_id", "counts"}`` or, when the import or the actor's
    role refuses it, ``{"status": "failed", "import_id", "error": {"code", "message"}}`` (such a
    refusal is not retried: it would refuse again). The progress key says the same.

    Raises:
        ValueError: an id is not a UUID (a message not sent by the API).
        Exception: anything else the commit met (database away, time limit): progress says
            ``failed`` with ``internal_error`` and nothing was written.
    """
    from financy.core.service.bootstrap import bootstrap
    from financy.core.views.imports import import_record

    context, imported, actor = uuid.UUID(context_id), uuid.UUID(import_id), uuid.UUID(actor_id)
    progress = ImportProgress(resources.redis)
    claimed = progress.get(imported)
    job_id = _task_id(claimed.job_id if claimed is not None else "direct")
    progress.update(imported, job_id, RUNNING, done=0, total=claimed.total if claimed else None)

    def report(done: int, total: int) -> None:
        progress.update(imported, job_id, RUNNING, done=done, total=total)

    bus = bootstrap(engine=resources.engine)
    try:
        counts: dict[str, int] = bus.handle(CommitImport(actor, context, imported, progress=report))
    except ImportStateError as exc:
        with resources.engine.connect() as conn:
            record = import_record(conn, context, imported)
        if record is not None and record.status == "committed" and claimed is not None:
            # A message delivered again after its worker was lost past the commit: it is done.
            total = sum(record.counts.values())
            progress.update(imported, job_id, COMMITTED, done=total, total=total, counts=record.counts)
            return {"status": COMMITTED, "import_id": import_id, "counts": record.counts}
        return _refused(progress, imported, job_id, exc)
    except FinancyError as exc:
        return _refused(progress, imported, job_id, exc)
    except Exception:
        progress.update(imported, job_id, FAILED, error_code="internal_error", error=INTERNAL_FAILURE)
        log.exception("worker.import_failed", import_id=import_id)
        raise
    total = sum(counts.values())
    progress.update(imported, job_id, COMMITTED, done=total, total=total, counts=counts)
    log.info("worker.import_committed", import_id=import_id, context_id=context_id, counts=counts)
    return {"status": COMMITTED, "import_id": import_id, "counts": counts}


def _refused(
    progress: ImportProgress, import_id: uuid.UUID, job_id: str, exc: FinancyError
) -> dict[str, Any]:
    progress.update(import_id, job_id, FAILED, error_code=exc.key, error=str(exc))
    log.info("worker.import_refused", import_id=str(import_id), error=exc.key, message=str(exc))
    return {"status": FAILED, "import_id": str(import_id), "error": {"code": exc.key, "message": str(exc)}}


def _sender(settings: CoreSettings) -> Celery:
    """Return a Celery app that only sends (no result backend, nothing registered)."""
    from financy.core.entrypoints.tasks import celery_broker_url

    app = Celery("financy-api", broker=celery_broker_url(settings.require_redis_url()), set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options={"visibility_timeout": 3600},
        # Fail fast (the API answers 503) rather than hold the request while Redis is away.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
        broker_connection_timeout=5,
    )
    return app


def enqueue_commit(
    settings: CoreSettings,
    progress: ImportProgress,
    *,
    context_id: uuid.UUID,
    import_id: uuid.UUID,
    actor_id: uuid.UUID,
    total: int,
) -> tuple[JobProgress, bool]:
    """Queue the commit of ``import_id`` unless a job already holds it.

    Returns ``(progress, True)`` for the new queued job, or ``(its progress, False)`` when a
    queued, running or committed job holds the import (nothing was sent).

    Raises:
        redis.RedisError, kombu.exceptions.OperationalError: Redis is away (nothing is queued).
    """
    job_id = str(uuid.uuid4())
    holding = progress.claim(import_id, job_id, total)
    if holding is not None:
        return holding, False
    app = _sender(settings)
    try:
        app.send_task(
            COMMIT_IMPORT,
            kwargs={"context_id": str(context_id), "import_id": str(import_id), "actor_id": str(actor_id)},
            task_id=job_id,
        )
    except Exception:
        progress.release(import_id, job_id)
        raise
    finally:
        app.close()
    return progress.get(import_id) or JobProgress(job_id, QUEUED, 0, total), True
