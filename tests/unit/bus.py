"""Captures through the message bus with the fake unit of work, as the ingest path hands them on."""

from __future__ import annotations

from financy.core.contracts.v1 import CaptureV1, ReplyV1
from financy.core.service.handlers import command_for
from financy.core.service.messagebus import MessageBus


def ingest(bus: MessageBus, cap: CaptureV1) -> ReplyV1 | None:
    """Handle the command ``cap`` becomes; return the reply to the chat, None where there is none."""
    reply: ReplyV1 | None = bus.handle(command_for(cap))
    return reply


def send(bus: MessageBus, cap: CaptureV1) -> ReplyV1:
    """Handle the command ``cap`` becomes and return its reply (AssertionError if there is none)."""
    reply = ingest(bus, cap)
    assert reply is not None
    return reply
