"""Edited messages: an edit changes the transactions the message it edits recorded.

An edited chat message arrives as a capture of its own (its own ``message_id``) whose ``amends``
names the platform id of the message it edits; the original is found by its idempotency key
in the chat's ledger. Then:

* it recorded as many transactions as the edit now reads: each is changed in place (kind,
  amount, currency, date, merchant, description, payment method, instalments, category), with a
  ``transaction.amended`` event holding the fields before and after — answered ``amended``;
* a different number: the old ones are reversed and the new ones recorded — ``amended``;
* it recorded nothing (it was a question, or is waiting for "sim"): the edit is recorded as the
  original's transactions (a later edit finds them) and the original no longer waits for review;
* no original in this chat's ledger: the edit is recorded like any message.

Dates ("ontem") are read from the day the original message came, as they were when it was
recorded. Only a capture whose intent is ``record`` (or ``split``) becomes an amendment (:func:`amend_command`);
any other edit is handled as a new message. Recording rights are needed, and only the original
message's author amends it: an edit naming someone else's message (as a forged edit could)
changes nothing, is kept needing review with problem ``forbidden:amend`` and answered
``forbidden``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from financy.core.contracts.v1 import CaptureV1, Intent, ReplyKind, ReplyV1, idempotency_key
from financy.core.domain.authorization import Action
from financy.core.domain.commands import AmendCapture, ChatCommand, ChatMessage, RecordTransactions
from financy.core.domain.errors import UnknownCurrencyError
from financy.core.domain.events import Event
from financy.core.domain.model import CaptureStatus, Transaction, TransactionStatus
from financy.core.service.cards import refresh_postings
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, shown
from financy.core.service.handlers.ledger import (
    CONFIRM_BELOW,
    LOW_CONFIDENCE,
    _apply_record,
    _decide_record,
    add_transactions,
    plan_transactions,
)
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.intake import entries_of
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork, CaptureRef

#: The problem of an edit naming a message someone else sent.
FORBIDDEN_AMEND = "forbidden:amend"

#: What an edit may change of a transaction, and what ``transaction.amended`` compares.
AMENDED_FIELDS = (
    "kind",
    "amount",
    "currency",
    "occurred_on",
    "merchant",
    "description",
    "payment_method",
    "installments",
    "category",
)


@dataclass
class _AmendOutcome(Outcome):
    """An edit of a message found in this ledger: the original and its still-recorded transactions."""

    original: CaptureRef | None = None
    previous: list[Transaction] = field(default_factory=list)


def _as_record(cmd: AmendCapture) -> RecordTransactions:
    return RecordTransactions(cmd.message, cmd.entries, cmd.confidence)


def _original(cmd: AmendCapture, scope: ChatScope, uow: AbstractUnitOfWork) -> CaptureRef | None:
    message = cmd.message
    found = uow.captures.by_key(idempotency_key(message.platform, message.chat_id, cmd.amends))
    return found if found is not None and found.context_id == scope.context.id else None


def _in_place(old: Transaction, new: Transaction) -> Transaction:
    """Return ``old`` with what the edit says (``new``); a category the edit does not name stays."""
    return dataclasses.replace(
        new,
        id=old.id,
        author_id=old.author_id,
        source_channel=old.source_channel,
        capture_id=old.capture_id,
        status=old.status,
        items=old.items,
        category=new.category or old.category,
    )


def _decide(cmd: AmendCapture, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    original = _original(cmd, scope, uow)
    if original is None:
        return _decide_record(_as_record(cmd), scope, uow)
    if original.author_id is None or original.author_id != scope.user_id:
        return Outcome(ReplyKind.FORBIDDEN, CaptureStatus.NEEDS_REVIEW, FORBIDDEN_AMEND)
    previous = uow.transactions.of_capture(original.id, scope.context.id)
    try:
        planned = plan_transactions(
            uow,
            context=scope.context,
            user_id=scope.user_id,
            entries=cmd.entries,
            received_at=original.received_at,
            platform=cmd.message.platform,
            capture_id=original.id,
            confidence=cmd.confidence,
            remembers_merchants=scope.remembers_merchants,
        )
    except UnknownCurrencyError as exc:
        return Outcome(ReplyKind.QUESTION, CaptureStatus.NEEDS_REVIEW, f"unknown_currency:{exc.code}")
    if not previous:
        transactions = [shown(tx, scope.language, scope.context.base_currency) for tx in planned]
        if cmd.confidence < CONFIRM_BELOW:
            return Outcome(
                ReplyKind.CONFIRM_REQUEST,
                CaptureStatus.NEEDS_REVIEW,
                LOW_CONFIDENCE,
                transactions=transactions,
            )
        return _AmendOutcome(
            ReplyKind.RECORDED,
            CaptureStatus.RECORDED,
            planned=planned,
            transactions=transactions,
            original=original,
        )
    if len(previous) == len(planned):
        planned = [_in_place(old, new) for old, new in zip(previous, planned, strict=True)]
    return _AmendOutcome(
        ReplyKind.AMENDED,
        CaptureStatus.RECORDED,
        planned=planned,
        transactions=[shown(tx, scope.language, scope.context.base_currency) for tx in planned],
        original=original,
        previous=previous,
    )


def _changes(old: Transaction, new: Transaction) -> tuple[dict[str, Any], dict[str, Any]]:
    before, after = old.fields(), new.fields()
    changed = [name for name in AMENDED_FIELDS if before[name] != after[name]]
    return {n: before[n] for n in changed}, {n: after[n] for n in changed}


def _apply(cmd: AmendCapture, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    if outcome.problem == FORBIDDEN_AMEND:
        return
    if not isinstance(outcome, _AmendOutcome):
        _apply_record(_as_record(cmd), scope, outcome, uow)
        return
    message, original = cmd.message, outcome.original
    assert original is not None
    context_id, user_id = scope.context.id, scope.user_id
    if not outcome.previous:
        add_transactions(uow, outcome.planned, user_id, message.capture_id)
        if original.status == CaptureStatus.NEEDS_REVIEW.value:
            uow.captures.mark_recorded(original.id)
        return
    if len(outcome.previous) == len(outcome.planned):
        for old, new in zip(outcome.previous, outcome.planned, strict=True):
            uow.transactions.amend(new)
            # A card purchase: its bills follow (one that just became one is billed on the default card).
            refresh_postings(uow, new, may_add=new.payment_method != old.payment_method, actor=user_id)
            before, after = _changes(old, new)
            uow.record(
                Event(
                    "transaction.amended",
                    context_id,
                    user_id,
                    "transaction",
                    old.id,
                    before=before,
                    after=after,
                    capture_id=message.capture_id,
                    extra={"amends": cmd.amends},
                )
            )
        return
    for old in outcome.previous:
        uow.transactions.reverse(old.id)
        uow.record(
            Event(
                "transaction.reversed",
                context_id,
                user_id,
                "transaction",
                old.id,
                before={"status": old.status.value},
                after={"status": TransactionStatus.REVERSED.value},
                capture_id=message.capture_id,
                extra={"amends": cmd.amends},
            )
        )
    add_transactions(uow, outcome.planned, user_id, message.capture_id)


def amend_capture(cmd: AmendCapture, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Apply an edited message to what its original recorded (see the module); ``None`` for a duplicate."""
    return handle_chat(cmd, uow, defaults, action=Action.RECORD, decide=_decide, apply=_apply)


def amend_command(capture: CaptureV1, message: ChatMessage) -> ChatCommand | None:
    """Return the :class:`AmendCapture` an edited message asks for: an edit (``amends`` set) that
    reads as transactions; ``None`` for anything else (handled as a new message)."""
    understanding = capture.understanding
    if capture.amends is None or understanding is None:
        return None
    # An edited split ("paguei 150 do jantar, divide com a Ana") amends what it recorded too: the
    # cost's parts follow the new amount (``service.cost_sharing``); who shares it stays.
    if understanding.intent not in (Intent.RECORD, Intent.SPLIT):
        return None
    if not understanding.transactions:
        return None
    return AmendCapture(message, capture.amends, entries_of(understanding), understanding.confidence)


REGISTRATIONS = (Registration(AmendCapture, amend_capture),)
