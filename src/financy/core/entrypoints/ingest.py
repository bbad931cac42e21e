"""``financy core ingest``: the consumer group on ``financy:captures`` that records captures.

Each entry is applied in one database transaction (state, events and the reply in the outbox),
acknowledged only after the commit, and the reply is relayed to the edge's reply stream right
after. Several ingest processes may run at once; the capture's idempotency key keeps effects
exactly once when an entry is delivered twice (a consumer killed mid-batch, a redelivery).
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress

import redis
import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError, OperationalError

from financy.core.adapters.outbox import publish_pending
from financy.core.contracts.v1 import CAPTURES_STREAM, CaptureV1, decode_capture
from financy.core.service.ingest import ContextDefaults, ingest_capture
from financy.core.service.unit_of_work import unit_of_work
from financy.core.settings import CoreSettings
from financy.runtime.streams import ConsumerOptions, PoisonEntry, StreamConsumer, default_consumer_name

log = structlog.stdlib.get_logger(__name__)

INGEST_GROUP = "core-ingest"


def _is_transient(exc: DBAPIError) -> bool:
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)


class IngestConsumer(StreamConsumer):
    """Record each :class:`CaptureV1` from ``financy:captures`` and relay the reply."""

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
        self.defaults = defaults

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        """Decode and record one capture (raises :class:`PoisonEntry` for an invalid payload)."""
        try:
            capture = decode_capture(fields)
        except (KeyError, ValidationError) as exc:
            raise PoisonEntry(f"invalid capture payload: {exc}") from exc
        await asyncio.to_thread(self._apply, capture)

    def _apply(self, capture: CaptureV1) -> None:
        try:
            with unit_of_work(self.engine) as uow:
                reply = ingest_capture(uow, capture, self.defaults)
        except DBAPIError as exc:
            if _is_transient(exc):
                raise OperationalError(str(exc), None, exc.orig or exc) from exc
            raise
        log.info(
            "capture.ingested",
            idempotency_key=capture.idempotency_key,
            reply=reply.kind.value if reply else "duplicate",
        )

    async def after_batch(self) -> None:
        """Relay the replies the batch queued in the outbox (they are committed already)."""
        await self.relay()

    async def relay(self) -> int:
        """Publish pending outbox rows; return the count (0 when Redis or the database is away)."""
        try:
            return await asyncio.to_thread(publish_pending, self.engine, self.relay_client)
        except (redis.ConnectionError, redis.TimeoutError, OperationalError) as exc:
            log.warning("outbox.relay_failed", error=str(exc))
            return 0


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


async def serve_ingest(settings: CoreSettings, stopping: asyncio.Event) -> None:
    """Consume captures until ``stopping`` is set."""
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
    relay_task = asyncio.create_task(_relay_forever(consumer, stopping))
    consume_task = asyncio.create_task(consumer.run())
    await stopping.wait()
    consumer.stop()
    await asyncio.wait({consume_task, relay_task}, timeout=15)
    for task in (consume_task, relay_task):
        task.cancel()
    await client.aclose()
    relay_client.close()
    engine.dispose()
    log.info("ingest.stopped")


def run_ingest(settings: CoreSettings) -> int:
    """Run the ingest process until SIGTERM/SIGINT; return the exit status (0)."""

    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await serve_ingest(settings, stopping)

    asyncio.run(main())
    return 0
