"""Recurring payments and subscriptions: the chat's list, the API's decisions, the daily refresh.

* "quais minhas assinaturas?", "my subscriptions", "/assinaturas" (:attr:`Intent.SUBSCRIPTIONS`):
  any member may ask; the reply, :attr:`ReplyKind.SUBSCRIPTIONS`, lists the ledger's series but
  the dismissed ones (``ReplyV1.recurring``: merchant, amount, cadence, next date, price change).
  When the ledger has no stored series yet, they are detected first, in the same unit of work.
* "/assinatura confirmar Netflix", "/assinaturas ignorar 2" (:attr:`Intent.SUBSCRIPTIONS` with
  ``subscription_decision``): editors and above confirm or dismiss one series, named by its
  merchant or its number in the list; the reply is the same kind with ``problem``
  "subscription_confirmed" / "subscription_dismissed" (``recurring[0]``: the series now),
  "subscription_unknown" (``asked_about``: what was typed) or "subscription_ambiguous"
  (``recurring``: the series that match; nothing is decided).
* The API lists every series (any status, detected first if none was stored), and confirms or
  dismisses one (:attr:`Action.EDIT`; a ``recurring.confirmed`` / ``recurring.dismissed`` event).
* :class:`RefreshRecurring` (the daily job, per context): detect again, then send the price
  changes of confirmed series it noticed and the reminders due (``service.recurring``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from financy.core.contracts.v1 import Intent, RecurringSeriesV1, ReplyKind, ReplyV1, Understanding
from financy.core.domain.authorization import Action, authorize
from financy.core.domain.commands import ChatMessage
from financy.core.domain.errors import NotAMemberError
from financy.core.domain.model import LedgerContext
from financy.core.domain.recurring_commands import (
    ConfirmSeries,
    DecideSubscription,
    DismissSeries,
    ListRecurring,
    ListSubscriptions,
    RefreshRecurring,
)
from financy.core.service import recurring
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, local_date
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.recurring_port import StoredSeries
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork


def _decide_list(cmd: ListSubscriptions, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.SUBSCRIPTIONS)


def _apply_list(cmd: ListSubscriptions, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    today = local_date(cmd.message.received_at, scope.context.time_zone)
    outcome.recurring = recurring.listed(recurring.ensure(uow, scope.context, today))


def list_subscriptions(
    cmd: ListSubscriptions, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Answer the chat ledger's recurring payments (any member may ask); ``None`` for a duplicate."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide_list, apply=_apply_list)


def _decide_decision(cmd: DecideSubscription, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    today = local_date(cmd.message.received_at, scope.context.time_zone)
    found = recurring.named(recurring.ensure(uow, scope.context, today), cmd.series)
    if not found:
        return Outcome(ReplyKind.SUBSCRIPTIONS, problem="subscription_unknown", asked_about=cmd.series[:200])
    if len(found) > 1:
        outcome = Outcome(
            ReplyKind.SUBSCRIPTIONS, problem="subscription_ambiguous", asked_about=cmd.series[:200]
        )
        outcome.recurring = [recurring.wire(s) for s in found[: recurring.MAX_LISTED]]
        return outcome
    status = "confirmed" if cmd.action == "confirm" else "dismissed"
    outcome = Outcome(ReplyKind.SUBSCRIPTIONS, problem=f"subscription_{status}")
    outcome.recurring = [recurring.wire(found[0])]
    return outcome


def _apply_decision(
    cmd: DecideSubscription, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork
) -> None:
    if outcome.problem not in ("subscription_confirmed", "subscription_dismissed"):
        return
    status = "confirmed" if outcome.problem == "subscription_confirmed" else "dismissed"
    series_id = outcome.recurring[0].series_id
    outcome.recurring = [
        recurring.wire(recurring.decide(uow, scope.context, series_id, status, scope.author_id))
    ]


def decide_subscription(
    cmd: DecideSubscription, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Confirm or dismiss one of the chat ledger's series (editors and above); ``None`` for a
    duplicate delivery."""
    return handle_chat(cmd, uow, defaults, action=Action.EDIT, decide=_decide_decision, apply=_apply_decision)


def subscriptions_command(
    message: ChatMessage, understanding: Understanding
) -> ListSubscriptions | DecideSubscription:
    """The chat's subscriptions command: a decision when the message makes one, else the list."""
    said = understanding.subscription_decision
    if said is None:
        return ListSubscriptions(message)
    return DecideSubscription(message, said.action, said.series)


def _member_context(
    uow: AbstractUnitOfWork, context_id: uuid.UUID, actor_id: uuid.UUID, action: Action
) -> LedgerContext:
    """The context, if ``actor_id`` may do ``action`` there.

    Raises:
        NotAMemberError: no such context, or the actor is not a member.
        ForbiddenError: the actor's role does not allow ``action``.
    """
    context = uow.contexts.get(context_id)
    if context is None:
        raise NotAMemberError("not a member of this context")
    authorize(uow.contexts.role_of(context_id, actor_id), action)
    return context


def list_recurring(cmd: ListRecurring, uow: AbstractUnitOfWork) -> list[RecurringSeriesV1]:
    """Return every series of the context (any status: confirmed, detected, then dismissed, each
    by next date), detecting them first when none was stored.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not read the context.
    """
    context = _member_context(uow, cmd.context_id, cmd.actor_id, Action.READ)
    today = cmd.today or local_date(dt.datetime.now(dt.UTC), context.time_zone)
    order = {"confirmed": 0, "detected": 1, "dismissed": 2}
    found = sorted(recurring.ensure(uow, context, today), key=lambda s: (order[s.status], s.next_due))
    return [recurring.wire(s) for s in found]


def confirm_series(cmd: ConfirmSeries, uow: AbstractUnitOfWork) -> RecurringSeriesV1:
    """Confirm a series (editors and above); return it.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit the context.
        SeriesNotFoundError: no such series in the context.
    """
    context = _member_context(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    return recurring.wire(recurring.decide(uow, context, cmd.series_id, "confirmed", cmd.actor_id))


def dismiss_series(cmd: DismissSeries, uow: AbstractUnitOfWork) -> RecurringSeriesV1:
    """Dismiss a series (editors and above): it is not proposed again unless it changes a lot.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit the context.
        SeriesNotFoundError: no such series in the context.
    """
    context = _member_context(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    return recurring.wire(recurring.decide(uow, context, cmd.series_id, "dismissed", cmd.actor_id))


def refresh_recurring(cmd: RefreshRecurring, uow: AbstractUnitOfWork) -> dict[str, int]:
    """Detect the context's series again and queue the price changes noticed and the reminders
    due; return ``{"series": stored series, "reminders": and "price_changes": messages queued}``
    (all 0 for an unknown context)."""
    context = uow.contexts.get(cmd.context_id)
    if context is None:
        return {"series": 0, "reminders": 0, "price_changes": 0}
    today = local_date(cmd.now, context.time_zone)
    noticed: list[StoredSeries] = []
    stored = recurring.refresh(uow, context, today, noticed)
    changes = recurring.send_price_changes(uow, context, noticed)
    sent = recurring.send_reminders(uow, context, today, cmd.remind_days_before)
    return {"series": len(stored), "reminders": sent, "price_changes": changes}


REGISTRATIONS = (
    Registration(
        ListSubscriptions,
        list_subscriptions,
        {Intent.SUBSCRIPTIONS: subscriptions_command},
    ),
    Registration(DecideSubscription, decide_subscription),
    Registration(ListRecurring, list_recurring),
    Registration(ConfirmSeries, confirm_series),
    Registration(DismissSeries, dismiss_series),
    Registration(RefreshRecurring, refresh_recurring),
)
