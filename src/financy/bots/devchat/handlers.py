"""Dev chat HTTP endpoints on the edge: talk to Financy as a chat user would, without a platform.

``POST /devchat/messages``  body ``{"text", "user_id", "chat_id"?, "message_id"?, "name"?, "language"?, "wait"?,
  "media"?: {"data": base64, "content_type"?, "filename"?}, "transaction_id"?, "chat_type"?}`` (a voice
  note or photo; ``text`` is then its caption and may be null; ``transaction_id``: the transaction
  of the button pressed; ``chat_type``: "private" (default) or "group", a chat whose ledger is shared)
  -> 200 ``{"idempotency_key", "accepted", "reply": {"seq", "text", "kind"}}`` once the core answered,
  or 202 with ``"reply": null`` if it did not within ``wait`` seconds (the message is kept and
  the reply shows up in ``GET /devchat/replies`` later); ``"notice"`` is the edge's own answer while
  the core is unreachable ("Recebido — registro quando a conexão voltar."). 400 for a malformed
  request; 503 ``{"error": {"code": "outbox_full"}}`` with ``Retry-After`` while the edge's outbox is
  full (nothing was kept: send again later).
``GET /devchat/replies?chat_id=&after=0&wait=0`` -> ``{"replies": [...]}`` (long-poll up to 30 s).
A reply is ``{"seq", "text", "kind", "buttons": [{"label", "action", "value"}]}`` (``/replies`` adds
``chat_id`` and ``in_reply_to``); a button's ``value`` is the message to send when it is pressed.

Who may call: without a token (``FINANCY_EDGE__DEVCHAT_TOKEN`` unset) only this machine: a
caller whose socket peer address is not loopback (127.0.0.0/8, ::1) gets 403 (forwarding headers
are never trusted). With a token every caller must send ``Authorization: Bearer <token>``
(compared in constant time): 401 when it is missing or wrong.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hmac
import ipaddress
import json
import uuid
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from financy.bots.common.message import InboundMessage, Intake, MediaPayload
from financy.bots.devchat import strings
from financy.bots.devchat.client import DevchatHub

MAX_WAIT_S = 30.0
MAX_BODY_BYTES = 256 * 1024
#: A body with a file: 25 MiB of media in base64 (4/3) plus the rest.
MAX_MEDIA_BODY_BYTES = 36 * 1024 * 1024


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return json_response({"error": {"code": code, "message": message}}, status=status)


def _id(value: Any, field: str, *, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 128
        or not value.isprintable()
        or not value.strip()
    ):
        raise ValueError(f"{field} must be a printable string of 1 to 128 characters, not only spaces")
    return value


def _wait(value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool):
        raise ValueError("wait must be a number of seconds")
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError("wait must be a number of seconds") from exc
    if not 0 <= seconds <= MAX_WAIT_S:
        raise ValueError(f"wait must be between 0 and {MAX_WAIT_S:g} seconds")
    return seconds


def _media(value: Any) -> MediaPayload | None:
    """Return the ``media`` object of a request body as bytes (``None`` when absent).

    Raises:
        ValueError: not an object with base64 ``data`` (and optional string ``content_type``/``filename``).
    """
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("data"), str):
        raise ValueError("media must be an object with base64 data")
    try:
        data = base64.b64decode(value["data"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("media.data is not base64") from exc
    content_type, filename = value.get("content_type"), value.get("filename")
    if content_type is not None and not isinstance(content_type, str):
        raise ValueError("media.content_type must be a string")
    if filename is not None and not isinstance(filename, str):
        raise ValueError("media.filename must be a string")
    return MediaPayload(
        data=data,
        content_type=content_type[:100] if content_type else None,
        filename=filename[:200] if filename else None,
    )


def is_loopback(address: str | None) -> bool:
    """Return whether ``address`` (a socket peer's IP) is loopback: 127.0.0.0/8, ::1 or IPv4-mapped 127.x."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def refusal(request: Request, token: bytes | None) -> HTTPResponse | None:
    """Return the error for a caller the dev chat does not serve, or ``None`` to serve it.

    Without ``token`` only loopback peers (the socket's address, never X-Forwarded-For) are
    served (403 otherwise); with one, every caller must send it as a Bearer token (401 otherwise).
    """
    if token is None:
        peer = request.conn_info.client_ip if request.conn_info is not None else None
        return None if is_loopback(peer) else _error(403, "forbidden", strings.NOT_LOOPBACK)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        response = _error(401, "unauthorized", strings.TOKEN_MISSING)
    elif hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), token):
        return None
    else:
        response = _error(401, "unauthorized", strings.TOKEN_WRONG)
    response.headers["WWW-Authenticate"] = 'Bearer realm="devchat"'
    return response


def devchat_blueprint(intake: Intake, hub: DevchatHub, *, token: str | None = None) -> Blueprint:
    """Return the dev chat routes bound to the edge's ``intake`` and the reply ``hub``.

    ``token``: the dev chat's Bearer token (surrounding spaces ignored); ``None`` or blank serves
    loopback callers only.
    """
    bp = Blueprint("devchat", url_prefix="/devchat")
    secret = token.strip().encode("utf-8") if token and token.strip() else None

    @bp.on_request
    async def guard(request: Request) -> HTTPResponse | None:
        return refusal(request, secret)

    @bp.post("/messages")
    async def post_message(request: Request) -> HTTPResponse:
        if len(request.body) > MAX_MEDIA_BODY_BYTES or (
            len(request.body) > MAX_BODY_BYTES and b'"media"' not in request.body
        ):
            limit = MAX_MEDIA_BODY_BYTES if len(request.body) > MAX_MEDIA_BODY_BYTES else MAX_BODY_BYTES
            return _error(413, "too_large", f"body over {limit} bytes")
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _error(400, "malformed_json", "the body is not JSON (or nests too deeply)")
        if not isinstance(body, dict):
            return _error(400, "malformed_request", "the body must be a JSON object")
        try:
            media = _media(body.get("media"))
        except ValueError as exc:
            return _error(400, "malformed_request", str(exc))
        if media is None and len(request.body) > MAX_BODY_BYTES:
            return _error(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
        text = body.get("text")
        if not isinstance(text, str) and not (media is not None and text is None):
            return _error(400, "malformed_request", "text must be a string (or null with media)")
        try:
            user_id = _id(body.get("user_id"), "user_id")
            chat_id = _id(body.get("chat_id"), "chat_id", default=user_id)
            message_id = _id(body.get("message_id"), "message_id", default=uuid.uuid4().hex)
            wait = _wait(body.get("wait"), 10.0)
        except ValueError as exc:
            return _error(400, "malformed_request", str(exc))
        target = body.get("transaction_id")
        chat_type = body.get("chat_type", "private")
        if chat_type not in ("private", "group"):
            return _error(400, "malformed_request", 'chat_type must be "private" or "group"')
        try:
            target_transaction = uuid.UUID(target) if isinstance(target, str) else None
        except ValueError:
            target_transaction = None
        if target is not None and target_transaction is None:
            return _error(400, "malformed_request", "transaction_id must be a UUID")
        name = body.get("name")
        language = body.get("language")
        inbound = InboundMessage(
            platform="devchat",
            chat_id=chat_id,
            message_id=message_id,
            sender_id=user_id,
            received_at=dt.datetime.now(dt.UTC),
            text=text,
            sender_name=name[:200] if isinstance(name, str) and name else None,
            sender_language=language[:16] if isinstance(language, str) and language else None,
            media_type="other" if media is not None else "text",
            media=media,
            chat_type="group" if chat_type == "group" else "private",
            target_transaction=target_transaction,
        )
        waiter = hub.expect(chat_id, message_id)
        result = await intake(inbound)
        payload: dict[str, Any] = {"idempotency_key": result.idempotency_key, "accepted": result.accepted}
        if result.notice is not None:
            payload["notice"] = result.notice
        if result.unavailable:
            hub.forget(chat_id, message_id)
            return _error(503, "unavailable", strings.UNAVAILABLE)
        if not result.accepted:
            hub.forget(chat_id, message_id)
            if result.conflict:
                return _error(
                    409, "message_id_reused", strings.MESSAGE_ID_REUSED.format(message_id=message_id)
                )
            payload["reply"] = None
            payload["duplicate"] = True
            return json_response(payload, status=200)
        try:
            reply = await asyncio.wait_for(asyncio.shield(waiter), timeout=wait)
        except TimeoutError:
            payload["reply"] = None
            return json_response(payload, status=202)
        finally:
            hub.forget(chat_id, message_id)
        payload["reply"] = {
            "seq": reply.seq,
            "text": reply.text,
            "kind": reply.kind,
            "buttons": [b.as_json() for b in reply.buttons],
        }
        return json_response(payload)

    @bp.get("/replies")
    async def get_replies(request: Request) -> HTTPResponse:
        try:
            chat_id = _id(request.args.get("chat_id"), "chat_id")
            wait = _wait(request.args.get("wait"), 0.0)
        except ValueError as exc:
            return _error(400, "malformed_request", str(exc))
        try:
            after = int(request.args.get("after", "0"))
        except ValueError:
            return _error(400, "malformed_request", "after must be a whole number (a reply's seq)")
        replies = await hub.wait_for_replies(chat_id, after, wait)
        return json_response({"replies": [r.as_json() for r in replies]})

    return bp
