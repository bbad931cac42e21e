"""Reader intents beyond recording: questions (query), category changes (recategorize),
confirmations (confirm) and small talk, in both languages, with and without accents.

``TODAY`` is Saturday 28 November 2026, so "october" is last month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from financy.inference.text import QuerySpec, Reading, read_message

#: The "food" group's members (inference/data/category_groups.tsv).
FOOD = ("groceries", "restaurants")


def food(period: str) -> QuerySpec:
    """A question about what was spent on food (groceries and restaurants) in ``period``."""
    return QuerySpec("expense", period, group="food", categories=FOOD)


TODAY = dt.date(2026, 11, 28)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "expense_messages.jsonl"


def read(text: str, **kwargs: Any) -> Reading:
    return read_message(text, today=TODAY, **kwargs)


def query(text: str, **kwargs: Any) -> QuerySpec:
    reading = read(text, **kwargs)
    assert (reading.intent, reading.items, reading.problem, reading.category) == ("query", (), None, None), (
        reading
    )
    assert reading.query is not None
    return reading.query


# --- query: sums asked of the ledger ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "spec"),
    [
        ("quanto gastei com mercado este mês?", "pt", QuerySpec("expense", "this_month", "groceries")),
        ("quanto gastei com mercado este mes?", "pt", QuerySpec("expense", "this_month", "groceries")),
        ("quanto gastei essa semana", "pt", QuerySpec("expense", "this_week")),
        ("how much did I spend on food last week?", "en", food("last_week")),
        ("how much did I spend at uber in october", "en", QuerySpec("expense", "last_month", merchant="uber")),
        ("qual meu gasto com farmácia hoje", "pt", QuerySpec("expense", "today", "health")),
        ("qual meu gasto com farmacia hoje", "pt", QuerySpec("expense", "today", "health")),
        ("total de ontem", "pt", QuerySpec("expense", "yesterday")),
        ("quanto recebi este mês", "pt", QuerySpec("income", "this_month")),
        ("quanto gastei ontem?", "pt", QuerySpec("expense", "yesterday")),
        ("quanto gastei com comida semana passada", "pt", food("last_week")),
        ("quanto gastei com alimentação", "pt", food("this_month")),
        ("quanto gastei com alimentacao", "pt", food("this_month")),
        ("quanto gastei com saude no mês passado", "pt", QuerySpec("expense", "last_month", "health")),
        ("quanto eu gastei no uber hoje?", "pt", QuerySpec("expense", "today", merchant="uber")),
        ("quanto gastei no pão de açúcar", "pt", QuerySpec("expense", "this_month", merchant="pão de açúcar")),
        ("quanto gastei em outubro", "pt", QuerySpec("expense", "last_month")),
        ("quanto gastei em novembro", "pt", QuerySpec("expense", "this_month")),
        ("quanto gastei em 2026", "pt", QuerySpec("expense", "this_year")),
        ("quanto gastei ano passado", "pt", QuerySpec("expense", "last_year")),
        ("quanto gastei até hoje", "pt", QuerySpec("expense", "all")),
        ("quanto ganhei de salário este ano", "pt", QuerySpec("income", "this_year", "salary")),
        ("meus gastos da semana", "pt", QuerySpec("expense", "this_week")),
        ("gastos de hoje", "pt", QuerySpec("expense", "today")),
        ("how much have I spent this month?", "en", QuerySpec("expense", "this_month")),
        ("How much money did I make last year?", "en", QuerySpec("income", "last_year")),
        ("what did I earn last month?", "en", QuerySpec("income", "last_month")),
        ("what have i spent on food this month", "en", food("this_month")),
        ("what've i spent on gas this month", "en", QuerySpec("expense", "this_month", "fuel")),
        ("how much did i spend at starbucks last year", "en", QuerySpec("expense", "last_year", merchant="starbucks")),
        ("Yes! How much did I spend on Starbucks?", "en", QuerySpec(merchant="starbucks")),
        ("Can you tell me how much I spent at Ikea this month?", "en", QuerySpec(merchant="ikea")),
        ("how much did I spend at whole foods today", "en", QuerySpec("expense", "today", merchant="whole foods")),
        ("what's the total i've spent on shoes this month", "en", QuerySpec("expense", "this_month", "shopping")),
        ("check how much i spent this week", "en", QuerySpec("expense", "this_week")),
        ("how much have I spent ever", "en", QuerySpec("expense", "all")),
    ],
)  # fmt: skip
def test_sum_questions(text: str, language: str, spec: QuerySpec) -> None:
    reading = read(text)
    assert reading.language == language
    assert reading.confidence == 0.9
    assert query(text) == spec


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("qnto gastei hoje", QuerySpec("expense", "today")),
        ("qto gastei com uber esse mês", QuerySpec("expense", "this_month", merchant="uber")),
        ("mostra meus gastos do mês", QuerySpec("expense", "this_month")),
        ("quanto foi a farmácia ontem?", QuerySpec("expense", "yesterday", "health")),
        ("how much at starbucks this week?", QuerySpec("expense", "this_week", merchant="starbucks")),
    ],
)
def test_other_ways_of_asking(text: str, spec: QuerySpec) -> None:
    assert query(text) == spec


def test_an_unknown_noun_after_a_preposition_is_a_merchant_guess() -> None:
    """ "at Legoland": no category word, so the merchant; a guess, so less confident."""
    reading = read("What did I spend at Legoland last month?")
    assert reading.query == QuerySpec("expense", "last_month", merchant="legoland")
    assert reading.confidence == 0.75
    # a name that starts with a category word is still a name
    assert query("quanto gastei na padaria do zé?") == QuerySpec(
        "expense", "this_month", merchant="padaria do zé"
    )
    assert query("quanto gastei no zé do espeto") == QuerySpec(
        "expense", "this_month", merchant="zé do espeto"
    )
    # a category and a merchant together
    assert query("quanto gastei com comida no zé delivery") == QuerySpec(
        "expense", "this_month", "restaurants", "zé delivery"
    )


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("quanto gastei com plano de saúde", QuerySpec("expense", "this_month", "health")),
        ("quanto gastei com farmácias", QuerySpec("expense", "this_month", "health")),
        ("quanto gastei em compras de mercado", QuerySpec("expense", "this_month", "groceries")),
        ("quanto gastei no cartão", QuerySpec("expense", "this_month")),
        ("quanto gastei no pão de açúcar", QuerySpec("expense", "this_month", merchant="pão de açúcar")),
    ],
)
def test_known_names_are_certain(text: str, spec: QuerySpec) -> None:
    """Names the entity ruler knows (a phrase, a plural, a payment word, a merchant) are no guess."""
    reading = read(text)
    assert (reading.query, reading.confidence) == (spec, 0.9)


def test_a_named_month_depends_on_today() -> None:
    """ "in october" is last month in November; in June it is no period we can express."""
    assert query("how much did I spend at uber in october").period == "last_month"
    reading = read_message("how much did I spend at uber in october", today=dt.date(2026, 6, 10))
    assert reading == Reading("en", "query", (), 0.5, "unsupported_period")
    assert read_message("quanto gastei em dezembro", today=dt.date(2027, 1, 5)).query == QuerySpec(
        "expense", "last_month"
    )


@pytest.mark.parametrize(
    "text",
    [
        "quanto gastei em abril com alimentação",
        "quanto gastei em 2024",
        "quanto gastei nos últimos 30 dias",
        "quanto gastei anteontem",
        "quanto gastei hoje e ontem",
        "quanto gastei no fim de semana",
        "what have i spent on fast food recently",
        "how much money did i spend this weekend",
        "What did I spend at Starbucks in may?",
        "how much was deposited in January",
        "how much do i earn a year",
    ],
)
def test_periods_that_cannot_be_expressed_are_asked_about(text: str) -> None:
    """Never a wrong period: no spec, intent still "query", confidence visibly low."""
    reading = read(text)
    assert (reading.intent, reading.items, reading.query, reading.problem, reading.confidence) == (
        "query",
        (),
        None,
        "unsupported_period",
        0.5,
    )


@pytest.mark.parametrize(
    "text",
    [
        "what is my typical spending at Amazon?",
        "how much did i spend on my most recent transaction",
    ],
)
def test_questions_that_are_not_a_sum_stay_unknown(text: str) -> None:
    assert read(text) == Reading(read(text).language, "unknown", (), 0.0, "query")


@pytest.mark.parametrize(
    ("text", "amount"), [("gastos 50 mercado", "50"), ("total 50", "50"), ("gasto 50 no mercado", "50")]
)
def test_a_noun_cue_with_an_amount_is_a_record(text: str, amount: str) -> None:
    """A noun cue ("total de ontem") asks; with a number ("total 50") it tells."""
    reading = read(text)
    assert (reading.intent, [item.amount for item in reading.items]) == ("record", [Decimal(amount)])


def test_a_question_with_a_typo_in_its_cue_is_not_guessed() -> None:
    """ "quantu" is no cue we know: nothing is recorded, no question invented."""
    reading = read("quantu gastei hoje")
    assert (reading.intent, reading.items) == ("unknown", ())


# --- recategorize -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "category"),
    [
        ("muda pra saúde", "pt", "health"),
        ("muda pra saude", "pt", "health"),
        ("muda para mercado", "pt", "groceries"),
        ("categoria: transporte", "pt", "transport"),
        ("era saúde", "pt", "health"),
        ("era saude", "pt", "health"),
        ("isso foi farmácia", "pt", "health"),
        ("isso foi farmacia", "pt", "health"),
        ("não, foi lazer", "pt", "entertainment"),
        ("nao, foi lazer", "pt", "entertainment"),
        ("muda a categoria para alimentação", "pt", "restaurants"),
        ("troca pra cuidados pessoais", "pt", "personal_care"),
        ("muda pra uber eats", "pt", "restaurants"),
        ("muda pra saúde por favor", "pt", "health"),
        ("that was health", "en", "health"),
        ("change it to groceries", "en", "groceries"),
        ("category travel", "en", "travel"),
        ("that's food", "en", "restaurants"),
        ("it should be personal care", "en", "personal_care"),
        ("change the category to subscriptions please", "en", "subscriptions"),
    ],
)
def test_recategorize(text: str, language: str, category: str) -> None:
    assert read(text) == Reading(language, "recategorize", (), 0.9, None, None, category)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("era mercado, não farmácia", "groceries"),
        ("não é lazer, é educação", "education"),
        ("nao foi restaurante, foi mercado", "groceries"),
        ("it was groceries, not food", "groceries"),
        ("that was health not shopping", "health"),
    ],
)
def test_a_correction_may_say_what_it_was_not(text: str, category: str) -> None:
    reading = read(text)
    assert (reading.intent, reading.category, reading.problem) == ("recategorize", category, None)


@pytest.mark.parametrize(("text", "language"), [("muda pra xyz", "pt"), ("change it to blah", "en")])
def test_a_change_to_an_unknown_category_is_asked_about(text: str, language: str) -> None:
    assert read(text) == Reading(language, "recategorize", (), 0.3, "unknown_category", None, None)


@pytest.mark.parametrize("text", ["isso foi caro", "era o joão", "is there a transfer charge?", "foi bom"])
def test_a_weak_cue_without_a_category_is_no_change(text: str) -> None:
    assert read(text).intent == "unknown"


@pytest.mark.parametrize(
    "text", ["mercado 50", "farmácia 30", "saúde 100", "era 50 no mercado", "muda pra saúde 50"]
)
def test_a_line_with_an_amount_is_still_a_record(text: str) -> None:
    assert read(text).intent == "record"


# --- confirm ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("sim", "pt"),
        ("Sim!", "pt"),
        ("isso", "pt"),
        ("isso mesmo", "pt"),
        ("pode", "pt"),
        ("confirma", "pt"),
        ("sim, obrigado", "pt"),
        ("yes", "en"),
        ("yep", "en"),
        ("correct", "en"),
        ("yes please", "en"),
        ("save it", "en"),
        ("salva", "pt"),
    ],
)
def test_confirm(text: str, language: str) -> None:
    assert read(text) == Reading(language, "confirm", (), 0.9, None)


@pytest.mark.parametrize("text", ["ok", "👍", "👍🏻", "ok 👍", "✅"])
def test_confirm_in_no_language_follows_the_chat(text: str) -> None:
    assert read(text) == Reading("pt", "confirm", (), 0.9, None)
    assert read(text, language_hint="en").language == "en"


def test_confirm_needs_the_whole_message() -> None:
    assert read("sim, gastei 50 no mercado").intent == "record"
    assert read("isso foi farmácia").intent == "recategorize"


# --- small talk -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("oi", "pt"),
        ("olá", "pt"),
        ("ola", "pt"),
        ("bom dia", "pt"),
        ("boa noite", "pt"),
        ("obrigado", "pt"),
        ("valeu", "pt"),
        ("tudo bem?", "pt"),
        ("oi, tudo bem?", "pt"),
        ("Olá! Bom dia 😀", "pt"),
        ("hi", "en"),
        ("hello", "en"),
        ("thanks", "en"),
        ("thank you", "en"),
        ("good morning", "en"),
        ("how are you?", "en"),
        ("thanks again!", "en"),
        ("top, valeu", "pt"),
        ("you rock", "en"),
    ],
)
def test_small_talk(text: str, language: str) -> None:
    assert read(text) == Reading(language, "small_talk", (), 0.9, None)


@pytest.mark.parametrize("text", ["😀", "kkkk", "haha", "🍕🍕🍕", "❤️", ":)", "obrigado 👍"])
def test_emoji_and_laughter_are_small_talk(text: str) -> None:
    reading = read(text)
    assert (reading.intent, reading.items, reading.problem) == ("small_talk", (), None)


def test_a_greeting_with_an_amount_is_a_record_without_the_greeting() -> None:
    reading = read("oi, gastei 20 no bar")
    assert reading.intent == "record"
    item = reading.items[0]
    assert (item.amount, item.merchant, item.category, item.description) == (
        Decimal(20),
        "bar",
        "restaurants",
        "bar",
    )
    thanks = read("almoço 35, obrigado!").items[0]
    assert (thanks.amount, thanks.merchant, thanks.description) == (Decimal(35), "almoço", "almoço")


def test_oi_is_also_a_merchant_when_it_is_not_a_greeting() -> None:
    assert read("conta da oi 100").items[0].merchant == "oi"


# --- help before questions, and the fixture set -------------------------------------------------


@pytest.mark.parametrize("text", ["what can you do", "how does this work", "como funciona"])
def test_help_phrases_are_help_not_questions(text: str) -> None:
    assert read(text).intent == "help"


@pytest.mark.parametrize(
    "text",
    [
        "quanto gastei em 2024",
        "quanto gastei nos últimos 30 dias",
        "qual meu saldo em 2024",
        "I live in apartment 302",
    ],
)
def test_numbers_that_are_not_money_never_become_amounts(text: str) -> None:
    assert read(text).items == ()
