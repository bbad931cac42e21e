"""Commands of shared ledgers: create and change a ledger, its members and its invitations.

API commands carry ``actor_id``, the signed-in user the route authenticated; their handlers
look the actor's role up again in the same unit of work as the change (the route's check is
the first of two). Chat commands (:class:`InviteFromChat`, :class:`JoinByCode`,
:class:`SwitchToPersonal`) come from what a user sent the bot.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from financy.core.domain.commands import ChatCommand, Command
from financy.core.domain.model import ContextType, Role


@dataclass(frozen=True, slots=True)
class CreateContext(Command):
    """Create a ledger owned by ``actor_id``; the handler returns its id.

    ``base_currency`` ISO 4217, ``time_zone`` IANA, ``locale`` "pt-BR" or "en"."""

    actor_id: uuid.UUID
    name: str
    type: ContextType
    base_currency: str
    time_zone: str
    locale: str


@dataclass(frozen=True, slots=True)
class UpdateContext(Command):
    """Rename a ledger or change its time zone, locale or base currency (``None``: unchanged)."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    name: str | None = None
    time_zone: str | None = None
    locale: str | None = None
    base_currency: str | None = None


@dataclass(frozen=True, slots=True)
class ArchiveContext(Command):
    """Archive (``archived=True``) or unarchive a ledger."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    archived: bool = True


@dataclass(frozen=True, slots=True)
class ChangeRole(Command):
    """Give member ``user_id`` of the ledger the role ``role``."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    user_id: uuid.UUID
    role: Role


@dataclass(frozen=True, slots=True)
class RemoveMember(Command):
    """Remove member ``user_id`` from the ledger (their private chats bound to it go back to
    their personal ledger)."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class LeaveContext(Command):
    """``actor_id`` leaves the ledger."""

    actor_id: uuid.UUID
    context_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CreateInvitation(Command):
    """Invite someone into the ledger as ``role``, valid ``expires_in_hours`` hours from ``now``
    (aware; the handler's clock when ``None``). The handler returns an :class:`IssuedInvitation`."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    role: Role
    expires_in_hours: int
    now: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    """An invitation as shown once to its inviter: the code (``"K7QM2-XPD9A"``), its id, role and
    when it stops working (aware, UTC)."""

    id: uuid.UUID
    code: str
    role: Role
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RevokeInvitation(Command):
    """Revoke a pending invitation of the ledger."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    invitation_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class AcceptInvitation(Command):
    """Signed-in user ``actor_id`` accepts the invitation ``code`` (as typed); the handler returns
    ``(context_id, role)``."""

    actor_id: uuid.UUID
    code: str
    now: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class InviteFromChat(ChatCommand):
    """ "/convidar [papel]", "/invite [role]": an invitation into the chat's ledger; ``role`` as
    typed (``None``: editor)."""

    role: str | None = None


@dataclass(frozen=True, slots=True)
class JoinByCode(ChatCommand):
    """ "/entrar CODE", "/join CODE", Telegram "/start CODE": accept an invitation in a private
    chat, which then records into the ledger joined."""

    code: str


@dataclass(frozen=True, slots=True)
class SwitchToPersonal(ChatCommand):
    """ "/pessoal", "/personal": this private chat records into the sender's personal ledger again."""
