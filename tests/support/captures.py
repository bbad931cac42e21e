"""Captures as an edge sends them, for tests of the core (one dev chat message each)."""

from __future__ import annotations

import datetime as dt
import uuid

from financy.core.contracts.v1 import CaptureV1, Sender, Understanding, idempotency_key

#: 12:00 in São Paulo on Sunday 2026-11-29.
NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


def dev_capture(
    sender: str,
    understanding: Understanding | None,
    *,
    chat: str | None = None,
    message_id: str | None = None,
    at: dt.datetime = NOW,
    edge_id: str = "edge-t",
    text: str = "…",
    name: str | None = None,
) -> CaptureV1:
    """Return the capture of one dev chat message from ``sender`` in ``chat`` (default: their own)."""
    chat_id = chat or sender
    mid = message_id or uuid.uuid4().hex
    return CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("devchat", chat_id, mid),
        edge_id=edge_id,
        platform="devchat",
        chat_id=chat_id,
        message_id=mid,
        sender=Sender(platform_user_id=sender, display_name=name),
        received_at=at,
        text=text,
        understanding=understanding,
    )
