"""The month at a glance from a chat ("/resumo", "/summary") and the list of categories ("/categoria").

The summary covers the calendar month so far in the ledger's own time zone: expenses by category
(sum and count per currency, largest first) and the expense and income totals per currency, over
recorded transactions only (a reversed one is not counted). It is read in one query. Amounts are
summed by their value in the ledger's base currency (``base_amount``); a transaction in another
currency with no known FX rate is left out of rows and totals and listed in ``unvalued`` ("1
lançamento em USD sem cotação"), never added to a sum in another currency. The ledger's
budgets this month come with it (``SummaryV1.budgets``: spent, left and percent of each, from
``service.budgeting``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from financy.core.contracts.v1 import (
    Intent,
    ReplyKind,
    ReplyV1,
    SummaryRow,
    SummaryV1,
    TransactionKind,
    UnvaluedTotal,
)
from financy.core.domain.authorization import Action
from financy.core.domain.commands import ListCategories, ShowSummary
from financy.core.domain.model import CATEGORY_BY_SLUG, period_bounds
from financy.core.service import budgeting
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, local_date
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork, SummaryLine

_CENTS = Decimal("0.01")
#: Most rows a summary carries (the contract's limit): 20 categories in a few currencies fit.
MAX_ROWS = 100


def _totals(lines: Iterable[SummaryLine]) -> tuple[tuple[str, Decimal], ...]:
    """Return ``(currency, total)`` over ``lines``, largest first."""
    sums: dict[str, Decimal] = {}
    for line in lines:
        sums[line.currency] = sums.get(line.currency, Decimal(0)) + line.total
    return tuple(sorted(((c, t.quantize(_CENTS)) for c, t in sums.items()), key=lambda ct: (-ct[1], ct[0])))


def unvalued_totals(lines: Iterable[SummaryLine]) -> tuple[UnvaluedTotal, ...]:
    """Return the ``unvalued`` lines (no FX rate) summed per kind and currency, largest count first."""
    sums: dict[tuple[str, str], tuple[Decimal, int]] = {}
    for line in lines:
        if line.unvalued:
            total, n = sums.get((line.kind, line.currency), (Decimal(0), 0))
            sums[(line.kind, line.currency)] = (total + line.total, n + line.count)
    rows = [
        UnvaluedTotal(kind=TransactionKind(kind), currency=currency, total=total.quantize(_CENTS), count=n)
        for (kind, currency), (total, n) in sums.items()
    ]
    return tuple(sorted(rows, key=lambda r: (-r.count, r.kind.value, r.currency)))


def _summary_of(
    lines: list[SummaryLine], scope: ChatScope, date_from: dt.date, date_to: dt.date
) -> SummaryV1:
    valued = [line for line in lines if not line.unvalued]
    expenses = [line for line in valued if line.kind == "expense"]
    rows = []
    for line in expenses:
        category = CATEGORY_BY_SLUG.get(line.category) if line.category else None
        rows.append(
            SummaryRow(
                category=line.category,
                category_name=category.name(scope.language) if category else None,
                currency=line.currency,
                total=line.total.quantize(_CENTS),
                count=line.count,
            )
        )
    rows.sort(key=lambda r: (-r.total, r.currency, r.category_name or "\uffff"))
    return SummaryV1(
        context_name=scope.context.name[:200],
        date_from=date_from,
        date_to=date_to,
        rows=tuple(rows[:MAX_ROWS]),
        expense_totals=_totals(expenses),
        income_totals=_totals(line for line in valued if line.kind == "income"),
        unvalued=unvalued_totals(lines)[:MAX_ROWS],
    )


def _decide_summary(cmd: ShowSummary, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.SUMMARY)


def _apply_summary(cmd: ShowSummary, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    today = local_date(cmd.message.received_at, scope.context.time_zone)
    date_from, date_to = period_bounds("this_month", today)
    assert date_from is not None
    assert date_to is not None
    lines = uow.transactions.summary(scope.context.id, date_from=date_from, date_to=date_to)
    summary = _summary_of(lines, scope, date_from, date_to)
    found = budgeting.statuses(uow, scope.context, today)
    if found:
        summary = summary.model_copy(update={"budgets": tuple(budgeting.wire(s) for s in found[:MAX_ROWS])})
    outcome.summary = summary


def show_summary(cmd: ShowSummary, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Answer this month's spending by category in the chat's ledger (any member may ask)."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide_summary, apply=_apply_summary)


def _decide_categories(cmd: ListCategories, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.CATEGORIES)


def list_categories(
    cmd: ListCategories, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Answer with the list of categories (the bot renders their names)."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide_categories)


REGISTRATIONS = (
    Registration(ShowSummary, show_summary, {Intent.SUMMARY: lambda message, _: ShowSummary(message)}),
    Registration(
        ListCategories, list_categories, {Intent.CATEGORIES: lambda message, _: ListCategories(message)}
    ),
)
