"""The month at a glance, the category list and edited messages, through the bus (no database).

GIVEN a chat's ledger with transactions, WHEN the user asks "/resumo", THEN this month's recorded
expenses come by category with the totals; WHEN they edit a message, THEN what it recorded changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ReplyKind,
    SummaryRow,
    Understanding,
)
from financy.core.domain.commands import (
    AmendCapture,
    ListCategories,
    RecordTransactions,
    ShowSummary,
    UndoLast,
)
from financy.core.domain.model import CaptureStatus, TransactionStatus
from financy.core.service.handlers import command_for
from financy.core.service.messagebus import MessageBus
from tests.support.captures import NOW, dev_capture, entry, record, said
from tests.support.groups import group_message, person
from tests.unit.bus import send
from tests.unit.fakes import Store


def message(
    understanding: Understanding, message_id: str | None = None, amends: str | None = None
) -> CaptureV1:
    cap = dev_capture("ana", understanding, message_id=message_id, name="Ana")
    return cap.model_copy(update={"amends": amends}) if amends else cap


# --------------------------------------------------------------------------- summary and categories


def test_the_summary_is_this_month_by_category_without_reversed_or_other_months(
    bus: MessageBus, store: Store
) -> None:
    # Sunday the 29th has no ECB rate: Friday the 27th's values the US$ 5 (5 × 6.05 / 1.10 = R$ 27,50).
    store.fx_rates[("ecb", "USD", dt.date(2026, 11, 27))] = Decimal("1.1")
    store.fx_rates[("ecb", "BRL", dt.date(2026, 11, 27))] = Decimal("6.05")
    send(bus, message(record(entry("100.50"), entry("20", "restaurants", "padaria"))))
    send(bus, message(record(entry("49.50"))))
    send(bus, message(record(entry("5", "transport", "metro", currency="USD"))))
    send(bus, message(record(entry("3000", "salary", "empresa", kind="income"))))
    send(bus, message(record(entry("999", "health", "farmacia", occurred_on=dt.date(2026, 10, 31)))))
    send(bus, message(record(entry("77", "shopping", "loja"))))
    assert send(bus, message(said(Intent.UNDO))).kind is ReplyKind.UNDONE  # the 77 is reversed

    reply = send(bus, message(said(Intent.SUMMARY)))

    assert reply.kind is ReplyKind.SUMMARY
    summary = reply.summary
    assert summary is not None
    assert (summary.date_from, summary.date_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 29))
    assert summary.context_name == "Ana"
    assert summary.rows == (
        SummaryRow(
            category="groceries", category_name="Mercado", currency="BRL", total=Decimal("150.00"), count=2
        ),
        SummaryRow(
            category="transport", category_name="Transporte", currency="BRL", total=Decimal("27.50"), count=1
        ),
        SummaryRow(
            category="restaurants",
            category_name="Alimentação",
            currency="BRL",
            total=Decimal("20.00"),
            count=1,
        ),
    )
    assert summary.expense_totals == (("BRL", Decimal("197.50")),)
    assert summary.unvalued == ()
    assert summary.income_totals == (("BRL", Decimal("3000.00")),)
    assert all(row.budget is None for row in summary.rows)


def test_the_summary_of_an_empty_month_and_the_category_list(bus: MessageBus, store: Store) -> None:
    empty = send(bus, message(said(Intent.SUMMARY)))
    assert empty.summary is not None
    assert (empty.summary.rows, empty.summary.expense_totals, empty.summary.income_totals) == ((), (), ())
    categories = send(bus, message(said(Intent.CATEGORIES)))
    assert categories.kind is ReplyKind.CATEGORIES
    assert {c["status"] for c in store.captures.values()} == {CaptureStatus.COMMAND.value}
    assert type(command_for(message(said(Intent.SUMMARY)))) is ShowSummary
    assert type(command_for(message(said(Intent.CATEGORIES)))) is ListCategories


# --------------------------------------------------------------------------- edited messages


def test_an_edit_with_the_same_count_changes_the_transactions_in_place(bus: MessageBus, store: Store) -> None:
    send(bus, message(record(entry("45.90"), entry("10", "restaurants", "padaria")), message_id="m1"))
    ids = [tx.id for tx in store.transactions]
    edit = message(
        record(entry("54.90", days_ago=1), entry("12", "restaurants", "padaria", currency="USD")),
        message_id="m1-edit-1",
        amends="m1",
    )
    assert type(command_for(edit)) is AmendCapture

    reply = send(bus, edit)

    assert reply.kind is ReplyKind.AMENDED
    assert [t.transaction_id for t in reply.transactions] == ids
    assert [(t.amount, t.currency, t.occurred_on) for t in reply.transactions] == [
        (Decimal("54.90"), "BRL", dt.date(2026, 11, 28)),
        (Decimal("12"), "USD", dt.date(2026, 11, 29)),
    ]
    assert [(tx.id, tx.money.amount, tx.status) for tx in store.transactions] == [
        (ids[0], Decimal("54.90"), TransactionStatus.RECORDED),
        (ids[1], Decimal("12"), TransactionStatus.RECORDED),
    ]
    amended = [e for e in store.events if e.name == "transaction.amended"]
    assert [(e.entity_id, e.before, e.after) for e in amended] == [
        (
            ids[0],
            {"amount": Decimal("45.90"), "occurred_on": NOW.date()},
            {"amount": Decimal("54.90"), "occurred_on": dt.date(2026, 11, 28)},
        ),
        (ids[1], {"amount": Decimal("10"), "currency": "BRL"}, {"amount": Decimal("12"), "currency": "USD"}),
    ]
    # A second edit of the same message finds the same transactions.
    again = send(bus, message(record(entry("60"), entry("12")), message_id="m1-edit-2", amends="m1"))
    assert [t.transaction_id for t in again.transactions] == ids
    assert len(store.transactions) == 2


def test_an_edit_with_another_count_reverses_the_old_and_records_the_new(
    bus: MessageBus, store: Store
) -> None:
    send(bus, message(record(entry("45.90")), message_id="m1"))
    (old,) = store.transactions
    reply = send(
        bus, message(record(entry("30"), entry("15", "restaurants", "padaria")), message_id="e1", amends="m1")
    )
    assert reply.kind is ReplyKind.AMENDED
    assert [t.amount for t in reply.transactions] == [Decimal("30"), Decimal("15")]
    assert [(tx.id == old.id, tx.status) for tx in store.transactions] == [
        (True, TransactionStatus.REVERSED),
        (False, TransactionStatus.RECORDED),
        (False, TransactionStatus.RECORDED),
    ]
    # The new ones belong to the original message, so the next edit amends them in place.
    assert {tx.capture_id for tx in store.transactions} == {old.capture_id}
    third = send(bus, message(record(entry("31"), entry("16")), message_id="e2", amends="m1"))
    assert [t.transaction_id for t in third.transactions] == [tx.id for tx in store.transactions[1:]]


def test_an_edit_of_an_unknown_message_is_recorded_as_a_new_one(bus: MessageBus, store: Store) -> None:
    reply = send(bus, message(record(entry("45.90")), message_id="e1", amends="never-seen"))
    assert reply.kind is ReplyKind.RECORDED
    (tx,) = store.transactions
    assert tx.money.amount == Decimal("45.90")


def test_an_edit_that_gives_the_missing_amount_records_it_and_closes_the_question(
    bus: MessageBus, store: Store
) -> None:
    asked = send(bus, message(record(problem="no_amount"), message_id="m1"))
    assert asked.kind is ReplyKind.QUESTION
    reply = send(bus, message(record(entry("20")), message_id="e1", amends="m1"))
    assert reply.kind is ReplyKind.RECORDED
    original = store.captures["devchat:ana:m1"]
    assert original["status"] == CaptureStatus.RECORDED.value
    assert [tx.capture_id for tx in store.transactions] == [original["id"]]


def test_an_edit_that_is_not_a_record_is_handled_as_a_new_message(bus: MessageBus) -> None:
    send(bus, message(record(entry("45.90")), message_id="m1"))
    assert type(command_for(message(said(Intent.UNDO), amends="m1"))) is UndoLast
    assert type(command_for(message(record(entry("1"))))) is RecordTransactions


def test_an_edit_naming_someone_elses_message_amends_nothing(bus: MessageBus, store: Store) -> None:
    def in_group(
        who: str, understanding: Understanding, message_id: str, amends: str | None = None
    ) -> CaptureV1:
        cap = group_message(person(who), "-1001", understanding, message_id=message_id)
        return cap.model_copy(update={"amends": amends}) if amends else cap

    send(bus, in_group("ana", record(entry("45.90")), "m1"))
    send(bus, in_group("carol", record(entry("3")), "c1"))  # Carol writes in the group too: an editor
    (ana_tx, _) = store.transactions
    events = len(store.events)

    forged = send(bus, in_group("carol", record(entry("0.01"), entry("999")), "c1-edit", amends="m1"))

    assert (forged.kind, forged.problem) == (ReplyKind.FORBIDDEN, "forbidden:amend")
    assert store.transactions[0] == ana_tx
    assert [tx.status for tx in store.transactions] == [TransactionStatus.RECORDED] * 2
    assert len(store.transactions) == 2
    edit = store.captures["telegram:-1001:c1-edit"]
    assert (edit["status"], edit["problem"]) == (CaptureStatus.NEEDS_REVIEW.value, "forbidden:amend")
    assert not [e for e in store.events[events:] if e.name.startswith("transaction.")]
    # Ana's own edit of it still amends it.
    mine = send(bus, in_group("ana", record(entry("54.90")), "m1-edit", amends="m1"))
    assert mine.kind is ReplyKind.AMENDED
    assert store.transactions[0].money.amount == Decimal("54.90")
