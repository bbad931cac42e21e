"""One base class for every Redis stream consumer (consumer groups, at-least-once).

A subclass implements :meth:`StreamConsumer.handle`; the base owns the rest: creating the group,
reading new entries, recovering its own pending entries after a crash, claiming entries that
a dead consumer left idle (``XAUTOCLAIM``), acknowledging only after ``handle`` returns
(so after the database commit), retrying failures, and moving poison entries to
``<stream>:dead`` after ``max_deliveries`` attempts. Reconnects with backoff when Redis is away.

A failing entry is retried with exponential backoff (``retry_base_s`` doubling up to
``retry_max_s``, kept in memory per entry id), not in a hot loop. Pending entries that were
deleted from the stream (trimmed, ``XDEL``) are never dropped silently: each is logged
(``stream.pending_entry_deleted``), counted (``financy_stream_deleted_pending_total``) and
removed from the group's pending list; the edge sends such a capture again because it never gets
its confirmation. :func:`trim_acknowledged` trims a stream without dropping unacknowledged entries.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import time
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
    #: First wait (s) before a failed entry is tried again; doubles per failure up to ``retry_max_s``.
    retry_base_s: float = 0.5
    retry_max_s: float = 30.0


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
        self.deleted_pending = Counter(
            "financy_stream_deleted_pending",
            "Pending entries found deleted from their stream (trimmed or XDEL) and removed from the PEL",
            ["stream_group"],
            registry=registry,
        )
        #: entry id -> (failed attempts in this process, monotonic time of the next attempt)
        self._backoff: dict[str, tuple[int, float]] = {}

    @property
    def label(self) -> str:
        """The ``stream_group`` metric label of this consumer: ``{stream}/{group}``."""
        return f"{self.stream}/{self.group}"

    def due(self, entry_id: str) -> bool:
        """Return whether ``entry_id`` may be tried now (not waiting out a retry backoff)."""
        state = self._backoff.get(entry_id)
        return state is None or time.monotonic() >= state[1]

    def _failed(self, entry_id: str) -> int:
        """Record a failed attempt of ``entry_id``, schedule the next one; return attempts so far."""
        attempts = self._backoff.get(entry_id, (0, 0.0))[0] + 1
        wait = min(self.options.retry_base_s * 2 ** (attempts - 1), self.options.retry_max_s)
        if len(self._backoff) > 100_000:  # bounded: forget the oldest schedules
            for key in list(self._backoff)[:10_000]:
                del self._backoff[key]
        self._backoff[entry_id] = (attempts, time.monotonic() + wait)
        return attempts

    def _settled(self, entry_ids: Sequence[str]) -> None:
        for entry_id in entry_ids:
            self._backoff.pop(entry_id, None)

    async def _report_deleted(self, entry_ids: Sequence[str], *, how: str, acknowledge: bool) -> None:
        """Log, count and (when ``acknowledge``) XACK pending ids whose entries no longer exist."""
        if not entry_ids:
            return
        if acknowledge:
            await self.client.xack(self.stream, self.group, *entry_ids)
        self._settled(entry_ids)
        self.deleted_pending.labels(self.label).inc(len(entry_ids))
        for entry_id in entry_ids:
            log.warning(
                "stream.pending_entry_deleted",
                stream=self.stream,
                group=self.group,
                entry_id=entry_id,
                found_by=how,
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
        deleted: list[str] = []
        for _stream, items in response or []:
            for entry_id, fields in items:
                # Deleted while pending: Redis returns nil fields (redis-py: None or {}); a real
                # entry always has at least one field.
                if not fields:
                    deleted.append(_text(entry_id))
                    continue
                entries.append((_text(entry_id), {_text(k): _text(v) for k, v in fields.items()}))
        await self._report_deleted(deleted, how="xreadgroup", acknowledge=True)
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
            claimed: list[Entry] = []
            for eid, fields in result[1]:
                if eid is None or not fields:
                    # Redis 6.2: a deleted entry comes back as nil (no id) and is now in OUR
                    # pending list; find it there by looking each pending id up.
                    await self._sweep_own_deleted()
                    continue
                claimed.append((_text(eid), {_text(k): _text(v) for k, v in fields.items()}))
            if len(result) > 2 and result[2]:
                # Redis 7: the third element lists deleted ids, already removed from the PEL.
                await self._report_deleted([_text(e) for e in result[2]], how="xautoclaim", acknowledge=False)
            if claimed:
                log.info("stream.claimed", stream=self.stream, count=len(claimed))
                if await self._handle_all(claimed):
                    return
            if cursor == "0-0":
                return

    async def _sweep_own_deleted(self) -> None:
        """Report and acknowledge this consumer's pending ids whose entries are gone from the stream."""
        rows: Any = await self.client.xpending_range(
            self.stream, self.group, min="-", max="+", count=10_000, consumername=self.consumer
        )
        ids = [_text(row["message_id"]) for row in rows]
        if not ids:
            return
        pipe = self.client.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xrange(self.stream, min=entry_id, max=entry_id, count=1)
        found: Any = await pipe.execute()
        gone = [entry_id for entry_id, hit in zip(ids, found, strict=True) if not hit]
        await self._report_deleted(gone, how="xautoclaim", acknowledge=True)

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
                if not self.due(entry_id):
                    failures += 1  # waiting out its backoff: stays pending
                    continue
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
            self._settled(entry_ids)

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
            # Attempts made here count (reading a pending entry again to find it not due also bumps
            # Redis's delivery count); an entry first seen here (claimed from a dead consumer)
            # starts from what Redis counted.
            known = entry_id in self._backoff
            attempts = self._failed(entry_id)
            deliveries = attempts if known else max(attempts, await self._deliveries(entry_id))
            if not known and deliveries > attempts:
                self._backoff[entry_id] = (deliveries, self._backoff[entry_id][1])
            self.processed.labels(f"{self.stream}/{self.group}", "failed").inc()
            log.exception(
                "stream.handle_failed",
                stream=self.stream,
                entry_id=entry_id,
                deliveries=deliveries,
                retry_in_s=round(self._backoff[entry_id][1] - time.monotonic(), 3),
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
        """Move an entry to ``<stream>:dead`` with the reason, then acknowledge it.

        The same entry dead-lettered again for the same reason (an edge resending a capture the
        core refuses) is acknowledged, counted (outcome ``dead_repeat``) and logged, but not added
        a second time: the first dead letter is the one kept (for :data:`DEAD_SEEN_TTL_S`, or
        until ``financy core dlq retry`` takes it back).
        """
        reason = reason[:500]
        seen = dead_seen_key(self.stream, fields, reason)
        first = await self.client.set(seen, entry_id, nx=True, ex=DEAD_SEEN_TTL_S)
        if first:
            dead: dict[Any, Any] = {
                **fields,
                "dead_reason": reason,
                "dead_entry_id": entry_id,
                "dead_group": self.group,
            }
            await self.client.xadd(f"{self.stream}:dead", dead, maxlen=100_000, approximate=True)
        await self.client.xack(self.stream, self.group, entry_id)
        self._settled([entry_id])
        if not first:
            self.processed.labels(f"{self.stream}/{self.group}", "dead_repeat").inc()
            log.warning(
                "stream.dead_letter_repeated", stream=self.stream, entry_id=entry_id, reason=reason[:200]
            )
            return
        self.processed.labels(f"{self.stream}/{self.group}", "dead").inc()
        log.error("stream.dead_lettered", stream=self.stream, entry_id=entry_id, reason=reason[:200])


#: Seconds a dead letter's fingerprint is remembered (repeats within it are not added again).
DEAD_SEEN_TTL_S = 7 * 24 * 3600


def dead_seen_key(stream: str, fields: dict[str, str], reason: str) -> str:
    """Return the Redis key remembering that ``fields`` were dead-lettered from ``stream`` for ``reason``.

    ``<stream>:dead:seen:<sha256 of the fields (sorted) and the reason, first 32 hex>``.
    """
    body = json.dumps([sorted(fields.items()), reason[:500]], ensure_ascii=False).encode("utf-8", "replace")
    return f"{stream}:dead:seen:{hashlib.sha256(body).hexdigest()[:32]}"


def _next_id(entry_id: str) -> str:
    """Return the smallest stream id greater than ``entry_id`` (``ms-seq`` -> ``ms-(seq+1)``)."""
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def safe_minid(client: aioredis.Redis, stream: str) -> str | None:
    """Return the smallest id no group still needs on ``stream``, or ``None`` (no group: keep all).

    It is the least of each group's oldest pending id and each group's last-delivered id + 1:
    entries below it were delivered to every group and acknowledged by all.
    """
    groups: Any = await client.xinfo_groups(stream)
    bounds: list[str] = []
    for info in groups:
        name = _text(info["name"])
        bounds.append(_next_id(_text(info["last-delivered-id"])))
        if int(info["pending"]):
            summary: Any = await client.xpending(stream, name)
            bounds.append(_text(summary["min"]))
    return min(bounds, key=_id_key) if bounds else None


async def trim_acknowledged(client: aioredis.Redis, stream: str, *, approximate: bool = True) -> int:
    """``XTRIM stream MINID ~ <safe id>``: drop entries every group has acknowledged; return how many.

    Never drops an entry a group has not read or has pending (see :func:`safe_minid`); a stream
    with no group, or missing, is left alone (returns 0). ``approximate`` (``~``) lets Redis trim
    whole nodes only, which is cheap; pass ``False`` for an exact trim.
    """
    try:
        minid = await safe_minid(client, stream)
    except redis.exceptions.ResponseError as exc:  # no such key
        if "no such key" in str(exc).lower():
            return 0
        raise
    if minid is None:
        return 0
    removed: Any = await client.xtrim(stream, minid=minid, approximate=approximate)
    return int(removed)


class PoisonEntry(Exception):  # noqa: N818 - it names the entry, not an error state
    """Raised by :meth:`StreamConsumer.handle` for an entry that can never be applied."""


def _text(value: bytes | str) -> str:
    # An entry that is not UTF-8 comes through with U+FFFD in it: its handler refuses it and it is
    # dead-lettered, instead of an error here stopping the consumer. Clients must be created
    # without ``decode_responses`` for this (redis-py would raise while decoding).
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
