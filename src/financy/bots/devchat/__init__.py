"""The dev chat: talk to Financy over HTTP on the edge as a chat user would (``financy send``/``chat``).

The adapter's files: ``client`` (its "platform" is this process: replies are kept per chat),
``handlers`` (HTTP requests -> :class:`~financy.bots.common.message.InboundMessage`), ``strings``
(its own texts) and ``cli`` (the terminal client).
"""

from __future__ import annotations

from financy.bots.common.message import Intake
from financy.bots.common.registry import ChannelAdapter
from financy.bots.devchat.client import DevchatHub
from financy.bots.devchat.handlers import devchat_blueprint


def adapter(intake: Intake, *, token: str | None = None, hub: DevchatHub | None = None) -> ChannelAdapter:
    """Return the dev chat's adapter bound to the edge's ``intake`` (``token``: see :func:`devchat_blueprint`)."""
    hub = hub or DevchatHub()
    return ChannelAdapter("devchat", hub, devchat_blueprint(intake, hub, token=token))
