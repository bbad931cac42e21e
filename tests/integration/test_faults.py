"""Faults on the message path, with real processes and servers: nothing lost, nothing doubled.

* the ingest consumer killed with SIGKILL in the middle of a batch, then restarted;
* the core's Redis unreachable for a minute while messages keep arriving at the edge;
* PostgreSQL restarted while captures are being recorded.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import Engine, create_engine

from financy.core.adapters.migrate import upgrade
from financy.core.contracts.v1 import (
    CAPTURES_STREAM,
    encode,
)
from financy.core.settings import sqlalchemy_url
from financy.runtime.services import EmbeddedPostgres
from tests.support.delivery import capture_for, count, wait_until
from tests.support.processes import financy_env, free_port, running, start, wait_http
from tests.support.tcpproxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_ingest_killed_mid_batch_loses_and_doubles_nothing(
    database_url: str, redis_url: str, engine: Engine, edge_id: str, tmp_path: Path
) -> None:
    """GIVEN 600 captures queued WHEN ingest is SIGKILLed mid-batch and restarted THEN 600 transactions."""
    chat = f"kill-{uuid.uuid4().hex[:8]}"
    total = 600
    client = redis.Redis.from_url(redis_url)
    pipe = client.pipeline()
    for n in range(1, total + 1):
        pipe.xadd(CAPTURES_STREAM, encode(capture_for(chat, n, edge_id)))  # type: ignore[arg-type]
    pipe.execute()
    env = financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=redis_url,
        FINANCY_DATA_DIR=str(tmp_path),
        FINANCY_INGEST_CLAIM_IDLE_MS="1000",
        FINANCY_INGEST_BATCH="100",
    )
    sql = "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :c"
    first = start(["core", "ingest"], env, tmp_path / "ingest-1.log")
    wait_until(lambda: count(engine, sql, c=chat) >= 80, 60, "the first captures")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    done_before_restart = count(engine, sql, c=chat)
    assert done_before_restart < total, "the kill came too late to hit a batch"
    pending = client.xpending(CAPTURES_STREAM, "core-ingest")
    assert pending["pending"] > 0, "the killed consumer left un-acknowledged entries"
    with running(["core", "ingest"], env, tmp_path / "ingest-2.log"):
        wait_until(lambda: count(engine, sql, c=chat) >= total, 120, "every capture")
        wait_until(
            lambda: client.xpending(CAPTURES_STREAM, "core-ingest")["pending"] == 0,
            30,
            "all entries acknowledged",
        )
    assert count(engine, sql, c=chat) == total
    assert (
        count(engine, "SELECT count(DISTINCT idempotency_key) FROM captures WHERE chat_id = :c", c=chat)
        == total
    )
    assert count(engine, "SELECT count(*) FROM captures WHERE chat_id = :c", c=chat) == total
    amounts = count(
        engine,
        "SELECT sum(t.amount)::bigint FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :c",
        c=chat,
    )
    assert amounts == total * (total + 1) // 2
    client.close()


def test_core_redis_away_for_a_minute_messages_wait_at_the_edge(
    database_url: str, redis_url: str, engine: Engine, edge_id: str, tmp_path: Path
) -> None:
    """GIVEN the core's Redis unreachable WHEN 20 messages arrive over a minute THEN all are recorded after."""
    proxy = TcpProxy.for_redis_url(redis_url)
    proxy.start()
    port = free_port()
    edge_url = f"http://127.0.0.1:{port}"
    env = financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=proxy.url_for(redis_url),
        FINANCY_DATA_DIR=str(tmp_path),
        FINANCY_EDGE__ID=edge_id,
        FINANCY_EDGE__PORT=str(port),
    )
    chat = f"outage-{uuid.uuid4().hex[:8]}"
    sql = "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :c"
    try:
        with (
            running(["edge", "run"], env, tmp_path / "edge.log") as edge,
            running(["core", "ingest"], env, tmp_path / "ingest.log"),
        ):
            wait_http(f"{edge_url}/readyz", 30, edge)
            proxy.cut()
            outage_started = time.monotonic()
            # 20 messages, one every 3 s of the outage, then the outage lasts out its 60 s (a slow
            # answer on a loaded machine shifts the next message; it never drops one).
            sent = 0
            for slot in range(20):
                time.sleep(max(0.0, outage_started + 3 * slot - time.monotonic()))
                body = {"text": f"uber {sent + 1}", "user_id": chat, "message_id": f"m{sent}", "wait": 0.5}
                response = httpx.post(f"{edge_url}/devchat/messages", json=body, timeout=10)
                assert response.status_code == 202, response.text
                assert response.json()["accepted"] is True
                sent += 1
            time.sleep(max(0.0, outage_started + 60 - time.monotonic()))
            ready = httpx.get(f"{edge_url}/readyz", timeout=5).json()
            assert ready["core_redis"] == "unreachable"
            assert ready["pending"] == sent
            assert count(engine, sql, c=chat) == 0
            proxy.restore()
            wait_until(lambda: count(engine, sql, c=chat) == sent, 60, "the queued captures")

            def all_replied() -> bool:
                response = httpx.get(f"{edge_url}/devchat/replies", params={"chat_id": chat}, timeout=5)
                return len(response.json()["replies"]) == sent

            wait_until(all_replied, 30, "every reply")

            def ready_again() -> bool:
                # The probe's pooled connection died with the outage: the first ping after it may
                # fail while the pool reconnects.
                return httpx.get(f"{edge_url}/readyz", timeout=5).json() == {
                    "outbox": "ok",
                    "pending": 0,
                    "core_redis": "ok",
                }

            wait_until(ready_again, 15, "readyz ok again")
    finally:
        proxy.close()
    total = count(
        engine,
        "SELECT sum(t.amount)::bigint FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :c",
        c=chat,
    )
    assert total == sent * (sent + 1) // 2


def test_postgres_restarted_under_load_loses_and_doubles_nothing(
    redis_url: str, edge_id: str, tmp_path: Path
) -> None:
    """GIVEN captures flowing WHEN PostgreSQL restarts (fast shutdown) THEN every capture is recorded once.

    Uses a PostgreSQL cluster of its own (embedded) so that restarting it disturbs no other test.
    """
    pg = EmbeddedPostgres(tmp_path / "pg")
    url = pg.start()
    try:
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True)
        env = financy_env(
            FINANCY_DATABASE_URL=url, FINANCY_REDIS_URL=redis_url, FINANCY_DATA_DIR=str(tmp_path)
        )
        chat = f"pg-{uuid.uuid4().hex[:8]}"
        total = 400
        client = redis.Redis.from_url(redis_url)
        sql = "SELECT count(*) FROM captures WHERE chat_id = :c"
        with running(["core", "ingest"], env, tmp_path / "ingest.log") as ingest:
            for n in range(1, total + 1):
                client.xadd(CAPTURES_STREAM, encode(capture_for(chat, n, edge_id)))  # type: ignore[arg-type]
                if n == total // 4:
                    wait_until(lambda: count(engine, sql, c=chat) >= 20, 30, "the first captures")
                    engine.dispose()
                    pg.restart()
            wait_until(lambda: count(engine, sql, c=chat) >= total, 120, "every capture after the restart")
            assert ingest.poll() is None, "ingest survived the restart"
        assert (
            count(
                engine,
                "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :c",
                c=chat,
            )
            == total
        )
        assert client.xlen(f"{CAPTURES_STREAM}:dead") == 0
        engine.dispose()
        client.close()
    finally:
        pg.stop()
