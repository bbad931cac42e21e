"""The edge pipeline: an ordered list of steps that turn an inbound message into a capture.

Each step says whether it can run on the draft (``able_to_run``) and then enriches it
(``run``). A step that fails records why on the draft and the pipeline goes on: the capture
is always produced, so nothing a user sent is dropped (paperless-ngx's consume loop, typed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog

from financy.bots.common.message import InboundMessage
from financy.core.contracts.v1 import MAX_TEXT_CHARS, Understanding

log = structlog.stdlib.get_logger(__name__)


@dataclass
class Draft:
    """A capture in the making: the inbound message, its text, and what steps found."""

    inbound: InboundMessage
    text: str | None
    text_truncated: bool = False
    understanding: Understanding | None = None
    failures: list[str] = field(default_factory=list)
    #: The earlier capture of this chat this message completes (see ``complete.CompleteMedia``).
    completes: UUID | None = None


@dataclass(frozen=True, slots=True)
class PipelineContext:
    """What steps may know about where the edge runs: time zone, language, base currency."""

    time_zone: str = "America/Sao_Paulo"
    language: str = "pt"
    currency: str = "BRL"

    def today(self, moment: dt.datetime) -> dt.date:
        """Return the calendar date of aware ``moment`` in this edge's time zone."""
        return moment.astimezone(ZoneInfo(self.time_zone)).date()


class Step(Protocol):
    """One pipeline step."""

    name: str

    def able_to_run(self, draft: Draft) -> bool:
        """Return whether this step applies to ``draft``."""

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Enrich ``draft`` in place; raise to have the failure recorded and the pipeline go on."""


class Pipeline:
    """Run ``steps`` in order over a draft."""

    def __init__(self, steps: Sequence[Step], context: PipelineContext) -> None:
        self.steps = tuple(steps)
        self.context = context

    async def run(self, inbound: InboundMessage) -> Draft:
        """Return the finished draft for ``inbound`` (never raises for a step's failure)."""
        text = inbound.text
        truncated = False
        if text is not None and len(text) > MAX_TEXT_CHARS:
            text, truncated = text[:MAX_TEXT_CHARS], True
        draft = Draft(inbound=inbound, text=text, text_truncated=truncated)
        for step in self.steps:
            if not step.able_to_run(draft):
                continue
            try:
                await step.run(draft, self.context)
            except Exception as exc:  # a broken step must not lose the message
                draft.failures.append(f"{step.name}: {type(exc).__name__}")
                log.exception("pipeline.step_failed", step=step.name, message_id=inbound.message_id)
        return draft
