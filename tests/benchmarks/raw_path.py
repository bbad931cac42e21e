"""The raw baseline: the same round trip from the raw libraries (redis.asyncio + psycopg) only.

client  XADD ``bench:{run}:requests`` {chat, msg, text}, then waits for its reply
worker  XREADGROUP -> one-row INSERT (psycopg async, autocommit) -> XACK + XADD ``bench:{run}:replies``
client  one reader task XREADs the reply stream and resolves each message's future

The worker runs in its own process (``python -m tests.benchmarks.raw_path URL DB_URL RUN``), as
the ingest does, so the client and the worker do not share one interpreter.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import psycopg
import redis
import redis.asyncio as aioredis
import redis.exceptions

from tests.benchmarks.servers import Servers
from tests.support.processes import stop

GROUP = "bench-raw"
TABLE_DDL = """
CREATE TABLE IF NOT EXISTS bench_raw_tx (
    id uuid PRIMARY KEY,
    context_id uuid NOT NULL,
    kind varchar(16) NOT NULL,
    amount numeric(18, 4) NOT NULL CHECK (amount > 0),
    currency varchar(3) NOT NULL,
    occurred_on date NOT NULL,
    merchant varchar(200),
    description varchar(500),
    payment_method varchar(40),
    installments integer,
    category varchar(40),
    source_channel varchar(16) NOT NULL,
    capture_id uuid,
    author_id uuid NOT NULL,
    confidence double precision,
    status varchar(16) NOT NULL DEFAULT 'recorded',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""
INSERT = (
    "INSERT INTO bench_raw_tx (id, context_id, kind, amount, currency, occurred_on, merchant,"
    " category, source_channel, capture_id, author_id, confidence)"
    " VALUES (%s, %s, 'expense', %s, 'BRL', %s, %s, %s, 'devchat', %s, %s, 0.9)"
)
_CATEGORIES = {"mercado": "groceries", "uber": "transport", "almoço": "restaurants"}


def request_stream(run: str) -> str:
    """Return the request stream of run ``run``."""
    return f"bench:{run}:requests"


def reply_stream(run: str) -> str:
    """Return the reply stream of run ``run``."""
    return f"bench:{run}:replies"


def _parse(text: str) -> tuple[str, Decimal]:
    """Return (merchant, amount) of "merchant 12,34" style texts (the last number is the amount)."""
    words = text.split()
    for i in range(len(words) - 1, -1, -1):
        try:
            amount = Decimal(words[i].replace(".", "").replace(",", "."))
        except InvalidOperation:
            continue
        rest = [w for j, w in enumerate(words) if j != i and w not in ("gastei", "no", "na")]
        return (" ".join(rest) or "?"), amount
    return text, Decimal(1)


# -- worker -----------------------------------------------------------------------------------------


async def serve(redis_url: str, database_url: str, run: str) -> None:
    """Consume requests until SIGTERM/SIGINT."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    client = aioredis.Redis.from_url(redis_url, socket_timeout=10)
    conn = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
    requests, replies = request_stream(run), reply_stream(run)
    consumer = f"raw-{os.getpid()}"
    print("ready", flush=True)
    try:
        while not stopping.is_set():
            response: Any = await client.xreadgroup(GROUP, consumer, {requests: ">"}, count=100, block=500)
            for _stream, items in response or []:
                for entry_id, fields in items:
                    chat = fields[b"chat"].decode()
                    text = fields[b"text"].decode()
                    merchant, amount = _parse(text)
                    person = uuid.uuid5(uuid.NAMESPACE_URL, chat)
                    await conn.execute(
                        INSERT,
                        (
                            uuid.uuid4(),
                            person,
                            amount,
                            dt.datetime.now(dt.UTC).date(),
                            merchant[:200],
                            _CATEGORIES.get(merchant),
                            uuid.uuid4(),
                            person,
                        ),
                    )
                    pipe = client.pipeline(transaction=False)
                    pipe.xack(requests, GROUP, entry_id)
                    pipe.xadd(
                        replies,
                        {"msg": fields[b"msg"], "text": f"✅ R$ {amount:.2f} · {merchant}"},
                        maxlen=100_000,
                        approximate=True,
                    )
                    await pipe.execute()
    finally:
        await conn.close()
        await client.aclose()


# -- process control -------------------------------------------------------------------------------


@dataclass
class RawStack:
    """The baseline's worker process and stream names."""

    run: str
    worker: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> None:
        """Raise ``RuntimeError`` if the worker died."""
        if self.worker.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"raw worker exited with {self.worker.returncode}:\n{tail}")


@contextlib.contextmanager
def raw_stack(servers: Servers, workdir: Path) -> Iterator[RawStack]:
    """Create the table and group, run the worker process; stop it afterwards."""
    run = uuid.uuid4().hex[:8]
    with psycopg.connect(servers.database_url, autocommit=True) as conn:
        conn.execute(TABLE_DDL)
    client = redis.Redis.from_url(servers.redis_url)
    try:
        client.xgroup_create(request_stream(run), GROUP, id="0", mkstream=True)
    finally:
        client.close()
    log = workdir / "raw-worker.log"
    root = Path(__file__).resolve().parents[2]
    with log.open("ab") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.raw_path", servers.redis_url, servers.database_url, run],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        stack = RawStack(run, worker, log)
        deadline = time.monotonic() + 30
        while b"ready" not in log.read_bytes():
            stack.alive()
            if time.monotonic() > deadline:
                raise TimeoutError("the raw worker did not start within 30 s")
            time.sleep(0.05)
        yield stack
    finally:
        stop(worker)


class RawClient:
    """XADDs requests and waits for each reply, fed by one reader task on the reply stream."""

    def __init__(self, redis_url: str, run: str) -> None:
        self.requests = request_stream(run)
        self.replies = reply_stream(run)
        self.client = aioredis.Redis.from_url(redis_url, socket_timeout=10)
        self.reader_client = aioredis.Redis.from_url(redis_url, socket_timeout=10)
        self.waiting: dict[str, asyncio.Future[bytes]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        """Start the reply reader."""
        self._reader = asyncio.create_task(self._read_replies())

    async def _read_replies(self) -> None:
        last = "0-0"  # the reply stream is new in each run
        while not self._closing:
            try:
                response: Any = await self.reader_client.xread({self.replies: last}, count=1000, block=500)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                if self._closing:
                    return
                raise
            for _stream, items in response or []:
                for entry_id, fields in items:
                    last = entry_id.decode()
                    future = self.waiting.pop(fields[b"msg"].decode(), None)
                    if future is not None and not future.done():
                        future.set_result(fields[b"text"])

    async def send(self, chat_id: str, message_id: str, text: str) -> None:
        """Send one message and return once its reply is in."""
        if self._reader is not None and self._reader.done():
            self._reader.result()  # the reader failed: raise its error
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.waiting[message_id] = future
        try:
            await self.client.xadd(self.requests, {"chat": chat_id, "msg": message_id, "text": text})
            await asyncio.wait_for(future, timeout=20)
        finally:
            self.waiting.pop(message_id, None)

    async def aclose(self) -> None:
        """Stop the reader and close the connections."""
        self._closing = True
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, timeout=2)
            self._reader.cancel()
        await self.client.aclose()
        await self.reader_client.aclose()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2], sys.argv[3]))
