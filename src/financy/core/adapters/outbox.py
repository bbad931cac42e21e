"""Publish committed outbox rows to their Redis streams (the relay half of the transactional outbox).

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several ingest processes can relay at once;
a row is marked published only after its ``XADD`` succeeded. A crash between the two sends the
row again: consumers de-duplicate by the message's own id (at least once, effects once).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import redis
from sqlalchemy import Connection, Engine, func, select, update

from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    PAYLOAD_FIELD,
    CapturesConfirmedV1,
    CaptureV1,
    ReplyV1,
    confirms_stream,
    replies_stream,
)

#: Reply streams are trimmed to about this many entries (edges read them within seconds).
REPLY_STREAM_MAXLEN = 100_000
#: Confirmation streams are kept to about this many entries (``MAXLEN ~``).
CONFIRMS_STREAM_MAXLEN = 10_000


def send_confirmations(client: redis.Redis, captures: Sequence[CaptureV1]) -> dict[str, int]:
    """XADD one :class:`CapturesConfirmedV1` per edge of ``captures`` (committed, duplicates too)
    to ``confirms_stream(edge_id)`` in one round trip; return ``{edge_id: keys confirmed}``.

    Raises:
        redis.RedisError: the write failed (the edge resends those captures later: harmless).
    """
    keys: dict[str, list[str]] = defaultdict(list)
    for capture in captures:
        keys[capture.edge_id].append(capture.idempotency_key)
    if not keys:
        return {}
    now = dt.datetime.now(dt.UTC)
    pipe = client.pipeline(transaction=False)
    for edge_id, batch in keys.items():
        for start in range(0, len(batch), 10_000):
            message = CapturesConfirmedV1(
                edge_id=edge_id, idempotency_keys=tuple(batch[start : start + 10_000]), confirmed_at=now
            )
            pipe.xadd(
                confirms_stream(edge_id),
                {PAYLOAD_FIELD: message.model_dump_json()},
                maxlen=CONFIRMS_STREAM_MAXLEN,
                approximate=True,
            )
    pipe.execute()
    return {edge_id: len(batch) for edge_id, batch in keys.items()}


def send_replies(client: redis.Redis, replies: Sequence[ReplyV1]) -> None:
    """XADD committed ``replies`` to their edges' reply streams in one round trip.

    The fast path right after a commit; their outbox rows are marked with :func:`mark_published`
    afterwards. If anything fails in between, :func:`publish_pending` sends the rows again later
    and the edge drops a reply it has already delivered (by ``reply_id``).

    Raises:
        redis.ConnectionError: Redis is unreachable (rows stay unpublished for the sweep).
    """
    pipe = client.pipeline(transaction=False)
    for reply in replies:
        pipe.xadd(
            replies_stream(reply.edge_id),
            {PAYLOAD_FIELD: reply.model_dump_json()},
            maxlen=REPLY_STREAM_MAXLEN,
            approximate=True,
        )
    pipe.execute()


def send_messages(client: redis.Redis, messages: Sequence[tuple[str, str]]) -> None:
    """XADD committed outbox ``messages`` (``(stream, payload)``) in one round trip: the fast path
    for every message a commit wrote (the replies and, say, a budget alert to another chat).

    Raises:
        redis.ConnectionError: Redis is unreachable (rows stay unpublished for the sweep).
    """
    pipe = client.pipeline(transaction=False)
    for stream, payload in messages:
        pipe.xadd(stream, {PAYLOAD_FIELD: payload}, maxlen=REPLY_STREAM_MAXLEN, approximate=True)
    pipe.execute()


def mark_published(conn: Connection, outbox_ids: Sequence[int]) -> None:
    """Mark the outbox rows ``outbox_ids`` as published (in the caller's transaction)."""
    if outbox_ids:
        conn.execute(
            update(orm.outbox)
            .where(orm.outbox.c.id.in_(list(outbox_ids)), orm.outbox.c.published_at.is_(None))
            .values(published_at=func.now(), attempts=orm.outbox.c.attempts + 1)
        )


def publish_pending(engine: Engine, client: redis.Redis, *, batch: int = 200, min_age_s: float = 5.0) -> int:
    """Send up to ``batch`` outbox rows unpublished for ``min_age_s`` seconds; return how many.

    The sweep behind :func:`send_committed`: rows younger than ``min_age_s`` are left to the fast path.

    Raises:
        redis.ConnectionError: Redis is unreachable (nothing is marked; rows stay queued).
    """
    with engine.begin() as conn:
        rows = conn.execute(
            select(orm.outbox.c.id, orm.outbox.c.stream, orm.outbox.c.payload)
            .where(
                orm.outbox.c.published_at.is_(None),
                orm.outbox.c.created_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, min_age_s),
            )
            .order_by(orm.outbox.c.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0
        pipe = client.pipeline(transaction=False)
        for row in rows:
            pipe.xadd(row.stream, {PAYLOAD_FIELD: row.payload}, maxlen=REPLY_STREAM_MAXLEN, approximate=True)
        pipe.execute()
        conn.execute(
            update(orm.outbox)
            .where(orm.outbox.c.id.in_([r.id for r in rows]))
            .values(published_at=func.now(), attempts=orm.outbox.c.attempts + 1)
        )
    return len(rows)


def purge_published(engine: Engine, *, older_than_days: int = 7) -> int:
    """Delete outbox rows published more than ``older_than_days`` ago; return how many."""
    with engine.begin() as conn:
        result = conn.execute(
            orm.outbox.delete().where(
                orm.outbox.c.published_at < func.now() - func.make_interval(0, 0, 0, older_than_days)
            )
        )
    return int(result.rowcount or 0)
