"""Reply consumer: the core's answers on ``financy:edge:{edge_id}:replies`` go out on their platform."""

from __future__ import annotations

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError

from financy.bots.common.message import OutsideWindowError, RetryLaterError, UndeliverableError
from financy.bots.common.registry import ReplySenders
from financy.bots.common.render import render
from financy.core.contracts.v1 import decode_reply, replies_stream
from financy.edge.outbox.bots import EdgeBotState
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.sync.updates import backoff_s
from financy.runtime.streams import ConsumerOptions, PoisonEntry, StreamConsumer

log = structlog.stdlib.get_logger(__name__)


class ReplyConsumer(StreamConsumer):
    """Render each :class:`ReplyV1` in the user's language and hand it to its platform's registered sender.

    A reply seen before (the core relays at least once) is acknowledged and not sent twice. A
    reply the platform refuses for now is kept in ``bots`` (:class:`EdgeBotState`) and sent by the
    delivery loop later; a ``silent`` reply (a group unbound) is only noted.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        edge_id: str,
        outbox: EdgeOutbox,
        senders: ReplySenders,
        consumer: str,
        options: ConsumerOptions | None = None,
        bots: EdgeBotState | None = None,
    ) -> None:
        super().__init__(
            client,
            stream=replies_stream(edge_id),
            group=f"edge-{edge_id}",
            consumer=consumer,
            options=options,
        )
        self.outbox = outbox
        self.senders = senders
        self.bots = bots

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        """Send one reply (raises :class:`PoisonEntry` if undecodable or for an unknown platform)."""
        try:
            reply = decode_reply(fields)
        except (KeyError, ValidationError) as exc:
            raise PoisonEntry(f"invalid reply payload: {exc}") from exc
        sender = self.senders.get(reply.platform)
        if sender is None:
            raise PoisonEntry(f"no sender for platform {reply.platform!r} on this edge")
        reply_id = str(reply.reply_id)
        if self.outbox.was_sent(reply_id):
            log.info("reply.duplicate", reply_id=reply_id)
            return
        if reply.silent:
            log.info("reply.silent", reply_id=reply_id, kind=reply.kind.value, chat_id=reply.chat_id)
            self.outbox.mark_sent_reply(reply_id)
            return
        if self.bots is None:
            await sender.send(reply, render(reply))
            self.outbox.mark_sent_reply(reply_id)
            return
        payload = reply.model_dump_json()
        try:
            await sender.send(reply, render(reply))
        except RetryLaterError as exc:
            wait = exc.retry_after_s if exc.retry_after_s is not None else backoff_s(1)
            self.bots.defer_reply(
                reply_id, reply.platform, reply.chat_id, payload, retry_in_s=wait, error=str(exc)
            )
            log.warning("reply.deferred", reply_id=reply_id, retry_in_s=wait, error=str(exc)[:200])
        except OutsideWindowError as exc:
            self.bots.hold_reply(reply_id, reply.platform, reply.chat_id, payload, error=str(exc))
            log.warning("reply.held", reply_id=reply_id, platform=reply.platform, reason=str(exc))
        except UndeliverableError as exc:
            log.error(
                "reply.undeliverable", reply_id=reply_id, platform=reply.platform, reason=str(exc)[:300]
            )
        except Exception as exc:  # a sender's bug or an unforeseen error: kept and tried again
            self.bots.defer_reply(
                reply_id, reply.platform, reply.chat_id, payload, retry_in_s=backoff_s(1), error=repr(exc)
            )
            log.exception("reply.deferred", reply_id=reply_id)
        self.outbox.mark_sent_reply(reply_id)
