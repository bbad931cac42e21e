"""Chat messages that touch no ledger row: help, welcome, small talk, and questions back to the user.

Each is still kept as a capture (nothing a user sent is dropped); one the bot could not read
waits for review in the captures list.
"""

from __future__ import annotations

from financy.core.contracts.v1 import Intent, ReplyKind, ReplyV1
from financy.core.domain.authorization import Action
from financy.core.domain.commands import Acknowledge, AskUser
from financy.core.domain.model import CaptureStatus
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork


def _acknowledged(cmd: Acknowledge, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind(cmd.reply))


def acknowledge(cmd: Acknowledge, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Answer help, a greeting or small talk."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_acknowledged)


def _asked(cmd: AskUser, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    status = CaptureStatus.NEEDS_REVIEW if cmd.needs_review else CaptureStatus.COMMAND
    return Outcome(ReplyKind.QUESTION, status, cmd.problem, asked_about=cmd.asked_about)


def ask_user(cmd: AskUser, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Keep a message the bot could not act on and ask the user (``cmd.problem`` says why)."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_asked)


REGISTRATIONS = (
    Registration(
        Acknowledge,
        acknowledge,
        {
            Intent.HELP: lambda message, _: Acknowledge(message, ReplyKind.HELP.value),
            Intent.START: lambda message, _: Acknowledge(message, ReplyKind.WELCOME.value),
            Intent.SMALL_TALK: lambda message, _: Acknowledge(message, ReplyKind.SMALL_TALK.value),
        },
    ),
    Registration(AskUser, ask_user),
)
