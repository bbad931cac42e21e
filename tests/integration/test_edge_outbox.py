"""The edge outbox against a real Redis and a real ``financy edge run`` process.

The test plays the core's side of the wire: it reads ``financy:captures`` and writes
:class:`CapturesConfirmedV1` to the edge's confirms stream, as ingest does after its commit.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import redis

from financy.core.contracts.v1 import (
    CAPTURES_STREAM,
    PAYLOAD_FIELD,
    CapturesConfirmedV1,
    confirms_stream,
    decode_capture,
    encode,
)
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.status import FULL_LINE
from financy.runtime.origin import new_origin_key, verify
from tests.support.processes import financy_env, free_port, running, wait_http
from tests.support.tcpproxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OFFLINE_PT = "Recebido — registro quando a conexão voltar."
OFFLINE_EN = "Received — I'll record it when the connection is back."


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` until true; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def entries_by_key(client: redis.Redis) -> dict[str, list[dict[str, str]]]:
    """Return the captures stream's entries grouped by idempotency key, in stream order."""
    found: dict[str, list[dict[str, str]]] = {}
    for _id, fields in client.xrange(CAPTURES_STREAM) or []:
        decoded = {_text(k): _text(v) for k, v in (fields or {}).items()}
        found.setdefault(decode_capture(decoded).idempotency_key, []).append(decoded)
    return found


def confirm(client: redis.Redis, edge_id: str, keys: list[str]) -> None:
    """Write what ingest writes after committing ``keys``."""
    message = CapturesConfirmedV1(
        edge_id=edge_id, idempotency_keys=tuple(keys), confirmed_at=dt.datetime.now(dt.UTC)
    )
    client.xadd(confirms_stream(edge_id), encode(message))  # type: ignore[arg-type]


def metric(edge_url: str, name: str) -> float:
    """Return the value of the edge's metric ``name`` (no labels)."""
    for line in httpx.get(f"{edge_url}/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


def outbox_stats(path: Path, capacity: int = 100_000):  # type: ignore[no-untyped-def]
    box = EdgeOutbox(path)
    try:
        return box.stats(capacity)
    finally:
        box.close()


def post(edge_url: str, chat: str, message_id: str, text: str, **extra: object) -> httpx.Response:
    body = {"text": text, "user_id": chat, "message_id": message_id, "wait": 0, **extra}
    return httpx.post(f"{edge_url}/devchat/messages", json=body, timeout=15)


def test_offline_answer_confirmations_and_resends_with_one_idempotency_key(
    redis_url: str, edge_id: str, tmp_path: Path
) -> None:
    """GIVEN an edge signing its entries WHEN the core confirms some, ignores one, and is then away
    THEN confirmed rows are never resent, the ignored one is resent with the same key, and messages
    taken while away get the offline answer, are kept, and go out when it is back."""
    key = new_origin_key()
    proxy = TcpProxy.for_redis_url(redis_url)
    proxy.start()
    port = free_port()
    edge_url = f"http://127.0.0.1:{port}"
    env = financy_env(
        FINANCY_REDIS_URL=proxy.url_for(redis_url),
        FINANCY_DATA_DIR=str(tmp_path),
        FINANCY_EDGE__ID=edge_id,
        FINANCY_EDGE__PORT=str(port),
        FINANCY_EDGE__ORIGIN_KEY=key,
        FINANCY_EDGE__RESEND_AFTER_S="3",
    )
    outbox_path = tmp_path / "edge" / edge_id / "outbox.sqlite3"
    core = redis.Redis.from_url(redis_url)
    chat = "outbox-chat"
    k1, k2, k3, k4 = (f"devchat:{chat}:m{n}" for n in range(1, 5))
    try:
        with running(["edge", "run"], env, tmp_path / "edge.log") as edge:
            wait_http(f"{edge_url}/readyz", 60, edge)
            first = post(edge_url, chat, "m1", "uber 10")
            assert first.status_code == 202, first.text
            assert "notice" not in first.json()
            wait_until(lambda: k1 in entries_by_key(core), 15, "m1 on the captures stream")
            entry = entries_by_key(core)[k1][0]
            assert entry["origin"] == edge_id
            assert verify(key, edge_id, entry[PAYLOAD_FIELD], entry["sig"]) is True
            confirm(core, edge_id, [k1])
            wait_until(lambda: outbox_stats(outbox_path).confirmed == 1, 15, "m1 confirmed")

            assert post(edge_url, chat, "m2", "almoço 20").status_code == 202
            # Never confirmed: after resend_after_s the relay sends it again, same payload and key.
            wait_until(lambda: len(entries_by_key(core).get(k2, [])) >= 2, 30, "m2 resent")
            sent_twice = entries_by_key(core)[k2][:2]
            assert sent_twice[0][PAYLOAD_FIELD] == sent_twice[1][PAYLOAD_FIELD]
            assert decode_capture(sent_twice[1]).idempotency_key == k2
            assert len(entries_by_key(core)[k1]) == 1  # confirmed: never resent
            assert metric(edge_url, "financy_edge_outbox_resent_total") >= 1
            confirm(core, edge_id, [k2])
            wait_until(lambda: outbox_stats(outbox_path).sent_unconfirmed == 0, 15, "m2 confirmed")

            proxy.cut()
            wait_until(lambda: metric(edge_url, "financy_edge_core_connected") == 0, 30, "the relay offline")
            away_pt = post(edge_url, chat, "m3", "mercado 30")
            away_en = post(edge_url, chat, "m4", "lunch 40", language="en")
            assert away_pt.status_code == 202, away_pt.text
            assert away_pt.json()["notice"] == OFFLINE_PT
            assert away_pt.json()["accepted"] is True
            assert away_en.json()["notice"] == OFFLINE_EN
            stats = outbox_stats(outbox_path)
            assert (stats.pending, stats.confirmed) == (2, 2)
            assert k3 not in entries_by_key(core)

            proxy.restore()
            wait_until(lambda: {k3, k4} <= set(entries_by_key(core)), 30, "m3 and m4 after the outage")
            order = [k for k in entries_by_key(core) if k in (k3, k4)]
            assert order == [k3, k4]
            confirm(core, edge_id, [k3, k4])
            wait_until(lambda: outbox_stats(outbox_path).depth == 0, 15, "everything confirmed")
            assert outbox_stats(outbox_path).confirmed == 4
            assert metric(edge_url, "financy_edge_core_connected") == 1
    finally:
        proxy.close()
        core.close()


def test_a_full_outbox_refuses_new_messages_with_503_and_says_so(
    redis_url: str, edge_id: str, tmp_path: Path
) -> None:
    """GIVEN capacity 3 and a core that does not confirm WHEN a 4th message arrives THEN the dev chat
    and the webhooks answer 503 with Retry-After, the gauge says full, ``financy edge status`` prints
    the full line and exits 1; a confirmation drains it and messages are taken again."""
    port = free_port()
    edge_url = f"http://127.0.0.1:{port}"
    env = financy_env(
        FINANCY_REDIS_URL=redis_url,
        FINANCY_DATA_DIR=str(tmp_path),
        FINANCY_EDGE__ID=edge_id,
        FINANCY_EDGE__PORT=str(port),
        FINANCY_EDGE__OUTBOX_CAPACITY="3",
        FINANCY_WHATSAPP__TOKEN="test-token",
        FINANCY_WHATSAPP__PHONE_NUMBER_ID="100",
        FINANCY_WHATSAPP__APP_SECRET="app-secret",
        FINANCY_LOG_JSON="true",
    )
    core = redis.Redis.from_url(redis_url)
    chat = "full-chat"
    log_path = tmp_path / "edge.log"
    try:
        with running(["edge", "run"], env, log_path) as edge:
            wait_http(f"{edge_url}/readyz", 60, edge)
            for n in range(3):
                assert post(edge_url, chat, f"m{n}", f"uber {n + 1}").status_code == 202
            refused = post(edge_url, chat, "m3", "uber 4")
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "60"
            assert refused.json()["error"]["code"] == "outbox_full"
            webhook = httpx.post(f"{edge_url}/webhooks/whatsapp", content=b"{}", timeout=5)
            assert webhook.status_code == 503
            assert webhook.headers["Retry-After"] == "60"
            assert metric(edge_url, "financy_edge_outbox_full") == 1
            assert metric(edge_url, "financy_edge_outbox_depth") == 3
            status = subprocess.run(
                [sys.executable, "-m", "financy.cli", "edge", "status"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert status.returncode == 1, status.stdout + status.stderr
            assert FULL_LINE in status.stdout
            assert "outbox depth / capacity:          3 / 3" in status.stdout
            assert "core redis: ok" in status.stdout

            wait_until(lambda: len(entries_by_key(core)) == 3, 15, "the three captures sent")
            confirm(core, edge_id, [f"devchat:{chat}:m0", f"devchat:{chat}:m1"])
            wait_until(lambda: metric(edge_url, "financy_edge_outbox_full") == 0, 15, "the outbox drained")
            again = post(edge_url, chat, "m3", "uber 4")
            assert again.status_code == 202, again.text
            assert again.json()["accepted"] is True
            assert metric(edge_url, "financy_edge_outbox_full") == 0  # 2 of 3: room left
        events = [
            json.loads(line).get("event")
            for line in log_path.read_text().splitlines()
            if line.startswith("{")
        ]
        assert events.count("edge.outbox_full") == 1
        assert events.count("edge.outbox_drained") == 1
    finally:
        core.close()
