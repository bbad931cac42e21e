"""Fleet faults with counts: real ``financy edge run`` (its outbox relay) and ``financy core ingest``.

Each test prints one line ``sent=N recorded=N duplicated=N lost=N`` (``pytest -s`` shows it) and
asserts 0 lost and 0 duplicated:

* the ingest consumer SIGKILLed at 3 random points of a 5,000-capture run (seeded; the seed is
  printed, ``FINANCY_FAULT_SEED`` replays one) and restarted each time;
* the core's Redis (a server of the test's own, AOF on) stopped with SIGTERM mid-run and started
  again on the same directory;
* a poison entry (valid JSON, broken contract) added in the middle: dead-lettered, the rest recorded.

The captures go into the edge's outbox (``<data_dir>/edge/<id>/outbox.sqlite3``) as the edge's
intake would put them; the edge's relay moves them to ``financy:captures``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from financy.core.contracts.v1 import CAPTURES_STREAM
from financy.edge.outbox.store import EdgeOutbox
from financy.runtime.services import EmbeddedRedis
from tests.support.delivery import (
    DeliveryCounts,
    capture_for,
    count,
    delivery_counts,
    wait_until,
)
from tests.support.processes import financy_env, free_port, running, start, stop, wait_http

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GROUP = "core-ingest"
DEAD_STREAM = f"{CAPTURES_STREAM}:dead"


def recorded(engine: Engine, chat: str) -> int:
    return count(
        engine,
        "SELECT count(DISTINCT c.idempotency_key) FROM captures c JOIN transactions t"
        " ON t.capture_id = c.id WHERE c.chat_id = :c",
        c=chat,
    )


def fill_outbox(outbox: EdgeOutbox, chat: str, edge_id: str, numbers: range) -> int:
    """Store captures ``numbers`` of ``chat`` in the edge's outbox; return how many."""
    for n in numbers:
        capture = capture_for(chat, n, edge_id)
        assert outbox.put(capture.idempotency_key, capture.model_dump_json())
    return len(numbers)


def report(counts: DeliveryCounts) -> None:
    print(counts.line(), flush=True)
    assert counts.lost == 0, counts.line()
    assert counts.duplicated == 0, counts.line()
    assert counts.recorded == counts.sent


def amounts(engine: Engine, chat: str) -> int:
    return count(
        engine,
        "SELECT coalesce(sum(t.amount), 0)::bigint FROM transactions t JOIN captures c"
        " ON c.id = t.capture_id WHERE c.chat_id = :c",
        c=chat,
    )


@contextmanager
def edge_with_outbox(env: dict[str, str], data_dir: Path, edge_id: str) -> Iterator[EdgeOutbox]:
    """Run ``financy edge run`` and yield its outbox, opened beside it (SQLite WAL, two processes)."""
    with running(["edge", "run"], env, data_dir / "edge.log") as edge:
        wait_http(f"http://127.0.0.1:{env['FINANCY_EDGE__PORT']}/readyz", 60, edge)
        outbox = EdgeOutbox(data_dir / "edge" / edge_id / "outbox.sqlite3")
        yield outbox
        assert edge.poll() is None, "the edge stayed up"


def fleet_env(database_url: str, redis_url: str, data_dir: Path, edge_id: str) -> dict[str, str]:
    return financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=redis_url,
        FINANCY_DATA_DIR=str(data_dir),
        FINANCY_EDGE__ID=edge_id,
        FINANCY_EDGE__PORT=str(free_port()),
        FINANCY_INGEST_CLAIM_IDLE_MS="1000",
        FINANCY_INGEST_BATCH="100",
    )


def all_acknowledged(client: redis.Redis) -> bool:
    try:
        return int(client.xpending(CAPTURES_STREAM, GROUP)["pending"]) == 0
    except redis.ResponseError:
        return False


def test_ingest_sigkilled_at_three_random_points_of_5000_captures(
    database_url: str, redis_url: str, engine: Engine, edge_id: str, tmp_path: Path
) -> None:
    """GIVEN 5,000 captures in the edge's outbox WHEN ingest is SIGKILLed 3 times at random and
    restarted THEN every capture is recorded exactly once."""
    seed = int(os.environ.get("FINANCY_FAULT_SEED") or time.time_ns() % 1_000_000)
    rng = random.Random(seed)
    total = 5000
    kills = sorted(rng.sample(range(300, total - 500), 3))
    print(f"seed={seed} kill_after_recorded={kills}", flush=True)
    chat = f"kill5k-{uuid.uuid4().hex[:8]}"
    env = fleet_env(database_url, redis_url, tmp_path, edge_id)
    client = redis.Redis.from_url(redis_url)
    with edge_with_outbox(env, tmp_path, edge_id) as outbox:
        sent = fill_outbox(outbox, chat, edge_id, range(1, total + 1))
        ingest: subprocess.Popen[bytes] = start(["core", "ingest"], env, tmp_path / "ingest-0.log")
        try:
            for i, threshold in enumerate(kills, start=1):
                wait_until(lambda t=threshold: recorded(engine, chat) >= t, 90, f"{threshold} recorded")
                time.sleep(rng.uniform(0.0, 0.3))
                os.kill(ingest.pid, signal.SIGKILL)
                ingest.wait()
                print(f"kill {i}: recorded={recorded(engine, chat)}", flush=True)
                ingest = start(["core", "ingest"], env, tmp_path / f"ingest-{i}.log")
            wait_until(lambda: recorded(engine, chat) >= total, 120, "every capture")
            wait_until(lambda: all_acknowledged(client), 30, "every entry acknowledged")
            assert outbox.count_pending() == 0
        finally:
            stop(ingest)
    report(delivery_counts(engine, chat, sent))
    assert amounts(engine, chat) == total * (total + 1) // 2
    assert client.xlen(DEAD_STREAM) == 0
    client.close()


def test_core_redis_restarted_mid_run(
    database_url: str, engine: Engine, edge_id: str, tmp_path: Path
) -> None:
    """GIVEN captures flowing WHEN the core's Redis (AOF on) is stopped with SIGTERM and started again on
    its directory THEN the captures sent before, during and after are each recorded once."""
    server = EmbeddedRedis(tmp_path / "core-redis")
    redis_url = server.start()
    chat = f"redisrestart-{uuid.uuid4().hex[:8]}"
    env = fleet_env(database_url, redis_url, tmp_path, edge_id)
    sent = 0
    try:
        with (
            edge_with_outbox(env, tmp_path, edge_id) as outbox,
            running(["core", "ingest"], env, tmp_path / "ingest.log") as ingest,
        ):
            sent += fill_outbox(outbox, chat, edge_id, range(1, 1501))
            wait_until(lambda: recorded(engine, chat) >= 400, 90, "the first captures")
            server.stop()  # SIGTERM: Redis writes its AOF and exits
            print(f"redis stopped: recorded={recorded(engine, chat)}", flush=True)
            sent += fill_outbox(outbox, chat, edge_id, range(1501, 2001))  # kept by the edge meanwhile
            time.sleep(3)
            assert server.start() == redis_url
            sent += fill_outbox(outbox, chat, edge_id, range(2001, 3001))
            wait_until(lambda: recorded(engine, chat) >= sent, 120, "every capture after the restart")
            client = redis.Redis.from_url(redis_url)
            wait_until(lambda: all_acknowledged(client), 30, "every entry acknowledged")
            assert client.xlen(DEAD_STREAM) == 0
            client.close()
            assert ingest.poll() is None, "ingest rode out the restart"
    finally:
        server.stop()
    report(delivery_counts(engine, chat, sent))
    assert amounts(engine, chat) == sent * (sent + 1) // 2


def test_poison_entry_goes_to_the_dead_letter_stream_while_the_rest_flows(
    database_url: str, redis_url: str, engine: Engine, edge_id: str, tmp_path: Path
) -> None:
    """GIVEN a valid-JSON entry breaking the capture contract amid 1,000 captures WHEN ingested THEN it is
    in financy:captures:dead with its payload and reason, and the 1,000 are recorded once."""
    chat = f"poison-{uuid.uuid4().hex[:8]}"
    env = fleet_env(database_url, redis_url, tmp_path, edge_id)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    poison = json.dumps({"contract_version": 1, "capture_id": "not-a-uuid", "chat_id": chat})
    with (
        edge_with_outbox(env, tmp_path, edge_id) as outbox,
        running(["core", "ingest"], env, tmp_path / "ingest.log"),
    ):
        sent = fill_outbox(outbox, chat, edge_id, range(1, 501))
        wait_until(lambda: recorded(engine, chat) >= 200, 60, "the first captures")
        poison_id = client.xadd(CAPTURES_STREAM, {"payload": poison})
        sent += fill_outbox(outbox, chat, edge_id, range(501, 1001))
        wait_until(lambda: recorded(engine, chat) >= sent, 90, "every good capture")
        wait_until(lambda: client.xlen(DEAD_STREAM) >= 1, 30, "the poison entry dead-lettered")
        wait_until(lambda: all_acknowledged(client), 30, "every entry acknowledged")
    dead = client.xrange(DEAD_STREAM)
    assert len(dead) == 1
    fields = dead[0][1]
    assert fields["payload"] == poison
    assert fields["dead_entry_id"] == poison_id
    assert fields["dead_reason"].startswith("invalid capture payload")
    print(f"dead={len(dead)} reason={fields['dead_reason'][:80]!r}", flush=True)
    report(delivery_counts(engine, chat, sent))
    client.close()
