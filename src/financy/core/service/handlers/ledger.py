"""Recording in the ledger from a chat: record, undo, confirm ("sim"), and completing a question.

A merchant this context has a remembered category for gets that category whatever the edge
proposed, so a correction applies to the very next transaction at that merchant. A reading
below :data:`CONFIRM_BELOW` is shown and asked about instead of recorded, and so is an expense
unusually large for what the ledger has recorded at that merchant or in that category
(:mod:`financy.core.domain.unusual`: "padaria 1200" after 8 to 20 reais there; ``usual`` in the
reply says why); "sim" records either. The sender is the
payer of what they record; what no person sent (a channel posting in a group) is recorded
with author and payer unknown, and the bot asks who paid (``who_paid``). Undo acts on the
message's ``target_transaction`` when it carries one (only if it is a recorded transaction of
the chat's ledger), else on the sender's last.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Literal

from financy.core.contracts.v1 import (
    Intent,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    Understanding,
    UsualAmounts,
)
from financy.core.domain.authorization import Action
from financy.core.domain.commands import (
    ChatMessage,
    ConfirmPending,
    ProposedEntry,
    RecordTransactions,
    UndoLast,
)
from financy.core.domain.errors import UnknownCurrencyError
from financy.core.domain.events import Event
from financy.core.domain.model import (
    CATEGORY_BY_SLUG,
    CaptureStatus,
    LedgerContext,
    Money,
    Transaction,
    TransactionStatus,
    merchant_key,
    normalize_currency,
)
from financy.core.domain.unusual import HISTORY_LIMIT, is_unusual, usual_range
from financy.core.service.cards import post_card_purchases
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, local_date, shown
from financy.core.service.handlers.chat_imports import STATEMENT_PREVIEW, confirm_statement
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.intake import entries_of
from financy.core.service.iof import iof_line
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.core.service.valuation import value_transaction
from financy.runtime.ids import uuid7

#: A capture the bot asked to confirm can be confirmed for this long.
CONFIRM_WINDOW = dt.timedelta(hours=24)
#: Below this confidence a reading is not recorded: the bot shows it and asks "is that right?".
CONFIRM_BELOW = 0.5
LOW_CONFIDENCE = "low_confidence"
#: The problem of a reading the bot asks about because an amount is unusual for the ledger.
UNUSUAL_AMOUNT = "unusual_amount"
#: The problems a "sim" confirms.
CONFIRMABLE = (LOW_CONFIDENCE, UNUSUAL_AMOUNT)


def unusual_amount(uow: AbstractUnitOfWork, planned: Sequence[Transaction]) -> UsualAmounts | None:
    """Return why the first of ``planned`` whose amount is unusual for its ledger is asked about
    (the merchant's history when it has :data:`~financy.core.domain.unusual.MIN_HISTORY` earlier
    amounts, else its category's), or ``None`` when every amount is usual or nothing is known.

    Only expenses are checked, against earlier expenses in the same currency (one query each for
    the merchant and, when that says nothing, the category).
    """
    for tx in planned:
        if tx.kind != "expense" or tx.fee_of is not None:
            continue
        bases: list[tuple[Literal["merchant", "category"], str]] = []
        if tx.merchant:
            bases.append(("merchant", tx.merchant))
        if tx.category:
            bases.append(("category", tx.category))
        for basis, name in bases:
            history = uow.transactions.recent_amounts(
                tx.context_id,
                kind=tx.kind,
                currency=tx.money.currency,
                merchant=name if basis == "merchant" else None,
                category=name if basis == "category" else None,
                limit=HISTORY_LIMIT,
            )
            usual = usual_range(history)
            if usual is None:
                continue  # too little history here: the category may say more
            if is_unusual(tx.money.amount, usual):
                return UsualAmounts(
                    basis=basis,
                    name=name[:200],
                    amount=tx.money.amount,
                    currency=tx.money.currency,
                    low=usual.low,
                    high=usual.high,
                    count=usual.count,
                )
            break  # usual for the merchant's own history: the category is not asked
    return None


def _occurred_on(entry: ProposedEntry, received_on: dt.date) -> dt.date:
    if entry.occurred_on is not None:
        return entry.occurred_on
    if entry.days_ago is not None:
        return received_on - dt.timedelta(days=entry.days_ago)
    return received_on


def plan_transactions(
    uow: AbstractUnitOfWork,
    *,
    context: LedgerContext,
    user_id: uuid.UUID | None,
    entries: Sequence[ProposedEntry],
    received_at: dt.datetime,
    platform: str,
    capture_id: uuid.UUID,
    confidence: float,
    remembers_merchants: bool = True,
) -> list[Transaction]:
    """Return the transactions ``entries`` become in ``context`` (nothing written), recorded and
    paid by ``user_id`` (``None``: no person sent them, the payer is unknown).

    Each is valued in the context's base currency (:func:`~financy.core.service.valuation.value_transaction`:
    rate 1 for the same currency, else the ECB rate of its date); a card's foreign purchase in a
    ledger with ``card_iof`` is followed by its IOF fee line (:mod:`financy.core.service.iof`).

    Raises:
        UnknownCurrencyError: an entry names a currency that is not ISO 4217.
    """
    received_on = local_date(received_at, context.time_zone)
    remembered = (
        uow.categories.remembered(context.id, [merchant_key(e.merchant) for e in entries if e.merchant])
        if remembers_merchants
        else {}
    )
    planned: list[Transaction] = []
    for entry in entries:
        category = entry.category if entry.category in CATEGORY_BY_SLUG else None
        if entry.merchant:
            category = remembered.get(merchant_key(entry.merchant), category)
        currency = normalize_currency(entry.currency) if entry.currency else context.base_currency
        tx = Transaction(
            id=uuid7(),
            context_id=context.id,
            kind=entry.kind,
            money=Money(entry.amount, currency),
            occurred_on=_occurred_on(entry, received_on),
            merchant=entry.merchant,
            description=entry.description,
            payment_method=entry.payment_method,
            installments=entry.installments,
            category=category,
            source_channel=platform,
            capture_id=capture_id,
            author_id=user_id,
            paid_by=user_id,
            confidence=confidence,
            items=entry.items,
            category_guesses=tuple(g for g in entry.category_guesses if g != category),
            category_unsure=entry.category_unsure and category == entry.category,
        )
        tx = value_transaction(uow, tx, context.base_currency)
        planned.append(tx)
        fee = iof_line(context, tx)
        if fee is not None:
            planned.append(fee)
    return planned


def add_transactions(
    uow: AbstractUnitOfWork,
    transactions: Sequence[Transaction],
    user_id: uuid.UUID | None,
    capture_id: uuid.UUID,
) -> None:
    """Insert ``transactions`` with their receipt lines, one ``transaction.recorded`` event each;
    card purchases get their postings (:func:`~financy.core.service.cards.post_card_purchases`)."""
    uow.transactions.add(transactions)
    for tx in transactions:
        after = tx.fields() | {
            "items": [
                {
                    "description": item.description,
                    "quantity": item.quantity,
                    "unit_price": item.unit_price,
                    "line_total": item.line_total,
                }
                for item in tx.items
            ]
        }
        uow.record(
            Event(
                "transaction.recorded",
                tx.context_id,
                user_id,
                "transaction",
                tx.id,
                after=after,
                capture_id=capture_id,
            )
        )
    # A card purchase in a ledger with a default card: its instalments in their bills.
    post_card_purchases(uow, transactions, user_id, capture_id)


def _shown_all(
    planned: Sequence[Transaction], entries: Sequence[ProposedEntry], language: str, base_currency: str
) -> list[RecordedTransaction]:
    """The reply's view of ``planned`` (one per entry, in order, each followed by its fee lines),
    flagged where a receipt without a readable date made the entry's date the day received."""
    out = []
    purchases = [tx for tx in planned if tx.fee_of is None]
    missing = {tx.id for tx, entry in zip(purchases, entries, strict=True) if entry.receipt_date_missing}
    for tx in planned:
        view = shown(tx, language, base_currency)
        if tx.id in missing:
            view = view.model_copy(update={"receipt_date_missing": True})
        out.append(view)
    return out


def _decide_record(cmd: RecordTransactions, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    message = cmd.message
    try:
        planned = plan_transactions(
            uow,
            context=scope.context,
            user_id=scope.author_id,
            entries=cmd.entries,
            received_at=message.received_at,
            platform=message.platform,
            capture_id=message.capture_id,
            confidence=cmd.confidence,
            remembers_merchants=scope.remembers_merchants,
        )
    except UnknownCurrencyError as exc:
        return Outcome(ReplyKind.QUESTION, CaptureStatus.NEEDS_REVIEW, f"unknown_currency:{exc.code}")
    transactions = _shown_all(planned, cmd.entries, scope.language, scope.context.base_currency)
    if cmd.confidence < CONFIRM_BELOW:
        return Outcome(
            ReplyKind.CONFIRM_REQUEST, CaptureStatus.NEEDS_REVIEW, LOW_CONFIDENCE, transactions=transactions
        )
    # Only a person can answer "sim": what a channel posts is recorded as before.
    usual = unusual_amount(uow, planned) if scope.author_id is not None else None
    if usual is not None:
        return Outcome(
            ReplyKind.CONFIRM_REQUEST,
            CaptureStatus.NEEDS_REVIEW,
            UNUSUAL_AMOUNT,
            transactions=transactions,
            usual=usual,
        )
    kind = ReplyKind.RECORDED if scope.author_id is not None else ReplyKind.WHO_PAID
    return Outcome(kind, CaptureStatus.RECORDED, planned=planned, transactions=transactions)


def _apply_record(
    cmd: RecordTransactions, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork
) -> None:
    message = cmd.message
    if outcome.planned:
        add_transactions(uow, outcome.planned, scope.author_id, message.capture_id)
    elif outcome.kind is not ReplyKind.CONFIRM_REQUEST:
        return
    # The answer to "how much?" closes that question, also when the answer itself is now asked
    # about ("sim" then records it from the answering capture, which holds the whole reading).
    if message.completes is not None and scope.author_id is not None:
        _complete_earlier(uow, cmd, scope)


def _complete_earlier(uow: AbstractUnitOfWork, cmd: RecordTransactions, scope: ChatScope) -> None:
    """Close the earlier capture ``completes`` names (same chat and author, needing review).

    The edge sets ``completes`` when a message answers the bot's "how much?" about a voice note
    or a receipt without a total; the transaction is recorded from the answering capture, and the
    question is closed here. A ``completes`` naming anything else changes nothing.
    """
    message = cmd.message
    assert message.completes is not None
    if uow.captures.complete(
        message.completes, context_id=scope.context.id, author_id=scope.user_id, chat_id=message.chat_id
    ):
        uow.record(
            Event(
                "capture.completed",
                scope.context.id,
                scope.user_id,
                "capture",
                message.completes,
                before={"status": CaptureStatus.NEEDS_REVIEW.value},
                after={"status": CaptureStatus.RECORDED.value, "completed_by": str(message.capture_id)},
                capture_id=message.capture_id,
            )
        )


def record_transactions(
    cmd: RecordTransactions, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Record what a message said was spent or received (or ask, when unsure); ``None`` for a duplicate.

    A message no person sent is recorded with the payer unknown and answered ``who_paid``."""
    return handle_chat(
        cmd,
        uow,
        defaults,
        action=Action.RECORD,
        decide=_decide_record,
        apply=_apply_record,
        not_a_person=True,
    )


def acted_on(uow: AbstractUnitOfWork, message: ChatMessage, scope: ChatScope) -> Transaction | None:
    """Return (and lock) the transaction a chat command acts on: the message's
    ``target_transaction`` if it is recorded in the chat's ledger (else ``None``: never another
    ledger's), or without one the sender's most recent recorded transaction there."""
    if message.target_transaction is not None:
        return uow.transactions.recorded(scope.context.id, message.target_transaction)
    return uow.transactions.last_recorded(scope.context.id, scope.user_id)


def _nothing_to_undo(cmd: UndoLast, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.NOTHING_TO_UNDO)


def _apply_undo(cmd: UndoLast, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    last = acted_on(uow, cmd.message, scope)
    if last is None:
        return
    if last.fee_of is not None:
        # A fee line (a card's IOF) is undone with the purchase it belongs to.
        last = uow.transactions.recorded(scope.context.id, last.fee_of) or last
    for tx in [last, *uow.transactions.fees_of(scope.context.id, last.id)]:
        uow.transactions.reverse(tx.id)
        uow.record(
            Event(
                "transaction.reversed",
                scope.context.id,
                scope.user_id,
                "transaction",
                tx.id,
                before={"status": tx.status.value},
                after={"status": TransactionStatus.REVERSED.value},
                capture_id=cmd.message.capture_id,
            )
        )
    outcome.kind, outcome.transactions = ReplyKind.UNDONE, [shown(last, scope.language)]


def undo_last(cmd: UndoLast, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Reverse the transaction the message targets, else the sender's most recent one, in the chat's ledger."""
    return handle_chat(cmd, uow, defaults, action=Action.RECORD, decide=_nothing_to_undo, apply=_apply_undo)


def _nothing_to_confirm(cmd: ConfirmPending, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.NOTHING_TO_CONFIRM)


def _apply_confirm(cmd: ConfirmPending, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    message = cmd.message
    since = message.received_at - CONFIRM_WINDOW
    found = [
        p
        for problem in CONFIRMABLE
        if (p := uow.captures.pending_confirmation(scope.context.id, scope.user_id, problem, since))
    ]
    pending = max(found, key=lambda p: p.received_at) if found else None
    # A statement file's import waiting for "sim" (handlers.chat_imports), if it is the newest.
    statement = uow.captures.pending_confirmation(scope.context.id, scope.user_id, STATEMENT_PREVIEW, since)
    if statement is not None and (pending is None or statement.received_at >= pending.received_at):
        confirm_statement(scope, outcome, statement.id, uow)
        return
    if pending is None or not pending.understanding:
        return
    understood = Understanding.model_validate(pending.understanding)
    try:
        planned = plan_transactions(
            uow,
            context=scope.context,
            user_id=scope.user_id,
            entries=entries_of(understood),
            received_at=pending.received_at,
            platform=pending.platform,
            capture_id=pending.id,
            confidence=understood.confidence,
        )
    except UnknownCurrencyError:
        return
    add_transactions(uow, planned, scope.user_id, pending.id)
    uow.captures.mark_recorded(pending.id)
    uow.record(
        Event(
            "capture.confirmed",
            scope.context.id,
            scope.user_id,
            "capture",
            pending.id,
            before={"status": CaptureStatus.NEEDS_REVIEW.value},
            after={"status": CaptureStatus.RECORDED.value, "confirmed_by": str(message.capture_id)},
            capture_id=message.capture_id,
        )
    )
    outcome.kind = ReplyKind.RECORDED
    outcome.transactions = _shown_all(
        planned, entries_of(understood), scope.language, scope.context.base_currency
    )


def confirm_pending(
    cmd: ConfirmPending, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Record the sender's latest reading the bot asked about ("sim"), if under a day old."""
    return handle_chat(
        cmd, uow, defaults, action=Action.RECORD, decide=_nothing_to_confirm, apply=_apply_confirm
    )


def _record_command(message: ChatMessage, understanding: Understanding) -> RecordTransactions | None:
    if not understanding.transactions:
        return None
    return RecordTransactions(message, entries_of(understanding), understanding.confidence)


REGISTRATIONS = (
    Registration(RecordTransactions, record_transactions, {Intent.RECORD: _record_command}),
    Registration(UndoLast, undo_last, {Intent.UNDO: lambda message, _: UndoLast(message)}),
    Registration(
        ConfirmPending, confirm_pending, {Intent.CONFIRM: lambda message, _: ConfirmPending(message)}
    ),
)
