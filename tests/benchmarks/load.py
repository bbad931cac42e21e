"""Closed-loop load: N chats, each sending one message after another, timing send -> reply."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Texts the chats send, in turn: each must be read as exactly one expense.
MESSAGES: tuple[str, ...] = (
    "mercado 12,34",
    "uber 23",
    "almoço 35,90",
    "farmácia 18,50",
    "padaria 7,80",
    "gasolina 150",
    "netflix 39,90",
    "cinema 42",
    "gastei 45,90 no mercado",
    "pizza 64,50",
    "táxi 31,20",
    "açougue 88,75",
)

#: One message: (chat id, message id, text) -> None once its reply is in (raise on a failure).
Send = Callable[[str, str, str], Awaitable[None]]


@dataclass
class LevelResult:
    """What one run of one level measured."""

    chats: int
    sent: int = 0
    ok: int = 0
    failed: int = 0
    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    #: message id -> (wall clock at send, wall clock at reply), to join with the processes' logs
    stamps: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        """Messages answered per second."""
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Return the ``p`` (0-100) percentile of the latencies in ms (nearest rank; NaN if none)."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]

    def summary(self) -> dict[str, Any]:
        """Return the figures for the JSON report."""
        return {
            "chats": self.chats,
            "sent": self.sent,
            "ok": self.ok,
            "failed": self.failed,
            "elapsed_s": round(self.elapsed_s, 3),
            "msgs_per_s": round(self.throughput, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p90_ms": round(self.percentile(90), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.latencies_ms), 2) if self.latencies_ms else None,
            "errors": self.errors,
        }


async def drive(
    send: Send,
    chat_ids: Sequence[str],
    *,
    count: int,
    max_seconds: float,
    tag: str,
    texts: Sequence[str] = MESSAGES,
) -> LevelResult:
    """Send ``count`` messages over ``chat_ids`` (one at a time per chat) or stop after ``max_seconds``.

    Each chat takes the next message number from a shared counter, so the total is exact;
    after ``max_seconds`` no new message starts (those in flight finish).
    """
    result = LevelResult(chats=len(chat_ids))
    numbers = itertools.count()
    started = time.perf_counter()
    deadline = started + max_seconds
    last_done = started

    async def chat(chat_id: str) -> None:
        nonlocal last_done
        while time.perf_counter() < deadline:
            n = next(numbers)
            if n >= count:
                return
            result.sent += 1
            message_id = f"{tag}-{n}"
            wall0 = time.time()
            t0 = time.perf_counter()
            try:
                await send(chat_id, message_id, texts[n % len(texts)])
            except Exception as exc:
                result.failed += 1
                key = f"{type(exc).__name__}: {exc}"[:120]
                result.errors[key] = result.errors.get(key, 0) + 1
                continue
            t1 = time.perf_counter()
            result.stamps[message_id] = (wall0, wall0 + (t1 - t0))
            result.ok += 1
            result.latencies_ms.append((t1 - t0) * 1000)
            last_done = max(last_done, t1)

    await asyncio.gather(*(chat(c) for c in chat_ids))
    result.elapsed_s = last_done - started
    return result
