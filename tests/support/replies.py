"""Replies as the core sends them to an edge, for tests of the bots and of rendering."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from financy.core.contracts.v1 import ReplyKind, ReplyV1, idempotency_key


def chat_reply(
    platform: str,
    chat_id: str,
    in_reply_to: str,
    kind: ReplyKind,
    *,
    language: str = "pt",
    edge_id: str = "local",
    created_at: dt.datetime | None = None,
    **fields: Any,
) -> ReplyV1:
    """Return a ``kind`` reply to message ``in_reply_to`` of ``chat_id`` on ``platform``.

    ``created_at`` defaults to now (UTC); ``fields`` are the reply's other fields (transactions,
    problem, link_code, ...); pydantic's ValidationError where they do not fit the contract.
    """
    return ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key(platform, chat_id, in_reply_to),
        edge_id=edge_id,
        platform=platform,
        chat_id=chat_id,
        in_reply_to=in_reply_to,
        language=language,
        kind=kind,
        created_at=created_at or dt.datetime.now(dt.UTC),
        **fields,
    )
