"""Ledgers and their members through the API: create, rename, archive; change roles, remove, leave.

Each handler looks the actor's role up again in its own unit of work (the route's
:func:`~financy.core.entrypoints.api.security.require` is the first check), takes the ledger's
``members:{id}`` lock before counting owners, applies the rules of
:mod:`financy.core.domain.members`, and writes one audit event per change:
``context.created`` (+ ``member.added``), ``context.updated``, ``context.archived``,
``context.unarchived``, ``member.role_changed``, ``member.removed``, ``member.left``.
A removed or leaving member's private chats bound to the ledger go back to their personal ledger.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from financy.core.domain.authorization import Action, authorize
from financy.core.domain.errors import UnknownTimeZoneError
from financy.core.domain.events import Event
from financy.core.domain.members import (
    ContextRefusedError,
    MemberNotFoundError,
    check_leave,
    check_removal,
    check_role_change,
)
from financy.core.domain.membership_commands import (
    ArchiveContext,
    ChangeRole,
    CreateContext,
    LeaveContext,
    RemoveMember,
    UpdateContext,
)
from financy.core.domain.model import LedgerContext, Role, normalize_currency
from financy.core.service.handlers.chat import add_member, personal_context
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.runtime.ids import uuid7

#: The locales a ledger may speak (its replies and dashboard).
LOCALES = ("pt-BR", "en")


def clean_name(name: str) -> str:
    """Return ``name`` on one line without surrounding blanks.

    Raises:
        ContextRefusedError: 400 ``invalid_name``: empty, or longer than 200 characters.
    """
    text = " ".join(name.split())
    if not text or len(text) > 200:
        raise ContextRefusedError("invalid_name", "a ledger's name has 1 to 200 characters", 400)
    return text


def check_time_zone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone.

    Raises:
        UnknownTimeZoneError: it is not (400).
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZoneError(name) from exc
    return name


def check_locale(locale: str) -> str:
    """Return ``locale`` as stored ("pt-BR" or "en", case-insensitive).

    Raises:
        ContextRefusedError: 400 ``invalid_locale``.
    """
    for known in LOCALES:
        if locale.strip().lower() == known.lower():
            return known
    raise ContextRefusedError("invalid_locale", "locale must be 'pt-BR' or 'en'", 400)


def _context(uow: AbstractUnitOfWork, context_id: uuid.UUID) -> LedgerContext:
    context = uow.contexts.get(context_id)
    if context is None:  # authorize() raised for a missing role first
        raise RuntimeError("the context vanished")
    return context


def create_context(cmd: CreateContext, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Create the ledger with ``cmd.actor_id`` as its owner; return its id.

    Raises:
        ContextRefusedError: 400 for a bad name or locale.
        UnknownCurrencyError, UnknownTimeZoneError: 400 for a bad currency or time zone.
    """
    context = LedgerContext(
        id=uuid7(),
        name=clean_name(cmd.name),
        type=cmd.type,
        base_currency=normalize_currency(cmd.base_currency),
        time_zone=check_time_zone(cmd.time_zone),
        locale=check_locale(cmd.locale),
    )
    uow.contexts.add(context, created_by=cmd.actor_id)
    uow.record(
        Event(
            "context.created",
            context.id,
            cmd.actor_id,
            "context",
            context.id,
            after={
                "id": context.id,
                "name": context.name,
                "type": context.type.value,
                "base_currency": context.base_currency,
                "time_zone": context.time_zone,
                "locale": context.locale,
                "created_by": cmd.actor_id,
            },
        )
    )
    add_member(uow, context.id, cmd.actor_id, Role.OWNER, actor=cmd.actor_id, via="api")
    return context.id


def update_context(cmd: UpdateContext, uow: AbstractUnitOfWork) -> dict[str, str]:
    """Apply the changes ``cmd`` names; return the changed fields' new values (``{}``: none).

    Raises:
        NotAMemberError, ForbiddenError: the actor may not manage the ledger.
        ContextRefusedError: 400 bad name or locale; 409 ``base_currency_locked`` when the base
            currency would change in a ledger that has transactions.
        UnknownCurrencyError, UnknownTimeZoneError: 400.
    """
    authorize(uow.contexts.role_of(cmd.context_id, cmd.actor_id), Action.MANAGE_CONTEXT)
    uow.lock(f"context:{cmd.context_id}")
    context = _context(uow, cmd.context_id)
    wanted: dict[str, str] = {}
    if cmd.name is not None:
        wanted["name"] = clean_name(cmd.name)
    if cmd.time_zone is not None:
        wanted["time_zone"] = check_time_zone(cmd.time_zone)
    if cmd.locale is not None:
        wanted["locale"] = check_locale(cmd.locale)
    if cmd.base_currency is not None:
        wanted["base_currency"] = normalize_currency(cmd.base_currency)
    before = {
        "name": context.name,
        "time_zone": context.time_zone,
        "locale": context.locale,
        "base_currency": context.base_currency,
    }
    changes = {k: v for k, v in wanted.items() if before[k] != v}
    if "base_currency" in changes and uow.members.has_transactions(cmd.context_id):
        raise ContextRefusedError(
            "base_currency_locked",
            "the base currency cannot change once the ledger has transactions "
            "(their base amounts are in the current one); create a new ledger instead",
        )
    if not changes:
        return {}
    uow.members.update_context(cmd.context_id, changes)
    uow.record(
        Event(
            "context.updated",
            cmd.context_id,
            cmd.actor_id,
            "context",
            cmd.context_id,
            before={k: before[k] for k in changes},
            after=dict(changes),
        )
    )
    return changes


def archive_context(cmd: ArchiveContext, uow: AbstractUnitOfWork) -> dt.datetime | None:
    """Archive or unarchive the ledger; return when it is archived (``None``: it is not). Doing
    what is already so changes nothing and writes no event.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not manage the ledger.
    """
    authorize(uow.contexts.role_of(cmd.context_id, cmd.actor_id), Action.MANAGE_CONTEXT)
    uow.lock(f"context:{cmd.context_id}")
    was = uow.members.archived_at(cmd.context_id)
    if (was is not None) == cmd.archived:
        return was
    at = dt.datetime.now(dt.UTC) if cmd.archived else None
    uow.members.set_archived(cmd.context_id, at)
    uow.record(
        Event(
            "context.archived" if cmd.archived else "context.unarchived",
            cmd.context_id,
            cmd.actor_id,
            "context",
            cmd.context_id,
            before={"archived_at": was},
            after={"archived_at": at},
        )
    )
    return at


def _target_role(uow: AbstractUnitOfWork, context_id: uuid.UUID, user_id: uuid.UUID) -> Role:
    role = uow.contexts.role_of(context_id, user_id)
    if role is None:
        raise MemberNotFoundError()
    return role


def change_role(cmd: ChangeRole, uow: AbstractUnitOfWork) -> Role:
    """Give the member the role; return it (the same role again changes nothing).

    Raises:
        NotAMemberError, ForbiddenError: the actor may not manage members.
        MemberNotFoundError: 404, the user is not a member.
        OwnerProtectedError, RoleCeilingError: 403 (see :func:`check_role_change`).
        LastOwnerError: 409.
    """
    uow.lock(f"members:{cmd.context_id}")
    actor = uow.contexts.role_of(cmd.context_id, cmd.actor_id)
    authorize(actor, Action.MANAGE_MEMBERS)
    current = _target_role(uow, cmd.context_id, cmd.user_id)
    check_role_change(actor, current, cmd.role, uow.members.owners(cmd.context_id))
    if current is cmd.role:
        return current
    uow.members.set_role(cmd.context_id, cmd.user_id, cmd.role)
    uow.record(
        Event(
            "member.role_changed",
            cmd.context_id,
            cmd.actor_id,
            "member",
            cmd.user_id,
            before={"user_id": cmd.user_id, "role": current.value},
            after={"user_id": cmd.user_id, "role": cmd.role.value},
        )
    )
    return cmd.role


def _drop(uow: AbstractUnitOfWork, context_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
    """Remove the member and send their private chats bound here back to their personal ledger."""
    uow.members.remove(context_id, user_id)
    personal = personal_context(uow, user_id, ContextDefaults())
    moved = 0
    if personal != context_id:
        moved = uow.members.rebind_private_chats(context_id, user_id, personal)
    return {"chats_rebound": moved, "to_context_id": personal}


def remove_member(cmd: RemoveMember, uow: AbstractUnitOfWork) -> None:
    """Remove the member (removing oneself is leaving: :func:`leave_context`).

    Raises:
        NotAMemberError, ForbiddenError: the actor may not manage members.
        MemberNotFoundError: 404.
        OwnerProtectedError: 403, an admin named an owner.
        LastOwnerError: 409.
    """
    if cmd.user_id == cmd.actor_id:
        leave_context(LeaveContext(cmd.actor_id, cmd.context_id), uow)
        return
    uow.lock(f"members:{cmd.context_id}")
    actor = uow.contexts.role_of(cmd.context_id, cmd.actor_id)
    authorize(actor, Action.MANAGE_MEMBERS)
    target = _target_role(uow, cmd.context_id, cmd.user_id)
    check_removal(actor, target, uow.members.owners(cmd.context_id))
    extra = _drop(uow, cmd.context_id, cmd.user_id)
    uow.record(
        Event(
            "member.removed",
            cmd.context_id,
            cmd.actor_id,
            "member",
            cmd.user_id,
            before={"user_id": cmd.user_id, "role": target.value},
            extra=extra,
        )
    )


def leave_context(cmd: LeaveContext, uow: AbstractUnitOfWork) -> None:
    """The actor leaves the ledger.

    Raises:
        NotAMemberError: they are not a member.
        LastOwnerError: 409, they are its last owner.
    """
    uow.lock(f"members:{cmd.context_id}")
    role = uow.contexts.role_of(cmd.context_id, cmd.actor_id)
    check_leave(role, uow.members.owners(cmd.context_id))
    assert role is not None  # check_leave raised otherwise
    extra = _drop(uow, cmd.context_id, cmd.actor_id)
    uow.record(
        Event(
            "member.left",
            cmd.context_id,
            cmd.actor_id,
            "member",
            cmd.actor_id,
            before={"user_id": cmd.actor_id, "role": role.value},
            extra=extra,
        )
    )


REGISTRATIONS = (
    Registration(CreateContext, create_context),
    Registration(UpdateContext, update_context),
    Registration(ArchiveContext, archive_context),
    Registration(ChangeRole, change_role),
    Registration(RemoveMember, remove_member),
    Registration(LeaveContext, leave_context),
)
