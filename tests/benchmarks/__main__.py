"""``python -m tests.benchmarks [--quick] [--levels 1,10,100] [--out FILE]`` (``make bench``).

Starts PostgreSQL and Redis (embedded in a temporary directory, or FINANCY_BENCH_DATABASE_URL /
FINANCY_BENCH_REDIS_URL), migrates a fresh database, runs ``financy edge run`` + ``financy core
ingest`` and the raw baseline's worker on them, and measures both paths level by level
(financy, then raw, at each concurrency). Everything started is stopped on the way out, also
on Ctrl-C, SIGTERM or an error.

Exit status: 0 when the run completed and every message sent is in the database exactly once;
1 on an error or a count mismatch; 2 with ``--strict`` when a target is missed; 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg

from tests.benchmarks.cpu import CpuMeter
from tests.benchmarks.financy_path import FinancyClient, FinancyStack, financy_stack
from tests.benchmarks.load import LevelResult, drive
from tests.benchmarks.raw_path import RawClient, RawStack, raw_stack
from tests.benchmarks.servers import Servers, bench_servers
from tests.benchmarks.stages import STAGES, StageLogs

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "var" / "bench" / "last.json"

#: The issue's targets.
P99_TARGET_MS = 300.0
P99_TARGET_CHATS = 100
RATIO_TARGET = 0.30


@dataclass
class Plan:
    """How much to send at each level."""

    levels: list[int]
    warmup: int
    max_seconds: float
    quick: bool
    fixed_count: int | None = None

    def count(self, chats: int) -> int:
        """Messages to send at ``chats`` concurrent chats."""
        if self.fixed_count:
            return self.fixed_count
        if self.quick:
            return 50 if chats == 1 else max(100, 2 * chats)
        return 300 if chats == 1 else max(1000, 5 * chats)


@dataclass
class Totals:
    """Messages sent per side, to check against the database."""

    financy_sent: int = 0
    raw_sent: int = 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run of a few seconds")
    parser.add_argument("--levels", default="1,10,100", help="concurrent chats, comma-separated (1,10,100)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON report (default {DEFAULT_OUT})")
    parser.add_argument("--count", type=int, default=None, help="messages per run at every level")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up messages per side (default 50)")
    parser.add_argument(
        "--max-seconds", type=float, default=None, help="stop starting messages after this long per run (15)"
    )
    parser.add_argument(
        "--financy-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the financy processes (repeatable), e.g. FINANCY_INGEST_BATCH=10",
    )
    parser.add_argument(
        "--ingest-processes", type=int, default=1, help="financy core ingest processes to run (default 1)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    args = parser.parse_args(argv)
    try:
        args.levels = sorted({int(x) for x in args.levels.split(",") if x.strip()})
    except ValueError:
        parser.error("--levels takes integers, e.g. 1,10,100")
    if not args.levels or min(args.levels) < 1:
        parser.error("--levels needs at least one positive integer")
    for item in args.financy_env:
        if "=" not in item or not item.startswith("FINANCY_"):
            parser.error(f"--financy-env takes FINANCY_KEY=VALUE, not {item!r}")
    return args


# -- database checks -------------------------------------------------------------------------------


def financy_rows(database_url: str) -> tuple[int, int]:
    """Return (transactions, captures) in the financy ledger."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM transactions), (SELECT count(*) FROM captures)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def raw_rows(database_url: str) -> int:
    """Return the rows the raw baseline inserted."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM bench_raw_tx").fetchone()
    return int(row[0]) if row else 0


async def settle(database_url: str, totals: Totals, timeout_s: float = 15.0) -> dict[str, Any]:
    """Wait (up to ``timeout_s``) for every sent message to be recorded; return the final check."""
    deadline = time.monotonic() + timeout_s
    while True:
        tx, captures = await asyncio.to_thread(financy_rows, database_url)
        raw = await asyncio.to_thread(raw_rows, database_url)
        done = tx >= totals.financy_sent and raw >= totals.raw_sent
        if done or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    return {
        "financy_sent": totals.financy_sent,
        "financy_transactions": tx,
        "financy_captures": captures,
        "raw_sent": totals.raw_sent,
        "raw_rows": raw,
        "exact": tx == totals.financy_sent == captures and raw == totals.raw_sent,
    }


# -- the run ---------------------------------------------------------------------------------------


def _chat_ids(side: str, chats: int, run: str) -> list[str]:
    return [f"{side}{chats}-{i}-{run}" for i in range(chats)]


async def run_levels(
    plan: Plan, servers: Servers, fin_stack: FinancyStack, raw: RawStack, totals: Totals
) -> list[dict[str, Any]]:
    """Warm up, then run each level on both sides; return one result dict per level."""
    run = uuid.uuid4().hex[:6]
    fin = FinancyClient(fin_stack)
    rawc = RawClient(servers.redis_url, raw.run)
    await rawc.start()
    meter = CpuMeter(
        {
            **{name: proc.pid for name, proc in fin_stack.processes().items()},
            "raw_worker": raw.worker.pid,
            "postgres": servers.pg_pid,
            "redis": servers.redis_pid,
            "client": os.getpid(),
        },
        tree=frozenset({"postgres"}),
    )
    results: list[dict[str, Any]] = []
    measured: list[tuple[dict[str, Any], LevelResult]] = []
    try:
        print(f"warm-up: {plan.warmup} messages on each side ...", flush=True)
        for side, send in (("financy", fin.send), ("raw", rawc.send)):
            warm = await drive(
                send,
                _chat_ids(f"w{side[0]}", 5, run),
                count=plan.warmup,
                max_seconds=60,
                tag=f"w{side}-{run}",
            )
            _add_sent(totals, side, warm)
            if warm.failed:
                raise RuntimeError(f"{side} warm-up failed: {warm.errors}")
        for chats in plan.levels:
            count = plan.count(chats)
            # First contact creates the user, context and chat binding: do it before timing.
            fin_chats = _chat_ids("f", chats, run)
            first = await drive(fin.send, fin_chats, count=chats, max_seconds=60, tag=f"first{chats}-{run}")
            _add_sent(totals, "financy", first)
            if first.failed:
                raise RuntimeError(f"financy first contact failed: {first.errors}")
            row: dict[str, Any] = {"chats": chats, "count": count}
            for side, send, chat_ids in (
                ("financy", fin.send, fin_chats),
                ("raw", rawc.send, _chat_ids("r", chats, run)),
            ):
                before = await asyncio.to_thread(_side_rows, side, servers.database_url)
                print(f"{chats:>4} chats  {side:<8} {count} messages ...", end="", flush=True)
                cpu_before = meter.snapshot()
                result = await drive(
                    send, chat_ids, count=count, max_seconds=plan.max_seconds, tag=f"{side}{chats}-{run}"
                )
                cpu_after = meter.snapshot()
                _add_sent(totals, side, result)
                after = await asyncio.to_thread(_side_rows, side, servers.database_url)
                summary = result.summary()
                summary["db_rows_added"] = after - before
                cpu = CpuMeter.per_message(cpu_before, cpu_after, result.ok)
                busy = sum(cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after)
                summary["cpu_ms_per_msg"] = cpu
                summary["cores_busy"] = round(busy / result.elapsed_s, 2) if result.elapsed_s else None
                row[side] = summary
                if side == "financy":
                    measured.append((summary, result))
                print(
                    f" {result.throughput:8.1f} msg/s  p50 {result.percentile(50):7.1f} ms"
                    f"  p99 {result.percentile(99):7.1f} ms  db +{after - before}/{result.sent}"
                    + (f"  FAILED {result.failed}: {result.errors}" if result.failed else ""),
                    flush=True,
                )
                print(
                    "      cpu ms/msg: "
                    + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items() if v >= 0.005)
                    + f"  (cores busy {summary['cores_busy']})",
                    flush=True,
                )
                fin_stack.alive()
                raw.alive()
            results.append(row)
        stage_logs = await asyncio.to_thread(StageLogs, fin_stack.logs)
        for summary, result in measured:
            summary["stages"] = stage_logs.breakdown(result)
    finally:
        await fin.aclose()
        await rawc.aclose()
    return results


def _side_rows(side: str, database_url: str) -> int:
    return financy_rows(database_url)[0] if side == "financy" else raw_rows(database_url)


def _add_sent(totals: Totals, side: str, result: LevelResult) -> None:
    if side == "financy":
        totals.financy_sent += result.sent
    else:
        totals.raw_sent += result.sent


# -- report ----------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evaluate the issue's targets on ``rows``."""
    out: list[dict[str, Any]] = []
    at = next((r for r in rows if r["chats"] == P99_TARGET_CHATS), None)
    p99 = at["financy"]["p99_ms"] if at else None
    out.append(
        {
            "target": f"financy p99 < {P99_TARGET_MS:g} ms at {P99_TARGET_CHATS} chats",
            "value": p99,
            "status": "n/a" if p99 is None else ("PASS" if p99 < P99_TARGET_MS else "MISS"),
        }
    )
    for r in rows:
        ratio = r.get("ratio")
        out.append(
            {
                "target": f"financy throughput >= {RATIO_TARGET:.0%} of raw at {r['chats']} chats",
                "value": ratio,
                "status": "n/a" if ratio is None else ("PASS" if ratio >= RATIO_TARGET else "MISS"),
            }
        )
    return out


def render(rows: list[dict[str, Any]], goals: list[dict[str, Any]], check: dict[str, Any]) -> str:
    """Return the plain-text table."""
    head = (
        f"{'chats':>5} | {'financy msg/s':>13} {'p50 ms':>8} {'p99 ms':>8} |"
        f" {'raw msg/s':>10} {'p50 ms':>8} {'p99 ms':>8} | {'financy/raw':>11}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        f, w = r["financy"], r["raw"]
        ratio = r.get("ratio")
        lines.append(
            f"{r['chats']:>5} | {_fmt(f['msgs_per_s'], '13.1f')} {_fmt(f['p50_ms'], '8.1f')}"
            f" {_fmt(f['p99_ms'], '8.1f')} | {_fmt(w['msgs_per_s'], '10.1f')} {_fmt(w['p50_ms'], '8.2f')}"
            f" {_fmt(w['p99_ms'], '8.2f')} | {_fmt(None if ratio is None else ratio * 100, '10.1f')}%"
        )
    lines.append("")
    lines.append("financy, where the time goes (p50 / p99 ms of each stage; see tests/benchmarks/stages.py):")
    lines.append(f"{'chats':>5} | " + " | ".join(f"{name:>17}" for name in STAGES))
    for r in rows:
        stages = r["financy"].get("stages", {})
        cells = [
            f"{_fmt(stages[n]['p50_ms'], '7.1f')} / {_fmt(stages[n]['p99_ms'], '7.1f')}"
            if n in stages
            else "-"
            for n in STAGES
        ]
        lines.append(f"{r['chats']:>5} | " + " | ".join(f"{c:>17}" for c in cells))
    lines.append("")
    lines.append("targets:")
    for g in goals:
        value = g["value"]
        shown = "-" if value is None else (f"{value:.1f} ms" if "p99" in g["target"] else f"{value:.1%}")
        lines.append(f"  {g['status']:<4}  {g['target']}: {shown}")
    lines.append("")
    lines.append(
        f"database: financy sent {check['financy_sent']}, transactions {check['financy_transactions']},"
        f" captures {check['financy_captures']}; raw sent {check['raw_sent']}, rows {check['raw_rows']}"
        f"  -> {'EXACT' if check['exact'] else 'MISMATCH'}"
    )
    return "\n".join(lines)


# -- main ------------------------------------------------------------------------------------------


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = Plan(
        levels=args.levels,
        warmup=args.warmup if args.warmup is not None else (10 if args.quick else 50),
        max_seconds=args.max_seconds if args.max_seconds is not None else (5.0 if args.quick else 15.0),
        quick=args.quick,
        fixed_count=args.count,
    )
    extra_env = dict(item.split("=", 1) for item in args.financy_env)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    load_before = os.getloadavg()
    if load_before[0] > 0.5:
        print(
            f"note: load average {load_before[0]:.2f} before the run: other work shares these"
            f" {os.cpu_count()} cores, figures will be lower and noisier",
            flush=True,
        )
    workdir = Path(tempfile.mkdtemp(prefix="financy-bench-"))
    logs_dir = args.out.parent / "logs"
    totals = Totals()
    status = 0
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(_keep_logs, workdir, logs_dir)  # runs last: after the processes stopped
            print(f"servers: starting in {workdir} ...", flush=True)
            servers = stack.enter_context(bench_servers(workdir))
            print(
                f"servers: postgres {'embedded' if servers.embedded_pg else 'external'},"
                f" redis {'embedded' if servers.embedded_redis else 'external'}; starting processes ...",
                flush=True,
            )
            fin = stack.enter_context(financy_stack(servers, workdir, extra_env, args.ingest_processes))
            raw = stack.enter_context(raw_stack(servers, workdir))
            print(
                "pids: "
                + ", ".join(f"{n} {p.pid}" for n, p in fin.processes().items())
                + f", raw worker {raw.worker.pid},"
                f" postgres {servers.pg_pid}, redis {servers.redis_pid}, client {os.getpid()}",
                flush=True,
            )
            rows = asyncio.run(run_levels(plan, servers, fin, raw, totals))
            check = asyncio.run(settle(servers.database_url, totals))
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for r in rows:
        f, w = r["financy"]["msgs_per_s"], r["raw"]["msgs_per_s"]
        r["ratio"] = round(f / w, 4) if w else None
    goals = targets(rows)
    print()
    print(render(rows, goals, check))
    report = {
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_before": [round(x, 2) for x in load_before],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "plan": {
            "levels": plan.levels,
            "warmup": plan.warmup,
            "max_seconds": plan.max_seconds,
            "quick": plan.quick,
            "counts": {str(c): plan.count(c) for c in plan.levels},
            "financy_env": extra_env,
            "ingest_processes": args.ingest_processes,
        },
        "servers": {
            "postgres": "embedded" if servers.embedded_pg else "external",
            "redis": "embedded" if servers.embedded_redis else "external",
        },
        "levels": rows,
        "targets": goals,
        "database_check": check,
        "duration_s": round(time.monotonic() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nreport: {args.out}  (process logs: {logs_dir})  total {report['duration_s']} s")
    failed = any(r[s]["failed"] for r in rows for s in ("financy", "raw"))
    if not check["exact"] or failed:
        status = 1
    elif args.strict and any(g["status"] == "MISS" for g in goals):
        status = 2
    return status


def _keep_logs(workdir: Path, logs_dir: Path) -> None:
    """Copy the processes' logs out of the temporary directory (for profiling after the run)."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    for old in logs_dir.glob("*.log"):
        old.unlink()
    for log in [*workdir.glob("financy/*.log"), workdir / "raw-worker.log"]:
        if log.exists():
            shutil.copyfile(log, logs_dir / log.name)


if __name__ == "__main__":
    sys.exit(main())
