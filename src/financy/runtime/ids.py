"""Identifiers shared by every process."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = 0


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """Return a time-ordered UUID version 7 (RFC 9562 §5.7): 48-bit Unix ms + 74 random bits.

    Without ``now_ms``, ids made by one process are strictly increasing, also within one
    millisecond (RFC 9562 §6.2, method 2: a later id in the same millisecond is the previous one
    plus one), so rows inserted together sort in the order they were made.
    """
    global _last  # noqa: PLW0603 - the process-wide ordering state
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    if now_ms is None:
        with _lock:
            if value <= _last and (_last >> 80) == (value >> 80):
                value = _next_after(_last)
            _last = max(value, _last)
    return uuid.UUID(int=value)


def _next_after(value: int) -> int:
    """Return the smallest v7 value above ``value`` in its millisecond, keeping version and variant bits."""
    rand_a = (value >> 64) & 0xFFF
    rand_b = value & ((1 << 62) - 1)
    if rand_b < (1 << 62) - 1:
        rand_b += 1
    else:  # 2**62 ids in one millisecond: carry into rand_a (it cannot overflow in practice)
        rand_a, rand_b = (rand_a + 1) & 0xFFF, 0
    return (value >> 80 << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
