"""Two edges on "other machines" enrolled against one core, as an admin and a family would do it.

A single box serves remote edges (``FINANCY_BOX__REMOTE_EDGES``: its Redis 7 on TCP with ACLs).
For each of two edges, ``financy core edges add NAME --data-dir BOX`` prints a one-time token,
``financy edge enroll --core URL --token T --data-dir DIR`` writes ``DIR/edge.env`` and
``financy edge run --data-dir DIR`` needs nothing else. Then, with real processes and servers:

* each edge records its own family's messages and receives only its own replies;
* ``financy core edges list`` shows both enrolled and online, with the category model the core
  published to the object store (moto's S3 server here) and announced;
* one edge's credentials cannot read the other's replies (Redis NOPERM), cannot post a capture
  under the other's id, nor point a capture at the other's objects (both refused by the core and
  kept in the dead-letter stream);
* revoking an edge stops it with status 3 and a clear log line, while the other goes on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from financy.core.contracts.v1 import CAPTURES_STREAM, PAYLOAD_FIELD, CaptureV1, MediaRef, Sender
from financy.edge.envfile import read_env_file
from financy.runtime.origin import signed_fields
from tests.support.box import Box, running_box
from tests.support.processes import financy_env, free_port, start, stop, wait_http
from tests.support.s3 import moto_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EDGES = ("north", "south")


@dataclass
class RemoteEdge:
    """An enrolled edge process: its id, data directory, dev chat URL, settings and process."""

    edge_id: str
    data_dir: Path
    url: str
    env: dict[str, str]
    proc: subprocess.Popen[bytes]

    @property
    def settings(self) -> dict[str, str]:
        """Return the KEY=VALUE settings ``financy edge enroll`` wrote."""
        values, _warnings = read_env_file(self.data_dir / "edge.env")
        return values


def financy(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m financy.cli ARGS`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "financy.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """Yield the URL of an S3 endpoint (moto's server) the box and both edges share."""
    with moto_server() as endpoint:
        yield f"http://{endpoint}"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Box]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("FINANCY_TEST_REDIS_URL", raising=False)  # the box's own Redis 7 is the one under test
        with running_box(
            tmp_path_factory.mktemp("fleet-box"),
            FINANCY_BOX__REMOTE_EDGES="true",
            FINANCY_BOX__REDIS_BIND="127.0.0.1",
            FINANCY_BOX__REDIS_PORT=str(free_port()),
            FINANCY_S3__ENDPOINT=s3_endpoint,
            FINANCY_S3__ACCESS_KEY="testing",
            FINANCY_S3__SECRET_KEY="testing",
            FINANCY_S3__BUCKET=f"fleet-{uuid.uuid4().hex[:8]}",
            # moto does not enforce policies: the edges get the box's key, and the core's own check
            # (media keys under captures/{edge}/) is what confines them; see the test below.
            FINANCY_EDGES__S3_CREDENTIALS="shared",
        ) as b:
            yield b


@pytest.fixture(scope="module")
def edges(box: Box, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RemoteEdge]]:
    started: dict[str, RemoteEdge] = {}
    env = financy_env()
    try:
        for edge_id in EDGES:
            where, core_env = core_cli(box)
            added = financy("core", "edges", "add", edge_id, *where, env=core_env)
            assert added.returncode == 0, added.stderr
            assert f"financy edge enroll --core {box.api} --token" in added.stdout  # the box's own port
            assert added.stderr == ""
            match = re.search(r"--token (\S+)", added.stdout)
            assert match, added.stdout
            data_dir = tmp_path_factory.mktemp(f"edge-{edge_id}")
            enrolled = financy(
                "edge", "enroll", "--core", box.api, "--token", match.group(1), "--data-dir", str(data_dir),
                env=env,
            )  # fmt: skip
            assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
            assert (data_dir / "edge.env").stat().st_mode & 0o777 == 0o600
            port = free_port()
            edge_env = financy_env(FINANCY_EDGE__PORT=str(port), FINANCY_EDGE__WORKERS="0")
            proc = start(["edge", "run", "--data-dir", str(data_dir)], edge_env, data_dir / "edge.log")
            url = f"http://127.0.0.1:{port}"
            started[edge_id] = RemoteEdge(edge_id, data_dir, url, edge_env, proc)
            wait_http(f"{url}/healthz", timeout_s=90, proc=proc)
        yield started
    finally:
        for edge in started.values():
            if edge.proc.poll() is None:
                stop(edge.proc, timeout_s=30)


def send(edge: RemoteEdge, chat: str, text: str) -> dict[str, object]:
    """Send ``text`` as dev chat user ``chat`` through ``edge``; return the reply (``kind``, ``text``)."""
    result = financy(
        "send", text, "--edge-url", edge.url, "--user", chat, "--json", "--timeout", "60",
        env=edge.env, timeout=90,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    reply: dict[str, object] = json.loads(result.stdout)["reply"]
    return reply


def box_redis_url(box: Box) -> str:
    """Return the admin URL of the box's Redis (its `default` user on the TCP port it opened)."""
    password = (box.data_dir / "redis" / "admin.password").read_text().strip()
    return f"redis://default:{password}@127.0.0.1:{box.env['FINANCY_BOX__REDIS_PORT']}/0"


def core_cli(box: Box) -> tuple[list[str], dict[str, str]]:
    """Return the arguments and environment of a `financy core` command beside the box.

    ``--data-dir`` on the embedded PostgreSQL; the database's and Redis's URLs when the box runs on
    a PostgreSQL server (FINANCY_TEST_DATABASE_URL), as its admin would give them.
    """
    if box.database_url is None:
        return ["--data-dir", str(box.data_dir)], financy_env()
    env = financy_env(
        FINANCY_DATABASE_URL=box.database_url,
        FINANCY_REDIS_URL=box_redis_url(box),
        FINANCY_EDGES__CORE_PUBLIC_URL=box.api,
    )
    return [], env


def admin_redis(box: Box) -> redis.Redis:
    return redis.Redis.from_url(box_redis_url(box))


def edge_redis(edge: RemoteEdge) -> redis.Redis:
    return redis.Redis.from_url(edge.settings["FINANCY_REDIS_URL"])


def replies_of(client: redis.Redis, edge_id: str) -> list[dict[str, object]]:
    entries = client.xrange(f"financy:edge:{edge_id}:replies")
    return [json.loads(fields[PAYLOAD_FIELD.encode()]) for _id, fields in entries]


def test_each_edge_records_its_family_and_gets_only_its_own_replies(
    box: Box, edges: dict[str, RemoteEdge]
) -> None:
    chats = {edge_id: f"{edge_id}-{uuid.uuid4().hex[:6]}" for edge_id in EDGES}
    for edge_id, edge in edges.items():
        reply = send(edge, chats[edge_id], "gastei 12,50 na padaria")
        assert reply["kind"] == "recorded", reply
    client = admin_redis(box)
    try:
        for edge_id in EDGES:
            got = replies_of(client, edge_id)
            assert {r["chat_id"] for r in got} == {chats[edge_id]}
            assert {r["edge_id"] for r in got} == {edge_id}
        rows = client.xrange(CAPTURES_STREAM)
    finally:
        client.close()
    origins = {fields.get(b"origin") for _id, fields in rows}
    assert {b"north", b"south"} <= origins  # both signed their captures


def test_edges_list_shows_both_enrolled_and_online(box: Box, edges: dict[str, RemoteEdge]) -> None:
    deadline = time.monotonic() + 40
    listed = ""
    while time.monotonic() < deadline:
        where, core_env = core_cli(box)
        result = financy("core", "edges", "list", *where, env=core_env)
        assert result.returncode == 0, result.stderr
        listed = result.stdout
        lines = {line.split()[0]: line for line in listed.splitlines() if line.strip()}
        if all(e in lines and "online" in lines[e] for e in EDGES):
            break
        time.sleep(2)
    lines = {line.split()[0]: line for line in listed.splitlines() if line.strip()}
    for edge_id in EDGES:
        assert "enrolled" in lines[edge_id], listed
        assert "online" in lines[edge_id], listed


def test_one_edge_cannot_read_post_or_point_as_the_other(box: Box, edges: dict[str, RemoteEdge]) -> None:
    north = edges["north"]
    client = edge_redis(north)
    try:
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.xrange("financy:edge:south:replies")
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.xrange(CAPTURES_STREAM)
        key = north.settings["FINANCY_EDGE__ORIGIN_KEY"]
        now = dt.datetime.now(dt.UTC)

        def capture(edge_id: str, message_id: str, media: MediaRef | None = None) -> CaptureV1:
            return CaptureV1(
                capture_id=uuid.uuid4(),
                idempotency_key=f"devchat:intruder:{message_id}",
                edge_id=edge_id,
                platform="devchat",
                chat_id="intruder",
                message_id=message_id,
                sender=Sender(platform_user_id="intruder"),
                received_at=now,
                text="gastei 1 no mercado",
                media=media,
            )

        forged = capture("south", uuid.uuid4().hex)  # north posting under south's id
        foreign = MediaRef(
            key=f"captures/south/{uuid.uuid4()}/original.jpg",
            content_type="image/jpeg",
            sha256="0" * 64,
            size=10,
        )
        pointed = capture("north", uuid.uuid4().hex, media=foreign)  # north pointing at south's objects
        for message in (forged, pointed):
            fields = signed_fields(
                {PAYLOAD_FIELD: message.model_dump_json()},
                edge_id="north",
                key_hex=key,
                payload_field=PAYLOAD_FIELD,
            )
            client.xadd(CAPTURES_STREAM, fields)  # type: ignore[arg-type]
    finally:
        client.close()
    admin = admin_redis(box)
    try:
        deadline = time.monotonic() + 30
        reasons: dict[str, str] = {}
        while time.monotonic() < deadline and len(reasons) < 2:
            for _id, fields in admin.xrange(f"{CAPTURES_STREAM}:dead"):
                payload = json.loads(fields[PAYLOAD_FIELD.encode()])
                reasons[payload["idempotency_key"]] = fields[b"dead_reason"].decode()
            time.sleep(0.5)
    finally:
        admin.close()
    assert "signed by" in reasons[forged.idempotency_key] or "says edge" in reasons[forged.idempotency_key]
    assert "outside captures/north/" in reasons[pointed.idempotency_key]


def test_revoking_an_edge_stops_it_and_the_other_goes_on(box: Box, edges: dict[str, RemoteEdge]) -> None:
    where, core_env = core_cli(box)
    revoked = financy("core", "edges", "revoke", "north", *where, env=core_env)
    assert revoked.returncode == 0, revoked.stderr
    north = edges["north"]
    assert north.proc.wait(timeout=60) == 3
    assert "edge.credentials_revoked" in (north.data_dir / "edge.log").read_text()
    reply = send(edges["south"], f"south-{uuid.uuid4().hex[:6]}", "paid $12 for lunch")
    assert reply["kind"] == "recorded", reply
