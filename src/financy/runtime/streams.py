"""One base class for every Redis stream consumer (consumer groups, at-least-once).

A subclass implements :meth:`StreamConsumer.handle`; the base owns the rest: creating the group,
reading new entries, recovering its own pending entries after a crash, claiming entries that
a dead consumer left idle (``XAUTOCLAIM``), acknowledging only after ``handle`` returns
(so after the database commit), retrying failures, and moving poison entries to
``<stream>:dead`` after ``max_deliveries`` attempts. Reconnects with backoff when Redis is away.
"""

from __future__ import annotations

import asyncio
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions
import structlog
from prometheus_client import CollectorRegistry, Counter

Entry = tuple[str, dict[str, str]]

log = structlog.stdlib.get_logger(__name__)

_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def default_consumer_name(prefix: str) -> str:
    """Return a consumer name unique to this process: ``{prefix}-{host}-{pid}``."""
    return f"{prefix}-{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    """Tuning of a consumer: batch size, block time (ms), idle time before claiming (ms), attempts."""

    batch: int = 50
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    max_deliveries: int = 5
    reconnect_max_s: float = 5.0


class StreamConsumer(ABC):
    """Read ``stream`` as ``consumer`` in ``group`` and hand each entry to :meth:`handle`.

    ``client`` must not decode responses (bytes in, so that an entry that is not UTF-8 can be
    dead-lettered rather than fail the read).

    ``transient`` lists exceptions that mean "a dependency is away" (a database restarting):
    entries failing with them are retried for as long as it takes and never dead-lettered.
    """

    transient: tuple[type[Exception], ...] = ()

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        stream: str,
        group: str,
        consumer: str,
        options: ConsumerOptions | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.options = options or ConsumerOptions()
        self._stopping = asyncio.Event()
        self._group_ready = False
        self.processed = Counter(
            "financy_stream_entries_total",
            "Stream entries handled, by outcome",
            ["stream_group", "outcome"],
            registry=registry,
        )

    @abstractmethod
    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        """Apply one entry. Return to acknowledge it; raise to have it retried later.

        Raise :class:`PoisonEntry` for an entry that can never succeed (it is dead-lettered at once).
        """

    async def after_batch(self) -> None:  # noqa: B027 - an optional hook, not an abstract step
        """Hook run after each batch is handled (e.g. flush an outbox). Default: nothing."""

    def stop(self) -> None:
        """Ask :meth:`run` to return after the entry in hand."""
        self._stopping.set()

    async def ensure_group(self) -> None:
        """Create the consumer group (and the stream) if missing; starts from the stream's beginning."""
        try:
            await self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def run(self) -> None:
        """Consume until :meth:`stop`; survives Redis outages by reconnecting with backoff."""
        delay = 0.1
        recover = True  # first pass re-reads this consumer's own pending entries (crash recovery)
        while not self._stopping.is_set():
            try:
                if not self._group_ready:
                    await self.ensure_group()
                if recover:
                    await self._drain_pending()
                    await self._claim_idle()
                    recover = False
                entries = await self._read(">", block=self.options.block_ms)
                if not entries:
                    recover = True  # idle moment: look for retries and orphans
                elif await self._handle_all(entries):
                    # Something failed (database away?): wait a little, then retry what is pending.
                    await self._sleep(delay)
                    delay = min(delay * 2, self.options.reconnect_max_s)
                    recover = True
                    continue
                delay = 0.1
            except _REDIS_DOWN as exc:
                log.warning("stream.redis_unavailable", stream=self.stream, error=str(exc), retry_in_s=delay)
                self._group_ready = False
                recover = True
                await self._sleep(delay)
                delay = min(delay * 2, self.options.reconnect_max_s)
            except redis.exceptions.ResponseError as exc:
                if "NOGROUP" in str(exc):
                    self._group_ready = False
                    continue
                log.exception("stream.redis_error", stream=self.stream, retry_in_s=delay)
                await self._sleep(delay)
                delay = min(delay * 2, self.options.reconnect_max_s)
            except Exception:
                # A bug must not end consumption silently: say so loudly and keep going.
                log.exception("stream.consumer_error", stream=self.stream, retry_in_s=delay)
                recover = True
                await self._sleep(delay)
                delay = min(delay * 2, self.options.reconnect_max_s)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return

    async def _read(self, start: str, *, block: int | None) -> list[Entry]:
        response: Any = await self.client.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=self.options.batch, block=block
        )
        entries: list[Entry] = []
        for _stream, items in response or []:
            for entry_id, fields in items:
                if fields is None:  # deleted while pending
                    await self.client.xack(self.stream, self.group, entry_id)
                    continue
                entries.append((_text(entry_id), {_text(k): _text(v) for k, v in fields.items()}))
        return entries

    async def _drain_pending(self) -> None:
        while not self._stopping.is_set():
            entries = await self._read("0", block=None)
            if not entries:
                return
            if await self._handle_all(entries):
                return  # some still fail: leave them for the next pass

    async def _claim_idle(self) -> None:
        cursor = "0-0"
        while not self._stopping.is_set():
            result = await self.client.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                min_idle_time=self.options.claim_idle_ms,
                start_id=cursor,
                count=self.options.batch,
            )
            cursor = _text(result[0])
            claimed = [
                (_text(eid), {_text(k): _text(v) for k, v in fields.items()})
                for eid, fields in result[1]
                if fields is not None
            ]
            if claimed:
                log.info("stream.claimed", stream=self.stream, count=len(claimed))
                if await self._handle_all(claimed):
                    return
            if cursor == "0-0":
                return

    async def _handle_all(self, entries: Sequence[Entry]) -> int:
        """Handle ``entries``, then run :meth:`after_batch`; return how many failed (they stay pending)."""
        failures = await self.handle_many(entries)
        await self.after_batch()
        return failures

    async def handle_many(self, entries: Sequence[Entry]) -> int:
        """Handle a batch in order, one :meth:`handle` each; return how many failed.

        Override to apply a batch at once (one database transaction, say); use :meth:`ack`,
        :meth:`dead_letter` and :meth:`handle_each` for the outcomes.
        """
        return await self.handle_each(entries)

    async def handle_each(self, entries: Sequence[Entry]) -> int:
        """Handle ``entries`` one by one through :meth:`handle`, then acknowledge the handled ones at once.

        Returns how many failed (they stay pending). A crash before the acknowledgement
        redelivers the batch: handlers are idempotent (at least once, effects once).
        """
        failures = 0
        handled: list[str] = []
        try:
            for entry_id, fields in entries:
                if self._stopping.is_set():
                    break
                if await self._handle_one(entry_id, fields):
                    handled.append(entry_id)
                else:
                    failures += 1
        finally:
            await self.ack(handled)
        return failures

    async def ack(self, entry_ids: Sequence[str]) -> None:
        """Acknowledge ``entry_ids`` (after their effects are committed)."""
        if entry_ids:
            await self.client.xack(self.stream, self.group, *entry_ids)

    async def _handle_one(self, entry_id: str, fields: dict[str, str]) -> bool:
        """Handle one entry; ``True`` when it needs acknowledging (handled), ``False`` to retry it."""
        try:
            await self.handle(entry_id, fields)
        except PoisonEntry as exc:
            await self.dead_letter(entry_id, fields, str(exc))
            return True
        except _REDIS_DOWN:
            raise
        except self.transient as exc:
            self.processed.labels(f"{self.stream}/{self.group}", "retry").inc()
            log.warning(
                "stream.dependency_unavailable", stream=self.stream, entry_id=entry_id, error=str(exc)
            )
            return False
        except Exception as exc:
            deliveries = await self._deliveries(entry_id)
            self.processed.labels(f"{self.stream}/{self.group}", "failed").inc()
            log.exception(
                "stream.handle_failed", stream=self.stream, entry_id=entry_id, deliveries=deliveries
            )
            if deliveries >= self.options.max_deliveries:
                await self.dead_letter(entry_id, fields, f"{type(exc).__name__}: {exc}")
                return True
            return False
        self.processed.labels(f"{self.stream}/{self.group}", "ok").inc()
        return True

    async def _deliveries(self, entry_id: str) -> int:
        rows = await self.client.xpending_range(self.stream, self.group, min=entry_id, max=entry_id, count=1)
        return int(rows[0]["times_delivered"]) if rows else 1

    async def dead_letter(self, entry_id: str, fields: dict[str, str], reason: str) -> None:
        """Move an entry to ``<stream>:dead`` with the reason, then acknowledge it."""
        dead: dict[Any, Any] = {
            **fields,
            "dead_reason": reason[:500],
            "dead_entry_id": entry_id,
            "dead_group": self.group,
        }
        await self.client.xadd(f"{self.stream}:dead", dead, maxlen=100_000, approximate=True)
        await self.client.xack(self.stream, self.group, entry_id)
        self.processed.labels(f"{self.stream}/{self.group}", "dead").inc()
        log.error("stream.dead_lettered", stream=self.stream, entry_id=entry_id, reason=reason[:200])


class PoisonEntry(Exception):  # noqa: N818 - it names the entry, not an error state
    """Raised by :meth:`StreamConsumer.handle` for an entry that can never be applied."""


def _text(value: bytes | str) -> str:
    # An entry that is not UTF-8 comes through with U+FFFD in it: its handler refuses it and it is
    # dead-lettered, instead of an error here stopping the consumer. Clients must be created
    # without ``decode_responses`` for this (redis-py would raise while decoding).
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
