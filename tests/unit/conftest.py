"""Fixtures of the unit tests: the core's bus over the fake unit of work."""

from __future__ import annotations

import pytest

from financy.core.service.bootstrap import bootstrap
from financy.core.service.messagebus import MessageBus
from tests.unit.fakes import FakeUnitOfWork, Store


@pytest.fixture
def store() -> Store:
    """An empty in-memory store, shared by every unit of work of the test."""
    return Store()


@pytest.fixture
def bus(store: Store) -> MessageBus:
    """The bus as bootstrap builds it, each unit of work over ``store``."""
    return bootstrap(uow_factory=lambda: FakeUnitOfWork(store))
