"""``financy core edges add NAME | list | revoke NAME``: enrol edge nodes, see the fleet, revoke one.

Exit status: 0 done, 1 an error with a clear message on stderr (a taken name, an unknown edge,
a Redis < 7.0, a refused credential), 2 a usage error.
"""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata

from redis import Redis
from sqlalchemy import create_engine

from financy.core.service.edges import EdgeError, EdgeService, EdgeStatus
from financy.core.settings import CoreSettings

ACTIONS = ("add", "list", "revoke")


def _ago(when: dt.datetime | None, now: dt.datetime) -> str:
    if when is None:
        return "-"
    seconds = int((now - when).total_seconds())
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    return when.strftime("%Y-%m-%d %H:%M")


def printable(value: str, limit: int = 200) -> str:
    """Return ``value`` safe for a terminal: control and format characters as ``?``, at most ``limit``.

    What an edge reports (its software version, model names) is the edge's to write: a newline or
    an escape sequence there must not draw a fake row or drive the admin's terminal.
    """
    clean = "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in value)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def format_table(statuses: list[EdgeStatus], now: dt.datetime) -> str:
    """Return ``statuses`` as a plain text table (one header line, one line an edge)."""
    header = ("ID", "STATE", "LIVENESS", "LAST SEEN", "SOFTWARE", "MODELS", "QUEUE", "OUTBOX")
    rows = [header]
    for s in statuses:
        rows.append(
            (
                s.edge_id,
                s.state,
                s.liveness,
                _ago(s.last_seen, now),
                printable(s.software_version or "-", 64),
                printable(",".join(s.models) or "-"),
                "-" if s.queue_depth is None else str(s.queue_depth),
                "-" if s.outbox_depth is None else str(s.outbox_depth),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def run_edges(settings: CoreSettings, action: str | None, name: str | None) -> int:
    """Run ``financy core edges ACTION [NAME]``; return the exit status (see the module)."""
    if action not in ACTIONS or (action in {"add", "revoke"}) != (name is not None):
        print(
            "usage: financy core edges add NAME | financy core edges list | financy core edges revoke NAME",
            file=sys.stderr,
        )
        return 2
    engine = create_engine(settings.require_database_url())
    redis = Redis.from_url(settings.require_redis_url())
    service = EdgeService(engine, redis, settings)
    try:
        if action == "add":
            assert name is not None
            issued = service.add(name)
            print(f"edge {issued.edge_id}: enrolment token (shown once, single use)")
            print(f"  token:   {issued.token}")
            print(f"  expires: {issued.expires_at.isoformat(timespec='seconds')}")
            print("on the edge's machine run (DIR: the directory the edge keeps its data in):")
            print(
                f"  financy edge enroll --core {settings.core_public_url()} --token {issued.token} --data-dir DIR"
            )
        elif action == "revoke":
            assert name is not None
            service.revoke(name)
            print(f"edge {name}: revoked (Redis user and object-store credentials deleted)")
        else:
            statuses = service.list()
            if not statuses:
                print("no edges (add one with: financy core edges add NAME)")
            else:
                print(format_table(statuses, dt.datetime.now(dt.UTC)))
        return 0
    except EdgeError as exc:
        print(f"financy core edges {action}: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # EdgeCredentialsError: Redis < 7.0, refused credentials
        print(f"financy core edges {action}: {exc}", file=sys.stderr)
        return 1
    finally:
        redis.close()
        engine.dispose()
