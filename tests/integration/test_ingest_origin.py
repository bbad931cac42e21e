"""Ingest's origin check, confirmations, contract versions and per-chat order (real Redis and PostgreSQL).

Edge rows are inserted with SQL and deleted after each test (the run's database is shared: a
signing edge left behind would make every other test's unsigned captures refused).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from sqlalchemy import Engine, text
from structlog.testing import capture_logs

from financy.core.adapters.edge_keys import EdgeKeys
from financy.core.contracts.v1 import (
    CAPTURES_STREAM,
    PAYLOAD_FIELD,
    CaptureV1,
    MediaRef,
    confirms_stream,
    decode_confirmed,
    encode,
)
from financy.core.entrypoints.ingest import IngestConsumer
from financy.core.service.handlers.users import ContextDefaults
from financy.runtime.origin import new_origin_key, signed_fields
from financy.runtime.streams import ConsumerOptions
from tests.support.captures import dev_capture, entry, record

pytestmark = pytest.mark.integration

DEAD = f"{CAPTURES_STREAM}:dead"


class Edges:
    """Inserts ``edges`` rows for one test and deletes them afterwards."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ids: list[str] = []

    def add(self, name: str, *, enrolled: bool = True, revoked: bool = False) -> tuple[str, str]:
        edge_id, key = f"{name}-{uuid.uuid4().hex[:6]}", new_origin_key()
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO edges (id, origin_key, enrolled_at, revoked_at) VALUES "
                    "(:id, :k, CASE WHEN :e THEN now() END, CASE WHEN :r THEN now() END)"
                ),
                {"id": edge_id, "k": key, "e": enrolled, "r": revoked},
            )
        self.ids.append(edge_id)
        return edge_id, key


@pytest.fixture
def edges(engine: Engine) -> Iterator[Edges]:
    made = Edges(engine)
    yield made
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM edges WHERE id = ANY(:ids)"), {"ids": made.ids})


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    c = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield c
    await c.aclose()


class Ingest(IngestConsumer):
    """The real consumer; records what it applied and fails any capture whose text is in ``fail``."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fail: set[str] = set()
        self.applied: list[str] = []

    def _apply_and_reply(self, captures: Sequence[CaptureV1]) -> None:
        bad = [c.text for c in captures if c.text in self.fail]
        if bad:
            raise ValueError(f"cannot apply {bad}")
        super()._apply_and_reply(captures)
        self.applied.extend(c.message_id for c in captures)


@pytest.fixture
async def make(engine: Engine, redis_url: str) -> AsyncIterator[Any]:
    made: list[tuple[aioredis.Redis, redis.Redis]] = []

    def build(**kw: Any) -> Ingest:
        raw, relay = aioredis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
        made.append((raw, relay))
        return Ingest(
            raw,
            engine,
            relay,
            defaults=ContextDefaults(),
            consumer="t1",
            options=ConsumerOptions(batch=50, max_deliveries=5, retry_base_s=0.0),
            edge_keys=EdgeKeys(engine, ttl_s=60, miss_refresh_s=0.0),
            **kw,
        )

    yield build
    for raw, relay in made:
        await raw.aclose()
        relay.close()


async def step(consumer: IngestConsumer, start: str = ">") -> int:
    """One read-and-handle pass of ``consumer`` (``start`` ">" new entries, "0" its pending ones)."""
    await consumer.ensure_group()
    entries = await consumer._read(start, block=None)
    return await consumer._handle_all(entries) if entries else 0


def capture_of(edge_id: str, *, chat: str | None = None, text_: str = "…", **fields: Any) -> CaptureV1:
    user = chat or f"u{uuid.uuid4().hex[:8]}"
    base = dev_capture(user, record(entry("12.50")), chat=chat, edge_id=edge_id, text=text_)
    return base.model_copy(update=fields) if fields else base


def signed(capture: CaptureV1, edge_id: str, key: str) -> dict[str, str]:
    return signed_fields(encode(capture), edge_id=edge_id, key_hex=key, payload_field=PAYLOAD_FIELD)


async def dead_reasons(client: aioredis.Redis) -> list[str]:
    return [fields["dead_reason"] for _, fields in await client.xrange(DEAD)]


async def confirmed(client: aioredis.Redis, edge_id: str) -> list[str]:
    keys: list[str] = []
    for _, fields in await client.xrange(confirms_stream(edge_id)):
        message = decode_confirmed(fields)
        assert message.edge_id == edge_id
        keys.extend(message.idempotency_keys)
    return keys


async def pending(client: aioredis.Redis) -> int:
    return int((await client.xpending(CAPTURES_STREAM, "core-ingest"))["pending"])


async def test_unsigned_captures_pass_while_no_edge_signs_and_are_confirmed_duplicates_too(
    make: Any, client: aioredis.Redis
) -> None:
    """GIVEN no signing edge WHEN an unsigned capture arrives twice THEN it is recorded once and
    both deliveries are confirmed to its edge with its idempotency key."""
    edge = f"e-{uuid.uuid4().hex[:6]}"
    capture = capture_of(edge)
    consumer = make()
    await client.xadd(CAPTURES_STREAM, encode(capture))
    await client.xadd(CAPTURES_STREAM, encode(capture))
    assert await step(consumer) == 0
    assert consumer.applied == [capture.message_id, capture.message_id]
    assert await confirmed(client, edge) == [capture.idempotency_key, capture.idempotency_key]
    assert await client.xlen(DEAD) == 0
    assert await pending(client) == 0


async def test_a_signed_capture_of_an_enrolled_edge_is_recorded_and_confirmed(
    make: Any, client: aioredis.Redis, edges: Edges
) -> None:
    edge, key = edges.add("home")
    capture = capture_of(edge)
    consumer = make()
    await client.xadd(CAPTURES_STREAM, signed(capture, edge, key))
    assert await step(consumer) == 0
    assert consumer.applied == [capture.message_id]
    assert await confirmed(client, edge) == [capture.idempotency_key]
    assert await client.xlen(DEAD) == 0


async def test_every_refusal_is_dead_lettered_with_its_precise_reason_and_counted(
    make: Any, client: aioredis.Redis, edges: Edges
) -> None:
    """GIVEN enrolled edges A and B and a revoked edge R WHEN entries arrive unsigned, signed with
    the wrong key, naming A but signed by B, from R, and with a media key under another edge
    THEN none is applied; each is kept in the dead-letter stream with its reason and counted;
    a good one among them is recorded."""
    a, key_a = edges.add("a")
    b, key_b = edges.add("b")
    r, key_r = edges.add("r", revoked=True)
    media = MediaRef(key=f"captures/{b}/x/original.ogg", content_type="audio/ogg", size=1, sha256="0" * 64)
    traversal = media.model_copy(update={"key": f"captures/{a}/../{b}/original.ogg"})
    good = capture_of(a)
    await client.xadd(CAPTURES_STREAM, encode(capture_of(a)))
    await client.xadd(CAPTURES_STREAM, signed(capture_of(a), a, key_b))
    await client.xadd(CAPTURES_STREAM, signed(capture_of(a), b, key_b))
    await client.xadd(CAPTURES_STREAM, signed(capture_of(r), r, key_r))
    await client.xadd(CAPTURES_STREAM, signed(capture_of(a, media=media), a, key_a))
    await client.xadd(CAPTURES_STREAM, signed(capture_of(a, media=traversal), a, key_a))
    await client.xadd(CAPTURES_STREAM, signed(good, a, key_a))
    await client.xadd(CAPTURES_STREAM, signed(capture_of("ghost"), "ghost", key_a))
    consumer = make()
    with capture_logs() as logs:
        assert await step(consumer) == 0
    assert consumer.applied == [good.message_id]
    reasons = await dead_reasons(client)
    assert reasons[:5] == [
        "unsigned capture while edges are enrolled",
        f"signature does not match edge {a}",
        f"capture says edge {a}, signed by {b}",
        f"edge {r} revoked",
        f"media key outside captures/{a}/: captures/{b}/x/original.ogg",
    ]
    assert reasons[5] == f"media key outside captures/{a}/: captures/{a}/../{b}/original.ogg"
    assert reasons[6] == "unknown edge ghost"
    counts = {
        k: consumer.refused.labels(k)._value.get() for k in ("unsigned", "bad_signature", "edge_mismatch")
    }
    assert counts == {"unsigned": 1, "bad_signature": 1, "edge_mismatch": 1}
    assert consumer.refused.labels("revoked")._value.get() == 1
    assert consumer.refused.labels("media_key")._value.get() == 2
    assert len([e for e in logs if e["event"] == "ingest.origin_refused"]) == 7
    assert await pending(client) == 0
    assert await confirmed(client, a) == [good.idempotency_key]


async def test_an_edge_enrolled_after_the_cache_loaded_is_found_on_its_first_capture(
    make: Any, client: aioredis.Redis, edges: Edges
) -> None:
    consumer = make()
    consumer.edge_keys.refresh()
    edge, key = edges.add("late")
    capture = capture_of(edge)
    await client.xadd(CAPTURES_STREAM, signed(capture, edge, key))
    assert await step(consumer) == 0
    assert consumer.applied == [capture.message_id]


async def test_require_signed_refuses_unsigned_captures_with_no_edge_enrolled(
    make: Any, client: aioredis.Redis
) -> None:
    consumer = make(require_signed=True)
    await client.xadd(CAPTURES_STREAM, encode(capture_of("e1")))
    assert await step(consumer) == 0
    assert consumer.applied == []
    assert await dead_reasons(client) == ["unsigned capture while signed captures are required"]


async def test_an_unknown_contract_version_is_refused_loudly_and_kept_never_read_as_v1(
    make: Any, client: aioredis.Redis
) -> None:
    """GIVEN a capture that would parse as v1 but says schema_version 2, one with a "type", and a
    broken v1 capture WHEN ingested THEN the first two are dead-lettered as unknown contracts
    (counted apart, logged critical), the broken one as an invalid payload, the good one recorded."""
    good = capture_of("e2")
    v2 = encode(capture_of("e2")) | {}
    v2[PAYLOAD_FIELD] = v2[PAYLOAD_FIELD].replace('"schema_version":1', '"schema_version":2')
    typed = encode(capture_of("e2"))
    typed[PAYLOAD_FIELD] = typed[PAYLOAD_FIELD][:-1] + ',"type":"capture.v3"}'
    await client.xadd(CAPTURES_STREAM, v2)
    await client.xadd(CAPTURES_STREAM, typed)
    await client.xadd(CAPTURES_STREAM, {PAYLOAD_FIELD: '{"schema_version": 1, "chat_id": 5}'})
    await client.xadd(CAPTURES_STREAM, encode(good))
    consumer = make()
    with capture_logs() as logs:
        assert await step(consumer) == 0
    assert consumer.applied == [good.message_id]
    reasons = await dead_reasons(client)
    assert reasons[:2] == ["unknown contract version 2", 'unknown contract type "capture.v3"']
    assert reasons[2].startswith("invalid capture payload:")
    assert consumer.unknown_contract._value.get() == 2
    critical = [e for e in logs if e["event"] == "ingest.unknown_contract_version"]
    assert [e["log_level"] for e in critical] == ["critical", "critical"]
    (kept,) = [f for _, f in await client.xrange(DEAD) if f["dead_reason"] == "unknown contract version 2"]
    assert kept[PAYLOAD_FIELD] == v2[PAYLOAD_FIELD]


async def test_when_a_capture_fails_the_later_ones_of_its_chat_wait_for_it(
    make: Any, client: aioredis.Redis
) -> None:
    """GIVEN x1, x2 of chat X and y1 of chat Y in one batch, x1 failing WHEN ingested THEN the batch
    falls back one by one: y1 is applied, x2 stays pending behind x1, and x3 arriving later waits
    too; once x1 succeeds the chat is applied in stream order x1, x2, x3."""
    chat_x = f"x{uuid.uuid4().hex[:8]}"
    x1, x2, x3 = (capture_of("e3", chat=chat_x, text_=t) for t in ("boom", "two", "three"))
    y1 = capture_of("e3")
    for c in (x1, x2, y1):
        await client.xadd(CAPTURES_STREAM, encode(c))
    consumer = make()
    consumer.fail = {"boom"}
    assert await step(consumer) == 2
    assert consumer.applied == [y1.message_id]
    assert await pending(client) == 2
    await client.xadd(CAPTURES_STREAM, encode(x3))
    assert await step(consumer) == 1  # x3 is held behind x1
    assert consumer.applied == [y1.message_id]
    assert await pending(client) == 3
    assert await step(consumer, "0") == 3  # x1 fails again; x2, x3 still wait
    consumer.fail.clear()
    assert await step(consumer, "0") == 0
    assert consumer.applied == [y1.message_id, x1.message_id, x2.message_id, x3.message_id]
    assert await pending(client) == 0
    assert consumer._blocked == {}


async def test_a_failed_confirmation_is_logged_and_does_not_fail_the_batch(
    engine: Engine, redis_url: str, client: aioredis.Redis
) -> None:
    """GIVEN the relay connection down (replies and confirmations cannot be written) WHEN a capture
    is ingested THEN it is committed and acknowledged anyway, the failed confirmation logged."""
    raw, relay = aioredis.Redis.from_url(redis_url), redis.Redis.from_url("redis://127.0.0.1:1/0")
    consumer = Ingest(raw, engine, relay, defaults=ContextDefaults(), consumer="t1")
    capture = capture_of("e4")
    await client.xadd(CAPTURES_STREAM, encode(capture))
    try:
        with capture_logs() as logs:
            assert await step(consumer) == 0
    finally:
        await raw.aclose()
        relay.close()
    assert consumer.applied == [capture.message_id]
    assert "ingest.confirm_failed" in [e["event"] for e in logs]
    assert await pending(client) == 0


async def test_trim_streams_drops_acknowledged_captures_and_replies_only(client: aioredis.Redis) -> None:
    """GIVEN 300 captures, 250 acknowledged and 50 pending, and a reply stream whose edge group has
    delivered everything WHEN ingest trims THEN the pending captures all stay and acknowledged
    entries go (``~``: whole nodes of them)."""
    from financy.core.entrypoints.ingest import trim_streams

    ids = [await client.xadd(CAPTURES_STREAM, {"n": str(n)}) for n in range(300)]
    await client.xgroup_create(CAPTURES_STREAM, "core-ingest", id="0")
    await client.xreadgroup("core-ingest", "c", {CAPTURES_STREAM: ">"}, count=300)
    await client.xack(CAPTURES_STREAM, "core-ingest", *ids[:250])
    replies = "financy:edge:e5:replies"
    for n in range(300):
        await client.xadd(replies, {"n": str(n)})
    await client.xgroup_create(replies, "edge", id="$")
    removed = await trim_streams(client)
    kept = [e[0] for e in await client.xrange(CAPTURES_STREAM)]
    assert set(ids[250:]) <= set(kept)  # pending and later entries all stay
    assert len(kept) < 300  # approximate: whole nodes of acknowledged ones go
    left = await client.xlen(replies)
    assert left < 300
    assert removed == (300 - len(kept)) + (300 - left)


async def test_a_chat_another_edge_serves_is_refused_until_that_edge_is_revoked(
    make: Any, client: aioredis.Redis, edges: Edges, engine: Engine
) -> None:
    """GIVEN a chat first recorded through edge B WHEN edge A signs a capture for that chat THEN it is
    refused (kept, counted); once B is revoked, the chat may move to A."""
    a, key_a = edges.add("a")
    b, key_b = edges.add("b")
    chat = f"c{uuid.uuid4().hex[:8]}"
    first = capture_of(b, chat=chat)
    consumer = make()
    await client.xadd(CAPTURES_STREAM, signed(first, b, key_b))
    assert await step(consumer) == 0
    assert consumer.applied == [first.message_id]
    intruder = capture_of(a, chat=chat)
    await client.xadd(CAPTURES_STREAM, signed(intruder, a, key_a))
    assert await step(consumer) == 0
    assert consumer.applied == [first.message_id]
    assert await dead_reasons(client) == [f"chat devchat:{chat} is served by edge {b}, not {a}"]
    assert consumer.refused.labels("chat_of_other_edge")._value.get() == 1
    with engine.begin() as conn:
        conn.execute(text("UPDATE edges SET revoked_at = now() WHERE id = :id"), {"id": b})
    consumer.edge_keys.refresh()
    moved = capture_of(a, chat=chat)
    await client.xadd(CAPTURES_STREAM, signed(moved, a, key_a))
    assert await step(consumer) == 0
    assert consumer.applied == [first.message_id, moved.message_id]


async def test_a_huge_entry_is_kept_as_its_head_and_hash_and_a_resent_refusal_is_kept_once(
    make: Any, client: aioredis.Redis, edges: Edges
) -> None:
    """GIVEN a 2 MiB entry and a forged capture sent three times WHEN ingest reads them THEN the huge
    one is dead-lettered as its first 4 KiB, size and sha256, and the forged one is kept once."""
    import hashlib
    import json

    from financy.core.entrypoints.ingest import MAX_ENTRY_BYTES

    a, _key_a = edges.add("a")
    huge = {PAYLOAD_FIELD: "x" * (2 * MAX_ENTRY_BYTES)}
    await client.xadd(CAPTURES_STREAM, huge)  # type: ignore[arg-type]
    forged = signed(capture_of(a), a, new_origin_key())
    for _ in range(3):
        await client.xadd(CAPTURES_STREAM, forged)  # type: ignore[arg-type]
    consumer = make()
    assert await step(consumer) == 0
    dead = await client.xrange(DEAD)
    assert len(dead) == 2
    kept = dead[0][1]
    whole = json.dumps(huge, ensure_ascii=False).encode()
    assert kept["entry_bytes"] == str(len(whole))
    assert kept["entry_sha256"] == hashlib.sha256(whole).hexdigest()
    assert len(kept["entry_head"]) == 4096
    assert (
        kept["dead_reason"]
        == f"entry of {2 * MAX_ENTRY_BYTES + 7} bytes is over the {MAX_ENTRY_BYTES}-byte limit of a capture"
    )
    assert dead[1][1]["dead_reason"] == f"signature does not match edge {a}"
    assert await pending(client) == 0
