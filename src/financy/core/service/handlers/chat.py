"""What every chat command shares: who sent it, in which ledger, may they, keep it once, answer it.

:func:`handle_chat` is the envelope each chat handler runs in:

1. the sender and the chat's ledger (user, personal context and chat binding created on first
   contact, under transaction-scoped advisory locks);
2. the one authorization rule (:func:`~financy.core.domain.authorization.authorize`) for the
   handler's action: a sender who is not a member of the chat's ledger is answered
   ``not_a_member`` and their message is kept in their own personal ledger — nothing is read
   or written in the other; a member whose role does not allow it is answered ``forbidden``;
3. the handler's ``decide`` (reads only), then the capture is claimed by its idempotency key
   (``INSERT .. ON CONFLICT DO NOTHING``: a redelivered capture changes nothing), then the
   handler's ``apply`` (writes), all in the caller's unit of work;
4. the ``capture.received`` audit event and the reply, queued in the outbox for the edge.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from financy.core.contracts.v1 import (
    QueryAnswer,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    SummaryV1,
    replies_stream,
)
from financy.core.domain.authorization import Action, authorize
from financy.core.domain.commands import ChatCommand, ChatMessage
from financy.core.domain.errors import ForbiddenError, NotAMemberError
from financy.core.domain.events import Event
from financy.core.domain.model import CATEGORY_BY_SLUG, CaptureStatus, LedgerContext, Role, Transaction
from financy.core.service.handlers.users import ContextDefaults, create_personal_context
from financy.core.service.unit_of_work import AbstractUnitOfWork, SenderScope
from financy.runtime.ids import uuid7

C = TypeVar("C", bound=ChatCommand)


@dataclass
class Outcome:
    """What a chat command comes to: the reply kind, the capture's status and problem, and what
    to write once the capture is claimed (``planned``) or show in the reply."""

    kind: ReplyKind
    status: CaptureStatus = CaptureStatus.COMMAND
    problem: str | None = None
    planned: list[Transaction] = field(default_factory=list)
    transactions: list[RecordedTransaction] = field(default_factory=list)
    answer: QueryAnswer | None = None
    summary: SummaryV1 | None = None


@dataclass(frozen=True, slots=True)
class ChatScope:
    """The sender, the chat's ledger, the sender's role there and the reply's language ("pt"/"en")."""

    user_id: uuid.UUID
    context: LedgerContext
    role: Role | None
    language: str
    remembers_merchants: bool = True


Decide = Callable[[C, ChatScope, AbstractUnitOfWork], Outcome]
Apply = Callable[[C, ChatScope, Outcome, AbstractUnitOfWork], None]


def local_date(moment: dt.datetime, time_zone: str) -> dt.date:
    """Return the calendar date of aware ``moment`` in IANA ``time_zone``."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def shown(tx: Transaction, language: str) -> RecordedTransaction:
    """Return ``tx`` as the reply shows it, its category named in ``language``."""
    category = CATEGORY_BY_SLUG.get(tx.category) if tx.category else None
    return RecordedTransaction(
        transaction_id=tx.id,
        kind=tx.kind,
        amount=tx.money.amount,
        currency=tx.money.currency,
        occurred_on=tx.occurred_on,
        merchant=tx.merchant,
        category=tx.category,
        category_name=category.name(language) if category else None,
        items=len(tx.items),
        category_guesses=tx.category_guesses,
    )


def resolve_user(uow: AbstractUnitOfWork, message: ChatMessage, defaults: ContextDefaults) -> uuid.UUID:
    """Return the user behind the message's sender, creating user and personal context on first contact."""
    platform, sender = message.platform, message.sender_id
    found = uow.contexts.user_of_identity(platform, sender)
    if found is None:
        # First contact: serialise with any concurrent first message of the same sender, then look again.
        uow.lock(f"identity:{platform}:{sender}")
        found = uow.contexts.user_of_identity(platform, sender)
    if found is not None:
        return found
    user_id = uuid7()
    locale = defaults.locale
    if message.sender_language:
        locale = "pt-BR" if message.sender_language.lower().startswith("pt") else "en"
    name = message.sender_name or f"{platform}:{sender}"
    uow.users.add(user_id, display_name=name, locale=locale)
    uow.users.link_identity(uuid7(), platform, sender, user_id, name)
    uow.record(
        Event(
            "user.created", None, user_id, "user", user_id, after={"display_name": name, "platform": platform}
        )
    )
    create_personal_context(uow, user_id, name, defaults)
    return user_id


def personal_context(uow: AbstractUnitOfWork, user_id: uuid.UUID, defaults: ContextDefaults) -> uuid.UUID:
    """Return the user's personal context, creating one if they have none."""
    return uow.contexts.personal_context_of(user_id) or create_personal_context(
        uow, user_id, "Personal", defaults
    )


def resolve_scope(uow: AbstractUnitOfWork, message: ChatMessage, defaults: ContextDefaults) -> SenderScope:
    """Return the sender and the context the chat is bound to, binding a new chat to the sender's
    personal context (the sender is then its owner)."""
    known = uow.contexts.known_sender(message.platform, message.chat_id, message.sender_id)
    if known is not None:
        return known
    user_id = resolve_user(uow, message, defaults)
    found = uow.contexts.bound_context(message.platform, message.chat_id)
    if found is None:
        uow.lock(f"chat:{message.platform}:{message.chat_id}")
        found = uow.contexts.bound_context(message.platform, message.chat_id)
    if found is not None:
        context, remembers = found
        return SenderScope(user_id, context, uow.contexts.role_of(context.id, user_id), remembers)
    context_id = personal_context(uow, user_id, defaults)
    binding_id = uuid7()
    uow.contexts.bind_chat(binding_id, message.platform, message.chat_id, context_id, message.edge_id)
    uow.record(
        Event(
            "chat.bound",
            context_id,
            user_id,
            "chat_binding",
            binding_id,
            after={"platform": message.platform, "chat_id": message.chat_id},
        )
    )
    bound = uow.contexts.get(context_id)
    assert bound is not None
    return SenderScope(user_id, bound, Role.OWNER, True)


def _heard(message: ChatMessage, problem: str | None) -> str | None:
    """Return what the edge heard (a transcript), or the merchant of a receipt it asks about,
    short enough to quote in the reply."""
    if message.provenance_source is None:
        return None
    if message.provenance_source == "ocr":
        asking = problem is not None and problem.startswith("receipt_")
        return message.receipt_merchant if asking else None
    text = " ".join((message.provenance_text or "").split())
    if not text:
        return None
    return text if len(text) <= 300 else text[:299] + "…"


def handle_chat(
    cmd: C,
    uow: AbstractUnitOfWork,
    defaults: ContextDefaults,
    *,
    action: Action,
    decide: Decide[C],
    apply: Apply[C] | None = None,
) -> ReplyV1 | None:
    """Run chat command ``cmd`` in its envelope (see the module); return the reply, ``None`` for a
    duplicate delivery. Raises only for storage failures (the caller retries the delivery)."""
    message = cmd.message
    found = resolve_scope(uow, message, defaults)
    scope = ChatScope(
        found.user_id,
        found.context,
        found.role,
        message.language or found.context.language,
        found.remembers_merchants,
    )
    try:
        authorize(scope.role, action)
    except NotAMemberError:
        return _refuse(uow, message, scope, defaults)
    except ForbiddenError:
        outcome = Outcome(ReplyKind.FORBIDDEN, CaptureStatus.NEEDS_REVIEW, f"forbidden:{action.value}")
        apply = None
    else:
        outcome = decide(cmd, scope, uow)
    if not _claim(uow, message, scope.context.id, scope.user_id, scope.language, outcome):
        return None
    if apply is not None:
        apply(cmd, scope, outcome, uow)
    return _answer(uow, message, scope.context.id, scope.user_id, scope.language, outcome)


def _refuse(
    uow: AbstractUnitOfWork, message: ChatMessage, scope: ChatScope, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Keep a non-member's message in their own personal ledger and tell them; nothing else."""
    own = personal_context(uow, scope.user_id, defaults)
    outcome = Outcome(ReplyKind.NOT_A_MEMBER, CaptureStatus.NEEDS_REVIEW, "not_a_member")
    if not _claim(uow, message, own, scope.user_id, scope.language, outcome):
        return None
    uow.record(
        Event(
            "chat.refused",
            own,  # in the sender's own log: nothing is written in the ledger they are not part of
            scope.user_id,
            "capture",
            message.capture_id,
            after={"platform": message.platform, "chat_id": message.chat_id, "reason": "not_a_member"},
            capture_id=message.capture_id,
        )
    )
    return _answer(uow, message, own, scope.user_id, scope.language, outcome)


def _claim(
    uow: AbstractUnitOfWork,
    message: ChatMessage,
    context_id: uuid.UUID,
    user_id: uuid.UUID,
    language: str,
    outcome: Outcome,
) -> bool:
    return uow.captures.claim(
        message,
        context_id=context_id,
        author_id=user_id,
        language=language,
        status=outcome.status.value,
        problem=outcome.problem if outcome.status is CaptureStatus.NEEDS_REVIEW else None,
    )


def _answer(
    uow: AbstractUnitOfWork,
    message: ChatMessage,
    context_id: uuid.UUID,
    user_id: uuid.UUID,
    language: str,
    outcome: Outcome,
) -> ReplyV1:
    uow.record(
        Event(
            "capture.received",
            context_id,
            user_id,
            "capture",
            message.capture_id,
            after={
                "status": outcome.status.value,
                "intent": message.intent,
                "idempotency_key": message.idempotency_key,
            },
            capture_id=message.capture_id,
        )
    )
    reply = ReplyV1(
        reply_id=uuid7(),
        capture_id=message.capture_id,
        idempotency_key=message.idempotency_key,
        edge_id=message.edge_id,
        platform=message.platform,
        chat_id=message.chat_id,
        in_reply_to=message.message_id,
        language="pt" if language == "pt" else "en",
        kind=outcome.kind,
        transactions=tuple(outcome.transactions),
        problem=outcome.problem,
        answer=outcome.answer,
        summary=outcome.summary,
        heard=_heard(message, outcome.problem),
        created_at=dt.datetime.now(dt.UTC),
    )
    uow.publish(replies_stream(message.edge_id), reply.model_dump_json())
    return reply
