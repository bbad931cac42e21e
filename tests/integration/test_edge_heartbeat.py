"""The edge's heartbeat, as the real edge app wires it: real outbox file, real RQ queue, real Redis."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from financy import __version__
from financy.core.contracts.v1 import decode_heartbeat, heartbeat_stream
from financy.edge.app import create_app
from financy.edge.heartbeat import HEARTBEAT_MAXLEN, Heartbeat, memory_bytes
from financy.edge.settings import EdgeNode, EdgeSettings

pytestmark = pytest.mark.integration


async def test_the_edge_app_sends_a_decodable_heartbeat_with_its_real_depths(
    tmp_path: Path, redis_url: str, edge_id: str
) -> None:
    settings = EdgeSettings(
        redis_url=redis_url, data_dir=tmp_path, edge=EdgeNode(id=edge_id, heartbeat_interval_s=7)
    )
    app = create_app(settings)
    ctx = app.ctx
    assert ctx.heartbeat.interval_s == 7
    for n in range(3):
        assert ctx.outbox.put(f"devchat:c:{n}", '{"x": 1}')
    handed = ctx.outbox.pending(limit=1)
    ctx.outbox.mark_sent([p.id for p in handed])  # one handed over, still unconfirmed: 3 deep
    assert ctx.outbox.depth() == 3
    assert ctx.outbox.confirm([p.idempotency_key for p in handed]) == 1  # the core has it: 2 left
    for n in range(2):
        ctx.intake.queue.enqueue(f"capture-{n}")  # type: ignore[union-attr]
    assert await ctx.heartbeat.send()
    sync = redis.Redis.from_url(redis_url)
    ((_, fields),) = sync.xrange(heartbeat_stream(edge_id))
    beat = decode_heartbeat(fields)
    assert beat.edge_id == edge_id
    assert beat.software_version == __version__
    assert beat.contract_versions == (1,)
    assert beat.models == ()  # no model published yet
    assert beat.outbox_depth == 2 == ctx.outbox.depth() == ctx.outbox.count_pending()
    assert beat.queue_depth == 2
    assert beat.outbox_capacity == getattr(settings.edge, "outbox_capacity", 100_000)
    assert beat.cpu_count == os.cpu_count()
    assert beat.memory_bytes == memory_bytes() > 0
    assert beat.gpu is None or beat.gpu
    sync.close()
    await ctx.redis.aclose()
    ctx.outbox.close()
    ctx.bots.close()


async def test_heartbeats_are_trimmed_and_a_core_away_is_only_retried(
    tmp_path: Path, redis_url: str, edge_id: str
) -> None:
    settings = EdgeSettings(redis_url=redis_url, data_dir=tmp_path, edge=EdgeNode(id=edge_id))
    app = create_app(settings)
    ctx = app.ctx
    heartbeat = Heartbeat(
        ctx.redis, edge_id=edge_id, outbox=ctx.outbox, models=list, queue_depth=lambda: 0, interval_s=0.01
    )
    task = asyncio.create_task(heartbeat.run())
    async with asyncio.timeout(30):
        while heartbeat.sent < 3 * HEARTBEAT_MAXLEN:
            await asyncio.sleep(0.02)
    heartbeat.stop()
    await asyncio.wait_for(task, 5)
    sync = redis.Redis.from_url(redis_url)
    assert HEARTBEAT_MAXLEN <= sync.xlen(heartbeat_stream(edge_id)) < 3 * HEARTBEAT_MAXLEN
    sync.close()

    # A core Redis nobody listens on: no exception, nothing counted, the loop keeps going.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    away = aioredis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    lost = Heartbeat(away, edge_id=edge_id, outbox=ctx.outbox, models=list, queue_depth=lambda: 0)
    assert not await lost.send()
    assert lost.sent == 0
    await away.aclose()
    await ctx.redis.aclose()
    ctx.outbox.close()
    ctx.bots.close()
