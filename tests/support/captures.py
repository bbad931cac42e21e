"""Captures as an edge sends them, for tests of the core (one dev chat message each), and what the edge read."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    Sender,
    Understanding,
    idempotency_key,
)

#: 12:00 in São Paulo on Sunday 2026-11-29.
NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


def capture(
    platform: str, chat: str, message_id: str, sender: Sender, *, at: dt.datetime, edge_id: str, **fields: Any
) -> CaptureV1:
    """Return the capture of message ``message_id`` from ``sender`` in ``chat`` on ``platform``.

    ``fields`` are the capture's other fields (text, understanding, chat_type, chat_event, ...).
    """
    return CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key(platform, chat, message_id),
        edge_id=edge_id,
        platform=platform,
        chat_id=chat,
        message_id=message_id,
        sender=sender,
        received_at=at,
        **fields,
    )


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
    return capture(
        "devchat",
        chat or sender,
        message_id or uuid.uuid4().hex,
        Sender(platform_user_id=sender, display_name=name),
        at=at,
        edge_id=edge_id,
        text=text,
        understanding=understanding,
    )


def entry(
    amount: str, category: str = "groceries", merchant: str = "mercado", **kw: Any
) -> ProposedTransaction:
    """One transaction the edge read: ``amount`` (a decimal string, BRL unless ``kw`` says) at ``merchant``."""
    return ProposedTransaction(amount=Decimal(amount), category=category, merchant=merchant, **kw)


def record(
    *entries: ProposedTransaction, confidence: float = 0.9, problem: str | None = None
) -> Understanding:
    """A message recording ``entries`` (in pt), read with ``confidence``; ``problem`` as the edge names it."""
    return Understanding(
        language="pt", intent=Intent.RECORD, transactions=entries, confidence=confidence, problem=problem
    )


def said(intent: Intent, **fields: object) -> Understanding:
    """A command the edge read (``fields``: category, context_choice, ...)."""
    return Understanding.model_validate({"language": "pt", "intent": intent, "confidence": 0.9, **fields})
