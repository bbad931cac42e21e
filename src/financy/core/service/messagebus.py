"""The message bus: one handler per command, in a unit of work; event handlers after the commit.

A failing command handler raises to the caller (nothing of the unit of work is committed). The
audit events the handlers recorded are dispatched once the commit succeeded: a failing event
handler is logged and the others still run (cosmicpython's bus, typed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from financy.core.domain.commands import Command
from financy.core.domain.events import Event
from financy.core.service.unit_of_work import AbstractUnitOfWork, ConcurrentClaimError
from financy.runtime.logging import get_logger

log = get_logger(__name__)

CommandHandler = Callable[[Any, AbstractUnitOfWork], Any]
#: How many times a batch is run when another transaction keeps claiming one of its captures
#: between the unit of work's look-up and its write (each run then finds it taken).
CLAIM_ATTEMPTS = 3
EventHandler = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What :meth:`MessageBus.handle_many` returns: each command's result, in order, the ids of
    the outbox rows the commit wrote and their ``(stream, payload)``, in the same order (their
    messages may be sent at once: replies, and any other message a handler queued, such as a
    budget alert to another chat)."""

    results: list[Any]
    outbox_ids: list[int]
    outbox_messages: list[tuple[str, str]] = field(default_factory=list)


class UnhandledCommandError(LookupError):
    """No handler is registered for the command's type."""


class MessageBus:
    """Dispatch commands to their handlers and committed events to theirs.

    ``command_handlers`` maps each command type to ``handler(command, uow)``;
    ``event_handlers`` maps an event name (or ``"*"`` for every event) to ``handler(event)``s.
    Both come with their dependencies already bound (see ``bootstrap``).
    """

    def __init__(
        self,
        uow_factory: Callable[[], AbstractUnitOfWork],
        command_handlers: Mapping[type[Command], CommandHandler],
        event_handlers: Mapping[str, Sequence[EventHandler]],
    ) -> None:
        self.uow_factory = uow_factory
        self.command_handlers = dict(command_handlers)
        self.event_handlers = {name: tuple(hs) for name, hs in event_handlers.items()}
        self._every = self.event_handlers.get("*", ())

    def handle(self, command: Command) -> Any:
        """Run ``command`` in its own unit of work, commit, dispatch its events; return the handler's result.

        Raises:
            UnhandledCommandError: no handler for ``type(command)``.
            Exception: whatever the handler raised (nothing was committed).
        """
        return self.handle_many([command]).results[0]

    def handle_many(
        self,
        commands: Sequence[Command],
        *,
        before_commit: Callable[[AbstractUnitOfWork], None] | None = None,
    ) -> BatchResult:
        """Run ``commands`` in order in ONE unit of work and commit once (a batch of captures).

        The unit of work is told the commands first (:meth:`AbstractUnitOfWork.expect`: it may
        read ahead for them). ``before_commit(uow)`` runs after the last handler, inside the same
        transaction. If any handler raises, nothing is committed and the exception propagates.
        A :class:`ConcurrentClaimError` (a capture claimed by another transaction meanwhile)
        runs the whole batch again in a new unit of work, up to :data:`CLAIM_ATTEMPTS` times.

        Raises:
            UnhandledCommandError: a command has no handler (nothing is committed).
            ConcurrentClaimError: still racing after :data:`CLAIM_ATTEMPTS` runs.
        """
        for attempt in range(1, CLAIM_ATTEMPTS + 1):
            try:
                with self.uow_factory() as uow:
                    uow.expect(commands)
                    results = [self._dispatch(command, uow) for command in commands]
                    if before_commit is not None:
                        before_commit(uow)
                    uow.commit()
                    events = uow.collect_new_events()
                    outbox_ids = list(uow.outbox_ids)
                    outbox_messages = list(uow.outbox_messages)
                break
            except ConcurrentClaimError as exc:
                if attempt == CLAIM_ATTEMPTS:
                    raise
                log.warning("bus.claim_raced_running_again", attempt=attempt, error=str(exc))
        for event in events:
            self._handle_event(event)
        return BatchResult(results, outbox_ids, outbox_messages)

    def _dispatch(self, command: Command, uow: AbstractUnitOfWork) -> Any:
        handler = self.command_handlers.get(type(command))
        if handler is None:
            raise UnhandledCommandError(f"no handler for {type(command).__name__}")
        return handler(command, uow)

    def _handle_event(self, event: Event) -> None:
        for handler in (*self.event_handlers.get(event.name, ()), *self._every):
            try:
                handler(event)
            except Exception:  # one broken reaction must not stop the others
                log.exception("bus.event_handler_failed", event_name=event.name, handler=_name(handler))


def _name(handler: Callable[..., Any]) -> str:
    return str(getattr(handler, "__qualname__", None) or getattr(handler, "func", handler))
