"""Reply consumer: the core's answers on ``financy:edge:{edge_id}:replies`` go out on their platform."""

from __future__ import annotations

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError

from financy.bots.common.registry import ReplySenders
from financy.bots.common.render import render
from financy.core.contracts.v1 import decode_reply, replies_stream
from financy.edge.outbox.store import EdgeOutbox
from financy.runtime.streams import ConsumerOptions, PoisonEntry, StreamConsumer

log = structlog.stdlib.get_logger(__name__)


class ReplyConsumer(StreamConsumer):
    """Render each :class:`ReplyV1` in the user's language and hand it to its platform's registered sender.

    A reply seen before (the core relays at least once) is acknowledged and not sent twice.
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
        await sender.send(reply, render(reply))
        self.outbox.mark_sent_reply(reply_id)
