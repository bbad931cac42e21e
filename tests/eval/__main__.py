"""``python -m tests.eval [--failures N] [--dataset NAME] [--out FILE]`` (``make eval``).

Reads every evaluation set through ``understand_text`` and the category fill the edge applies,
and prints: every labelled field per split, dev and test side by side (pooled, then per set), with
the number scored beside every figure; the targets on the frozen test split (PASS/MISS); the leak
checks per set; the most frequent category confusions per split; and the first failures of each
field per set (text -> what was read vs what was expected). The figures also go to
``var/eval/last.json``. The splits are ``tests/eval/splits.py``'s.

Exit status: 0 when the run completed (targets missed or not); 1 when ``understand_text`` could
not be imported; 2 with ``--strict`` when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from tests.eval.cases import Case, load_all
from tests.eval.runner import (
    FIELDS,
    DatasetResult,
    FieldStats,
    System,
    build_system,
    evaluate,
    leaks,
    pooled,
)
from tests.eval.splits import split_of

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "var" / "eval" / "last.json"

#: The issue's targets, measured on the frozen test split pooled (third-party, never trained on).
TARGETS = (
    ("amount", 0.99, "amount+currency exact"),
    ("date", 0.97, "date"),
    ("intent", 0.95, "intent"),
    ("category", 0.90, "category top-1"),
    ("category3", 0.97, "category top-3"),
)

HEADERS = {
    "intent": "intent",
    "language": "lang",
    "amount": "amount+cur",
    "date": "date",
    "no_date": "no date",
    "kind": "kind",
    "category": "category",
    "category3": "cat. top-3",
    "merchant": "merchant",
    "payment": "payment",
    "installments": "instal.",
    "query": "query",
    "recategorize": "recat",
}


def reader_lexicon_leaks() -> dict[str, int]:
    """Per word list of the reader (``inference/text/data/*.tsv``): rows holding a test-split name."""
    from financy.inference.classify.leaks import name_leaks
    from tests.eval.splits import ROOT, names_in_test_split

    names = names_in_test_split()
    out: dict[str, int] = {}
    for path in sorted((ROOT / "src" / "financy" / "inference" / "text" / "data").glob("*.tsv")):
        rows = [" ".join(line.split("\t")[:-1]) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
        hits = {leak.training for leak in name_leaks(rows, names)}
        if hits:
            out[path.name] = len(hits)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", type=int, default=15, help="failures shown per field and set (15)")
    parser.add_argument("--dataset", action="append", default=None, help="only this set (repeatable)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON report (default {DEFAULT_OUT})")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    return parser.parse_args(argv)


def _cell(stats: FieldStats) -> str:
    rate = stats.rate
    return "-" if rate is None else f"{rate * 100:5.1f}% ({stats.total})"


def render_table(results: list[DatasetResult]) -> str:
    """Per set: split, size and every field scored (accuracy and the number scored)."""
    shown = [f for f in FIELDS if any(r.fields[f].total for r in results)]
    widths = {f: max(len(HEADERS[f]), 14) for f in shown}
    head = f"{'set':<17} {'split':<5} {'n':>4} | " + " | ".join(f"{HEADERS[f]:>{widths[f]}}" for f in shown)
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r.name:<17} {split_of(r.name):<5} {r.n:>4} | "
            + " | ".join(f"{_cell(r.fields[f]):>{widths[f]}}" for f in shown)
        )
    lines.append(
        "cells: accuracy (rows or items scored); 'date' = stated dates, 'no date' = none stated (today)"
    )
    return "\n".join(lines)


def by_split(results: list[DatasetResult]) -> dict[str, list[DatasetResult]]:
    """The results grouped by split, dev first."""
    grouped: dict[str, list[DatasetResult]] = {"dev": [], "test": []}
    for r in results:
        grouped.setdefault(split_of(r.name), []).append(r)
    return grouped


def render_side_by_side(results: list[DatasetResult]) -> str:
    """Fields as rows; dev pooled, test pooled, then every set, as columns (accuracy (n))."""
    grouped = by_split(results)
    shown = [f for f in FIELDS if any(r.fields[f].total for r in results)]
    columns = [("DEV", grouped["dev"]), ("TEST", grouped["test"])] + [
        (f"{r.name} ({split_of(r.name)})", [r]) for r in results
    ]
    width = max(16, *(len(name) for name, _ in columns))
    head = f"{'field':<11} | " + " | ".join(f"{name:>{width}}" for name, _ in columns)
    lines = [head, "-" * len(head)]
    for f in shown:
        lines.append(
            f"{HEADERS[f]:<11} | " + " | ".join(f"{_cell(pooled(rs, f)):>{width}}" for _, rs in columns)
        )
    sizes = " | ".join(f"{sum(r.n for r in rs):>{width}}" for _, rs in columns)
    lines.append(f"{'rows':<11} | {sizes}")
    return "\n".join(lines)


def targets(results: list[DatasetResult]) -> list[dict[str, Any]]:
    test = by_split(results)["test"]
    out = []
    for field, goal, label in TARGETS:
        stats = pooled(test, field)
        rate = stats.rate
        out.append(
            {
                "target": f"{label} >= {goal:.0%} (test split)",
                "field": field,
                "value": rate,
                "scored": stats.total,
                "correct": stats.correct,
                "status": "n/a" if rate is None else ("PASS" if rate >= goal else "MISS"),
            }
        )
    return out


def confusions(results: list[DatasetResult]) -> dict[str, Counter[tuple[str, str]]]:
    """Category confusions (expected -> got) summed per split."""
    out: dict[str, Counter[tuple[str, str]]] = {}
    for split, rs in by_split(results).items():
        total: Counter[tuple[str, str]] = Counter()
        for r in rs:
            total.update(r.confusions)
        out[split] = total
    return out


def _clip(text: str, width: int = 70) -> str:
    text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= width else text[: width - 1] + "…"


def render_details(result: DatasetResult, limit: int) -> str:
    lines = [f"== {result.name}: {result.n} cases, {result.seconds:.2f} s"]
    if result.crashes:
        first = result.crashes[0]
        lines.append(f"   CRASHES: {len(result.crashes)}, e.g. {first.case.text!r}: {first.error}")
    if result.confusions:
        lines.append("   category confusions (expected -> got: count):")
        for (expected, got), count in result.confusions.most_common(10):
            lines.append(f"     {expected:>15} -> {got:<15} {count}")
    for field in FIELDS:
        failed = result.failures.get(field, [])
        if not failed:
            continue
        lines.append(f"   {HEADERS[field]} failures: {len(failed)} (first {min(limit, len(failed))})")
        for scored, outcome in failed[:limit]:
            lines.append(
                f"     {scored.case.id:<10} {_clip(scored.case.text)!r}\n"
                f"       got {_clip(outcome.got, 90)}  expected {_clip(outcome.expected, 90)}"
                + (f"\n       read: {_clip(scored.summary, 110)}" if field != "category" else "")
                + (f"  [{scored.case.note}]" if scored.case.note and field in {"intent", "amount"} else "")
            )
    return "\n".join(lines)


def report_json(
    system: System,
    results: list[DatasetResult],
    goals: list[dict[str, Any]],
    cases: dict[str, list[Case]],
    took: float,
) -> dict[str, Any]:
    return {
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "system": system.description,
        "notes": system.notes,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "duration_s": round(took, 2),
        "targets": goals,
        "confusions_by_split": {
            split: [{"expected": e, "got": g, "count": c} for (e, g), c in counter.most_common(20)]
            for split, counter in confusions(results).items()
        },
        "datasets": {
            r.name: {
                "n": r.n,
                "seconds": round(r.seconds, 3),
                "split": split_of(r.name),
                "leaks": vars(leaks(system, cases[r.name])),
                "fields": {
                    f: {"correct": s.correct, "scored": s.total, "accuracy": s.rate}
                    for f, s in r.fields.items()
                    if s.total
                },
                "category_confusions": [
                    {"expected": e, "got": g, "count": c} for (e, g), c in r.confusions.most_common(20)
                ],
                "failures": {
                    f: [
                        {
                            "id": s.case.id,
                            "text": s.case.text,
                            "got": o.got,
                            "expected": o.expected,
                            "read": s.summary,
                        }
                        for s, o in fails
                    ]
                    for f, fails in r.failures.items()
                },
                "crashes": [{"id": s.case.id, "text": s.case.text, "error": s.error} for s in r.crashes],
            }
            for r in results
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        system = build_system()
    except Exception:
        print("understand_text could not be imported:", file=sys.stderr)
        traceback.print_exc()
        return 1
    cases = load_all()
    names = [n for n in cases if not args.dataset or n in args.dataset]
    results = [evaluate(system, name, cases[name]) for name in names]
    goals = targets(results)
    took = time.perf_counter() - started

    print(f"system: understand_text ({system.description}); context currency BRL; {took:.1f} s")
    for note in system.notes:
        print(f"  note: {note}")
    print("leak checks (training lines vs each set; test names only for test sets):")
    for name in names:
        found = leaks(system, cases[name])
        print(
            f"  {name:<17} {split_of(name):<5} near duplicates {found.near_duplicates:>3}"
            f"  training lines holding a test name {found.names:>3}"
        )
    lexicon = reader_lexicon_leaks()
    if lexicon:
        shown = ", ".join(f"{name} {count}" for name, count in lexicon.items())
        print(
            f"  note: reader word lists (inference/text/data) with rows holding a test-split name: {shown}"
            " (rules, not training: the test figures of names in them measure the lexicon)"
        )
    print()
    print("dev vs test (accuracy (n scored)):")
    print(render_side_by_side(results))
    print()
    print(render_table(results))
    print()
    print("targets (test split pooled):")
    for g in goals:
        shown = "-" if g["value"] is None else f"{g['value'] * 100:.1f}% ({g['correct']}/{g['scored']})"
        print(f"  {g['status']:<4}  {g['target']}: {shown}")
    for split, counter in confusions(results).items():
        print()
        print(f"top category confusions, {split} (expected -> got: count of {sum(counter.values())}):")
        for (expected, got), count in counter.most_common(12):
            print(f"  {expected:>15} -> {got:<15} {count}")
    for result in results:
        print()
        print(render_details(result, args.failures))
    report = report_json(system, results, goals, cases, took)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"\nreport: {args.out}  ({took:.1f} s)")
    if args.strict and any(g["status"] == "MISS" for g in goals):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
