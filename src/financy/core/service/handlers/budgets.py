"""Budget phrases from a chat ("orçamento de 800 para mercado", "budget 500 for groceries").

Ledgers keep no budgets yet: a budget phrase is kept as a capture (a command, not for review),
never recorded as an expense, and answered :attr:`ReplyKind.NOT_YET` (``problem`` "budget")
with the budget as read (an amount in no named currency is in the ledger's base currency), so
the user sees it was understood. When ledgers get budgets, this
handler sets them.
"""

from __future__ import annotations

from financy.core.contracts.v1 import BudgetRequest, Intent, ReplyKind, ReplyV1
from financy.core.domain.authorization import Action
from financy.core.domain.commands import SetBudget
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.intake import budget_of
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork


def _decide(cmd: SetBudget, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    said = cmd.budget
    budget = BudgetRequest(
        amount=said.amount,
        currency=said.currency or (scope.context.base_currency if said.amount is not None else None),
        category=said.category,
        group=said.group,
        categories=said.categories,
    )
    return Outcome(ReplyKind.NOT_YET, problem="budget", budget=budget)


def set_budget(cmd: SetBudget, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Keep a budget phrase and answer that budgets are not available yet (any member may say one)."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide)


REGISTRATIONS = (
    Registration(
        SetBudget,
        set_budget,
        {Intent.BUDGET: lambda message, understanding: SetBudget(message, budget_of(understanding.budget))},
    ),
)
