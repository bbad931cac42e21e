"""Invitations into a shared ledger: made by the API or "/convidar", accepted by the API or "/entrar".

An invitation is a one-time code (:func:`~financy.core.domain.members.new_invite_code`; only its
sha256 is stored) with the role the inviter chose — never above the inviter's own, and an admin
never invites an owner — and an expiry (72 hours unless said, at most 720). Accepting it makes
the user a member with that role and uses it up; a code that is unknown (404), used, expired or
revoked (410) changes nothing. An invitation whose inviter no longer holds a role as strong as
the one it gives is answered as revoked. An archived ledger neither invites nor takes members.

In chat, "/entrar CODE" ("/join", Telegram's "/start CODE" deep link) is taken in a private chat
only: the sender joins and that chat then records into the ledger joined (``chat.switched``);
"/pessoal" ("/personal") switches it back. Events: ``invitation.created``,
``invitation.accepted`` (with ``member.added``, via "invitation"), ``invitation.revoked``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from financy.core.contracts.v1 import ContextChoice, Intent, ReplyKind, ReplyV1, Understanding
from financy.core.domain.authorization import Action, authorize
from financy.core.domain.commands import ChatCommand, ChatMessage
from financy.core.domain.events import Event
from financy.core.domain.members import (
    DEFAULT_INVITE_HOURS,
    INVITATION_EXPIRED,
    INVITATION_MESSAGES,
    INVITATION_REVOKED,
    INVITATION_USED,
    MAX_INVITE_HOURS,
    RANK,
    InvitationError,
    RoleCeilingError,
    check_grant,
    invitation_unknown,
    invite_code_hash,
    new_invite_code,
    normalize_invite_code,
    role_named,
)
from financy.core.domain.membership_commands import (
    AcceptInvitation,
    CreateInvitation,
    InviteFromChat,
    IssuedInvitation,
    JoinByCode,
    RevokeInvitation,
    SwitchToPersonal,
)
from financy.core.domain.model import LedgerContext, Role
from financy.core.service.handlers.chat import ChatScope, Outcome, add_member, handle_chat
from financy.core.service.handlers.contexts import GROUP_LEDGER_FIXED
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork, Invitation
from financy.runtime.ids import uuid7

INVITATION_UNKNOWN = "invitation_unknown"
INVITATION_PRIVATE_ONLY = "invitation_private_only"
INVITATION_ROLE = "invitation_role"
INVITATION_ARCHIVED = "invitation_archived"


def _now(now: dt.datetime | None) -> dt.datetime:
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(dt.UTC)


def _archived_error() -> InvitationError:
    return InvitationError(INVITATION_ARCHIVED, "the ledger is archived: unarchive it first", 409)


def _store(
    uow: AbstractUnitOfWork,
    context_id: uuid.UUID,
    actor_id: uuid.UUID,
    role: Role,
    hours: int,
    now: dt.datetime,
    *,
    capture_id: uuid.UUID | None = None,
    code: str | None = None,
) -> IssuedInvitation:
    shown = code or new_invite_code()
    normalised = normalize_invite_code(shown)
    assert normalised is not None
    invitation = Invitation(
        id=uuid7(),
        context_id=context_id,
        role=role,
        created_by=actor_id,
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )
    uow.members.add_invitation(invitation, invite_code_hash(normalised))
    uow.record(
        Event(
            "invitation.created",
            context_id,
            actor_id,
            "invitation",
            invitation.id,
            after={"role": role.value, "expires_at": invitation.expires_at},
            capture_id=capture_id,
        )
    )
    return IssuedInvitation(invitation.id, shown, role, invitation.expires_at)


def create_invitation(cmd: CreateInvitation, uow: AbstractUnitOfWork) -> IssuedInvitation:
    """Store a new invitation into the ledger and return it with its code (shown only now).

    Raises:
        NotAMemberError, ForbiddenError: the actor may not manage members (403).
        RoleCeilingError: 403, ``cmd.role`` is above the actor's role.
        InvitationError: 409 ``invitation_archived``.
        ValueError: ``expires_in_hours`` outside 1..720, or a naive ``now``.
    """
    if not 1 <= cmd.expires_in_hours <= MAX_INVITE_HOURS:
        raise ValueError(f"expires_in_hours must be 1 to {MAX_INVITE_HOURS}")
    now = _now(cmd.now)
    check_grant(uow.contexts.role_of(cmd.context_id, cmd.actor_id), cmd.role)
    if uow.members.archived_at(cmd.context_id) is not None:
        raise _archived_error()
    return _store(uow, cmd.context_id, cmd.actor_id, cmd.role, cmd.expires_in_hours, now)


def revoke_invitation(cmd: RevokeInvitation, uow: AbstractUnitOfWork) -> None:
    """Revoke a pending invitation of the ledger.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not manage members.
        InvitationError: 404 unknown (or another ledger's); 410 already used or revoked.
    """
    authorize(uow.contexts.role_of(cmd.context_id, cmd.actor_id), Action.MANAGE_MEMBERS)
    found = uow.members.invitation(cmd.context_id, cmd.invitation_id)
    if found is None:
        raise InvitationError(INVITATION_UNKNOWN, "no such invitation in this ledger", 404)
    if found.used_at is not None:
        raise InvitationError(INVITATION_USED, INVITATION_MESSAGES[INVITATION_USED])
    if found.revoked_at is not None:
        raise InvitationError(INVITATION_REVOKED, INVITATION_MESSAGES[INVITATION_REVOKED])
    at = dt.datetime.now(dt.UTC)
    uow.members.revoke_invitation(found.id, at)
    uow.record(
        Event(
            "invitation.revoked",
            cmd.context_id,
            cmd.actor_id,
            "invitation",
            found.id,
            before={"role": found.role.value, "expires_at": found.expires_at},
            after={"revoked_at": at},
        )
    )


def usable(uow: AbstractUnitOfWork, typed: str, now: dt.datetime) -> Invitation:
    """Return the invitation ``typed`` names if it can be accepted ``now`` (it is locked).

    Raises:
        InvitationError: 404 ``invitation_unknown``; 410 ``invitation_used``, ``invitation_expired``
            or ``invitation_revoked`` (also when its inviter no longer holds a role as strong as
            the one it gives); 409 ``invitation_archived``.
    """
    normalised = normalize_invite_code(typed)
    found = uow.members.invitation_by_code(invite_code_hash(normalised)) if normalised else None
    if found is None:
        raise invitation_unknown()
    problem = None
    if found.used_at is not None:
        problem = INVITATION_USED
    elif found.revoked_at is not None:
        problem = INVITATION_REVOKED
    elif found.expires_at <= now:
        problem = INVITATION_EXPIRED
    else:
        inviter = uow.contexts.role_of(found.context_id, found.created_by) if found.created_by else None
        if inviter is None or RANK[inviter] < RANK[found.role] or RANK[inviter] < RANK[Role.ADMIN]:
            problem = INVITATION_REVOKED
    if problem is not None:
        raise InvitationError(problem, INVITATION_MESSAGES[problem])
    if uow.members.archived_at(found.context_id) is not None:
        raise _archived_error()
    return found


def _join(
    uow: AbstractUnitOfWork,
    invitation: Invitation,
    user_id: uuid.UUID,
    now: dt.datetime,
    *,
    via: str,
    capture_id: uuid.UUID | None = None,
) -> None:
    """Use ``invitation`` up and make ``user_id`` a member with its role (the caller checked
    they are not one and holds ``members:{context_id}``)."""
    uow.members.mark_invitation_used(invitation.id, user_id, now)
    add_member(
        uow, invitation.context_id, user_id, invitation.role, actor=user_id, via=via, capture_id=capture_id
    )
    uow.record(
        Event(
            "invitation.accepted",
            invitation.context_id,
            user_id,
            "invitation",
            invitation.id,
            after={"user_id": user_id, "role": invitation.role.value, "via": via},
            capture_id=capture_id,
        )
    )


def accept_invitation(cmd: AcceptInvitation, uow: AbstractUnitOfWork) -> tuple[uuid.UUID, Role]:
    """Make the signed-in user a member of the invitation's ledger; return ``(context_id, role)``.

    Raises:
        InvitationError: see :func:`usable`; 409 ``already_member`` (nothing changed, the code
            stays good for someone else).
    """
    now = _now(cmd.now)
    found = usable(uow, cmd.code, now)
    uow.lock(f"members:{found.context_id}")
    if uow.contexts.role_of(found.context_id, cmd.actor_id) is not None:
        raise InvitationError("already_member", "you are already a member of this ledger", 409)
    _join(uow, found, cmd.actor_id, now, via="invitation")
    return found.context_id, found.role


# --------------------------------------------------------------------------- chat


def _choice(context: LedgerContext, role: Role, current: bool = True) -> ContextChoice:
    return ContextChoice(
        context_id=context.id, name=context.name, type=context.type.value, role=role.value, current=current
    )


@dataclass
class _InviteOutcome(Outcome):
    """An invitation decided in chat: its code is made here, stored once the capture is claimed."""

    hours: int = DEFAULT_INVITE_HOURS


def _decide_invite(cmd: InviteFromChat, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    actor = scope.role
    assert actor is not None  # the envelope authorised MANAGE_MEMBERS
    wanted = role_named(cmd.role) if cmd.role and cmd.role.strip() else Role.EDITOR
    highest = actor  # the most this sender may give
    if wanted is None:
        return Outcome(ReplyKind.INVITATION_INVALID, problem=INVITATION_ROLE, invite_role=highest)
    try:
        check_grant(actor, wanted)
    except RoleCeilingError:
        return Outcome(ReplyKind.INVITATION_INVALID, problem=INVITATION_ROLE, invite_role=highest)
    if uow.members.archived_at(scope.context.id) is not None:
        return Outcome(ReplyKind.INVITATION_INVALID, problem=INVITATION_ARCHIVED)
    now = dt.datetime.now(dt.UTC)
    return _InviteOutcome(
        ReplyKind.INVITATION_CREATED,
        contexts=[_choice(scope.context, actor)],
        invite_code=new_invite_code(),
        invite_role=wanted,
        invite_expires_at=now + dt.timedelta(hours=DEFAULT_INVITE_HOURS),
    )


def _apply_invite(cmd: InviteFromChat, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    if not isinstance(outcome, _InviteOutcome) or outcome.invite_role is None:
        return
    assert outcome.invite_expires_at is not None
    assert outcome.invite_code is not None
    hours = outcome.hours
    _store(
        uow,
        scope.context.id,
        scope.user_id,
        outcome.invite_role,
        hours,
        outcome.invite_expires_at - dt.timedelta(hours=hours),
        capture_id=cmd.message.capture_id,
        code=outcome.invite_code,
    )


def invite_from_chat(
    cmd: InviteFromChat, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Answer "/convidar [papel]" with a new invitation into the chat's ledger (admins and owners)."""
    return handle_chat(
        cmd, uow, defaults, action=Action.MANAGE_MEMBERS, decide=_decide_invite, apply=_apply_invite
    )


@dataclass
class _JoinOutcome(Outcome):
    """A join decided in chat: the invitation to use (``None``: already a member) and the ledger."""

    invitation: Invitation | None = None
    context_id: uuid.UUID | None = None


def _decide_join(cmd: JoinByCode, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    if cmd.message.chat_type == "group" or scope.chat_type == "group":
        # Everyone in the group would see the code; nothing is looked up or used.
        return Outcome(ReplyKind.INVITATION_INVALID, problem=INVITATION_PRIVATE_ONLY)
    try:
        found = usable(uow, cmd.code, dt.datetime.now(dt.UTC))
    except InvitationError as refused:
        mine = _used_by(uow, cmd.code, scope.user_id) if refused.key == INVITATION_USED else None
        if mine is None:
            return Outcome(ReplyKind.INVITATION_INVALID, problem=refused.key)
        found = mine  # their own code again ("/entrar" twice): this chat switches, nothing is used
    context = uow.contexts.get(found.context_id)
    assert context is not None  # the invitation's ledger exists (foreign key)
    held = uow.contexts.role_of(found.context_id, scope.user_id)
    return _JoinOutcome(
        ReplyKind.JOINED,
        contexts=[_choice(context, held or found.role)],
        invitation=found if held is None else None,
        context_id=found.context_id,
    )


def _used_by(uow: AbstractUnitOfWork, typed: str, user_id: uuid.UUID) -> Invitation | None:
    """The invitation ``typed`` names if ``user_id`` used it and is still a member, else ``None``."""
    normalised = normalize_invite_code(typed)
    found = uow.members.invitation_by_code(invite_code_hash(normalised)) if normalised else None
    if found is None or found.used_by != user_id:
        return None
    return found if uow.contexts.role_of(found.context_id, user_id) is not None else None


def _apply_join(cmd: JoinByCode, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    if not isinstance(outcome, _JoinOutcome) or outcome.context_id is None:
        return
    message, context_id = cmd.message, outcome.context_id
    if outcome.invitation is not None:
        uow.lock(f"members:{context_id}")
        if uow.contexts.role_of(context_id, scope.user_id) is None:
            _join(
                uow,
                outcome.invitation,
                scope.user_id,
                dt.datetime.now(dt.UTC),
                via="chat",
                capture_id=message.capture_id,
            )
    _switch(uow, message, scope, context_id)


def _switch(uow: AbstractUnitOfWork, message: ChatMessage, scope: ChatScope, context_id: uuid.UUID) -> None:
    """Point this private chat's binding at ``context_id`` (``chat.switched``)."""
    if context_id == scope.context.id:
        return
    uow.lock(f"chat:{message.platform}:{message.chat_id}")
    binding = uow.contexts.binding(message.platform, message.chat_id)
    if binding is None or binding.chat_type != "private":
        return
    uow.contexts.rebind(binding.id, context_id)
    uow.record(
        Event(
            "chat.switched",
            context_id,
            scope.user_id,
            "chat_binding",
            binding.id,
            before={"context_id": binding.context.id},
            after={"context_id": context_id, "platform": message.platform, "chat_id": message.chat_id},
            capture_id=message.capture_id,
        )
    )


def join_by_code(cmd: JoinByCode, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Accept the invitation ``cmd.code`` from a private chat, which then records into its ledger."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide_join, apply=_apply_join)


def _decide_personal(cmd: SwitchToPersonal, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    if scope.author_id is None or scope.chat_type == "group" or cmd.message.chat_type == "group":
        return Outcome(ReplyKind.FORBIDDEN, problem=GROUP_LEDGER_FIXED)
    own = uow.contexts.personal_context_of(scope.user_id)
    context = uow.contexts.get(own) if own is not None else None
    if context is None:
        return Outcome(ReplyKind.UNKNOWN_CONTEXT)
    return Outcome(ReplyKind.CONTEXT_SWITCHED, contexts=[_choice(context, Role.OWNER)])


def _apply_personal(
    cmd: SwitchToPersonal, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork
) -> None:
    if outcome.kind is ReplyKind.CONTEXT_SWITCHED:
        _switch(uow, cmd.message, scope, outcome.contexts[0].context_id)


def switch_to_personal(
    cmd: SwitchToPersonal, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Switch a private chat back to the sender's personal ledger ("/pessoal")."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide_personal, apply=_apply_personal)


def _invite_command(message: ChatMessage, understanding: Understanding) -> ChatCommand:
    return InviteFromChat(message, understanding.invite_role)


def _join_command(message: ChatMessage, understanding: Understanding) -> ChatCommand:
    # No code read: answered as an unknown invitation, so the user is told what to send.
    return JoinByCode(message, understanding.invite_code or "")


REGISTRATIONS = (
    Registration(CreateInvitation, create_invitation),
    Registration(RevokeInvitation, revoke_invitation),
    Registration(AcceptInvitation, accept_invitation),
    Registration(InviteFromChat, invite_from_chat, {Intent.INVITE: _invite_command}),
    Registration(JoinByCode, join_by_code, {Intent.JOIN: _join_command}),
    Registration(
        SwitchToPersonal,
        switch_to_personal,
        {Intent.PERSONAL: lambda message, understanding: SwitchToPersonal(message)},
    ),
)
