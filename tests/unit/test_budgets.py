"""Budgets through the bus with the fake unit of work: set and replace by chat, rollover
arithmetic, spent on base amounts, thresholds alerting once, viewers refused, questions, /resumo.

GIVEN a ledger WHEN a budget phrase, an expense or a budget question arrives as the edge reads it
THEN the budget is kept once per category, group or ledger, measured on the month's base amounts,
and each 80 %/100 % crossing alerts exactly once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from financy.bots.common.render import render_reply
from financy.core.contracts.v1 import (
    BudgetRequest,
    Intent,
    LedgerQuery,
    ReplyKind,
    ReplyV1,
    Understanding,
)
from financy.core.domain.budgets import (
    Budget,
    BudgetNotFoundError,
    InvalidBudgetError,
    Spent,
    check_amount,
    parse_month,
    scope_of,
    status_of,
)
from financy.core.domain.commands import ChangeBudget, DeleteBudget, SaveBudget
from financy.core.domain.editing import RemoveSplit, SplitLine, SplitTransaction
from financy.core.domain.errors import ForbiddenError, NotAMemberError
from financy.core.domain.model import Role
from financy.core.service.budgeting import GROUPS, alert_ledger
from financy.core.service.messagebus import MessageBus
from tests.support.captures import NOW, dev_capture, entry, record, said
from tests.unit.bus import ingest, send
from tests.unit.fakes import Store

NOVEMBER = dt.date(2026, 11, 1)


def budget_phrase(amount: str | None, *, category: str | None = "groceries", **kw: object) -> Understanding:
    request = BudgetRequest.model_validate(
        {"amount": Decimal(amount) if amount else None, "category": category, **kw}
    )
    return Understanding(language="pt", intent=Intent.BUDGET, confidence=0.9, budget=request)


def set_by_chat(bus: MessageBus, amount: str | None, sender: str = "ana", **kw: object) -> ReplyV1:
    return send(bus, dev_capture(sender, budget_phrase(amount, **kw)))


def spend(
    bus: MessageBus, amount: str, category: str = "groceries", sender: str = "ana", **kw: object
) -> ReplyV1:
    return send(bus, dev_capture(sender, record(entry(amount, category, "loja", **kw))))


def budget(
    amount: str, *, rollover: bool = False, starts_on: dt.date = NOVEMBER, scope: str = "category"
) -> Budget:
    return Budget(
        id=uuid.uuid4(),
        context_id=uuid.uuid4(),
        scope=scope,  # type: ignore[arg-type]
        target="groceries" if scope == "category" else "",
        categories=("groceries",) if scope == "category" else (),
        amount=Decimal(amount),
        currency="BRL",
        rollover=rollover,
        starts_on=starts_on,
    )


# --------------------------------------------------------------------------- arithmetic


def test_a_month_without_rollover_is_the_amount_minus_its_own_spending() -> None:
    b = budget("800")
    rows = [Spent("groceries", Decimal("450"), 3), Spent("restaurants", Decimal("99"), 1)]
    status = status_of(b, dt.date(2026, 12, 15), rows, [Spent("groceries", Decimal("5000"), 9)])
    assert (status.month, status.carried, status.available) == (dt.date(2026, 12, 1), 0, Decimal("800.00"))
    assert (status.spent, status.left, status.percent, status.count) == (
        Decimal("450.00"),
        Decimal("350.00"),
        56,
        3,
    )
    assert status.reached() == ()


def test_rollover_carries_what_was_left_and_what_was_overspent() -> None:
    rolling = budget("500", rollover=True, starts_on=dt.date(2026, 9, 1))
    # September 300 and October 600 spent: carry = 2 × 500 − 900 = 100 into November.
    before = [Spent("groceries", Decimal("900"), 5), Spent(None, Decimal("70"), 1)]
    status = status_of(rolling, NOVEMBER, [Spent("groceries", Decimal("420"), 2)], before)
    assert (status.carried, status.available, status.left, status.percent) == (
        Decimal("100.00"), Decimal("600.00"), Decimal("180.00"), 70,
    )  # fmt: skip
    over = status_of(
        rolling, NOVEMBER, [Spent("groceries", Decimal("100"), 1)], [Spent("groceries", Decimal("1300"), 9)]
    )
    assert (over.carried, over.available, over.left) == (
        Decimal("-300.00"),
        Decimal("200.00"),
        Decimal("100.00"),
    )
    assert over.reached() == ()
    # The budget's first month has nothing to carry.
    first = status_of(rolling, dt.date(2026, 9, 30), [Spent("groceries", Decimal("400"), 1)], before)
    assert (first.carried, first.available, first.reached()) == (0, Decimal("500.00"), (80,))


def test_a_ledger_budget_counts_every_expense_and_thresholds_are_inclusive() -> None:
    whole = budget("1000", scope="ledger")
    rows = [Spent("groceries", Decimal("600"), 2), Spent(None, Decimal("400"), 1, unvalued=2)]
    status = status_of(whole, NOVEMBER, rows)
    assert (status.spent, status.left, status.percent, status.unvalued) == (Decimal("1000.00"), 0, 100, 2)
    assert status.reached() == (80, 100)


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [("0", "BRL", "amount"), ("-5", "BRL", "amount"), ("800.555", "BRL", "amount"), ("10.5", "JPY", "currency"),
     ("800", "USD", "currency")],
)  # fmt: skip
def test_bad_amounts_and_currencies_are_refused(amount: str, currency: str, field: str) -> None:
    with pytest.raises(InvalidBudgetError) as err:
        check_amount(Decimal(amount), currency, "BRL")
    assert err.value.field == field
    assert check_amount(Decimal("800.50"), "BRL", "BRL") == Decimal("800.50")
    with pytest.raises(InvalidBudgetError):
        check_amount(Decimal("10.5"), "JPY", "JPY")


def test_scopes_and_months() -> None:
    assert scope_of("groceries", None, GROUPS) == ("category", "groceries", ("groceries",))
    assert scope_of(None, "food", GROUPS) == ("group", "food", ("groceries", "restaurants"))
    assert scope_of(None, None, GROUPS) == ("ledger", "", ())
    for category, group in (("salary", None), ("nope", None), (None, "nope"), ("groceries", "food")):
        with pytest.raises(InvalidBudgetError):
            scope_of(category, group, GROUPS)
    assert parse_month("2026-02") == dt.date(2026, 2, 1)
    for bad in ("2026-13", "2026-2", "26-02", "2026-02-01", "abcd-ef"):
        with pytest.raises(InvalidBudgetError):
            parse_month(bad)


# --------------------------------------------------------------------------- chat: set and replace


def test_a_budget_phrase_sets_the_budget_with_this_months_spent_and_left(
    bus: MessageBus, store: Store
) -> None:
    spend(bus, "300")
    spend(bus, "120", "restaurants")
    reply = set_by_chat(bus, "800")
    assert (reply.kind, reply.problem) == (ReplyKind.BUDGET_SET, None)
    (status,) = reply.budgets
    assert (status.scope, status.category, status.amount, status.currency) == (
        "category",
        "groceries",
        800,
        "BRL",
    )
    assert (status.month, status.spent, status.left, status.percent) == (NOVEMBER, 300, 500, 37)
    assert len(store.transactions) == 2  # a budget is never an expense
    assert store.captures[reply.idempotency_key]["status"] == "command"
    assert [e.name for e in store.events if e.entity == "budget"] == ["budget.set"]
    text = render_reply(reply)
    assert text.startswith("🎯 Orçamento de R$ 800,00 por mês para Mercado.")
    assert "Este mês: R$ 300,00 de R$ 800,00 (37%) — restam R$ 500,00" in text


def test_a_second_phrase_replaces_the_budget_and_a_group_or_the_ledger_are_their_own(
    bus: MessageBus, store: Store
) -> None:
    set_by_chat(bus, "800")
    again = set_by_chat(bus, "650")
    assert (again.kind, again.problem, again.budgets[0].amount) == (ReplyKind.BUDGET_SET, "replaced", 650)
    assert len(store.budgets) == 1
    assert "atualizado" in render_reply(again)
    food = set_by_chat(bus, "1200", category=None, group="food", categories=("groceries", "restaurants"))
    whole = set_by_chat(bus, "3000", category=None)
    assert (food.budgets[0].scope, food.budgets[0].group) == ("group", "food")
    assert whole.budgets[0].scope == "ledger"
    assert sorted(b.scope for b in store.budgets.values()) == ["category", "group", "ledger"]


def test_a_viewer_is_refused_and_nothing_is_set(bus: MessageBus, store: Store) -> None:
    spend(bus, "10")
    context_id = store.transactions[0].context_id
    send(bus, dev_capture("bob", said(Intent.HELP)))
    store.members[(context_id, store.identities[("devchat", "bob")])] = Role.VIEWER
    reply = send(bus, dev_capture("bob", budget_phrase("800"), chat="ana"))
    assert (reply.kind, reply.problem) == (ReplyKind.FORBIDDEN, "forbidden:edit")
    assert store.budgets == {}
    store.members[(context_id, store.identities[("devchat", "bob")])] = Role.EDITOR
    assert send(bus, dev_capture("bob", budget_phrase("800"), chat="ana")).kind is ReplyKind.BUDGET_SET


@pytest.mark.parametrize(
    ("amount", "kw", "problem"),
    [(None, {}, "budget_no_amount"), ("800.555", {}, "budget_amount"),
     ("800", {"currency": "USD"}, "budget_currency:USD")],
)  # fmt: skip
def test_a_phrase_the_budget_cannot_come_from_is_asked_about(
    bus: MessageBus, store: Store, amount: str | None, kw: dict[str, object], problem: str
) -> None:
    reply = set_by_chat(bus, amount, **kw)
    assert (reply.kind, reply.problem) == (ReplyKind.QUESTION, problem)
    assert store.budgets == {}
    assert "orçamento" in render_reply(reply).lower()


# --------------------------------------------------------------------------- spent and alerts


def test_crossing_80_and_100_percent_alerts_once_each_in_the_reply(bus: MessageBus, store: Store) -> None:
    set_by_chat(bus, "100")
    assert spend(bus, "50").budget_alerts == ()
    crossed = spend(bus, "30")
    assert [(a.threshold, a.status.spent, a.status.left) for a in crossed.budget_alerts] == [(80, 80, 20)]
    assert "⚠️ Mercado já usou 80% do orçamento de 11/2026" in render_reply(crossed)
    assert spend(bus, "5").budget_alerts == ()
    assert spend(bus, "10", "restaurants").budget_alerts == ()  # another category
    over = spend(bus, "20")
    assert [(a.threshold, a.status.percent) for a in over.budget_alerts] == [(100, 105)]
    assert "🚨 Orçamento de Mercado estourado em 11/2026" in render_reply(over)
    assert spend(bus, "10").budget_alerts == ()
    assert len(store.budget_alerts) == 2


def test_an_expense_jumping_past_both_thresholds_alerts_once_and_setting_over_80_does_not_alert(
    bus: MessageBus, store: Store
) -> None:
    set_by_chat(bus, "100")
    jump = spend(bus, "120")
    assert [a.threshold for a in jump.budget_alerts] == [100]
    assert len(store.budget_alerts) == 2  # both claimed: neither alerts again this month
    spend(bus, "85", "restaurants")
    set_by_chat(bus, "100", category="restaurants")  # already at 85 %: the reply shows it
    assert spend(bus, "1", "restaurants").budget_alerts == ()
    assert [a.threshold for a in spend(bus, "14", "restaurants").budget_alerts] == [100]


def test_a_redelivered_capture_alerts_once(bus: MessageBus, store: Store) -> None:
    set_by_chat(bus, "100")
    cap = dev_capture("ana", record(entry("90", "groceries", "mercado")))
    first = send(bus, cap)
    assert [a.threshold for a in first.budget_alerts] == [80]
    outbox = len(store.outbox)
    assert ingest(bus, cap) is None
    assert len(store.outbox) == outbox
    assert len(store.budget_alerts) == 1


def test_a_recategorised_expense_can_cross_a_budget(bus: MessageBus) -> None:
    set_by_chat(bus, "100")
    spend(bus, "90", "shopping")
    moved = send(bus, dev_capture("ana", said(Intent.RECATEGORIZE, category="groceries")))
    assert moved.kind is ReplyKind.RECATEGORIZED
    assert [a.threshold for a in moved.budget_alerts] == [80]


def test_expenses_without_a_base_amount_are_counted_apart_never_summed(bus: MessageBus, store: Store) -> None:
    set_by_chat(bus, "100")
    spend(bus, "20", currency="USD")  # no FX rate here: base_amount stays None
    spend(bus, "30")
    status = send(
        bus, dev_capture("ana", said(Intent.QUERY, query=LedgerQuery(ask="budget", category="groceries")))
    )
    (b,) = status.budgets
    assert (b.spent, b.count, b.unvalued) == (30, 1, 1)
    assert "1 lançamento sem cotação não entrou" in render_reply(status)


def test_a_split_expense_counts_each_line_in_its_own_category(bus: MessageBus, store: Store) -> None:
    """GIVEN R$ 90 split into 50 of groceries and 40 of personal care WHEN the groceries budget is
    read THEN it spent 50, not 90; the personal-care share counts in its own category."""
    set_by_chat(bus, "100")
    spend(bus, "90")
    tx = store.transactions[-1]
    store.splits[tx.id] = [
        SplitLine("groceries", Decimal("50"), base_amount=Decimal("50")),
        SplitLine("personal_care", Decimal("40"), base_amount=Decimal("40")),
    ]
    ask = said(Intent.QUERY, query=LedgerQuery(ask="budget", category="groceries"))
    (b,) = send(bus, dev_capture("ana", ask)).budgets
    assert (b.spent, b.count) == (50, 1)
    with bus.uow_factory() as uow:
        spent = uow.budgets.spent(tx.context_id, date_from=NOVEMBER, date_to=NOW.date(), currency="BRL")
    assert sorted((s.category, s.total) for s in spent) == [("groceries", 50), ("personal_care", 40)]


def test_alerts_go_to_the_ledgers_other_chats_as_a_message(bus: MessageBus, store: Store) -> None:
    """GIVEN a family group's ledger that Ana's private chat was switched to WHEN her private
    expense crosses 80 % THEN her reply carries the alert and the group gets it as a message."""
    group = dev_capture("ana", said(Intent.HELP), chat="family")
    send(bus, group.model_copy(update={"chat_type": "group"}))
    switched = send(bus, dev_capture("ana", said(Intent.CONTEXTS, context_choice="Grupo")))
    assert switched.kind is ReplyKind.CONTEXT_SWITCHED
    set_by_chat(bus, "100")
    before = len(store.outbox)
    reply = spend(bus, "85")
    assert [a.threshold for a in reply.budget_alerts] == [80]
    sent = [ReplyV1.model_validate_json(p) for _, _, p in store.outbox[before:]]
    alerts = [r for r in sent if r.kind is ReplyKind.BUDGET_ALERT]
    assert [(r.chat_id, r.language, r.budget_alerts[0].threshold) for r in alerts] == [("family", "pt", 80)]
    assert [r.chat_id for r in sent if r.kind is ReplyKind.RECORDED] == ["ana"]
    assert render_reply(alerts[0]).startswith("⚠️ Mercado já usou 85% do orçamento de 11/2026")
    assert alerts[0].in_reply_to.startswith("budget:")  # not a message of the group's: nothing quoted


# --------------------------------------------------------------------------- questions and /resumo


def test_budget_questions_answer_spent_and_left(bus: MessageBus) -> None:
    spend(bus, "300")
    spend(bus, "100", "restaurants")
    none = send(
        bus, dev_capture("ana", said(Intent.QUERY, query=LedgerQuery(ask="budget", category="groceries")))
    )
    assert (none.kind, none.problem, none.budgets) == (ReplyKind.BUDGET_STATUS, "no_budget", ())
    assert render_reply(none).startswith("🎯 Não há orçamento para Mercado.")
    set_by_chat(bus, "800")
    set_by_chat(bus, "1000", category=None, group="food", categories=("groceries", "restaurants"))
    groceries = send(
        bus, dev_capture("ana", said(Intent.QUERY, query=LedgerQuery(ask="budget", category="groceries")))
    )
    assert [(b.category, b.left) for b in groceries.budgets] == [("groceries", 500)]
    food = LedgerQuery(ask="budget", group="food", categories=("groceries", "restaurants"))
    answer = send(bus, dev_capture("ana", said(Intent.QUERY, query=food)))
    assert [(b.group, b.spent, b.left) for b in answer.budgets] == [("food", 400, 600)]
    every = send(bus, dev_capture("ana", said(Intent.QUERY, query=LedgerQuery(ask="budget"))))
    assert [b.scope for b in every.budgets] == ["group", "category"]
    text = render_reply(every.model_copy(update={"language": "en"}))
    assert text.splitlines() == [
        "🎯 Budget · 11/2026",
        "Groceries + Restaurants: R$400.00 of R$1,000.00 (40%) — R$600.00 left",
        "🛒 Groceries: R$300.00 of R$800.00 (37%) — R$500.00 left",
    ]


def test_the_summary_shows_the_budget_lines(bus: MessageBus) -> None:
    spend(bus, "900")
    set_by_chat(bus, "800")
    reply = send(bus, dev_capture("ana", said(Intent.SUMMARY)))
    assert reply.summary is not None
    (b,) = reply.summary.budgets
    assert (b.spent, b.left) == (900, -100)
    lines = render_reply(reply).splitlines()
    assert lines[-2:] == ["🎯 Orçamentos:", "🛒 Mercado: R$ 900,00 de R$ 800,00 (112%) — ⚠️ R$ 100,00 acima"]


def test_the_tests_clock_is_in_november() -> None:
    assert NOW.date().replace(day=1) == NOVEMBER


def test_budget_replies_read_in_english_too(bus: MessageBus) -> None:
    spend(bus, "60")
    reply = set_by_chat(bus, "100")
    english = reply.model_copy(update={"language": "en"})
    assert render_reply(english).splitlines() == [
        "🎯 Budget of R$100.00 a month for Groceries.",
        "This month: R$60.00 of R$100.00 (60%) — R$40.00 left",
    ]
    crossed = spend(bus, "40")
    assert render_reply(crossed.model_copy(update={"language": "en"})).splitlines()[-1] == (
        "🚨 Groceries has used all of its 11/2026 budget: R$100.00 of R$100.00."
    )
    alert = crossed.model_copy(update={"language": "en", "kind": ReplyKind.BUDGET_ALERT, "transactions": ()})
    assert render_reply(alert) == "🚨 Groceries has used all of its 11/2026 budget: R$100.00 of R$100.00."
    assert render_reply(crossed).splitlines()[-1] == (
        "🚨 Orçamento de Mercado esgotado em 11/2026: R$ 100,00 de R$ 100,00."
    )
    none = send(bus, dev_capture("ana", said(Intent.QUERY, query=LedgerQuery(ask="budget", category="pets"))))
    assert render_reply(none.model_copy(update={"language": "en"})) == (
        "🎯 There is no budget for Pets. Set one with “budget 500 for groceries”."
    )


def test_a_rolling_budget_carries_across_months_and_turning_it_on_starts_the_carry(
    bus: MessageBus, store: Store
) -> None:
    """GIVEN a rolling R$ 500 groceries budget set in September WHEN 300 went in September and
    700 in October THEN November has 500 + (2 × 500 − 1000) = 500; 100 more in October carries
    −100 into November."""
    spend(bus, "300", days_ago=80)  # 2026-09-10
    spend(bus, "700", days_ago=45)  # 2026-10-15
    spend(bus, "50")
    context_id = store.transactions[0].context_id
    ana = store.identities[("devchat", "ana")]
    status, replaced = bus.handle(
        SaveBudget(
            context_id, ana, Decimal(500), category="groceries", rollover=True, today=dt.date(2026, 9, 5)
        )
    )
    assert (status.month, status.spent, replaced) == (dt.date(2026, 9, 1), 300, False)
    (november,) = send(bus, dev_capture("ana", said(Intent.QUERY, query=LedgerQuery(ask="budget")))).budgets
    assert (november.carried, november.available, november.spent, november.left) == (0, 500, 50, 450)
    spend(bus, "100", days_ago=44)  # October overspent by 300 in all: it carries
    (november,) = send(bus, dev_capture("ana", said(Intent.QUERY, query=LedgerQuery(ask="budget")))).budgets
    assert (november.carried, november.available, november.left) == (-100, 400, 350)
    # Turning rolling over off and on again starts the carry this month.
    bus.handle(ChangeBudget(context_id, status.budget_id, ana, rollover=False, today=dt.date(2026, 11, 29)))
    changed = bus.handle(
        ChangeBudget(context_id, status.budget_id, ana, rollover=True, today=dt.date(2026, 11, 29))
    )
    assert (changed.carried, changed.available, changed.rollover) == (0, 500, True)
    with pytest.raises(InvalidBudgetError):
        bus.handle(ChangeBudget(context_id, status.budget_id, ana, amount=Decimal(0)))
    assert store.budgets[status.budget_id].amount == 500


def test_api_commands_check_the_role_and_the_ledger(bus: MessageBus, store: Store) -> None:
    spend(bus, "10")
    send(bus, dev_capture("bob", said(Intent.HELP)))
    context_id = store.transactions[0].context_id
    bob = store.identities[("devchat", "bob")]
    with pytest.raises(NotAMemberError):
        bus.handle(SaveBudget(context_id, bob, Decimal(100)))
    store.members[(context_id, bob)] = Role.VIEWER
    with pytest.raises(ForbiddenError):
        bus.handle(SaveBudget(context_id, bob, Decimal(100)))
    assert store.budgets == {}
    store.members[(context_id, bob)] = Role.EDITOR
    made, _ = bus.handle(SaveBudget(context_id, bob, Decimal(100)))
    with pytest.raises(BudgetNotFoundError):
        bus.handle(ChangeBudget(context_id, uuid.uuid4(), bob, amount=Decimal(5)))
    bus.handle(DeleteBudget(context_id, made.budget_id, bob))
    assert store.budgets == {}
    with pytest.raises(BudgetNotFoundError):
        bus.handle(DeleteBudget(context_id, made.budget_id, bob))


def test_an_expense_changed_outside_a_chat_alerts_every_chat_of_the_ledger(
    bus: MessageBus, store: Store
) -> None:
    """GIVEN an expense changed by the API (no capture) WHEN it crosses 80 % THEN the ledger's
    chat gets a BUDGET_ALERT message, once."""
    set_by_chat(bus, "100")
    spend(bus, "79")
    spend(bus, "5", "restaurants")
    moved = store.transactions[-1]
    context = store.contexts[moved.context_id]
    for _ in range(2):
        with bus.uow_factory() as uow:
            uow.transactions.set_category(moved.id, "groceries")
            alert_ledger(uow, context, [moved.id])
            uow.commit()
    sent = [ReplyV1.model_validate_json(p) for _, _, p in store.outbox]
    alerts = [r for r in sent if r.kind is ReplyKind.BUDGET_ALERT]
    assert [(r.chat_id, r.budget_alerts[0].threshold, r.in_reply_to[:7]) for r in alerts] == [
        ("ana", 80, "budget:")
    ]


def test_a_split_expense_counts_each_line_in_its_categorys_budget_and_alerts_by_the_line(
    bus: MessageBus, store: Store
) -> None:
    """GIVEN budgets of 100 for groceries and 50 for personal care WHEN a R$ 100 restaurant bill
    is split 60 / 40 THEN each budget spends its line, personal care crosses 80 % (40 of 50) and
    alerts; a new split 85 / 15 crosses groceries; the whole stays in every total not by category;
    unsplit, it is the restaurant's again."""
    set_by_chat(bus, "100")
    set_by_chat(bus, "50", category="personal_care")
    assert spend(bus, "100", "restaurants").budget_alerts == ()
    tx = store.transactions[-1]
    ana = store.identities[("devchat", "ana")]

    def split(*lines: tuple[str, str]) -> list[tuple[str, int]]:
        before = len(store.outbox)
        bus.handle(
            SplitTransaction(tx.context_id, ana, tx.id, tuple(SplitLine(c, Decimal(a)) for c, a in lines))
        )
        sent = [ReplyV1.model_validate_json(p) for _, _, p in store.outbox[before:]]
        return [
            (a.status.category, a.threshold)
            for r in sent
            if r.kind is ReplyKind.BUDGET_ALERT
            for a in r.budget_alerts
        ]

    def spent() -> dict[str | None, Decimal]:
        with bus.uow_factory() as uow:
            found = uow.budgets.spent(
                tx.context_id, date_from=NOVEMBER, date_to=dt.date(2026, 11, 30), currency="BRL"
            )
        return {s.category: s.total for s in found}

    def by_category() -> dict[str | None, Decimal]:
        with bus.uow_factory() as uow:
            lines = uow.transactions.summary(tx.context_id, date_from=None, date_to=None)
        return {line.category: line.total for line in lines}

    assert split(("groceries", "60"), ("personal_care", "40")) == [("personal_care", 80)]
    assert spent() == {"groceries": Decimal(60), "personal_care": Decimal(40)}
    assert by_category() == {"groceries": Decimal(60), "personal_care": Decimal(40)}
    with bus.uow_factory() as uow:
        asked = uow.transactions.totals(
            tx.context_id, kind="expense", date_from=None, date_to=None, category="groceries", merchant=None
        )
        whole = uow.transactions.totals(
            tx.context_id, kind="expense", date_from=None, date_to=None, category=None, merchant=None
        )
    assert [(t.total, t.count) for t in asked] == [(Decimal(60), 1)]
    assert [t.total for t in whole] == [Decimal(100)]
    assert split(("groceries", "85"), ("personal_care", "15")) == [("groceries", 80)]
    assert spent() == {"groceries": Decimal(85), "personal_care": Decimal(15)}
    bus.handle(RemoveSplit(tx.context_id, ana, tx.id))
    assert spent() == by_category() == {"restaurants": Decimal(100)}
