"""Driving the core's message bus from tests, as the ingest consumer does (decode -> command -> bus)."""

from __future__ import annotations

from sqlalchemy import Engine

from financy.core.contracts.v1 import CaptureV1, ReplyV1
from financy.core.service.bootstrap import bootstrap
from financy.core.service.handlers import command_for
from financy.core.service.handlers.users import ContextDefaults


def ingest(engine: Engine, capture: CaptureV1, defaults: ContextDefaults | None = None) -> ReplyV1 | None:
    """Record ``capture`` on ``engine`` in one unit of work; return the reply (``None``: a duplicate)."""
    reply: ReplyV1 | None = bootstrap(engine=engine, defaults=defaults).handle(command_for(capture))
    return reply
