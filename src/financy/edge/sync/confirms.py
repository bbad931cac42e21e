"""Confirmation consumer: the core's :class:`CapturesConfirmedV1` on ``financy:edge:{edge_id}:confirms``
mark those captures confirmed in the edge outbox (they are then never sent again, and purged
after the retention). A capture sent but never confirmed is resent by the relay."""

from __future__ import annotations

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError

from financy.core.contracts.v1 import confirms_stream, decode_confirmed
from financy.edge.outbox.capacity import OutboxCapacity
from financy.edge.outbox.store import EdgeOutbox
from financy.runtime.streams import ConsumerOptions, PoisonEntry, StreamConsumer

log = structlog.stdlib.get_logger(__name__)


class ConfirmConsumer(StreamConsumer):
    """Mark the captures each confirmation names as committed by the core (group ``edge-{id}``).

    A confirmation for another edge, or one that does not decode, is dead-lettered
    (:class:`PoisonEntry`); a key this outbox does not hold (purged, or confirmed before) is fine.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        edge_id: str,
        outbox: EdgeOutbox,
        consumer: str,
        capacity: OutboxCapacity | None = None,
        options: ConsumerOptions | None = None,
    ) -> None:
        super().__init__(
            client,
            stream=confirms_stream(edge_id),
            group=f"edge-{edge_id}",
            consumer=consumer,
            options=options,
        )
        self.edge_id = edge_id
        self.outbox = outbox
        self.capacity = capacity
        self.confirmed = 0

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        """Confirm one message's captures (raises :class:`PoisonEntry` when it is not a valid one)."""
        try:
            message = decode_confirmed(fields)
        except (KeyError, ValueError, ValidationError) as exc:
            raise PoisonEntry(f"invalid confirmation payload: {exc}") from exc
        if message.edge_id != self.edge_id:
            raise PoisonEntry(f"confirmation for edge {message.edge_id!r} on edge {self.edge_id!r}")
        changed = self.outbox.confirm(message.idempotency_keys)
        self.confirmed += changed
        log.debug("outbox.confirmed", entry_id=entry_id, keys=len(message.idempotency_keys), changed=changed)

    async def after_batch(self) -> None:
        """Let a full outbox count again: confirmations are what drain it."""
        if self.capacity is not None:
            self.capacity.refresh()
