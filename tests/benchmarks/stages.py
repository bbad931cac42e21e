"""Where a message's time goes: client stamps joined with the edge's and ingest's structured logs.

For each message answered: ``capture.accepted`` (edge, after the SQLite outbox commit) and
``capture.ingested`` (ingest, after the PostgreSQL commit) split send -> reply into

* ``intake``: client -> edge HTTP, pipeline (reader), edge outbox commit;
* ``to_core``: relay wake-up, SQLite read, XADD, XREADGROUP, waiting behind earlier captures,
  the ingest's database transaction up to its commit;
* ``reply``: XACK, the core outbox relay (its own transaction + XADD), the edge's reply consumer
  (XREADGROUP, seen-check in SQLite), dev chat hub, HTTP response to the client.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.benchmarks.load import LevelResult

STAGES = ("intake", "to_core", "reply")


def _events(paths: Iterable[Path], event: str) -> dict[str, float]:
    """Return message id -> Unix time of ``event`` in the JSON log files ``paths``."""
    found: dict[str, float] = {}
    for path in paths:
        if not path.exists():
            continue
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if event not in line:
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                key, stamp = record.get("idempotency_key"), record.get("timestamp")
                if record.get("event") != event or not key or not stamp:
                    continue
                found[key.rsplit(":", 1)[-1]] = dt.datetime.fromisoformat(stamp).timestamp()
    return found


def _pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


class StageLogs:
    """The financy processes' logs, read once after the run."""

    def __init__(self, logs: Path) -> None:
        self.accepted = _events([logs / "edge.log"], "capture.accepted")
        self.ingested = _events(sorted(logs.glob("ingest*.log")), "capture.ingested")

    def breakdown(self, result: LevelResult) -> dict[str, Any]:
        """Return p50/p99 ms of each stage over the messages of ``result``."""
        spans: dict[str, list[float]] = {name: [] for name in STAGES}
        for message_id, (sent, done) in result.stamps.items():
            accepted, ingested = self.accepted.get(message_id), self.ingested.get(message_id)
            if accepted is None or ingested is None:
                continue
            spans["intake"].append((accepted - sent) * 1000)
            spans["to_core"].append((ingested - accepted) * 1000)
            spans["reply"].append((done - ingested) * 1000)
        return {
            name: {"p50_ms": round(_pct(v, 50), 2), "p99_ms": round(_pct(v, 99), 2), "n": len(v)}
            for name, v in spans.items()
        }
