"""Cards from a chat through the bus with the fake unit of work: set one up, record "em 10x no
cartão", then "/fatura" shows the bill not yet due, the open one and the next ones, to the cent.

NOW is Sunday 2026-11-29 in São Paulo: with closing day 5 and due day 12 the open bill closes on
5 December (due on the 12th); the one that closed on 5 November was due on 12 November.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from financy.core.contracts.v1 import (
    CardRequest,
    Intent,
    LedgerQuery,
    ReplyKind,
    ReplyV1,
    TransactionKind,
)
from financy.core.domain.model import Role
from financy.core.service.messagebus import MessageBus
from tests.support.captures import dev_capture, entry, record, said
from tests.unit.bus import send
from tests.unit.fakes import Store

D = dt.date


def set_card(bus: MessageBus, sender: str = "ana", **card: object) -> ReplyV1:
    return send(
        bus, dev_capture(sender, said(Intent.CARD, card=CardRequest.model_validate(card) if card else None))
    )


def fatura(bus: MessageBus, sender: str = "ana") -> ReplyV1:
    return send(bus, dev_capture(sender, said(Intent.QUERY, query=LedgerQuery(ask="card_bill"))))


def test_a_card_is_set_up_and_is_the_ledgers_default(bus: MessageBus, store: Store) -> None:
    reply = set_card(bus, name="Nubank", closing_day=5, due_day=12)
    assert (reply.kind, reply.problem) == (ReplyKind.CARD_SET, None)
    (card,) = reply.cards
    assert (card.name, card.closing_day, card.due_day, card.is_default) == ("Nubank", 5, 12, True)
    again = set_card(bus, name="nubank", closing_day=6, due_day=13)
    assert (again.problem, again.cards[0].card_id, again.cards[0].closing_day) == (
        "replaced",
        card.card_id,
        6,
    )
    other = set_card(bus, name="Inter", closing_day=1, due_day=8)
    assert other.cards[0].is_default is False
    assert [e.name for e in store.events if e.name == "card.set"] == ["card.set"] * 3


def test_a_card_message_that_says_too_little_is_answered_how(bus: MessageBus, store: Store) -> None:
    assert set_card(bus).problem == "card_how"
    assert set_card(bus, name="Nubank").problem == "card_days"
    assert store.cards == {}


def test_a_viewer_may_not_set_up_a_card(bus: MessageBus, store: Store) -> None:
    owner = set_card(bus, name="Nubank", closing_day=5, due_day=12)
    assert owner.kind is ReplyKind.CARD_SET
    context_id = next(iter(store.contexts))
    send(bus, dev_capture("bia", record(entry("1"))))  # bia's own ledger
    bia = next(u for (platform, user), u in store.identities.items() if user == "bia")
    store.members[(context_id, bia)] = Role.VIEWER
    store.bindings[("devchat", "bia")] = context_id
    refused = set_card(bus, "bia", name="Inter", closing_day=1, due_day=8)
    assert (refused.kind, refused.problem) == (ReplyKind.FORBIDDEN, "forbidden:edit")
    assert [c.name for c in store.cards.values()] == ["Nubank"]


def test_ten_instalments_on_the_card_show_in_the_open_bill_and_the_next_ones(
    bus: MessageBus, store: Store
) -> None:
    set_card(bus, name="Nubank", closing_day=5, due_day=12)
    tv = entry("2000", "shopping", "tv", payment_method="credit", installments=10)
    recorded = send(bus, dev_capture("ana", record(tv)))
    assert recorded.kind is ReplyKind.RECORDED
    (purchase,) = store.transactions
    assert (purchase.money.amount, purchase.occurred_on, purchase.installments) == (
        Decimal("2000"),
        D(2026, 11, 29),
        10,
    )
    assert [(p.number, p.of, p.amount, p.bill_month) for p in store.postings][:3] == [
        (1, 10, Decimal("200.00"), D(2026, 12, 1)),
        (2, 10, Decimal("200.00"), D(2027, 1, 1)),
        (3, 10, Decimal("200.00"), D(2027, 2, 1)),
    ]
    assert store.postings[-1].bill_month == D(2027, 9, 1)
    send(
        bus,
        dev_capture(
            "ana", record(entry("100", "restaurants", "ifood", payment_method="credit", installments=3))
        ),
    )
    send(bus, dev_capture("ana", record(entry("50", "groceries", "mercado"))))  # not on the card

    reply = fatura(bus)
    assert (reply.kind, reply.problem) == (ReplyKind.CARD_BILL, None)
    assert [(b.status, b.closing_on, b.due_on, b.total, b.count) for b in reply.card_bills] == [
        ("open", D(2026, 12, 5), D(2026, 12, 12), Decimal("233.34"), 2),
        ("future", D(2027, 1, 5), D(2027, 1, 12), Decimal("233.33"), 2),
        ("future", D(2027, 2, 5), D(2027, 2, 12), Decimal("233.33"), 2),
        ("future", D(2027, 3, 5), D(2027, 3, 12), Decimal("200.00"), 1),
        ("future", D(2027, 4, 5), D(2027, 4, 12), Decimal("200.00"), 1),
        ("future", D(2027, 5, 5), D(2027, 5, 12), Decimal("200.00"), 1),
        ("future", D(2027, 6, 5), D(2027, 6, 12), Decimal("200.00"), 1),
        ("future", D(2027, 7, 5), D(2027, 7, 12), Decimal("200.00"), 1),
        ("future", D(2027, 8, 5), D(2027, 8, 12), Decimal("200.00"), 1),
        ("future", D(2027, 9, 5), D(2027, 9, 12), Decimal("200.00"), 1),
    ]
    first = reply.card_bills[0]
    assert [(line.merchant, line.number, line.of, line.amount, line.currency) for line in first.lines] == [
        ("tv", 1, 10, Decimal("200.00"), "BRL"),
        ("ifood", 1, 3, Decimal("33.34"), "BRL"),
    ]
    assert first.card_name == "Nubank"


def test_a_card_purchase_without_a_card_gets_no_postings_and_income_never_does(
    bus: MessageBus, store: Store
) -> None:
    send(
        bus,
        dev_capture("ana", record(entry("2000", "shopping", "tv", payment_method="credit", installments=10))),
    )
    assert store.postings == []
    set_card(bus, name="Nubank", closing_day=5, due_day=12)
    refund = entry("30", "other_income", "estorno", payment_method="credit", kind=TransactionKind.INCOME)
    send(bus, dev_capture("ana", record(refund)))
    assert store.postings == []


def test_an_undone_purchase_leaves_the_bill(bus: MessageBus, store: Store) -> None:
    set_card(bus, name="Nubank", closing_day=5, due_day=12)
    send(bus, dev_capture("ana", record(entry("90", "shopping", "loja", payment_method="credit"))))
    assert fatura(bus).card_bills[0].total == Decimal("90.00")
    send(bus, dev_capture("ana", said(Intent.UNDO)))
    bills = fatura(bus).card_bills
    assert [(b.status, b.total, b.lines) for b in bills] == [("open", Decimal("0.00"), ())]
