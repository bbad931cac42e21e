"""Publish committed outbox rows to their Redis streams (the relay half of the transactional outbox).

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several ingest processes can relay at once;
a row is marked published only after its ``XADD`` succeeded. A crash between the two sends the
row again: consumers de-duplicate by the message's own id (at least once, effects once).
"""

from __future__ import annotations

import redis
from sqlalchemy import Engine, func, select, update

from financy.core.adapters import orm
from financy.core.contracts.v1 import PAYLOAD_FIELD

#: Reply streams are trimmed to about this many entries (edges read them within seconds).
REPLY_STREAM_MAXLEN = 100_000


def publish_pending(engine: Engine, client: redis.Redis, *, batch: int = 200) -> int:
    """Send up to ``batch`` unpublished outbox rows and return how many were published.

    Raises:
        redis.ConnectionError: Redis is unreachable (nothing is marked; rows stay queued).
    """
    with engine.begin() as conn:
        rows = conn.execute(
            select(orm.outbox.c.id, orm.outbox.c.stream, orm.outbox.c.payload)
            .where(orm.outbox.c.published_at.is_(None))
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
