"""How a handler module tells the message bus what it handles.

Each module of ``service/handlers`` declares ``REGISTRATIONS`` (command type -> handler, and the
intents of a capture that become that command) and may declare ``EVENT_HANDLERS`` (audit event
name -> handlers run after commit). ``service/handlers/__init__.py`` lists the modules: a new
area is a new module plus one line there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from financy.core.contracts.v1 import ChatEventKind, ChatEventV1, Intent, Understanding
from financy.core.domain.commands import ChatCommand, ChatMessage, Command
from financy.core.domain.events import Event

#: Turns a capture's envelope and understanding into the command it asks for (``None``: it does not).
Translate = Callable[[ChatMessage, Understanding], ChatCommand | None]
#: Turns a capture carrying a chat event (bot added, removed, group migrated) into its command.
TranslateEvent = Callable[[ChatMessage, ChatEventV1], ChatCommand]
EventHandler = Callable[..., None]


@dataclass(frozen=True, slots=True)
class Registration:
    """``handler`` handles ``command``; captures with an intent in ``intents`` become it by its translator.

    ``handler(command, uow, **dependencies)`` takes only the dependencies it names
    (``defaults``, ...), given by :func:`~financy.core.service.bootstrap.bootstrap`.
    Captures carrying a chat event of a kind in ``chat_events`` become it by that translator.
    """

    command: type[Command]
    handler: Callable[..., Any]
    intents: Mapping[Intent, Translate] = field(default_factory=dict)
    chat_events: Mapping[ChatEventKind, TranslateEvent] = field(default_factory=dict)


__all__ = ["Event", "EventHandler", "Registration", "Translate", "TranslateEvent"]
