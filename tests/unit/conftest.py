"""Fixtures of the unit tests: the core's bus over the fake unit of work, the edge's bot state, a Graph API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from financy.core.service.bootstrap import bootstrap
from financy.core.service.messagebus import MessageBus
from financy.edge.outbox.bots import EdgeBotState
from tests.support.graph_api import TOKEN, GraphStandIn
from tests.unit.fakes import FakeUnitOfWork, Store


@pytest.fixture
def store() -> Store:
    """An empty in-memory store, shared by every unit of work of the test."""
    return Store()


@pytest.fixture
def bus(store: Store) -> MessageBus:
    """The bus as bootstrap builds it, each unit of work over ``store``."""
    return bootstrap(uow_factory=lambda: FakeUnitOfWork(store))


@pytest.fixture
def state(tmp_path: Path) -> Iterator[EdgeBotState]:
    """The edge's bot state in the test's directory (``bots.sqlite3``), closed after the test."""
    bots = EdgeBotState(tmp_path / "bots.sqlite3")
    try:
        yield bots
    finally:
        bots.close()


@pytest.fixture
def graph() -> Iterator[GraphStandIn]:
    """A stand-in Graph API on 127.0.0.1 that accepts ``TOKEN``, stopped after the test."""
    server = GraphStandIn(TOKEN).start()
    try:
        yield server
    finally:
        server.close()
