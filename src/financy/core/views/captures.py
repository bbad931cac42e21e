"""Read model: what a context's members sent, newest first, including what was not recorded.

Nothing a user sends is dropped: a voice note the bot could not hear, a photo with no total, a
message it did not understand are kept as captures with a ``problem``. This view lists them
(``status="needs_review"`` for the ones waiting for someone), with the original's reference.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Connection, select

from financy.core.adapters import orm
from financy.core.domain.model import CaptureStatus

MAX_LIMIT = 200


def captures(
    conn: Connection,
    context_id: uuid.UUID,
    *,
    status: CaptureStatus | None = None,
    before: dt.datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Return up to ``limit`` captures of ``context_id`` received before ``before``, newest first.

    Each is ``{"id", "received_at", "platform", "media_type", "status", "problem", "intent",
    "text", "heard", "media": {"key", "content_type", "size", "sha256"} | null}``; ``heard`` is the
    transcript or OCR text. Membership is the caller's check.

    Raises:
        ValueError: ``limit`` outside 1..:data:`MAX_LIMIT`.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    cap = orm.captures
    query = select(
        cap.c.id,
        cap.c.received_at,
        cap.c.platform,
        cap.c.media_type,
        cap.c.status,
        cap.c.problem,
        cap.c.intent,
        cap.c.text,
        cap.c.media,
        cap.c.provenance,
    ).where(cap.c.context_id == context_id)
    if status is not None:
        query = query.where(cap.c.status == status.value)
    if before is not None:
        query = query.where(cap.c.received_at < before)
    rows = conn.execute(query.order_by(cap.c.received_at.desc(), cap.c.id.desc()).limit(limit)).all()
    return [
        {
            "id": str(row.id),
            "received_at": row.received_at.isoformat(),
            "platform": row.platform,
            "media_type": row.media_type,
            "status": row.status,
            "problem": row.problem,
            "intent": row.intent,
            "text": row.text,
            "heard": (row.provenance or {}).get("text") or None,
            "media": row.media,
        }
        for row in rows
    ]


def capture_original(conn: Connection, context_id: uuid.UUID, capture_id: uuid.UUID) -> dict[str, Any] | None:
    """Return the object-store reference of a capture's original (``None``: no such capture, or a text)."""
    cap = orm.captures
    media = conn.execute(
        select(cap.c.media).where(cap.c.context_id == context_id, cap.c.id == capture_id)
    ).scalar_one_or_none()
    return media if isinstance(media, dict) else None
