"""Linking a chat to the signed-in user: ``POST /api/v1/me/link-codes``.

The answer carries the one-time code (shown once; only its sha256 is stored), when it expires
(``FINANCY_LINK_CODE_TTL_S``, 15 minutes by default), the ``t.me`` deep link when
``FINANCY_TELEGRAM__BOT_USERNAME`` is set, and what to send the bot. "/start CODE" on Telegram or
the code alone on WhatsApp then links that chat identity to this user (``service.handlers.links``).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.domain.commands import IssuedLinkCode, IssueLinkCode
from financy.core.domain.links import normalize_code
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import unauthorized
from financy.core.entrypoints.api.security import current_user
from financy.core.views.users import UserView, user_profile
from financy.runtime.logging import get_logger

log = get_logger(__name__)


def instructions(code: str, minutes: int, locale: str) -> str:
    """Return what to send the bot with ``code``, in ``locale``'s language (Portuguese or English)."""
    if locale.lower().startswith("pt"):
        return (
            f"No Telegram, envie /start {code} ao bot; no WhatsApp, envie {code}. Depois toque em "
            f"“🔗 Vincular” para confirmar. O código vale por {minutes} minutos e só uma vez."
        )
    return (
        f"On Telegram, send /start {code} to the bot; on WhatsApp, send {code}. Then tap “🔗 Link” "
        f"to confirm. The code works once, for {minutes} minutes."
    )


@openapi.definition(
    summary="Issue a code that links a chat to the signed-in user",
    description='A one-time code: sending it to the bot ("/start CODE" on Telegram, the code alone '
    "on WhatsApp) and confirming the account the bot names makes that chat account this user's, so "
    "chats and dashboard see the same ledgers. It expires, works once and is shown only in this answer.",
    tag="users",
    secured=schemas.SECURED,
    response=[schemas.ok(schemas.LinkCodeOut, "Created", status=201), *schemas.AUTH_ERRORS],
)
async def create_link_code(request: ApiRequest) -> HTTPResponse:
    """Answer 201 ``{"code", "expires_at", "telegram_url", "instructions"}`` with ``Cache-Control: no-store``.

    Raises:
        ApiError: 401 (no, expired or invalid token, or the token's user no longer exists).
    """
    user_id = current_user(request)
    ctx = request.app.ctx
    settings = ctx.settings

    def issue() -> tuple[UserView, IssuedLinkCode] | None:
        with ctx.engine.connect() as conn:
            user = user_profile(conn, user_id)
        if user is None:
            return None
        issued: IssuedLinkCode = ctx.bus.handle(IssueLinkCode(user_id, settings.link_code_ttl_s))
        return user, issued

    found = await asyncio.to_thread(issue)
    if found is None:
        raise unauthorized("invalid_token", "the access token's user does not exist")
    user, issued = found
    bot = settings.telegram.bot_username
    bare = normalize_code(issued.code)
    log.info("api.link_code_issued", user_id=str(user_id), expires_at=issued.expires_at.isoformat())
    return json_response(
        {
            "code": issued.code,
            "expires_at": issued.expires_at.astimezone(dt.UTC).isoformat(),
            "telegram_url": f"https://t.me/{bot}?start={bare}" if bot else None,
            "instructions": instructions(issued.code, max(1, settings.link_code_ttl_s // 60), user.locale),
        },
        status=201,
        headers={"Cache-Control": "no-store"},
    )


def blueprint() -> Blueprint:
    """Return a new ``links`` blueprint (one per app)."""
    bp = Blueprint("links", url_prefix="/api/v1/me")
    bp.add_route(create_link_code, "/link-codes", methods=["POST"], name="create")
    return bp
