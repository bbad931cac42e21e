"""Questions the ledger answers (balance, last transactions, top categories, category groups) or
declines plainly (bills, charts), through the bus with the fake unit of work (budgets:
``test_budgets.py``).

GIVEN a ledger with transactions WHEN a question arrives as the edge reads it THEN the answer comes
from that ledger only, in its time zone, and what the ledger does not keep yet is said plainly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from financy.core.contracts.v1 import (
    BalanceRow,
    BudgetRequest,
    Intent,
    LedgerQuery,
    ReplyKind,
    ReplyV1,
    TransactionKind,
    Understanding,
    UnvaluedTotal,
)
from financy.core.domain.model import Role
from financy.core.service.messagebus import MessageBus
from tests.support.captures import NOW, dev_capture, entry, record, said
from tests.unit.bus import send
from tests.unit.fakes import Store

#: Sunday 2026-11-29 in São Paulo (NOW); the month began on the 1st.
TODAY = dt.date(2026, 11, 29)


def ask(bus: MessageBus, sender: str = "ana", chat: str | None = None, **query: object) -> ReplyV1:
    return send(
        bus, dev_capture(sender, said(Intent.QUERY, query=LedgerQuery.model_validate(query)), chat=chat)
    )


def spent(
    bus: MessageBus, amount: str, category: str, merchant: str, *, days_ago: int = 0, **kw: object
) -> None:
    reply = send(bus, dev_capture("ana", record(entry(amount, category, merchant, days_ago=days_ago, **kw))))
    assert reply.kind is ReplyKind.RECORDED


@pytest.fixture
def ledger(bus: MessageBus) -> MessageBus:
    """Ana's ledger: this month groceries 300 + 50, restaurants 120, fuel 200, salary 5000, a
    transfer 1000 and 20 USD of shopping; last month (40 days ago) restaurants 80, salary 4000."""
    spent(bus, "300", "groceries", "mercado", days_ago=3)
    spent(bus, "50", "groceries", "padaria", days_ago=1)
    spent(bus, "120", "restaurants", "ifood", days_ago=2)
    spent(bus, "200", "fuel", "posto", days_ago=5)
    spent(bus, "5000", "salary", "empresa", days_ago=4, kind=TransactionKind.INCOME)
    spent(bus, "1000", "transfer", "poupança", days_ago=4, kind=TransactionKind.TRANSFER)
    spent(bus, "20", "shopping", "amazon", currency="USD")
    spent(bus, "80", "restaurants", "bar", days_ago=40)
    spent(bus, "4000", "salary", "empresa", days_ago=40, kind=TransactionKind.INCOME)
    return bus


#: The US$ 20 has no FX rate in this ledger (the fake holds no rates): kept apart, never added.
USD_UNVALUED = (UnvaluedTotal(kind=TransactionKind.EXPENSE, currency="USD", total=Decimal("20.00"), count=1),)


def test_the_balance_is_income_minus_expenses_this_month_and_all_time_in_the_base_currency(
    ledger: MessageBus,
) -> None:
    reply = ask(ledger, ask="balance")
    assert reply.kind is ReplyKind.ANSWER
    assert reply.answer is not None
    assert reply.answer.balances == (
        BalanceRow(period="this_month", currency="BRL", income=Decimal("5000.00"), expenses=Decimal("670.00"),
                   balance=Decimal("4330.00")),
        BalanceRow(period="all", currency="BRL", income=Decimal("9000.00"), expenses=Decimal("750.00"),
                   balance=Decimal("8250.00")),
    )  # fmt: skip
    assert reply.answer.unvalued == USD_UNVALUED
    assert (reply.answer.date_from, reply.answer.date_to) == (dt.date(2026, 11, 1), TODAY)


def test_a_balance_of_all_time_has_no_second_set_of_rows(ledger: MessageBus) -> None:
    reply = ask(ledger, ask="balance", period="all")
    assert reply.answer is not None
    assert {(r.period, r.currency, r.balance) for r in reply.answer.balances} == {
        ("all", "BRL", Decimal("8250.00")),
    }
    assert reply.answer.unvalued == USD_UNVALUED


def test_the_last_transactions_are_newest_first_five_by_default(ledger: MessageBus) -> None:
    reply = ask(ledger, ask="recent", period="all", all_kinds=True)
    assert reply.answer is not None
    assert [(t.merchant, t.amount) for t in reply.answer.transactions] == [
        ("amazon", Decimal(20)),
        ("padaria", Decimal(50)),
        ("ifood", Decimal(120)),
        ("mercado", Decimal(300)),
        ("poupança", Decimal(1000)),  # same day as the salary, recorded after it
    ]
    assert reply.answer.count == 5
    assert reply.answer.transactions[1].category_name == "Mercado"


def test_the_last_expenses_keep_to_the_kind_the_number_and_the_category_asked(ledger: MessageBus) -> None:
    two = ask(ledger, ask="recent", period="all", limit=2)
    assert two.answer is not None
    assert [t.merchant for t in two.answer.transactions] == ["amazon", "padaria"]
    income = ask(ledger, ask="recent", period="all", kind="income")
    assert income.answer is not None
    assert [t.amount for t in income.answer.transactions] == [Decimal(5000), Decimal(4000)]
    groceries = ask(ledger, ask="recent", period="all", category="groceries")
    assert groceries.answer is not None
    assert [t.merchant for t in groceries.answer.transactions] == ["padaria", "mercado"]
    food = ask(
        ledger, ask="recent", period="this_month", group="food", categories=("groceries", "restaurants")
    )
    assert food.answer is not None
    assert [t.merchant for t in food.answer.transactions] == ["padaria", "ifood", "mercado"]


def test_the_top_categories_are_the_periods_largest_with_its_totals(ledger: MessageBus) -> None:
    reply = ask(ledger, ask="top_categories")
    assert reply.answer is not None
    assert [(r.category, r.currency, r.total, r.count) for r in reply.answer.top] == [
        ("groceries", "BRL", Decimal("350.00"), 2),
        ("fuel", "BRL", Decimal("200.00"), 1),
        ("restaurants", "BRL", Decimal("120.00"), 1),
    ]
    assert reply.answer.totals == (("BRL", Decimal("670.00")),)
    assert reply.answer.unvalued == USD_UNVALUED
    assert reply.answer.top[0].category_name == "Mercado"
    last_month = ask(ledger, ask="top_categories", period="last_month")
    assert last_month.answer is not None
    assert [(r.category, r.total) for r in last_month.answer.top] == [("restaurants", Decimal("80.00"))]


def test_a_group_sums_its_members(ledger: MessageBus) -> None:
    reply = ask(ledger, group="food", categories=("groceries", "restaurants"))
    assert reply.answer is not None
    assert reply.answer.totals == (("BRL", Decimal("470.00")),)
    assert reply.answer.count == 3
    assert reply.answer.category_name == "Mercado + Alimentação"
    transport = ask(ledger, group="transport", categories=("transport", "fuel"), period="all")
    assert transport.answer is not None
    assert transport.answer.totals == (("BRL", Decimal("200.00")),)


@pytest.mark.parametrize("topic", ["bills", "chart"])
def test_what_the_ledger_does_not_keep_is_answered_not_yet_and_kept_as_a_command(
    ledger: MessageBus, store: Store, topic: str
) -> None:
    before = len(store.transactions)
    reply = ask(ledger, ask=topic)
    assert (reply.kind, reply.problem, reply.answer) == (ReplyKind.NOT_YET, topic, None)
    assert len(store.transactions) == before
    kept = store.captures[reply.idempotency_key]
    assert (kept["status"], kept["problem"]) == ("command", None)


def test_the_card_bill_without_a_card_says_how_to_set_one_up_not_not_yet(
    ledger: MessageBus, store: Store
) -> None:
    reply = ask(ledger, ask="card_bill")
    assert (reply.kind, reply.problem, reply.card_bills, reply.answer) == (
        ReplyKind.CARD_BILL, "no_card", (), None,
    )  # fmt: skip
    kept = store.captures[reply.idempotency_key]
    assert (kept["status"], kept["problem"]) == ("command", None)


def test_a_budget_phrase_sets_a_budget_never_an_expense(bus: MessageBus, store: Store) -> None:
    budget = BudgetRequest(amount=Decimal(800), category="groceries")
    understanding = Understanding(language="pt", intent=Intent.BUDGET, confidence=0.9, budget=budget)
    reply = send(bus, dev_capture("ana", understanding))
    assert reply.kind is ReplyKind.BUDGET_SET
    assert [(b.category, b.amount, b.currency) for b in reply.budgets] == [("groceries", 800, "BRL")]
    assert store.transactions == []
    kept = store.captures[reply.idempotency_key]
    assert kept["status"] == "command"
    bare = send(bus, dev_capture("ana", said(Intent.BUDGET)))
    assert (bare.kind, bare.problem, bare.budgets) == (ReplyKind.QUESTION, "budget_no_amount", ())


def test_a_budget_question_is_answered_from_the_budgets(ledger: MessageBus) -> None:
    reply = ask(ledger, ask="budget")
    assert (reply.kind, reply.problem, reply.answer) == (ReplyKind.BUDGET_STATUS, "no_budget", None)


def test_only_members_read_the_ledger_and_a_viewer_may_ask(ledger: MessageBus, store: Store) -> None:
    """GIVEN Ana's chat WHEN Bob (no member) asks her balance THEN he is told and reads nothing;
    as a viewer of her ledger he gets the answer."""
    refused = ask(ledger, sender="bob", chat="ana", ask="recent", period="all")
    assert (refused.kind, refused.answer) == (ReplyKind.NOT_A_MEMBER, None)
    ana_context = store.transactions[0].context_id
    store.members[(ana_context, store.identities[("devchat", "bob")])] = Role.VIEWER
    allowed = ask(ledger, sender="bob", chat="ana", ask="balance", period="all")
    assert allowed.kind is ReplyKind.ANSWER
    assert allowed.answer is not None
    assert allowed.answer.balances[0].balance == Decimal("8250.00")


def test_answers_are_of_the_chats_ledger_only(ledger: MessageBus) -> None:
    """Carla has her own, empty ledger: nothing of Ana's shows."""
    reply = ask(ledger, sender="carla", ask="recent", period="all", all_kinds=True)
    assert reply.answer is not None
    assert (reply.answer.transactions, reply.answer.count) == ((), 0)
    top = ask(ledger, sender="carla", ask="top_categories")
    assert top.answer is not None
    assert top.answer.top == ()
    assert NOW.date() == TODAY
