"""A message without an amount and the bare amount that answers it, on a real PostgreSQL.

The edge joins the two (``tests/unit/test_complete_answers.py``); here the core keeps the
question for review, names what was bought in the reply, records the answer once and closes
the question, and the transaction's detail shows the question as its source.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from financy.bots.common.render import render_reply
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    ReplyKind,
    ReplyV1,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.views.transactions import transaction_detail
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


def capture(user: str, said: str, understanding: Understanding, **fields: object) -> CaptureV1:
    mid = uuid.uuid4().hex
    return CaptureV1.model_validate(
        {
            "capture_id": uuid.uuid4(),
            "idempotency_key": idempotency_key("devchat", user, mid),
            "edge_id": "edge-a",
            "platform": "devchat",
            "chat_id": user,
            "message_id": mid,
            "sender": Sender(platform_user_id=user),
            "received_at": NOW,
            "text": said,
            "understanding": understanding,
            **fields,
        }
    )


def reply_to(engine: Engine, cap: CaptureV1) -> ReplyV1:
    reply = ingest(engine, cap)
    assert reply is not None
    return reply


def test_the_question_is_kept_named_and_closed_by_its_answer(engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    question = capture(
        user,
        "comprei 3 pizzas",
        Understanding(
            language="pt",
            intent=Intent.UNKNOWN,
            confidence=0.0,
            problem="no_amount",
            item_without_amount="pizzas",
        ),
    )
    asked = reply_to(engine, question)
    assert (asked.kind, asked.asked_about) == (ReplyKind.QUESTION, "pizzas")
    assert render_reply(asked).startswith("❓ Quanto foi “pizzas”?")
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, problem, context_id FROM captures WHERE id = :id"),
            {"id": question.capture_id},
        ).one()
    assert (row.status, row.problem) == ("needs_review", "no_amount")

    joined = Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(
            ProposedTransaction(
                amount=Decimal(90), merchant="pizzas", description="3 pizzas", category="restaurants"
            ),
        ),
        confidence=0.85,
    )
    answer = capture(user, "90", joined, completes=question.capture_id)
    recorded = reply_to(engine, answer)
    assert recorded.kind is ReplyKind.RECORDED
    (tx,) = recorded.transactions
    assert (tx.amount, tx.merchant, tx.category) == (Decimal(90), "pizzas", "restaurants")
    with engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM captures WHERE id = :id"), {"id": question.capture_id}
        ).scalar_one()
        count = conn.execute(
            text("SELECT count(*) FROM transactions WHERE context_id = :c"), {"c": row.context_id}
        ).scalar_one()
        detail = transaction_detail(conn, row.context_id, tx.transaction_id)
    assert (status, count) == ("recorded", 1)
    assert detail is not None
    source = detail["source"]
    assert (source["capture_id"], source["text"]) == (str(question.capture_id), "comprei 3 pizzas")
    assert source["answer"] == {"capture_id": str(answer.capture_id), "text": "90"}
