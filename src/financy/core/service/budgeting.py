"""Budgets in a unit of work: set, replace, change and delete them, measure them, and alert.

Used by the chat handlers (``handlers/budgets.py``, ``handlers/summary.py``,
``handlers/questions.py``), by the chat envelope (``handlers/chat.py``: alerts after a recorded
or edited expense) and by the API (``entrypoints/api/budgets.py``). The arithmetic is in
:mod:`financy.core.domain.budgets`.

Alerts: after a chat command changed expenses (recorded, confirmed, amended, recategorised), each
budget that covers one of them is measured in that expense's month; every threshold (80 %, 100 %)
its spending has reached is claimed as a ``budget_alerts`` row (``INSERT .. ON CONFLICT DO
NOTHING``, in the same transaction), and only a new row alerts. The chat the capture came from
gets the alert **in its reply** (``ReplyV1.budget_alerts``); every other active chat bound to
the ledger gets a :attr:`ReplyKind.BUDGET_ALERT` message in the ledger's language, through the
same outbox and reply stream. A redelivered capture is a duplicate before anything is written, so
it never alerts twice; the row makes concurrent crossings alert once too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Final

from financy.core.contracts.v1 import (
    BudgetAlertV1,
    BudgetStatusV1,
    ReplyKind,
    ReplyV1,
    replies_stream,
)
from financy.core.domain.budgets import (
    Budget,
    BudgetNotFoundError,
    BudgetStatus,
    Spent,
    carry_range,
    check_amount,
    month_end,
    month_start,
    scope_of,
    status_of,
)
from financy.core.domain.commands import ChatMessage
from financy.core.domain.events import Event
from financy.core.domain.model import LedgerContext, Transaction
from financy.core.service.cards import CREDIT
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.inference.taxonomy import CATEGORY_GROUPS
from financy.runtime.ids import uuid7

#: ``{group slug: member slugs}`` a budget may be set for ("food": groceries, restaurants).
GROUPS: Final[dict[str, tuple[str, ...]]] = {slug: g.members for slug, g in CATEGORY_GROUPS.items()}
_CENTS = Decimal("0.01")
#: Audit events after which a chat command's expenses are measured against the budgets.
TOUCHING: Final = frozenset({"transaction.recorded", "transaction.amended", "transaction.recategorized"})


def statuses(
    uow: AbstractUnitOfWork, context: LedgerContext, month: dt.date, budgets: Sequence[Budget] | None = None
) -> list[BudgetStatus]:
    """Return ``budgets`` (default: all the context's) in ``month`` (any day of it), in order.

    One query for the month, plus one per distinct carry range of rolling budgets.
    """
    found = list(uow.budgets.of_context(context.id)) if budgets is None else list(budgets)
    if not found:
        return []
    first = month_start(month)
    in_month = uow.budgets.spent(
        context.id, date_from=first, date_to=month_end(first), currency=context.base_currency
    )
    carries: dict[tuple[dt.date, dt.date], list[Spent]] = {}
    out = []
    for budget in found:
        span = carry_range(budget, first)
        before: list[Spent] = []
        if span is not None:
            if span not in carries:
                carries[span] = uow.budgets.spent(
                    context.id, date_from=span[0], date_to=span[1], currency=context.base_currency
                )
            before = carries[span]
        out.append(status_of(budget, first, in_month, before))
    return out


def _money(amount: Decimal) -> Decimal:
    """``amount`` with two decimals, or as many as it needs (a stored NUMERIC has four)."""
    cents = amount.quantize(_CENTS)
    return cents if cents == amount else amount.normalize()


def wire(status: BudgetStatus) -> BudgetStatusV1:
    """Return ``status`` as the contract carries it."""
    budget = status.budget
    return BudgetStatusV1(
        budget_id=budget.id,
        scope=budget.scope,
        category=budget.target if budget.scope == "category" else None,
        group=budget.target if budget.scope == "group" else None,
        categories=budget.categories,
        month=status.month,
        amount=_money(budget.amount),
        currency=budget.currency,
        rollover=budget.rollover,
        carried=status.carried,
        available=status.available,
        spent=status.spent,
        left=status.left,
        percent=status.percent,
        count=status.count,
        unvalued=status.unvalued,
    )


def _fields(budget: Budget) -> dict[str, object]:
    return {
        "scope": budget.scope,
        "target": budget.target,
        "categories": list(budget.categories),
        "amount": budget.amount,
        "currency": budget.currency,
        "rollover": budget.rollover,
        "starts_on": budget.starts_on,
    }


def _carry_start(old: Budget, amount: Decimal, rollover: bool, this_month: dt.date) -> dt.date:
    """The month a changed budget carries from: this one when its amount changed or rolling over
    was just turned on (earlier months were not rolling), else as before."""
    if amount != old.amount or (rollover and not old.rollover):
        return this_month
    return old.starts_on


def _mark_reached(uow: AbstractUnitOfWork, context: LedgerContext, budget: Budget, today: dt.date) -> None:
    """Claim, without alerting, the thresholds this month's spending already reached (the reply
    that set the budget shows them), so the next expense alerts only for what it crosses."""
    (status,) = statuses(uow, context, today, [budget])
    for threshold in status.reached():
        uow.budgets.claim_alert(budget.id, status.month, threshold, None)


def set_budget(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    *,
    actor: uuid.UUID | None,
    amount: Decimal,
    currency: str | None,
    category: str | None,
    group: str | None,
    rollover: bool | None,
    today: dt.date,
    capture_id: uuid.UUID | None = None,
) -> tuple[Budget, bool]:
    """Set the context's budget for ``category``, ``group`` or (neither) the whole ledger, or
    replace the one it has there; return it and whether it replaced one. ``currency`` ``None``:
    the base currency; ``rollover`` ``None``: as before (off for a new one). ``today`` is the
    ledger's local date (a new or changed amount carries from its month). ``budget.set`` event.

    Raises:
        InvalidBudgetError: see :func:`~financy.core.domain.budgets.check_amount` and
            :func:`~financy.core.domain.budgets.scope_of` (nothing is changed).
    """
    currency = currency or context.base_currency
    check_amount(amount, currency, context.base_currency)
    scope, target, members = scope_of(category, group, GROUPS)
    uow.lock(f"budgets:{context.id}")
    old = uow.budgets.find(context.id, scope, target)
    this_month = month_start(today)
    if old is None:
        budget = Budget(
            id=uuid7(),
            context_id=context.id,
            scope=scope,
            target=target,
            categories=members,
            amount=amount,
            currency=currency,
            rollover=bool(rollover),
            starts_on=this_month,
        )
        uow.budgets.add(budget, actor)
    else:
        rolls = old.rollover if rollover is None else rollover
        budget = dataclasses.replace(
            old,
            categories=members,
            amount=amount,
            rollover=rolls,
            starts_on=_carry_start(old, amount, rolls, this_month),
        )
        uow.budgets.update(budget)
        if amount != old.amount:
            uow.budgets.clear_alerts(budget.id, this_month)
    uow.record(
        Event(
            "budget.set",
            context.id,
            actor,
            "budget",
            budget.id,
            before=_fields(old) if old is not None else None,
            after=_fields(budget),
            capture_id=capture_id,
        )
    )
    _mark_reached(uow, context, budget, today)
    return budget, old is not None


def change_budget(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    budget_id: uuid.UUID,
    *,
    actor: uuid.UUID | None,
    amount: Decimal | None,
    currency: str | None,
    rollover: bool | None,
    today: dt.date,
) -> Budget:
    """Change a budget's amount and/or rollover (``None``: unchanged); ``budget.changed`` event.

    Raises:
        BudgetNotFoundError: no such budget in the context.
        InvalidBudgetError: a bad amount or currency (nothing is changed).
    """
    old = uow.budgets.get(context.id, budget_id)
    if old is None:
        raise BudgetNotFoundError()
    new_amount = old.amount if amount is None else amount
    check_amount(new_amount, currency or context.base_currency, context.base_currency)
    this_month = month_start(today)
    rolls = old.rollover if rollover is None else rollover
    budget = dataclasses.replace(
        old,
        amount=new_amount,
        rollover=rolls,
        starts_on=_carry_start(old, new_amount, rolls, this_month),
    )
    uow.budgets.update(budget)
    if new_amount != old.amount:
        uow.budgets.clear_alerts(budget.id, this_month)
    uow.record(
        Event(
            "budget.changed",
            context.id,
            actor,
            "budget",
            budget.id,
            before=_fields(old),
            after=_fields(budget),
        )
    )
    _mark_reached(uow, context, budget, today)
    return budget


def delete_budget(
    uow: AbstractUnitOfWork, context: LedgerContext, budget_id: uuid.UUID, *, actor: uuid.UUID | None
) -> None:
    """Delete a budget (and its alerts); ``budget.deleted`` event.

    Raises:
        BudgetNotFoundError: no such budget in the context.
    """
    old = uow.budgets.get(context.id, budget_id)
    if old is None:
        raise BudgetNotFoundError()
    uow.budgets.delete(budget_id)
    uow.record(Event("budget.deleted", context.id, actor, "budget", budget_id, before=_fields(old)))


def matching(budgets: Iterable[Budget], category: str | None, categories: Sequence[str]) -> list[Budget]:
    """Return the budgets a question names: the one for ``category``, else the group's whose
    members are ``categories`` (or, failing it, the budgets of those categories); neither named:
    all of them."""
    found = list(budgets)
    if category is not None:
        return [b for b in found if b.scope == "category" and b.target == category]
    if categories:
        group = [b for b in found if b.scope == "group" and set(b.categories) == set(categories)]
        return group or [b for b in found if b.scope == "category" and b.target in categories]
    return found


def check_alerts(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    transaction_ids: Iterable[uuid.UUID],
    capture_id: uuid.UUID | None,
) -> list[BudgetAlertV1]:
    """Return the alerts of budgets that the expenses ``transaction_ids`` (still recorded in the
    context) made reach a threshold for the first time in their month, claiming each (see the
    module); the highest threshold per budget and month. A split expense touches the budgets of
    its lines' categories (spent counts each line's base amount there) and of its own; a card
    purchase with postings touches the months its instalments are due in."""
    budgets = uow.budgets.of_context(context.id)
    if not budgets:
        return []
    touched: dict[dt.date, set[str | None]] = {}
    for tx_id in dict.fromkeys(transaction_ids):
        tx = uow.transactions.recorded(context.id, tx_id)
        if tx is not None and tx.kind == "expense":
            # A split expense counts in its lines' categories (and its own, when unsplit).
            lines = {line.category for line in uow.edits.splits(tx.id)}
            for month in _months_of(uow, tx, split=bool(lines)):
                touched.setdefault(month, set()).update({tx.category} | lines)
    alerts = []
    locked = False
    for month, categories in sorted(touched.items()):
        covering = [b for b in budgets if any(b.covers(c) for c in categories)]
        if covering and not locked:
            # Two expenses recorded at once each below a threshold may cross it together: the
            # second measures after the first commits (the lock is held until commit).
            uow.lock(f"budgets:{context.id}")
            locked = True
        for status in statuses(uow, context, month, covering):
            new = [
                t for t in status.reached() if uow.budgets.claim_alert(status.budget.id, month, t, capture_id)
            ]
            if new:
                alerts.append(BudgetAlertV1.model_validate({"threshold": max(new), "status": wire(status)}))
    return alerts


def _months_of(uow: AbstractUnitOfWork, tx: Transaction, *, split: bool) -> list[dt.date]:
    """The months an expense counts in: an unsplit card purchase with postings in the months its
    instalments are due in (``BudgetsRepository.spent`` counts it there), any other in its own."""
    if tx.payment_method == CREDIT and not split:
        months = uow.cards.bill_months(tx.id)
        if months:
            return list(dict.fromkeys(months))
    return [month_start(tx.occurred_on)]


def send_alerts(
    uow: AbstractUnitOfWork,
    message: ChatMessage | None,
    context: LedgerContext,
    alerts: Sequence[BudgetAlertV1],
) -> int:
    """Queue a :attr:`ReplyKind.BUDGET_ALERT` with ``alerts`` to every active chat bound to
    ``context`` except the ``message``'s own (its reply carries them); return how many were
    queued. ``message`` ``None``: the change came from no chat (the API), every chat gets it."""
    if not alerts:
        return 0
    sent = 0
    language = "pt" if context.language == "pt" else "en"
    first = alerts[0]
    tag = f"budget:{first.status.budget_id}:{first.status.month:%Y-%m}:{first.threshold}"
    for chat in uow.budgets.alert_chats(context.id):
        if message is not None and (chat.platform, chat.chat_id) == (message.platform, message.chat_id):
            continue
        reply = ReplyV1.model_validate(
            {
                "reply_id": uuid7(),
                "capture_id": message.capture_id if message is not None else first.status.budget_id,
                "idempotency_key": message.idempotency_key if message is not None else tag,
                "edge_id": chat.edge_id,
                "platform": chat.platform,
                "chat_id": chat.chat_id,
                # Not a message of that chat: nothing to quote.
                "in_reply_to": tag,
                "language": language,
                "kind": ReplyKind.BUDGET_ALERT,
                "budget_alerts": tuple(alerts),
                "created_at": dt.datetime.now(dt.UTC),
            }
        )
        uow.publish(replies_stream(chat.edge_id), reply.model_dump_json())
        sent += 1
    return sent


def alert_ledger(
    uow: AbstractUnitOfWork, context: LedgerContext, transaction_ids: Iterable[uuid.UUID]
) -> list[BudgetAlertV1]:
    """Check and send the alerts of expenses changed outside a chat (an API edit): every active
    chat of the ledger gets them; return them. Call it in the unit of work of the change, after
    the change (chat commands get this from their envelope, ``handlers.chat``)."""
    alerts = check_alerts(uow, context, transaction_ids, None)
    send_alerts(uow, None, context, alerts)
    return alerts
