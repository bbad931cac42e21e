"""``bootstrap()``: the message bus with every handler given its dependencies, built once per process.

Handlers name the dependencies they take as keyword parameters after ``(command, uow)``; the
ones known here are ``defaults`` (conventions of a context made on first contact) and
``objects`` (the core's object store, or ``None``). Production passes an engine (PostgreSQL
units of work); unit tests pass a fake unit-of-work factory.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from financy.core.service import handlers
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.messagebus import CommandHandler, EventHandler, MessageBus
from financy.core.service.unit_of_work import AbstractUnitOfWork

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from financy.runtime.objects import ObjectStore


def _inject(handler: Callable[..., Any], dependencies: Mapping[str, Any]) -> Callable[..., Any]:
    """Return ``handler`` with the dependencies it names bound (checked once, here)."""
    wanted = {
        name: dependencies[name] for name in inspect.signature(handler).parameters if name in dependencies
    }
    return functools.partial(handler, **wanted) if wanted else handler


def bootstrap(
    *,
    engine: Engine | None = None,
    uow_factory: Callable[[], AbstractUnitOfWork] | None = None,
    defaults: ContextDefaults | None = None,
    objects: ObjectStore | None = None,
) -> MessageBus:
    """Return a message bus over ``uow_factory`` (or PostgreSQL units of work on ``engine``).

    ``objects`` is the core's object store, for handlers that read a file a chat sent (a bank
    statement); without it such a file is answered as not readable here.

    Raises:
        ValueError: neither ``engine`` nor ``uow_factory`` is given.
    """
    if uow_factory is None:
        if engine is None:
            raise ValueError("bootstrap needs an engine or a unit-of-work factory")
        from financy.core.adapters.unit_of_work import sql_unit_of_work_factory

        uow_factory = sql_unit_of_work_factory(engine)
    dependencies: dict[str, Any] = {"defaults": defaults or ContextDefaults()}
    dependencies["objects"] = objects
    command_handlers: dict[Any, CommandHandler] = {
        command: _inject(handler, dependencies) for command, handler in handlers.command_handlers().items()
    }
    event_handlers: dict[str, list[EventHandler]] = {
        name: [_inject(h, dependencies) for h in hs] for name, hs in handlers.event_handlers().items()
    }
    return MessageBus(uow_factory, command_handlers, event_handlers)
