"""The first message reader: the shared fixture set, intents, problems, several items, kind, confidence.

Amount, date and field rules have their own files (test_reader_amounts/_dates/_fields.py).
``TODAY`` is Saturday 28 November 2026.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from financy.inference.text import MAX_CHARS, Reading, ReadItem, read_message

TODAY = dt.date(2026, 11, 28)
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "expense_messages.jsonl"
ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()
]


def read(text: str, **kwargs: Any) -> Reading:
    return read_message(text, today=TODAY, **kwargs)


def only_item(text: str, **kwargs: Any) -> ReadItem:
    reading = read(text, **kwargs)
    assert reading.intent == "record", reading
    assert len(reading.items) == 1, reading.items
    return reading.items[0]


# --- the shared fixture set -------------------------------------------------------------------


def test_fixture_file_is_the_shared_copy() -> None:
    assert len(ROWS) == 49
    assert {row["source"] for row in ROWS} == {
        "github.com/CassieRios/desafio_caixa_impacto_social",
        "github.com/facebook/duckling",
        "github.com/scrapinghub/price-parser",
    }


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_fixture_message(row: dict[str, Any]) -> None:
    """GIVEN a labelled line WHEN read in its language with the usual base currency THEN the first
    item has the labelled amount and currency, and unlabelled lines give no items."""
    language = {"pt-BR": "pt", "pt": "pt", "en": "en"}.get(row["lang"])
    default_currency = "USD" if row["lang"] == "en" else "BRL"
    reading = read(row["text"], language_hint=language, default_currency=default_currency)
    expected = row["expected_amount"]
    if expected is None:
        assert reading.items == ()
        assert reading.intent == "unknown"
        assert reading.problem in {"no_amount", "ambiguous_amount", "query"}
        return
    first = reading.items[0]
    amount = Decimal(str(expected))
    currency: str = row["expected_currency"]
    assert first.kind == "expense"
    if currency.startswith("cent"):
        assert first.amount == amount / 100
        assert first.currency == "USD"
    elif currency.startswith(("$", "none (bucks")):
        assert first.amount == amount
        assert first.currency == "USD"
    elif currency.startswith("£"):
        assert first.amount == amount
        assert first.currency == "GBP"
    elif "currency implicit" in row["note"]:
        # the text may name no currency: then the context's base currency applies downstream
        assert first.amount == amount
        assert (first.currency or default_currency) == currency
    else:
        assert first.amount == amount
        assert first.currency == currency


def test_fixture_implicit_currency_stays_unnamed() -> None:
    assert only_item("Gasolina 75,9", default_currency="BRL").currency is None
    assert only_item("Comprei um lanche por 25,50", default_currency="BRL").currency is None


# --- intents ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("/undo", "undo", "en"),
        ("/desfazer", "undo", "pt"),
        ("desfazer", "undo", "pt"),
        ("Desfazer!", "undo", "pt"),
        ("undo", "undo", "en"),
        ("apaga o último", "undo", "pt"),
        ("apaga o ultimo", "undo", "pt"),
        ("delete last", "undo", "en"),
        ("/help", "help", "en"),
        ("/ajuda", "help", "pt"),
        ("ajuda", "help", "pt"),
        ("help", "help", "en"),
        ("/start", "start", "pt"),
        ("/start@financy_bot", "start", "pt"),
    ],
)
def test_command_intents(text: str, intent: str, language: str) -> None:
    reading = read(text)
    assert (reading.intent, reading.language, reading.items, reading.problem) == (intent, language, (), None)


def test_slash_commands_are_certain_and_phrases_nearly() -> None:
    assert read("/undo").confidence == 1.0
    assert read("desfazer").confidence == 0.9


def test_unknown_slash_command() -> None:
    assert read("/foo") == Reading("pt", "unknown", (), 0.0, "unknown_command")


def test_add_command_reads_the_rest() -> None:
    item = only_item("/add 5.50 Coffee", language_hint="en")
    assert (item.amount, item.merchant, item.category) == (Decimal("5.50"), "coffee", "restaurants")


def test_command_word_inside_a_transaction_is_a_transaction() -> None:
    item = only_item("ajuda com o aluguel 500")
    assert (item.amount, item.category) == (Decimal(500), "housing")


@pytest.mark.parametrize(
    ("text", "ask", "problem"),
    [
        ("show me my ten most recent transactions", "recent", None),
        ("qual meu saldo em 2024", None, "unsupported_period"),
    ],
)
def test_questions_that_are_no_sum_record_nothing(text: str, ask: str | None, problem: str | None) -> None:
    """Questions that are not a sum (a list, a balance) record nothing: they are read with their
    ask (test_reader_asks.py has the rules); a balance of a year no period expresses is asked."""
    reading = read(text)
    assert (reading.intent, reading.items, reading.problem) == ("query", (), problem)
    assert (reading.query.ask if reading.query else None) == ask
    if ask == "recent":
        assert reading.query is not None
        assert reading.query.limit == 10


def test_a_sum_question_records_nothing_and_is_a_query() -> None:
    """Sum questions are read into a QuerySpec (test_reader_intents.py has the rules)."""
    reading = read("quanto gastei ontem?")
    assert (reading.intent, reading.items, reading.problem) == ("query", (), None)
    assert reading.query is not None
    assert reading.query.period == "yesterday"


# --- problems ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty(text: str) -> None:
    assert read(text) == Reading("pt", "unknown", (), 0.0, "empty")


def test_empty_uses_the_hint_language() -> None:
    assert read("", language_hint="en-US").language == "en"


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02\x03garbage",
        bytes(range(256)).decode("latin-1"),
        "\ufffd\ufffd\ufffdPNG\x1a\n",
    ],
)
def test_binary_junk_is_not_text(text: str) -> None:
    assert read(text) == Reading("pt", "unknown", (), 0.0, "not_text")


def test_non_string_is_not_text() -> None:
    assert read_message(b"gastei 50", today=TODAY).problem == "not_text"  # type: ignore[arg-type]


def test_a_stray_control_character_is_ignored() -> None:
    item = only_item("gastei 50\x07 no mercado")
    assert (item.amount, item.merchant) == (Decimal(50), "mercado")


def test_no_amount() -> None:
    # what was bought is kept, so the question can name it ("Quanto foi “uber”?")
    assert read("Peguei um Uber") == Reading(
        "pt", "unknown", (), 0.0, "no_amount", item_without_amount="uber"
    )


def test_too_long_is_not_read() -> None:
    text = "gastei 45,90 no mercado " * 420  # about 10 kB
    reading = read(text)
    assert reading == Reading("pt", "unknown", (), 0.0, "too_long")


def test_longest_readable_message_has_too_many_items() -> None:
    text = ("uber 23 e almoço 35, " * 100)[:MAX_CHARS]
    reading = read(text)
    assert reading.problem == "too_many_items"


def test_up_to_twenty_items_are_recorded() -> None:
    reading = read(", ".join(f"uber {n}" for n in range(11, 31)))
    assert [item.amount for item in reading.items] == [Decimal(n) for n in range(11, 31)]


# --- several transactions in one message ------------------------------------------------------


def test_two_items_joined_by_e() -> None:
    reading = read("uber 23 e almoço 35")
    assert [(i.amount, i.merchant, i.category) for i in reading.items] == [
        (Decimal(23), "uber", "transport"),
        (Decimal(35), "almoço", "restaurants"),
    ]


def test_two_items_split_by_comma() -> None:
    reading = read("mercado 120, farmácia 42,50")
    assert [(i.amount, i.merchant, i.category) for i in reading.items] == [
        (Decimal(120), "mercado", "groceries"),
        (Decimal("42.50"), "farmácia", "health"),
    ]


def test_two_items_with_prepositions() -> None:
    reading = read("gastei 50 reais no mercado e 30 na farmácia")
    assert [(i.amount, i.currency, i.merchant) for i in reading.items] == [
        (Decimal(50), "BRL", "mercado"),
        (Decimal(30), None, "farmácia"),
    ]


@pytest.mark.parametrize("text", ["uber 23 almoço 35", "23 uber 35 almoço", "23 uber, 35 almoço"])
def test_two_items_without_separator_follow_the_first_items_order(text: str) -> None:
    reading = read(text)
    assert [(i.amount, i.merchant) for i in reading.items] == [(Decimal(23), "uber"), (Decimal(35), "almoço")]


def test_date_and_a_single_payment_method_apply_to_every_item() -> None:
    reading = read("almoço 35 e uber 20 ontem no pix")
    assert [(i.amount, i.days_ago, i.payment_method) for i in reading.items] == [
        (Decimal(35), 1, "pix"),
        (Decimal(20), 1, "pix"),
    ]


def test_each_item_keeps_its_own_kind() -> None:
    reading = read("recebi 100 do joão e paguei 40 no mercado")
    assert [(i.kind, i.amount, i.category) for i in reading.items] == [
        ("income", Decimal(100), "other_income"),
        ("expense", Decimal(40), "groceries"),
    ]


# --- income, expense, transfer ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "category"),
    [
        ("gastei 45,90 no mercado", "expense", "groceries"),
        ("recebi 100", "income", "other_income"),
        ("salário 5000", "income", "salary"),
        ("recebi o salário 5000", "income", "salary"),
        ("ganhei 50", "income", "other_income"),
        ("got paid 3000", "income", "other_income"),
        ("received 200", "income", "other_income"),
        ("salary 4000", "income", "salary"),
        ("refund 30 amazon", "income", "other_income"),
        ("reembolso 80 farmácia", "income", "other_income"),
        ("paid 50 for gas", "expense", "fuel"),
        ("paguei o salário da diarista 1500", "expense", "housing"),
        ("transferi 200 pro joão", "transfer", "transfer"),
        ("apliquei 300 na poupança", "transfer", "transfer"),
    ],
)
def test_kind(text: str, kind: str, category: str) -> None:
    item = only_item(text)
    assert (item.kind, item.category) == (kind, category)


# --- confidence -------------------------------------------------------------------------------


def test_confidence_high_with_amount_and_merchant() -> None:
    assert read("gastei 45,90 no mercado ontem").confidence == 0.85
    assert read("uber 23").confidence == 0.8


def test_confidence_of_a_bare_number() -> None:
    assert read("45").confidence == 0.6


def test_confidence_explicit_currency_beats_bare_dollar() -> None:
    assert read("R$ 45").confidence == 0.7
    assert read("$45").confidence == 0.65


def test_confidence_lower_for_approximate_and_negative() -> None:
    assert read("around 42 bucks").confidence == 0.6
    assert read("-50").confidence == 0.45


def test_reading_confidence_is_the_lowest_item() -> None:
    reading = read("R$ 45 mercado, 30")
    assert [item.amount for item in reading.items] == [Decimal(45), Decimal(30)]
    assert reading.confidence == 0.6


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        # the chat's language is sticky: a bare command never changes it
        ("/help", "pt", "pt"),
        ("/undo", "pt", "pt"),
        ("/help@financy_bot", "pt", "pt"),
        ("/ajuda", "en", "en"),
        ("/desfazer", "en", "en"),
        ("/start", "en", "en"),
        ("/start", "pt", "pt"),
        # with no chat language known, the language of its word
        ("/help", None, "en"),
        ("/undo", None, "en"),
        ("/ajuda", None, "pt"),
        ("/desfazer", None, "pt"),
    ],
)
def test_a_bare_command_answers_in_the_chats_language(text: str, hint: str | None, language: str) -> None:
    reading = read_message(text, today=TODAY, language_hint=hint)
    assert reading.language == language
    assert reading.language_sure is False
