"""``financy edge status``: what this edge's outbox holds and whether the core's Redis answers.

Reads the outbox file directly (no running edge needed): captures pending, sent but not yet
confirmed, the age of the oldest unconfirmed one, the capacity, and the line
``OUTBOX FULL — new messages are refused until the core confirms`` when it is full. Then pings
the core's Redis (2 s timeout) and, if it answers, shows how far behind this edge's reply and
confirmation consumer groups are. Exit 0; 1 when the outbox is full or the core is unreachable.
"""

from __future__ import annotations

import redis
import redis.exceptions

from financy.core.contracts.v1 import confirms_stream, replies_stream
from financy.edge.outbox.store import EdgeOutbox, OutboxStats
from financy.edge.settings import EdgeSettings

FULL_LINE = "OUTBOX FULL — new messages are refused until the core confirms"


#: Resend deadlines after which an unconfirmed, resent capture is reported as stuck.
STUCK_AFTER = 5


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def outbox_lines(stats: OutboxStats) -> list[str]:
    """Return the outbox part of the status report for ``stats``."""
    lines = [
        f"outbox pending (never sent):      {stats.pending}",
        f"outbox sent, not yet confirmed:   {stats.sent_unconfirmed}",
        f"outbox resent at least once:      {stats.resent}",
        f"oldest unconfirmed capture:       {_age(stats.oldest_unconfirmed_age_s)}",
        f"outbox depth / capacity:          {stats.depth} / {stats.capacity}",
    ]
    if stats.full:
        lines.append(FULL_LINE)
    return lines


def stuck_line(stats: OutboxStats, resend_after_s: float) -> str | None:
    """Return a warning when captures were resent yet stay unconfirmed for ``STUCK_AFTER`` deadlines.

    The core confirms every capture it commits, duplicates too; one it refuses (a wrong origin key,
    an unknown contract) is kept in its dead-letter stream and never confirmed.
    """
    age = stats.oldest_unconfirmed_age_s
    if stats.resent == 0 or age is None or age < STUCK_AFTER * resend_after_s:
        return None
    return (
        f"WARNING: {stats.resent} capture(s) resent and still not confirmed after {_age(age)}: the core "
        "may be refusing them (ask its admin: financy core dlq list)"
    )


def _group_lag(client: redis.Redis, stream: str, group: str) -> str:
    """Return ``"lag N, pending M"`` of ``group`` on ``stream`` (lag unknown before Redis 7)."""
    try:
        groups = client.xinfo_groups(stream)
    except redis.exceptions.ResponseError:
        return "no stream yet"
    for info in groups:
        name = info.get("name")
        if (name.decode() if isinstance(name, bytes) else name) == group:
            lag = info.get("lag")
            return f"lag {lag if lag is not None else 'unknown'}, pending {info.get('pending', 0)}"
    return "no consumer group yet"


def run_status(settings: EdgeSettings) -> int:
    """Print the edge's status to stdout; return 0, or 1 when the outbox is full, captures are stuck
    unconfirmed (:func:`stuck_line`), or the core is unreachable or refuses this edge's credentials."""
    path = settings.edge_dir / "outbox.sqlite3"
    code = 0
    print(f"edge {settings.edge.id}: outbox {path}")
    if path.exists():
        outbox = EdgeOutbox(path)
        try:
            stats = outbox.stats(settings.edge.outbox_capacity)
        finally:
            outbox.close()
        for line in outbox_lines(stats):
            print(line)
        stuck = stuck_line(stats, settings.edge.resend_after_s)
        if stuck:
            print(stuck)
        if stats.full or stuck:
            code = 1
    else:
        print("outbox: none yet (this edge has not run here)")
    if not settings.redis_url:
        print("core redis: not configured (FINANCY_REDIS_URL is not set)")
        return 1
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except (redis.exceptions.AuthenticationError, redis.exceptions.NoPermissionError) as exc:
        print(
            f"core redis: CREDENTIALS REFUSED ({exc}): this edge was revoked or its edge.env is wrong; "
            "enrol again with financy edge enroll"
        )
        return 1
    except (redis.exceptions.RedisError, OSError) as exc:
        print(f"core redis: UNREACHABLE ({type(exc).__name__}: {exc})")
        return 1
    else:
        group = f"edge-{settings.edge.id}"
        print("core redis: ok")
        try:
            print(f"reply stream:   {_group_lag(client, replies_stream(settings.edge.id), group)}")
            print(f"confirm stream: {_group_lag(client, confirms_stream(settings.edge.id), group)}")
        except (redis.exceptions.RedisError, OSError) as exc:
            print(f"stream lag: unknown ({type(exc).__name__}: {exc})")
    finally:
        client.close()
    return code
