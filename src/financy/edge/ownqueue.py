"""An enrolled edge's own job queue: an embedded Redis in ``DIR/queue`` and its media workers.

Enrolled edges keep their media-job queue (RQ) in their OWN Redis, never the core's (whose ACL
user for this edge has no rights on RQ's keys anyway). When ``FINANCY_EDGE__QUEUE_REDIS_URL`` is
unset, ``financy edge run`` starts :class:`~financy.runtime.services.EmbeddedRedis` in
``<edge dir>/queue`` and ``FINANCY_EDGE__WORKERS`` ``financy edge worker`` processes against it
(supervised with the box's :class:`~financy.runtime.process.SupervisedChild`: restarted with
backoff, output in ``<edge dir>/logs/edge-worker-N.log``), and stops them, then Redis, on exit.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from financy.runtime.process import ChildSpec, RestartPolicy, SupervisedChild, stop_all
from financy.runtime.services import EmbeddedRedis

log = structlog.stdlib.get_logger(__name__)

QUEUE_URL_VAR = "FINANCY_EDGE__QUEUE_REDIS_URL"
STOP_TIMEOUT_S = 15.0


def own_queue_redis(edge_dir: Path) -> EmbeddedRedis:
    """Return the embedded Redis of the edge whose state is in ``edge_dir`` (``edge_dir/queue/redis``)."""
    return EmbeddedRedis(edge_dir / "queue")


@dataclass
class OwnQueue:
    """The embedded queue Redis plus ``workers`` supervised ``financy edge worker`` processes.

    ``env`` is the workers' environment (the queue URL is added); ``edge_dir`` holds ``queue/``
    and ``logs/``. Use :meth:`start` then :meth:`stop` (or the object as a context manager).
    """

    edge_dir: Path
    workers: int
    env: Mapping[str, str]
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    redis: EmbeddedRedis | None = None
    children: list[SupervisedChild] = field(default_factory=list)
    url: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None

    def start(self) -> str:
        """Start Redis and the workers; return the queue's URL.

        Raises:
            financy.runtime.services.ServiceError: the embedded Redis did not start.
        """
        self.redis = own_queue_redis(self.edge_dir)
        self.url = self.redis.start()
        env = dict(self.env)
        env[QUEUE_URL_VAR] = self.url
        env.setdefault("PYTHONUNBUFFERED", "1")
        logs = self.edge_dir / "logs"
        for n in range(1, self.workers + 1):
            spec = ChildSpec(f"edge-worker-{n}", (sys.executable, "-m", "financy.cli", "edge", "worker"))
            child = SupervisedChild(spec, env, logs / f"{spec.name}.log", self.policy)
            child.start()
            self.children.append(child)
        log.info("edge.own_queue_started", queue=self.url, workers=self.workers, logs=str(logs))
        if self.children:
            self._watcher = threading.Thread(target=self._watch, name="edge-workers", daemon=True)
            self._watcher.start()
        return self.url

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            now = time.monotonic()
            for child in self.children:
                event = child.poll(now)
                if event is None:
                    continue
                if event.crash_loop:
                    log.error(
                        "edge.worker_crash_loop", worker=event.name, code=event.code, log=str(child.log_path)
                    )
                else:
                    log.warning(
                        "edge.worker_exited",
                        worker=event.name,
                        code=event.code,
                        restart_in_s=event.restart_in_s,
                    )

    def stop(self) -> None:
        """Stop the workers (SIGTERM, SIGKILL after 15 s), then the queue Redis (flushing its AOF)."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(5)
            self._watcher = None
        if self.children:
            killed = stop_all(self.children, timeout_s=STOP_TIMEOUT_S)
            for name in killed:
                log.warning("edge.worker_killed", worker=name)
            self.children = []
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
        log.info("edge.own_queue_stopped")

    def __enter__(self) -> OwnQueue:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
