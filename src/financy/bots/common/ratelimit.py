"""A small asyncio rate limiter for sending to a chat platform: overall and per chat.

Telegram allows about 30 messages a second overall and about one a second in one chat (20 a
minute in a group); WhatsApp throttles per phone number. :class:`RateLimiter` spaces sends so a
burst of replies stays inside such limits instead of meeting HTTP 429: each ``acquire`` waits
until the chat's interval since its last send has passed, then for an overall slot.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable


class RateLimiter:
    """Space sends: at most ``overall_per_s`` a second in total and ``per_chat_per_s`` in one chat.

    ``group_per_s`` (when set) is the per-chat rate of group chats. ``clock``/``sleep`` are
    injectable for tests (monotonic seconds, an awaitable sleep). The chats remembered are
    bounded (``max_chats``, least recently used dropped). Slots are reserved when asked, so
    concurrent callers queue in order rather than all waking at once.
    """

    def __init__(
        self,
        overall_per_s: float = 30.0,
        per_chat_per_s: float = 1.0,
        *,
        group_per_s: float | None = None,
        max_chats: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if overall_per_s <= 0 or per_chat_per_s <= 0 or (group_per_s is not None and group_per_s <= 0):
            raise ValueError("rates must be positive")
        self._overall_gap = 1.0 / overall_per_s
        self._chat_gap = 1.0 / per_chat_per_s
        self._group_gap = 1.0 / group_per_s if group_per_s else self._chat_gap
        self._max_chats = max_chats
        self._clock = clock
        self._sleep = sleep
        self._next_overall = 0.0
        self._next_chat: OrderedDict[str, float] = OrderedDict()

    def reserve_chat(self, chat_id: str, *, group: bool = False) -> float:
        """Reserve ``chat_id``'s next send slot; return how many seconds away it is (>= 0)."""
        now = self._clock()
        slot = max(now, self._next_chat.get(chat_id, 0.0))
        self._next_chat[chat_id] = slot + (self._group_gap if group else self._chat_gap)
        self._next_chat.move_to_end(chat_id)
        while len(self._next_chat) > self._max_chats:
            self._next_chat.popitem(last=False)
        return slot - now

    def reserve_overall(self) -> float:
        """Reserve the next overall send slot; return how many seconds away it is (>= 0)."""
        now = self._clock()
        slot = max(now, self._next_overall)
        self._next_overall = slot + self._overall_gap
        return slot - now

    async def acquire(self, chat_id: str, *, group: bool = False) -> float:
        """Wait for ``chat_id``'s slot, then for an overall one; return the seconds waited.

        The overall slot is taken only once the chat's turn has come, so a chat waiting for its
        own slot never holds up the others.
        """
        waited = self.reserve_chat(chat_id, group=group)
        if waited > 0:
            await self._sleep(waited)
        overall = self.reserve_overall()
        if overall > 0:
            await self._sleep(overall)
        return waited + overall
