"""Intake: an inbound message becomes a v1 capture in the edge outbox, durably, before any reply."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import structlog

from financy.bots.common.message import InboundMessage, IntakeResult
from financy.core.contracts.v1 import CaptureV1, Sender, clean_text, idempotency_key
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.steps import Pipeline
from financy.runtime.ids import uuid7

log = structlog.stdlib.get_logger(__name__)


class Intake:
    """Run the pipeline on each inbound message and store the capture in the outbox."""

    def __init__(
        self, edge_id: str, pipeline: Pipeline, outbox: EdgeOutbox, wake_relay: Callable[[], None]
    ) -> None:
        self.edge_id = edge_id
        self.pipeline = pipeline
        self.outbox = outbox
        self._wake = wake_relay

    async def __call__(self, inbound: InboundMessage) -> IntakeResult:
        """Accept ``inbound``; return once the capture is on the edge's disk."""
        key = idempotency_key(inbound.platform, inbound.chat_id, inbound.message_id)
        if inbound.text is not None:
            # NUL and lone surrogates cannot be stored; the rest is kept exactly as sent.
            inbound = dataclasses.replace(inbound, text=clean_text(inbound.text))
        draft = await self.pipeline.run(inbound)
        capture = CaptureV1(
            capture_id=uuid7(),
            idempotency_key=key,
            edge_id=self.edge_id,
            platform=inbound.platform,
            chat_id=inbound.chat_id,
            message_id=inbound.message_id,
            sender=Sender(
                platform_user_id=inbound.sender_id,
                display_name=inbound.sender_name[:200] if inbound.sender_name else None,
                language_code=inbound.sender_language[:16] if inbound.sender_language else None,
            ),
            received_at=inbound.received_at,
            media_type=inbound.media_type,
            text=draft.text,
            text_truncated=draft.text_truncated,
            understanding=draft.understanding,
        )
        accepted = self.outbox.put(key, capture.model_dump_json())
        log.info(
            "capture.accepted" if accepted else "capture.duplicate",
            idempotency_key=key,
            intent=draft.understanding.intent.value if draft.understanding else None,
            failures=draft.failures or None,
        )
        if accepted:
            self._wake()
            return IntakeResult(key, accepted=True)
        first = self.outbox.payload_of(key)
        conflict = first is not None and CaptureV1.model_validate_json(first).text != capture.text
        return IntakeResult(key, accepted=False, conflict=conflict)
