"""The dev chat's client: its "platform" is this process, so sending a reply is keeping it for the chat.

Replies are kept per chat (text and buttons), and callers waiting for a given message's reply are
woken (``POST /devchat/messages`` waits; ``GET /devchat/replies`` long-polls).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from financy.bots.common.reply import Button, Reply
from financy.core.contracts.v1 import ReplyV1


@dataclass(frozen=True, slots=True)
class DevchatReply:
    """A rendered reply in a dev chat: sequence number, text, message it answers, its kind and buttons."""

    seq: int
    chat_id: str
    in_reply_to: str
    text: str
    kind: str
    buttons: tuple[Button, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Return the reply as the dev chat's JSON (buttons as ``{"label", "action", "value"}``)."""
        return {
            "seq": self.seq,
            "chat_id": self.chat_id,
            "in_reply_to": self.in_reply_to,
            "text": self.text,
            "kind": self.kind,
            "buttons": [b.as_json() for b in self.buttons],
        }


class DevchatHub:
    """Implements :class:`~financy.bots.common.message.ReplySender` for the ``devchat`` platform.

    Keeps the last ``history`` replies of each chat in memory (the ledger is the record; this is
    only the chat window) and wakes callers waiting for the reply to a message.
    """

    def __init__(self, history: int = 200) -> None:
        self._seq = 0
        self._history: defaultdict[str, deque[DevchatReply]] = defaultdict(lambda: deque(maxlen=history))
        # One future per awaited message, shared by every request waiting for it (a retry of the
        # same message waits beside the first request instead of taking its reply).
        self._waiters: dict[tuple[str, str], asyncio.Future[DevchatReply]] = {}
        self._waiting: dict[tuple[str, str], int] = {}
        self._changed = asyncio.Condition()

    def expect(self, chat_id: str, message_id: str) -> asyncio.Future[DevchatReply]:
        """Return a future resolved with the reply to ``message_id`` in ``chat_id``; pair with :meth:`forget`."""
        key = (chat_id, message_id)
        future = self._waiters.get(key)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._waiters[key] = future
            self._waiting[key] = 0
        self._waiting[key] += 1
        return future

    def forget(self, chat_id: str, message_id: str) -> None:
        """Stop waiting for ``message_id``; its future goes when its last waiter has gone."""
        key = (chat_id, message_id)
        left = self._waiting.get(key, 0) - 1
        if left > 0:
            self._waiting[key] = left
            return
        self._waiting.pop(key, None)
        self._waiters.pop(key, None)

    async def send(self, reply: ReplyV1, rendered: Reply) -> None:
        """Deliver a rendered reply: keep it in the chat's history and wake its waiter."""
        self._seq += 1
        item = DevchatReply(
            self._seq, reply.chat_id, reply.in_reply_to, rendered.text, reply.kind.value, rendered.buttons
        )
        self._history[reply.chat_id].append(item)
        key = (reply.chat_id, reply.in_reply_to)
        future = self._waiters.pop(key, None)
        self._waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(item)
        async with self._changed:
            self._changed.notify_all()

    def replies(self, chat_id: str, after: int = 0) -> list[DevchatReply]:
        """Return the chat's replies with ``seq`` greater than ``after``."""
        return [r for r in self._history.get(chat_id, ()) if r.seq > after]

    async def wait_for_replies(self, chat_id: str, after: int, timeout_s: float) -> list[DevchatReply]:
        """Return replies after ``after``, waiting up to ``timeout_s`` seconds for one to arrive."""
        found = self.replies(chat_id, after)
        if found or timeout_s <= 0:
            return found
        try:
            async with self._changed:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: bool(self.replies(chat_id, after))), timeout=timeout_s
                )
        except TimeoutError:
            return []
        return self.replies(chat_id, after)
