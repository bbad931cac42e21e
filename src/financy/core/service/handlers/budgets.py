"""Budget phrases from a chat ("orçamento de 800 para mercado", "budget 500 for groceries").

A budget phrase sets the chat ledger's monthly budget for the category, the group ("comida":
groceries and restaurants) or, naming neither, the whole ledger, or replaces the one it has
there (``service.budgeting``); it is never recorded as an expense. The reply,
:attr:`ReplyKind.BUDGET_SET`, carries the budget with this month's spent and left. Setting a
budget needs :attr:`Action.EDIT` (a viewer is answered ``forbidden``). A phrase the budget cannot
come from is asked about (:attr:`ReplyKind.QUESTION`, the capture kept as a command):
``budget_no_amount`` (no amount, or several), ``budget_amount`` (0 or too many decimals for the
currency), ``budget_currency:XYZ`` (not the ledger's base currency), ``budget_category`` (not an
expense's category).
"""

from __future__ import annotations

from financy.core.contracts.v1 import Intent, ReplyKind, ReplyV1
from financy.core.domain.authorization import Action
from financy.core.domain.budgets import InvalidBudgetError, check_amount, scope_of
from financy.core.domain.commands import SetBudget
from financy.core.domain.errors import UnknownCurrencyError
from financy.core.domain.model import normalize_currency
from financy.core.service import budgeting
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, local_date
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.intake import budget_of
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork


def _decide(cmd: SetBudget, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    said = cmd.budget
    if said.amount is None:
        return Outcome(ReplyKind.QUESTION, problem="budget_no_amount")
    base = scope.context.base_currency
    try:
        currency = normalize_currency(said.currency) if said.currency else base
        check_amount(said.amount, currency, base)
    except UnknownCurrencyError:
        return Outcome(ReplyKind.QUESTION, problem=f"budget_currency:{said.currency}")
    except InvalidBudgetError as exc:
        problem = f"budget_currency:{currency}" if exc.field == "currency" else "budget_amount"
        return Outcome(ReplyKind.QUESTION, problem=problem)
    category, group = _target(cmd)
    try:
        scope_of(category, group, budgeting.GROUPS)
    except InvalidBudgetError:
        return Outcome(ReplyKind.QUESTION, problem="budget_category")
    return Outcome(ReplyKind.BUDGET_SET)


def _target(cmd: SetBudget) -> tuple[str | None, str | None]:
    """The category and group a budget phrase names (a known group wins over its category)."""
    group = cmd.budget.group if cmd.budget.group in budgeting.GROUPS else None
    return (None if group else cmd.budget.category), group


def _apply(cmd: SetBudget, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    if outcome.kind is not ReplyKind.BUDGET_SET:
        return
    said = cmd.budget
    assert said.amount is not None
    today = local_date(cmd.message.received_at, scope.context.time_zone)
    category, group = _target(cmd)
    budget, replaced = budgeting.set_budget(
        uow,
        scope.context,
        actor=scope.author_id,
        amount=said.amount,
        currency=normalize_currency(said.currency) if said.currency else None,
        category=category,
        group=group,
        rollover=None,
        today=today,
        capture_id=cmd.message.capture_id,
    )
    (status,) = budgeting.statuses(uow, scope.context, today, [budget])
    outcome.budgets = [budgeting.wire(status)]
    outcome.problem = "replaced" if replaced else None


def set_budget(cmd: SetBudget, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Set or replace the chat ledger's budget a phrase names (editors and above); ``None`` for
    a duplicate delivery."""
    return handle_chat(cmd, uow, defaults, action=Action.EDIT, decide=_decide, apply=_apply)


REGISTRATIONS = (
    Registration(
        SetBudget,
        set_budget,
        {Intent.BUDGET: lambda message, understanding: SetBudget(message, budget_of(understanding.budget))},
    ),
)
