"""The statement-line matcher (pure): the bank's id, counted identical rows, order independence,
captures merged, ambiguous ones asked."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from decimal import Decimal

from financy.core.domain.matching import (
    CaptureCandidate,
    KnownLine,
    LineOutcome,
    payee_key,
    plan_import,
)
from financy.core.domain.statements import StatementLine

D = dt.date(2026, 11, 10)


def line(
    n: int, amount: str, payee: str = "METRO SP", day: dt.date = D, fitid: str | None = None
) -> StatementLine:
    return StatementLine(line_no=n, occurred_on=day, amount=Decimal(amount), payee=payee, external_id=fitid)


def known_of(lines: list[StatementLine], account: str = "") -> list[KnownLine]:
    return [KnownLine(account, x.occurred_on, x.amount, "BRL", payee_key(x), x.external_id) for x in lines]


def outcomes(
    lines: list[StatementLine], known: Sequence[KnownLine] = (), captures: Sequence[CaptureCandidate] = ()
) -> list[str]:
    return [
        d.outcome.value
        for d in plan_import(lines, account="", currency="BRL", known=known, captures=captures)
    ]


def test_two_identical_fares_on_one_day_are_two_transactions() -> None:
    assert outcomes([line(1, "-4.40"), line(2, "-4.40")]) == ["add", "add"]


def test_the_ledger_knowing_one_of_them_makes_the_first_a_duplicate_and_the_second_new() -> None:
    assert outcomes([line(1, "-4.40"), line(2, "-4.40")], known_of([line(9, "-4.40")])) == [
        "duplicate",
        "add",
    ]


def test_a_bank_id_already_imported_is_a_duplicate_and_a_repeated_one_too() -> None:
    lines = [line(1, "-4.40", fitid="A1"), line(2, "-4.40", fitid="A2"), line(3, "-4.40", fitid="A2")]
    plan = plan_import(
        lines, account="", currency="BRL", known=known_of([line(7, "-4.40", fitid="A1")]), captures=[]
    )
    assert [(d.outcome.value, d.reason) for d in plan] == [
        ("duplicate", "fitid"),
        ("add", "new"),
        ("duplicate", "fitid_repeated"),
    ]


def test_a_line_with_a_new_bank_id_is_not_deduped_against_a_known_line_with_another_id() -> None:
    # Two fares the bank told apart by id stay two, although date, amount and payee are equal.
    assert outcomes([line(1, "-4.40", fitid="B")], known_of([line(7, "-4.40", fitid="A")])) == ["add"]
    # ... but the same fare known from a CSV without ids is the same line.
    assert outcomes([line(1, "-4.40", fitid="B")], known_of([line(7, "-4.40")])) == ["duplicate"]


def test_ids_and_counts_are_per_account() -> None:
    plan = plan_import(
        [line(1, "-4.40", fitid="A1")],
        account="card",
        currency="BRL",
        known=known_of([line(7, "-4.40", fitid="A1")], "checking"),
        captures=[],
    )
    assert plan[0].outcome is LineOutcome.ADD


def _ledger_after(imports: list[list[StatementLine]]) -> list[tuple[dt.date, Decimal, str]]:
    """What the ledger holds after importing each file in turn (the added lines' keys, sorted)."""
    known: list[KnownLine] = []
    held: list[tuple[dt.date, Decimal, str]] = []
    for lines in imports:
        for d in plan_import(lines, account="", currency="BRL", known=known, captures=[]):
            if d.outcome is LineOutcome.ADD:
                held.append((d.line.occurred_on, d.line.amount, payee_key(d.line)))
                known.extend(known_of([d.line]))
    return sorted(held)


def test_overlapping_statements_give_the_same_ledger_in_any_order() -> None:
    day2 = D + dt.timedelta(days=1)
    a = [line(1, "-4.40"), line(2, "-4.40"), line(3, "-120.00", "PADARIA", day2)]
    b = [line(1, "-4.40"), line(2, "-4.40"), line(3, "-4.40"), line(4, "-50.00", "POSTO", day2)]
    c = [line(1, "-120.00", "PADARIA", day2), line(2, "-9.99", "NETFLIX", day2)]
    results = {tuple(_ledger_after(list(order))) for order in itertools.permutations([a, b, c])}
    assert len(results) == 1
    (ledger,) = results
    assert [amount for _, amount, _ in ledger] == [Decimal("-4.40")] * 3 + [
        Decimal("-120.00"),
        Decimal("-50.00"),
        Decimal("-9.99"),
    ]


def capture(amount: str, day: dt.date, merchant: str = "mercado") -> CaptureCandidate:
    return CaptureCandidate(uuid.uuid4(), day, Decimal(amount), "BRL", merchant)


def test_a_chat_capture_of_the_purchase_is_merged_within_the_window_only() -> None:
    told = capture("-45.90", D - dt.timedelta(days=1))
    plan = plan_import(
        [line(1, "-45.90", "SUPERMERCADO EXTRA")], account="", currency="BRL", known=[], captures=[told]
    )
    assert (plan[0].outcome, plan[0].transaction_id) == (LineOutcome.MERGE, told.transaction_id)
    too_early = capture("-45.90", D - dt.timedelta(days=6))
    assert outcomes([line(1, "-45.90")], captures=[too_early]) == ["add"]
    other_amount = capture("-45.91", D)
    assert outcomes([line(1, "-45.90")], captures=[other_amount]) == ["add"]
    income = capture("45.90", D)  # the same figure the other way is not the purchase
    assert outcomes([line(1, "-45.90")], captures=[income]) == ["add"]


def test_several_captures_that_could_be_it_are_asked_about_unless_the_payee_tells() -> None:
    a, b = capture("-30.00", D, "padaria"), capture("-30.00", D, "farmacia")
    plan = plan_import(
        [line(1, "-30.00", "UBER TRIP")], account="", currency="BRL", known=[], captures=[a, b]
    )
    assert plan[0].outcome is LineOutcome.AMBIGUOUS
    assert set(plan[0].candidates) == {a.transaction_id, b.transaction_id}
    named = plan_import(
        [line(1, "-30.00", "DROGASIL FARMACIA")], account="", currency="BRL", known=[], captures=[a, b]
    )
    assert (named[0].outcome, named[0].transaction_id) == (LineOutcome.MERGE, b.transaction_id)


def test_identical_lines_facing_as_many_identical_captures_are_paired() -> None:
    a, b = capture("-4.40", D, "metro"), capture("-4.40", D, "metro")
    plan = plan_import(
        [line(1, "-4.40"), line(2, "-4.40")], account="", currency="BRL", known=[], captures=[a, b]
    )
    assert [d.outcome for d in plan] == [LineOutcome.MERGE, LineOutcome.MERGE]
    assert {d.transaction_id for d in plan} == {a.transaction_id, b.transaction_id}


def test_one_capture_two_different_lines_could_be_is_asked_about_for_both() -> None:
    c = capture("-45.90", D)
    lines = [line(1, "-45.90", "LOJA A"), line(2, "-45.90", "LOJA B", D + dt.timedelta(days=1))]
    assert outcomes(lines, captures=[c]) == ["ambiguous", "ambiguous"]


def test_a_zero_amount_is_invalid() -> None:
    assert outcomes([line(1, "0.00")]) == ["invalid"]


def plan_of(lines: list[StatementLine], captures: Sequence[CaptureCandidate]) -> list[tuple[str, str]]:
    return [
        (d.outcome.value, d.reason)
        for d in plan_import(lines, account="", currency="BRL", known=[], captures=captures)
    ]


def test_a_whole_amount_told_in_the_chat_meets_its_line_when_the_payee_says_so() -> None:
    told = capture("-45", D - dt.timedelta(days=1), "mercado")
    plan = plan_import(
        [line(1, "-45.90", "MERCADO EXTRA 123")], account="", currency="BRL", known=[], captures=[told]
    )
    assert (plan[0].outcome, plan[0].reason, plan[0].transaction_id) == (
        LineOutcome.MERGE,
        "capture_rounded",
        told.transaction_id,
    )
    # rounded up too ("46" for 45,90), and a cent-less line is matched exactly, not here
    assert plan_of([line(1, "-45.90", "MERCADO DIA")], [capture("-46", D)]) == [("merge", "capture_rounded")]
    assert plan_of([line(1, "-45.00", "MERCADO DIA")], [capture("-45", D)]) == [("merge", "capture")]


def test_a_rounded_amount_without_the_payee_or_out_of_reach_is_asked_or_added() -> None:
    # no word of the payee in the chat's merchant: asked, not guessed
    told = capture("-45", D, "padaria")
    plan = plan_import(
        [line(1, "-45.90", "SUPERMERCADO EXTRA")], account="", currency="BRL", known=[], captures=[told]
    )
    assert (plan[0].outcome, plan[0].reason, plan[0].candidates) == (
        LineOutcome.AMBIGUOUS,
        "captures_rounded",
        (told.transaction_id,),
    )
    # a unit or more away, cents in the chat's amount, the other direction, outside the window: new
    assert plan_of([line(1, "-45.90", "MERCADO")], [capture("-44", D)]) == [("add", "new")]
    assert plan_of([line(1, "-45.90", "MERCADO")], [capture("-45.50", D)]) == [("add", "new")]
    assert plan_of([line(1, "-45.90", "MERCADO")], [capture("45", D)]) == [("add", "new")]
    assert plan_of([line(1, "-45.90", "MERCADO")], [capture("-45", D - dt.timedelta(days=6))]) == [
        ("add", "new")
    ]
    # a cent line never meets a zero
    assert plan_of([line(1, "-0.40", "MERCADO")], [capture("-1", D)]) == [("merge", "capture_rounded")]


def test_an_exact_match_wins_and_a_rounded_capture_two_lines_want_is_asked_for_both() -> None:
    exact, rounded = capture("-45.90", D, "mercado"), capture("-45", D, "mercado")
    plan = plan_import(
        [line(1, "-45.90", "MERCADO A"), line(2, "-45.30", "MERCADO B")],
        account="",
        currency="BRL",
        known=[],
        captures=[exact, rounded],
    )
    assert [(d.outcome.value, d.transaction_id) for d in plan] == [
        ("merge", exact.transaction_id),
        ("merge", rounded.transaction_id),
    ]
    both = plan_of([line(1, "-45.90", "MERCADO A"), line(2, "-45.30", "MERCADO B")], [rounded])
    assert both == [("ambiguous", "captures_rounded"), ("ambiguous", "captures_rounded")]
    for order in itertools.permutations([line(1, "-45.90", "MERCADO A"), line(2, "-45.30", "MERCADO B")]):
        assert sorted(plan_of(list(order), [rounded])) == sorted(both)
