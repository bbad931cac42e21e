"""Careless answers to the bot's "how much?": a "0" before the real amount, a negative amount.

GIVEN "comprei 3 pizzas" (asked "Quanto foi “pizzas”?"), WHEN the sender answers "0" and then
"90", THEN the "90" completes the pizzas (it once completed the "0" and recorded 90 described
"0", the pizzas left unanswered); WHEN the answer is "-5", THEN the reading is not sure enough to
record without a "sim" (it once recorded R$ 5 as certain).
"""

from __future__ import annotations

from decimal import Decimal

from financy.core.service.handlers.ledger import CONFIRM_BELOW
from financy.edge.outbox.store import EdgeOutbox
from tests.unit.test_complete_answers import only, outbox, send_text

__all__ = ["outbox"]


def test_a_zero_before_the_amount_does_not_take_the_question(outbox: EdgeOutbox) -> None:
    asked = send_text(outbox, "comprei 3 pizzas")
    zero = send_text(outbox, "0", minutes=1)
    assert zero.understanding is not None
    assert zero.understanding.problem == "no_amount"
    assert zero.completes is None
    answer = send_text(outbox, "90", minutes=2)
    assert answer.completes == asked.capture_id
    assert only(answer) == (Decimal(90), "pizzas", "restaurants")


def test_a_zero_alone_before_an_amount_completes_nothing(outbox: EdgeOutbox) -> None:
    send_text(outbox, "0")
    answer = send_text(outbox, "90", minutes=1)
    assert answer.completes is None
    assert only(answer) == (Decimal(90), None, None)


def test_a_negative_answer_is_asked_before_it_is_recorded(outbox: EdgeOutbox) -> None:
    asked = send_text(outbox, "comprei 3 pizzas")
    answer = send_text(outbox, "-5", minutes=1)
    assert answer.completes == asked.capture_id
    assert only(answer) == (Decimal(5), "pizzas", "restaurants")
    assert answer.understanding is not None
    assert answer.understanding.confidence < CONFIRM_BELOW


def test_a_negative_amount_with_a_merchant_is_asked() -> None:
    from tests.unit.test_reader_hostile import read

    reading = read("gastei -30 no mercado")
    assert [(i.kind, i.amount, i.merchant) for i in reading.items] == [("expense", Decimal(30), "mercado")]
    assert reading.confidence < CONFIRM_BELOW
