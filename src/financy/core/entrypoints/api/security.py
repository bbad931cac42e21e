"""Who is calling and what they may do: bearer credentials and the one authorization rule of every route.

Two kinds of bearer credential name a user:

* a **sign-in token** (``POST /api/v1/auth/token``): an HS256 JWT whose ``sub`` is the user id and
  ``sv`` the user's session version when it was issued; once the password changes or is reset the
  version moves on and older tokens are refused (401 ``session_ended``);
* a **personal API token** (``fny_...``, ``POST /api/v1/me/tokens``): looked up by its sha256; a
  revoked or expired one is refused at once (401 ``token_revoked`` / ``token_expired``). Its
  scopes cap what the user's role allows (:func:`financy.core.domain.accounts.scope_allows`).

:func:`authenticate` (a request middleware) resolves the credential once per request, off the
event loop. :func:`current_user` reads it for routes that show the caller their own data
(``/me``, ``/contexts``); every route under ``/api/v1/contexts/<context_id>`` calls
:func:`require` first, which checks the credential's scopes, looks up the caller's role in that
context in the read model (for the user the credential names, never for anything the client
says) and asks :func:`financy.core.domain.authorization.authorize`. Unknown and foreign contexts
answer alike (403 ``not_a_member``), so ids cannot be probed. Account security routes take
:func:`session_user` (a sign-in token only: an API token cannot mint tokens or turn off
two-factor), instance-admin routes :func:`require_instance_admin`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import uuid
from dataclasses import dataclass

import jwt

from financy.core.domain.accounts import Scope, is_api_token, scope_allows, sha256_hex
from financy.core.domain.authorization import Action, authorize
from financy.core.domain.model import Role
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, unauthorized
from financy.core.views.accounts import TokenOwner, api_token_owner, session_version_of
from financy.core.views.contexts import ContextView, context_of
from financy.core.views.users import user_profile

JWT_ALGORITHM = "HS256"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TOKEN_MESSAGES = {
    "invalid_token": "the access token is invalid",
    "token_expired": "the access token has expired",
    "token_revoked": "the API token was revoked",
}


def issue_token(
    user_id: uuid.UUID, key: str, ttl_s: int, *, now: dt.datetime | None = None, session_version: int = 0
) -> str:
    """Return an HS256 JWT with ``sub`` = ``user_id``, ``sv`` = ``session_version``, ``iat`` = now
    and ``exp`` = now + ``ttl_s``."""
    issued = now or dt.datetime.now(dt.UTC)
    claims = {
        "sub": str(user_id),
        "sv": session_version,
        "iat": issued,
        "exp": issued + dt.timedelta(seconds=ttl_s),
    }
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM)


@dataclass(frozen=True, slots=True)
class Principal:
    """The user a request's credential names; ``scopes`` is ``None`` for a sign-in token (the role
    alone decides) and the API token's scopes otherwise (``token_id`` is then its id)."""

    user_id: uuid.UUID
    scopes: frozenset[Scope] | None = None
    token_id: uuid.UUID | None = None


def client_ip(request: ApiRequest) -> str:
    """Return the client's IP address: the socket's peer, or, when that peer is one of
    ``settings.trusted_proxies``, the right-most ``X-Forwarded-For`` address that is not a trusted
    proxy itself (what the nearest untrusted hop told our proxy). ``"unknown"`` without a peer."""
    peer = request.ip or ""
    trusted = request.app.ctx.trusted_proxies
    if not trusted or not _in(peer, trusted):
        return peer or "unknown"
    hops = [h.strip() for h in ",".join(request.headers.getall("x-forwarded-for", [])).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _in(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a forged or broken header: count the proxy's own address
    return peer


def _in(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _bearer(request: ApiRequest) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def authenticate(request: ApiRequest) -> None:
    """Request middleware: resolve the bearer credential of an ``/api/`` request into
    ``request.ctx.principal`` (or the 401 it earns into ``request.ctx.auth_error``), off the event
    loop. Requests without a credential are left for the route to refuse."""
    request.ctx.principal = None
    request.ctx.auth_error = None
    token = _bearer(request)
    if token is None or not request.path.startswith("/api/"):
        return
    ctx = request.app.ctx
    if is_api_token(token):
        now = ctx.clock()
        found = await asyncio.to_thread(api_token_owner, ctx.engine, sha256_hex(token), now)
        if isinstance(found, TokenOwner):
            scopes = frozenset(Scope(s) for s in found.scopes if s in Scope._value2member_map_)
            request.ctx.principal = Principal(found.user_id, scopes, found.token_id)
        else:
            request.ctx.auth_error = unauthorized(found, _TOKEN_MESSAGES[found])
        return
    try:
        # Expiry is checked against the app's clock (the one sign-in used), not PyJWT's own.
        claims = jwt.decode(
            token,
            ctx.jwt_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub"], "verify_exp": False, "verify_iat": False},
        )
        user_id = uuid.UUID(str(claims["sub"]))
        version = int(claims.get("sv", 0))
        expires = float(claims["exp"])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        request.ctx.auth_error = unauthorized("invalid_token", "the access token is invalid")
        return
    if expires <= ctx.clock().timestamp():
        request.ctx.auth_error = unauthorized("token_expired", "the access token has expired")
        return

    def stored() -> int | None:
        with ctx.engine.connect() as conn:
            return session_version_of(conn, user_id)

    current = await asyncio.to_thread(stored)
    if current is None:
        request.ctx.auth_error = unauthorized("invalid_token", "the access token's user does not exist")
    elif current != version:
        request.ctx.auth_error = unauthorized(
            "session_ended", "this session ended (the password was changed or reset): sign in again"
        )
    else:
        request.ctx.principal = Principal(user_id)


def principal(request: ApiRequest) -> Principal:
    """Return who the request's credential names (resolved by :func:`authenticate`).

    Raises:
        ApiError: 401 ``unauthorized`` (no credential), ``token_expired``, ``token_revoked``,
            ``session_ended`` or ``invalid_token``.
    """
    found: Principal | None = getattr(request.ctx, "principal", None)
    if found is not None:
        return found
    error: ApiError | None = getattr(request.ctx, "auth_error", None)
    if error is not None:
        raise error
    raise unauthorized("unauthorized", "a bearer token is required")


def check_scope(who: Principal, action: Action) -> None:
    """Refuse ``action`` when ``who`` is an API token whose scopes do not allow it.

    Raises:
        ApiError: 403 ``insufficient_scope``.
    """
    if not scope_allows(who.scopes, action):
        held = ", ".join(sorted(s.value for s in who.scopes or ())) or "none"
        raise ApiError(
            403,
            "insufficient_scope",
            f"this API token's scopes ({held}) do not allow {action.value.replace('_', ' ')}",
        )


def current_user(request: ApiRequest, action: Action | None = None) -> uuid.UUID:
    """Return the user id of the request's bearer credential, allowed to attempt ``action``.

    ``action`` defaults by method: ``READ`` for GET, HEAD and OPTIONS, ``EDIT`` for others (so a
    read-only API token cannot change anything, even outside a context).

    Raises:
        ApiError: 401 (see :func:`principal`); 403 ``insufficient_scope``.
    """
    who = principal(request)
    check_scope(who, action or (Action.READ if request.method in _SAFE_METHODS else Action.EDIT))
    return who.user_id


def session_user(request: ApiRequest) -> uuid.UUID:
    """Return the user of a sign-in token (account security: two-factor, API tokens, password).

    Raises:
        ApiError: 401 (see :func:`principal`); 403 ``session_required`` for an API token.
    """
    who = principal(request)
    if who.scopes is not None:
        raise ApiError(
            403,
            "session_required",
            "sign in with your password for this: an API token cannot manage two-factor, tokens or passwords",
        )
    return who.user_id


async def require_instance_admin(request: ApiRequest) -> uuid.UUID:
    """Return the caller if they are an instance admin (``users.is_admin``) with a sign-in token or an
    ``admin``-scoped API token.

    Raises:
        ApiError: 401 (see :func:`principal`); 403 ``insufficient_scope``; 403 ``forbidden``.
    """
    who = principal(request)
    if who.scopes is not None and Scope.ADMIN not in who.scopes:
        raise ApiError(403, "insufficient_scope", "only an API token with the admin scope may do this")
    engine = request.app.ctx.engine

    def load() -> bool:
        with engine.connect() as conn:
            user = user_profile(conn, who.user_id)
        return user is not None and user.is_admin

    if not await asyncio.to_thread(load):
        raise ApiError(403, "forbidden", "only an instance admin may do this")
    return who.user_id


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

    The one check of every context-scoped route: authenticate the bearer credential, check an API
    token's scopes, read the user's role in the context (in a worker thread), then :func:`authorize`.

    Raises:
        ApiError: 401 (no, expired, revoked or invalid credential); 403 ``insufficient_scope``.
        NotAMemberError: the user has no role in the context, or there is no such context (403).
        ForbiddenError: the role does not allow ``action`` (403 ``forbidden``).
    """
    # A request that changes something (leaving a ledger needs only read access) is never within
    # a read-only token's scope.
    changes = request.method not in _SAFE_METHODS and action is Action.READ
    user_id = current_user(request, Action.RECORD if changes else action)
    engine = request.app.ctx.engine

    def load() -> ContextView | None:
        with engine.connect() as conn:
            return context_of(conn, user_id, context_id)

    context = await asyncio.to_thread(load)
    authorize(None if context is None else context.role, action)
    assert context is not None  # authorize raised for a missing role
    return Member(user_id=user_id, context=context)
