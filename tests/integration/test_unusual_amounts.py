"""Unusually large amounts for a ledger's history, on a real PostgreSQL through the ingest handler.

The history comes from ``SqlTransactions.recent_amounts`` (the same name ignoring case, or the
category; recorded, same kind and currency, newest first); the rule is
:mod:`financy.core.domain.unusual`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from financy.bots.common.render import render_reply
from financy.core.adapters.repositories import SqlTransactions
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    ReplyKind,
    ReplyV1,
    Sender,
    TransactionKind,
    Understanding,
    idempotency_key,
)
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 12:00 in São Paulo


def send(engine: Engine, user: str, understanding: Understanding, *, at: dt.datetime = NOW) -> ReplyV1:
    mid = uuid.uuid4().hex
    capture = CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("devchat", user, mid),
        edge_id="edge-a",
        platform="devchat",
        chat_id=user,
        message_id=mid,
        sender=Sender(platform_user_id=user),
        received_at=at,
        text=understanding.intent.value,
        understanding=understanding,
    )
    reply = ingest(engine, capture)
    assert reply is not None
    return reply


def spent(
    amount: str,
    merchant: str | None,
    category: str | None = "groceries",
    *,
    days_ago: int = 0,
    currency: str | None = None,
    kind: TransactionKind = TransactionKind.EXPENSE,
) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(
            ProposedTransaction(
                kind=kind,
                amount=Decimal(amount),
                merchant=merchant,
                category=category,
                days_ago=days_ago,
                currency=currency,
            ),
        ),
        confidence=0.9,
    )


def context_of(engine: Engine, user: str) -> uuid.UUID:
    with engine.connect() as conn:
        found: uuid.UUID = conn.execute(
            text("SELECT context_id FROM captures WHERE chat_id = :chat LIMIT 1"), {"chat": user}
        ).scalar_one()
    return found


def test_the_ledgers_recent_amounts_at_a_merchant_or_in_a_category(engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    send(engine, user, spent("999", "padaria"))
    send(engine, user, Understanding(language="pt", intent=Intent.UNDO, confidence=1.0))  # reversed
    for days_ago, amount in enumerate(["8", "12", "15", "20", "10", "9"]):
        send(engine, user, spent(amount, "Padaria" if days_ago % 2 else "padaria", days_ago=days_ago + 1))
    send(engine, user, spent("300", "padaria", currency="USD", days_ago=1))  # another currency
    send(engine, user, spent("700", "padaria", "other_income", kind=TransactionKind.INCOME))  # income
    send(engine, user, spent("40", "padaria do zé", days_ago=2))  # another name, same category
    other = f"u{uuid.uuid4().hex[:8]}"
    send(engine, other, spent("5", "padaria"))  # another ledger
    context_id = context_of(engine, user)
    with engine.connect() as conn:
        repo = SqlTransactions(conn)
        by_name = repo.recent_amounts(context_id, kind="expense", currency="BRL", merchant="PADARIA")
        in_category = repo.recent_amounts(context_id, kind="expense", currency="BRL", category="groceries")
        newest_two = repo.recent_amounts(
            context_id, kind="expense", currency="BRL", merchant="padaria", limit=2
        )
        neither = repo.recent_amounts(context_id, kind="expense", currency="BRL")
    # newest first by date (8 a day ago, 12 two days ago...), then by when recorded (40 after 12)
    assert by_name == [Decimal(a) for a in ("8", "12", "15", "20", "10", "9")]
    assert in_category == [Decimal(a) for a in ("8", "40", "12", "15", "20", "10", "9")]
    assert newest_two == [Decimal(8), Decimal(12)]
    assert neither == []


def test_an_unusual_amount_is_asked_and_recorded_on_yes(engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    for days_ago, amount in enumerate(["8", "12", "15", "20", "10", "9"]):
        assert send(engine, user, spent(amount, "padaria", days_ago=days_ago + 1)).kind is ReplyKind.RECORDED
    asked = send(engine, user, spent("1200", "Padaria"))
    assert (asked.kind, asked.problem) == (ReplyKind.CONFIRM_REQUEST, "unusual_amount")
    assert asked.usual is not None
    assert (asked.usual.basis, asked.usual.low, asked.usual.high, asked.usual.count) == (
        "merchant",
        Decimal(8),
        Decimal(20),
        6,
    )
    assert render_reply(asked).startswith(
        "🤔 Isso é bem mais que o habitual em “Padaria” (R$ 8 a R$ 20). Confirma R$ 1.200,00?"
    )
    with engine.connect() as conn:
        status, problem = conn.execute(
            text("SELECT status, problem FROM captures WHERE id = :id"), {"id": asked.capture_id}
        ).one()
        amounts = conn.execute(
            text("SELECT amount FROM transactions WHERE context_id = :c ORDER BY amount"),
            {"c": context_of(engine, user)},
        ).scalars()
        assert (status, problem) == ("needs_review", "unusual_amount")
        assert Decimal(1200) not in list(amounts)
    usual = send(engine, user, spent("25", "padaria"))
    assert usual.kind is ReplyKind.RECORDED
    yes = send(engine, user, Understanding(language="pt", intent=Intent.CONFIRM, confidence=0.9))
    assert yes.kind is ReplyKind.RECORDED
    assert [(t.amount, t.merchant) for t in yes.transactions] == [(Decimal(1200), "Padaria")]
    with engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM captures WHERE id = :id"), {"id": asked.capture_id}
        ).scalar_one()
    assert status == "recorded"
