"""The membership rule on the chat path, on a real PostgreSQL: a chat's ledger is its members' only.

GIVEN Ana's dev chat bound to her personal ledger, WHEN Bob names her chat id, THEN he is told he
is not a member, and nothing of Ana's ledger is read (no total) or written (no transaction, no
capture, no merchant memory); his messages are kept in his own ledger.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert, text

from financy.bots.common.render import render_reply
from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    LedgerQuery,
    ProposedTransaction,
    ReplyKind,
    Understanding,
)
from tests.support.captures import dev_capture
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration


def message(sender: str, chat: str, understanding: Understanding, message_id: str | None = None) -> CaptureV1:
    return dev_capture(sender, understanding, chat=chat, message_id=message_id, edge_id="edge-m")


def spend(amount: str, merchant: str = "mercado") -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(ProposedTransaction(amount=Decimal(amount), merchant=merchant, category="groceries"),),
        confidence=0.9,
    )


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def names() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"ana{tag}", f"bob{tag}"


def test_a_non_member_gets_a_clear_answer_and_the_ledger_is_untouched(engine: Engine) -> None:
    ana, bob = names()
    first = ingest(engine, message(ana, ana, spend("100")))
    assert first is not None
    assert first.kind is ReplyKind.RECORDED
    ana_context = scalar(engine, "SELECT context_id FROM chat_bindings WHERE chat_id = :c", c=ana)
    events_before = scalar(engine, "SELECT count(*) FROM events WHERE context_id = :x", x=ana_context)

    replies = [
        ingest(engine, message(bob, ana, spend("999"))),
        ingest(
            engine,
            message(
                bob,
                ana,
                Understanding(language="pt", intent=Intent.QUERY, confidence=0.9, query=LedgerQuery()),
            ),
        ),
        ingest(engine, message(bob, ana, Understanding(language="pt", intent=Intent.UNDO, confidence=0.9))),
        ingest(
            engine,
            message(
                bob,
                ana,
                Understanding(language="pt", intent=Intent.RECATEGORIZE, confidence=0.9, category="health"),
            ),
        ),
    ]
    for reply in replies:
        assert reply is not None
        assert reply.kind is ReplyKind.NOT_A_MEMBER
        assert reply.answer is None
        assert reply.transactions == ()
        assert render_reply(reply).startswith("🔒 Você não é membro do livro de contas desta conversa")

    assert scalar(engine, "SELECT count(*) FROM transactions WHERE context_id = :x", x=ana_context) == 1
    assert (
        scalar(engine, "SELECT status FROM transactions WHERE context_id = :x", x=ana_context) == "recorded"
    )
    assert (
        scalar(engine, "SELECT count(*) FROM merchant_categories WHERE context_id = :x", x=ana_context) == 0
    )
    assert scalar(engine, "SELECT count(*) FROM captures WHERE context_id = :x", x=ana_context) == 1
    # Not even an audit entry is written in Ana's ledger.
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM events WHERE context_id = :x",
            x=ana_context,
        )
        == events_before
    )
    # Bob's messages are kept, in his own ledger, waiting with the reason.
    kept = scalar(
        engine,
        "SELECT count(*) FROM captures c JOIN members m ON m.context_id = c.context_id"
        " AND m.user_id = c.author_id AND m.role = 'owner'"
        " WHERE c.chat_id = :c AND c.status = 'needs_review' AND c.problem = 'not_a_member'",
        c=ana,
    )
    assert kept == 4
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM members m JOIN channel_identities i ON i.user_id = m.user_id"
            " WHERE i.platform_user_id = :b AND m.context_id = :x",
            b=bob,
            x=ana_context,
        )
        == 0
    )


def test_a_refused_message_delivered_twice_is_kept_once(engine: Engine) -> None:
    ana, bob = names()
    ingest(engine, message(ana, ana, spend("1")))
    again = message(bob, ana, spend("2"), message_id="same")
    assert ingest(engine, again) is not None
    assert ingest(engine, again.model_copy(update={"capture_id": uuid.uuid4()})) is None
    assert (
        scalar(engine, "SELECT count(*) FROM captures WHERE chat_id = :c AND problem = 'not_a_member'", c=ana)
        == 1
    )


def test_members_by_role_in_a_shared_ledger(engine: Engine) -> None:
    """An editor records in the shared ledger; a viewer asks but cannot record."""
    ana, bob = names()
    ingest(engine, message(ana, ana, spend("100")))
    ingest(engine, message(bob, bob, Understanding(language="pt", intent=Intent.HELP, confidence=0.9)))
    ana_context = scalar(engine, "SELECT context_id FROM chat_bindings WHERE chat_id = :c", c=ana)
    bob_id = scalar(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :b", b=bob)
    with engine.begin() as conn:
        conn.execute(insert(orm.members).values(context_id=ana_context, user_id=bob_id, role="viewer"))
    denied = ingest(engine, message(bob, ana, spend("5")))
    assert denied is not None
    assert (denied.kind, denied.problem) == (ReplyKind.FORBIDDEN, "forbidden:record")
    total = ingest(
        engine,
        message(
            bob, ana, Understanding(language="pt", intent=Intent.QUERY, confidence=0.9, query=LedgerQuery())
        ),
    )
    assert total is not None
    assert total.answer is not None
    assert total.answer.totals == (("BRL", Decimal("100.00")),)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE members SET role = 'editor' WHERE context_id = :x AND user_id = :u"),
            {"x": ana_context, "u": bob_id},
        )
    recorded = ingest(engine, message(bob, ana, spend("5")))
    assert recorded is not None
    assert recorded.kind is ReplyKind.RECORDED
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM transactions WHERE context_id = :x AND author_id = :u",
            x=ana_context,
            u=bob_id,
        )
        == 1
    )
