"""Account security routes: two-factor sign-in, personal API tokens, password change and reset.

* ``GET /api/v1/me/totp`` (state), ``POST /api/v1/me/totp`` (start a set-up: secret, otpauth URI,
  QR code), ``POST /api/v1/me/totp/confirm`` {code} (on; 10 recovery codes, shown once),
  ``DELETE /api/v1/me/totp`` {password, code} (off).
* ``GET``/``POST /api/v1/me/tokens``, ``DELETE /api/v1/me/tokens/<id>``: personal API tokens.
* ``POST /api/v1/me/password`` {current, new}: change it; other sessions end and the answer
  carries a fresh sign-in token.
* ``POST /api/v1/users`` (instance admins): a login user for a family member, with a personal ledger.
* ``POST /api/v1/users/<id>/password-reset`` (instance admins): a one-time reset token;
  ``POST /api/v1/password-reset`` {token, new} (no sign-in: the token is the credential).

The ``/me`` routes act on the signed-in user only and take a sign-in token
(:func:`~.security.session_user`: an API token cannot manage credentials); the admin route takes
:func:`~.security.require_instance_admin`. Secrets in answers come with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

import segno
from sanic import Blueprint
from sanic.exceptions import BadRequest
from sanic.response import HTTPResponse
from sanic.response import empty as empty_response
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.domain.accounts import PasswordPolicyError, check_password_policy
from financy.core.domain.commands import (
    ChangePassword,
    ConfirmTotp,
    CreateApiToken,
    CreateUser,
    DisableTotp,
    IssuedApiToken,
    IssuedPasswordReset,
    IssuePasswordReset,
    RedeemPasswordReset,
    RevokeApiToken,
    StartTotp,
    TotpSetup,
)
from financy.core.entrypoints.api import account_schemas as s
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, unauthorized
from financy.core.entrypoints.api.security import issue_token, require_instance_admin, session_user
from financy.core.views.accounts import TwoFactorView, api_tokens_of, two_factor_of
from financy.runtime.logging import get_logger

log = get_logger(__name__)

_NO_STORE = {"Cache-Control": "no-store"}
_SESSION_ERRORS = [
    *schemas.AUTH_ERRORS,
    schemas.error(
        403, "an API token cannot manage credentials: sign in with the password (session_required)"
    ),
]


def _body(request: ApiRequest) -> Any:
    try:
        return request.json
    except BadRequest as exc:
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc


def qr_svg(data: str) -> str:
    """Return ``data`` as a QR code (error correction M), a standalone SVG document (UTF-8 text)."""
    out = io.BytesIO()
    segno.make_qr(data, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


async def _handle(request: ApiRequest, command: Any) -> Any:
    bus = request.app.ctx.bus
    return await asyncio.to_thread(bus.handle, command)


# --------------------------------------------------------------------------- two-factor


@openapi.definition(
    summary="Two-factor sign-in state",
    tag="account",
    secured=schemas.SECURED,
    response=[schemas.ok(s.TwoFactorOut), *_SESSION_ERRORS],
)
async def totp_state(request: ApiRequest) -> HTTPResponse:
    """Return ``{"enabled", "enabled_at", "pending", "recovery_codes_left"}`` of the caller."""
    user_id = session_user(request)
    engine = request.app.ctx.engine

    def load() -> TwoFactorView | None:
        with engine.connect() as conn:
            return two_factor_of(conn, user_id)

    found = await asyncio.to_thread(load)
    if found is None:
        raise unauthorized("invalid_token", "the access token's user does not exist")
    return json_response(found.to_json())


@openapi.definition(
    summary="Start setting up two-factor sign-in",
    description="A new TOTP secret, its otpauth:// URI and a QR code to scan into an authenticator "
    "app. Nothing changes at sign-in until POST /api/v1/me/totp/confirm with the app's first code.",
    tag="account",
    secured=schemas.SECURED,
    response=[
        schemas.ok(s.TotpSetupOut, "Created", status=201),
        *_SESSION_ERRORS,
        schemas.error(409, "two-factor is already on (totp_already_enabled)"),
    ],
)
async def totp_start(request: ApiRequest) -> HTTPResponse:
    """Answer 201 ``{"secret", "otpauth_uri", "qr_svg"}`` (``no-store``)."""
    user_id = session_user(request)
    setup: TotpSetup = await _handle(request, StartTotp(user_id, request.app.ctx.clock()))
    log.info("api.totp_setup_started", user_id=str(user_id))
    return json_response(
        {"secret": setup.secret, "otpauth_uri": setup.uri, "qr_svg": qr_svg(setup.uri)},
        status=201,
        headers=_NO_STORE,
    )


@openapi.definition(
    summary="Turn two-factor sign-in on",
    description="With the first code the authenticator app shows. Answers 10 recovery codes, each "
    "good for one sign-in without the phone; they are shown only here.",
    tag="account",
    secured=schemas.SECURED,
    body={"application/json": schemas.ref(s.TotpConfirmIn)},
    response=[
        schemas.ok(s.RecoveryCodesOut),
        schemas.error(400, "no code (bad_request)"),
        schemas.error(401, "no or bad token, or a wrong code (invalid_code)"),
        _SESSION_ERRORS[1],
        schemas.error(409, "already on (totp_already_enabled), or no set-up started (totp_not_started)"),
    ],
)
async def totp_confirm(request: ApiRequest) -> HTTPResponse:
    """Answer ``{"recovery_codes": [10 codes]}`` (``no-store``)."""
    user_id = session_user(request)
    body = schemas.parse_body(s.TotpConfirmIn, _body(request))
    codes: list[str] = await _handle(request, ConfirmTotp(user_id, body.code, request.app.ctx.clock()))
    log.info("api.totp_enabled", user_id=str(user_id))
    return json_response({"recovery_codes": codes}, headers=_NO_STORE)


@openapi.definition(
    summary="Turn two-factor sign-in off",
    description="The password and a current code (or a recovery code) confirm it; the recovery "
    "codes are deleted.",
    tag="account",
    secured=schemas.SECURED,
    body={"application/json": schemas.ref(s.TotpDisableIn)},
    response=[
        {"status": 204, "description": "Two-factor is off"},
        schemas.error(400, "no password or code (bad_request)"),
        schemas.error(401, "no or bad token, or a wrong code (invalid_code)"),
        schemas.error(403, "wrong password (wrong_password), or an API token (session_required)"),
        schemas.error(409, "two-factor is not on (totp_not_enabled)"),
    ],
)
async def totp_disable(request: ApiRequest) -> HTTPResponse:
    """Answer 204 once two-factor is off."""
    user_id = session_user(request)
    body = schemas.parse_body(s.TotpDisableIn, _body(request))
    await _handle(request, DisableTotp(user_id, body.password, body.code, request.app.ctx.clock()))
    log.info("api.totp_disabled", user_id=str(user_id))
    return empty_response()


# --------------------------------------------------------------------------- API tokens


@openapi.definition(
    summary="The caller's personal API tokens",
    description="Names, prefixes, scopes, expiry and last use; never the secrets.",
    tag="account",
    secured=schemas.SECURED,
    response=[schemas.ok(s.ApiTokensOut), *_SESSION_ERRORS],
)
async def list_tokens(request: ApiRequest) -> HTTPResponse:
    """Answer ``{"items": [token, ...]}``, newest first."""
    user_id = session_user(request)
    ctx = request.app.ctx
    now = ctx.clock()

    def load() -> list[dict[str, object]]:
        with ctx.engine.connect() as conn:
            return [t.to_json(now) for t in api_tokens_of(conn, user_id)]

    return json_response({"items": await asyncio.to_thread(load)})


@openapi.definition(
    summary="Create a personal API token",
    description="The token authenticates as you on every API route (`Authorization: Bearer fny_...`), "
    "capped by its scopes: read (reading only), write (also recording and editing), admin "
    "(everything your role allows). It is shown only in this answer.",
    tag="account",
    secured=schemas.SECURED,
    body={"application/json": schemas.ref(s.ApiTokenIn)},
    response=[
        schemas.ok(s.ApiTokenCreatedOut, "Created", status=201),
        schemas.error(400, "a bad name, scope or lifetime (bad_request)"),
        *_SESSION_ERRORS,
    ],
)
async def create_token(request: ApiRequest) -> HTTPResponse:
    """Answer 201 with the new token and its secret (``no-store``)."""
    user_id = session_user(request)
    body = schemas.parse_body(s.ApiTokenIn, _body(request))
    issued: IssuedApiToken = await _handle(
        request,
        CreateApiToken(user_id, body.name, tuple(body.scopes), body.expires_in_days, request.app.ctx.clock()),
    )
    log.info(
        "api.api_token_created", user_id=str(user_id), token_id=str(issued.id), scopes=list(issued.scopes)
    )
    return json_response(
        {
            "id": str(issued.id),
            "name": issued.name,
            "token": issued.token,
            "prefix": issued.prefix,
            "scopes": list(issued.scopes),
            "created_at": issued.created_at.isoformat(),
            "expires_at": None if issued.expires_at is None else issued.expires_at.isoformat(),
        },
        status=201,
        headers=_NO_STORE,
    )


@openapi.definition(
    summary="Revoke a personal API token",
    description="At once: the next request with it gets 401 token_revoked.",
    tag="account",
    secured=schemas.SECURED,
    parameter=schemas.path_parameters(token_id="the token's id"),  # noqa: S106  # an id, not a secret
    response=[
        {"status": 204, "description": "Revoked"},
        *_SESSION_ERRORS,
        schemas.error(404, "you have no token with this id"),
    ],
)
async def revoke_token(request: ApiRequest, token_id: uuid.UUID) -> HTTPResponse:
    """Answer 204 once the token is revoked."""
    user_id = session_user(request)
    await _handle(request, RevokeApiToken(user_id, token_id, request.app.ctx.clock()))
    log.info("api.api_token_revoked", user_id=str(user_id), token_id=str(token_id))
    return empty_response()


# --------------------------------------------------------------------------- passwords


@openapi.definition(
    summary="Change your password",
    description="Checks the current password; the new one needs 10 characters or more and may not "
    "be the username. Every other session ends; the answer is a fresh sign-in token for this one.",
    tag="account",
    secured=schemas.SECURED,
    body={"application/json": schemas.ref(s.PasswordChangeIn)},
    response=[
        schemas.ok(schemas.TokenOut),
        schemas.error(400, "the new password breaks the policy (weak_password), or a field is missing"),
        *schemas.AUTH_ERRORS,
        schemas.error(
            403, "the current password is wrong (wrong_password), or an API token (session_required)"
        ),
    ],
)
async def change_password(request: ApiRequest) -> HTTPResponse:
    """Answer ``{"access_token", "token_type", "expires_in"}`` under the new session version."""
    user_id = session_user(request)
    body = schemas.parse_body(s.PasswordChangeIn, _body(request))
    ctx = request.app.ctx
    now = ctx.clock()
    version: int = await _handle(request, ChangePassword(user_id, body.current, body.new, now))
    log.info("api.password_changed", user_id=str(user_id))
    ttl = ctx.settings.jwt_ttl_s
    return json_response(
        {
            "access_token": issue_token(user_id, ctx.jwt_key, ttl, now=now, session_version=version),
            "token_type": "bearer",
            "expires_in": ttl,
        },
        headers=_NO_STORE,
    )


@openapi.definition(
    summary="Create a login user (instance admins)",
    description="A family member's account: they sign in with it, make a link code for their chat "
    "(POST /api/v1/me/link-codes) and accept invitations. They get a personal ledger of their own.",
    tag="account",
    secured=schemas.SECURED,
    body={"application/json": schemas.ref(s.NewUserIn)},
    response=[
        schemas.ok(s.NewUserOut, "Created", status=201),
        schemas.error(400, "a weak password, a bad username, time zone or currency, or a taken username"),
        *schemas.AUTH_ERRORS,
        schemas.error(403, "not an instance admin (forbidden), or a token without the admin scope"),
    ],
)
async def create_user(request: ApiRequest) -> HTTPResponse:
    """Answer 201 ``{"id", "username"}``."""
    admin_id = await require_instance_admin(request)
    body = schemas.parse_body(s.NewUserIn, _body(request))
    try:
        check_password_policy(body.password, body.username)
    except PasswordPolicyError as exc:
        raise ApiError(400, "weak_password", str(exc)) from exc
    command = CreateUser(
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        locale=body.locale,
        time_zone=body.time_zone,
        base_currency=body.base_currency,
    )
    user_id: uuid.UUID = await _handle(request, command)
    username = command.username.strip().lower()
    log.info("api.user_created", admin_id=str(admin_id), user_id=str(user_id))
    return json_response({"id": str(user_id), "username": username}, status=201)


@openapi.definition(
    summary="Issue a password reset token for a user (instance admins)",
    description="A one-time token, valid FINANCY_PASSWORD_RESET_TTL_S (24 h by default), that the "
    "user redeems at POST /api/v1/password-reset. An earlier unused one stops working.",
    tag="account",
    secured=schemas.SECURED,
    parameter=schemas.path_parameters(user_id="the user whose password is reset"),
    response=[
        schemas.ok(s.PasswordResetIssuedOut, "Created", status=201),
        *schemas.AUTH_ERRORS,
        schemas.error(403, "not an instance admin (forbidden), or a token without the admin scope"),
        schemas.error(404, "no login user has this id"),
    ],
)
async def issue_reset(request: ApiRequest, user_id: uuid.UUID) -> HTTPResponse:
    """Answer 201 ``{"user_id", "token", "expires_at"}`` (``no-store``)."""
    admin_id = await require_instance_admin(request)
    ctx = request.app.ctx
    issued: IssuedPasswordReset = await _handle(
        request, IssuePasswordReset(admin_id, user_id, ctx.settings.password_reset_ttl_s, ctx.clock())
    )
    log.info("api.password_reset_issued", admin_id=str(admin_id), user_id=str(user_id))
    return json_response(
        {"user_id": str(user_id), "token": issued.token, "expires_at": issued.expires_at.isoformat()},
        status=201,
        headers=_NO_STORE,
    )


@openapi.definition(
    summary="Set a new password with a reset token",
    description="No sign-in: the reset token is the credential (used once, expires). Every session "
    "and API token of the user ends; two-factor stays on if it was.",
    tag="auth",
    body={"application/json": schemas.ref(s.PasswordResetIn)},
    response=[
        {"status": 204, "description": "The password is set"},
        schemas.error(400, "unknown, used or expired token (invalid_reset_token), or a weak password"),
    ],
)
async def redeem_reset(request: ApiRequest) -> HTTPResponse:
    """Answer 204 once the new password is set."""
    body = schemas.parse_body(s.PasswordResetIn, _body(request))
    user_id: uuid.UUID = await _handle(
        request, RedeemPasswordReset(body.token, body.new, request.app.ctx.clock())
    )
    log.info("api.password_reset", user_id=str(user_id))
    return empty_response()


def blueprint() -> Blueprint:
    """Return a new ``account`` blueprint (one per app)."""
    bp = Blueprint("account", url_prefix="/api/v1")
    bp.add_route(totp_state, "/me/totp", methods=["GET"], name="totp_state")
    bp.add_route(totp_start, "/me/totp", methods=["POST"], name="totp_start")
    bp.add_route(totp_disable, "/me/totp", methods=["DELETE"], name="totp_disable")
    bp.add_route(totp_confirm, "/me/totp/confirm", methods=["POST"], name="totp_confirm")
    bp.add_route(list_tokens, "/me/tokens", methods=["GET"], name="tokens_list")
    bp.add_route(create_token, "/me/tokens", methods=["POST"], name="tokens_create")
    bp.add_route(revoke_token, "/me/tokens/<token_id:uuid>", methods=["DELETE"], name="tokens_revoke")
    bp.add_route(change_password, "/me/password", methods=["POST"], name="password_change")
    bp.add_route(create_user, "/users", methods=["POST"], name="users_create")
    bp.add_route(
        issue_reset, "/users/<user_id:uuid>/password-reset", methods=["POST"], name="password_reset_issue"
    )
    bp.add_route(redeem_reset, "/password-reset", methods=["POST"], name="password_reset_redeem")
    return bp
