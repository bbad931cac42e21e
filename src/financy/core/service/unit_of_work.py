"""Unit of work: one database transaction holding state changes, their events and the outbox.

Handlers write rows, :meth:`UnitOfWork.record` events and :meth:`UnitOfWork.publish` stream
messages through one :class:`UnitOfWork`; :meth:`commit` makes all of them durable together,
so a reply is never published for a change that was rolled back (transactional outbox).
"""

from __future__ import annotations

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


_INSERT_EVENTS = insert(orm.events)
_INSERT_OUTBOX = insert(orm.outbox).returning(orm.outbox.c.id)


class UnitOfWork:
    """A database transaction on ``conn`` with its pending events and outbox messages.

    Events and outbox messages are buffered and written by :meth:`flush` (one multi-row insert
    each); :func:`unit_of_work` flushes before it commits.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.events: list[Event] = []
        self._event_rows: list[dict[str, Any]] = []
        self._outbox_rows: list[dict[str, Any]] = []
        #: Outbox row ids written by :meth:`flush`, in order: the caller may publish them at once.
        self.outbox_ids: list[int] = []

    def record(self, event: Event) -> None:
        """Add ``event`` to the events table in this transaction (written at :meth:`flush`)."""
        self.events.append(event)
        self._event_rows.append(
            {
                "event_id": uuid7(),
                "name": event.name,
                "context_id": event.context_id,
                "actor_id": event.actor_id,
                "entity": event.entity,
                "entity_id": event.entity_id,
                "capture_id": event.capture_id,
                "before": _jsonable(event.before),
                "after": _jsonable(event.after),
                "extra": _jsonable(event.extra),
            }
        )

    def publish(self, stream: str, payload: str) -> None:
        """Queue ``payload`` (a JSON string) for ``stream``; it is sent only after commit."""
        self._outbox_rows.append({"stream": stream, "payload": payload})

    def flush(self) -> None:
        """Write the buffered events and outbox messages (call before commit)."""
        if self._event_rows:
            self.conn.execute(_INSERT_EVENTS, self._event_rows)
            self._event_rows = []
        if self._outbox_rows:
            ids = self.conn.execute(_INSERT_OUTBOX, self._outbox_rows).scalars().all()
            self.outbox_ids.extend(int(i) for i in ids)
            self._outbox_rows = []

    def discard(self) -> None:
        """Forget what was buffered since the last :meth:`flush` (after a rollback to a savepoint)."""
        self._event_rows = []
        self._outbox_rows = []


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[UnitOfWork]:
    """Open a transaction on ``engine``; flush and commit on normal exit, roll back on an exception."""
    with engine.begin() as conn:
        uow = UnitOfWork(conn)
        yield uow
        uow.flush()


def dumps(value: Any) -> str:
    """Serialise ``value`` to JSON, writing Decimals, UUIDs and dates as strings."""
    return json.dumps(_jsonable(value), ensure_ascii=False, sort_keys=True)
