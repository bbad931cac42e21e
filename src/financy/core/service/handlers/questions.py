"""Questions about the ledger from a chat ("quanto gastei com mercado este mês?", "qual meu saldo?").

What a question asks (``LedgerQuestion.ask``) and how it is answered, over recorded transactions
only, with the period resolved in the context's own time zone (weeks start on Monday):

* "total": the sum per currency (largest first) of ``kind`` in the period, for one category, the
  members of a group ("comida": groceries and restaurants) and/or a merchant;
* "balance": per currency, income minus expenses (transfers count in neither) in the period
  asked (this month unless said) and over all time;
* "recent": the last :data:`RECENT` transactions (or the number asked, at most 20), newest
  first, of ``kind`` or of every kind, within the period, category and merchant said;
* "top_categories": the :data:`TOP` categories with most ``kind`` in the period, largest first,
  with the period's totals per currency;
* "budget": what is left this month of the budget of the category or group asked about, or of
  every budget when none is named ("como está meu orçamento?"): :attr:`ReplyKind.BUDGET_STATUS`
  with ``budgets`` (none: ``problem`` "no_budget");
* "bills", "chart": the ledger keeps no bills or charts yet, so the answer is
  :attr:`ReplyKind.NOT_YET` (``problem`` the ask) listing what can be asked; the capture is kept
  as a command, not for review;
* "card_bill" ("/fatura", "quanto tá a fatura do cartão?") becomes :class:`AskCardBill`, answered
  by ``handlers/cards.py`` with the card's bills.

Sums are of base amounts, in the ledger's base currency; transactions in another currency with no
known FX rate are never added to them: the answer lists them apart (``unvalued``).

Every member of the ledger may ask (``Action.READ``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from financy.core.contracts.v1 import (
    BalanceRow,
    BudgetRequest,
    CategoryTotal,
    Intent,
    LedgerQuery,
    QueryAnswer,
    ReplyKind,
    ReplyV1,
    TransactionKind,
    Understanding,
    UnvaluedTotal,
)
from financy.core.domain.authorization import Action
from financy.core.domain.card_commands import AskCardBill
from financy.core.domain.commands import AskLedger, AskUser, ChatCommand, ChatMessage, LedgerQuestion
from financy.core.domain.model import CATEGORY_BY_SLUG, period_bounds
from financy.core.service import budgeting
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, local_date, shown
from financy.core.service.handlers.summary import unvalued_totals
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.intake import question_of
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork, SummaryLine

_CENTS = Decimal("0.01")
#: How many transactions a "recent" lists when the question says no number.
RECENT: Final = 5
#: How many categories a "top_categories" lists.
TOP: Final = 5
#: Asks about what the ledger does not keep yet: answered "not yet".
NOT_YET: Final = frozenset({"bills", "chart"})


def _decide(cmd: AskLedger, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    if cmd.question.ask in NOT_YET:
        return Outcome(ReplyKind.NOT_YET, problem=cmd.question.ask)
    if cmd.question.ask == "budget":
        return Outcome(ReplyKind.BUDGET_STATUS)
    return Outcome(ReplyKind.ANSWER)


def _budget_status(cmd: AskLedger, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    """This month's status of the budgets the question names (see the module)."""
    question = cmd.question
    today = local_date(cmd.message.received_at, scope.context.time_zone)
    asked = budgeting.matching(
        uow.budgets.of_context(scope.context.id), question.category, question.categories
    )
    found = budgeting.statuses(uow, scope.context, today, asked) if asked else []
    outcome.budgets = [budgeting.wire(s) for s in found]
    if not found:
        outcome.problem = "no_budget"
        outcome.budget = BudgetRequest(
            category=question.category, group=question.group, categories=question.categories
        )


def _name(slug: str | None, language: str) -> str | None:
    category = CATEGORY_BY_SLUG.get(slug) if slug else None
    return category.name(language) if category else None


def _subject(question: LedgerQuestion, language: str) -> str | None:
    """The category's name, or a group's members' names ("Mercado + Alimentação")."""
    if question.category:
        return _name(question.category, language)
    names = [name for slug in question.categories if (name := _name(slug, language))]
    return " + ".join(names) or None


def _sums(lines: list[SummaryLine], kind: str) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for line in lines:
        if line.kind == kind and not line.unvalued:
            sums[line.currency] = sums.get(line.currency, Decimal(0)) + line.total
    return sums


def _balances(lines: list[SummaryLine], period: str) -> list[BalanceRow]:
    """Income, expenses and their difference per currency (largest income first)."""
    income, expenses = _sums(lines, "income"), _sums(lines, "expense")
    rows = [
        BalanceRow.model_validate(
            {
                "period": period,  # the question's, a Period (validated on the wire)
                "currency": currency,
                "income": income.get(currency, Decimal(0)).quantize(_CENTS),
                "expenses": expenses.get(currency, Decimal(0)).quantize(_CENTS),
                "balance": (income.get(currency, Decimal(0)) - expenses.get(currency, Decimal(0))).quantize(
                    _CENTS
                ),
            }
        )
        for currency in set(income) | set(expenses)
    ]
    return sorted(rows, key=lambda r: (-r.income, -r.expenses, r.currency))


def _top(lines: list[SummaryLine], kind: str, language: str) -> list[CategoryTotal]:
    rows = [
        CategoryTotal(
            category=line.category,
            category_name=_name(line.category, language),
            currency=line.currency,
            total=line.total.quantize(_CENTS),
            count=line.count,
        )
        for line in lines
        if line.kind == kind and not line.unvalued
    ]
    rows.sort(key=lambda r: (-r.total, r.currency, r.category or "\uffff"))
    return rows[:TOP]


def _apply(cmd: AskLedger, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    question = cmd.question
    if question.ask in NOT_YET:
        return
    if question.ask == "budget":
        _budget_status(cmd, scope, outcome, uow)
        return
    today = local_date(cmd.message.received_at, scope.context.time_zone)
    date_from, date_to = period_bounds(question.period, today)
    context_id, language = scope.context.id, scope.language
    answer: dict[str, object] = {"count": 0}
    if question.ask == "balance":
        lines = uow.transactions.summary(context_id, date_from=date_from, date_to=date_to)
        balances = _balances(lines, question.period)
        if question.period != "all":
            balances += _balances(uow.transactions.summary(context_id, date_from=None, date_to=None), "all")
        answer = {
            "balances": tuple(balances),
            "count": sum(line.count for line in lines if not line.unvalued),
            "unvalued": unvalued_totals(lines),
        }
    elif question.ask == "recent":
        found = uow.transactions.recent(
            context_id,
            limit=question.limit or RECENT,
            kind=None if question.all_kinds else question.kind,
            date_from=date_from,
            date_to=date_to,
            categories=(question.category,) if question.category else question.categories,
            merchant=question.merchant,
        )
        base = scope.context.base_currency
        answer = {"transactions": tuple(shown(tx, language, base) for tx in found), "count": len(found)}
    elif question.ask == "top_categories":
        lines = uow.transactions.summary(context_id, date_from=date_from, date_to=date_to)
        sums = _sums(lines, question.kind)
        answer = {
            "top": tuple(_top(lines, question.kind, language)),
            "totals": _ordered(sums),
            "count": sum(line.count for line in lines if line.kind == question.kind and not line.unvalued),
            "unvalued": unvalued_totals(line for line in lines if line.kind == question.kind),
        }
    else:
        totals = uow.transactions.totals(
            context_id,
            kind=question.kind,
            date_from=date_from,
            date_to=date_to,
            category=question.category,
            merchant=question.merchant,
            categories=question.categories,
        )
        answer = {
            "totals": tuple((t.currency, t.total.quantize(_CENTS)) for t in totals if not t.unvalued),
            "count": sum(t.count for t in totals if not t.unvalued),
            "unvalued": tuple(
                UnvaluedTotal(
                    kind=TransactionKind(question.kind),
                    currency=t.currency,
                    total=t.total.quantize(_CENTS),
                    count=t.count,
                )
                for t in totals
                if t.unvalued
            ),
        }
    outcome.answer = QueryAnswer.model_validate(
        {
            "query": _wire(question),
            "date_from": date_from,
            "date_to": date_to,
            "category_name": _subject(question, language),
            **answer,
        }
    )


def _ordered(sums: dict[str, Decimal]) -> tuple[tuple[str, Decimal], ...]:
    return tuple(sorted(((c, t.quantize(_CENTS)) for c, t in sums.items()), key=lambda ct: (-ct[1], ct[0])))


def _wire(question: LedgerQuestion) -> LedgerQuery:
    return LedgerQuery.model_validate(
        {
            "kind": TransactionKind(question.kind),
            "period": question.period,
            "category": question.category,
            "merchant": question.merchant,
            "ask": question.ask,
            "limit": question.limit,
            "all_kinds": question.all_kinds,
            "group": question.group,
            "categories": question.categories,
        }
    )


def ask_ledger(cmd: AskLedger, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Answer a question about the chat's ledger (see the module; any member may ask)."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide, apply=_apply)


def _ask_command(message: ChatMessage, understanding: Understanding) -> ChatCommand:
    if understanding.query is None:
        return AskUser(message, understanding.problem or "query", needs_review=False)
    if understanding.query.ask == "card_bill":
        return AskCardBill(message)  # the card's bills: handlers/cards.py
    return AskLedger(message, question_of(understanding.query))


REGISTRATIONS = (Registration(AskLedger, ask_ledger, {Intent.QUERY: _ask_command}),)
