"""Sign-in and the signed-in user: ``POST /api/v1/auth/token``, ``GET /api/v1/me``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from redis.exceptions import RedisError
from sanic import Blueprint
from sanic.exceptions import BadRequest
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.domain.commands import Login, LoginResult
from financy.core.domain.errors import InvalidCredentialsError, InvalidTotpError, TotpRequiredError
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, unauthorized
from financy.core.entrypoints.api.security import client_ip, current_user, issue_token
from financy.core.views.users import UserView, user_profile
from financy.runtime.logging import get_logger

log = get_logger(__name__)

_T = TypeVar("_T")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _login_fields(request: ApiRequest) -> Any:
    """Return the login fields of a form or a JSON body (whatever JSON decodes to)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORMS):
        if content_type.startswith("multipart/") and "boundary=" not in content_type:
            raise ApiError(400, "bad_request", "a multipart form needs a boundary in its Content-Type")
        form = request.get_form()
        fields = ("username", "password", "code")
        return {k: form.get(k) for k in fields if form.get(k) is not None} if form else {}
    try:
        return request.json
    except BadRequest as exc:  # JSON it cannot decode
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc


@openapi.definition(
    summary="Issue a bearer token",
    description="Username and password as JSON or as a form, and `code` when the account has "
    "two-factor sign-in on (the authenticator's 6 digits or a recovery code). Unknown user and wrong "
    "password give the same 401 `invalid_credentials`; a right password without a needed code gives "
    "401 `totp_required`, a wrong or reused code 401 `invalid_code`. Too many failures from one IP "
    "(for one username, or for any) give 429 `too_many_attempts` with `Retry-After` until the "
    "lockout ends by itself.",
    tag="auth",
    body={
        "application/json": schemas.ref(schemas.TokenIn),
        "application/x-www-form-urlencoded": schemas.ref(schemas.TokenIn),
    },
    response=[
        schemas.ok(schemas.TokenOut),
        schemas.error(400, "no username or password (bad_request)"),
        schemas.error(401, "invalid credentials, totp_required or invalid_code"),
        schemas.error(429, "too many failed logins from this IP: wait Retry-After seconds"),
    ],
)
async def token(request: ApiRequest) -> HTTPResponse:
    """Exchange username, password (and a two-factor code) for an HS256 JWT valid
    ``settings.jwt_ttl_s`` seconds that carries the user's session version.

    Answers ``{"access_token", "token_type": "bearer", "expires_in"}`` (and ``recovery_codes_left``
    after a recovery code) with ``Cache-Control: no-store``. Failures are counted per (username,
    client IP) and per client IP (``adapters.login_limits``); the client IP is the socket's peer
    unless that peer is a trusted proxy (``security.client_ip``).

    Raises:
        ApiError: 400 ``bad_request`` (not an object, a field missing, empty or not a string);
            429 ``too_many_attempts`` with ``Retry-After``.
        InvalidCredentialsError: 401, the same for an unknown user and a wrong password.
        TotpRequiredError, InvalidTotpError: 401 ``totp_required``, ``invalid_code``.
    """
    login = schemas.parse_body(schemas.TokenIn, _login_fields(request))
    ctx = request.app.ctx
    metrics = ctx.metrics
    ip = client_ip(request)
    now = ctx.clock()
    limiter = ctx.limiter
    lockout = await _limit(limiter.check, login.username, ip, now.timestamp())
    if lockout is not None:
        metrics.logins.labels("locked").inc()
        log.info("api.login_locked", ip=ip, scope=lockout.scope, retry_after_s=lockout.retry_after_s)
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed logins: try again in {lockout.retry_after_s} seconds",
            headers={"Retry-After": str(lockout.retry_after_s)},
        )

    def check() -> LoginResult:
        result: LoginResult = ctx.bus.handle(Login(login.username, login.password, login.code, now))
        return result

    try:
        result = await asyncio.to_thread(check)
    except (InvalidCredentialsError, InvalidTotpError) as exc:
        metrics.logins.labels(exc.key).inc()
        log.info("api.login_failed", username=login.username[:64], ip=ip, reason=exc.key)
        started = await _limit(limiter.fail, login.username, ip, now.timestamp())
        if started is not None:
            metrics.lockouts.labels(started.scope).inc()
            log.warning("api.login_lockout", ip=ip, scope=started.scope, seconds=started.retry_after_s)
        raise
    except TotpRequiredError:
        metrics.logins.labels("totp_required").inc()
        raise
    await _limit(limiter.succeed, login.username, ip)
    metrics.logins.labels("success").inc()
    ttl = ctx.settings.jwt_ttl_s
    log.info("api.login", user_id=str(result.user_id), recovery_code=result.recovery_code_used)
    body: dict[str, object] = {
        "access_token": issue_token(
            result.user_id, ctx.jwt_key, ttl, now=now, session_version=result.session_version
        ),
        "token_type": "bearer",
        "expires_in": ttl,
    }
    if result.recovery_code_used:
        body["recovery_codes_left"] = result.recovery_codes_left
    return json_response(body, headers={"Cache-Control": "no-store"})


async def _limit(call: Callable[..., _T], *args: object) -> _T | None:
    """Run a limiter call off the loop; with Redis away, log it and let the login through
    (a broken limiter must not lock the owner out)."""
    try:
        return await asyncio.to_thread(call, *args)
    except RedisError as exc:
        log.warning("api.login_limiter_unavailable", error=type(exc).__name__)
        return None


@openapi.definition(
    summary="The signed-in user",
    tag="users",
    secured=schemas.SECURED,
    response=[schemas.ok(schemas.MeOut), *schemas.AUTH_ERRORS],
)
async def me(request: ApiRequest) -> HTTPResponse:
    """Return the user the bearer token names (401 ``invalid_token`` if that user no longer exists)."""
    user_id = current_user(request)
    engine = request.app.ctx.engine

    def load() -> UserView | None:
        with engine.connect() as conn:
            return user_profile(conn, user_id)

    user = await asyncio.to_thread(load)
    if user is None:
        raise unauthorized("invalid_token", "the access token's user does not exist")
    return json_response(user.to_json())


def blueprint() -> Blueprint:
    """Return a new ``auth`` blueprint (one per app)."""
    bp = Blueprint("auth", url_prefix="/api/v1")
    bp.add_route(token, "/auth/token", methods=["POST"], name="token")
    bp.add_route(me, "/me", methods=["GET"], name="me")
    return bp
