"""The edge's state for chat adapters (bots.sqlite3), the update drain and the delivery loop.

Real SQLite files in a temporary directory; the adapters are real ChannelAdapters whose
process/send functions are the test's own (the platform stands behind them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path

from financy.bots.common.message import (
    OutsideWindowError,
    RetryLaterError,
    SentMessage,
    UndeliverableError,
)
from financy.bots.common.registry import ChannelAdapter, ReplySenders
from financy.bots.common.reply import Reply
from financy.core.contracts.v1 import ReplyKind, ReplyV1
from financy.edge.outbox.bots import DONE, FAILED, HELD, PENDING, EdgeBotState
from financy.edge.sync.updates import DeliveryLoop, UpdateDrain, backoff_s
from tests.support.replies import chat_reply


def reply(chat_id: str = "42", platform: str = "telegram") -> ReplyV1:
    return chat_reply(platform, chat_id, "1", ReplyKind.HELP)


class Sender:
    """A reply sender that fails with the given errors first, then records what it sent."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sent: list[tuple[ReplyV1, Reply]] = []

    async def send(self, message: ReplyV1, rendered: Reply) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((message, rendered))


def test_an_update_is_stored_once_and_its_redelivery_is_refused(state: EdgeBotState) -> None:
    assert state.accept_update("telegram", "100", b'{"update_id": 100}') is True
    assert state.accept_update("telegram", "100", b'{"update_id": 100, "again": true}') is False
    assert state.accept_update("whatsapp", "100", b"{}") is True  # another platform's id space
    due = state.due_updates()
    assert [(u.platform, u.update_key, u.body) for u in due] == [
        ("telegram", "100", b'{"update_id": 100}'),
        ("whatsapp", "100", b"{}"),
    ]
    state.update_done(due[0].id)
    assert state.count_updates(PENDING) == 1
    assert state.count_updates(DONE) == 1


def test_a_failed_update_waits_its_backoff_and_is_kept_when_given_up(state: EdgeBotState) -> None:
    state.accept_update("telegram", "1", b"x")
    (update,) = state.due_updates()
    state.update_failed(update.id, "ConnectError: down", retry_in_s=30)
    assert state.due_updates() == []
    (later,) = state.due_updates(now=dt.datetime.now(dt.UTC).timestamp() + 31)
    assert later.attempts == 1
    state.update_failed(later.id, "still down", retry_in_s=None)
    assert state.count_updates(FAILED) == 1
    assert state.due_updates(now=dt.datetime.now(dt.UTC).timestamp() + 10_000) == []


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_s(30) == 300.0


def test_a_held_reply_is_released_when_its_chat_writes_again(state: EdgeBotState) -> None:
    state.hold_reply("r1", "whatsapp", "5511", "{}", error="window closed")
    state.hold_reply("r2", "whatsapp", "5522", "{}", error="window closed")
    assert state.count_deliveries(HELD) == 2
    assert state.due_deliveries() == []
    at = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
    state.touch_chat("whatsapp", "5511", at)
    assert [d.reply_id for d in state.due_deliveries()] == ["r1"]
    assert state.last_inbound("whatsapp", "5511") == at
    state.touch_chat("whatsapp", "5511", at - dt.timedelta(hours=1))  # an older message delivered late
    assert state.last_inbound("whatsapp", "5511") == at
    assert state.last_inbound("whatsapp", "5522") is None


def test_sent_messages_name_the_transactions_they_showed(state: EdgeBotState) -> None:
    tx = str(uuid.uuid4())
    state.remember_sent(SentMessage("telegram", "-100", "9001", "reply-1", (tx,)))
    assert state.sent_message("telegram", "-100", "9001") == SentMessage(
        "telegram", "-100", "9001", "reply-1", (tx,)
    )
    assert state.sent_message("telegram", "-100", "9002") is None
    assert state.sent_message("whatsapp", "-100", "9001") is None


def test_a_deferred_reply_is_kept_once(state: EdgeBotState) -> None:
    assert state.defer_reply("r1", "telegram", "42", "{}", retry_in_s=0, error="429") is True
    assert state.defer_reply("r1", "telegram", "42", "{}", retry_in_s=0, error="429") is False
    assert state.count_deliveries(PENDING) == 1


def test_the_drain_retries_a_failing_update_and_gives_up_after_its_attempts(state: EdgeBotState) -> None:
    seen: list[bytes] = []
    failures = [RuntimeError("Bot API away"), RuntimeError("Bot API away")]

    async def process(body: bytes) -> None:
        seen.append(body)
        if failures:
            raise failures.pop(0)

    senders = ReplySenders()
    senders.add(ChannelAdapter("telegram", Sender(), process=process))
    state.accept_update("telegram", "7", b"seven")
    state.accept_update("whatsapp", "8", b"no adapter")
    drain = UpdateDrain(state, senders, max_attempts=3)
    asyncio.run(drain.round())
    assert seen == [b"seven"]
    assert state.count_updates(FAILED) == 1  # the platform without an adapter: kept as failed
    # The next tries once due (the test moves the clock, not the code).
    for _ in range(2):
        (update,) = state.due_updates(now=dt.datetime.now(dt.UTC).timestamp() + 600)
        state._db.execute("UPDATE updates SET next_at = 0 WHERE id = ?", (update.id,))
        asyncio.run(drain.round())
    assert seen == [b"seven"] * 3
    assert state.count_updates(DONE) == 1


def test_the_delivery_loop_resends_holds_and_gives_up_as_the_platform_says(state: EdgeBotState) -> None:
    sender = Sender(RetryLaterError("429", retry_after_s=0), OutsideWindowError("24 h"))
    senders = ReplySenders()
    senders.add(ChannelAdapter("whatsapp", sender))
    first, second = reply("5511", "whatsapp"), reply("5522", "whatsapp")
    state.defer_reply(
        str(first.reply_id), "whatsapp", "5511", first.model_dump_json(), retry_in_s=0, error=""
    )
    state.defer_reply(
        str(second.reply_id), "whatsapp", "5522", second.model_dump_json(), retry_in_s=0, error=""
    )
    loop = DeliveryLoop(state, senders)
    asyncio.run(loop.round())  # first: 429 (retry now); second: window closed (held)
    assert state.count_deliveries(HELD) == 1
    asyncio.run(loop.round())
    assert [m.reply_id for m, _ in sender.sent] == [first.reply_id]
    assert sender.sent[0][1].text  # rendered in the user's language
    state.touch_chat("whatsapp", "5522", dt.datetime.now(dt.UTC))
    asyncio.run(loop.round())
    assert [m.reply_id for m, _ in sender.sent] == [first.reply_id, second.reply_id]
    assert state.count_deliveries(DONE) == 2
    refused = reply("5533", "whatsapp")
    state.defer_reply(
        str(refused.reply_id), "whatsapp", "5533", refused.model_dump_json(), retry_in_s=0, error=""
    )
    sender.errors.append(UndeliverableError("131026 message undeliverable"))
    asyncio.run(loop.round())
    assert state.count_deliveries(FAILED) == 1


def test_the_reply_consumer_keeps_a_reply_the_platform_refused_for_now(
    state: EdgeBotState, tmp_path: Path
) -> None:
    from financy.core.contracts.v1 import encode
    from financy.edge.outbox.store import EdgeOutbox
    from financy.edge.sync.replies import ReplyConsumer

    outbox = EdgeOutbox(tmp_path / "outbox.sqlite3")
    sender = Sender(RetryLaterError("429 Too Many Requests", retry_after_s=7), OutsideWindowError("24 h"))
    senders = ReplySenders()
    senders.add(ChannelAdapter("telegram", sender))
    consumer = ReplyConsumer(None, edge_id="local", outbox=outbox, senders=senders, consumer="c", bots=state)  # type: ignore[arg-type]
    throttled, closed = reply("42"), reply("43")
    asyncio.run(consumer.handle("1-0", encode(throttled)))  # returns: the stream entry is acknowledged
    asyncio.run(consumer.handle("2-0", encode(closed)))
    assert sender.sent == []
    assert state.count_deliveries(PENDING) == 1
    assert state.count_deliveries(HELD) == 1
    assert state.due_deliveries() == []  # the platform said 7 s
    (due,) = state.due_deliveries(now=dt.datetime.now(dt.UTC).timestamp() + 8)
    assert due.reply_id == str(throttled.reply_id)
    # Redelivered by the core: not kept or sent twice.
    asyncio.run(consumer.handle("3-0", encode(throttled)))
    assert state.count_deliveries(PENDING) == 1
    silent = reply("44").model_copy(update={"silent": True})
    asyncio.run(consumer.handle("4-0", encode(silent)))
    assert sender.sent == []
    outbox.close()
