"""The reader on questions that are no sum (balance, last entries, top categories, bills, the card
bill, charts, what is left of a budget), budget phrases and category groups.

Every such question is "query" with its ``ask`` (never "não entendi", never an expense); a budget
phrase is "budget" with what it says. Sum questions and transactions read as before.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from financy.edge.pipeline.understand import understand_text
from financy.inference.text import QuerySpec, read_message
from financy.inference.text.asks import BudgetSpec
from financy.inference.text.reader import Reading

TODAY = dt.date(2026, 11, 28)  # a Saturday
FOOD = ("groceries", "restaurants")


def read(text: str, hint: str | None = None) -> Reading:
    return read_message(text, today=TODAY, language_hint=hint)


def asked(text: str, hint: str | None = None) -> QuerySpec:
    reading = read(text, hint)
    assert (reading.intent, reading.items, reading.problem) == ("query", (), None), reading
    assert reading.query is not None
    return reading.query


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        ("qual meu saldo?", "balance"),
        ("saldo", "balance"),
        ("me diz o saldo do mês", "balance"),
        ("quanto sobrou esse mês?", "balance"),
        ("what's my balance", "balance"),
        ("how much do I have left this month?", "balance"),
        ("últimos gastos", "recent"),
        ("quais foram os últimos lançamentos?", "recent"),
        ("extrato", "recent"),
        ("show my last transactions", "recent"),
        ("recent expenses", "recent"),
        ("quanto tá a fatura do cartão?", "card_bill"),
        ("qual o valor da fatura?", "card_bill"),
        ("how much is my credit card bill?", "card_bill"),
        ("tenho contas a pagar?", "bills"),
        ("o que vence essa semana?", "bills"),
        ("quais boletos estão pendentes?", "bills"),
        ("any upcoming bills?", "bills"),
        ("what bills are due?", "bills"),
        ("onde eu mais gastei esse mês?", "top_categories"),
        ("com o que eu mais gastei?", "top_categories"),
        ("gastos por categoria", "top_categories"),
        ("top categories", "top_categories"),
        ("where did I spend the most?", "top_categories"),
        ("what did I spend the most on last month?", "top_categories"),
        ("me manda um gráfico", "chart"),
        ("gráfico dos gastos do mês", "chart"),
        ("show me a chart", "chart"),
        ("can you make a pie chart of my spending?", "chart"),
        ("quanto falta no orçamento do mercado?", "budget"),
        ("how much is left in my budget?", "budget"),
        ("how much is left for food?", "budget"),
    ],
)
def test_each_question_is_read_with_its_ask(text: str, ask: str) -> None:
    assert asked(text).ask == ask


def test_a_balance_takes_the_period_said_else_this_month() -> None:
    assert asked("qual meu saldo?").period == "this_month"
    assert asked("qual foi meu saldo mês passado?").period == "last_month"
    assert asked("saldo de outubro").period == "last_month"
    assert asked("what's my balance this year").period == "this_year"
    assert asked("my balance of all time").period == "all"
    unsure = read("qual meu saldo em abril?")
    assert (unsure.intent, unsure.query, unsure.problem) == ("query", None, "unsupported_period")


def test_the_last_entries_say_their_kind_count_period_and_subject() -> None:
    assert asked("últimos gastos") == QuerySpec("expense", "all", ask="recent")
    assert asked("extrato") == QuerySpec("expense", "all", ask="recent", all_kinds=True)
    assert asked("últimas receitas") == QuerySpec("income", "all", ask="recent")
    assert asked("últimos 10 gastos").limit == 10
    assert asked("me mostra os 3 últimos lançamentos") == QuerySpec(
        "expense", "all", ask="recent", limit=3, all_kinds=True
    )
    assert asked("show me my last five transactions").limit == 5
    assert asked("last 50 transactions").limit == 20  # at most 20
    assert asked("últimos gastos de ontem").period == "yesterday"
    assert asked("últimos gastos no mercado").category == "groceries"
    assert asked("últimos gastos com comida") == QuerySpec(
        "expense", "all", ask="recent", group="food", categories=FOOD
    )


def test_the_top_categories_take_a_period() -> None:
    assert asked("onde eu mais gastei esse mês?") == QuerySpec("expense", "this_month", ask="top_categories")
    assert asked("where did I spend the most last week?").period == "last_week"
    assert asked("onde mais gastei?").period == "this_month"


def test_asks_the_ledger_cannot_answer_carry_no_period() -> None:
    """Bills, card bill, chart: no period is checked (the answer is "not yet" anyway)."""
    assert asked("quais contas vencem em abril?") == QuerySpec(ask="bills")
    assert asked("me manda um gráfico de pizza") == QuerySpec(ask="chart")
    assert asked("quanto falta no orçamento do mercado?") == QuerySpec(ask="budget", category="groceries")
    assert asked("how much is left for food?") == QuerySpec(ask="budget", group="food", categories=FOOD)


@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("orçamento de 800 para mercado", BudgetSpec(Decimal(800), None, "groceries")),
        ("budget 500 for groceries", BudgetSpec(Decimal(500), None, "groceries")),
        ("meu orçamento do mês é 3000", BudgetSpec(Decimal(3000))),
        ("orçamento de 600 pra comida", BudgetSpec(Decimal(600), None, None, "food", FOOD)),
        ("set a budget of $400 for transport", BudgetSpec(Decimal(400), "USD", None, "transport",
                                                           ("transport", "fuel"))),
        ("limite de gastos 2000 reais", BudgetSpec(Decimal(2000), "BRL")),
        ("quero definir um orçamento pro lazer", BudgetSpec(None, None, "entertainment")),
        ("orçamento: mercado 800, lazer 300", BudgetSpec()),
    ],
)  # fmt: skip
def test_budget_phrases_are_budgets_never_expenses(text: str, budget: BudgetSpec) -> None:
    reading = read(text)
    assert (reading.intent, reading.items, reading.budget) == ("budget", (), budget)


def test_a_budget_reaches_the_contract() -> None:
    u = understand_text("orçamento de 800 para mercado", today=TODAY, language_hint="pt", currency="BRL")
    assert (u.intent.value, u.transactions) == ("budget", ())
    assert u.budget is not None
    assert (u.budget.amount, u.budget.category) == (Decimal(800), "groceries")
    q = understand_text("últimos 3 gastos", today=TODAY, language_hint="pt", currency="BRL")
    assert q.query is not None
    assert (q.query.ask, q.query.limit, q.query.period) == ("recent", 3, "all")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("paguei a fatura do cartão 1500", "1500"),
        ("paguei 300 do orçamento do pintor", "300"),  # an expense verb: a quote paid, not a budget
        ("spent 40 at the budget store", "40"),
        ("saldo devedor 200 paguei hoje", "200"),
        ("gráfica 35", "35"),
    ],
)
def test_a_transaction_naming_such_words_is_still_a_transaction(text: str, amount: str) -> None:
    reading = read(text)
    assert (reading.intent, [i.amount for i in reading.items]) == ("record", [Decimal(amount)])


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("quanto gastei com comida este mês?", QuerySpec("expense", "this_month", group="food", categories=FOOD)),
        ("how much did I spend on food?", QuerySpec("expense", "this_month", group="food", categories=FOOD)),
        ("quanto gastei com transporte essa semana", QuerySpec("expense", "this_week", group="transport",
                                                                categories=("transport", "fuel"))),
        ("quanto gastei com casa?", QuerySpec("expense", "this_month", group="home",
                                              categories=("housing", "utilities"))),
        # a word inside a longer category name names no group; a category stays a category
        ("quanto gastei com contas da casa", QuerySpec("expense", "this_month", "utilities")),
        ("quanto gastei com mercado este mês?", QuerySpec("expense", "this_month", "groceries")),
        ("quanto gastei com restaurante", QuerySpec("expense", "this_month", "restaurants")),
        ("how much did I spend on bills this month", QuerySpec("expense", "this_month", "utilities")),
    ],
)  # fmt: skip
def test_a_group_word_makes_the_question_about_its_members(text: str, spec: QuerySpec) -> None:
    assert asked(text) == spec


def test_recategorizing_to_a_group_word_still_names_one_category() -> None:
    """Groups are for questions: "muda pra alimentação" changes to restaurants, as before."""
    reading = read("muda pra alimentação")
    assert (reading.intent, reading.category) == ("recategorize", "restaurants")


@pytest.mark.parametrize("text", ["o que eu preciso pagar esse mês?", "what do I have to pay this week?"])
def test_a_payment_to_come_is_a_bills_question_only_when_asked(text: str) -> None:
    assert asked(text).ask == "bills"


@pytest.mark.parametrize("text", ["preciso pagar o aluguel", "need to pay rent"])
def test_a_payment_to_come_said_without_amount_is_no_question(text: str) -> None:
    assert read(text).intent == "unknown"


@pytest.mark.parametrize(
    "text", ["saldo de cem reais no vale", "the balance was twenty dollars", "devo trinta reais"]
)
def test_an_amount_in_words_with_its_currency_is_no_question(text: str) -> None:
    assert read(text).intent != "query"
