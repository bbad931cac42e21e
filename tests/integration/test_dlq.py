"""``financy core dlq`` as a real subprocess on a real Redis, and the dead-letter gauge on /metrics."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import redis

from financy.core.contracts.v1 import CAPTURES_STREAM, PAYLOAD_FIELD, encode
from financy.core.entrypoints.api import ApiApp
from tests.support.captures import dev_capture, entry, record

pytestmark = pytest.mark.integration

DEAD = f"{CAPTURES_STREAM}:dead"


def dlq(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FINANCY_REDIS_URL": redis_url, "FINANCY_LOG_JSON": "false"}
    env.pop("FINANCY_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "financy.cli", "core", "dlq", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def dead_letter(client: redis.Redis, fields: dict[str, str], reason: str, entry_id: str = "1-1") -> str:
    body = {**fields, "dead_reason": reason, "dead_entry_id": entry_id, "dead_group": "core-ingest"}
    return client.xadd(DEAD, body).decode()  # type: ignore[arg-type, union-attr]


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    c = redis.Redis.from_url(redis_url)
    yield c  # type: ignore[misc]
    c.close()


def test_list_and_show_name_the_entry_group_reason_and_idempotency_key(
    redis_url: str, client: redis.Redis
) -> None:
    capture = dev_capture("ana", record(entry("9.90")), edge_id="e-dlq")
    first = dead_letter(client, encode(capture), "unknown contract version 2", "17-0")
    second = dead_letter(client, {PAYLOAD_FIELD: "not json"}, "invalid capture payload: x", "18-0")
    listed = dlq(redis_url, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == f"2 dead letter(s) in {DEAD}"
    assert lines[1] == "ID\tENTRY\tGROUP\tAGE\tIDEMPOTENCY KEY\tREASON"
    row1, row2 = (line.split("\t") for line in lines[2:])
    assert row1[:3] == [first, "17-0", "core-ingest"]
    assert row1[4:] == [capture.idempotency_key, "unknown contract version 2"]
    assert row2[:3] == [second, "18-0", "core-ingest"]
    assert row2[4:] == ["-", "invalid capture payload: x"]
    shown = dlq(redis_url, "show", first)
    assert shown.returncode == 0, shown.stderr
    assert "reason: unknown contract version 2" in shown.stdout
    assert f"{PAYLOAD_FIELD}: {capture.model_dump_json()}" in shown.stdout
    missing = dlq(redis_url, "show", "1-99")
    assert missing.returncode == 1
    assert f"no dead letter 1-99 in {DEAD}" in missing.stderr


def test_retry_puts_the_original_fields_back_and_removes_the_dead_letter(
    redis_url: str, client: redis.Redis
) -> None:
    fields = {PAYLOAD_FIELD: '{"x": 1}', "origin": "e1", "sig": "ab"}
    one = dead_letter(client, fields, "edge e1 revoked")
    dead_letter(client, {PAYLOAD_FIELD: "2"}, "r2")
    dead_letter(client, {PAYLOAD_FIELD: "3"}, "r3")
    done = dlq(redis_url, "retry", one)
    assert done.returncode == 0, done.stderr
    ((_, back),) = client.xrange(CAPTURES_STREAM)
    assert back == {k.encode(): v.encode() for k, v in fields.items()}
    assert client.xlen(DEAD) == 2
    everything = dlq(redis_url, "retry", "--all")
    assert everything.returncode == 0, everything.stderr
    assert f"retried 2 dead letter(s) onto {CAPTURES_STREAM}" in everything.stdout
    assert [f[PAYLOAD_FIELD.encode()] for _, f in client.xrange(CAPTURES_STREAM)] == [b'{"x": 1}', b"2", b"3"]
    assert client.xlen(DEAD) == 0


def test_drop_needs_a_confirmation_and_refuses_without_a_terminal(
    redis_url: str, client: redis.Redis
) -> None:
    gone = dead_letter(client, {PAYLOAD_FIELD: "x"}, "r")
    refused = dlq(redis_url, "drop", gone)
    assert refused.returncode == 2
    assert "pass --yes" in refused.stderr
    assert client.xlen(DEAD) == 1
    dropped = dlq(redis_url, "drop", gone, "--yes")
    assert dropped.returncode == 0, dropped.stderr
    assert client.xlen(DEAD) == 0
    assert dlq(redis_url, "drop").returncode == 2  # no id
    assert dlq(redis_url, "retry", "--stream", "financy:captures").returncode == 2


def test_retry_refuses_a_stream_that_is_not_a_dead_letter_stream(redis_url: str, client: redis.Redis) -> None:
    one = client.xadd(CAPTURES_STREAM, {"n": "1"}).decode()  # type: ignore[union-attr]
    out = dlq(redis_url, "retry", one, "--stream", CAPTURES_STREAM)
    assert out.returncode == 1
    assert "is not a dead-letter stream" in out.stderr
    assert client.xlen(CAPTURES_STREAM) == 1


async def test_metrics_show_the_dead_letters_per_stream(app: ApiApp, redis_conn: redis.Redis) -> None:
    for n in range(3):
        dead_letter(redis_conn, {PAYLOAD_FIELD: str(n)}, "r")
    redis_conn.xadd("financy:edge:e1:replies:dead", {"a": "b"})
    _, response = await app.asgi_client.get("/metrics")
    assert response.status == 200
    text = response.body.decode()
    assert f'financy_dead_letters{{stream="{DEAD}"}} 3.0' in text
    assert 'financy_dead_letters{stream="financy:edge:e1:replies:dead"} 1.0' in text
