"""Relay: move captures from the edge outbox to the core's ``financy:captures`` stream.

Woken at once when a capture is stored here, and every quarter second anyway (edge workers
store the captures of voice notes and photos from their own processes). When the core's Redis is
unreachable it backs off (up to ``backoff_max_s``) and keeps the captures on disk; they go out,
in order, as soon as Redis answers again.

Each capture goes out strictly in outbox id order. A capture sent but not confirmed by the core
(:class:`~financy.core.contracts.v1.CapturesConfirmedV1`, see
:mod:`financy.edge.sync.confirms`) within ``resend_after_s`` is sent again, in the same id order
as the unsent ones, with the same payload (the core's idempotency key collapses it), counted and
logged. With an origin key (``FINANCY_EDGE__ORIGIN_KEY``) every entry carries ``origin`` and
``sig`` (:func:`financy.runtime.origin.signed_fields`). While idle it pings the core now and
then, so :attr:`OutboxRelay.connected` turns ``False`` without waiting for a capture.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress

import redis.asyncio as aioredis
import redis.exceptions
import structlog
from prometheus_client import Counter

from financy.core.contracts.v1 import CAPTURES_STREAM, PAYLOAD_FIELD
from financy.edge.outbox.capacity import OutboxCapacity
from financy.edge.outbox.store import EdgeOutbox
from financy.runtime.origin import signed_fields

log = structlog.stdlib.get_logger(__name__)

_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class OutboxRelay:
    """Sends pending captures from ``outbox`` to the core stream on ``client``.

    ``edge_id`` and ``origin_key`` (hex; ``None``: unsigned entries) sign the entries;
    ``resend_after_s`` is the confirmation deadline; ``capacity`` (when given) is re-checked every
    loop so the outbox's full/drained state follows confirmations; ``resent_counter`` counts
    resends; ``retention_s`` is how long confirmed captures are kept before being purged.
    """

    def __init__(
        self,
        outbox: EdgeOutbox,
        client: aioredis.Redis,
        *,
        batch: int = 100,
        backoff_max_s: float = 5.0,
        edge_id: str = "local",
        origin_key: str | None = None,
        resend_after_s: float = 60.0,
        capacity: OutboxCapacity | None = None,
        resent_counter: Counter | None = None,
        retention_s: float = 7 * 86400,
        ping_every_s: float = 2.0,
    ) -> None:
        if origin_key is not None:
            signed_fields(
                {PAYLOAD_FIELD: ""}, edge_id=edge_id, key_hex=origin_key, payload_field=PAYLOAD_FIELD
            )
        self.outbox = outbox
        self.client = client
        self.batch = batch
        self.backoff_max_s = backoff_max_s
        self.edge_id = edge_id
        self.origin_key = origin_key
        self.resend_after_s = resend_after_s
        self.capacity = capacity
        self.resent_counter = resent_counter
        self.retention_s = retention_s
        self.ping_every_s = ping_every_s
        self.sent = 0
        self.resent = 0
        self.connected = True
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._last_contact = time.monotonic()
        self._purged_at = float("-inf")

    def fields(self, payload: str) -> dict[str, str]:
        """Return the stream entry for one CaptureV1 JSON: ``payload``, signed when a key is set."""
        fields = {PAYLOAD_FIELD: payload}
        if self.origin_key is None:
            return fields
        return signed_fields(
            fields, edge_id=self.edge_id, key_hex=self.origin_key, payload_field=PAYLOAD_FIELD
        )

    def wake(self) -> None:
        """Ask the relay to send now (called after a capture is stored)."""
        self._wake.set()

    def stop(self) -> None:
        """Ask :meth:`run` to return."""
        self._stopping.set()
        self._wake.set()

    async def send_pending(self) -> int:
        """Send every capture due (unsent, or unconfirmed past the deadline) in id order; return how
        many were sent (raises if Redis is away; what was not sent stays due)."""
        total = 0
        while True:
            rows = self.outbox.pending(self.batch, resend_after_s=self.resend_after_s)
            if not rows:
                return total
            pipe = self.client.pipeline(transaction=False)
            for row in rows:
                pipe.xadd(CAPTURES_STREAM, self.fields(row.payload))  # type: ignore[arg-type]
            await pipe.execute()
            self._last_contact = time.monotonic()
            self.outbox.mark_sent([r.id for r in rows])
            resends = [r for r in rows if r.attempts > 0]
            if resends:
                self.resent += len(resends)
                if self.resent_counter is not None:
                    self.resent_counter.inc(len(resends))
                log.warning(
                    "relay.resent",
                    count=len(resends),
                    first_id=resends[0].id,
                    idempotency_keys=[r.idempotency_key for r in resends[:10]],
                    after_s=self.resend_after_s,
                )
            total += len(rows)
            self.sent += len(rows)

    async def ping_if_idle(self) -> None:
        """Ping the core when nothing was sent for ``ping_every_s`` (raises if Redis is away)."""
        if time.monotonic() - self._last_contact >= self.ping_every_s:
            await self.client.ping()
            self._last_contact = time.monotonic()

    def housekeeping(self) -> None:
        """Follow the capacity and purge confirmed captures past the retention (a batch a minute)."""
        if self.capacity is not None:
            self.capacity.check()
        now = time.monotonic()
        if now - self._purged_at >= 60.0:
            self._purged_at = now
            purged = self.outbox.purge(self.retention_s)
            if purged:
                log.info("relay.purged", captures=purged)

    async def run(self) -> None:
        """Relay until :meth:`stop`."""
        delay = 0.1
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.housekeeping()
            except Exception:  # the disk: logged, and the relay goes on sending
                log.exception("relay.housekeeping_failed")
            try:
                sent = await self.send_pending()
                await self.ping_if_idle()
            except _REDIS_DOWN as exc:
                if self.connected:
                    log.warning("relay.core_unreachable", error=str(exc))
                self.connected = False
                await self._pause(delay)
                delay = min(delay * 2, self.backoff_max_s)
                continue
            except redis.exceptions.ResponseError as exc:
                # The core's Redis refused the XADD (NOPERM after a revocation, a stream another
                # edge broke, out of memory): the captures stay here, unsent, and are tried again
                # with backoff; the credentials watchdog decides whether the edge must stop.
                log.error("relay.xadd_refused", error=str(exc)[:300], retry_in_s=delay)
                self.connected = False
                await self._pause(delay)
                delay = min(delay * 2, self.backoff_max_s * 6)
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
