"""What every channel adapter hands the edge, and what the edge hands back to send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol
from uuid import UUID

from financy.core.contracts.v1 import ChatEventV1, ChatType, Platform, ReplyV1

if TYPE_CHECKING:
    from financy.bots.common.reply import Reply

MediaType = Literal["text", "voice", "photo", "document", "other"]


@dataclass(frozen=True, slots=True)
class MediaPayload:
    """A file a chat user sent (voice note, photo, PDF): its bytes as received.

    ``content_type`` is what the platform declared (the edge sniffs the real one from the bytes);
    ``filename`` is the sender's name for it, if any.
    """

    data: bytes
    content_type: str | None = None
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message a chat user sent, in platform terms (ids are the platform's, as strings).

    ``text`` is the message text or caption (``None`` for media without one);
    ``received_at`` is timezone-aware; ``media`` holds a voice note's or photo's bytes.

    Chat facts: ``chat_type`` ("private" or "group"); ``sender_is_person`` is ``False`` for a
    channel or an anonymous administrator (no member is made of it); ``sender_is_admin`` when
    the platform says the sender administers the group. ``target_transaction`` is the
    transaction a pressed button or a reply to the bot's message acts on; ``amends`` the platform
    id of the message an edit changes (``message_id`` is then the edit's own, unique id);
    ``chat_event`` a change to the chat itself (bot added or removed, group migrated).
    ``problem`` says why the adapter could not hand over what was sent (a reply problem key the
    core answers with: ``"not_text"`` for a kind of message no reader handles, such as WhatsApp's
    ``unsupported`` type or a location; ``"file_too_large"`` for a file refused before download;
    ``"media_missing"`` for a file the platform no longer serves): the edge keeps the capture with
    that problem instead of reading it.
    """

    platform: Platform
    chat_id: str
    message_id: str
    sender_id: str
    received_at: dt.datetime
    text: str | None
    media_type: MediaType = "text"
    sender_name: str | None = None
    sender_language: str | None = None
    media: MediaPayload | None = None
    chat_type: ChatType = "private"
    sender_is_person: bool = True
    sender_is_admin: bool = False
    target_transaction: UUID | None = None
    amends: str | None = None
    chat_event: ChatEventV1 | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """The capture's idempotency key, and whether it was new (``False``: a duplicate delivery).

    ``conflict`` marks a duplicate whose text differs from the first delivery's: a client that
    reuses message ids, not a platform redelivering. ``unavailable`` says the edge could not keep
    a file (its object store is away): nothing was accepted, and the platform should deliver again.
    ``notice`` is the edge's own answer already given for it (the core is unreachable: "Recebido —
    registro quando a conexão voltar."); the core's reply follows later.
    """

    idempotency_key: str
    accepted: bool
    conflict: bool = False
    unavailable: bool = False
    notice: str | None = None


#: The edge's intake: accept one inbound message durably, before any reply.
Intake = Callable[[InboundMessage], Awaitable[IntakeResult]]


class ReplySender(Protocol):
    """Sends the core's reply back on one platform."""

    async def send(self, reply: ReplyV1, rendered: Reply) -> None:
        """Deliver ``rendered`` (text and buttons, already in the user's language) for ``reply``.

        Raises:
            RetryLaterError: the platform is away or throttles (HTTP 429, 5xx, a network error): the
                edge keeps the reply and sends it again after ``retry_after_s``.
            OutsideWindowError: the platform allows no free-form message now (WhatsApp's 24-hour
                window is closed): the edge holds the reply until the user writes again.
            UndeliverableError: the platform refuses it for good (the bot was blocked, the chat is
                gone): the edge logs it and stops trying.
        """


class DeliveryError(Exception):
    """A reply could not be sent now (see :meth:`ReplySender.send`)."""


class RetryLaterError(DeliveryError):
    """Send again after ``retry_after_s`` seconds (the platform's ``retry_after`` when it gave one)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class OutsideWindowError(DeliveryError):
    """The platform accepts only a template message in this chat now: hold the reply."""


class UndeliverableError(DeliveryError):
    """The platform will never accept this reply (blocked bot, unknown chat, bad request)."""


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the bot sent: its platform id, the reply it carried and the transactions it showed."""

    platform: str
    chat_id: str
    message_id: str
    reply_id: str
    transaction_ids: tuple[str, ...]


class BotState(Protocol):
    """What the edge keeps for its chat adapters, on its own disk (implemented by the edge).

    * an inbox of raw platform updates, stored before the webhook is acknowledged and deduplicated
      by the platform's update id (Telegram ``update_id``, WhatsApp ``wamid``);
    * the bot's sent messages, so that a reply to one acts on the transactions it showed;
    * when each chat last wrote (WhatsApp's 24-hour customer-service window).
    """

    def accept_update(self, platform: str, update_key: str, body: bytes) -> bool:
        """Store an update durably; return ``False`` if ``update_key`` was stored before."""

    def remember_sent(self, sent: SentMessage) -> None:
        """Record a message the bot sent."""

    def sent_message(self, platform: str, chat_id: str, message_id: str) -> SentMessage | None:
        """Return the bot's message ``message_id`` in ``chat_id``, or ``None`` if it is not known."""

    def touch_chat(self, platform: str, chat_id: str, at: dt.datetime) -> None:
        """Note that the user of ``chat_id`` wrote at ``at`` (releases replies held for it)."""

    def last_inbound(self, platform: str, chat_id: str) -> dt.datetime | None:
        """Return when the user of ``chat_id`` last wrote, or ``None``."""
