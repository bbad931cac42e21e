"""``financy core ingest``: the consumer group on ``financy:captures`` that records captures.

Each entry is applied in one database transaction (state, events and the reply in the outbox),
acknowledged only after the commit, and the reply is relayed to the edge's reply stream right
after. Several ingest processes may run at once; the capture's idempotency key keeps effects
exactly once when an entry is delivered twice (a consumer killed mid-batch, a redelivery).

Before anything is applied, an entry's origin is checked (:mod:`financy.core.adapters.edge_keys`)
and its contract version: a refused entry, or one of a contract version this core cannot read,
is dead-lettered with the precise reason, counted and logged (kept, never dropped or misread).
After the commit every capture read (duplicates too) is confirmed to its edge
(``confirms_stream``). Captures of one chat are applied in stream order: when one fails, the later
ones of the same chat stay pending until it is applied or dead-lettered.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import threading
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import redis
import redis.asyncio as aioredis
import structlog
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError

from financy.core.adapters.edge_keys import (
    ChatOwners,
    EdgeKeys,
    OriginRefused,
    check_capture,
    check_chat_owner,
    check_signature,
)
from financy.core.adapters.outbox import mark_published, publish_pending, send_confirmations, send_messages
from financy.core.contracts.v1 import (
    CAPTURES_STREAM,
    PAYLOAD_FIELD,
    SCHEMA_VERSION,
    CaptureV1,
    ReplyV1,
    decode_capture,
)
from financy.core.service.bootstrap import bootstrap
from financy.core.service.handlers import command_for
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.messagebus import MessageBus
from financy.core.settings import CoreSettings
from financy.runtime.objects import ObjectStore, object_store_from_settings
from financy.runtime.streams import (
    ConsumerOptions,
    Entry,
    PoisonEntry,
    StreamConsumer,
    default_consumer_name,
    trim_acknowledged,
)

log = structlog.stdlib.get_logger(__name__)

INGEST_GROUP = "core-ingest"

#: Largest stream entry (bytes of its fields) taken as a capture: text, understanding and OCR
#: fields come to a few KiB; originals travel by reference (``MediaRef``), never in the entry.
MAX_ENTRY_BYTES = 1024 * 1024


def entry_bytes(fields: dict[str, str]) -> int:
    """Return the size of a stream entry's field names and values in UTF-8 bytes."""
    return sum(
        len(k.encode("utf-8", "replace")) + len(v.encode("utf-8", "replace")) for k, v in fields.items()
    )


#: Reply streams ingest trims (acknowledged entries only) beside ``financy:captures``.
REPLY_STREAMS_PATTERN = "financy:edge:*:replies"

ChatKey = tuple[str, str]


class UnknownContract(Exception):  # noqa: N818 - it names the verdict
    """A capture entry of a contract version (or type) this core cannot read."""


def contract_problem(fields: dict[str, str]) -> str | None:
    """Return why the entry's payload is not a capture of contract v1, or ``None`` if it may be one.

    Only a payload that is a JSON object naming another ``schema_version`` or any ``type`` is
    flagged here; anything else (broken JSON, a broken v1 capture) is left to the v1 decoder.
    """
    raw = fields.get(PAYLOAD_FIELD)
    if raw is None:
        return None
    try:
        body: Any = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    version = body.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION or isinstance(version, bool):
        return f"unknown contract version {json.dumps(version)[:40]}"
    if "type" in body:
        return f"unknown contract type {json.dumps(body['type'])[:60]}"
    return None


class IngestConsumer(StreamConsumer):
    """Record each :class:`CaptureV1` from ``financy:captures`` and send the replies.

    Each capture is decoded, turned into its command (``handlers.command_for``) and handled by
    the message bus.

    A batch read from the stream is applied in ONE database transaction (one commit for many
    captures), then acknowledged, then its replies are sent straight to the edges and their
    outbox rows marked published. If any capture of the batch fails for a reason other than
    the database being away, the batch is applied again one capture per transaction, so only
    the failing capture stays pending (and is dead-lettered after ``max_deliveries``).
    """

    transient = (OperationalError,)

    def __init__(
        self,
        client: aioredis.Redis,
        engine: Engine,
        relay_client: redis.Redis,
        *,
        defaults: ContextDefaults,
        consumer: str,
        options: ConsumerOptions | None = None,
        require_signed: bool = False,
        edge_keys: EdgeKeys | None = None,
        registry: CollectorRegistry | None = None,
        objects: ObjectStore | None = None,
    ) -> None:
        super().__init__(
            client,
            stream=CAPTURES_STREAM,
            group=INGEST_GROUP,
            consumer=consumer,
            options=options,
            registry=registry,
        )
        self.engine = engine
        self.relay_client = relay_client
        # ``objects``: the core's object store, where chat handlers read files (bank statements).
        self.bus: MessageBus = bootstrap(engine=engine, defaults=defaults, objects=objects)
        self.require_signed = require_signed
        self.edge_keys = edge_keys or EdgeKeys(engine)
        self.chat_owners = ChatOwners(engine)
        self.refused = Counter(
            "financy_ingest_refused",
            "Capture entries refused for their origin (dead-lettered), by kind",
            ["kind"],
            registry=registry,
        )
        self.unknown_contract = Counter(
            "financy_ingest_unknown_contract",
            "Capture entries of a contract version or type this core cannot read (dead-lettered)",
            registry=registry,
        )
        #: Chats whose earlier capture failed and is still pending: chat -> that entry's id.
        self._blocked: dict[ChatKey, str] = {}

        # Outbox ids whose replies were sent but not yet marked (guarded: threads share it).
        self._published: list[int] = []
        self._published_lock = threading.Lock()

    def _admit(self, fields: dict[str, str]) -> CaptureV1:
        """Check origin and contract version, then decode (worker thread: may read ``edges``).

        Raises:
            OriginRefused: the origin cannot be believed.
            UnknownContract: not a capture of contract v1.
            PoisonEntry: a broken v1 capture.
        """
        size = entry_bytes(fields)
        if size > MAX_ENTRY_BYTES:
            raise PoisonEntry(f"entry of {size} bytes is over the {MAX_ENTRY_BYTES}-byte limit of a capture")
        origin = check_signature(self.edge_keys, fields, require_signed=self.require_signed)
        problem = contract_problem(fields)
        if problem is not None:
            raise UnknownContract(problem)
        try:
            capture = decode_capture(fields)
        except (KeyError, ValidationError) as exc:
            raise PoisonEntry(f"invalid capture payload: {exc}") from exc
        check_capture(capture, origin)
        check_chat_owner(self.edge_keys, self.chat_owners, capture, origin)
        return capture

    def _admit_all(self, entries: Sequence[Entry]) -> list[CaptureV1 | Exception]:
        out: list[CaptureV1 | Exception] = []
        for _, fields in entries:
            try:
                out.append(self._admit(fields))
            except (OriginRefused, UnknownContract, PoisonEntry) as exc:
                out.append(exc)
        return out

    def _note_refusal(self, entry_id: str, exc: Exception) -> None:
        """Count and log an entry :meth:`_admit` refused, by why."""
        if isinstance(exc, OriginRefused):
            self.refused.labels(exc.kind).inc()
            log.warning("ingest.origin_refused", entry_id=entry_id, kind=exc.kind, reason=exc.reason)
        elif isinstance(exc, UnknownContract):
            self.unknown_contract.inc()
            log.critical("ingest.unknown_contract_version", entry_id=entry_id, reason=str(exc))

    async def _refuse(self, entry_id: str, fields: dict[str, str], exc: Exception) -> None:
        """Dead-letter an entry :meth:`_admit` refused with its reason, counted and logged."""
        self._note_refusal(entry_id, exc)
        await self.dead_letter(entry_id, fields, str(exc))

    async def _release_stale_blocks(self) -> None:
        """Forget blocked chats whose blocking entry is no longer pending (handled elsewhere)."""
        if not self._blocked:
            return
        for key, entry_id in list(self._blocked.items()):
            rows: Any = await self.client.xpending_range(
                self.stream, self.group, min=entry_id, max=entry_id, count=1
            )
            if not rows:
                self._blocked.pop(key, None)

    def _unblock(self, entry_ids: Sequence[str]) -> None:
        done = set(entry_ids)
        for key, entry_id in list(self._blocked.items()):
            if entry_id in done:
                del self._blocked[key]

    def _waits(self, key: ChatKey, entry_id: str, held: set[ChatKey], taken: set[str]) -> bool:
        """Whether ``entry_id`` of chat ``key`` must wait for an earlier capture of its chat.

        ``held``: chats of this batch already held back; ``taken``: entry ids of this batch
        already going ahead (a blocker among them goes first, its chat may follow it).
        """
        if key in held:
            return True
        blocker = self._blocked.get(key)
        return blocker is not None and blocker != entry_id and blocker not in taken

    async def handle_many(self, entries: Sequence[Entry]) -> int:
        """Apply a batch in one transaction; fall back to one transaction per capture on failure.

        Refused entries are dead-lettered first. A capture waiting out a retry backoff, and every
        later capture of its chat, stays pending (per-chat order). Returns how many stay pending.
        """
        try:
            admitted = await asyncio.to_thread(self._admit_all, entries)
        except OperationalError as exc:  # the edge keys could never be loaded: database away
            log.warning("ingest.database_unavailable", error=str(exc), batch=len(entries))
            return len(entries)
        await self._release_stale_blocks()
        captures: list[tuple[str, dict[str, str], CaptureV1]] = []
        held: set[ChatKey] = set()
        taken: set[str] = set()
        waiting = 0
        for (entry_id, fields), result in zip(entries, admitted, strict=True):
            if isinstance(result, Exception):
                await self._refuse(entry_id, fields, result)
                self._unblock([entry_id])
                continue
            key = (result.platform, result.chat_id)
            if self._waits(key, entry_id, held, taken) or not self.due(entry_id):
                held.add(key)
                waiting += 1
                continue
            captures.append((entry_id, fields, result))
            taken.add(entry_id)
        if not captures:
            return waiting
        try:
            await asyncio.to_thread(self._apply_and_reply, [c for _, _, c in captures])
        except OperationalError as exc:
            log.warning("ingest.database_unavailable", error=str(exc), batch=len(captures))
            return waiting + len(captures)
        except Exception:
            log.exception("ingest.batch_failed_retrying_one_by_one", batch=len(captures))
            return waiting + await self._one_by_one(captures)
        handled = [entry_id for entry_id, _, _ in captures]
        await self.ack(handled)
        self._unblock(handled)
        self.processed.labels(self.label, "ok").inc(len(captures))
        return waiting

    async def _one_by_one(self, captures: Sequence[tuple[str, dict[str, str], CaptureV1]]) -> int:
        """Apply ``captures`` one transaction each, in order; a failure holds back its chat's later ones."""
        failures = 0
        handled: list[str] = []
        held: set[ChatKey] = set()
        try:
            for entry_id, fields, capture in captures:
                key = (capture.platform, capture.chat_id)
                if self._stopping.is_set() or key in held:
                    failures += 1
                    continue
                if await self._handle_one(entry_id, fields):
                    handled.append(entry_id)
                    continue
                failures += 1
                held.add(key)
                self._blocked.setdefault(key, entry_id)
                log.warning("ingest.chat_held", chat_id=capture.chat_id, until_entry=entry_id)
        finally:
            await self.ack(handled)
            self._unblock(handled)
        return failures

    async def dead_letter(self, entry_id: str, fields: dict[str, str], reason: str) -> None:
        """Dead-letter as the base does, then let the chat's later captures go on.

        An entry over :data:`MAX_ENTRY_BYTES` is kept as its first 4 KiB, size and sha256 (the
        edge still holds the original in its outbox), so a flood of huge entries cannot fill the
        core's Redis twice over.
        """
        if entry_bytes(fields) > MAX_ENTRY_BYTES:
            whole = json.dumps(fields, ensure_ascii=False).encode("utf-8", "replace")
            fields = {
                "entry_head": whole[:4096].decode("utf-8", "replace"),
                "entry_bytes": str(len(whole)),
                "entry_sha256": hashlib.sha256(whole).hexdigest(),
            }
        await super().dead_letter(entry_id, fields, reason)
        self._unblock([entry_id])

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        """Check, decode and record one capture in its own transaction (the fallback path)."""
        try:
            capture = await asyncio.to_thread(self._admit, fields)
        except (OriginRefused, UnknownContract) as exc:
            self._note_refusal(entry_id, exc)
            raise PoisonEntry(str(exc)) from exc
        await asyncio.to_thread(self._apply_and_reply, [capture])

    def _apply_and_reply(self, captures: Sequence[CaptureV1]) -> None:
        """Commit ``captures`` in one transaction, then send their replies at once (worker thread)."""
        published = self._take_published()
        try:
            # Rows whose replies went out after the previous commit are marked in this
            # transaction, which saves them a commit of their own.
            batch = self.bus.handle_many(
                [command_for(capture) for capture in captures],
                before_commit=lambda uow: uow.mark_published(published),
            )
        except BaseException:
            self._add_published(published)
            raise
        try:
            # Committed (duplicates too): the edges may forget these; a lost confirmation only
            # makes an edge send a capture again, which the idempotency key absorbs.
            send_confirmations(self.relay_client, captures)
        except redis.RedisError as exc:
            log.warning("ingest.confirm_failed", error=str(exc), captures=len(captures))
        replies: list[ReplyV1] = []
        for capture, reply in zip(captures, batch.results, strict=True):
            if reply is not None:
                replies.append(reply)
            log.info(
                "capture.ingested",
                idempotency_key=capture.idempotency_key,
                reply=reply.kind.value if reply else "duplicate",
            )
        if not batch.outbox_messages:
            return
        try:
            # Every message the commit wrote, not only the replies: the rows are marked sent below.
            send_messages(self.relay_client, batch.outbox_messages)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("ingest.reply_send_deferred", error=str(exc), replies=len(replies))
            return
        self._add_published(batch.outbox_ids)

    def _take_published(self) -> list[int]:
        with self._published_lock:
            taken, self._published = self._published, []
        return taken

    def _add_published(self, ids: Sequence[int]) -> None:
        with self._published_lock:
            self._published.extend(ids)

    async def relay(self) -> int:
        """Mark what was sent since the last batch and send outbox rows left unsent; return how many."""
        published = self._take_published()
        try:
            if published:
                await asyncio.to_thread(self._mark, published)
            return await asyncio.to_thread(publish_pending, self.engine, self.relay_client)
        except (redis.ConnectionError, redis.TimeoutError, OperationalError) as exc:
            log.warning("outbox.relay_failed", error=str(exc))
            return 0

    def _mark(self, ids: list[int]) -> None:
        with self.engine.begin() as conn:
            mark_published(conn, ids)


async def _relay_forever(consumer: IngestConsumer, stopping: asyncio.Event, every_s: float = 1.0) -> None:
    """Sweep the outbox every ``every_s`` seconds: replies whose first relay failed go out later."""
    while not stopping.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=every_s)
        await consumer.relay()


async def trim_streams(client: aioredis.Redis) -> int:
    """Trim ``financy:captures`` and every edge's reply stream of what all groups acknowledged.

    Returns the entries removed. A reply stream no group reads yet is left alone.
    """
    removed = await trim_acknowledged(client, CAPTURES_STREAM)
    async for name in client.scan_iter(match=REPLY_STREAMS_PATTERN, count=500, _type="stream"):
        removed += await trim_acknowledged(client, name.decode() if isinstance(name, bytes) else name)
    return removed


async def _trim_forever(client: aioredis.Redis, stopping: asyncio.Event, every_s: float) -> None:
    """Run :func:`trim_streams` every ``every_s`` seconds (errors are logged, never fatal)."""
    while not stopping.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=every_s)
        if stopping.is_set():
            return
        try:
            removed = await trim_streams(client)
        except (redis.RedisError, OSError) as exc:
            log.warning("stream.trim_failed", error=str(exc))
            continue
        if removed:
            log.info("stream.trimmed", removed=removed)


def build_engine(settings: CoreSettings) -> Engine:
    """Return the SQLAlchemy engine for ``settings`` (pre-ping: survives a database restart)."""
    return create_engine(
        settings.require_database_url(), pool_pre_ping=True, pool_size=5, max_overflow=5, pool_recycle=1800
    )


async def serve_ingest(settings: CoreSettings, stopping: asyncio.Event) -> int:
    """Consume captures until ``stopping`` is set; return the exit status.

    If the consumer or the sweep ends on its own (it should not), the process exits 1 so that
    its supervisor restarts it, rather than running on without consuming.
    """
    url = settings.require_redis_url()
    client = aioredis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    relay_client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
    engine = build_engine(settings)
    consumer = IngestConsumer(
        client,
        engine,
        relay_client,
        defaults=ContextDefaults(
            locale=settings.default_locale,
            time_zone=settings.default_time_zone,
            base_currency=settings.default_currency,
        ),
        consumer=settings.ingest_consumer or default_consumer_name("ingest"),
        options=ConsumerOptions(
            batch=settings.ingest_batch,
            block_ms=settings.ingest_block_ms,
            claim_idle_ms=settings.ingest_claim_idle_ms,
            max_deliveries=settings.ingest_max_deliveries,
        ),
        require_signed=settings.ingest_require_signed,
        objects=object_store_from_settings(settings.s3, settings.data_dir / "objects"),
    )
    log.info("ingest.started", consumer=consumer.consumer, stream=CAPTURES_STREAM, group=INGEST_GROUP)
    relay_task = asyncio.create_task(_relay_forever(consumer, stopping), name="outbox-sweep")
    trim_task = asyncio.create_task(
        _trim_forever(client, stopping, settings.ingest_trim_interval_s), name="stream-trim"
    )
    consume_task = asyncio.create_task(consumer.run(), name="consumer")
    stop_task = asyncio.create_task(stopping.wait(), name="stopping")
    done, _ = await asyncio.wait(
        {consume_task, relay_task, trim_task, stop_task}, return_when=asyncio.FIRST_COMPLETED
    )
    status = 0
    for task in done - {stop_task}:
        status = 1
        error = task.exception()
        log.critical("ingest.task_ended", task=task.get_name(), error=repr(error) if error else None)
    stopping.set()
    consumer.stop()
    await asyncio.wait({consume_task, relay_task, trim_task}, timeout=15)
    for task in (consume_task, relay_task, trim_task, stop_task):
        task.cancel()
    await client.aclose()
    relay_client.close()
    engine.dispose()
    log.info("ingest.stopped", status=status)
    return status


def run_ingest(settings: CoreSettings) -> int:
    """Run the ingest process until SIGTERM/SIGINT; return the exit status (0, or 1 if it broke)."""

    async def main() -> int:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        return await serve_ingest(settings, stopping)

    return asyncio.run(main())
