"""Read models of account security: who a bearer credential names, a user's API tokens and 2FA state.

:func:`api_token_owner` is on the path of every request that carries a personal API token: one
indexed look-up by the token's sha256, and at most one small update a minute to keep
``last_used_at``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, Engine, func, or_, select, update

from financy.core.adapters import orm

#: ``last_used_at`` is written at most this often per token.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """A live API token: whose it is and the scopes it carries."""

    token_id: uuid.UUID
    user_id: uuid.UUID
    scopes: tuple[str, ...]


#: Why a presented API token does not authenticate.
TokenRefusal = Literal["invalid_token", "token_expired", "token_revoked"]


def api_token_owner(engine: Engine, token_hash: str, now: dt.datetime) -> TokenOwner | TokenRefusal:
    """Return the owner of the API token whose sha256 is ``token_hash`` at ``now`` (aware), or why
    it is refused: unknown (``invalid_token``), past ``expires_at`` (``token_expired``) or revoked
    (``token_revoked``). Refreshes ``last_used_at`` when it is a minute or more old."""
    t = orm.api_tokens
    with engine.begin() as conn:
        row = conn.execute(
            select(t.c.id, t.c.user_id, t.c.scopes, t.c.expires_at, t.c.revoked_at, t.c.last_used_at).where(
                t.c.token_hash == token_hash
            )
        ).first()
        if row is None:
            return "invalid_token"
        if row.revoked_at is not None:
            return "token_revoked"
        if row.expires_at is not None and row.expires_at <= now:
            return "token_expired"
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            conn.execute(
                update(t)
                .where(
                    t.c.id == row.id,
                    or_(t.c.last_used_at.is_(None), t.c.last_used_at < now - LAST_USED_RESOLUTION),
                )
                .values(last_used_at=now)
            )
        return TokenOwner(row.id, row.user_id, tuple(str(s) for s in row.scopes))


def session_version_of(conn: Connection, user_id: uuid.UUID) -> int | None:
    """Return the user's session version (tokens of another version are refused), or ``None``."""
    found = conn.execute(select(orm.users.c.session_version).where(orm.users.c.id == user_id)).scalar()
    return None if found is None else int(found)


@dataclass(frozen=True, slots=True)
class ApiTokenView:
    """A personal API token as listed (never its secret)."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def to_json(self, now: dt.datetime) -> dict[str, object]:
        """Return the API's JSON shape; ``active`` is false once revoked or expired at ``now``."""

        def iso(at: dt.datetime | None) -> str | None:
            return None if at is None else at.astimezone(dt.UTC).isoformat()

        expired = self.expires_at is not None and self.expires_at <= now
        return {
            "id": str(self.id),
            "name": self.name,
            "prefix": self.prefix,
            "scopes": list(self.scopes),
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at),
            "active": self.revoked_at is None and not expired,
        }


def api_tokens_of(conn: Connection, user_id: uuid.UUID) -> list[ApiTokenView]:
    """Return the user's API tokens, newest first (revoked ones too)."""
    t = orm.api_tokens
    rows = conn.execute(
        select(
            t.c.id,
            t.c.name,
            t.c.prefix,
            t.c.scopes,
            t.c.created_at,
            t.c.expires_at,
            t.c.last_used_at,
            t.c.revoked_at,
        )
        .where(t.c.user_id == user_id)
        .order_by(t.c.created_at.desc(), t.c.id.desc())
    ).all()
    return [
        ApiTokenView(
            r.id,
            r.name,
            r.prefix,
            tuple(str(s) for s in r.scopes),
            r.created_at,
            r.expires_at,
            r.last_used_at,
            r.revoked_at,
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class TwoFactorView:
    """Whether two-factor sign-in is on (since when), a set-up is pending, and recovery codes left."""

    enabled: bool
    enabled_at: dt.datetime | None
    pending: bool
    recovery_codes_left: int

    def to_json(self) -> dict[str, object]:
        """Return the API's JSON shape."""
        return {
            "enabled": self.enabled,
            "enabled_at": None if self.enabled_at is None else self.enabled_at.astimezone(dt.UTC).isoformat(),
            "pending": self.pending,
            "recovery_codes_left": self.recovery_codes_left,
        }


def two_factor_of(conn: Connection, user_id: uuid.UUID) -> TwoFactorView | None:
    """Return the user's two-factor state, or ``None`` when there is no such user."""
    u, rc = orm.users, orm.recovery_codes
    row = conn.execute(
        select(u.c.totp_secret, u.c.totp_pending_secret, u.c.totp_enabled_at).where(u.c.id == user_id)
    ).first()
    if row is None:
        return None
    left = conn.execute(
        select(func.count()).where(rc.c.user_id == user_id, rc.c.used_at.is_(None))
    ).scalar_one()
    return TwoFactorView(
        enabled=row.totp_secret is not None,
        enabled_at=row.totp_enabled_at,
        pending=row.totp_pending_secret is not None,
        recovery_codes_left=int(left),
    )
