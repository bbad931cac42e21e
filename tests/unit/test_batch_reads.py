"""The batch look-ups of the repositories (fake unit of work), and the bus running a raced batch again.

Each batch method must answer as its single look-up does (the SQL ones are held to the same in
``tests/integration/test_ingest_batching.py``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import ClassVar

import pytest

from financy.core.contracts.v1 import (
    BudgetRequest,
    CaptureV1,
    Intent,
    ProposedTransaction,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.domain.commands import Command
from financy.core.service.bootstrap import bootstrap
from financy.core.service.handlers import command_for
from financy.core.service.intake import chat_message
from financy.core.service.messagebus import CLAIM_ATTEMPTS, MessageBus
from financy.core.service.unit_of_work import AmountsQuery, CaptureClaim, ConcurrentClaimError
from tests.unit.bus import send
from tests.unit.fakes import FakeUnitOfWork, Store

AT = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def capture(chat: str, n: int, understanding: Understanding) -> CaptureV1:
    return CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("devchat", chat, str(n)),
        edge_id="edge-a",
        platform="devchat",
        chat_id=chat,
        message_id=str(n),
        sender=Sender(platform_user_id=chat),
        received_at=AT + dt.timedelta(minutes=n),
        text=f"message {n}",
        understanding=understanding,
    )


def spend(amount: str, merchant: str | None = "Padaria", category: str = "groceries") -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(ProposedTransaction(amount=Decimal(amount), merchant=merchant, category=category),),
        confidence=0.9,
    )


def said(intent: Intent, **kw: object) -> Understanding:
    return Understanding.model_validate({"language": "pt", "intent": intent, "confidence": 0.9, **kw})


@pytest.fixture
def filled(bus: MessageBus) -> MessageBus:
    """Two chats: "a" with bakery history, Uber remembered as travel and a groceries budget; "b" one record."""
    for n, amount in enumerate(["10", "12", "11"], start=1):
        send(bus, capture("a", n, spend(amount)))
    send(bus, capture("a", 4, spend("30", merchant="Uber", category="transport")))
    send(bus, capture("a", 5, said(Intent.RECATEGORIZE, category="travel")))
    send(
        bus,
        capture("a", 6, said(Intent.BUDGET, budget=BudgetRequest(amount=Decimal(100), category="groceries"))),
    )
    send(bus, capture("b", 1, spend("5", merchant=None, category="transport")))
    return bus


def test_batch_look_ups_answer_as_the_single_ones(filled: MessageBus, store: Store) -> None:
    """GIVEN two ledgers WHEN each batch look-up asks about both (and about what is unknown)
    THEN every answer is the single look-up's."""
    with FakeUnitOfWork(store) as uow:
        keys = [("devchat", c, c) for c in ("a", "b", "z")]
        senders = uow.contexts.known_senders(keys)
        assert set(senders) == set(keys[:2])
        for key in keys[:2]:
            assert senders[key] == uow.contexts.known_sender(*key)
        a, b = (senders[k].context.id for k in keys[:2])
        queries = [
            AmountsQuery(a, "expense", "BRL", merchant="PADARIA"),
            AmountsQuery(a, "expense", "BRL", category="groceries", limit=2),
            AmountsQuery(b, "expense", "BRL", category="transport"),
            AmountsQuery(b, "expense", "BRL"),
        ]
        amounts = uow.transactions.recent_amounts_many(queries)
        assert amounts[queries[0]] == [Decimal(11), Decimal(12), Decimal(10)]
        assert amounts[queries[1]] == [Decimal(11), Decimal(12)]
        assert amounts[queries[3]] == []
        for q in queries:
            single = uow.transactions.recent_amounts(
                q.context_id,
                kind=q.kind,
                currency=q.currency,
                merchant=q.merchant,
                category=q.category,
                limit=q.limit,
            )
            assert amounts[q] == single
        assert uow.categories.remembered_many({a: ["uber", "padaria"], b: ["uber"]}) == {
            a: {"uber": "travel"},
            b: {},
        }
        budgets = uow.budgets.of_contexts([a, b])
        assert budgets == {a: uow.budgets.of_context(a), b: []}
        assert [x.target for x in budgets[a]] == ["groceries"]


def test_claim_many_and_taken(store: Store, filled: MessageBus) -> None:
    """GIVEN a kept capture WHEN claim_many it and a new one THEN only the new one is kept;
    taken names both; the same key twice is refused."""
    with FakeUnitOfWork(store) as uow:
        scope = uow.contexts.known_sender("devchat", "a", "a")
        assert scope is not None
        kept, new = chat_message(capture("a", 1, spend("10"))), chat_message(capture("a", 99, spend("1")))
        claims = [
            CaptureClaim(m, scope.context.id, scope.user_id, "pt", "recorded", None) for m in (kept, new)
        ]
        assert uow.captures.taken([kept.idempotency_key, new.idempotency_key]) == {kept.idempotency_key}
        assert uow.captures.claim_many(claims) == {new.idempotency_key}
        assert uow.captures.taken([new.idempotency_key, "nothing"]) == {new.idempotency_key}
        with pytest.raises(ValueError, match="distinct"):
            uow.captures.claim_many([claims[0], claims[0]])


class RacedUnitOfWork(FakeUnitOfWork):
    """A fake unit of work whose first ``races`` commits find a claim taken meanwhile."""

    runs: ClassVar[list[int]] = []
    expected: ClassVar[list[int]] = []

    def __init__(self, store: Store, races: int) -> None:
        super().__init__(store)
        self.races = races

    def expect(self, commands: Sequence[Command]) -> None:
        RacedUnitOfWork.expected.append(len(commands))

    def commit(self) -> None:
        RacedUnitOfWork.runs.append(1)
        if len(RacedUnitOfWork.runs) <= self.races:
            raise ConcurrentClaimError("devchat:a:7")
        super().commit()


def test_a_raced_batch_runs_again_and_gives_up_after_the_attempts(store: Store) -> None:
    """GIVEN a unit of work whose claim is raced once WHEN a batch is handled THEN it runs again
    (told the commands each time) and commits once; raced every time, the error propagates
    after CLAIM_ATTEMPTS runs and nothing is committed."""
    RacedUnitOfWork.runs, RacedUnitOfWork.expected = [], []
    bus = bootstrap(uow_factory=lambda: RacedUnitOfWork(store, races=1))
    batch = [command_for(capture("a", n, spend("10"))) for n in (1, 2)]
    result = bus.handle_many(batch)
    assert [r is not None for r in result.results] == [True, True]
    assert len(RacedUnitOfWork.runs) == 2
    assert RacedUnitOfWork.expected == [2, 2]
    assert len(store.captures) == 2

    RacedUnitOfWork.runs = []
    always = bootstrap(uow_factory=lambda: RacedUnitOfWork(store, races=CLAIM_ATTEMPTS))
    with pytest.raises(ConcurrentClaimError):
        always.handle_many([command_for(capture("a", 3, spend("10")))])
    assert len(RacedUnitOfWork.runs) == CLAIM_ATTEMPTS
    assert len(store.captures) == 2
