"""``financy core ingest``: the consumer group on ``financy:captures`` that records captures.

Each entry is applied in one database transaction (state, events and the reply in the outbox),
acknowledged only after the commit, and the reply is relayed to the edge's reply stream right
after. Several ingest processes may run at once; the capture's idempotency key keeps effects
exactly once when an entry is delivered twice (a consumer killed mid-batch, a redelivery).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Sequence
from contextlib import suppress

import redis
import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError

from financy.core.adapters.outbox import mark_published, publish_pending, send_messages
from financy.core.contracts.v1 import CAPTURES_STREAM, CaptureV1, ReplyV1, decode_capture
from financy.core.service.bootstrap import bootstrap
from financy.core.service.handlers import command_for
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.messagebus import MessageBus
from financy.core.settings import CoreSettings
from financy.runtime.streams import ConsumerOptions, Entry, PoisonEntry, StreamConsumer, default_consumer_name

log = structlog.stdlib.get_logger(__name__)

INGEST_GROUP = "core-ingest"


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
    ) -> None:
        super().__init__(
            client, stream=CAPTURES_STREAM, group=INGEST_GROUP, consumer=consumer, options=options
        )
        self.engine = engine
        self.relay_client = relay_client
        self.bus: MessageBus = bootstrap(engine=engine, defaults=defaults)

        # Outbox ids whose replies were sent but not yet marked (guarded: threads share it).
        self._published: list[int] = []
        self._published_lock = threading.Lock()

    async def handle_many(self, entries: Sequence[Entry]) -> int:
        """Apply a batch in one transaction; fall back to one transaction per capture on failure."""
        captures: list[tuple[str, CaptureV1]] = []
        for entry_id, fields in entries:
            try:
                captures.append((entry_id, decode_capture(fields)))
            except (KeyError, ValidationError) as exc:
                await self.dead_letter(entry_id, fields, f"invalid capture payload: {exc}")
        if not captures:
            return 0
        try:
            await asyncio.to_thread(self._apply_and_reply, [c for _, c in captures])
        except OperationalError as exc:
            log.warning("ingest.database_unavailable", error=str(exc), batch=len(captures))
            return len(captures)
        except Exception:
            log.exception("ingest.batch_failed_retrying_one_by_one", batch=len(captures))
            by_id = dict(entries)
            return await self.handle_each([(entry_id, by_id[entry_id]) for entry_id, _ in captures])
        await self.ack([entry_id for entry_id, _ in captures])
        self.processed.labels(f"{self.stream}/{self.group}", "ok").inc(len(captures))
        return 0

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        """Decode and record one capture in its own transaction (the fallback path)."""
        try:
            capture = decode_capture(fields)
        except (KeyError, ValidationError) as exc:
            raise PoisonEntry(f"invalid capture payload: {exc}") from exc
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
    )
    log.info("ingest.started", consumer=consumer.consumer, stream=CAPTURES_STREAM, group=INGEST_GROUP)
    relay_task = asyncio.create_task(_relay_forever(consumer, stopping), name="outbox-sweep")
    consume_task = asyncio.create_task(consumer.run(), name="consumer")
    stop_task = asyncio.create_task(stopping.wait(), name="stopping")
    done, _ = await asyncio.wait({consume_task, relay_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    status = 0
    for task in done - {stop_task}:
        status = 1
        error = task.exception()
        log.critical("ingest.task_ended", task=task.get_name(), error=repr(error) if error else None)
    stopping.set()
    consumer.stop()
    await asyncio.wait({consume_task, relay_task}, timeout=15)
    for task in (consume_task, relay_task, stop_task):
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
