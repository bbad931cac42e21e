"""Questions about the ledger from a chat ("quanto gastei com mercado este mês?").

Sums are per currency (largest first), over recorded transactions, with the period resolved in
the context's own time zone (weeks start on Monday).
"""

from __future__ import annotations

from decimal import Decimal

from financy.core.contracts.v1 import (
    Intent,
    LedgerQuery,
    QueryAnswer,
    ReplyKind,
    ReplyV1,
    TransactionKind,
    Understanding,
)
from financy.core.domain.authorization import Action
from financy.core.domain.commands import AskLedger, AskUser, ChatCommand, ChatMessage
from financy.core.domain.model import CATEGORY_BY_SLUG, period_bounds
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, local_date
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.intake import question_of
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork

_CENTS = Decimal("0.01")


def _decide(cmd: AskLedger, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.ANSWER)


def _apply(cmd: AskLedger, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    question = cmd.question
    today = local_date(cmd.message.received_at, scope.context.time_zone)
    date_from, date_to = period_bounds(question.period, today)
    totals = uow.transactions.totals(
        scope.context.id,
        kind=question.kind,
        date_from=date_from,
        date_to=date_to,
        category=question.category,
        merchant=question.merchant,
    )
    category = CATEGORY_BY_SLUG.get(question.category) if question.category else None
    outcome.answer = QueryAnswer(
        query=LedgerQuery(
            kind=TransactionKind(question.kind),
            period=question.period,
            category=question.category,
            merchant=question.merchant,
        ),
        totals=tuple((t.currency, t.total.quantize(_CENTS)) for t in totals),
        count=sum(t.count for t in totals),
        date_from=date_from,
        date_to=date_to,
        category_name=category.name(scope.language) if category else None,
    )


def ask_ledger(cmd: AskLedger, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Answer how much was spent or received, from the chat's ledger (any member may ask)."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide, apply=_apply)


def _ask_command(message: ChatMessage, understanding: Understanding) -> ChatCommand:
    if understanding.query is None:
        return AskUser(message, understanding.problem or "query", needs_review=False)
    return AskLedger(message, question_of(understanding.query))


REGISTRATIONS = (Registration(AskLedger, ask_ledger, {Intent.QUERY: _ask_command}),)
