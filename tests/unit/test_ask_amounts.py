"""Missing and unusual amounts in the core, over the fake unit of work.

GIVEN a message without an amount, THEN it is kept for review and the question names what was
bought; GIVEN the answer the edge joined to it (``completes``), THEN one transaction is recorded
and the question closed; GIVEN an expense far above the ledger's history at that merchant or in
that category, THEN it is shown and asked about, and recorded only on "sim".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

from financy.bots.common.render import CATEGORY_NAMES, render_reply
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    ReplyKind,
    TransactionKind,
    Understanding,
)
from financy.core.domain.model import CaptureStatus, TransactionStatus
from financy.core.domain.unusual import MADS, MIN_HISTORY, RATIO, is_unusual, usual_range
from financy.core.service.messagebus import MessageBus
from tests.support.captures import NOW, dev_capture, entry, record, said
from tests.support.groups import channel, chat_event, group_message, person
from tests.unit.bus import send
from tests.unit.fakes import Store

BAKERY = ("8", "12", "15", "20", "10", "9")


def message(
    understanding: Understanding,
    *,
    at: dt.datetime = NOW,
    sender: str = "ana",
    text: str = "…",
    completes: uuid.UUID | None = None,
) -> CaptureV1:
    cap = dev_capture(sender, understanding, at=at, text=text, name=sender.title())
    return cap.model_copy(update={"completes": completes}) if completes else cap


def no_amount(item: str | None, text: str) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.UNKNOWN,
        confidence=0.0,
        problem="no_amount",
        item_without_amount=item,
    )


def history(bus: MessageBus, amounts: tuple[str, ...], merchant: str = "padaria") -> None:
    for n, amount in enumerate(amounts):
        reply = send(
            bus, message(record(entry(amount, merchant=merchant)), at=NOW - dt.timedelta(days=30 - n))
        )
        assert reply.kind is ReplyKind.RECORDED


# --- an expense without an amount -------------------------------------------------------------


def test_an_expense_without_an_amount_is_kept_and_the_question_names_what_was_bought(
    bus: MessageBus, store: Store
) -> None:
    asked = send(bus, message(no_amount("estacionamento", "paguei o estacionamento agora")))
    assert (asked.kind, asked.problem, asked.asked_about) == (
        ReplyKind.QUESTION,
        "no_amount",
        "estacionamento",
    )
    (kept,) = store.captures.values()
    assert (kept["status"], kept["problem"]) == (CaptureStatus.NEEDS_REVIEW.value, "no_amount")
    assert store.transactions == []
    assert render_reply(asked) == (
        "❓ Quanto foi “estacionamento”? Responda só o valor (ex.: “45,90”) e eu registro."
    )


def test_without_a_named_item_the_question_stays_general(bus: MessageBus) -> None:
    asked = send(bus, message(no_amount(None, "hmm")))
    assert asked.asked_about is None
    assert render_reply(asked).startswith("❓ Não encontrei um valor nessa mensagem. Quanto foi?")


def test_the_answer_the_edge_joined_records_one_transaction_and_closes_the_question(
    bus: MessageBus, store: Store
) -> None:
    asked = message(no_amount("pizzas", "comprei 3 pizzas"), text="comprei 3 pizzas")
    send(bus, asked)
    joined = record(
        ProposedTransaction(
            amount=Decimal(90), merchant="pizzas", description="3 pizzas", category="restaurants"
        )
    )
    answer = message(joined, at=NOW + dt.timedelta(minutes=1), text="90", completes=asked.capture_id)
    reply = send(bus, answer)
    assert reply.kind is ReplyKind.RECORDED
    (tx,) = store.transactions
    assert (tx.money.amount, tx.merchant, tx.category, tx.capture_id) == (
        Decimal(90),
        "pizzas",
        "restaurants",
        answer.capture_id,
    )
    first = store.captures[asked.idempotency_key]
    assert (first["status"], first["problem"]) == (CaptureStatus.RECORDED.value, None)
    (closed,) = [e for e in store.events if e.name == "capture.completed"]
    assert (closed.entity_id, closed.after) == (
        asked.capture_id,
        {"status": "recorded", "completed_by": str(answer.capture_id)},
    )


def test_an_answer_naming_someone_elses_question_closes_nothing(bus: MessageBus, store: Store) -> None:
    asked = message(no_amount("pizzas", "comprei 3 pizzas"), sender="ana")
    send(bus, asked)
    other = message(record(entry("90")), sender="bob", completes=asked.capture_id)
    assert send(bus, other).kind is ReplyKind.RECORDED
    assert store.captures[asked.idempotency_key]["status"] == CaptureStatus.NEEDS_REVIEW.value


# --- the rule for unusual amounts ---------------------------------------------------------------


def test_usual_is_the_median_and_its_absolute_deviation_with_a_floor_of_ten_medians() -> None:
    assert usual_range([Decimal(a) for a in BAKERY[: MIN_HISTORY - 1]]) is None
    usual = usual_range([Decimal(a) for a in BAKERY])
    assert usual is not None
    # median 11, deviations 3 1 4 9 1 2 -> MAD 2.5; 10 x 11 = 110 beats 11 + 6 x 2.5 = 26
    assert (usual.median, usual.mad, usual.limit) == (Decimal(11), Decimal("2.5"), Decimal(110))
    assert (usual.low, usual.high, usual.count) == (Decimal(8), Decimal(20), 6)
    assert is_unusual(Decimal(1200), usual)
    assert not is_unusual(Decimal(110), usual)
    assert not is_unusual(Decimal(1200), None)


def test_a_wide_history_is_bounded_by_its_deviation_and_its_own_outliers_are_not_shown() -> None:
    # mostly 100 to 900 (median 500, MAD 200 -> 500 + 1200 = 1700 < 10 x 500), one 90000 slip
    amounts = [Decimal(a) for a in ("100", "300", "500", "700", "900", "90000")]
    usual = usual_range(amounts)
    assert usual is not None
    assert usual.limit == max(RATIO * usual.median, usual.median + MADS * usual.mad)
    assert (usual.low, usual.high, usual.count) == (Decimal(100), Decimal(900), 5)


def test_equal_amounts_leave_no_deviation_and_the_floor_decides() -> None:
    usual = usual_range([Decimal(30)] * 6)
    assert usual is not None
    assert (usual.mad, usual.limit) == (Decimal(0), Decimal(300))
    assert not is_unusual(Decimal(31), usual)


# --- unusual amounts in the ledger ---------------------------------------------------------------


def test_an_amount_far_above_the_merchants_history_is_asked_then_recorded_on_yes(
    bus: MessageBus, store: Store
) -> None:
    history(bus, BAKERY)
    asked = send(bus, message(record(entry("1200", merchant="padaria"))))
    assert (asked.kind, asked.problem) == (ReplyKind.CONFIRM_REQUEST, "unusual_amount")
    assert asked.usual is not None
    assert asked.usual.model_dump() == {
        "basis": "merchant",
        "name": "padaria",
        "amount": Decimal(1200),
        "currency": "BRL",
        "low": Decimal(8),
        "high": Decimal(20),
        "count": 6,
    }
    assert [tx.money.amount for tx in store.transactions] == [Decimal(a) for a in BAKERY]
    (key,) = [k for k, c in store.captures.items() if c["problem"] == "unusual_amount"]
    assert store.captures[key]["status"] == CaptureStatus.NEEDS_REVIEW.value
    assert render_reply(asked).startswith(
        "🤔 Isso é bem mais que o habitual em “padaria” (R$ 8 a R$ 20). Confirma R$ 1.200,00?\n"
        "• R$ 1.200,00 · padaria"
    )
    yes = send(bus, message(said(Intent.CONFIRM), at=NOW + dt.timedelta(minutes=2)))
    assert yes.kind is ReplyKind.RECORDED
    assert store.transactions[-1].money.amount == Decimal(1200)
    assert store.captures[key]["status"] == CaptureStatus.RECORDED.value


def test_usual_amounts_and_short_histories_are_recorded_at_once(bus: MessageBus, store: Store) -> None:
    history(bus, BAKERY[: MIN_HISTORY - 1], merchant="café")
    assert send(bus, message(record(entry("500", merchant="café")))).kind is ReplyKind.RECORDED
    history(bus, BAKERY)
    assert send(bus, message(record(entry("60", merchant="padaria")))).kind is ReplyKind.RECORDED


def test_a_new_merchant_is_measured_against_its_category(bus: MessageBus, store: Store) -> None:
    history(bus, BAKERY)  # padaria, groceries
    asked = send(bus, message(record(entry("900", merchant="empório novo", category="groceries"))))
    assert asked.kind is ReplyKind.CONFIRM_REQUEST
    assert asked.usual is not None
    assert (asked.usual.basis, asked.usual.name) == ("category", "groceries")
    groceries = CATEGORY_NAMES["pt"]["groceries"][0]
    assert f"habitual em {groceries} (R$ 8 a R$ 20)" in render_reply(asked)


def test_the_merchants_own_history_wins_over_its_category(bus: MessageBus, store: Store) -> None:
    history(bus, ("400", "520", "610", "480", "550"), merchant="atacadão")  # groceries
    history(bus, BAKERY)  # groceries too: the category's median is now 20
    reply = send(bus, message(record(entry("700", merchant="atacadão"))))
    assert reply.kind is ReplyKind.RECORDED


def test_income_other_currencies_and_reversed_entries_are_not_history(bus: MessageBus, store: Store) -> None:
    history(bus, BAKERY)
    in_dollars = entry("1200", merchant="padaria", currency="USD")
    assert send(bus, message(record(in_dollars))).kind is ReplyKind.RECORDED
    salary = entry("1200", merchant="padaria", kind=TransactionKind.INCOME, category="salary")
    assert send(bus, message(record(salary))).kind is ReplyKind.RECORDED
    store.transactions[: len(BAKERY)] = [
        dataclasses.replace(tx, status=TransactionStatus.REVERSED) for tx in store.transactions[: len(BAKERY)]
    ]
    assert send(bus, message(record(entry("1200", merchant="padaria")))).kind is ReplyKind.RECORDED


def test_an_unusual_answer_to_how_much_is_asked_and_still_closes_the_question(
    bus: MessageBus, store: Store
) -> None:
    history(bus, BAKERY)
    asked = message(no_amount("padaria", "comprei pão na padaria"))
    send(bus, asked)
    answer = message(record(entry("1200", merchant="padaria")), completes=asked.capture_id)
    reply = send(bus, answer)
    assert (reply.kind, reply.problem) == (ReplyKind.CONFIRM_REQUEST, "unusual_amount")
    assert store.captures[asked.idempotency_key]["status"] == CaptureStatus.RECORDED.value
    assert store.captures[answer.idempotency_key]["status"] == CaptureStatus.NEEDS_REVIEW.value
    yes = send(bus, message(said(Intent.CONFIRM), at=NOW + dt.timedelta(minutes=1)))
    assert yes.kind is ReplyKind.RECORDED
    assert store.transactions[-1].capture_id == answer.capture_id


def test_yes_confirms_the_latest_of_a_low_confidence_and_an_unusual_reading(
    bus: MessageBus, store: Store
) -> None:
    history(bus, BAKERY)
    send(bus, message(record(entry("45"), confidence=0.3), at=NOW - dt.timedelta(minutes=5)))
    send(bus, message(record(entry("1200", merchant="padaria"))))
    send(bus, message(said(Intent.CONFIRM), at=NOW + dt.timedelta(minutes=1)))
    assert store.transactions[-1].money.amount == Decimal(1200)
    send(bus, message(said(Intent.CONFIRM), at=NOW + dt.timedelta(minutes=2)))
    assert store.transactions[-1].money.amount == Decimal(45)


def test_what_a_channel_posts_is_not_held_for_a_yes_nobody_can_give(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), "-100", "bot_added", title="Casa"))
    for amount in BAKERY:
        send(bus, group_message(person("ana"), "-100", record(entry(amount, merchant="padaria"))))
    assert send(
        bus, group_message(person("ana"), "-100", record(entry("1200", merchant="padaria")))
    ).kind is (ReplyKind.CONFIRM_REQUEST)
    posted = send(bus, group_message(channel("chan-1"), "-100", record(entry("1200", merchant="padaria"))))
    assert posted.kind is ReplyKind.WHO_PAID
    assert store.transactions[-1].money.amount == Decimal(1200)
