"""The Financy side: real ``financy edge run`` + ``financy core ingest`` processes, driven over HTTP."""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.benchmarks.servers import Servers
from tests.support.processes import financy_env, free_port, start, stop, wait_http

#: Seconds the edge holds a dev chat request for its reply (the endpoint's ``wait``).
REPLY_WAIT_S = 20.0


class ReplyError(Exception):
    """The edge answered, but not with a recorded transaction."""


@dataclass
class FinancyStack:
    """The edge and ingest processes of the run."""

    edge_url: str
    edge_id: str
    logs: Path
    edge: subprocess.Popen[bytes]
    ingests: list[subprocess.Popen[bytes]]

    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """Return the processes by log name."""
        named = {"edge": self.edge}
        for i, proc in enumerate(self.ingests):
            named["ingest" if i == 0 else f"ingest{i + 1}"] = proc
        return named

    def alive(self) -> None:
        """Raise ``RuntimeError`` if a process died."""
        for name, proc in self.processes().items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"financy {name} exited with {proc.returncode}:\n{tail}")


@contextlib.contextmanager
def financy_stack(
    servers: Servers, workdir: Path, extra_env: dict[str, str] | None = None, ingests: int = 1
) -> Iterator[FinancyStack]:
    """Run ``financy edge run`` and ``ingests`` ingest processes on ``servers``; stop them afterwards."""
    port = free_port()
    edge_id = f"bench-{uuid.uuid4().hex[:8]}"
    data_dir = workdir / "financy"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = financy_env(
        FINANCY_DATABASE_URL=servers.database_url,
        FINANCY_REDIS_URL=servers.redis_url,
        FINANCY_DATA_DIR=str(data_dir),
        FINANCY_EDGE__ID=edge_id,
        FINANCY_EDGE__PORT=str(port),
        **(extra_env or {}),
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        edge = start(["edge", "run"], env, data_dir / "edge.log")
        procs.append(edge)
        for i in range(ingests):
            procs.append(
                start(["core", "ingest"], env, data_dir / ("ingest.log" if i == 0 else f"ingest{i + 1}.log"))
            )
        stack = FinancyStack(f"http://127.0.0.1:{port}", edge_id, data_dir, edge, procs[1:])
        try:
            wait_http(f"{stack.edge_url}/readyz", 60, edge)
        except (RuntimeError, TimeoutError):
            stack.alive()  # raises with the log's tail when a process died
            raise
        stack.alive()
        yield stack
    finally:
        for proc in reversed(procs):
            stop(proc)


class FinancyClient:
    """Sends dev chat messages with ``wait`` and checks each reply says "recorded".

    Each chat has an HTTP client (one keep-alive connection) of its own, as each chat user of
    a real platform would: one shared httpx pool with 100 busy connections costs the client
    ~10 ms of CPU a request (its pool is scanned on every request) and would measure httpx.
    """

    def __init__(self, stack: FinancyStack) -> None:
        self.url = f"{stack.edge_url}/devchat/messages"
        self.clients: dict[str, httpx.AsyncClient] = {}

    def _client(self, chat_id: str) -> httpx.AsyncClient:
        client = self.clients.get(chat_id)
        if client is None:
            client = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                timeout=httpx.Timeout(REPLY_WAIT_S + 10, connect=10),
            )
            self.clients[chat_id] = client
        return client

    async def send(self, chat_id: str, message_id: str, text: str) -> None:
        """Send one message and return once its reply is in."""
        body = {"text": text, "user_id": chat_id, "message_id": message_id, "wait": REPLY_WAIT_S}
        response = await self._client(chat_id).post(self.url, json=body)
        if response.status_code != 200:
            raise ReplyError(f"HTTP {response.status_code}")
        reply = response.json().get("reply")
        if reply is None:
            raise ReplyError("no reply in time")
        if reply.get("kind") != "recorded":
            raise ReplyError(f"reply kind {reply.get('kind')!r} for {text!r}")

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        for client in self.clients.values():
            await client.aclose()
        self.clients.clear()
