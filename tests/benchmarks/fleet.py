"""``python -m tests.benchmarks.fleet [--seconds 20] [--rate 2000] [--consumers 1,2,4]`` (``make bench``).

Captures per second through the fleet's delivery path, on real processes and servers:
edge outbox (SQLite) -> ``financy edge run``'s relay -> ``financy:captures`` -> ``financy core
ingest`` (1, 2 and 4 processes; database commit, XACK) -> reply on the edge's reply stream
(``financy:edge:{id}:replies``), read here with XREAD. The captures are put in the edge's outbox
at up to ``--rate`` per second for ``--seconds``, never more than ``--window`` without a reply
(so a path slower than the rate runs saturated with a bounded queue: its latency then includes
that queue), spread over ``--chats`` chats whose first contact
(user, ledger, binding) is made before timing. Latency per capture: stored in the outbox ->
its reply read. Throughput: captures / (last reply - first put).

Beside them, in the same run and on the same servers: ``redis-benchmark`` XADD (``-P 16``, a
value the size of a capture's JSON) and a raw psycopg insert of as many rows as the largest run
sent, in batches of the ingest batch size (``FINANCY_INGEST_BATCH``, default 20), one commit per
batch (``executemany``). The table gives each Financy row's ratio to the raw insert. Servers as in
``tests.benchmarks.servers`` (embedded, or FINANCY_BENCH_DATABASE_URL / FINANCY_BENCH_REDIS_URL).
Figures go to ``var/bench/fleet.json``.

Exit status: 0 when every capture sent was recorded exactly once and replied to; 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import redis

from financy.core.contracts.v1 import replies_stream
from financy.core.settings import CoreSettings
from financy.edge.outbox.store import EdgeOutbox
from tests.benchmarks.financy_path import FinancyStack, financy_stack
from tests.benchmarks.servers import Servers, bench_servers
from tests.support.delivery import capture_for

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "fleet.json"
TARGET_PER_S = 2000.0
TARGET_P99_MS = 500.0
_TICK_S = 0.005


class ReplyReader(threading.Thread):
    """Reads the edge's reply stream from the start and notes when each idempotency key's reply came."""

    def __init__(self, redis_url: str, stream: str) -> None:
        super().__init__(daemon=True)
        self.client = redis.Redis.from_url(redis_url)
        self.stream = stream
        self.seen: dict[str, float] = {}
        self.kinds: dict[str, int] = {}
        self._stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        last = "0-0"
        try:
            while not self._stopping.is_set():
                got = self.client.xread({self.stream: last}, count=2000, block=200)
                now = time.time()
                for _name, entries in got or []:
                    for entry_id, fields in entries:
                        last = entry_id.decode()
                        reply = json.loads(fields[b"payload"])
                        self.seen.setdefault(reply["idempotency_key"], now)
                        self.kinds[reply["kind"]] = self.kinds.get(reply["kind"], 0) + 1
        except BaseException as exc:  # reported by the run
            self.error = exc

    def stop(self) -> None:
        self._stopping.set()
        self.join(5)
        self.client.close()


def percentile(values: list[float], q: float) -> float:
    """Return the ``q`` quantile (0-1) of ``values`` (nearest rank); 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def wait_for(reader: ReplyReader, keys: list[str], timeout_s: float) -> bool:
    """Wait until every key in ``keys`` has its reply; return whether they all came."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if reader.error is not None:
            raise RuntimeError(f"reply reader failed: {reader.error}")
        if all(k in reader.seen for k in keys):
            return True
        time.sleep(0.1)
    return False


def recorded_once(database_url: str, chats: list[str]) -> tuple[int, int, int]:
    """Return (captures, distinct keys, transactions) of ``chats``."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT c.idempotency_key), (SELECT count(*) FROM transactions t"
            " JOIN captures c2 ON c2.id = t.capture_id WHERE c2.chat_id = ANY(%s))"
            " FROM captures c WHERE c.chat_id = ANY(%s)",
            (chats, chats),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def run_consumers(
    servers: Servers, workdir: Path, consumers: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Measure the path with ``consumers`` ingest processes; return the row."""
    run = uuid.uuid4().hex[:6]
    chats = [f"fleet{consumers}-{i}-{run}" for i in range(args.chats)]
    with financy_stack(servers, workdir / f"consumers-{consumers}", ingests=consumers) as stack:
        outbox = EdgeOutbox(stack.logs / "edge" / stack.edge_id / "outbox.sqlite3")
        reader = ReplyReader(servers.redis_url, replies_stream(stack.edge_id))
        reader.start()
        try:
            return _measure(stack, outbox, reader, chats, servers, consumers, args)
        finally:
            reader.stop()


def _measure(
    stack: FinancyStack,
    outbox: EdgeOutbox,
    reader: ReplyReader,
    chats: list[str],
    servers: Servers,
    consumers: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    edge_id = stack.edge_id
    first_keys = []
    for chat in chats:  # first contact: user, ledger and binding, before timing
        capture = capture_for(chat, 1, edge_id)
        outbox.put(capture.idempotency_key, capture.model_dump_json())
        first_keys.append(capture.idempotency_key)
    if not wait_for(reader, first_keys, 120):
        stack.alive()
        raise RuntimeError("the first contact of the chats got no replies within 120 s")
    # At most --window captures in flight (put, no reply yet): at the rate when the path keeps
    # up, else saturated with a bounded queue, so a slow path ends its row in bounded time.
    total_cap = int(args.rate * args.seconds)
    payloads = []
    for i in range(total_cap):
        capture = capture_for(chats[i % len(chats)], 2 + i // len(chats), edge_id)
        payloads.append((capture.idempotency_key, capture.model_dump_json()))
    put_at: dict[str, float] = {}
    print(
        f"  {consumers} consumer(s): up to {args.rate:g}/s for {args.seconds:g} s,"
        f" at most {args.window} in flight ...",
        flush=True,
    )
    base = len(reader.seen)
    started = time.time()
    sent = 0
    while sent < total_cap and time.time() - started < args.seconds:
        due = min(total_cap, int((time.time() - started) * args.rate) + 1)
        room = args.window - (sent - (len(reader.seen) - base))
        due = min(due, sent + max(0, room))
        while sent < due:
            key, payload = payloads[sent]
            put_at[key] = time.time()
            outbox.put(key, payload)
            sent += 1
        time.sleep(_TICK_S)
    total = sent
    payloads = payloads[:total]
    produced_s = time.time() - started
    keys = [k for k, _ in payloads]
    complete = wait_for(reader, keys, args.drain_timeout)
    stack.alive()
    latencies = [(reader.seen[k] - put_at[k]) * 1000 for k in keys if k in reader.seen]
    last = max((reader.seen[k] for k in keys if k in reader.seen), default=time.time())
    elapsed = last - min(put_at.values())
    captures, distinct, transactions = recorded_once(servers.database_url, chats)
    expected = total + len(chats)
    exact = complete and captures == distinct == transactions == expected
    return {
        "path": "financy edge outbox -> ingest -> reply",
        "consumers": consumers,
        "offered_per_s": args.rate,
        "window": args.window,
        "sent": total,
        "replied": len(latencies),
        "produce_s": round(produced_s, 2),
        "elapsed_s": round(elapsed, 2),
        "per_s": round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "reply_kinds": dict(reader.kinds),
        "captures": captures,
        "transactions": transactions,
        "exact": exact,
    }


def redis_benchmark(redis_url: str, value_size: int, requests: int) -> dict[str, Any]:
    """Run ``redis-benchmark -n requests -P 16 XADD`` on the run's Redis; return its row."""
    binary = shutil.which("redis-benchmark", path="/usr/bin:" + os.environ.get("PATH", ""))
    if binary is None:
        return {
            "path": "redis-benchmark XADD -P 16",
            "error": "redis-benchmark not found (Debian redis-tools)",
        }
    parts = urlsplit(redis_url)
    target: list[str]
    if parts.scheme == "unix":
        target = ["-s", parts.path]
    else:
        target = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379)]
        if parts.password:
            target += ["-a", unquote(parts.password)]
            if parts.username and parts.username != "default":
                target += ["--user", unquote(parts.username)]
        db = (parts.path or "/0").lstrip("/") or "0"
        target += ["--dbnum", db]
        if parts.scheme == "rediss":
            target += ["--tls", "--insecure"]
    key = f"bench:fleet:xadd:{uuid.uuid4().hex[:6]}"
    cmd = [binary, *target, "-n", str(requests), "-P", "16", "-c", "50", "--csv"]
    cmd += ["XADD", key, "*", "payload", "x" * value_size]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    rps = None
    for row in csv.reader(io.StringIO(out.stdout)):
        if len(row) >= 2:
            try:
                rps = float(row[1])
            except ValueError:
                continue
    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(key)
    finally:
        client.close()
    if rps is None:
        return {"path": "redis-benchmark XADD -P 16", "error": (out.stderr or out.stdout)[-300:]}
    return {"path": "redis-benchmark XADD -P 16", "sent": requests, "per_s": round(rps, 1)}


def raw_insert(database_url: str, rows: int, batch: int, payload: str) -> dict[str, Any]:
    """Insert ``rows`` rows with psycopg ``executemany`` in batches of ``batch``, one commit each."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_fleet_raw (id bigserial PRIMARY KEY,"
            " idempotency_key text NOT NULL UNIQUE, chat_id text NOT NULL, amount numeric NOT NULL,"
            " payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur:
            for first in range(0, rows, batch):
                cur.executemany(
                    "INSERT INTO bench_fleet_raw (idempotency_key, chat_id, amount, payload) VALUES (%s, %s, %s, %s)",
                    [
                        (f"raw:{n}", f"raw-{n % 50}", n, payload)
                        for n in range(first, min(rows, first + batch))
                    ],
                )
                conn.commit()
        seconds = time.perf_counter() - started
        got = conn.execute("SELECT count(*) FROM bench_fleet_raw").fetchone()
        conn.execute("DROP TABLE bench_fleet_raw")
        conn.commit()
    assert got is not None
    return {
        "path": f"raw psycopg executemany, batch {batch}, commit each",
        "sent": rows,
        "per_s": round(rows / seconds, 1),
        "exact": int(got[0]) == rows,
    }


def print_table(rows: list[dict[str, Any]], raw_per_s: float) -> None:
    """Print the rows with the ratio of each Financy row to the raw insert."""
    print(
        f"\nfleet delivery ({os.cpu_count()} cores; target >= {TARGET_PER_S:g}/s with p99 < {TARGET_P99_MS:g} ms)"
    )
    head = f"{'path':<44} | {'cons.':>5} | {'sent':>6} | {'per s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | ratio/raw"
    print(head)
    print("-" * len(head))
    for row in rows:
        if "error" in row:
            print(f"{row['path']:<44} | error: {row['error']}")
            continue
        cons = row.get("consumers", "")
        p50 = f"{row['p50_ms']:.1f}" if "p50_ms" in row else "-"
        p99 = f"{row['p99_ms']:.1f}" if "p99_ms" in row else "-"
        ratio = f"{row['per_s'] / raw_per_s:.2f}" if raw_per_s else "-"
        print(
            f"{row['path']:<44} | {cons!s:>5} | {row['sent']:>6} | {row['per_s']:>8.1f} | {p50:>7} | {p99:>7} | {ratio}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; exit 1 when a capture was lost, doubled or not replied to."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.fleet", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of load per row (20)")
    parser.add_argument(
        "--rate", type=float, default=2000.0, help="captures put in the outbox per second (2000)"
    )
    parser.add_argument("--consumers", default="1,2,4", help="ingest process counts, comma separated (1,2,4)")
    parser.add_argument("--window", type=int, default=1000, help="most captures in flight at once (1000)")
    parser.add_argument("--chats", type=int, default=50, help="chats the captures are spread over (50)")
    parser.add_argument(
        "--drain-timeout", type=float, default=120.0, help="seconds to wait for the last replies"
    )
    parser.add_argument("--quick", action="store_true", help="3 s per row: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 3.0
    counts = [int(n) for n in args.consumers.split(",") if n.strip()]
    batch = CoreSettings().ingest_batch
    workdir = Path(tempfile.mkdtemp(prefix="financy-bench-fleet-"))
    rows: list[dict[str, Any]] = []
    try:
        with bench_servers(workdir) as servers:
            for consumers in counts:
                rows.append(run_consumers(servers, workdir, consumers, args))
            sample = capture_for("raw", 1, "bench").model_dump_json()
            rows.append(redis_benchmark(servers.redis_url, len(sample), 100_000))
            largest = max((r["sent"] for r in rows if "consumers" in r), default=1000)
            rows.append(raw_insert(servers.database_url, largest, batch, sample))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    raw_per_s = float(rows[-1]["per_s"])
    print_table(rows, raw_per_s)
    financy = [r for r in rows if "consumers" in r]
    best = max(financy, key=lambda r: r["per_s"])
    met = any(r["per_s"] >= TARGET_PER_S * 0.98 and r["p99_ms"] < TARGET_P99_MS for r in financy)
    print(
        f"best: {best['per_s']:.0f} captures/s with {best['consumers']} consumer(s), p99 {best['p99_ms']:.0f} ms;"
        f" {best['per_s'] / raw_per_s:.2f} of the raw batched insert; target {'met' if met else 'NOT met'}"
    )
    exact = all(r["exact"] for r in financy)
    if not exact:
        print("COUNT MISMATCH: " + "; ".join(f"{r['consumers']}: {r}" for r in financy if not r["exact"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"rows": rows, "at": dt.datetime.now(dt.UTC).isoformat()}, indent=2))
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
