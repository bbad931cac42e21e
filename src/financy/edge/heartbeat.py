"""The edge's heartbeat: every ``heartbeat_interval_s`` a :class:`HeartbeatV1` to the core.

Each beat is one ``XADD`` to ``financy:edge:{id}:heartbeats`` (``MAXLEN ~ 100``: the core needs
only the latest few). It tells the core what this edge runs (software and contract versions,
loaded models), how far behind it is (media jobs waiting on its RQ queue, captures its outbox
has not handed over) and what it runs on (CPUs, memory, GPU). A beat that cannot be sent (the
core's Redis away) is logged at debug level and the next interval tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Callable
from typing import Any, Protocol

import redis.asyncio as aioredis
import redis.exceptions
import structlog

from financy import __version__
from financy.core.contracts.v1 import PAYLOAD_FIELD, SCHEMA_VERSION, HeartbeatV1, ModelUse, heartbeat_stream

log = structlog.stdlib.get_logger(__name__)

#: Heartbeats kept on the stream (approximate trim).
HEARTBEAT_MAXLEN = 100
#: Outbox capacity reported when the settings have none.
DEFAULT_OUTBOX_CAPACITY = 100_000


class _Outbox(Protocol):
    def count_pending(self) -> int: ...


def outbox_depth(outbox: _Outbox) -> int:
    """Return the captures the outbox has not handed over: its ``depth()`` if it has one, else the unsent rows."""
    depth: Callable[[], int] | None = getattr(outbox, "depth", None)
    return int(depth()) if callable(depth) else int(outbox.count_pending())


def memory_bytes() -> int:
    """Return the machine's physical memory in bytes (0 where ``os.sysconf`` cannot tell)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def detect_gpu() -> str | None:
    """Return the GPU's name when ONNX Runtime can use CUDA (``nvidia-smi``'s name if present), else None."""
    try:
        import onnxruntime as ort

        cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    except ImportError:
        cuda = False
    smi = shutil.which("nvidia-smi")
    if smi is not None:
        try:
            out = subprocess.run(  # noqa: S603 - fixed arguments, binary found on PATH
                [smi, "--query-gpu=name", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            return out.splitlines()[0][:200]
    return "CUDA" if cuda else None


class Heartbeat:
    """Sends this edge's :class:`HeartbeatV1` every ``interval_s`` seconds until :meth:`stop`.

    ``models`` returns the loaded models (name, version); ``queue_depth`` the media jobs waiting
    (synchronous: it is called in a thread); ``outbox`` is the edge's outbox.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        edge_id: str,
        outbox: _Outbox,
        models: Callable[[], list[ModelUse]],
        queue_depth: Callable[[], int],
        interval_s: float = 15.0,
        outbox_capacity: int = DEFAULT_OUTBOX_CAPACITY,
        software_version: str = __version__,
    ) -> None:
        self.client = client
        self.edge_id = edge_id
        self.outbox = outbox
        self.models = models
        self.queue_depth = queue_depth
        self.interval_s = interval_s
        self.outbox_capacity = outbox_capacity
        self.software_version = software_version
        self.sent = 0
        self._gpu: str | None = None
        self._gpu_known = False
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask :meth:`run` to return (at once, not after the interval)."""
        self._stopping.set()

    def _queue_depth(self) -> int:
        try:
            return max(0, int(self.queue_depth()))
        except (redis.exceptions.RedisError, OSError) as exc:
            log.debug("heartbeat.queue_depth_unknown", error=str(exc))
            return 0

    async def beat(self) -> HeartbeatV1:
        """Build the heartbeat of this moment (raises nothing but what the outbox file raises)."""
        if not self._gpu_known:
            self._gpu = await asyncio.to_thread(detect_gpu)
            self._gpu_known = True
        return HeartbeatV1(
            edge_id=self.edge_id,
            software_version=self.software_version,
            contract_versions=(SCHEMA_VERSION,),
            models=tuple(self.models()),
            queue_depth=await asyncio.to_thread(self._queue_depth),
            outbox_depth=await asyncio.to_thread(outbox_depth, self.outbox),
            outbox_capacity=self.outbox_capacity,
            cpu_count=os.cpu_count() or 0,
            memory_bytes=memory_bytes(),
            gpu=self._gpu,
            sent_at=dt.datetime.now(dt.UTC),
        )

    async def send(self) -> bool:
        """Send one heartbeat; return whether Redis took it (a failure is logged at debug level)."""
        message = await self.beat()
        fields: dict[Any, Any] = {PAYLOAD_FIELD: message.model_dump_json()}
        try:
            await self.client.xadd(
                heartbeat_stream(self.edge_id), fields, maxlen=HEARTBEAT_MAXLEN, approximate=True
            )
        except (redis.exceptions.RedisError, OSError) as exc:
            log.debug("heartbeat.not_sent", edge_id=self.edge_id, error=str(exc))
            return False
        self.sent += 1
        return True

    async def run(self) -> None:
        """Send a heartbeat now and every ``interval_s`` seconds until :meth:`stop`."""
        while not self._stopping.is_set():
            try:
                await self.send()
            except Exception:
                # The heartbeat must not end the edge: say so and try again next interval.
                log.exception("heartbeat.failed", edge_id=self.edge_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval_s)
