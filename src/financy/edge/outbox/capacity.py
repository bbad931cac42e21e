"""The edge outbox's bound: at ``capacity`` unconfirmed captures the edge refuses new ones.

Refusing is what keeps "nothing is lost" true when the core is away for longer than the disk
allows: a platform whose webhook gets 503 delivers again later (Telegram, WhatsApp), a dev chat
caller is told to retry. The state is hysteretic: full at ``capacity``, drained again below
90 % of it, with one warning log for each change (``edge.outbox_full`` / ``edge.outbox_drained``).
"""

from __future__ import annotations

import time

import structlog

from financy.edge.outbox.store import EdgeOutbox

log = structlog.stdlib.get_logger(__name__)

#: Below this share of the capacity a full outbox counts as drained.
DRAINED_SHARE = 0.9


class OutboxCapacity:
    """Tracks whether ``outbox`` is full (thread-unsafe: used on the edge's event loop).

    Counting the unconfirmed rows takes milliseconds at 100,000 rows, so the count is cached:
    taken again at most every ``refresh_s`` seconds (edge workers add captures from other
    processes), at every check once the depth is near the threshold, and raised by one for each
    capture this process stores (:meth:`note_put`).
    """

    def __init__(self, outbox: EdgeOutbox, capacity: int, *, refresh_s: float = 1.0) -> None:
        if capacity < 1:
            raise ValueError("the outbox capacity must be at least 1")
        self.outbox = outbox
        self.capacity = capacity
        self.refresh_s = refresh_s
        self.depth = 0
        self.full = False
        self._counted_at = float("-inf")

    def note_put(self) -> None:
        """Count one more capture stored by this process."""
        self.depth += 1

    def check(self) -> bool:
        """Return whether new captures are refused now (logs the change when the state flips)."""
        now = time.monotonic()
        if now - self._counted_at >= self.refresh_s or self.depth >= DRAINED_SHARE * self.capacity * 0.95:
            self.depth = self.outbox.depth()
            self._counted_at = now
        if not self.full and self.depth >= self.capacity:
            self.full = True
            log.warning(
                "edge.outbox_full",
                depth=self.depth,
                capacity=self.capacity,
                effect="new messages are refused (503) until the core confirms",
            )
        elif self.full and self.depth < DRAINED_SHARE * self.capacity:
            self.full = False
            log.warning("edge.outbox_drained", depth=self.depth, capacity=self.capacity)
        return self.full

    def refresh(self) -> bool:
        """Count again now and return :meth:`check`'s answer."""
        self._counted_at = float("-inf")
        return self.check()
