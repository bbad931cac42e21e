"""``python -m tests.benchmarks.parse [--rounds N] [--out FILE]``: message-understanding latency, no servers.

Times :func:`financy.edge.pipeline.understand.understand_text` on every evaluation text (ours and
the third-party messages and descriptors, see ``tests/eval``), warm (one untimed pass first), one
call at a time on one core (the process is pinned to a single CPU where the OS allows it). Beside
it: the same texts through the category fill the edge applies (when a category model exists),
and through spaCy's bare tokenizer (``spacy.blank("pt"/"en").tokenizer(text)``), the floor any
spaCy-based reader pays before doing anything (warm, its per-chunk cache answers most tokens).
"1st call" is the first call of a row, lazy loading included (spaCy pipelines, language model).

Prints p50/p99 per message and messages/s, and the issue's target (p50 <= 3 ms, PASS/MISS);
writes ``var/bench/parse.json``. Exit status 0, or 2 with ``--strict`` when the target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tests.eval.cases import CONTEXT_CURRENCY, Case, load_all

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "var" / "bench" / "parse.json"
#: The issue's target for one message, warm, one core.
P50_TARGET_MS = 3.0


def pin_one_core() -> str:
    """Pin this process to one CPU (the last one it may use); return what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {allowed[-1]})
    return f"pinned to cpu {allowed[-1]}"


def measure(call: Callable[[Case], object], cases: Sequence[Case], rounds: int) -> dict[str, Any]:
    """Time ``call`` on each case ``rounds`` times after one warm-up pass; return the figures."""
    t0 = time.perf_counter_ns()
    call(cases[0])  # the first call builds what is built lazily (spaCy pipelines, language model)
    first_ms = (time.perf_counter_ns() - t0) / 1e6
    for case in cases:  # warm: lazy tables, regex caches, model session
        call(case)
    samples: list[float] = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        for _ in range(rounds):
            for case in cases:
                t0 = time.perf_counter_ns()
                call(case)
                samples.append((time.perf_counter_ns() - t0) / 1e6)
        wall = time.perf_counter() - started
    finally:
        if gc_was:
            gc.enable()
    samples.sort()
    return {
        "calls": len(samples),
        "p50_ms": samples[len(samples) // 2],
        "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
        "max_ms": samples[-1],
        "mean_ms": statistics.fmean(samples),
        "msgs_per_s": len(samples) / wall if wall else None,
        "first_call_ms": first_ms,
    }


def _understand(system: Any) -> Callable[[Case], object]:
    def call(case: Case) -> object:
        return system.understand(
            case.text, today=case.today, language_hint=case.lang, currency=CONTEXT_CURRENCY
        )

    return call


def _spacy_tokenizer() -> Callable[[Case], object] | None:
    try:
        import spacy
    except ImportError:
        return None
    tokenizers = {"pt": spacy.blank("pt").tokenizer, "en": spacy.blank("en").tokenizer}

    def call(case: Case) -> object:
        return tokenizers[case.lang](case.text)

    return call


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.parse", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over all texts (5)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON report (default {DEFAULT_OUT})")
    parser.add_argument("--strict", action="store_true", help="exit 2 when the target is missed")
    parser.add_argument("--no-model", action="store_true", help="skip the category-model row")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pinned = pin_one_core()
    from tests.eval.runner import build_system

    system = build_system()
    cases = [case for group in load_all().values() for case in group]
    print(
        f"parse latency: {len(cases)} texts x {args.rounds} rounds, warm, one call at a time, {pinned};"
        f" python {platform.python_version()}",
        flush=True,
    )
    rows: dict[str, dict[str, Any]] = {}
    rows["understand_text"] = measure(_understand(system), cases, args.rounds)
    if system.model is not None and system.fill is not None and not args.no_model:
        rows["understand_text + category model"] = measure(system.read, cases, args.rounds)
    tokenizer = _spacy_tokenizer()
    if tokenizer is not None:
        rows["spaCy blank tokenizer"] = measure(tokenizer, cases, args.rounds)
    head = f"{'':<34} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'msgs/s':>10} {'1st call ms':>12}"
    print(head)
    print("-" * len(head))
    for name, r in rows.items():
        print(
            f"{name:<34} {r['p50_ms']:8.3f} {r['p99_ms']:8.3f} {r['max_ms']:8.2f} {r['msgs_per_s']:10.0f}"
            f" {r['first_call_ms']:12.1f}"
        )
    p50 = rows["understand_text"]["p50_ms"]
    status = "PASS" if p50 <= P50_TARGET_MS else "MISS"
    tok = rows.get("spaCy blank tokenizer")
    if tok:
        print(f"understand_text p50 is {p50 / tok['p50_ms']:.1f}x spaCy's bare tokenizer on the same texts")
    print(f"target: {status}  understand_text p50 <= {P50_TARGET_MS:g} ms per message: {p50:.3f} ms")
    for note in system.notes:
        print(f"  note: {note}")
    report = {
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "pinning": pinned,
        "texts": len(cases),
        "rounds": args.rounds,
        "system": system.description,
        "rows": rows,
        "target": {"p50_ms_max": P50_TARGET_MS, "value": p50, "status": status},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"report: {args.out}")
    return 2 if args.strict and status == "MISS" else 0


if __name__ == "__main__":
    sys.exit(main())
