"""Answers to questions about the ledger (balance, last transactions, top categories, a category
group) and the plain "not yet" (bills, card bill, charts, budgets), in pt-BR and English."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from financy.bots.common.render import render, render_reply
from financy.core.contracts.v1 import (
    BalanceRow,
    BudgetRequest,
    CategoryTotal,
    LedgerQuery,
    QueryAnswer,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    TransactionKind,
)
from tests.support.replies import chat_reply

HINT_PT = (
    "Posso responder: “quanto gastei com mercado este mês?”, “qual meu saldo?”, “últimos gastos”, "
    "“onde mais gastei este mês?” — e /resumo mostra o mês por categoria."
)
HINT_EN = (
    "I can answer: “how much did I spend on groceries this month?”, “what's my balance?”, “last "
    "transactions”, “where did I spend the most this month?” — and /summary shows the month by category."
)


def _reply(kind: ReplyKind, language: str, **fields: Any) -> ReplyV1:
    return chat_reply("telegram", "1", "2", kind, language=language, **fields)


def _answer(language: str, answer: QueryAnswer) -> str:
    return render_reply(_reply(ReplyKind.ANSWER, language, answer=answer))


def _tx(
    amount: str, merchant: str, category: str, name: str, day: int, kind: str = "expense"
) -> RecordedTransaction:
    return RecordedTransaction(
        transaction_id=uuid.uuid4(),
        kind=TransactionKind(kind),
        amount=Decimal(amount),
        currency="BRL",
        occurred_on=dt.date(2026, 11, day),
        merchant=merchant,
        category=category,
        category_name=name,
    )


BALANCE = QueryAnswer(
    query=LedgerQuery(ask="balance"),
    count=5,
    balances=(
        BalanceRow(period="this_month", currency="BRL", income=Decimal("5000"), expenses=Decimal("670"),
                   balance=Decimal("4330")),
        BalanceRow(period="this_month", currency="USD", income=Decimal("0"), expenses=Decimal("20"),
                   balance=Decimal("-20")),
        BalanceRow(period="all", currency="BRL", income=Decimal("9000"), expenses=Decimal("750"),
                   balance=Decimal("8250")),
    ),
)  # fmt: skip


def test_the_balance_shows_the_month_per_currency_then_all_time() -> None:
    assert _answer("pt", BALANCE) == (
        "💰 Saldo neste mês: R$ 4.330,00 (receitas R$ 5.000,00 − gastos R$ 670,00)\n"
        "💰 Saldo neste mês: -US$ 20,00 (receitas US$ 0,00 − gastos US$ 20,00)\n"
        "Desde o início: R$ 8.250,00"
    )
    assert _answer("en", BALANCE) == (
        "💰 Balance this month: R$4,330.00 (income R$5,000.00 − expenses R$670.00)\n"
        "💰 Balance this month: -$20.00 (income $0.00 − expenses $20.00)\n"
        "All time: R$8,250.00"
    )


def test_an_empty_ledger_says_so() -> None:
    empty = QueryAnswer(query=LedgerQuery(ask="balance"), count=0)
    assert _answer("pt", empty) == "💰 Ainda não há receitas nem gastos neste mês."
    assert _answer("en", empty) == "💰 No income or expenses this month yet."
    nothing = QueryAnswer(query=LedgerQuery(ask="recent", period="all"), count=0)
    assert _answer("pt", nothing) == "🧾 Nenhum lançamento para mostrar."
    assert _answer("en", nothing) == "🧾 No transactions to show."
    no_top = QueryAnswer(query=LedgerQuery(ask="top_categories", period="last_month"), count=0)
    assert _answer("pt", no_top) == "🏆 Nenhum gasto no mês passado ainda."
    assert _answer("en", no_top) == "🏆 No expenses last month yet."


def test_the_last_transactions_are_listed_one_a_line() -> None:
    answer = QueryAnswer(
        query=LedgerQuery(ask="recent", period="all", all_kinds=True),
        count=2,
        transactions=(
            _tx("50", "padaria", "groceries", "Mercado", 28),
            _tx("5000", "empresa", "salary", "Salário", 25, "income"),
        ),
    )
    assert _answer("pt", answer) == (
        "🧾 Últimos lançamentos:\n• R$ 50,00 · padaria · Mercado · 28/11\n• +R$ 5.000,00 · empresa · Salário · 25/11"
    )
    expenses = QueryAnswer(
        query=LedgerQuery(ask="recent", period="yesterday", category="groceries"),
        count=1,
        transactions=(_tx("50", "padaria", "groceries", "Groceries", 28),),
        category_name="Groceries",
    )
    assert (
        _answer("en", expenses)
        == "🧾 Last expenses on Groceries yesterday:\n• R$50.00 · padaria · Groceries · 11/28"
    )


def test_the_top_categories_are_ranked_with_their_share() -> None:
    answer = QueryAnswer(
        query=LedgerQuery(ask="top_categories"),
        count=4,
        totals=(("BRL", Decimal("670")),),
        top=(
            CategoryTotal(
                category="groceries", category_name="Mercado", currency="BRL", total=Decimal("350"), count=2
            ),
            CategoryTotal(category="fuel", currency="BRL", total=Decimal("200"), count=1),
            CategoryTotal(category=None, currency="BRL", total=Decimal("120"), count=1),
        ),
    )
    assert _answer("pt", answer) == (
        "🏆 Onde mais foi dinheiro neste mês:\n"
        "1. 🛒 Mercado: R$ 350,00 (52%)\n"
        "2. ⛽ Combustível: R$ 200,00 (30%)\n"
        "3. ❔ Sem categoria: R$ 120,00 (18%)\n"
        "Total: R$ 670,00"
    )
    assert _answer("en", answer).splitlines()[:2] == [
        "🏆 Where most of the money went this month:",
        "1. 🛒 Groceries: R$350.00 (52%)",
    ]


def test_a_group_is_named_by_its_members() -> None:
    answer = QueryAnswer(
        query=LedgerQuery(group="food", categories=("groceries", "restaurants")),
        count=3,
        totals=(("BRL", Decimal("470")),),
        category_name="Mercado + Alimentação",
    )
    assert _answer("pt", answer) == "💰 Gastos com Mercado + Alimentação neste mês: R$ 470,00 (3 lançamentos)"


@pytest.mark.parametrize(
    ("topic", "pt", "en"),
    [
        ("bills", "📋 Ainda não acompanho contas a pagar nem vencimentos.",
         "📋 I don't keep track of bills to pay or due dates yet."),
        ("card_bill", "💳 Ainda não acompanho a fatura do cartão.", "💳 I don't keep track of the card's bill yet."),
        ("chart", "📊 Ainda não faço gráficos pelo chat.", "📊 I can't draw charts in the chat yet."),
        ("budget", "🎯 Ainda não tenho orçamentos, então não registrei isso como gasto.",
         "🎯 I don't have budgets yet, so I did not record that as an expense."),
    ],
)  # fmt: skip
def test_not_yet_says_what_is_missing_and_what_can_be_asked(topic: str, pt: str, en: str) -> None:
    assert render_reply(_reply(ReplyKind.NOT_YET, "pt", problem=topic)) == f"{pt}\n{HINT_PT}"
    assert render_reply(_reply(ReplyKind.NOT_YET, "en", problem=topic)) == f"{en}\n{HINT_EN}"
    assert render(_reply(ReplyKind.NOT_YET, "pt", problem=topic)).buttons == ()
    assert "não entendi" not in render_reply(_reply(ReplyKind.NOT_YET, "pt", problem=topic)).lower()


def test_a_budget_phrase_is_read_back() -> None:
    budget = BudgetRequest(amount=Decimal(800), currency="BRL", category="groceries")
    assert render_reply(_reply(ReplyKind.NOT_YET, "pt", problem="budget", budget=budget)) == (
        "🎯 Entendi um orçamento de R$ 800,00 para Mercado, mas ainda não tenho orçamentos: não registrei "
        f"isso como gasto.\n{HINT_PT}"
    )
    food = BudgetRequest(
        amount=Decimal(600), currency="USD", group="food", categories=("groceries", "restaurants")
    )
    assert render_reply(_reply(ReplyKind.NOT_YET, "en", problem="budget", budget=food)) == (
        "🎯 I read a budget of $600.00 for Groceries + Restaurants, but I don't have budgets yet: I did not "
        f"record it as an expense.\n{HINT_EN}"
    )
    whole = BudgetRequest(amount=Decimal(3000))
    assert render_reply(_reply(ReplyKind.NOT_YET, "pt", problem="budget", budget=whole)).startswith(
        "🎯 Entendi um orçamento de 3.000,00, mas"
    )


def test_a_question_no_reader_knows_lists_what_can_be_asked() -> None:
    assert render_reply(_reply(ReplyKind.QUESTION, "pt", problem="query")) == (
        f"❓ Essa pergunta eu ainda não sei responder; guardei. {HINT_PT}"
    )
    assert render_reply(_reply(ReplyKind.QUESTION, "en", problem="query")) == (
        f"❓ I can't answer that question yet; I kept it. {HINT_EN}"
    )
