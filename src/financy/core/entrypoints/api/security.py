"""Who is calling and what they may do: bearer tokens and the one authorization rule of every route.

A token is an HS256 JWT whose ``sub`` is the user id. :func:`current_user` reads it for routes
that show the caller their own data (``/me``, ``/contexts``); every route under
``/api/v1/contexts/<context_id>`` calls :func:`require` first, which looks up the caller's role
in that context in the read model (for the user the token names, never for anything the client
says) and asks :func:`financy.core.domain.authorization.authorize`. Unknown and foreign contexts
answer alike (403 ``not_a_member``), so ids cannot be probed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

import jwt

from financy.core.domain.authorization import Action, authorize
from financy.core.domain.model import Role
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import unauthorized
from financy.core.views.contexts import ContextView, context_of

JWT_ALGORITHM = "HS256"


def issue_token(user_id: uuid.UUID, key: str, ttl_s: int, *, now: dt.datetime | None = None) -> str:
    """Return an HS256 JWT with ``sub`` = ``user_id``, ``iat`` = now and ``exp`` = now + ``ttl_s``."""
    issued = now or dt.datetime.now(dt.UTC)
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + dt.timedelta(seconds=ttl_s)}
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM)


def current_user(request: ApiRequest) -> uuid.UUID:
    """Return the user id of the request's bearer token.

    Raises:
        ApiError: 401 ``unauthorized`` (no token), ``token_expired`` or ``invalid_token``.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("unauthorized", "a bearer token is required")
    try:
        claims = jwt.decode(
            token,
            request.app.ctx.jwt_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
        return uuid.UUID(str(claims["sub"]))
    except jwt.ExpiredSignatureError as exc:
        raise unauthorized("token_expired", "the access token has expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise unauthorized("invalid_token", "the access token is invalid") from exc


@dataclass(frozen=True, slots=True)
class Member:
    """The authenticated caller and the context they were authorized in (``context.role`` is theirs)."""

    user_id: uuid.UUID
    context: ContextView

    @property
    def role(self) -> Role:
        """Return the caller's role in the context."""
        return self.context.role


async def require(request: ApiRequest, context_id: uuid.UUID, action: Action) -> Member:
    """Return the caller as a member of ``context_id`` allowed to do ``action``; raise otherwise.

    The one check of every context-scoped route: authenticate the bearer token, read the user's
    role in the context (in a worker thread), then :func:`authorize`.

    Raises:
        ApiError: 401 (no, expired or invalid token).
        NotAMemberError: the user has no role in the context, or there is no such context (403).
        ForbiddenError: the role does not allow ``action`` (403 ``forbidden``).
    """
    user_id = current_user(request)
    engine = request.app.ctx.engine

    def load() -> ContextView | None:
        with engine.connect() as conn:
            return context_of(conn, user_id, context_id)

    context = await asyncio.to_thread(load)
    authorize(None if context is None else context.role, action)
    assert context is not None  # authorize raised for a missing role
    return Member(user_id=user_id, context=context)
