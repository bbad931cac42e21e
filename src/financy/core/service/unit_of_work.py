"""Unit of work: one database transaction holding state changes, their events and the outbox.

Handlers write rows, :meth:`UnitOfWork.record` events and :meth:`UnitOfWork.publish` stream
messages through one :class:`UnitOfWork`; :meth:`commit` makes all of them durable together,
so a reply is never published for a change that was rolled back (transactional outbox).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, insert

from financy.core.adapters import orm
from financy.core.domain.events import Event
from financy.runtime.ids import uuid7


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (UUID, date, datetime)):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class UnitOfWork:
    """A database transaction on ``conn`` with its pending events and outbox messages."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.events: list[Event] = []

    def record(self, event: Event) -> None:
        """Append ``event`` to the events table in this transaction."""
        self.events.append(event)
        row = dataclasses.asdict(event)
        self.conn.execute(
            insert(orm.events).values(
                event_id=uuid7(),
                name=row["name"],
                context_id=row["context_id"],
                actor_id=row["actor_id"],
                entity=row["entity"],
                entity_id=row["entity_id"],
                capture_id=row["capture_id"],
                before=_jsonable(row["before"]),
                after=_jsonable(row["after"]),
                extra=_jsonable(row["extra"]),
            )
        )

    def publish(self, stream: str, payload: str) -> None:
        """Queue ``payload`` (a JSON string) for ``stream``; it is sent only after commit."""
        self.conn.execute(insert(orm.outbox).values(stream=stream, payload=payload))


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[UnitOfWork]:
    """Open a transaction on ``engine``; commit on normal exit, roll back on an exception."""
    with engine.begin() as conn:
        yield UnitOfWork(conn)


def dumps(value: Any) -> str:
    """Serialise ``value`` to JSON, writing Decimals, UUIDs and dates as strings."""
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True)
