"""What every chat command shares: who sent it, in which ledger, may they, keep it once, answer it.

:func:`handle_chat` is the envelope each chat handler runs in:

1. the sender and the chat's ledger (user, personal context and chat binding created on first
   contact, under transaction-scoped advisory locks). A private chat is bound to the sender's
   personal ledger; a group chat to a shared ``family`` ledger (its first person writing is its
   owner), and a person writing in an active group who is not a member of its ledger joins it
   as editor (admin when the platform says they administer the group);
2. the one authorization rule (:func:`~financy.core.domain.authorization.authorize`) for the
   handler's action: a sender who is not a member of the chat's ledger is answered
   ``not_a_member`` and their message is kept in their own personal ledger — nothing is read
   or written in the other; a member whose role does not allow it is answered ``forbidden``.
   A sender that is not a person (a channel, an anonymous group administrator) never becomes a
   user or member: it may read, and record where the handler allows it (the payer is then
   unknown); anything else is ``forbidden``;
3. the handler's ``decide`` (reads only), then the capture is claimed by its idempotency key
   (``INSERT .. ON CONFLICT DO NOTHING``: a redelivered capture changes nothing), then the
   handler's ``apply`` (writes), all in the caller's unit of work;
4. the ``capture.received`` audit event and the reply, queued in the outbox for the edge.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from financy.core.contracts.v1 import (
    BudgetAlertV1,
    BudgetRequest,
    BudgetStatusV1,
    CardBillV1,
    CardV1,
    ContextChoice,
    CostSharingV1,
    QueryAnswer,
    RecordedTransaction,
    RecurringSeriesV1,
    ReplyKind,
    ReplyV1,
    StatementImportV1,
    SummaryV1,
    UsualAmounts,
    replies_stream,
)
from financy.core.domain.authorization import Action, authorize
from financy.core.domain.commands import ChatCommand, ChatMessage
from financy.core.domain.errors import ForbiddenError, NotAMemberError
from financy.core.domain.events import Event
from financy.core.domain.model import (
    CATEGORY_BY_SLUG,
    CaptureStatus,
    ContextType,
    LedgerContext,
    Role,
    Transaction,
)
from financy.core.service import budgeting
from financy.core.service.handlers.users import ContextDefaults, create_personal_context
from financy.core.service.unit_of_work import AbstractUnitOfWork, ChatBinding, SenderScope
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
    contexts: list[ContextChoice] = field(default_factory=list)
    #: A link confirmation's account (username, display name) and code, as :class:`ReplyV1` has them.
    link_account: str | None = None
    link_account_name: str | None = None
    link_code: str | None = None
    #: The budget a :attr:`ReplyKind.NOT_YET` to a budget phrase read.
    budget: BudgetRequest | None = None
    #: What a "how much?" names, and why a confirmation asks (:class:`ReplyV1` has them).
    asked_about: str | None = None
    usual: UsualAmounts | None = None
    #: A budget set, or those a budget question asks about, in their month.
    budgets: list[BudgetStatusV1] = field(default_factory=list)
    #: Budgets the command's expenses made cross 80 % or 100 % (the envelope fills it).
    budget_alerts: list[BudgetAlertV1] = field(default_factory=list)
    #: An invitation's code (shown once), role and expiry, as :class:`ReplyV1` has them.
    invite_code: str | None = None
    invite_role: Role | None = None
    invite_expires_at: dt.datetime | None = None
    #: The recurring series a subscriptions list shows.
    recurring: list[RecurringSeriesV1] = field(default_factory=list)
    #: The cards a card set-up shows, and the bills a card bill question shows (:class:`ReplyV1`).
    cards: list[CardV1] = field(default_factory=list)
    card_bills: list[CardBillV1] = field(default_factory=list)
    #: The statement import a file sent to the bot started, or a "sim" committed.
    statement_import: StatementImportV1 | None = None
    #: Who owes whom in the ledger (a cost split, "quem deve quem?", a settlement).
    cost_sharing: CostSharingV1 | None = None
    #: What a chat search looked for, and whether more transactions match than it shows.
    search_text: str | None = None
    search_more: bool = False


@dataclass(frozen=True, slots=True)
class ChatScope:
    """The sender, the chat's ledger, the sender's role there and the reply's language ("pt"/"en").

    ``author_id`` is ``None`` when no person sent the message (a channel, an anonymous group
    administrator); ``chat_type`` is the chat binding's ("private" or "group").
    """

    author_id: uuid.UUID | None
    context: LedgerContext
    role: Role | None
    language: str
    remembers_merchants: bool = True
    chat_type: str = "private"

    @property
    def user_id(self) -> uuid.UUID:
        """Return the person who sent the message.

        Raises:
            RuntimeError: no person sent it (handlers of actions a non-person may not do never
                see such a scope: the envelope answers ``forbidden`` first).
        """
        if self.author_id is None:
            raise RuntimeError("no person sent this message")
        return self.author_id


Decide = Callable[[C, ChatScope, AbstractUnitOfWork], Outcome]
Apply = Callable[[C, ChatScope, Outcome, AbstractUnitOfWork], None]


def local_date(moment: dt.datetime, time_zone: str) -> dt.date:
    """Return the calendar date of aware ``moment`` in IANA ``time_zone``."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def shown(tx: Transaction, language: str, base_currency: str | None = None) -> RecordedTransaction:
    """Return ``tx`` as the reply shows it, its category named in ``language``.

    A value in another base currency is shown beside the amount; given the ledger's
    ``base_currency``, a foreign amount with no known rate is flagged ``fx_missing``.
    """
    category = CATEGORY_BY_SLUG.get(tx.category) if tx.category else None
    foreign = tx.base_currency is not None and tx.base_currency != tx.money.currency
    missing = base_currency is not None and tx.base_amount is None and tx.money.currency != base_currency
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
        category_unsure=tx.category_unsure,
        base_amount=tx.base_amount if foreign else None,
        base_currency=tx.base_currency if foreign else None,
        fx_date=tx.fx_date if foreign else None,
        fx_source=tx.fx_source if foreign else None,
        fx_missing=missing,
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
    # The personal ledger speaks the sender's own language when their client says it (sticky replies
    # then follow the person, not the box's default).
    create_personal_context(uow, user_id, name, dataclasses.replace(defaults, locale=locale))
    return user_id


def personal_context(uow: AbstractUnitOfWork, user_id: uuid.UUID, defaults: ContextDefaults) -> uuid.UUID:
    """Return the user's personal context, creating one if they have none."""
    return uow.contexts.personal_context_of(user_id) or create_personal_context(
        uow, user_id, "Personal", defaults
    )


def group_name(language: str) -> str:
    """Return the name a group's ledger gets when the platform gave no title."""
    return "Grupo" if language == "pt" else "Group"


def create_group_ledger(
    uow: AbstractUnitOfWork,
    name: str,
    owner: uuid.UUID | None,
    defaults: ContextDefaults,
    *,
    capture_id: uuid.UUID | None = None,
) -> LedgerContext:
    """Create a shared ``family`` ledger named ``name`` (the ``defaults``' currency, time zone and
    locale), owned by ``owner`` (``None``: nobody yet, the first person writing will be);
    ``context.created`` and ``member.added`` events."""
    context = LedgerContext(
        id=uuid7(),
        name=name[:200],
        type=ContextType.FAMILY,
        base_currency=defaults.base_currency,
        time_zone=defaults.time_zone,
        locale=defaults.locale,
    )
    uow.contexts.add(context, created_by=owner)
    uow.record(
        Event(
            "context.created",
            context.id,
            owner,
            "context",
            context.id,
            after={
                "id": context.id,
                "name": context.name,
                "type": context.type.value,
                "base_currency": context.base_currency,
                "time_zone": context.time_zone,
                "locale": context.locale,
                "created_by": owner,
            },
            capture_id=capture_id,
        )
    )
    if owner is not None:
        add_member(uow, context.id, owner, Role.OWNER, actor=owner, via="group_chat", capture_id=capture_id)
    return context


def add_member(
    uow: AbstractUnitOfWork,
    context_id: uuid.UUID,
    user_id: uuid.UUID,
    role: Role,
    *,
    actor: uuid.UUID | None,
    via: str,
    capture_id: uuid.UUID | None = None,
) -> None:
    """Give ``user_id`` ``role`` in the context, with a ``member.added`` event (``via`` says how:
    "group_chat" for a group's ledger, "bot_added" for the group's administrators)."""
    uow.contexts.add_member(context_id, user_id, role)
    uow.record(
        Event(
            "member.added",
            context_id,
            actor,
            "member",
            user_id,
            after={"user_id": user_id, "role": role.value, "via": via},
            capture_id=capture_id,
        )
    )


def bind_chat(
    uow: AbstractUnitOfWork,
    message: ChatMessage,
    context_id: uuid.UUID,
    actor: uuid.UUID | None,
    *,
    chat_id: str | None = None,
    chat_type: str = "private",
    title: str | None = None,
) -> uuid.UUID:
    """Bind the message's chat (or ``chat_id`` on its platform) to the context; ``chat.bound``
    event; return the binding's id. The caller holds the chat's lock."""
    binding_id = uuid7()
    chat = chat_id or message.chat_id
    uow.contexts.bind_chat(
        binding_id, message.platform, chat, context_id, message.edge_id, chat_type=chat_type, title=title
    )
    after: dict[str, object] = {"platform": message.platform, "chat_id": chat}
    if chat_type != "private":
        after |= {"chat_type": chat_type, "title": title}
    uow.record(Event("chat.bound", context_id, actor, "chat_binding", binding_id, after=after))
    return binding_id


def _joins(scope: SenderScope) -> bool:
    """Whether the sender is a person writing in an active group whose ledger they are not in."""
    return scope.user_id is not None and scope.role is None and scope.chat_type == "group" and scope.active


def join_group_ledger(
    uow: AbstractUnitOfWork,
    context_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    chat_admin: bool,
    capture_id: uuid.UUID | None = None,
) -> Role:
    """Return the person's role in a group's ledger, making them a member first if they are not:
    owner if it has none, admin if they administer the group (``chat_admin``), else editor."""
    uow.lock(f"members:{context_id}")
    role = uow.contexts.role_of(context_id, user_id)
    if role is None:
        joining = Role.ADMIN if chat_admin else Role.EDITOR
        role = joining if uow.contexts.has_owner(context_id) else Role.OWNER
        add_member(uow, context_id, user_id, role, actor=user_id, via="group_chat", capture_id=capture_id)
    return role


def _join_group(uow: AbstractUnitOfWork, message: ChatMessage, scope: SenderScope) -> SenderScope:
    """Make the sender a member of the group's ledger (see :func:`join_group_ledger`)."""
    assert scope.user_id is not None
    role = join_group_ledger(uow, scope.context.id, scope.user_id, chat_admin=message.sender_is_chat_admin)
    return dataclasses.replace(scope, role=role)


def _chat_binding(uow: AbstractUnitOfWork, message: ChatMessage) -> ChatBinding | None:
    found = uow.contexts.binding(message.platform, message.chat_id)
    if found is None:
        uow.lock(f"chat:{message.platform}:{message.chat_id}")
        found = uow.contexts.binding(message.platform, message.chat_id)
    return found


def _scope_of(binding: ChatBinding, user_id: uuid.UUID | None, role: Role | None) -> SenderScope:
    return SenderScope(
        user_id, binding.context, role, binding.remembers_merchants, binding.chat_type, binding.active
    )


def _not_a_person_scope(
    uow: AbstractUnitOfWork, message: ChatMessage, defaults: ContextDefaults
) -> SenderScope | None:
    """The scope of a message no person sent: only in a group, never making a user or member.

    A group with no ledger yet gets one with no owner. ``None``: not a group chat (nothing is
    kept: there is no ledger of theirs to keep it in)."""
    binding = _chat_binding(uow, message)
    if binding is not None:
        return _scope_of(binding, None, None) if binding.chat_type == "group" else None
    if message.chat_type != "group":
        return None
    context = create_group_ledger(uow, group_name(fallback_language(message, defaults)), None, defaults)
    bind_chat(uow, message, context.id, None, chat_type="group")
    return SenderScope(None, context, None, False, "group", True)


def resolve_scope(
    uow: AbstractUnitOfWork, message: ChatMessage, defaults: ContextDefaults
) -> SenderScope | None:
    """Return the sender and the context the chat is bound to.

    A new private chat is bound to the sender's personal context (the sender is its owner); a
    new group chat to a new shared ``family`` ledger (the sender is its owner). A person writing
    in an active group who is not a member of its ledger joins it (see the module). ``None``: a
    sender that is not a person outside a group (nothing is kept).
    """
    if not message.sender_is_person:
        return _not_a_person_scope(uow, message, defaults)
    known = uow.contexts.known_sender(message.platform, message.chat_id, message.sender_id)
    if known is not None:
        return _join_group(uow, message, known) if _joins(known) else known
    user_id = resolve_user(uow, message, defaults)
    binding = _chat_binding(uow, message)
    if binding is not None:
        scope = _scope_of(binding, user_id, uow.contexts.role_of(binding.context.id, user_id))
        return _join_group(uow, message, scope) if _joins(scope) else scope
    if message.chat_type == "group":
        group = create_group_ledger(uow, group_name(fallback_language(message, defaults)), user_id, defaults)
        bind_chat(uow, message, group.id, user_id, chat_type="group")
        return SenderScope(user_id, group, Role.OWNER, False, "group", True)
    context_id = personal_context(uow, user_id, defaults)
    bind_chat(uow, message, context_id, user_id)
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
    not_a_person: bool = False,
) -> ReplyV1 | None:
    """Run chat command ``cmd`` in its envelope (see the module); return the reply, ``None`` for a
    duplicate delivery. ``not_a_person``: a sender that is not a person may run it (recording:
    the payer is then unknown); one may always read. Raises only for storage failures (the
    caller retries the delivery)."""
    message = cmd.message
    found = resolve_scope(uow, message, defaults)
    if found is None:
        return _unkept(uow, message, fallback_language(message, defaults))
    scope = ChatScope(
        found.user_id,
        found.context,
        found.role,
        reply_language(message, found.context.language),
        found.remembers_merchants,
        found.chat_type,
    )
    forbidden = Outcome(ReplyKind.FORBIDDEN, CaptureStatus.NEEDS_REVIEW, f"forbidden:{action.value}")
    if scope.author_id is None:
        if action is Action.READ or (action is Action.RECORD and not_a_person):
            outcome = _archived(uow, scope, action) or decide(cmd, scope, uow)
        else:
            outcome = Outcome(ReplyKind.FORBIDDEN, CaptureStatus.NEEDS_REVIEW, f"not_a_person:{action.value}")
            apply = None
    else:
        try:
            authorize(scope.role, action)
        except NotAMemberError:
            return _refuse(uow, message, scope, defaults)
        except ForbiddenError:
            outcome, apply = forbidden, None
        else:
            outcome = _archived(uow, scope, action) or decide(cmd, scope, uow)
    if outcome.kind is ReplyKind.CONTEXT_ARCHIVED:
        apply = None
    if not claim(uow, message, scope.context.id, scope.author_id, scope.language, outcome):
        return None
    if apply is not None:
        seen = len(uow.events)
        apply(cmd, scope, outcome, uow)
        _alert_budgets(uow, message, scope, outcome, uow.events[seen:])
    return answer(uow, message, scope.context.id, scope.author_id, scope.language, outcome)


def _alert_budgets(
    uow: AbstractUnitOfWork, message: ChatMessage, scope: ChatScope, outcome: Outcome, events: list[Event]
) -> None:
    """Alert the budgets the command's expenses crossed: in this reply, and as a message to the
    ledger's other chats (``service.budgeting``)."""
    touched = [e.entity_id for e in events if e.name in budgeting.TOUCHING and e.entity == "transaction"]
    if not touched:
        return
    alerts = budgeting.check_alerts(uow, scope.context, touched, message.capture_id)
    if alerts:
        outcome.budget_alerts = alerts
        budgeting.send_alerts(uow, message, scope.context, alerts)


#: The actions an archived ledger refuses in chat.
_CHANGES = frozenset({Action.RECORD, Action.EDIT})


def _archived(uow: AbstractUnitOfWork, scope: ChatScope, action: Action) -> Outcome | None:
    """The answer to a change in an archived ledger (read, never written), or ``None``."""
    if action not in _CHANGES or uow.members.archived_at(scope.context.id) is None:
        return None
    context = scope.context
    choice = ContextChoice(
        context_id=context.id,
        name=context.name,
        type=context.type.value,
        role=(scope.role or Role.VIEWER).value,
        current=True,
    )
    return Outcome(
        ReplyKind.CONTEXT_ARCHIVED, CaptureStatus.NEEDS_REVIEW, "context_archived", contexts=[choice]
    )


def reply_language(message: ChatMessage, ledger_language: str) -> str:
    """Return the language to answer ``message`` in, in a chat whose ledger speaks ``ledger_language``.

    The chat's language is sticky: the ledger's ("pt"/"en"), unless the message's text showed
    another language on its own (``language_sure``: "I paid 30 for lunch with my card" in a
    Portuguese ledger is answered in English; "/help", "ok", "45", "👍", "uber 23" or "coffee 12"
    are not).
    """
    if message.language and message.language_sure:
        return message.language
    return ledger_language


def fallback_language(message: ChatMessage, defaults: ContextDefaults) -> str:
    """Return the reply's language when the chat has no ledger to take it from ("pt"/"en")."""
    return message.language or ("pt" if defaults.locale.lower().startswith("pt") else "en")


def _unkept(uow: AbstractUnitOfWork, message: ChatMessage, language: str) -> ReplyV1:
    """Answer ``not_a_member`` to a sender that is not a person outside a group; nothing is kept."""
    reply = _reply(message, language, Outcome(ReplyKind.NOT_A_MEMBER, problem="not_a_person"))
    uow.publish(replies_stream(message.edge_id), reply.model_dump_json())
    return reply


def _refuse(
    uow: AbstractUnitOfWork, message: ChatMessage, scope: ChatScope, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Keep a non-member's message in their own personal ledger and tell them; nothing else."""
    own = personal_context(uow, scope.user_id, defaults)
    outcome = Outcome(ReplyKind.NOT_A_MEMBER, CaptureStatus.NEEDS_REVIEW, "not_a_member")
    if not claim(uow, message, own, scope.user_id, scope.language, outcome):
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
    return answer(uow, message, own, scope.user_id, scope.language, outcome)


def claim(
    uow: AbstractUnitOfWork,
    message: ChatMessage,
    context_id: uuid.UUID,
    user_id: uuid.UUID | None,
    language: str,
    outcome: Outcome,
) -> bool:
    """Keep the message as a capture of ``context_id`` by ``user_id`` (``None``: no person) unless
    its idempotency key is taken; return whether it was new (also for handlers outside the envelope)."""
    return uow.captures.claim(
        message,
        context_id=context_id,
        author_id=user_id,
        language=language,
        status=outcome.status.value,
        problem=outcome.problem if outcome.status is CaptureStatus.NEEDS_REVIEW else None,
    )


def _reply(
    message: ChatMessage,
    language: str,
    outcome: Outcome,
    *,
    contexts: tuple[ContextChoice, ...] = (),
    silent: bool = False,
) -> ReplyV1:
    return ReplyV1(
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
        link_account=outcome.link_account,
        link_account_name=outcome.link_account_name,
        link_code=outcome.link_code,
        budget=outcome.budget,
        asked_about=outcome.asked_about,
        usual=outcome.usual,
        budgets=tuple(outcome.budgets),
        budget_alerts=tuple(outcome.budget_alerts),
        invite_code=outcome.invite_code,
        invite_role=outcome.invite_role.value if outcome.invite_role else None,
        invite_expires_at=outcome.invite_expires_at,
        recurring=tuple(outcome.recurring),
        cards=tuple(outcome.cards),
        card_bills=tuple(outcome.card_bills),
        cost_sharing=outcome.cost_sharing,
        heard=_heard(message, outcome.problem),
        created_at=dt.datetime.now(dt.UTC),
        contexts=contexts or tuple(outcome.contexts),
        silent=silent,
        statement_import=outcome.statement_import,
        search_text=outcome.search_text,
        search_more=outcome.search_more,
    )


def answer(
    uow: AbstractUnitOfWork,
    message: ChatMessage,
    context_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    language: str,
    outcome: Outcome,
    *,
    contexts: tuple[ContextChoice, ...] = (),
    silent: bool = False,
) -> ReplyV1:
    """Queue the reply to ``message`` in the outbox and return it; with ``context_id`` (the capture
    was kept there) also the ``capture.received`` event (also for handlers outside the envelope)."""
    if context_id is not None:
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
    reply = _reply(message, language, outcome, contexts=contexts, silent=silent)
    uow.publish(replies_stream(message.edge_id), reply.model_dump_json())
    return reply
