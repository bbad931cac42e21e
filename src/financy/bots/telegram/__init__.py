"""Telegram: the Bot API adapter (python-telegram-bot), served by the edge.

Files: ``webhook`` (``POST /webhooks/telegram``: verified, stored, answered), ``mapping``
(updates -> inbound messages, pure), ``client`` (processing stored updates, sending replies,
webhook/command registration, long polling), ``callbacks`` (the inline keyboard's data),
``utf16`` (entity offsets).
"""

from __future__ import annotations

from collections.abc import Callable

from financy.bots.common.message import BotState, Intake
from financy.bots.common.registry import ChannelAdapter
from financy.bots.telegram.client import TelegramBot, TelegramConfig
from financy.bots.telegram.webhook import telegram_blueprint

__all__ = ["TelegramBot", "TelegramConfig", "adapter"]


def adapter(
    config: TelegramConfig,
    intake: Intake,
    state: BotState,
    *,
    on_update: Callable[[], None] | None = None,
    bot: TelegramBot | None = None,
    refusing: Callable[[], bool] | None = None,
) -> ChannelAdapter:
    """Return the Telegram adapter for the edge: webhook route, reply sender, processing, start/stop.

    ``on_update`` is called when a new update is stored (the edge wakes its update drain). In
    polling mode the adapter's background loop long-polls getUpdates into ``state``, pausing while
    ``refusing()`` is true (the edge's outbox is full; the webhook is refused by the edge then).
    """
    bot = bot or TelegramBot(config, intake, state, on_update=on_update, refusing=refusing)
    return ChannelAdapter(
        "telegram",
        bot,
        telegram_blueprint(state, secret=config.webhook_secret, on_update=on_update),
        process=bot.process,
        start=bot.start,
        stop=bot.stop,
        background=(bot.poll,) if config.mode == "polling" else (),
    )
