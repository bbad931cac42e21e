"""The dev chat hub: replies reach every request waiting for them."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from financy.bots.common.reply import Reply
from financy.bots.devchat.client import DevchatHub
from financy.core.contracts.v1 import ReplyKind, ReplyV1


def reply(chat: str, message: str) -> ReplyV1:
    return ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key=f"devchat:{chat}:{message}",
        edge_id="local",
        platform="devchat",
        chat_id=chat,
        in_reply_to=message,
        language="pt",
        kind=ReplyKind.HELP,
        created_at=dt.datetime.now(dt.UTC),
    )


async def test_a_retry_that_gives_up_does_not_take_the_first_requests_reply() -> None:
    hub = DevchatHub()
    first = hub.expect("c", "m1")
    retry = hub.expect("c", "m1")
    assert retry is first
    hub.forget("c", "m1")  # the retry answered "duplicate" and left
    await hub.send(reply("c", "m1"), Reply("ajuda"))
    got = await asyncio.wait_for(first, 1)
    assert (got.text, got.in_reply_to, got.seq) == ("ajuda", "m1", 1)


async def test_history_and_long_poll() -> None:
    hub = DevchatHub()
    waiting = asyncio.create_task(hub.wait_for_replies("c", after=0, timeout_s=2))
    await asyncio.sleep(0.01)
    await hub.send(reply("c", "m1"), Reply("one"))
    await hub.send(reply("other", "m2"), Reply("two"))
    assert [r.text for r in await waiting] == ["one"]
    assert [r.text for r in hub.replies("c", after=1)] == []
    assert await hub.wait_for_replies("c", after=1, timeout_s=0.05) == []


async def test_forgotten_waiters_leave_nothing_behind() -> None:
    hub = DevchatHub()
    hub.expect("c", "m1")
    hub.forget("c", "m1")
    assert hub._waiters == {}
    assert hub._waiting == {}
