"""The WhatsApp Cloud API adapter: the webhook Meta calls, and the Graph API calls that answer it.

Files: ``signature`` (X-Hub-Signature-256 over the raw body), ``webhook`` (the routes, and the
split of a body into stored units), ``inbound`` (a unit -> an inbound message; media fetched with
the token), ``messages`` (a rendered reply -> text, reply buttons or a list; button ids),
``sender`` (the reply sender and the 24-hour window), ``graph`` (httpx calls), ``errors`` (what
a Graph error code means for a reply), ``strings``.
"""

from __future__ import annotations

from collections.abc import Callable

from financy.bots.common.message import BotState, Intake
from financy.bots.common.registry import ChannelAdapter
from financy.bots.whatsapp.graph import GraphClient, GraphConfig
from financy.bots.whatsapp.inbound import WhatsAppInbound
from financy.bots.whatsapp.sender import ReplyQueue, WhatsAppSender
from financy.bots.whatsapp.webhook import whatsapp_blueprint

__all__ = ["GraphConfig", "adapter"]


def adapter(
    intake: Intake,
    state: BotState,
    config: GraphConfig,
    *,
    app_secret: str | None,
    verify_token: str | None,
    queue: ReplyQueue | None = None,
    wake: Callable[[], None] | None = None,
    max_media_bytes: int = 25 * 1024 * 1024,
) -> ChannelAdapter:
    """Return the WhatsApp adapter bound to the edge's ``intake`` and bot ``state``.

    ``config``: the token, phone number id and Graph API root; ``app_secret`` verifies webhook
    bodies and ``verify_token`` answers Meta's subscription check (either unset: that route
    refuses); ``queue`` takes back replies whose delivery failed later (a ``failed`` status);
    ``wake`` is called when the webhook stored new units; files over ``max_media_bytes`` are
    not downloaded.
    """
    graph = GraphClient(config)
    sender = WhatsAppSender(graph, state, queue=queue)
    inbound = WhatsAppInbound(intake, state, graph, sender, max_media_bytes=max_media_bytes)
    return ChannelAdapter(
        "whatsapp",
        sender,
        whatsapp_blueprint(
            state,
            app_secret=app_secret,
            verify_token=verify_token,
            wake=wake,
            phone_number_id=config.phone_number_id,
        ),
        process=inbound.process,
        stop=graph.aclose,
    )
