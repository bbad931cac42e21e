"""The reply senders of an edge, by platform: each channel adapter registers its own.

An adapter package (``bots/<platform>/``) builds a :class:`ChannelAdapter`: its platform, its
reply sender, and the HTTP routes it serves (webhooks, the dev chat). The edge registers each
adapter it runs (:meth:`ReplySenders.add`) and its reply consumer looks a reply's platform up
here, so a new platform is its adapter's files plus one registration, with no branch in the
edge's code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

from sanic import Blueprint

from financy.bots.common.message import ReplySender
from financy.core.contracts.v1 import Platform


@dataclass(frozen=True, slots=True)
class ChannelAdapter:
    """One platform's adapter as the edge runs it.

    * ``sender``: sends the core's replies on the platform;
    * ``blueprint``: its HTTP routes (a webhook stores the raw update with
      :meth:`~financy.bots.common.message.BotState.accept_update` and answers at once);
    * ``process``: turns one stored update (its raw bytes) into inbound messages for the edge's
      intake; the edge calls it after the webhook was answered, again if it raised;
    * ``start`` / ``stop``: run when the edge starts and stops (register the webhook and the
      command menu; delete it);
    * ``background``: long-running loops (Telegram long polling), cancelled at stop.
    """

    platform: Platform
    sender: ReplySender
    blueprint: Blueprint | None = None
    process: Callable[[bytes], Awaitable[None]] | None = None
    start: Callable[[], Awaitable[None]] | None = None
    stop: Callable[[], Awaitable[None]] | None = None
    background: tuple[Callable[[], Coroutine[Any, Any, None]], ...] = field(default=())


class ReplySenders:
    """A registry of :class:`ReplySender` by platform."""

    def __init__(self) -> None:
        self._senders: dict[str, ReplySender] = {}
        self._adapters: list[ChannelAdapter] = []

    def add(self, adapter: ChannelAdapter) -> None:
        """Register ``adapter``'s sender for its platform and keep its routes for :attr:`blueprints`."""
        self.register(adapter.platform, adapter.sender)
        self._adapters.append(adapter)

    @property
    def adapters(self) -> list[ChannelAdapter]:
        """Return the adapters added, in order."""
        return list(self._adapters)

    def adapter(self, platform: str) -> ChannelAdapter | None:
        """Return the adapter of ``platform``, or ``None``."""
        return next((a for a in self._adapters if a.platform == platform), None)

    @property
    def blueprints(self) -> list[Blueprint]:
        """Return the HTTP routes of the adapters added, in order."""
        return [a.blueprint for a in self._adapters if a.blueprint is not None]

    def register(self, platform: Platform, sender: ReplySender) -> None:
        """Make ``sender`` the one for ``platform``.

        Raises:
            ValueError: ``platform`` already has a sender (two adapters for one platform is a bug).
        """
        if platform in self._senders:
            raise ValueError(f"platform {platform!r} already has a reply sender")
        self._senders[platform] = sender

    def get(self, platform: str) -> ReplySender | None:
        """Return the sender of ``platform``, or ``None`` when no adapter for it runs on this edge."""
        return self._senders.get(platform)

    def __contains__(self, platform: object) -> bool:
        """Return whether ``platform`` has a sender."""
        return platform in self._senders

    def __iter__(self) -> Iterator[str]:
        """Iterate over the registered platforms."""
        return iter(self._senders)
