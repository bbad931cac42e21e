"""Turn one stored webhook unit (:func:`~financy.bots.whatsapp.webhook.split_units`) into an inbound message.

Messages, by ``type``:

* ``text`` -> its body; ``interactive`` (``button_reply``, ``list_reply``) and ``button`` (a
  template's quick reply) -> the message our button id carries ("/desfazer", "muda pra saúde")
  and the transaction it acts on (:func:`~financy.bots.whatsapp.messages.parse_button_id`); an id
  that is not ours reads as the button's title;
* ``audio`` (voice notes too), ``image``, ``video`` (heard by its sound track) and ``document``
  (images, PDFs and bank statement files: .ofx, .qfx, .csv, .qif, .xml) -> the file, fetched with
  the token: ``GET /{media_id}`` gives its URL and size, the size is checked against the edge's
  limit **before** the download, then the URL is fetched; a larger file, or one Meta no longer
  serves, is kept as a capture the core answers ("too large", "send it again") without its bytes;
* ``edit`` -> the new text, amending the original message's capture;
* ``unsupported``, ``location``, ``contacts``, an ``interactive`` Meta could not read, a document
  of another type -> kept as a capture with ``problem="not_text"`` (the user is asked to type it);
* ``reaction``, ``sticker``, ``revoke`` (a deleted message), ``system`` and unknown kinds -> logged,
  no capture (none of them is a financial message).

Every user message notes the chat's last inbound time (reopening the 24-hour window, which
releases the replies held for it). A message quoting one of the bot's (``context.id``) acts on
the transaction that message showed. Statuses: ``sent``/``delivered``/``read`` are logged; a
``failed`` one is logged with its error code and its reply is retried, held or given up
(:meth:`~financy.bots.whatsapp.sender.WhatsAppSender.delivery_failed`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import structlog

from financy.bots.common.message import BotState, InboundMessage, Intake, MediaPayload, MediaType
from financy.bots.whatsapp.graph import GraphClient, MediaError, MediaTooLargeError
from financy.bots.whatsapp.messages import parse_button_id
from financy.bots.whatsapp.sender import PLATFORM, WhatsAppSender
from financy.core.contracts.v1 import is_statement_file

log = structlog.stdlib.get_logger(__name__)

#: Message kinds that are acknowledged and logged, never a capture.
IGNORED = frozenset({"reaction", "sticker", "revoke", "system", "request_welcome", "ephemeral"})
#: Message kinds kept as a capture the core answers with "I can't read this kind of message".
NOT_READ = frozenset({"unsupported", "location", "contacts", "order"})
#: Media kinds: the message key holding the media object, and the capture's media type.
MEDIA: dict[str, MediaType] = {"audio": "voice", "video": "voice", "image": "photo", "document": "document"}
#: Problems handed to the core (reply problem keys the renderer knows).
NOT_TEXT, FILE_TOO_LARGE, MEDIA_MISSING = "not_text", "file_too_large", "media_missing"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def message_time(message: dict[str, Any], now: dt.datetime | None = None) -> dt.datetime:
    """Return when the user sent ``message`` (its Unix ``timestamp``, UTC), else ``now``."""
    raw = message.get("timestamp")
    try:
        return dt.datetime.fromtimestamp(int(str(raw)), dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return now or dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class _Content:
    """What a message says: its text, media type, file, problem and the transaction it acts on."""

    text: str | None
    media_type: MediaType = "text"
    media: MediaPayload | None = None
    problem: str | None = None
    target: uuid.UUID | None = None
    amends: str | None = None


class WhatsAppInbound:
    """``process`` for the WhatsApp adapter: one stored unit at a time (see the module)."""

    def __init__(
        self,
        intake: Intake,
        state: BotState,
        graph: GraphClient,
        sender: WhatsAppSender,
        *,
        max_media_bytes: int = 25 * 1024 * 1024,
    ) -> None:
        self.intake = intake
        self.state = state
        self.graph = graph
        self.sender = sender
        self.max_media_bytes = max_media_bytes

    async def process(self, body: bytes) -> None:
        """Handle one unit (raises to be tried again later: the Graph API or the edge is away)."""
        try:
            unit = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            log.error("whatsapp.unit_unreadable", size=len(body))
            return
        if not isinstance(unit, dict):
            log.error("whatsapp.unit_unreadable", size=len(body))
            return
        if unit.get("kind") == "status":
            self._status(_dict(unit.get("status")))
        elif unit.get("kind") == "message":
            await self._message(unit)
        else:
            log.warning("whatsapp.unit_unknown", kind=str(unit.get("kind"))[:32])

    def _status(self, status: dict[str, Any]) -> None:
        message_id = _str(status.get("id")) or "?"
        what = _str(status.get("status")) or "?"
        if what != "failed":
            log.info(
                "whatsapp.status", message_id=message_id, status=what, recipient=status.get("recipient_id")
            )
            return
        errors = [e for e in status.get("errors") or () if isinstance(e, dict)]
        first = errors[0] if errors else {}
        code = first.get("code") if isinstance(first.get("code"), int) else None
        details = _dict(first.get("error_data")).get("details")
        error = " ".join(str(p) for p in (code, first.get("title"), details) if p)[:300] or "failed"
        self.sender.delivery_failed(message_id, code, error)

    async def _message(self, unit: dict[str, Any]) -> None:
        message = _dict(unit.get("message"))
        contact = _dict(unit.get("contact"))
        kind = _str(message.get("type")) or "?"
        wa_id = _str(message.get("from")) or _str(contact.get("wa_id"))
        message_id = _str(message.get("id"))
        if wa_id is None or message_id is None:
            log.warning("whatsapp.message_without_sender", type=kind, message_id=message_id)
            return
        sent_at = message_time(message)
        self.state.touch_chat(PLATFORM, wa_id, sent_at)
        if kind in IGNORED or kind not in (*MEDIA, *NOT_READ, "text", "interactive", "button", "edit"):
            self._log_ignored(kind, message, wa_id, message_id)
            return
        content = await self._content(kind, message, wa_id)
        target = content.target or self._quoted_target(message, wa_id)
        inbound = InboundMessage(
            platform=PLATFORM,
            chat_id=wa_id,
            message_id=message_id,
            sender_id=wa_id,
            received_at=sent_at,
            text=content.text,
            media_type=content.media_type,
            sender_name=_str(contact.get("name")),
            media=content.media,
            target_transaction=target,
            amends=content.amends,
            problem=content.problem,
        )
        result = await self.intake(inbound)
        if result.unavailable:
            raise RuntimeError("the edge could not keep the file now")
        log.info(
            "whatsapp.message",
            type=kind,
            message_id=message_id,
            accepted=result.accepted,
            problem=content.problem,
            target=str(target) if target else None,
        )

    def _log_ignored(self, kind: str, message: dict[str, Any], wa_id: str, message_id: str) -> None:
        detail = _dict(message.get(kind))
        log.info(
            "whatsapp.message_ignored",
            type=kind,
            message_id=message_id,
            chat_id=wa_id,
            about=_str(detail.get("message_id")) or _str(detail.get("original_message_id")),
            emoji=_str(detail.get("emoji")),
        )

    def _quoted_target(self, message: dict[str, Any], wa_id: str) -> uuid.UUID | None:
        """Return the transaction of the bot's message this one replies to, when it showed exactly one."""
        quoted = _str(_dict(message.get("context")).get("id"))
        if quoted is None:
            return None
        sent = self.state.sent_message(PLATFORM, wa_id, quoted)
        if sent is None or len(sent.transaction_ids) != 1:
            return None
        try:
            return uuid.UUID(sent.transaction_ids[0])
        except ValueError:
            return None

    async def _content(self, kind: str, message: dict[str, Any], wa_id: str) -> _Content:
        if kind == "text":
            return _Content(_str(_dict(message.get("text")).get("body")) or "")
        if kind == "interactive":
            interactive = _dict(message.get("interactive"))
            choice = _dict(interactive.get(str(interactive.get("type"))))
            if interactive.get("type") not in ("button_reply", "list_reply") or not choice:
                return _Content(None, "other", problem=NOT_TEXT)
            return self._pressed(_str(choice.get("id")), _str(choice.get("title")))
        if kind == "button":
            button = _dict(message.get("button"))
            return self._pressed(_str(button.get("payload")), _str(button.get("text")))
        if kind == "edit":
            edit = _dict(message.get("edit"))
            edited = _dict(edit.get("message"))
            edited_kind = str(edited.get("type"))
            new_text = _str(_dict(edited.get("text")).get("body")) or _str(
                _dict(edited.get(edited_kind)).get("caption")
            )
            return _Content(new_text or "", amends=_str(edit.get("original_message_id")))
        if kind in MEDIA:
            return await self._media(kind, message)
        return _Content(None, "other", problem=NOT_TEXT)

    @staticmethod
    def _pressed(button_id: str | None, title: str | None) -> _Content:
        pressed = parse_button_id(button_id) if button_id else None
        if pressed is not None:
            return _Content(pressed.text, target=pressed.transaction_id)
        return _Content(title or button_id or "")

    async def _media(self, kind: str, message: dict[str, Any]) -> _Content:
        media = _dict(message.get(kind))
        media_type = MEDIA[kind]
        caption = _str(media.get("caption"))
        declared = _str(media.get("mime_type"))
        if kind == "document" and not (
            (declared or "").startswith("image/")
            or (declared or "").split(";")[0] == "application/pdf"
            or is_statement_file(_str(media.get("filename")), declared)  # a bank statement to import
        ):
            return _Content(caption, "other", problem=NOT_TEXT)
        media_id = _str(media.get("id"))
        if media_id is None:
            return _Content(caption, media_type, problem=MEDIA_MISSING)
        try:
            info = await self.graph.media_info(media_id)
            if info.file_size is not None and info.file_size > self.max_media_bytes:
                log.warning("whatsapp.media_too_large", media_id=media_id, size=info.file_size)
                return _Content(caption, media_type, problem=FILE_TOO_LARGE)
            data = await self.graph.download(info.url, self.max_media_bytes)
        except MediaTooLargeError as exc:
            log.warning("whatsapp.media_too_large", media_id=media_id, error=str(exc))
            return _Content(caption, media_type, problem=FILE_TOO_LARGE)
        except MediaError as exc:
            if not exc.permanent:
                raise
            log.warning("whatsapp.media_missing", media_id=media_id, error=str(exc))
            return _Content(caption, media_type, problem=MEDIA_MISSING)
        filename = _str(media.get("filename"))
        payload = MediaPayload(
            data=data, content_type=info.mime_type or declared, filename=filename[:200] if filename else None
        )
        return _Content(caption, media_type, media=payload)
