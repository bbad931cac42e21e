"""The command and event handlers of the core, one module per area, registered here.

A new area (budgets, say) is a new module with its ``REGISTRATIONS`` (and ``EVENT_HANDLERS``)
plus one line in :data:`MODULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

from financy.core.contracts.v1 import CaptureV1, Intent
from financy.core.domain.commands import AskUser, ChatCommand, Command
from financy.core.service.handlers import (
    accounts,
    amends,
    audit,
    budgets,
    cards,
    categories,
    chat_imports,
    chat_search,
    contexts,
    conversation,
    cost_sharing,
    editing,
    fx,
    groups,
    imports,
    invitations,
    ledger,
    links,
    members,
    questions,
    recurring,
    summary,
    users,
)
from financy.core.service.intake import chat_message
from financy.core.service.registry import EventHandler, Registration, Translate, TranslateEvent

MODULES: tuple[ModuleType, ...] = (
    users,
    ledger,
    categories,
    questions,
    conversation,
    links,
    summary,
    amends,
    groups,
    contexts,
    audit,
    budgets,
    fx,
    editing,
    members,
    invitations,
    accounts,
    imports,
    recurring,
    cards,
    chat_imports,
    cost_sharing,
    chat_search,
)


def registrations() -> list[Registration]:
    """Return every module's registrations, in :data:`MODULES` order."""
    return [r for module in MODULES for r in getattr(module, "REGISTRATIONS", ())]


def command_handlers() -> dict[type[Command], Callable[..., Any]]:
    """Return ``{command type: handler}``.

    Raises:
        ValueError: two modules register the same command or the same intent.
    """
    handlers: dict[type[Command], Callable[..., Any]] = {}
    for r in registrations():
        if r.command in handlers:
            raise ValueError(f"{r.command.__name__} is registered twice")
        handlers[r.command] = r.handler
    return handlers


def _translators() -> dict[Intent, Translate]:
    found: dict[Intent, Translate] = {}
    for r in registrations():
        for intent, translate in r.intents.items():
            if intent in found:
                raise ValueError(f"intent {intent.value!r} is registered twice")
            found[intent] = translate
    return found


def _event_translators() -> dict[str, TranslateEvent]:
    found: dict[str, TranslateEvent] = {}
    for r in registrations():
        for kind, translate in r.chat_events.items():
            if kind in found:
                raise ValueError(f"chat event {kind!r} is registered twice")
            found[kind] = translate
    return found


def event_handlers() -> dict[str, list[EventHandler]]:
    """Return ``{event name: [handler, ...]}`` (``"*"``: every event) in :data:`MODULES` order."""
    found: dict[str, list[EventHandler]] = {}
    for module in MODULES:
        table: Mapping[str, Sequence[EventHandler]] = getattr(module, "EVENT_HANDLERS", {})
        for name, handlers in table.items():
            found.setdefault(name, []).extend(handlers)
    return found


TRANSLATORS = _translators()
#: ``{chat event kind: translator}`` (bot added, removed, group migrated).
CHAT_EVENT_TRANSLATORS = _event_translators()


def command_for(capture: CaptureV1) -> ChatCommand:
    """Return the command ``capture`` asks for: by its chat event's registered translator (a
    change to the chat itself); an edited message that records becomes an amendment of the
    message it edits; otherwise by its intent's registered translator, else :class:`AskUser`
    (kept for review, the user asked), so nothing a user sent is dropped."""
    message = chat_message(capture)
    if capture.chat_event is not None:
        by_event = CHAT_EVENT_TRANSLATORS.get(capture.chat_event.kind)
        if by_event is not None:
            return by_event(message, capture.chat_event)
    understanding = capture.understanding
    if understanding is None:
        return AskUser(message, "not_understood")
    if (amendment := amends.amend_command(capture, message)) is not None:
        return amendment
    translate = TRANSLATORS.get(understanding.intent)
    command = translate(message, understanding) if translate is not None else None
    return command or AskUser(
        message, understanding.problem or "not_understood", asked_about=understanding.item_without_amount
    )
