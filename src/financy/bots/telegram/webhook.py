"""``POST /webhooks/telegram``: Telegram's webhook, verified, stored, answered at once.

The ``X-Telegram-Bot-Api-Secret-Token`` header must equal the configured secret (compared in
constant time over bytes): missing, empty, wrong or non-ASCII -> 401. With no secret configured
the route refuses every request (503): an unauthenticated webhook would let anyone write into
the ledgers. A verified body must be a JSON object with an integer ``update_id`` (else 400, over
:data:`MAX_BODY_BYTES` 413); it is stored raw with
:meth:`~financy.bots.common.message.BotState.accept_update` (a redelivered ``update_id`` is
stored once) and answered 200 before anything is parsed or fetched; if it cannot be stored the
answer is 503, and Telegram delivers it again.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable

import structlog
from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from financy.bots.common.message import BotState

log = structlog.stdlib.get_logger(__name__)

#: Largest update body accepted (Telegram's updates are a few KB; files come by getFile).
MAX_BODY_BYTES = 1024 * 1024
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return json_response({"error": {"code": code, "message": message}}, status=status)


def update_key(body: bytes) -> str | None:
    """Return the ``update_id`` of a webhook body as a string, or ``None`` if it is not an update."""
    try:
        update = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(update, dict):
        return None
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    return str(update_id)


def secret_refusal(request: Request, secret: bytes | None) -> HTTPResponse | None:
    """Return the error for a request without the right secret header, or ``None`` to serve it."""
    if secret is None:
        return _error(
            503,
            "not_configured",
            "the Telegram webhook is disabled: set FINANCY_TELEGRAM__WEBHOOK_SECRET",
        )
    given = request.headers.get(SECRET_HEADER, "")
    if not given:
        return _error(401, "unauthorized", "the X-Telegram-Bot-Api-Secret-Token header is missing")
    try:
        given_bytes = given.encode("ascii")
    except UnicodeEncodeError:
        return _error(401, "unauthorized", "the secret token is wrong")
    if not hmac.compare_digest(given_bytes, secret):
        return _error(401, "unauthorized", "the secret token is wrong")
    return None


def telegram_blueprint(
    state: BotState, *, secret: str | None, on_update: Callable[[], None] | None = None
) -> Blueprint:
    """Return the webhook route storing verified updates in ``state`` (``on_update``: called per new one).

    ``secret``: the webhook secret (``None`` or blank: the route answers 503 to everything).
    """
    bp = Blueprint("telegram", url_prefix="/webhooks")
    key = secret.strip().encode("utf-8") if secret and secret.strip() else None

    @bp.post("/telegram")
    async def webhook(request: Request) -> HTTPResponse:
        refused = secret_refusal(request, key)
        if refused is not None:
            if refused.status == 401:
                log.warning("telegram.webhook_unauthorized", peer=request.remote_addr or request.ip)
            return refused
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
        update_id = update_key(body)
        if update_id is None:
            return _error(400, "malformed_update", "the body must be a JSON object with an integer update_id")
        try:
            stored = state.accept_update("telegram", update_id, body)
        except Exception:  # the edge's disk: Telegram delivers again after a non-2xx answer
            log.exception("telegram.update_not_stored", update_id=update_id)
            return _error(503, "unavailable", "the update could not be stored; deliver it again")
        if stored and on_update is not None:
            on_update()
        if not stored:
            log.info("telegram.update_redelivered", update_id=update_id)
        return json_response({"ok": True})

    return bp
