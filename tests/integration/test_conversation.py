"""Questions, corrections, confirmations and small talk, on a real PostgreSQL through the ingest handler."""

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
    LedgerQuery,
    ProposedTransaction,
    ReplyKind,
    ReplyV1,
    Sender,
    TransactionKind,
    Understanding,
    idempotency_key,
)
from financy.core.domain.model import period_bounds
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # 12:00 in São Paulo, a Sunday


def send(
    engine: Engine, user: str, understanding: Understanding, *, at: dt.datetime = NOW, text_: str = ""
) -> ReplyV1:
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
        text=text_ or understanding.intent.value,
        understanding=understanding,
    )
    reply = ingest(engine, capture)
    assert reply is not None
    return reply


def record(
    amount: str,
    merchant: str | None,
    category: str | None,
    *,
    days_ago: int = 0,
    confidence: float = 0.9,
    language: str = "pt",
) -> Understanding:
    return Understanding(
        language=language,  # type: ignore[arg-type]
        intent=Intent.RECORD,
        transactions=(
            ProposedTransaction(
                amount=Decimal(amount), merchant=merchant, category=category, days_ago=days_ago
            ),
        ),
        confidence=confidence,
    )


def ask(
    period: str, category: str | None = None, merchant: str | None = None, language: str = "pt"
) -> Understanding:
    return Understanding(
        language=language,  # type: ignore[arg-type]
        intent=Intent.QUERY,
        confidence=0.9,
        query=LedgerQuery(period=period, category=category, merchant=merchant),  # type: ignore[arg-type]
    )


def user() -> str:
    return f"u{uuid.uuid4().hex[:8]}"


def test_period_bounds_weeks_start_on_monday() -> None:
    sunday = dt.date(2026, 11, 29)
    assert period_bounds("this_week", sunday) == (dt.date(2026, 11, 23), sunday)
    assert period_bounds("last_week", sunday) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert period_bounds("last_month", sunday) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert period_bounds("last_month", dt.date(2026, 3, 31)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_bounds("all", sunday) == (None, None)
    with pytest.raises(ValueError, match="unknown period"):
        period_bounds("fortnight", sunday)


def test_query_sums_the_context_in_its_time_zone(engine: Engine) -> None:
    u = user()
    send(engine, u, record("120", "mercado", "groceries"))
    send(engine, u, record("30.50", "feira", "groceries", days_ago=1))
    send(engine, u, record("45", "ifood", "restaurants"))
    send(engine, u, record("99", "mercado", "groceries", days_ago=40))  # October: not this month
    undone = send(engine, u, record("1000", "mercado", "groceries"))
    assert undone.kind is ReplyKind.RECORDED
    send(engine, u, Understanding(language="pt", intent=Intent.UNDO, confidence=1.0))  # reversed: not counted
    reply = send(engine, u, ask("this_month", category="groceries"))
    assert reply.kind is ReplyKind.ANSWER
    assert reply.answer is not None
    assert reply.answer.totals == (("BRL", Decimal("150.50")),)
    assert reply.answer.count == 2
    assert (reply.answer.date_from, reply.answer.date_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 29))
    assert render_reply(reply) == "💰 Gastos com Mercado neste mês: R$ 150,50 (2 lançamentos)"
    everything = send(engine, u, ask("all", language="en"))
    assert everything.answer is not None
    assert everything.answer.totals == (("BRL", Decimal("294.50")),)
    assert render_reply(everything) == "💰 Spent in total: R$294.50 (4 entries)"
    by_merchant = send(engine, u, ask("yesterday", merchant="FEIRA"))
    assert by_merchant.answer is not None
    assert by_merchant.answer.totals == (("BRL", Decimal("30.50")),)
    nothing = send(engine, u, ask("today", category="health"))
    assert render_reply(nothing) == "Nenhum lançamento com Saúde hoje."


def test_a_correction_changes_the_last_one_and_the_next_at_that_merchant(engine: Engine) -> None:
    u = user()
    first = send(engine, u, record("40", "Drogaria Boa Vida", "shopping"))
    assert first.transactions[0].category == "shopping"
    fix = send(
        engine, u, Understanding(language="pt", intent=Intent.RECATEGORIZE, confidence=0.9, category="health")
    )
    assert fix.kind is ReplyKind.RECATEGORIZED
    assert render_reply(fix) == "🏷️ Categoria alterada: R$ 40,00 · Drogaria Boa Vida · Saúde · 29/11"
    again = send(engine, u, record("25", "DROGARIA BOA VIDA", "shopping"))
    assert again.transactions[0].category == "health"
    with engine.connect() as conn:
        categories = (
            conn.execute(
                text(
                    "SELECT t.category FROM transactions t JOIN captures c ON c.id = t.capture_id"
                    " WHERE c.chat_id = :u ORDER BY t.created_at"
                ),
                {"u": u},
            )
            .scalars()
            .all()
        )
        example = conn.execute(
            text(
                "SELECT e.text, e.category FROM category_examples e JOIN contexts x ON x.id = e.context_id"
                " JOIN chat_bindings b ON b.context_id = x.id WHERE b.chat_id = :u"
            ),
            {"u": u},
        ).one()
    assert categories == ["health", "health"]
    assert (example.text, example.category) == ("Drogaria Boa Vida", "health")
    # Another family's ledger does not learn from this one.
    other = send(engine, user(), record("25", "Drogaria Boa Vida", "shopping"))
    assert other.transactions[0].category == "shopping"


def test_correction_with_nothing_to_correct_or_an_unknown_category(engine: Engine) -> None:
    u = user()
    nothing = send(
        engine, u, Understanding(language="en", intent=Intent.RECATEGORIZE, confidence=0.9, category="health")
    )
    assert nothing.kind is ReplyKind.NOTHING_TO_RECATEGORIZE
    unknown = send(
        engine,
        u,
        Understanding(language="pt", intent=Intent.RECATEGORIZE, confidence=0.9, problem="unknown_category"),
    )
    assert (unknown.kind, unknown.problem) == (ReplyKind.QUESTION, "unknown_category")


def test_low_confidence_is_asked_and_recorded_on_yes(engine: Engine) -> None:
    u = user()
    unsure = send(engine, u, record("45", None, None, confidence=0.3))
    assert unsure.kind is ReplyKind.CONFIRM_REQUEST
    assert render_reply(unsure).startswith("🤔 Entendi assim:\n• R$ 45,00 · 29/11\n")
    with engine.connect() as conn:
        assert (
            conn.execute(
                text(
                    "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :u"
                ),
                {"u": u},
            ).scalar_one()
            == 0
        )
    yes = send(
        engine,
        u,
        Understanding(language="pt", intent=Intent.CONFIRM, confidence=0.9),
        at=NOW + dt.timedelta(minutes=1),
    )
    assert yes.kind is ReplyKind.RECORDED
    assert yes.transactions[0].amount == Decimal("45")
    with engine.connect() as conn:
        status = conn.execute(
            text("SELECT status, problem FROM captures WHERE id = :c"), {"c": unsure.capture_id}
        ).one()
    assert tuple(status) == ("recorded", None)
    again = send(
        engine,
        u,
        Understanding(language="pt", intent=Intent.CONFIRM, confidence=0.9),
        at=NOW + dt.timedelta(minutes=2),
    )
    assert again.kind is ReplyKind.NOTHING_TO_CONFIRM


def test_a_stale_question_is_not_confirmed(engine: Engine) -> None:
    u = user()
    send(engine, u, record("45", None, None, confidence=0.3))
    late = send(
        engine,
        u,
        Understanding(language="pt", intent=Intent.CONFIRM, confidence=0.9),
        at=NOW + dt.timedelta(days=2),
    )
    assert late.kind is ReplyKind.NOTHING_TO_CONFIRM


def test_small_talk_is_answered_and_nothing_recorded(engine: Engine) -> None:
    u = user()
    reply = send(engine, u, Understanding(language="en", intent=Intent.SMALL_TALK, confidence=0.9))
    assert reply.kind is ReplyKind.SMALL_TALK
    assert render_reply(reply).startswith("😊 I'm here!")


def test_income_query(engine: Engine) -> None:
    u = user()
    send(
        engine,
        u,
        Understanding(
            language="pt",
            intent=Intent.RECORD,
            confidence=0.9,
            transactions=(
                ProposedTransaction(kind=TransactionKind.INCOME, amount=Decimal(3000), category="salary"),
            ),
        ),
    )
    reply = send(
        engine,
        u,
        Understanding(
            language="pt",
            intent=Intent.QUERY,
            confidence=0.9,
            query=LedgerQuery(kind=TransactionKind.INCOME, period="this_month"),
        ),
    )
    assert render_reply(reply) == "💰 Receitas neste mês: R$ 3.000,00 (1 lançamento)"
