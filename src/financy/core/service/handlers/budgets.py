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

import datetime as dt
import uuid

from financy.core.contracts.v1 import BudgetStatusV1, Intent, ReplyKind, ReplyV1
from financy.core.domain.authorization import Action, authorize
from financy.core.domain.budgets import InvalidBudgetError, check_amount, scope_of
from financy.core.domain.commands import ChangeBudget, DeleteBudget, SaveBudget, SetBudget
from financy.core.domain.errors import NotAMemberError, UnknownCurrencyError
from financy.core.domain.model import LedgerContext, normalize_currency
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


def _editable(uow: AbstractUnitOfWork, context_id: uuid.UUID, actor_id: uuid.UUID) -> LedgerContext:
    """The context, if ``actor_id`` may change its budgets (:attr:`Action.EDIT`).

    Raises:
        NotAMemberError: no such context, or the actor is not a member.
        ForbiddenError: the actor's role does not allow editing.
    """
    context = uow.contexts.get(context_id)
    if context is None:
        raise NotAMemberError("not a member of this context")
    authorize(uow.contexts.role_of(context_id, actor_id), Action.EDIT)
    return context


def _today(context: LedgerContext, today: dt.date | None) -> dt.date:
    return today or local_date(dt.datetime.now(dt.UTC), context.time_zone)


def _currency(code: str | None) -> str | None:
    """``code`` normalised; an unknown one is a bad budget currency."""
    if code is None:
        return None
    try:
        return normalize_currency(code)
    except UnknownCurrencyError as exc:
        raise InvalidBudgetError("currency", f"unknown currency {code!r}") from exc


def save_budget(cmd: SaveBudget, uow: AbstractUnitOfWork) -> tuple[BudgetStatusV1, bool]:
    """Set or replace a budget (API); return it this month and whether it replaced one.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit the context.
        InvalidBudgetError: a bad amount, currency, category or group (nothing is changed).
    """
    context = _editable(uow, cmd.context_id, cmd.actor_id)
    today = _today(context, cmd.today)
    budget, replaced = budgeting.set_budget(
        uow,
        context,
        actor=cmd.actor_id,
        amount=cmd.amount,
        currency=_currency(cmd.currency),
        category=cmd.category,
        group=cmd.group,
        rollover=cmd.rollover,
        today=today,
    )
    (status,) = budgeting.statuses(uow, context, today, [budget])
    return budgeting.wire(status), replaced


def change_budget(cmd: ChangeBudget, uow: AbstractUnitOfWork) -> BudgetStatusV1:
    """Change a budget's amount or rollover (API); return it this month.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit the context.
        BudgetNotFoundError: no such budget in the context.
        InvalidBudgetError: a bad amount or currency (nothing is changed).
    """
    context = _editable(uow, cmd.context_id, cmd.actor_id)
    today = _today(context, cmd.today)
    budget = budgeting.change_budget(
        uow,
        context,
        cmd.budget_id,
        actor=cmd.actor_id,
        amount=cmd.amount,
        currency=_currency(cmd.currency),
        rollover=cmd.rollover,
        today=today,
    )
    (status,) = budgeting.statuses(uow, context, today, [budget])
    return budgeting.wire(status)


def delete_budget(cmd: DeleteBudget, uow: AbstractUnitOfWork) -> None:
    """Delete a budget (API).

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit the context.
        BudgetNotFoundError: no such budget in the context.
    """
    context = _editable(uow, cmd.context_id, cmd.actor_id)
    budgeting.delete_budget(uow, context, cmd.budget_id, actor=cmd.actor_id)


REGISTRATIONS = (
    Registration(
        SetBudget,
        set_budget,
        {Intent.BUDGET: lambda message, understanding: SetBudget(message, budget_of(understanding.budget))},
    ),
    Registration(SaveBudget, save_budget),
    Registration(ChangeBudget, change_budget),
    Registration(DeleteBudget, delete_budget),
)
