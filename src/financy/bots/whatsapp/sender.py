"""Send the core's replies on WhatsApp (``POST /{phone_number_id}/messages``), inside the 24-hour window.

WhatsApp lets a business send free-form messages only within 24 hours of the user's last
message (the customer-service window); after that only an approved template may be sent. A reply
for a chat whose window is closed (or never opened) raises :class:`OutsideWindowError` before any
call: the edge holds it and sends it when the user writes again. Templates are not sent.

Each message sent is remembered (:meth:`BotState.remember_sent`) with the transactions it showed,
so that a reply to it or a button on it acts on them. The reply itself is kept in memory for a
while by its wamid: a ``failed`` status webhook for that wamid puts it back in the edge's queue
(:meth:`WhatsAppSender.delivery_failed`).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Protocol

import structlog

from financy.bots.common.message import BotState, OutsideWindowError, SentMessage
from financy.bots.common.reply import Reply
from financy.bots.whatsapp.errors import Verdict, verdict
from financy.bots.whatsapp.graph import GraphClient
from financy.bots.whatsapp.messages import build_message
from financy.core.contracts.v1 import ReplyV1

log = structlog.stdlib.get_logger(__name__)

PLATFORM: Final = "whatsapp"
#: The customer-service window (seconds).
WINDOW_S = 24 * 3600.0
#: How many sent replies are kept in memory for a failed-status webhook to put back.
KEEP_SENT = 2000
#: How many failed statuses one reply may come back from before it is given up.
MAX_STATUS_RETRIES = 6


class ReplyQueue(Protocol):
    """The edge's queue of replies to send later (implemented by the edge's bot state)."""

    def requeue_reply(
        self, reply_id: str, platform: str, chat_id: str, payload: str, *, retry_in_s: float, error: str
    ) -> None:
        """Send the reply (ReplyV1 JSON ``payload``) again in ``retry_in_s`` seconds, even if sent before."""

    def hold_reply(self, reply_id: str, platform: str, chat_id: str, payload: str, *, error: str) -> None:
        """Keep the reply until the chat's user writes again."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WhatsAppSender:
    """Implements :class:`~financy.bots.common.message.ReplySender` for the ``whatsapp`` platform."""

    def __init__(
        self,
        graph: GraphClient,
        state: BotState,
        *,
        queue: ReplyQueue | None = None,
        clock: Callable[[], dt.datetime] = _now,
        window_s: float = WINDOW_S,
    ) -> None:
        self.graph = graph
        self.state = state
        self.queue = queue
        self.clock = clock
        self.window_s = window_s
        self._sent: OrderedDict[str, ReplyV1] = OrderedDict()
        self._failures: OrderedDict[str, int] = OrderedDict()

    def window_open(self, chat_id: str) -> bool:
        """Return whether the user of ``chat_id`` wrote within the last 24 hours."""
        last = self.state.last_inbound(PLATFORM, chat_id)
        return last is not None and (self.clock() - last).total_seconds() < self.window_s

    async def send(self, reply: ReplyV1, rendered: Reply) -> None:
        """Send ``rendered`` to ``reply.chat_id`` (a wa_id), quoting the message it answers.

        Raises:
            OutsideWindowError: the chat's 24-hour window is closed (nothing was sent).
            RetryLaterError, UndeliverableError: see :meth:`GraphClient.send_message`.
        """
        if not self.window_open(reply.chat_id):
            last = self.state.last_inbound(PLATFORM, reply.chat_id)
            raise OutsideWindowError(
                "outside the 24-hour window (last user message "
                + (last.isoformat() if last else "never")
                + "): only a template may be sent; held until the user writes"
            )
        context = reply.in_reply_to if reply.in_reply_to.startswith("wamid.") else None
        body = build_message(reply.chat_id, rendered, language=reply.language, context_message_id=context)
        message_id = await self.graph.send_message(body)
        self.state.remember_sent(
            SentMessage(
                PLATFORM,
                reply.chat_id,
                message_id,
                str(reply.reply_id),
                tuple(str(tx.transaction_id) for tx in reply.transactions),
            )
        )
        self._sent[message_id] = reply
        while len(self._sent) > KEEP_SENT:
            self._sent.popitem(last=False)
        log.info(
            "whatsapp.sent",
            reply_id=str(reply.reply_id),
            message_id=message_id,
            type=body["type"],
            interactive=body.get("interactive", {}).get("type"),
        )

    def delivery_failed(self, message_id: str, code: int | None, error: str) -> Verdict | None:
        """Handle a ``failed`` status for our message ``message_id`` (Graph error ``code``).

        Returns what was done with its reply (retry, hold, give up), or ``None`` when the message
        is not one this process sent recently (then it is only logged).
        """
        reply = self._sent.pop(message_id, None)
        if reply is None or self.queue is None:
            log.warning("whatsapp.delivery_failed_unknown", message_id=message_id, code=code, error=error)
            return None
        outcome = verdict(None, code)
        payload = reply.model_dump_json()
        reply_id = str(reply.reply_id)
        failures = self._failures.pop(reply_id, 0) + 1
        if outcome in (Verdict.RETRY, Verdict.REAUTHORIZE) and failures > MAX_STATUS_RETRIES:
            outcome = Verdict.GIVE_UP
        if outcome is Verdict.HOLD:
            self.queue.hold_reply(reply_id, PLATFORM, reply.chat_id, payload, error=f"failed status: {error}")
        elif outcome in (Verdict.RETRY, Verdict.REAUTHORIZE):
            self._failures[reply_id] = failures
            while len(self._failures) > KEEP_SENT:
                self._failures.popitem(last=False)
            self.queue.requeue_reply(
                reply_id,
                PLATFORM,
                reply.chat_id,
                payload,
                retry_in_s=min(300.0, 5.0 * 2.0 ** (failures - 1)),
                error=f"failed status: {error}",
            )
        log.warning(
            "whatsapp.delivery_failed",
            message_id=message_id,
            reply_id=reply_id,
            code=code,
            error=error,
            outcome=outcome.value,
        )
        return outcome
