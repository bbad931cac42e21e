"""The webhook Meta calls: ``GET /webhooks/whatsapp`` (verification) and ``POST`` (notifications).

``GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C``: 200 with ``C`` as text/plain when
``T`` equals the configured verify token (constant-time); 403 otherwise, and always 403 when no
verify token is configured.

``POST``: the body must carry ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with
the app secret>`` (:mod:`~financy.bots.whatsapp.signature`); a missing, malformed, non-ASCII or
wrong header gets 401 JSON, and with no app secret configured every POST gets 503 (Meta delivers
again later). A verified body is split into units — one per message (update key: its wamid) and
one per status (``status:<wamid>:<status>:<timestamp>``) — each stored with
:meth:`BotState.accept_update` as a small JSON (:func:`split_units`), then 200 at once; the
adapter's ``process`` handles them afterwards, one at a time. A redelivered unit is stored once.
A body that is not JSON gets 400; JSON without entries gets 200 and a log line, and so do changes
for another business number than the configured ``phone_number_id`` (not stored).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import structlog
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, text
from sanic.response import json as json_response

from financy.bots.common.message import BotState
from financy.bots.whatsapp.signature import verify_signature

log = structlog.stdlib.get_logger(__name__)

PLATFORM = "whatsapp"
#: Meta's notification bodies are a few kilobytes; anything far larger is not one.
MAX_BODY_BYTES = 4 * 1024 * 1024
#: A unit's JSON shape version (``process`` reads this).
UNIT_VERSION = 1


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return json_response({"error": {"code": code, "message": message}}, status=status)


def _secret(value: str | None) -> bytes | None:
    return value.strip().encode("utf-8") if value and value.strip() else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _contacts(value: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    out: dict[str, dict[str, str | None]] = {}
    for contact in _list(value.get("contacts")):
        if not isinstance(contact, dict) or not _str(contact.get("wa_id")):
            continue
        profile = contact.get("profile")
        name = _str(profile.get("name")) if isinstance(profile, dict) else None
        out[contact["wa_id"]] = {"wa_id": contact["wa_id"], "name": name}
    return out


def _message_key(message: dict[str, Any]) -> str:
    wamid = _str(message.get("id"))
    if wamid is not None:
        return wamid[:300]
    digest = hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()
    return f"noid:{digest}"


def split_units(
    payload: Any, phone_number_id: str | None = None
) -> tuple[list[tuple[str, bytes]], list[dict[str, Any]]]:
    """Split a notification body (parsed JSON) into ``(update key, unit JSON bytes)`` and notes.

    With ``phone_number_id`` (the configured business number), a change whose
    ``metadata.phone_number_id`` is another number (or missing) gives no unit, only an
    ``other_number`` note: it is acknowledged and logged, never processed.

    A message unit is ``{"v": 1, "kind": "message", "phone_number_id", "display_phone_number",
    "contact": {"wa_id", "name"} | null, "message": <the message object as sent>}``; a status unit
    ``{"v": 1, "kind": "status", "phone_number_id", "status": <the status object>}``. Notes are
    what was not a unit (another field, errors Meta reported, malformed parts), for the log.
    """
    units: list[tuple[str, bytes]] = []
    notes: list[dict[str, Any]] = []
    entries = payload.get("entry") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        notes.append(
            {"note": "no_entries", "object": payload.get("object") if isinstance(payload, dict) else None}
        )
        return units, notes
    for entry in entries:
        for change in _list(entry.get("changes") if isinstance(entry, dict) else None):
            if not isinstance(change, dict):
                continue
            field, value = change.get("field"), change.get("value")
            if field != "messages" or not isinstance(value, dict):
                notes.append({"note": "ignored_field", "field": str(field)[:64]})
                continue
            if value.get("errors"):
                notes.append({"note": "errors", "errors": json.dumps(value["errors"])[:500]})
            metadata: dict[str, Any] = value["metadata"] if isinstance(value.get("metadata"), dict) else {}
            number = _str(metadata.get("phone_number_id"))
            if phone_number_id is not None and number != phone_number_id:
                notes.append(
                    {
                        "note": "other_number",
                        "phone_number_id": (number or "")[:64],
                        "messages": len(_list(value.get("messages"))),
                        "statuses": len(_list(value.get("statuses"))),
                    }
                )
                continue
            display = _str(metadata.get("display_phone_number"))
            contacts = _contacts(value)
            for message in _list(value.get("messages")):
                if not isinstance(message, dict):
                    notes.append({"note": "malformed_message"})
                    continue
                sender = _str(message.get("from"))
                contact = contacts.get(sender or "") or (
                    next(iter(contacts.values())) if len(contacts) == 1 else None
                )
                unit = {
                    "v": UNIT_VERSION,
                    "kind": "message",
                    "phone_number_id": number,
                    "display_phone_number": display,
                    "contact": contact,
                    "message": message,
                }
                units.append((_message_key(message), json.dumps(unit).encode()))
            for status in _list(value.get("statuses")):
                if not isinstance(status, dict) or not _str(status.get("id")):
                    notes.append({"note": "malformed_status"})
                    continue
                key = f"status:{status['id']}:{status.get('status')}:{status.get('timestamp')}"
                unit = {
                    "v": UNIT_VERSION,
                    "kind": "status",
                    "phone_number_id": number,
                    "status": status,
                }
                units.append((key[:400], json.dumps(unit).encode()))
    if not units and not notes:
        notes.append({"note": "empty"})
    return units, notes


def whatsapp_blueprint(
    state: BotState,
    *,
    app_secret: str | None,
    verify_token: str | None,
    wake: Callable[[], None] | None = None,
    phone_number_id: str | None = None,
) -> Blueprint:
    """Return the ``/webhooks/whatsapp`` routes storing verified notifications in ``state``.

    ``phone_number_id``: the configured business number; changes for any other number are
    acknowledged and logged, not stored (``None``: every number's are stored).

    ``wake`` is called after new units were stored (the edge's update drain looks at once).
    """
    bp = Blueprint("whatsapp", url_prefix="/webhooks/whatsapp")
    secret = _secret(app_secret)
    verify = _secret(verify_token)

    @bp.get("/")
    async def verification(request: Request) -> HTTPResponse:
        mode = request.args.get("hub.mode")
        given = request.args.get("hub.verify_token")
        challenge = request.args.get("hub.challenge")
        if verify is None:
            log.error("whatsapp.verify_not_configured")
            return _error(
                403, "not_configured", "no verify token is configured (FINANCY_WHATSAPP__VERIFY_TOKEN)"
            )
        if (
            mode != "subscribe"
            or not isinstance(given, str)
            or not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), verify)
        ):
            log.warning("whatsapp.verify_refused", mode=mode)
            return _error(403, "forbidden", "wrong hub.mode or hub.verify_token")
        if not challenge:
            return _error(400, "malformed_request", "hub.challenge is missing")
        log.info("whatsapp.verified")
        return text(challenge, content_type="text/plain; charset=utf-8")

    @bp.post("/")
    async def notification(request: Request) -> HTTPResponse:
        if secret is None:
            log.error("whatsapp.app_secret_not_configured")
            return _error(503, "not_configured", "no app secret is configured (FINANCY_WHATSAPP__APP_SECRET)")
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
        header = request.headers.get("x-hub-signature-256")
        if not verify_signature(body, header, secret):
            log.warning("whatsapp.signature_refused", present=header is not None, size=len(body))
            return _error(401, "unauthorized", "missing or invalid X-Hub-Signature-256")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _error(400, "malformed_json", "the body is not JSON")
        try:
            units, notes = split_units(payload, phone_number_id)
        except Exception:  # a shape nobody foresaw: logged, and never a 500 to Meta
            log.exception("whatsapp.webhook_unreadable", size=len(body))
            return json_response({"received": 0, "new": 0})
        for note in notes:
            log.info("whatsapp.webhook_note", **note)
        new = 0
        try:
            for key, unit in units:
                new += state.accept_update(PLATFORM, key, unit)
        except Exception:
            # Not kept: Meta delivers the body again later, and what was stored is deduplicated.
            log.exception("whatsapp.update_not_stored")
            return _error(503, "unavailable", "could not store the update; deliver again")
        if new and wake is not None:
            wake()
        log.debug("whatsapp.webhook", units=len(units), new=new)
        return json_response({"received": len(units), "new": new})

    return bp
