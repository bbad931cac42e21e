"""What every channel adapter hands the edge, and what the edge hands back to send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from financy.core.contracts.v1 import Platform, ReplyV1

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


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """The capture's idempotency key, and whether it was new (``False``: a duplicate delivery).

    ``conflict`` marks a duplicate whose text differs from the first delivery's: a client that
    reuses message ids, not a platform redelivering. ``unavailable`` says the edge could not keep
    a file (its object store is away): nothing was accepted, and the platform should deliver again.
    """

    idempotency_key: str
    accepted: bool
    conflict: bool = False
    unavailable: bool = False


#: The edge's intake: accept one inbound message durably, before any reply.
Intake = Callable[[InboundMessage], Awaitable[IntakeResult]]


class ReplySender(Protocol):
    """Sends the core's reply back on one platform."""

    async def send(self, reply: ReplyV1, rendered: Reply) -> None:
        """Deliver ``rendered`` (text and buttons, already in the user's language) for ``reply``."""
