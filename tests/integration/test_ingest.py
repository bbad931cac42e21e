"""The ingest handler on a real PostgreSQL: captures become transactions exactly once."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text

from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    ReplyKind,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.service.handlers.users import ContextDefaults
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

DEFAULTS = ContextDefaults()


def make_capture(
    user: str,
    text_: str,
    understanding: Understanding | None,
    *,
    message_id: str | None = None,
    received_at: dt.datetime | None = None,
) -> CaptureV1:
    mid = message_id or uuid.uuid4().hex
    return CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("devchat", user, mid),
        edge_id="edge-a",
        platform="devchat",
        chat_id=user,
        message_id=mid,
        sender=Sender(platform_user_id=user, display_name=user.title()),
        received_at=received_at or dt.datetime(2026, 11, 29, 2, 30, tzinfo=dt.UTC),
        text=text_,
        understanding=understanding,
    )


def record(amount: str, currency: str | None = "BRL", days_ago: int | None = None) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(
            ProposedTransaction(
                amount=Decimal(amount),
                currency=currency,
                days_ago=days_ago,
                merchant="mercado",
                category="groceries",
            ),
        ),
        confidence=0.9,
    )


def count(engine: Engine, table: str, where: str = "true", **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one())


def test_record_is_dated_in_context_time_zone_and_replied(engine: Engine) -> None:
    """GIVEN 02:30 UTC on the 29th (23:30 on the 28th in São Paulo) WHEN "ontem" THEN the 27th."""
    user = f"u{uuid.uuid4().hex[:8]}"
    capture = make_capture(user, "gastei 45,90 no mercado ontem", record("45.90", days_ago=1))
    reply = ingest(engine, capture, DEFAULTS)
    assert reply is not None
    assert reply.kind is ReplyKind.RECORDED
    (tx,) = reply.transactions
    assert tx.amount == Decimal("45.90")
    assert tx.currency == "BRL"
    assert tx.occurred_on == dt.date(2026, 11, 27)
    assert tx.category_name == "Mercado"
    assert count(engine, "transactions", "capture_id = :c", c=capture.capture_id) == 1
    assert (
        count(
            engine,
            "outbox",
            "stream = 'financy:edge:edge-a:replies' AND payload LIKE :p",
            p=f"%{capture.capture_id}%",
        )
        == 1
    )
    assert (
        count(engine, "events", "capture_id = :c AND name = 'transaction.recorded'", c=capture.capture_id)
        == 1
    )


def test_same_capture_twice_records_once(engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    capture = make_capture(user, "uber 23", record("23"))
    first = ingest(engine, capture, DEFAULTS)
    second = ingest(engine, capture, DEFAULTS)
    assert first is not None
    assert second is None
    assert count(engine, "transactions", "capture_id = :c", c=capture.capture_id) == 1


def test_unknown_currency_is_kept_and_asked(engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    capture = make_capture(user, "paguei 10 XYZ", record("10", currency="XYZ"))
    reply = ingest(engine, capture, DEFAULTS)
    assert reply is not None
    assert reply.kind is ReplyKind.QUESTION
    assert reply.problem == "unknown_currency:XYZ"
    assert (
        count(
            engine,
            "captures",
            "id = :c AND status = 'needs_review' AND text = 'paguei 10 XYZ'",
            c=capture.capture_id,
        )
        == 1
    )
    assert count(engine, "transactions", "capture_id = :c", c=capture.capture_id) == 0


def test_not_understood_is_kept_and_asked(engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    capture = make_capture(user, "\x00\x01 binary", None)
    reply = ingest(engine, capture, DEFAULTS)
    assert reply is not None
    assert reply.kind is ReplyKind.QUESTION
    with engine.connect() as conn:
        kept = conn.execute(
            select(orm.captures.c.text, orm.captures.c.status).where(orm.captures.c.id == capture.capture_id)
        ).one()
    assert kept.text == "\ufffd\x01 binary"
    assert kept.status == "needs_review"


def test_undo_reverses_last_transaction_only(engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    for amount in ("10", "20"):
        ingest(engine, make_capture(user, amount, record(amount)), DEFAULTS)
    undo = Understanding(language="pt", intent=Intent.UNDO, confidence=1.0)
    reply = ingest(engine, make_capture(user, "/desfazer", undo), DEFAULTS)
    assert reply is not None
    assert reply.kind is ReplyKind.UNDONE
    assert reply.transactions[0].amount == Decimal("20")
    with engine.connect() as conn:
        statuses = conn.execute(
            select(orm.transactions.c.amount, orm.transactions.c.status)
            .join(orm.captures, orm.captures.c.id == orm.transactions.c.capture_id)
            .where(orm.captures.c.chat_id == user)
            .order_by(orm.transactions.c.amount)
        ).all()
    assert [(str(a.normalize()), s) for a, s in statuses] == [("1E+1", "recorded"), ("2E+1", "reversed")]
    ingest(engine, make_capture(user, "/desfazer", undo), DEFAULTS)
    third = ingest(engine, make_capture(user, "/desfazer", undo), DEFAULTS)
    assert third is not None
    assert third.kind is ReplyKind.NOTHING_TO_UNDO


def test_events_are_append_only(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(orm.categories)).scalar_one() == 20
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
