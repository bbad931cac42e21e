"""Groups as shared ledgers: the bot added to or removed from a group, a migrated group, "who paid?".

* **Bot added** (``bot_added``): a group seen before gets its ledger back (the binding is made
  active again; who added the bot joins it if they are not a member); a new one gets a
  ``family`` ledger named after the group, owned by who added the bot, with the group's
  administrators (people only) as admins. Answered ``group_bound``.
* **Bot removed** (``bot_removed``): the binding is made inactive; ledger and members stay, so
  adding the bot again binds the same ledger. Answered ``group_unbound`` (silent).
* **Migrated** (``migrated``): a group that became a supergroup keeps its ledger under the new
  chat id — also when a message from the new id came first and bound a ledger of its own.
  Answered ``chat_migrated`` (silent). A real migration goes to a fresh supergroup id, so a new
  id that is already bound is taken over only when that binding is provisional: a group's,
  made in the last :data:`PROVISIONAL_FOR`, whose ledger was made with it (at about the same
  time, no transaction older than the binding). Any other (a forged event naming another
  group's chat) changes nothing and is kept as ``chat.migration_refused``.
* **Claim payer** ("/eu", ``claim_payer``): the sender paid the transaction the bot asked "who
  paid?" about (the message's target, else the ledger's latest with the payer unknown).

Each chat event is kept as a capture of the group's ledger and runs once per idempotency key:
a redelivered event changes nothing. No user or member is ever made for a sender that is not
a person.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import replace

from financy.core.contracts.v1 import ChatEventV1, ContextChoice, Intent, ReplyKind, ReplyV1
from financy.core.domain.authorization import Action
from financy.core.domain.commands import (
    BindGroup,
    ChatMessage,
    ChatPerson,
    ClaimPayer,
    MigrateChat,
    UnbindGroup,
)
from financy.core.domain.events import Event
from financy.core.domain.model import CaptureStatus, LedgerContext, Role
from financy.core.service.handlers.chat import (
    ChatScope,
    Outcome,
    add_member,
    answer,
    bind_chat,
    claim,
    create_group_ledger,
    fallback_language,
    group_name,
    handle_chat,
    join_group_ledger,
    reply_language,
    resolve_user,
    shown,
)
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork, ChatBinding

_log = logging.getLogger(__name__)

#: How long after it was made a binding of the new chat id may be taken over by a migration.
PROVISIONAL_FOR = dt.timedelta(hours=24)
#: How far apart a provisional binding and its ledger may have been made.
_SAME_TIME = dt.timedelta(minutes=1)


def _person_message(message: ChatMessage, person: ChatPerson) -> ChatMessage:
    """The envelope :func:`resolve_user` needs to make a user of someone a chat event names."""
    return replace(
        message,
        sender_id=person.platform_user_id,
        sender_name=person.display_name,
        sender_language=person.language_code,
        sender_is_person=True,
    )


def _known_person(uow: AbstractUnitOfWork, message: ChatMessage) -> uuid.UUID | None:
    """The user behind the sender if they are a known person (no user is made here)."""
    if not message.sender_is_person:
        return None
    return uow.contexts.user_of_identity(message.platform, message.sender_id)


def _choice(context: LedgerContext, role: Role | None) -> ContextChoice:
    return ContextChoice(
        context_id=context.id,
        name=context.name,
        type=context.type.value,
        role=(role or Role.EDITOR).value,
        current=True,
    )


def bind_group(cmd: BindGroup, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Bind the group the bot was added to (see the module); ``None`` for a redelivery."""
    message = cmd.message
    # People first, then the chat (the order every chat message takes its locks in).
    seen = uow.contexts.binding(message.platform, message.chat_id)
    adder = resolve_user(uow, message, defaults) if message.sender_is_person else None
    admins = [] if seen else [resolve_user(uow, _person_message(message, a), defaults) for a in cmd.admins]
    uow.lock(f"chat:{message.platform}:{message.chat_id}")
    binding = uow.contexts.binding(message.platform, message.chat_id)
    if binding is not None:
        context = binding.context
        language = reply_language(message, context.language)
        outcome = Outcome(ReplyKind.GROUP_BOUND)
        if not claim(uow, message, context.id, adder, language, outcome):
            return None
        if cmd.title is not None or not binding.active:
            uow.contexts.set_binding_active(binding.id, True, title=cmd.title)
        if not binding.active:
            uow.record(
                Event(
                    "chat.bound",
                    context.id,
                    adder,
                    "chat_binding",
                    binding.id,
                    before={"active": False},
                    after={"active": True, "title": cmd.title},
                    capture_id=message.capture_id,
                )
            )
        role = None
        if adder is not None:
            # Who adds the bot back is in the group: they join its ledger as anyone writing would.
            role = join_group_ledger(
                uow, context.id, adder, chat_admin=message.sender_is_chat_admin, capture_id=message.capture_id
            )
        return answer(uow, message, context.id, adder, language, outcome, contexts=(_choice(context, role),))
    owner = adder if adder is not None else (admins[0] if admins else None)
    language = fallback_language(message, defaults)
    context = create_group_ledger(
        uow, cmd.title or group_name(language), owner, defaults, capture_id=message.capture_id
    )
    outcome = Outcome(ReplyKind.GROUP_BOUND)
    # The binding did not exist, so no delivery of this event was kept: the claim is new.
    claimed = claim(uow, message, context.id, adder, language, outcome)
    assert claimed, "a chat event was kept without binding its chat"
    for admin in dict.fromkeys(admins):
        if admin != owner:
            add_member(
                uow,
                context.id,
                admin,
                Role.ADMIN,
                actor=adder,
                via="bot_added",
                capture_id=message.capture_id,
            )
    bind_chat(uow, message, context.id, adder, chat_type="group", title=cmd.title)
    role = Role.OWNER if owner is not None and owner == adder else None
    return answer(uow, message, context.id, adder, language, outcome, contexts=(_choice(context, role),))


def unbind_group(cmd: UnbindGroup, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Make the group's binding inactive (see the module); ``None`` for a redelivery."""
    message = cmd.message
    uow.lock(f"chat:{message.platform}:{message.chat_id}")
    binding = uow.contexts.binding(message.platform, message.chat_id)
    actor = _known_person(uow, message)
    outcome = Outcome(ReplyKind.GROUP_UNBOUND)
    if binding is None:
        return answer(uow, message, None, actor, fallback_language(message, defaults), outcome, silent=True)
    language = reply_language(message, binding.context.language)
    if not claim(uow, message, binding.context.id, actor, language, outcome):
        return None
    if binding.active:
        uow.contexts.set_binding_active(binding.id, False)
        uow.record(
            Event(
                "chat.unbound",
                binding.context.id,
                actor,
                "chat_binding",
                binding.id,
                before={"active": True},
                after={"active": False},
                capture_id=message.capture_id,
            )
        )
    return answer(uow, message, binding.context.id, actor, language, outcome, silent=True)


def _provisional(uow: AbstractUnitOfWork, binding: ChatBinding) -> bool:
    """Whether ``binding`` is what messages from a just-migrated supergroup made before the
    migration event came: a group's, recent, with a ledger of its own made with it."""
    if binding.chat_type != "group":
        return False
    origin = uow.contexts.binding_origin(binding.id)
    if origin is None or origin.created_at < dt.datetime.now(dt.UTC) - PROVISIONAL_FOR:
        return False
    if abs(origin.context_created_at - origin.created_at) > _SAME_TIME:
        return False
    return origin.oldest_transaction_at is None or origin.oldest_transaction_at >= origin.created_at


def migrate_chat(cmd: MigrateChat, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Move the group's ledger to its new chat id (see the module); ``None`` for a redelivery."""
    message = cmd.message
    new_chat = cmd.new_chat_id
    for chat in sorted({message.chat_id, new_chat}):
        uow.lock(f"chat:{message.platform}:{chat}")
    old = uow.contexts.binding(message.platform, message.chat_id)
    new = uow.contexts.binding(message.platform, new_chat) if new_chat != message.chat_id else None
    actor = _known_person(uow, message)
    outcome = Outcome(ReplyKind.CHAT_MIGRATED)
    kept_in = old or new
    if kept_in is None:
        return answer(uow, message, None, actor, fallback_language(message, defaults), outcome, silent=True)
    context = kept_in.context
    language = reply_language(message, context.language)
    if not claim(uow, message, context.id, actor, language, outcome):
        return None
    if old is not None and new is not None and new.context.id != context.id and not _provisional(uow, new):
        # Not where a migration lands: another chat's binding stays as it is.
        _log.warning(
            "chat.migration_refused: %s chat %s named %s, bound to another ledger",
            message.platform,
            message.chat_id,
            new_chat,
        )
        uow.record(
            Event(
                "chat.migration_refused",
                context.id,
                actor,
                "chat_binding",
                old.id,
                after={
                    "chat_id": message.chat_id,
                    "migrate_to_chat_id": new_chat,
                    "reason": "bound_elsewhere",
                },
                capture_id=message.capture_id,
            )
        )
        return answer(uow, message, context.id, actor, language, outcome, silent=True)
    if old is not None and new_chat != message.chat_id:
        if new is None:
            binding_id = bind_chat(
                uow, message, context.id, actor, chat_id=new_chat, chat_type="group", title=old.title
            )
        else:
            binding_id = new.id
            if new.context.id != context.id:
                uow.contexts.rebind(new.id, context.id)
            if not new.active:
                uow.contexts.set_binding_active(new.id, True)
        uow.contexts.set_binding_active(old.id, False)
        uow.record(
            Event(
                "chat.migrated",
                context.id,
                actor,
                "chat_binding",
                binding_id,
                before={"chat_id": message.chat_id, "context_id": None if new is None else new.context.id},
                after={"chat_id": new_chat, "context_id": context.id},
                capture_id=message.capture_id,
            )
        )
    return answer(uow, message, context.id, actor, language, outcome, silent=True)


def _nothing_to_claim(cmd: ClaimPayer, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.NOTHING_TO_CLAIM)


def _apply_claim(cmd: ClaimPayer, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    target = cmd.message.target_transaction
    if target is not None:
        tx = uow.transactions.recorded(scope.context.id, target)
    else:
        tx = uow.transactions.last_unpaid(scope.context.id)
    if tx is None or tx.paid_by is not None:
        return
    uow.transactions.set_paid_by(tx.id, scope.user_id)
    uow.record(
        Event(
            "transaction.payer_set",
            scope.context.id,
            scope.user_id,
            "transaction",
            tx.id,
            before={"paid_by": None},
            after={"paid_by": scope.user_id},
            capture_id=cmd.message.capture_id,
        )
    )
    outcome.kind, outcome.status = ReplyKind.PAYER_SET, CaptureStatus.COMMAND
    outcome.transactions = [shown(tx, scope.language)]


def claim_payer(cmd: ClaimPayer, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Make the sender the payer of the targeted transaction, else of the ledger's latest whose
    payer is unknown (``nothing_to_claim`` when there is none); ``None`` for a redelivery."""
    return handle_chat(cmd, uow, defaults, action=Action.RECORD, decide=_nothing_to_claim, apply=_apply_claim)


def _bind_command(message: ChatMessage, event: ChatEventV1) -> BindGroup:
    admins = tuple(
        ChatPerson(a.platform_user_id, a.display_name, a.language_code)
        for a in event.admins
        if a.is_person and not (message.sender_is_person and a.platform_user_id == message.sender_id)
    )
    return BindGroup(message, title=event.chat_title, admins=admins)


def _migrate_command(message: ChatMessage, event: ChatEventV1) -> MigrateChat:
    # Without a new id there is nothing to move: the event is kept and changes nothing.
    return MigrateChat(message, new_chat_id=event.migrate_to_chat_id or message.chat_id)


REGISTRATIONS = (
    Registration(BindGroup, bind_group, chat_events={"bot_added": _bind_command}),
    Registration(
        UnbindGroup, unbind_group, chat_events={"bot_removed": lambda message, _: UnbindGroup(message)}
    ),
    Registration(MigrateChat, migrate_chat, chat_events={"migrated": _migrate_command}),
    Registration(ClaimPayer, claim_payer, {Intent.CLAIM_PAYER: lambda message, _: ClaimPayer(message)}),
)
