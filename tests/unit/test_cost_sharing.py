"""Cost sharing (pure): splits exact to the minor unit, balances, and the transfers that settle them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from financy.core.domain.cost_sharing import (
    CostSplitMismatchError,
    Expense,
    InvalidCostSplitError,
    Transfer,
    UnbalancedError,
    balances,
    members_named,
    settle,
    split_by_amounts,
    split_by_shares,
    split_equally,
)
from financy.core.domain.editing import InvalidAmountError, TooManyDecimalsError

D = Decimal


def test_120_between_two_is_60_each() -> None:
    assert split_equally(D("120"), ["eu", "ana"], "BRL") == {"eu": D("60.00"), "ana": D("60.00")}


def test_100_among_three_gives_the_odd_cent_to_the_first_listed() -> None:
    split = split_equally(D("100.00"), ["eu", "ana", "joao"], "BRL")
    assert list(split.items()) == [("eu", D("33.34")), ("ana", D("33.33")), ("joao", D("33.33"))]
    assert sum(split.values()) == D("100.00")
    assert [str(v) for v in split.values()] == ["33.34", "33.33", "33.33"]


def test_two_leftover_cents_go_to_the_first_two() -> None:
    assert list(split_equally(D("0.05"), ["a", "b", "c"], "BRL").values()) == [
        D("0.02"),
        D("0.02"),
        D("0.01"),
    ]


def test_a_currency_without_cents_splits_in_whole_units() -> None:
    assert split_equally(D("100"), ["a", "b", "c"], "JPY") == {"a": D("34"), "b": D("33"), "c": D("33")}
    assert split_equally(D("1.000"), ["a", "b", "c"], "KWD") == {
        "a": D("0.334"),
        "b": D("0.333"),
        "c": D("0.333"),
    }


def test_shares_two_to_one() -> None:
    assert split_by_shares(D("90"), {"ana": 2, "bia": 1}, "BRL") == {"ana": D("60.00"), "bia": D("30.00")}
    assert split_by_shares(D("100"), {"ana": 2, "bia": 1}, "BRL") == {"ana": D("66.67"), "bia": D("33.33")}


def test_shares_give_leftovers_to_the_largest_remainders_then_to_the_first_listed() -> None:
    # 10.00 at 1:1:1:3 -> 1.666.., 1.666.., 1.666.., 5.00: two cents left, the first two thirds get them
    assert split_by_shares(D("10.00"), {"a": 1, "b": 1, "c": 1, "d": 3}, "BRL") == {
        "a": D("1.67"),
        "b": D("1.67"),
        "c": D("1.66"),
        "d": D("5.00"),
    }
    # 1.00 at 0.7:0.2:0.1 is exact; decimal weights work as well as whole ones
    assert split_by_shares(D("1"), {"a": D("0.7"), "b": D("0.2"), "c": D("0.1")}, "BRL") == {
        "a": D("0.70"),
        "b": D("0.20"),
        "c": D("0.10"),
    }


def test_amounts_that_add_up_are_the_split() -> None:
    assert split_by_amounts(D("120.00"), {"eu": D("50"), "ana": D("70.00")}, "BRL") == {
        "eu": D("50.00"),
        "ana": D("70.00"),
    }


def test_amounts_that_do_not_add_up_say_by_how_much() -> None:
    with pytest.raises(CostSplitMismatchError) as caught:
        split_by_amounts(D("120.00"), {"eu": D("50"), "ana": D("60")}, "BRL")
    assert caught.value.difference == D("10.00")
    assert str(caught.value) == (
        "the amounts add up to 110.00 BRL, 10.00 short of the total 120.00 BRL (difference 10.00)"
    )
    with pytest.raises(CostSplitMismatchError) as over:
        split_by_amounts(D("100"), {"eu": D("50"), "ana": D("50.01")}, "BRL")
    assert over.value.difference == D("-0.01")


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: split_equally(D("10"), [], "BRL"), InvalidCostSplitError),
        (lambda: split_equally(D("10"), ["a", "a"], "BRL"), InvalidCostSplitError),
        (lambda: split_equally(D("0"), ["a"], "BRL"), InvalidAmountError),
        (lambda: split_equally(D("10.001"), ["a", "b"], "BRL"), TooManyDecimalsError),
        (lambda: split_by_shares(D("10"), {"a": 1, "b": 0}, "BRL"), InvalidCostSplitError),
        (lambda: split_by_shares(D("10"), {"a": 1, "b": -1}, "BRL"), InvalidCostSplitError),
        (lambda: split_by_amounts(D("10"), {"a": D("10.005")}, "BRL"), TooManyDecimalsError),
        (lambda: split_by_amounts(D("10"), {"a": D("10"), "b": D("0")}, "BRL"), InvalidAmountError),
    ],
)
def test_bad_splits_are_refused(call: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()  # type: ignore[operator]


def test_balances_of_three_members_over_several_expenses_and_a_settlement() -> None:
    # Ana paid 120 dinner for Ana, Bia, Caio; Bia paid 60 taxi for Bia and Caio; Caio paid 30 for Ana
    expenses = [
        Expense("ana", split_equally(D("120"), ["ana", "bia", "caio"], "BRL")),
        Expense("bia", split_equally(D("60"), ["bia", "caio"], "BRL")),
        Expense("caio", {"ana": D("30.00")}),
    ]
    assert balances(expenses) == {"ana": D("50.00"), "bia": D("-10.00"), "caio": D("-40.00")}
    # Caio pays Ana 40: only Bia's 10 remains
    paid = [Transfer("caio", "ana", D("40.00"))]
    assert balances(expenses, paid) == {"ana": D("10.00"), "bia": D("-10.00"), "caio": D("0.00")}
    assert settle(balances(expenses, paid)) == [Transfer("bia", "ana", D("10.00"))]


def test_members_with_nothing_shared_are_listed_at_zero_first() -> None:
    expense = Expense("ana", {"ana": D("60.00"), "bia": D("60.00")})
    assert list(balances([expense], members=["caio", "bia"]).items()) == [
        ("caio", D("0")),
        ("bia", D("-60.00")),
        ("ana", D("60.00")),
    ]


def test_balances_add_up_to_zero_even_with_odd_cents() -> None:
    expense = Expense("ana", split_equally(D("100"), ["ana", "bia", "caio"], "BRL"))
    found = balances([expense])
    assert found == {"ana": D("66.66"), "bia": D("-33.33"), "caio": D("-33.33")}
    assert sum(found.values()) == 0


def test_settling_n_members_takes_at_most_n_minus_one_transfers() -> None:
    owed = {"a": D("70"), "b": D("-40"), "c": D("-20"), "d": D("30"), "e": D("-40")}
    transfers = settle(owed)
    assert transfers == [
        Transfer(
            "b", "a", D("40")
        ),  # the largest debtor (b before e: listed first) pays the largest creditor
        Transfer("e", "a", D("30")),  # a and d are both owed 30 now: a is listed first
        Transfer("c", "d", D("20")),  # c now owes more than e's 10 left
        Transfer("e", "d", D("10")),
    ]
    assert len(transfers) == len(owed) - 1
    after = dict(owed)
    for t in transfers:
        after[t.from_member] += t.amount
        after[t.to_member] -= t.amount
    assert set(after.values()) == {D(0)}


def test_an_exact_match_is_paired_before_the_greedy_step() -> None:
    # greedy alone: c(5)->a(6), d(4)->b(5), e(2)->a(1) and e->b(1): 4 transfers; pairing c's 5
    # with b's 5 first takes 3
    owed = {"a": D("6"), "b": D("5"), "c": D("-5"), "d": D("-4"), "e": D("-2")}
    assert settle(owed) == [
        Transfer("c", "b", D("5")),
        Transfer("d", "a", D("4")),
        Transfer("e", "a", D("2")),
    ]
    # no exact pair: the greedy step alone
    owed = {"a": D("-6"), "b": D("-4"), "c": D("7"), "d": D("3")}
    assert settle(owed) == [
        Transfer("a", "c", D("6")),
        Transfer("b", "d", D("3")),
        Transfer("b", "c", D("1")),
    ]


def test_already_settled_balances_need_no_transfer() -> None:
    assert settle({"a": D("0"), "b": D("0.00"), "c": D("0")}) == []
    assert settle({}) == []


def test_balances_that_do_not_add_up_to_zero_cannot_be_settled() -> None:
    with pytest.raises(UnbalancedError):
        settle({"a": D("10"), "b": D("-9.99")})


def test_the_same_balances_always_give_the_same_transfers() -> None:
    owed = {"a": D("10"), "b": D("10"), "c": D("-10"), "d": D("-10")}
    assert settle(owed) == [Transfer("c", "a", D("10")), Transfer("d", "b", D("10"))]
    assert settle(owed) == settle(dict(owed))


# --- names ---------------------------------------------------------------------------------------

MEMBERS = {
    "ana": ("Ana Silva", "ana.s"),
    "joao": ("João Pereira", "jp"),
    "bia": ("Bia", None),
    "ana2": ("Ana Paula", "anap"),
}


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("João", ["joao"]),
        ("joao", ["joao"]),
        ("JOÃO", ["joao"]),
        ("jp", ["joao"]),
        ("bia", ["bia"]),
        ("Ana Silva", ["ana"]),
        ("ana paula", ["ana2"]),
        ("Ana", ["ana", "ana2"]),  # two Anas: ambiguous, asked
        ("Carla", []),  # unknown, asked
        ("!!", []),
    ],
)
def test_a_name_means_the_members_whose_name_or_first_name_it_is(said: str, found: list[str]) -> None:
    assert members_named(said, MEMBERS) == found


def test_a_mismatch_is_said_in_the_currencys_decimals() -> None:
    with pytest.raises(CostSplitMismatchError) as caught:
        split_by_amounts(D("100.0000"), {"eu": D("90.0000")}, "BRL")
    assert str(caught.value) == (
        "the amounts add up to 90.00 BRL, 10.00 short of the total 100.00 BRL (difference 10.00)"
    )
