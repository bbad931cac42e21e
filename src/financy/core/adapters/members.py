"""Shared ledgers in PostgreSQL: a ledger's settings, its members' roles, its invitations."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, case, delete, exists, func, insert, select, tuple_, update

from financy.core.adapters import orm
from financy.core.domain.model import Role
from financy.core.service.unit_of_work import Invitation, MemberRow, MembersRepository

_INV = orm.invitations
_MEMBERS = orm.members
_CONTEXT_FIELDS = frozenset({"name", "time_zone", "locale", "base_currency"})
_RANK = case(
    {Role.OWNER.value: 0, Role.ADMIN.value: 1, Role.EDITOR.value: 2, Role.VIEWER.value: 3},
    value=_MEMBERS.c.role,
    else_=4,
)


def _invitation(row: Row[Any]) -> Invitation:
    return Invitation(
        id=row.id,
        context_id=row.context_id,
        role=Role(row.role),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by=row.used_by,
        revoked_at=row.revoked_at,
    )


class SqlMembers(MembersRepository):
    """See :class:`MembersRepository` (tables ``members``, ``contexts``, ``invitations``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def members(self, context_id: uuid.UUID) -> list[MemberRow]:
        """See :meth:`MembersRepository.members`."""
        u = orm.users
        rows = self.conn.execute(
            select(_MEMBERS.c.user_id, _MEMBERS.c.role, _MEMBERS.c.joined_at, u.c.display_name, u.c.username)
            .join(u, u.c.id == _MEMBERS.c.user_id)
            .where(_MEMBERS.c.context_id == context_id)
            .order_by(_RANK, _MEMBERS.c.joined_at, _MEMBERS.c.user_id)
        ).all()
        return [MemberRow(r.user_id, Role(r.role), r.display_name, r.username, r.joined_at) for r in rows]

    def owners(self, context_id: uuid.UUID) -> int:
        """See :meth:`MembersRepository.owners`."""
        count = self.conn.execute(
            select(func.count())
            .select_from(_MEMBERS)
            .where(_MEMBERS.c.context_id == context_id, _MEMBERS.c.role == Role.OWNER.value)
        ).scalar_one()
        return int(count)

    def set_role(self, context_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> None:
        """See :meth:`MembersRepository.set_role`."""
        self.conn.execute(
            update(_MEMBERS)
            .where(_MEMBERS.c.context_id == context_id, _MEMBERS.c.user_id == user_id)
            .values(role=role.value)
        )

    def remove(self, context_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """See :meth:`MembersRepository.remove`."""
        self.conn.execute(
            delete(_MEMBERS).where(_MEMBERS.c.context_id == context_id, _MEMBERS.c.user_id == user_id)
        )

    def rebind_private_chats(self, context_id: uuid.UUID, user_id: uuid.UUID, to_context: uuid.UUID) -> int:
        """See :meth:`MembersRepository.rebind_private_chats` (a private chat's id is its person's)."""
        b, ci = orm.chat_bindings, orm.channel_identities
        own = select(ci.c.platform, ci.c.platform_user_id).where(ci.c.user_id == user_id)
        result = self.conn.execute(
            update(b)
            .where(
                b.c.context_id == context_id,
                b.c.chat_type == "private",
                tuple_(b.c.platform, b.c.chat_id).in_(own),
            )
            .values(context_id=to_context)
        )
        return int(result.rowcount or 0)

    def update_context(self, context_id: uuid.UUID, changes: Mapping[str, str]) -> None:
        """See :meth:`MembersRepository.update_context`.

        Raises:
            ValueError: a key other than ``name``, ``time_zone``, ``locale`` or ``base_currency``.
        """
        unknown = set(changes) - _CONTEXT_FIELDS
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        if changes:
            self.conn.execute(update(orm.contexts).where(orm.contexts.c.id == context_id).values(**changes))

    def archived_at(self, context_id: uuid.UUID) -> dt.datetime | None:
        """See :meth:`MembersRepository.archived_at`."""
        found: dt.datetime | None = self.conn.execute(
            select(orm.contexts.c.archived_at).where(orm.contexts.c.id == context_id)
        ).scalar()
        return found

    def set_archived(self, context_id: uuid.UUID, at: dt.datetime | None) -> None:
        """See :meth:`MembersRepository.set_archived`."""
        self.conn.execute(update(orm.contexts).where(orm.contexts.c.id == context_id).values(archived_at=at))

    def has_transactions(self, context_id: uuid.UUID) -> bool:
        """See :meth:`MembersRepository.has_transactions`."""
        tx = orm.transactions
        return bool(self.conn.execute(select(exists().where(tx.c.context_id == context_id))).scalar())

    def add_invitation(self, invitation: Invitation, code_hash: str) -> None:
        """See :meth:`MembersRepository.add_invitation`."""
        self.conn.execute(
            insert(_INV).values(
                id=invitation.id,
                context_id=invitation.context_id,
                code_hash=code_hash,
                role=invitation.role.value,
                created_by=invitation.created_by,
                created_at=invitation.created_at,
                expires_at=invitation.expires_at,
            )
        )

    def invitation_by_code(self, code_hash: str) -> Invitation | None:
        """See :meth:`MembersRepository.invitation_by_code` (``SELECT .. FOR UPDATE``)."""
        row = self.conn.execute(select(_INV).where(_INV.c.code_hash == code_hash).with_for_update()).first()
        return None if row is None else _invitation(row)

    def invitation(self, context_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation | None:
        """See :meth:`MembersRepository.invitation` (``SELECT .. FOR UPDATE``)."""
        row = self.conn.execute(
            select(_INV).where(_INV.c.id == invitation_id, _INV.c.context_id == context_id).with_for_update()
        ).first()
        return None if row is None else _invitation(row)

    def pending_invitations(self, context_id: uuid.UUID, now: dt.datetime) -> list[Invitation]:
        """See :meth:`MembersRepository.pending_invitations`."""
        rows = self.conn.execute(
            select(_INV)
            .where(
                _INV.c.context_id == context_id,
                _INV.c.used_at.is_(None),
                _INV.c.revoked_at.is_(None),
                _INV.c.expires_at > now,
            )
            .order_by(_INV.c.created_at.desc(), _INV.c.id.desc())
        ).all()
        return [_invitation(r) for r in rows]

    def mark_invitation_used(self, invitation_id: uuid.UUID, user_id: uuid.UUID, at: dt.datetime) -> None:
        """See :meth:`MembersRepository.mark_invitation_used`."""
        self.conn.execute(update(_INV).where(_INV.c.id == invitation_id).values(used_at=at, used_by=user_id))

    def revoke_invitation(self, invitation_id: uuid.UUID, at: dt.datetime) -> None:
        """See :meth:`MembersRepository.revoke_invitation`."""
        self.conn.execute(update(_INV).where(_INV.c.id == invitation_id).values(revoked_at=at))
