"""The reply senders of an edge, by platform: each channel adapter registers its own.

The edge's reply consumer looks a reply's platform up here, so a new platform is its adapter's
files plus one :meth:`ReplySenders.register` call, with no branch in the edge's code.
"""

from __future__ import annotations

from collections.abc import Iterator

from financy.bots.common.message import ReplySender
from financy.core.contracts.v1 import Platform


class ReplySenders:
    """A registry of :class:`ReplySender` by platform."""

    def __init__(self) -> None:
        self._senders: dict[str, ReplySender] = {}

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
