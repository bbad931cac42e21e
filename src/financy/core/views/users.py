"""Read model: a login user's own profile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, select

from financy.core.adapters import orm


@dataclass(frozen=True, slots=True)
class UserView:
    """Who is signed in: ``username`` is ``None`` for chat-only users (no login)."""

    id: uuid.UUID
    username: str | None
    display_name: str | None
    locale: str
    is_admin: bool

    def to_json(self) -> dict[str, object]:
        """Return the JSON shape of the API."""
        return {
            "id": str(self.id),
            "username": self.username,
            "display_name": self.display_name,
            "locale": self.locale,
            "is_admin": self.is_admin,
        }


def user_profile(conn: Connection, user_id: uuid.UUID) -> UserView | None:
    """Return user ``user_id``, or ``None`` if there is no such user (e.g. deleted)."""
    u = orm.users
    row = conn.execute(
        select(u.c.id, u.c.username, u.c.display_name, u.c.locale, u.c.is_admin).where(u.c.id == user_id)
    ).first()
    if row is None:
        return None
    return UserView(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        locale=row.locale,
        is_admin=row.is_admin,
    )
