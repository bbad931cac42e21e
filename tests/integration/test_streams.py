"""The stream consumer base on a real Redis: ack after handling, retries, dead letters, recovery."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from financy.runtime.streams import ConsumerOptions, PoisonEntry, StreamConsumer

pytestmark = pytest.mark.integration

STREAM = "test:stream"


class Recorder(StreamConsumer):
    """Records what it handles; fails as told."""

    transient = (ConnectionRefusedError,)

    def __init__(
        self,
        client: aioredis.Redis,
        consumer: str,
        *,
        fail: dict[str, type[Exception]] | None = None,
        **kw: object,
    ) -> None:
        super().__init__(
            client,
            stream=STREAM,
            group="g",
            consumer=consumer,
            options=ConsumerOptions(block_ms=50, claim_idle_ms=200, max_deliveries=3, **kw),
        )  # type: ignore[arg-type]
        self.seen: list[str] = []
        self.fail = fail or {}

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        exc = self.fail.get(fields["n"])
        if exc is not None:
            raise exc(fields["n"])
        self.seen.append(fields["n"])


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    c = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield c
    await c.aclose()


@pytest.fixture
async def raw_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client as consumers use it: no response decoding."""
    c = aioredis.Redis.from_url(redis_url)
    yield c
    await c.aclose()


async def run_until(consumer: StreamConsumer, predicate: object, timeout: float = 10) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(timeout):
            while not predicate():  # type: ignore[operator]
                await asyncio.sleep(0.02)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 5)


async def test_entries_are_handled_in_order_and_acknowledged(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    for n in range(5):
        await client.xadd(STREAM, {"n": str(n)})
    consumer = Recorder(raw_client, "c1")
    await run_until(consumer, lambda: len(consumer.seen) == 5)
    assert consumer.seen == ["0", "1", "2", "3", "4"]
    assert (await client.xpending(STREAM, "g"))["pending"] == 0


async def test_poison_goes_to_the_dead_letter_stream_at_once(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    await client.xadd(STREAM, {"n": "bad"})
    await client.xadd(STREAM, {"n": "good"})
    consumer = Recorder(raw_client, "c1", fail={"bad": PoisonEntry})
    await run_until(consumer, lambda: consumer.seen == ["good"])
    dead = await client.xrange(f"{STREAM}:dead")
    assert len(dead) == 1
    assert dead[0][1]["n"] == "bad"
    assert dead[0][1]["dead_reason"] == "bad"
    assert (await client.xpending(STREAM, "g"))["pending"] == 0


async def test_a_failing_entry_is_retried_then_dead_lettered(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    await client.xadd(STREAM, {"n": "boom"})
    consumer = Recorder(raw_client, "c1", fail={"boom": ValueError})

    async def dead_count() -> int:
        return int(await client.xlen(f"{STREAM}:dead"))

    task = asyncio.create_task(consumer.run())
    async with asyncio.timeout(20):
        while await dead_count() == 0:
            await asyncio.sleep(0.05)
    consumer.stop()
    await asyncio.wait_for(task, 5)
    (entry,) = await client.xrange(f"{STREAM}:dead")
    assert entry[1]["dead_reason"] == "ValueError: boom"
    assert (await client.xpending(STREAM, "g"))["pending"] == 0


async def test_transient_failures_are_never_dead_lettered(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    await client.xadd(STREAM, {"n": "wait"})
    consumer = Recorder(raw_client, "c1", fail={"wait": ConnectionRefusedError}, reconnect_max_s=0.05)
    task = asyncio.create_task(consumer.run())
    await asyncio.sleep(1.5)  # well past max_deliveries=3 at the retry pace
    assert await client.xlen(f"{STREAM}:dead") == 0
    consumer.fail.clear()  # the database is back
    async with asyncio.timeout(10):
        while consumer.seen != ["wait"]:
            await asyncio.sleep(0.05)
    consumer.stop()
    await asyncio.wait_for(task, 5)
    assert (await client.xpending(STREAM, "g"))["pending"] == 0


async def test_entries_left_by_a_dead_consumer_are_claimed(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    for n in range(3):
        await client.xadd(STREAM, {"n": str(n)})
    await client.xgroup_create(STREAM, "g", id="0")
    # "ghost" read them and died without acknowledging.
    await client.xreadgroup("g", "ghost", {STREAM: ">"}, count=10)
    await asyncio.sleep(0.3)
    consumer = Recorder(raw_client, "c2")
    await run_until(consumer, lambda: len(consumer.seen) == 3)
    assert sorted(consumer.seen) == ["0", "1", "2"]
    assert (await client.xpending(STREAM, "g"))["pending"] == 0


async def test_an_entry_that_is_not_utf8_is_dead_lettered_and_consumption_goes_on(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    await raw_client.xadd(STREAM, {b"n": b"\xff\xfe\x00"})
    await client.xadd(STREAM, {"n": "after"})

    class Strict(Recorder):
        async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
            if "\ufffd" in fields["n"]:
                raise PoisonEntry("not UTF-8")
            await super().handle(entry_id, fields)

    consumer = Strict(raw_client, "c1")
    await run_until(consumer, lambda: consumer.seen == ["after"])
    (dead,) = await client.xrange(f"{STREAM}:dead")
    assert dead[1]["dead_reason"] == "not UTF-8"
    assert (await client.xpending(STREAM, "g"))["pending"] == 0


async def test_a_bug_in_a_handler_batch_does_not_end_consumption(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    calls = {"n": 0}

    class Buggy(Recorder):
        async def handle_many(self, entries: object) -> int:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("bug")
            return await super().handle_many(entries)  # type: ignore[arg-type]

    await client.xadd(STREAM, {"n": "1"})
    consumer = Buggy(raw_client, "c1")
    await run_until(consumer, lambda: consumer.seen == ["1"])
    assert calls["n"] >= 2


async def _pending_ids(client: aioredis.Redis) -> list[str]:
    rows = await client.xpending_range(STREAM, "g", min="-", max="+", count=100)
    return [r["message_id"] for r in rows]


async def test_a_pending_entry_deleted_from_the_stream_is_logged_counted_and_removed_on_claim(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    """GIVEN an entry a dead consumer read, then deleted from the stream (XDEL) WHEN a live
    consumer claims idle entries THEN the deleted id is logged, counted once and leaves the PEL
    (Redis 7 reports it as XAUTOCLAIM's third element, Redis 6.2 as a claim with nil fields)."""
    from structlog.testing import capture_logs

    gone = await client.xadd(STREAM, {"n": "gone"})
    await client.xadd(STREAM, {"n": "kept"})
    await client.xgroup_create(STREAM, "g", id="0")
    await client.xreadgroup("g", "ghost", {STREAM: ">"}, count=10)
    await client.xdel(STREAM, gone)
    await asyncio.sleep(0.3)
    consumer = Recorder(raw_client, "c2")
    consumer._group_ready = True
    with capture_logs() as logs:
        await consumer._claim_idle()
    assert consumer.seen == ["kept"]
    assert consumer.deleted_pending.labels(f"{STREAM}/g")._value.get() == 1
    events = [e for e in logs if e["event"] == "stream.pending_entry_deleted"]
    assert [(e["entry_id"], e["found_by"]) for e in events] == [(gone, "xautoclaim")]
    assert await _pending_ids(client) == []


async def test_a_trimmed_pending_entry_read_again_is_logged_counted_and_removed(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    """GIVEN this consumer's own pending entries and the stream trimmed to nothing (MAXLEN 0)
    WHEN it re-reads its pending entries (XREADGROUP 0: nil fields) THEN each is reported and acked."""
    from structlog.testing import capture_logs

    ids = [await client.xadd(STREAM, {"n": str(n)}) for n in range(2)]
    await client.xgroup_create(STREAM, "g", id="0")
    await client.xreadgroup("g", "c1", {STREAM: ">"}, count=10)
    await client.xtrim(STREAM, maxlen=0, approximate=False)
    consumer = Recorder(raw_client, "c1")
    with capture_logs() as logs:
        await consumer._drain_pending()
    assert consumer.seen == []
    assert consumer.deleted_pending.labels(f"{STREAM}/g")._value.get() == 2
    assert [e["entry_id"] for e in logs if e["event"] == "stream.pending_entry_deleted"] == ids
    assert await _pending_ids(client) == []


async def test_a_failing_entry_waits_out_an_exponential_backoff(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    """GIVEN an entry that fails WHEN the consumer keeps running THEN it is not retried in a hot
    loop: each failure schedules the next try base * 2^(n-1) later, and it stays pending meanwhile."""
    entry = await client.xadd(STREAM, {"n": "boom"})
    consumer = Recorder(
        raw_client,
        "c1",
        fail={"boom": ValueError},
        retry_base_s=60.0,
        retry_max_s=100.0,
        reconnect_max_s=0.05,
    )
    task = asyncio.create_task(consumer.run())
    async with asyncio.timeout(10):
        while entry not in consumer._backoff:
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)  # many loop turns at the 0.05 s pace
    consumer.stop()
    await asyncio.wait_for(task, 5)
    attempts, _ = consumer._backoff[entry]
    assert attempts == 1
    assert not consumer.due(entry)
    assert await _pending_ids(client) == [entry]
    assert await client.xlen(f"{STREAM}:dead") == 0
    consumer._failed(entry)
    assert round(consumer._backoff[entry][1] - time.monotonic()) == 100  # 60 * 2, capped at 100


async def test_trim_keeps_unacknowledged_entries_and_drops_them_after_ack(
    client: aioredis.Redis, raw_client: aioredis.Redis
) -> None:
    """GIVEN two groups: g read 3 of 5 entries (pending), h read none WHEN trimming THEN nothing
    goes; after h reads all and g acknowledges, everything g and h have acked goes."""
    from financy.runtime.streams import safe_minid, trim_acknowledged

    ids = [await client.xadd(STREAM, {"n": str(n)}) for n in range(5)]
    await client.xgroup_create(STREAM, "g", id="0")
    await client.xgroup_create(STREAM, "h", id="0")
    await client.xreadgroup("g", "c1", {STREAM: ">"}, count=3)
    assert await trim_acknowledged(raw_client, STREAM, approximate=False) == 0
    assert await client.xlen(STREAM) == 5
    await client.xreadgroup("h", "c1", {STREAM: ">"}, count=10)
    await client.xack(STREAM, "h", *ids)
    assert await trim_acknowledged(raw_client, STREAM, approximate=False) == 0  # g: ids[0] pending
    await client.xack(STREAM, "g", ids[0], ids[1])
    assert await safe_minid(raw_client, STREAM) == ids[2]
    assert await trim_acknowledged(raw_client, STREAM, approximate=False) == 2
    assert [e[0] for e in await client.xrange(STREAM)] == ids[2:]
    await client.xack(STREAM, "g", ids[2])
    # g has delivered up to ids[2]; ids[3] and ids[4] were never read by g: they stay.
    assert await trim_acknowledged(raw_client, STREAM, approximate=False) == 1
    assert [e[0] for e in await client.xrange(STREAM)] == ids[3:]
    assert await trim_acknowledged(raw_client, "test:missing") == 0
