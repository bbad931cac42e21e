"""Read model: the ledger contexts a user belongs to, with their role in each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, select

from financy.core.adapters import orm
from financy.core.domain.model import ContextType, Role


@dataclass(frozen=True, slots=True)
class ContextView:
    """A context as the API and the dashboard show it.

    ``base_currency`` is ISO 4217, ``time_zone`` an IANA name, ``locale`` a BCP 47 tag
    (``"pt-BR"``); ``role`` is the viewing user's role in it.
    """

    id: uuid.UUID
    name: str
    type: ContextType
    base_currency: str
    time_zone: str
    locale: str
    role: Role
    #: The ledger is archived: listed and readable, it takes no new records.
    archived: bool = False

    @property
    def language(self) -> str:
        """Return the context's two-letter language ("pt" or "en")."""
        return "pt" if self.locale.lower().startswith("pt") else "en"

    def to_json(self) -> dict[str, str | bool]:
        """Return the JSON shape of the API (strings, and ``archived`` a boolean)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "type": self.type.value,
            "base_currency": self.base_currency,
            "time_zone": self.time_zone,
            "locale": self.locale,
            "role": self.role.value,
            "archived": self.archived,
        }


def contexts_of(conn: Connection, user_id: uuid.UUID) -> list[ContextView]:
    """Return the contexts ``user_id`` is a member of, oldest first (the personal one leads)."""
    c, m = orm.contexts, orm.members
    rows = conn.execute(
        select(
            c.c.id,
            c.c.name,
            c.c.type,
            c.c.base_currency,
            c.c.time_zone,
            c.c.locale,
            m.c.role,
            c.c.archived_at,
        )
        .join(m, m.c.context_id == c.c.id)
        .where(m.c.user_id == user_id)
        .order_by(c.c.created_at, c.c.id)
    ).all()
    return [_view(row) for row in rows]


def context_of(conn: Connection, user_id: uuid.UUID, context_id: uuid.UUID) -> ContextView | None:
    """Return context ``context_id`` as ``user_id`` sees it, or ``None`` if they are not a member."""
    c, m = orm.contexts, orm.members
    row = conn.execute(
        select(
            c.c.id,
            c.c.name,
            c.c.type,
            c.c.base_currency,
            c.c.time_zone,
            c.c.locale,
            m.c.role,
            c.c.archived_at,
        )
        .join(m, m.c.context_id == c.c.id)
        .where(m.c.user_id == user_id, c.c.id == context_id)
    ).first()
    return None if row is None else _view(row)


def _view(row: Row[*tuple[Any, ...]]) -> ContextView:
    return ContextView(
        id=row.id,
        name=row.name,
        type=ContextType(row.type),
        base_currency=row.base_currency,
        time_zone=row.time_zone,
        locale=row.locale,
        role=Role(row.role),
        archived=row.archived_at is not None,
    )
