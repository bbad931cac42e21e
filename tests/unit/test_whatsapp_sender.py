"""Replies sent on WhatsApp: only inside the 24-hour window, errors classified, failed statuses re-queued."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from financy.bots.common.message import OutsideWindowError, RetryLaterError, SentMessage, UndeliverableError
from financy.bots.common.reply import Button, ButtonAction, Reply
from financy.bots.whatsapp.errors import Verdict
from financy.bots.whatsapp.graph import GraphClient, GraphConfig
from financy.bots.whatsapp.sender import WhatsAppSender
from financy.core.contracts.v1 import RecordedTransaction, ReplyKind, ReplyV1
from financy.edge.outbox.bots import EdgeBotState
from tests.support.graph_api import TOKEN, Call, GraphStandIn
from tests.support.processes import free_port
from tests.support.replies import chat_reply

CHAT = "5511988887777"
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def _reply(transactions: int = 1) -> ReplyV1:
    return chat_reply(
        "whatsapp",
        CHAT,
        "wamid.in1",
        ReplyKind.RECORDED,
        created_at=NOW,
        transactions=tuple(
            RecordedTransaction.model_validate(
                {
                    "transaction_id": uuid.uuid4(),
                    "kind": "expense",
                    "amount": "23",
                    "currency": "BRL",
                    "occurred_on": "2026-12-02",
                }
            )
            for _ in range(transactions)
        ),
    )


def _sender(graph: GraphStandIn, state: EdgeBotState, token: str = TOKEN) -> WhatsAppSender:
    return WhatsAppSender(
        GraphClient(GraphConfig(token, "1122334455667", graph.base_url)),
        state,
        queue=state,
        clock=lambda: NOW,
    )


async def test_inside_the_window_the_reply_is_sent_and_remembered(
    graph: GraphStandIn, state: EdgeBotState
) -> None:
    state.touch_chat("whatsapp", CHAT, NOW - dt.timedelta(hours=23, minutes=59))
    reply = _reply()
    tx = str(reply.transactions[0].transaction_id)
    sender = _sender(graph, state)
    await sender.send(
        reply, Reply("✅ R$ 23,00", (Button("↩️ Desfazer", ButtonAction.UNDO, "/desfazer", tx),))
    )
    await sender.graph.aclose()
    assert graph.calls == [
        Call(
            "POST",
            "/v21.0/1122334455667/messages",
            f"Bearer {TOKEN}",
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": CHAT,
                "context": {"message_id": "wamid.in1"},
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": "✅ R$ 23,00"},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": f"undo:{tx}:/desfazer", "title": "↩️ Desfazer"}}
                        ]
                    },
                },
            },
        )
    ]
    assert state.sent_message("whatsapp", CHAT, "wamid.sent1") == SentMessage(
        "whatsapp", CHAT, "wamid.sent1", str(reply.reply_id), (tx,)
    )


async def test_outside_the_window_nothing_is_sent(graph: GraphStandIn, state: EdgeBotState) -> None:
    sender = _sender(graph, state)
    with pytest.raises(OutsideWindowError, match="never"):
        await sender.send(_reply(), Reply("oi"))
    state.touch_chat("whatsapp", CHAT, NOW - dt.timedelta(hours=24, seconds=1))
    with pytest.raises(OutsideWindowError, match="24-hour window"):
        await sender.send(_reply(), Reply("oi"))
    assert graph.calls == []


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (429, {"error": {"code": 130429, "message": "Rate limit hit"}}, RetryLaterError),
        (400, {"error": {"code": 131056, "message": "pair rate limit"}}, RetryLaterError),
        (500, {"error": {"code": 131000, "message": "Something went wrong"}}, RetryLaterError),
        (400, {"error": {"code": 131047, "message": "Re-engagement message"}}, OutsideWindowError),
        (400, {"error": {"code": 131026, "message": "Message undeliverable"}}, UndeliverableError),
        (400, {"error": {"code": 100, "message": "Invalid parameter"}}, UndeliverableError),
        (200, {"messages": []}, UndeliverableError),
    ],
)
async def test_graph_errors_become_the_edges_delivery_errors(
    graph: GraphStandIn, state: EdgeBotState, status: int, body: object, error: type[Exception]
) -> None:
    state.touch_chat("whatsapp", CHAT, NOW)
    graph.answer_next(status, body)
    sender = _sender(graph, state)
    with pytest.raises(error):
        await sender.send(_reply(), Reply("oi"))
    await sender.graph.aclose()
    assert len(graph.sent()) == 1


async def test_a_refused_token_or_no_network_is_retried(graph: GraphStandIn, state: EdgeBotState) -> None:
    state.touch_chat("whatsapp", CHAT, NOW)
    sender = _sender(graph, state, token="expired")
    with pytest.raises(RetryLaterError, match="FINANCY_WHATSAPP__TOKEN") as refused:
        await sender.send(_reply(), Reply("oi"))
    assert refused.value.retry_after_s == 60.0
    away = WhatsAppSender(
        GraphClient(GraphConfig(TOKEN, "1", f"http://127.0.0.1:{free_port()}/v21.0")),
        state,
        clock=lambda: NOW,
    )
    with pytest.raises(RetryLaterError, match="unreachable"):
        await away.send(_reply(), Reply("oi"))


async def test_a_failed_status_requeues_holds_or_gives_up(graph: GraphStandIn, state: EdgeBotState) -> None:
    state.touch_chat("whatsapp", CHAT, NOW)
    sender = _sender(graph, state)
    replies = [_reply(), _reply(), _reply()]
    for reply in replies:
        await sender.send(reply, Reply("oi"))
    await sender.graph.aclose()
    assert sender.delivery_failed("wamid.sent1", 131000, "131000 Something went wrong") is Verdict.RETRY
    assert sender.delivery_failed("wamid.sent2", 131047, "131047 Re-engagement message") is Verdict.HOLD
    assert sender.delivery_failed("wamid.sent3", 131026, "131026 Message undeliverable") is Verdict.GIVE_UP
    assert sender.delivery_failed("wamid.unknown", 131000, "x") is None
    (due,) = state.due_deliveries(now=NOW.timestamp() + 10**9)
    assert (due.reply_id, due.chat_id) == (str(replies[0].reply_id), CHAT)
    assert ReplyV1.model_validate_json(due.payload) == replies[0]
    assert state.count_deliveries("held") == 1
    state.touch_chat("whatsapp", CHAT, NOW)  # the user writes: the held one is due again
    assert state.count_deliveries("held") == 0
    assert state.count_deliveries("pending") == 2
