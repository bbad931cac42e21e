"""Where a statement import's commit job says how far it got: one Redis hash per import.

The commit of an import runs as one Celery job in one database transaction, so nothing of it is
visible in PostgreSQL until it is done; its progress lives beside it in Redis, where the API reads
it. Key ``financy:import:{import_id}:job`` (a hash, kept :data:`PROGRESS_TTL_S` seconds after its
last change) with ``job_id``, ``status`` (:data:`QUEUED`, :data:`RUNNING`, :data:`COMMITTED`,
:data:`FAILED`), ``done`` and ``total`` (lines), ``counts`` (JSON, once committed), ``error_code``
and ``error`` (once failed) and ``updated_at`` (ISO 8601, UTC).

The import's own state stays in PostgreSQL (``statement_imports.status``: previewed, committed,
undone): a lost or expired key loses only the progress, never the import. :meth:`claim` makes
one job per import at a time: a second commit while one is queued or running (or done) is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis, WatchError

from financy.runtime.logging import get_logger

QUEUED, RUNNING, COMMITTED, FAILED = "queued", "running", "committed", "failed"
#: A job in one of these states holds its import: another commit is refused.
HOLDING = frozenset({QUEUED, RUNNING, COMMITTED})
#: Seconds a job's progress is kept after its last change (as long as Celery keeps its result).
PROGRESS_TTL_S = 24 * 3600
_PREFIX = "financy:import:"

log = get_logger(__name__)


def progress_key(import_id: uuid.UUID) -> str:
    """Return the Redis key of ``import_id``'s job progress."""
    return f"{_PREFIX}{import_id}:job"


@dataclass(frozen=True, slots=True)
class JobProgress:
    """How far the commit job of an import got (``done`` of ``total`` lines)."""

    job_id: str
    status: str
    done: int = 0
    total: int = 0
    counts: Mapping[str, int] | None = None
    error_code: str | None = None
    error: str | None = None
    updated_at: dt.datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """Return ``{"id", "status", "done", "total", "counts", "error", "updated_at"}``; ``error``
        is ``{"code", "message"}`` or ``None``."""
        return {
            "id": self.job_id,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "counts": None if self.counts is None else dict(self.counts),
            "error": None
            if self.error_code is None
            else {"code": self.error_code, "message": self.error or self.error_code},
            "updated_at": None if self.updated_at is None else self.updated_at.isoformat(),
        }


def _decode(raw: Mapping[bytes, bytes]) -> JobProgress | None:
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    if "job_id" not in fields or "status" not in fields:
        return None
    counts = fields.get("counts")
    updated = fields.get("updated_at")
    return JobProgress(
        job_id=fields["job_id"],
        status=fields["status"],
        done=int(fields.get("done") or 0),
        total=int(fields.get("total") or 0),
        counts=None if not counts else {k: int(v) for k, v in json.loads(counts).items()},
        error_code=fields.get("error_code") or None,
        error=fields.get("error") or None,
        updated_at=dt.datetime.fromisoformat(updated) if updated else None,
    )


class ImportProgress:
    """The progress of statement import jobs in ``redis`` (see the module)."""

    def __init__(
        self, redis: Redis, *, ttl_s: int = PROGRESS_TTL_S, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.redis = redis
        self.ttl_s = ttl_s
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def get(self, import_id: uuid.UUID) -> JobProgress | None:
        """Return the import's job progress, or ``None`` (no job, or its progress expired)."""
        raw: dict[bytes, bytes] = self.redis.hgetall(progress_key(import_id))  # type: ignore[assignment]
        return _decode(raw)

    def get_many(self, import_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, JobProgress]:
        """Return the job progress of each of ``import_ids`` that has one."""
        with self.redis.pipeline(transaction=False) as pipe:
            for import_id in import_ids:
                pipe.hgetall(progress_key(import_id))
            found = pipe.execute()
        out: dict[uuid.UUID, JobProgress] = {}
        for import_id, raw in zip(import_ids, found, strict=True):
            progress = _decode(raw)
            if progress is not None:
                out[import_id] = progress
        return out

    def claim(self, import_id: uuid.UUID, job_id: str, total: int) -> JobProgress | None:
        """Record a new job ``job_id`` (queued, ``total`` lines) for the import, unless one holds it.

        Returns ``None`` when claimed, else the progress of the job that holds the import (queued,
        running or committed). A failed job's progress is replaced.
        """
        key = progress_key(import_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                    current = _decode(pipe.hgetall(key))  # type: ignore[arg-type]
                    if current is not None and current.status in HOLDING:
                        pipe.unwatch()
                        return current
                    pipe.multi()
                    pipe.delete(key)
                    pipe.hset(key, mapping=self._fields(job_id=job_id, status=QUEUED, done=0, total=total))
                    pipe.expire(key, self.ttl_s)
                    pipe.execute()
                    return None
                except WatchError:  # the key changed between the read and the write: read again
                    log.debug("import_progress.claim_retry", import_id=str(import_id))

    def release(self, import_id: uuid.UUID, job_id: str) -> None:
        """Forget ``job_id``'s claim (its message could not be queued), if it still holds the import."""
        key = progress_key(import_id)
        current = self.get(import_id)
        if current is not None and current.job_id == job_id:
            self.redis.delete(key)

    def update(self, import_id: uuid.UUID, job_id: str, status: str, **fields: Any) -> None:
        """Set the job's ``status`` and any of ``done``, ``total``, ``counts``, ``error_code``,
        ``error``; the key's time to live starts again."""
        key = progress_key(import_id)
        values = self._fields(job_id=job_id, status=status, **fields)
        with self.redis.pipeline() as pipe:
            pipe.hset(key, mapping=values)
            if status != FAILED:
                pipe.hdel(key, "error_code", "error")
            pipe.expire(key, self.ttl_s)
            pipe.execute()

    def _fields(self, **fields: Any) -> dict[Any, Any]:
        out: dict[Any, Any] = {"updated_at": self._clock().isoformat()}
        for name, value in fields.items():
            if value is None:
                continue
            out[name] = json.dumps(dict(value)) if name == "counts" else str(value)
        return out
