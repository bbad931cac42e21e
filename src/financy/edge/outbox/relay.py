"""Relay: move captures from the edge outbox to the core's ``financy:captures`` stream.

Woken at once when a capture is stored here, and every quarter second anyway (edge workers
store the captures of voice notes and photos from their own processes). When the core's Redis is
unreachable it backs off (up to ``backoff_max_s``) and keeps the captures on disk; they go out,
in order, as soon as Redis answers again.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import redis.asyncio as aioredis
import redis.exceptions
import structlog

from financy.core.contracts.v1 import CAPTURES_STREAM, PAYLOAD_FIELD
from financy.edge.outbox.store import EdgeOutbox

log = structlog.stdlib.get_logger(__name__)

_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class OutboxRelay:
    """Sends pending captures from ``outbox`` to the core stream on ``client``."""

    def __init__(
        self, outbox: EdgeOutbox, client: aioredis.Redis, *, batch: int = 100, backoff_max_s: float = 5.0
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.batch = batch
        self.backoff_max_s = backoff_max_s
        self.sent = 0
        self.connected = True
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Ask the relay to send now (called after a capture is stored)."""
        self._wake.set()

    def stop(self) -> None:
        """Ask :meth:`run` to return."""
        self._stopping.set()
        self._wake.set()

    async def send_pending(self) -> int:
        """Send every pending capture; return how many were sent (raises if Redis is away)."""
        total = 0
        while True:
            rows = self.outbox.pending(self.batch)
            if not rows:
                return total
            pipe = self.client.pipeline(transaction=False)
            for row in rows:
                pipe.xadd(CAPTURES_STREAM, {PAYLOAD_FIELD: row.payload})
            await pipe.execute()
            self.outbox.mark_sent([r.id for r in rows])
            total += len(rows)
            self.sent += len(rows)

    async def run(self) -> None:
        """Relay until :meth:`stop`."""
        delay = 0.1
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                sent = await self.send_pending()
            except _REDIS_DOWN as exc:
                if self.connected:
                    log.warning("relay.core_unreachable", error=str(exc))
                self.connected = False
                await self._pause(delay)
                delay = min(delay * 2, self.backoff_max_s)
                continue
            if not self.connected:
                log.info("relay.core_reachable_again", sent=sent)
            self.connected = True
            delay = 0.1
            # Workers in other processes put media captures in the outbox file: look again soon.
            await self._pause(0.25, wakeable=True)

    async def _pause(self, seconds: float, *, wakeable: bool = False) -> None:
        waiter = self._wake if wakeable else self._stopping
        with suppress(TimeoutError):
            await asyncio.wait_for(waiter.wait(), timeout=seconds)
