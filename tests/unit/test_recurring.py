"""Recurring series found in a ledger (``core.domain.recurring``): exact dates and amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from financy.core.domain.recurring import (
    Occurrence,
    PriceChange,
    Series,
    detect,
    due_for_reminder,
    reopens,
    series_key,
)

D = Decimal
TODAY = dt.date(2026, 11, 29)


def paid(day: str, amount: str, merchant: str, category: str | None = None, **extra: str) -> Occurrence:
    return Occurrence(
        dt.date.fromisoformat(day),
        D(amount),
        extra.get("currency", "BRL"),
        merchant,
        extra.get("kind", "expense"),
        category,
    )


NETFLIX = [
    paid("2026-07-05", "39.90", "Netflix", "subscriptions"),
    paid("2026-08-05", "39.90", "NETFLIX.COM", "subscriptions"),
    paid("2026-09-06", "39.90", "Netflix", "subscriptions"),
    paid("2026-10-04", "39.90", "PAYPAL *NETFLIX 4029357733 SAO PAULO BR", "subscriptions"),
    paid("2026-11-05", "44.90", "netflix", "subscriptions"),
]
GYM = [  # September skipped
    paid("2026-06-10", "99.90", "Smart Fit", "health"),
    paid("2026-07-10", "99.90", "SMARTFIT SAO PAULO SP", "health"),
    paid("2026-08-11", "99.90", "Smart Fit", "health"),
    paid("2026-10-09", "99.90", "PAG*SmartFit", "health"),
    paid("2026-11-10", "99.90", "Smart Fit", "health"),
]
DOMAIN = [
    paid("2024-12-03", "40.00", "registro.br", "utilities"),
    paid("2025-12-02", "40.00", "REGISTRO.BR", "utilities"),
]
FEIRA = [  # Saturdays, one on a Sunday
    paid("2026-11-07", "60.00", "feira", "groceries"),
    paid("2026-11-14", "57.50", "feira", "groceries"),
    paid("2026-11-22", "62.00", "Feira", "groceries"),
    paid("2026-11-28", "59.00", "feira", "groceries"),
]
RESTAURANT = [
    paid("2026-10-03", "85.00", "Coco Bambu", "restaurants"),
    paid("2026-10-20", "42.50", "coco bambu", "restaurants"),
    paid("2026-11-27", "120.00", "Coco Bambu", "restaurants"),
]


def test_netflix_monthly_with_a_price_change_from_39_90_to_44_90() -> None:
    assert detect(NETFLIX, today=TODAY) == [
        Series(
            key="netflix",
            merchant="Netflix",
            kind="expense",
            currency="BRL",
            cadence="monthly",
            category="subscriptions",
            occurrences=5,
            skipped=0,
            first_seen=dt.date(2026, 7, 5),
            last_seen=dt.date(2026, 11, 5),
            typical_amount=D("39.90"),
            expected_amount=D("44.90"),
            next_due=dt.date(2026, 12, 5),
            confidence=0.8,
            price_change=PriceChange(D("39.90"), D("44.90"), dt.date(2026, 11, 5)),
        )
    ]


def test_a_gym_with_one_skipped_month_is_still_monthly() -> None:
    (gym,) = detect(GYM, today=TODAY)
    assert (gym.key, gym.merchant, gym.cadence, gym.occurrences, gym.skipped) == (
        "smartfit", "Smart Fit", "monthly", 5, 1,
    )  # fmt: skip
    assert (gym.expected_amount, gym.typical_amount, gym.price_change) == (D("99.90"), D("99.90"), None)
    assert (gym.last_seen, gym.next_due, gym.confidence, gym.category) == (
        dt.date(2026, 11, 10), dt.date(2026, 12, 10), 0.7, "health",
    )  # fmt: skip


def test_two_skipped_months_are_no_monthly_series() -> None:
    assert detect([GYM[0], GYM[1], GYM[3], paid("2026-12-10", "99.90", "Smart Fit")]) == []


def test_a_yearly_domain_renewal_from_two_payments() -> None:
    (renewal,) = detect(DOMAIN, today=TODAY)
    assert (renewal.key, renewal.merchant, renewal.cadence, renewal.occurrences) == (
        "registro", "REGISTRO.BR", "yearly", 2,
    )  # fmt: skip
    assert (renewal.expected_amount, renewal.last_seen, renewal.next_due, renewal.confidence) == (
        D("40.00"), dt.date(2025, 12, 2), dt.date(2026, 12, 2), 0.7,
    )  # fmt: skip


def test_a_yearly_renewal_that_went_up_is_a_price_change() -> None:
    (renewal,) = detect([*DOMAIN, paid("2026-12-01", "49.90", "registro.br")])
    assert renewal.price_change == PriceChange(D("40.00"), D("49.90"), dt.date(2026, 12, 1))
    assert (renewal.expected_amount, renewal.next_due, renewal.confidence) == (
        D("49.90"), dt.date(2027, 12, 1), 0.75,
    )  # fmt: skip


def test_the_weekly_feira_with_amounts_within_ten_percent() -> None:
    (feira,) = detect(FEIRA, today=TODAY)
    assert (feira.key, feira.merchant, feira.cadence, feira.occurrences, feira.price_change) == (
        "feira", "feira", "weekly", 4, None,
    )  # fmt: skip
    # Amounts that vary (57.50 to 62.00): the lower median is expected, and confidence drops.
    assert (feira.typical_amount, feira.expected_amount, feira.next_due, feira.confidence) == (
        D("59.00"), D("59.00"), dt.date(2026, 12, 5), 0.65,
    )  # fmt: skip


def test_three_random_restaurant_visits_are_no_series() -> None:
    assert detect(RESTAURANT, today=TODAY) == []


def test_a_whole_ledger_gives_each_series_once_by_next_date() -> None:
    noise = [paid("2026-11-20", "23.00", "uber"), paid("2026-11-21", "310.00", "mercado"), *RESTAURANT]
    found = detect([*noise, *FEIRA, *GYM, *DOMAIN, *NETFLIX], today=TODAY)
    assert [(s.key, s.cadence, s.next_due) for s in found] == [
        ("registro", "yearly", dt.date(2026, 12, 2)),
        ("feira", "weekly", dt.date(2026, 12, 5)),
        ("netflix", "monthly", dt.date(2026, 12, 5)),
        ("smartfit", "monthly", dt.date(2026, 12, 10)),
    ]


def test_amounts_beyond_the_tolerance_without_a_step_are_no_series() -> None:
    varying = [paid(f"2026-{m:02d}-15", a, "luz") for m, a in ((8, "180.00"), (9, "240.00"), (10, "150.00"))]
    assert detect(varying) == []
    within = [paid(f"2026-{m:02d}-15", a, "luz") for m, a in ((8, "180.00"), (9, "190.00"), (10, "172.00"))]
    (bill,) = detect(within)
    assert (bill.cadence, bill.expected_amount, bill.price_change, bill.confidence) == (
        "monthly", D("180.00"), None, 0.6,
    )  # fmt: skip


def test_a_monthly_series_near_the_end_of_the_month_follows_short_months() -> None:
    rent = [paid(day, "2500.00", "aluguel", "housing") for day in ("2026-12-31", "2027-01-31", "2027-02-28")]
    (series,) = detect(rent)
    assert (series.cadence, series.next_due) == ("monthly", dt.date(2027, 3, 31))


def test_income_and_expenses_and_currencies_are_separate_series() -> None:
    salary = [paid(f"2026-{m:02d}-05", "5000.00", "ACME Ltda", kind="income") for m in (9, 10, 11)]
    usd = [paid(f"2026-{m:02d}-05", "20.00", "ChatGPT", currency="USD") for m in (9, 10, 11)]
    brl = [paid(f"2026-{m:02d}-05", "110.00", "chatgpt") for m in (9, 10, 11)]
    found = detect([*salary, *usd, *brl])
    assert sorted((s.key, s.kind, s.currency, s.expected_amount) for s in found) == [
        ("acme", "income", "BRL", D("5000.00")),
        ("chatgpt", "expense", "BRL", D("110.00")),
        ("chatgpt", "expense", "USD", D("20.00")),
    ]


def test_a_lapsed_series_is_left_out_given_today() -> None:
    assert [s.key for s in detect(NETFLIX, today=dt.date(2027, 1, 8))] == ["netflix"]  # one missed: kept
    assert detect(NETFLIX, today=dt.date(2027, 1, 9)) == []  # 35 days past 5 Dec: stopped


def test_two_purchases_on_one_day_count_as_one_occurrence() -> None:
    split = [*FEIRA[:3], paid("2026-11-28", "30.00", "feira"), paid("2026-11-28", "29.00", "feira")]
    (feira,) = detect(split)
    assert (feira.occurrences, feira.expected_amount) == (4, D("59.00"))


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("PAYPAL *NETFLIX.COM 12345 SAO PAULO BR", "netflix"),
        ("Netflix", "netflix"),
        ("MP*SPOTIFY", "spotify"),
        ("PAG*SmartFit", "smartfit"),
        ("SMARTFIT SAO PAULO SP", "smartfit"),
        ("IFD*BURGER KING", "burgerking"),
        ("Pão de Açúcar", "paodeacucar"),
        ("Assinatura Globoplay", "globoplay"),
        ("99", "99"),
        ("uber *trip 8ZX7", "ubertrip"),
        ("BR", "br"),
        ("", ""),
    ],
)
def test_the_fuzzy_merchant_key(written: str, key: str) -> None:
    assert series_key(written) == key


def test_a_dismissed_series_comes_back_only_after_a_big_change() -> None:
    (netflix,) = detect(NETFLIX)
    assert reopens("monthly", D("39.90"), netflix) is False  # 44.90 is 12.5 % more
    assert reopens("monthly", D("30.00"), netflix) is True  # 49.7 % more
    assert reopens("weekly", D("44.90"), netflix) is True


def test_a_reminder_is_due_from_three_days_before_until_the_day() -> None:
    due = dt.date(2026, 12, 5)
    days = (1, 2, 5, 6)
    assert [due_for_reminder(due, dt.date(2026, 12, d), 3) for d in days] == [False, True, True, False]
