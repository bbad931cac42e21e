"""An edge intake stood in for by a list: the adapters' tests look at what they hand on."""

from __future__ import annotations

from financy.bots.common.message import InboundMessage, IntakeResult
from financy.core.contracts.v1 import idempotency_key


class RecordingIntake:
    """An intake that keeps every inbound message it is handed (in ``messages``) and accepts it."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []

    async def __call__(self, inbound: InboundMessage) -> IntakeResult:
        """Keep ``inbound``; the result carries its capture idempotency key, accepted."""
        self.messages.append(inbound)
        return IntakeResult(
            idempotency_key(inbound.platform, inbound.chat_id, inbound.message_id), accepted=True
        )
