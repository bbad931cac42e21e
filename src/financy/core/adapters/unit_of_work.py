"""The SQLAlchemy unit of work: one PostgreSQL transaction with its events and outbox rows.

Audit events and outbox messages are buffered and written at :meth:`SqlAlchemyUnitOfWork.commit`
(one multi-row insert each), in the same transaction as the state they describe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Self

from sqlalchemy import Connection, Engine, insert, text

from financy.core.adapters import orm
from financy.core.adapters.editing import SqlEdits
from financy.core.adapters.members import SqlMembers
from financy.core.adapters.outbox import mark_published
from financy.core.adapters.repositories import (
    SqlAccounts,
    SqlBudgets,
    SqlCaptures,
    SqlCategories,
    SqlContexts,
    SqlFxRates,
    SqlLinks,
    SqlTransactions,
    SqlUsers,
)
from financy.core.domain.events import Event
from financy.core.service.unit_of_work import AbstractUnitOfWork, jsonable
from financy.runtime.ids import uuid7

_INSERT_EVENTS = insert(orm.events)
_INSERT_OUTBOX = insert(orm.outbox).returning(orm.outbox.c.id)
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """A unit of work on a connection of ``engine`` (opened on enter, returned to the pool on exit)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self._conn: Connection | None = None
        self._event_rows: list[dict[str, Any]] = []
        self._outbox_rows: list[dict[str, Any]] = []

    @property
    def conn(self) -> Connection:
        """The open connection (only inside ``with``)."""
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use it in a with block")
        return self._conn

    def __enter__(self) -> Self:
        conn = self.engine.connect()
        conn.begin()
        self._conn = conn
        self.contexts = SqlContexts(conn)
        self.users = SqlUsers(conn)
        self.captures = SqlCaptures(conn)
        self.transactions = SqlTransactions(conn)
        self.categories = SqlCategories(conn)
        self.links = SqlLinks(conn)
        self.fx_rates = SqlFxRates(conn)
        self.edits = SqlEdits(conn)
        self.budgets = SqlBudgets(conn)
        self.members = SqlMembers(conn)
        self.accounts = SqlAccounts(conn)
        self.events, self._new_events, self.outbox_ids = [], [], []
        self.outbox_messages = []
        return self

    def __exit__(self, *args: object) -> None:
        try:
            self.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _record(self, event: Event) -> None:
        self._event_rows.append(
            {
                "event_id": uuid7(),
                "name": event.name,
                "context_id": event.context_id,
                "actor_id": event.actor_id,
                "entity": event.entity,
                "entity_id": event.entity_id,
                "capture_id": event.capture_id,
                "before": jsonable(event.before),
                "after": jsonable(event.after),
                "extra": jsonable(event.extra),
            }
        )

    def lock(self, key: str) -> None:
        """Take a transaction-scoped advisory lock on ``key`` (``pg_advisory_xact_lock``)."""
        self.conn.execute(_LOCK, {"k": key})

    def publish(self, stream: str, payload: str) -> None:
        """See :meth:`AbstractUnitOfWork.publish`."""
        self._outbox_rows.append({"stream": stream, "payload": payload})

    def mark_published(self, outbox_ids: Sequence[int]) -> None:
        """See :meth:`AbstractUnitOfWork.mark_published`."""
        mark_published(self.conn, outbox_ids)

    def commit(self) -> None:
        """Write the buffered events and outbox rows, then commit the transaction."""
        conn = self.conn
        if self._event_rows:
            conn.execute(_INSERT_EVENTS, self._event_rows)
            self._event_rows = []
        if self._outbox_rows:
            ids = conn.execute(_INSERT_OUTBOX, self._outbox_rows).scalars().all()
            self.outbox_ids = [int(i) for i in ids]
            self.outbox_messages = [(r["stream"], r["payload"]) for r in self._outbox_rows]
            self._outbox_rows = []
        conn.commit()

    def rollback(self) -> None:
        """Roll back what was not committed and forget the buffers."""
        self._event_rows, self._outbox_rows = [], []
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()


def sql_unit_of_work_factory(engine: Engine) -> Callable[[], SqlAlchemyUnitOfWork]:
    """Return a factory of units of work on ``engine`` (what ``bootstrap()`` takes)."""
    return lambda: SqlAlchemyUnitOfWork(engine)
