"""The SQLAlchemy unit of work: one PostgreSQL transaction with its events and outbox rows.

Audit events and outbox messages are buffered and written at :meth:`SqlAlchemyUnitOfWork.commit`
(one multi-row insert each), in the same transaction as the state they describe. Told which
commands it will handle (:meth:`SqlAlchemyUnitOfWork.expect`, a batch of captures), it reads
ahead for them and keeps claims and transactions back until a statement needs them
(:mod:`financy.core.adapters.batching`): a batch costs a few round trips, not a few per capture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Self

from sqlalchemy import Connection, Engine, insert, text

from financy.core.adapters import orm
from financy.core.adapters.batching import (
    BatchedBudgets,
    BatchedCaptures,
    BatchedCategories,
    BatchedContexts,
    BatchedMembers,
    BatchedTransactions,
    ReadAhead,
    batched,
)
from financy.core.adapters.cards_repository import SqlCards
from financy.core.adapters.cost_sharing_repository import SqlCostSharing
from financy.core.adapters.editing import SqlEdits
from financy.core.adapters.outbox import mark_published
from financy.core.adapters.recurring_repository import SqlRecurring
from financy.core.adapters.repositories import (
    SqlAccounts,
    SqlFxRates,
    SqlLinks,
    SqlUsers,
)
from financy.core.adapters.search.postgres import ConnectionSearch
from financy.core.adapters.statements_repository import SqlStatements
from financy.core.domain.commands import Command
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
        self._ahead: ReadAhead | None = None
        self._batched: Connection | None = None
        self._event_rows: list[dict[str, Any]] = []
        self._outbox_rows: list[dict[str, Any]] = []

    @property
    def conn(self) -> Connection:
        """The open connection (only inside ``with``)."""
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use it in a with block")
        return self._conn

    def __enter__(self) -> Self:
        raw = self.engine.connect()
        raw.begin()
        self._conn = raw
        ahead = self._ahead = ReadAhead(raw)
        # Every repository statement goes through the batching connection (see adapters.batching).
        conn = self._batched = batched(raw, ahead)
        self.contexts = BatchedContexts(conn, ahead)
        self.users = SqlUsers(conn)
        self.captures = BatchedCaptures(conn, ahead)
        self.transactions = BatchedTransactions(conn, ahead)
        self.categories = BatchedCategories(conn, ahead)
        self.links = SqlLinks(conn)
        self.fx_rates = SqlFxRates(conn)
        self.edits = SqlEdits(conn)
        self.budgets = BatchedBudgets(conn, ahead)
        self.members = BatchedMembers(conn, ahead)
        self.accounts = SqlAccounts(conn)
        self.statements = SqlStatements(conn)
        self.recurring = SqlRecurring(conn)
        self.cards = SqlCards(conn)
        self.cost_sharing = SqlCostSharing(conn)
        self.search = ConnectionSearch(raw)
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
                self._ahead = self._batched = None

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

    @property
    def ahead(self) -> ReadAhead:
        """The read-ahead of the open unit of work (only inside ``with``)."""
        if self._ahead is None:
            raise RuntimeError("the unit of work is not open: use it in a with block")
        return self._ahead

    def _statements(self) -> Connection:
        """The connection repository statements go through (it writes what was kept back first)."""
        if self._batched is None:
            raise RuntimeError("the unit of work is not open: use it in a with block")
        return self._batched

    def expect(self, commands: Sequence[Command]) -> None:
        """See :meth:`AbstractUnitOfWork.expect`: read ahead for ``commands`` and keep writes back."""
        self.ahead.expect(commands)

    def lock(self, key: str) -> None:
        """Take a transaction-scoped advisory lock on ``key`` (``pg_advisory_xact_lock``); what
        was read ahead is read again afterwards."""
        self._statements().execute(_LOCK, {"k": key})

    def publish(self, stream: str, payload: str) -> None:
        """See :meth:`AbstractUnitOfWork.publish`."""
        self._outbox_rows.append({"stream": stream, "payload": payload})

    def mark_published(self, outbox_ids: Sequence[int]) -> None:
        """See :meth:`AbstractUnitOfWork.mark_published`."""
        mark_published(self._statements(), outbox_ids)

    def commit(self) -> None:
        """Write what was kept back, the buffered events and outbox rows, then commit.

        Raises:
            ConcurrentClaimError: a capture kept back was claimed by another transaction
                meanwhile (nothing is committed).
        """
        conn = self.conn
        self.ahead.flush()
        if self._event_rows:
            conn.execute(_INSERT_EVENTS, self._event_rows)
            self._event_rows = []
        if self._outbox_rows:
            ids = conn.execute(_INSERT_OUTBOX, self._outbox_rows).scalars().all()
            self.outbox_ids = [int(i) for i in ids]
            self.outbox_messages = [(r["stream"], r["payload"]) for r in self._outbox_rows]
            self._outbox_rows = []
        conn.commit()
        self.ahead.reset()

    def rollback(self) -> None:
        """Roll back what was not committed and forget the buffers."""
        self._event_rows, self._outbox_rows = [], []
        if self._ahead is not None:
            self._ahead.reset()
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()


def sql_unit_of_work_factory(engine: Engine) -> Callable[[], SqlAlchemyUnitOfWork]:
    """Return a factory of units of work on ``engine`` (what ``bootstrap()`` takes)."""
    return lambda: SqlAlchemyUnitOfWork(engine)
