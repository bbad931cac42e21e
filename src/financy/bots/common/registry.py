"""The reply senders of an edge, by platform: each channel adapter registers its own.

An adapter package (``bots/<platform>/``) builds a :class:`ChannelAdapter`: its platform, its
reply sender, and the HTTP routes it serves (webhooks, the dev chat). The edge registers each
adapter it runs (:meth:`ReplySenders.add`) and its reply consumer looks a reply's platform up
here, so a new platform is its adapter's files plus one registration, with no branch in the
edge's code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sanic import Blueprint

from financy.bots.common.message import ReplySender
from financy.core.contracts.v1 import Platform


@dataclass(frozen=True, slots=True)
class ChannelAdapter:
    """One platform's adapter as the edge runs it: its reply sender and its HTTP routes, if any."""

    platform: Platform
    sender: ReplySender
    blueprint: Blueprint | None = None


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
