"""Recurring series in a unit of work: detect and store them, decide about them, remind of them.

Used by the chat handler ("quais minhas assinaturas?", ``handlers/recurring.py``), the API
(``entrypoints/api/recurring.py``) and the daily job (``entrypoints/tasks.py``). Detection itself
is pure: :mod:`financy.core.domain.recurring`.

Storing what detection found (:func:`refresh`), per context, kind, merchant key and currency:

* a new series is stored ``detected`` (a proposal);
* a ``detected`` or ``confirmed`` one is updated (amounts, dates, price change) and keeps its status;
* a ``dismissed`` one is left exactly as it was dismissed, unless its cadence changed or its
  expected amount moved by more than 25 % of the dismissed amount
  (:func:`~financy.core.domain.recurring.reopens`): then it is proposed again (``detected``);
* a ``detected`` one no longer found (it lapsed, or its entries were deleted) is deleted; a
  ``confirmed`` or ``dismissed`` one stays (the member's decision is kept).

Price changes (:func:`send_price_changes`): when re-detection finds a ``confirmed`` series'
price stepped since it was last stored (a new ``price_changed_on``), the ledger's chats get one
:attr:`ReplyKind.SUBSCRIPTION_PRICE_CHANGE` ("Netflix subiu de 39,90 para 44,90"), in the unit of
work that stores the step (so once per step).

Reminders (:func:`send_reminders`): a ``confirmed`` series whose next date (rolled forward past
dates the ledger did not record: :func:`~financy.core.domain.recurring.upcoming`) is at most N
days away (default 3) gets one :attr:`ReplyKind.SUBSCRIPTION_REMINDER` to every active chat of
the ledger, in the ledger's language, through the outbox and the edges' reply streams (as budget
alerts do). The due date is claimed in ``reminded_for`` in the same transaction, so a due date
is reminded once, whatever runs the job twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
import uuid
from decimal import Decimal
from typing import Final

from financy.core.contracts.v1 import RecurringSeriesV1, ReplyKind, ReplyV1, replies_stream
from financy.core.domain.events import Event
from financy.core.domain.model import LedgerContext
from financy.core.domain.recurring import (
    Series,
    SeriesNotFoundError,
    detect,
    due_for_reminder,
    reopens,
    upcoming,
)
from financy.core.service.recurring_port import StoredSeries
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.runtime.ids import uuid7

#: How far back detection reads a ledger (two yearly payments and some slack).
LOOKBACK_DAYS: Final = 800
#: Days before a confirmed series' next date its reminder goes out.
REMIND_DAYS_BEFORE: Final = 3
#: Most series a chat list carries (the contract's limit).
MAX_LISTED: Final = 100
_CENTS = Decimal("0.01")


def _row(series: Series, base: StoredSeries | None, context: LedgerContext, status: str) -> StoredSeries:
    change = series.price_change
    return StoredSeries(
        id=base.id if base is not None else uuid7(),
        context_id=context.id,
        kind=series.kind,
        key=series.key,
        currency=series.currency,
        merchant=series.merchant,
        category=series.category,
        cadence=series.cadence,
        amount=series.expected_amount,
        typical_amount=series.typical_amount,
        occurrences=series.occurrences,
        confidence=series.confidence,
        status=status,
        first_seen=series.first_seen,
        last_seen=series.last_seen,
        next_due=series.next_due,
        price_old=change.old_amount if change else None,
        price_new=change.new_amount if change else None,
        price_changed_on=change.changed_on if change else None,
        reminded_for=base.reminded_for if base is not None else None,
    )


def refresh(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    today: dt.date,
    noticed: list[StoredSeries] | None = None,
) -> list[StoredSeries]:
    """Detect the context's series in its last :data:`LOOKBACK_DAYS` days and store them (see the
    module); return every stored series of the context afterwards. ``today``: its local date.
    ``noticed``: gets the confirmed series whose price stepped since they were last stored."""
    uow.lock(f"recurring:{context.id}")
    since = today - dt.timedelta(days=LOOKBACK_DAYS)
    found = detect(uow.recurring.occurrences(context.id, since), today=today)
    stored = {(s.kind, s.key, s.currency): s for s in uow.recurring.of_context(context.id)}
    seen = set()
    for series in found:
        where = (series.kind, series.key, series.currency)
        seen.add(where)
        old = stored.get(where)
        if old is None:
            uow.recurring.add(_row(series, None, context, "detected"))
        elif old.status != "dismissed":
            new = _row(series, old, context, old.status)
            uow.recurring.update(new)
            stepped = new.price_changed_on is not None and new.price_changed_on != old.price_changed_on
            if noticed is not None and stepped and old.status == "confirmed":
                noticed.append(new)
        elif reopens(old.cadence, old.amount, series):
            uow.recurring.update(_row(series, old, context, "detected"))
    uow.recurring.delete(
        [s.id for where, s in stored.items() if where not in seen and s.status == "detected"]
    )
    return uow.recurring.of_context(context.id)


def ensure(uow: AbstractUnitOfWork, context: LedgerContext, today: dt.date) -> list[StoredSeries]:
    """Return the context's stored series, detecting them first when none was stored yet."""
    return uow.recurring.of_context(context.id) or refresh(uow, context, today)


def _money(amount: Decimal) -> Decimal:
    """``amount`` with two decimals, or as many as it needs (a stored NUMERIC has four)."""
    cents = amount.quantize(_CENTS)
    return cents if cents == amount else amount.normalize()


def wire(series: StoredSeries, next_due: dt.date | None = None) -> RecurringSeriesV1:
    """Return ``series`` as the contract carries it (``next_due``: instead of the stored one)."""
    return RecurringSeriesV1.model_validate(
        {
            "series_id": series.id,
            "merchant": series.merchant,
            "kind": series.kind,
            "cadence": series.cadence,
            "amount": _money(series.amount),
            "currency": series.currency,
            "status": series.status,
            "category": series.category,
            "last_seen": series.last_seen,
            "next_due": next_due or series.next_due,
            "confidence": series.confidence,
            "price_old": _money(series.price_old) if series.price_old is not None else None,
            "price_new": _money(series.price_new) if series.price_new is not None else None,
            "price_changed_on": series.price_changed_on,
        }
    )


def listed_series(series: list[StoredSeries]) -> list[StoredSeries]:
    """The series a chat lists, in its order: all but the dismissed, confirmed first, then by
    next date (at most :data:`MAX_LISTED`; "/assinatura confirmar 2" counts in this order)."""
    shown = [s for s in series if s.status != "dismissed"]
    shown.sort(key=lambda s: (s.status != "confirmed", s.next_due, s.merchant.casefold()))
    return shown[:MAX_LISTED]


def listed(series: list[StoredSeries]) -> list[RecurringSeriesV1]:
    """The series a chat lists (:func:`listed_series`), as the contract carries them."""
    return [wire(s) for s in listed_series(series)]


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def named(series: list[StoredSeries], reference: str) -> list[StoredSeries]:
    """The series ``reference`` names: "2" the second of the chat's list (:func:`listed_series`);
    a text the series whose merchant is it (case and accents aside), else those whose merchant
    contains it (a dismissed one too: it may be confirmed again). Empty: none; several: the
    reference is ambiguous."""
    ref = reference.strip()
    if ref.isdigit():
        shown = listed_series(series)
        index = int(ref) - 1
        return [shown[index]] if 0 <= index < len(shown) else []
    wanted = _folded(ref)
    if not wanted:
        return []
    exact = [s for s in series if _folded(s.merchant) == wanted]
    if exact:
        return exact
    return [s for s in series if wanted in _folded(s.merchant)]


def decide(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    series_id: uuid.UUID,
    status: str,
    actor: uuid.UUID | None,
) -> StoredSeries:
    """Set a series' ``status`` ("confirmed" or "dismissed") as ``actor``'s decision; a
    ``recurring.confirmed`` / ``recurring.dismissed`` event. Return the series as it is now.

    Raises:
        SeriesNotFoundError: no such series in the context.
    """
    old = uow.recurring.get(context.id, series_id)
    if old is None:
        raise SeriesNotFoundError()
    uow.recurring.decide(old.id, status, actor)
    uow.record(
        Event(
            f"recurring.{status}",
            context.id,
            actor,
            "recurring_series",
            old.id,
            before={"status": old.status},
            after={"status": status, "merchant": old.merchant, "cadence": old.cadence, "amount": old.amount},
        )
    )
    return dataclasses.replace(old, status=status)


def _tell_chats(
    uow: AbstractUnitOfWork, context: LedgerContext, kind: ReplyKind, shown: RecurringSeriesV1, tag: str
) -> int:
    """Queue a ``kind`` message about ``shown`` to every active chat of ``context`` (in its
    language); return how many."""
    language = "pt" if context.language == "pt" else "en"
    sent = 0
    for chat in uow.budgets.alert_chats(context.id):
        reply = ReplyV1.model_validate(
            {
                "reply_id": uuid7(),
                "capture_id": shown.series_id,
                "idempotency_key": tag,
                "edge_id": chat.edge_id,
                "platform": chat.platform,
                "chat_id": chat.chat_id,
                # Not a message of that chat: nothing to quote.
                "in_reply_to": tag,
                "language": language,
                "kind": kind,
                "recurring": (shown,),
                "created_at": dt.datetime.now(dt.UTC),
            }
        )
        uow.publish(replies_stream(chat.edge_id), reply.model_dump_json())
        sent += 1
    return sent


def send_price_changes(uow: AbstractUnitOfWork, context: LedgerContext, noticed: list[StoredSeries]) -> int:
    """Queue a :attr:`ReplyKind.SUBSCRIPTION_PRICE_CHANGE` for each of ``noticed`` (what
    :func:`refresh` noticed, in its unit of work: so once per price step) to every active chat of
    the ledger; return how many messages were queued."""
    sent = 0
    for series in noticed:
        tag = f"recurring:{series.id}:price:{series.price_changed_on}"
        sent += _tell_chats(uow, context, ReplyKind.SUBSCRIPTION_PRICE_CHANGE, wire(series), tag)
    return sent


def send_reminders(
    uow: AbstractUnitOfWork, context: LedgerContext, today: dt.date, days_before: int = REMIND_DAYS_BEFORE
) -> int:
    """Queue the reminders due ``today`` (the context's date) of its confirmed series to every
    active chat bound to it (see the module); return how many messages were queued."""
    sent = 0
    for series in uow.recurring.of_context(context.id):
        if series.status != "confirmed":
            continue
        due = upcoming(series.cadence, series.next_due, today)
        if not due_for_reminder(due, today, days_before) or not uow.recurring.claim_reminder(series.id, due):
            continue
        tag = f"recurring:{series.id}:{due.isoformat()}"
        sent += _tell_chats(uow, context, ReplyKind.SUBSCRIPTION_REMINDER, wire(series, due), tag)
    return sent
