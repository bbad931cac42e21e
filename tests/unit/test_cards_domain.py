"""Card bills and instalments (core.domain.cards): exact closing and due dates, exact cents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from financy.core.domain.cards import (
    Bill,
    Card,
    InvalidCardError,
    Posting,
    Purchase,
    bill_closing_in,
    bill_due_in,
    bill_for,
    schedule,
    split_instalments,
)

D = dt.date
NUBANK = Card("Nubank", closing_day=5, due_day=12)


# --------------------------------------------------------------------------- the cycle


@pytest.mark.parametrize(
    ("purchase", "closing", "due"),
    [
        (D(2026, 3, 4), D(2026, 3, 5), D(2026, 3, 12)),  # before the closing day: this bill
        (D(2026, 3, 5), D(2026, 4, 5), D(2026, 4, 12)),  # on the closing day: the next one
        (D(2026, 3, 6), D(2026, 4, 5), D(2026, 4, 12)),
        (D(2026, 3, 1), D(2026, 3, 5), D(2026, 3, 12)),
        (D(2026, 3, 31), D(2026, 4, 5), D(2026, 4, 12)),
        (D(2026, 12, 4), D(2026, 12, 5), D(2026, 12, 12)),
        (D(2026, 12, 5), D(2027, 1, 5), D(2027, 1, 12)),  # December into January
        (D(2026, 12, 31), D(2027, 1, 5), D(2027, 1, 12)),
    ],
)
def test_a_purchase_before_the_closing_day_is_in_this_bill_on_or_after_it_in_the_next(
    purchase: dt.date, closing: dt.date, due: dt.date
) -> None:
    assert bill_for(purchase, NUBANK) == (closing, due)


def test_a_due_day_before_the_closing_day_is_due_the_month_after_closing() -> None:
    card = Card("Itaú", closing_day=28, due_day=5)
    assert bill_for(D(2026, 2, 27), card) == (D(2026, 2, 28), D(2026, 3, 5))
    assert bill_for(D(2026, 2, 28), card) == (D(2026, 3, 28), D(2026, 4, 5))
    assert bill_for(D(2026, 12, 28), card) == (D(2027, 1, 28), D(2027, 2, 5))
    assert bill_for(D(2026, 11, 30), card) == (D(2026, 12, 28), D(2027, 1, 5))


def test_equal_days_are_due_a_month_after_closing() -> None:
    card = Card("Inter", closing_day=10, due_day=10)
    assert bill_for(D(2026, 6, 9), card) == (D(2026, 6, 10), D(2026, 7, 10))


def test_day_31_is_the_last_day_of_shorter_months() -> None:
    card = Card("C6", closing_day=31, due_day=8)
    assert bill_for(D(2026, 2, 27), card) == (D(2026, 2, 28), D(2026, 3, 8))
    assert bill_for(D(2026, 2, 28), card) == (D(2026, 3, 31), D(2026, 4, 8))  # on the 28th: closed
    assert bill_for(D(2028, 2, 28), card) == (D(2028, 2, 29), D(2028, 3, 8))  # leap year
    assert bill_for(D(2026, 1, 31), card) == (D(2026, 2, 28), D(2026, 3, 8))
    assert bill_for(D(2026, 4, 29), card) == (D(2026, 4, 30), D(2026, 5, 8))
    assert bill_for(D(2026, 4, 30), card) == (D(2026, 5, 31), D(2026, 6, 8))


def test_a_due_day_a_short_month_lacks_is_its_last_day_and_never_the_closing_day() -> None:
    assert bill_for(D(2026, 1, 15), Card("X", closing_day=20, due_day=30)) == (D(2026, 1, 20), D(2026, 1, 30))
    assert bill_for(D(2026, 2, 15), Card("X", closing_day=20, due_day=30)) == (D(2026, 2, 20), D(2026, 2, 28))
    # closing 29 clamps to 28 February, due 30 clamps to the 28th too: due the month after
    assert bill_for(D(2026, 2, 10), Card("X", closing_day=29, due_day=30)) == (D(2026, 2, 28), D(2026, 3, 30))


def test_the_bill_due_in_a_month_is_found_back() -> None:
    assert bill_due_in(NUBANK, D(2027, 1, 20)) == Bill(D(2027, 1, 5), D(2027, 1, 12))
    itau = Card("Itaú", closing_day=28, due_day=5)
    assert bill_due_in(itau, D(2026, 3, 1)) == Bill(D(2026, 2, 28), D(2026, 3, 5))
    assert bill_due_in(itau, D(2027, 1, 1)) == Bill(D(2026, 12, 28), D(2027, 1, 5))
    assert bill_closing_in(itau, 2026, 12).month == D(2027, 1, 1)


# --------------------------------------------------------------------------- instalments


def test_instalments_split_to_the_cent_with_the_remainder_on_the_first() -> None:
    assert split_instalments(Decimal("2000"), 10, "BRL") == [Decimal("200.00")] * 10
    assert split_instalments(Decimal("100"), 3, "BRL") == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert split_instalments(Decimal("100.02"), 4, "BRL") == [
        Decimal("25.02"),
        Decimal("25.00"),
        Decimal("25.00"),
        Decimal("25.00"),
    ]
    assert split_instalments(Decimal("0.05"), 10, "BRL") == [Decimal("0.05"), *[Decimal("0.00")] * 9]
    assert split_instalments(Decimal("1000"), 3, "JPY") == [Decimal("334"), Decimal("333"), Decimal("333")]
    assert split_instalments(Decimal("10"), 3, "KWD") == [
        Decimal("3.334"),
        Decimal("3.333"),
        Decimal("3.333"),
    ]
    assert split_instalments(Decimal("45.9"), 1, "BRL") == [Decimal("45.90")]


def test_a_total_with_more_decimals_than_the_currency_is_split_at_its_own() -> None:
    parts = split_instalments(Decimal("10.0001"), 3, "BRL")
    assert parts == [Decimal("3.3335"), Decimal("3.3333"), Decimal("3.3333")]
    assert sum(parts) == Decimal("10.0001")


@pytest.mark.parametrize("n", [0, 121, -1])
def test_instalments_out_of_range_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="instalments must be 1 to 120"):
        split_instalments(Decimal("100"), n, "BRL")


def test_a_total_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        split_instalments(Decimal("0"), 2, "BRL")


def test_ten_instalments_fall_in_ten_consecutive_bills_across_the_year() -> None:
    tv = Purchase(D(2026, 11, 29), Decimal("2000"), "BRL")
    postings = schedule(tv, NUBANK, 10)
    assert [(p.number, p.amount, p.bill_closing, p.bill_due) for p in postings] == [
        (1, Decimal("200.00"), D(2026, 12, 5), D(2026, 12, 12)),
        (2, Decimal("200.00"), D(2027, 1, 5), D(2027, 1, 12)),
        (3, Decimal("200.00"), D(2027, 2, 5), D(2027, 2, 12)),
        (4, Decimal("200.00"), D(2027, 3, 5), D(2027, 3, 12)),
        (5, Decimal("200.00"), D(2027, 4, 5), D(2027, 4, 12)),
        (6, Decimal("200.00"), D(2027, 5, 5), D(2027, 5, 12)),
        (7, Decimal("200.00"), D(2027, 6, 5), D(2027, 6, 12)),
        (8, Decimal("200.00"), D(2027, 7, 5), D(2027, 7, 12)),
        (9, Decimal("200.00"), D(2027, 8, 5), D(2027, 8, 12)),
        (10, Decimal("200.00"), D(2027, 9, 5), D(2027, 9, 12)),
    ]
    assert postings[0].bill_month == D(2026, 12, 1)


def test_instalments_on_a_day_31_card_clamp_in_every_month() -> None:
    card = Card("C6", closing_day=31, due_day=8)
    postings = schedule(Purchase(D(2026, 12, 31), Decimal("100"), "BRL"), card, 3)
    assert postings == [
        Posting(1, Decimal("33.34"), D(2027, 1, 31), D(2027, 2, 8)),
        Posting(2, Decimal("33.33"), D(2027, 2, 28), D(2027, 3, 8)),
        Posting(3, Decimal("33.33"), D(2027, 3, 31), D(2027, 4, 8)),
    ]


def test_a_purchase_without_instalments_is_one_posting_in_its_bill() -> None:
    (only,) = schedule(Purchase(D(2026, 3, 5), Decimal("45.90"), "BRL"), NUBANK, None)
    assert only == Posting(1, Decimal("45.90"), D(2026, 4, 5), D(2026, 4, 12))


# --------------------------------------------------------------------------- the card itself


@pytest.mark.parametrize(
    ("name", "closing", "due", "field"),
    [
        ("  ", 5, 12, "name"),
        ("x" * 61, 5, 12, "name"),
        ("Nubank", 0, 12, "closing_day"),
        ("Nubank", 32, 12, "closing_day"),
        ("Nubank", 5, 0, "due_day"),
        ("Nubank", 5, 40, "due_day"),
    ],
)
def test_a_bad_card_is_refused_naming_the_field(name: str, closing: int, due: int, field: str) -> None:
    with pytest.raises(InvalidCardError) as caught:
        Card(name, closing, due)
    assert caught.value.field == field
    assert caught.value.key == "invalid_card"
