"""The reader hears cost sharing: split requests with names, counts or everyone; who owes whom; settlements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from financy.core.contracts.v1 import CostSplitRequest, Intent, SettlementRequest
from financy.edge.pipeline.understand import understand_text
from financy.inference.text.cost_split import CostSplitSpec, SettlementSpec
from financy.inference.text.reader import Reading, read_message

TODAY = dt.date(2026, 11, 29)


def read(text: str, hint: str = "pt") -> Reading:
    return read_message(text, today=TODAY, language_hint=hint, default_currency="BRL")


def items(reading: Reading) -> list[tuple[str, Decimal, str | None, str | None]]:
    return [(i.kind, i.amount, i.merchant, i.category) for i in reading.items]


@pytest.mark.parametrize(
    ("text", "hint", "expected_items", "spec"),
    [
        (
            "paguei 120 do jantar, divide com a Ana",
            "pt",
            [("expense", Decimal("120"), "jantar", "restaurants")],
            CostSplitSpec(names=("Ana",)),
        ),
        ("divide com a Ana e o João", "pt", [], CostSplitSpec(names=("Ana", "João"))),
        ("dividido por 3", "pt", [], CostSplitSpec(ways=3)),
        ("split with Ana", "en", [], CostSplitSpec(names=("Ana",))),
        (
            "split 120 dinner with Ana and Bob",
            "en",
            [("expense", Decimal("120"), "dinner", "restaurants")],
            CostSplitSpec(names=("Ana", "Bob")),
        ),
        (
            "racha com todo mundo 90 pizza",
            "pt",
            [("expense", Decimal("90"), "pizza", "restaurants")],
            CostSplitSpec(everyone=True),
        ),
        (
            "gastei 90 no mercado, dividido por 3 com a Ana e o João",
            "pt",
            [("expense", Decimal("90"), "mercado", "groceries")],
            CostSplitSpec(names=("Ana", "João"), ways=3),
        ),
        (
            "jantar 100 meio a meio com a Bia",
            "pt",
            [("expense", Decimal("100"), "jantar", "restaurants")],
            CostSplitSpec(names=("Bia",)),
        ),
        ("divide entre mim, a Ana e o João", "pt", [], CostSplitSpec(names=("Ana", "João"))),
        ("dividir a conta com a Ana Paula", "pt", [], CostSplitSpec(names=("Ana Paula",))),
        (
            "split 3 ways 60 pizza",
            "en",
            [("expense", Decimal("60"), "pizza", "restaurants")],
            CostSplitSpec(ways=3),
        ),
        ("divide por todos", "pt", [], CostSplitSpec(everyone=True)),
        ("split it with everyone", "en", [], CostSplitSpec(everyone=True)),
        # a pronoun is kept as a name: the core asks who it is rather than guess
        (
            "uber 30 divide com ela",
            "pt",
            [("expense", Decimal("30"), "uber", "transport")],
            CostSplitSpec(("ela",)),
        ),
        ("dividido em 3 partes", "pt", [], CostSplitSpec(ways=3)),
        ("split it three ways", "en", [], CostSplitSpec(ways=3)),
    ],
)
def test_a_split_request_names_who_shares_and_keeps_the_expense(
    text: str, hint: str, expected_items: list[object], spec: CostSplitSpec
) -> None:
    reading = read(text, hint)
    assert (reading.intent, reading.problem) == ("split", None), reading
    assert items(reading) == expected_items
    assert reading.cost_split == spec


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dividi em 3x no cartão 300", ("expense", Decimal("300"), 3)),  # instalments, not parts
        ("parcelei em 3 vezes 300 na loja", ("expense", Decimal("300"), 3)),
        ("split pea soup 12", ("expense", Decimal("12"), None)),  # a cue with nobody named is no split
        ("paguei 60 pra Ana", ("expense", Decimal("60"), None)),  # paying Ana stays an expense
        ("jantar com a Ana 80", ("expense", Decimal("80"), None)),  # with her, no split asked
    ],
)
def test_what_is_no_split_request_is_read_as_before(text: str, expected: tuple[object, ...]) -> None:
    reading = read(text)
    assert reading.intent == "record", reading
    assert reading.cost_split is None
    (item,) = reading.items
    assert (item.kind, item.amount, item.installments) == expected


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        ("/saldo", "pt", "pt"),
        ("/saldo@financy_bot", "pt", "pt"),
        ("/balances", "en", "en"),
        ("/acertar", "pt", "pt"),
        ("quem deve quem?", "pt", "pt"),
        ("Quem deve pra quem?", "pt", "pt"),
        ("quanto eu devo?", "pt", "pt"),
        ("who owes whom?", "en", "en"),
        ("Who owes who", "en", "en"),
    ],
)
def test_who_owes_whom_is_asked(text: str, hint: str, language: str) -> None:
    reading = read(text, hint)
    assert (reading.intent, reading.language, reading.items, reading.problem) == (
        "who_owes",
        language,
        (),
        None,
    )


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("/acertar Ana 60", SettlementSpec("Ana", Decimal("60"), None)),
        ("/acertar 60,50 pra Ana Paula", SettlementSpec("Ana Paula", Decimal("60.50"), None)),
        ("/acertar R$ 25 com o João", SettlementSpec("João", Decimal("25"), "BRL")),
        ("/settle Bob $20", SettlementSpec("Bob", Decimal("20"), "USD")),
        ("/acertar Ana", SettlementSpec("Ana", None, None)),
        ("/acertar Ana 10 20", SettlementSpec("Ana", None, None)),  # which one? the core asks
        ("/acertar 1e5 Ana", SettlementSpec("Ana", None, None)),
        ("/acertar 60", SettlementSpec(None, Decimal("60"), None)),
    ],
)
def test_a_settlement_command_reads_who_was_paid_and_how_much(text: str, spec: SettlementSpec) -> None:
    reading = read(text)
    assert (reading.intent, reading.settlement) == ("settle", spec)


def test_the_wire_carries_the_split_and_the_settlement() -> None:
    split = understand_text(
        "paguei 120 do jantar, divide com a Ana", today=TODAY, language_hint="pt", currency="BRL"
    )
    assert split.intent is Intent.SPLIT
    assert split.cost_split == CostSplitRequest(names=("Ana",))
    (tx,) = split.transactions
    assert (tx.amount, tx.merchant, tx.category) == (Decimal("120"), "jantar", "restaurants")
    settle = understand_text("/acertar Ana 60", today=TODAY, language_hint="pt", currency="BRL")
    assert settle.intent is Intent.SETTLE
    assert settle.settlement == SettlementRequest(name="Ana", amount=Decimal("60"))
    owes = understand_text("who owes whom?", today=TODAY, language_hint="en", currency="BRL")
    assert (owes.intent, owes.cost_split, owes.settlement) == (Intent.WHO_OWES, None, None)
    plain = understand_text("mercado 45,90", today=TODAY, language_hint="pt", currency="BRL")
    assert (plain.intent, plain.cost_split, plain.settlement) == (Intent.RECORD, None, None)
