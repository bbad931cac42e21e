"""The registry of reply senders by platform that the edge's reply consumer uses."""

from __future__ import annotations

import pytest

from financy.bots import devchat
from financy.bots.common.message import InboundMessage, IntakeResult
from financy.bots.common.registry import ReplySenders
from financy.bots.devchat.client import DevchatHub


async def _intake(inbound: InboundMessage) -> IntakeResult:
    return IntakeResult("k", accepted=True)


def test_an_adapter_registers_its_sender_and_routes_once() -> None:
    senders = ReplySenders()
    adapter = devchat.adapter(_intake)
    senders.add(adapter)
    assert isinstance(senders.get("devchat"), DevchatHub)
    assert senders.get("telegram") is None
    assert list(senders) == ["devchat"]
    assert "devchat" in senders
    assert [bp.name for bp in senders.blueprints] == ["devchat"]
    with pytest.raises(ValueError, match="already has a reply sender"):
        senders.register("devchat", DevchatHub())
