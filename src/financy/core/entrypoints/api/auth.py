"""Sign-in and the signed-in user: ``POST /api/v1/auth/token``, ``GET /api/v1/me``."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sanic import Blueprint
from sanic.exceptions import BadRequest
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.domain.commands import Authenticate
from financy.core.domain.errors import InvalidCredentialsError
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, unauthorized
from financy.core.entrypoints.api.security import current_user, issue_token
from financy.core.views.users import UserView, user_profile
from financy.runtime.logging import get_logger

log = get_logger(__name__)

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _login_fields(request: ApiRequest) -> Any:
    """Return the login fields of a form or a JSON body (whatever JSON decodes to)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORMS):
        if content_type.startswith("multipart/") and "boundary=" not in content_type:
            raise ApiError(400, "bad_request", "a multipart form needs a boundary in its Content-Type")
        form = request.get_form()
        return {k: form.get(k) for k in ("username", "password") if form.get(k) is not None} if form else {}
    try:
        return request.json
    except BadRequest as exc:  # JSON it cannot decode
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc


@openapi.definition(
    summary="Issue a bearer token",
    description="Username and password as JSON or as a form. Unknown user and wrong password "
    "give the same 401.",
    tag="auth",
    body={
        "application/json": schemas.ref(schemas.TokenIn),
        "application/x-www-form-urlencoded": schemas.ref(schemas.TokenIn),
    },
    response=[
        schemas.ok(schemas.TokenOut),
        schemas.error(400, "no username or password (bad_request)"),
        schemas.error(401, "invalid credentials"),
    ],
)
async def token(request: ApiRequest) -> HTTPResponse:
    """Exchange username and password for an HS256 JWT valid ``settings.jwt_ttl_s`` seconds.

    Answers ``{"access_token", "token_type": "bearer", "expires_in"}`` with ``Cache-Control: no-store``.

    Raises:
        ApiError: 400 ``bad_request`` (not an object, a field missing, empty or not a string).
        InvalidCredentialsError: 401, the same for an unknown user and a wrong password.
    """
    login = schemas.parse_body(schemas.TokenIn, _login_fields(request))
    ctx = request.app.ctx

    def check() -> uuid.UUID:
        user_id: uuid.UUID = ctx.bus.handle(Authenticate(login.username, login.password))
        return user_id

    try:
        user_id = await asyncio.to_thread(check)
    except InvalidCredentialsError:
        log.info("api.login_failed", username=login.username[:64], ip=request.remote_addr or request.ip)
        raise
    ttl = ctx.settings.jwt_ttl_s
    log.info("api.login", user_id=str(user_id))
    return json_response(
        {"access_token": issue_token(user_id, ctx.jwt_key, ttl), "token_type": "bearer", "expires_in": ttl},
        headers={"Cache-Control": "no-store"},
    )


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
