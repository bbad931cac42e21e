"""Correcting a category from a chat ("muda pra saúde", "that was health").

The sender's last transaction (or the one the message targets: a button under it, a reply to
the bot's message about it — only if it is recorded in the chat's ledger) changes category;
the context remembers that merchant's category (so the next transaction there is categorised
that way at once, in this context only), and the correction is kept as a labelled example for
the next training of the category model.
"""

from __future__ import annotations

import dataclasses

from financy.core.contracts.v1 import Intent, ReplyKind, ReplyV1, Understanding
from financy.core.domain.authorization import Action
from financy.core.domain.commands import AskUser, ChangeCategory, ChatCommand, ChatMessage
from financy.core.domain.events import Event
from financy.core.domain.model import CATEGORY_BY_SLUG, merchant_key
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, shown
from financy.core.service.handlers.ledger import acted_on
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork


def _nothing_to_change(cmd: ChangeCategory, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.NOTHING_TO_RECATEGORIZE)


def _apply(cmd: ChangeCategory, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    last = acted_on(uow, cmd.message, scope)
    if last is None:
        return
    uow.transactions.set_category(last.id, cmd.category)
    uow.record(
        Event(
            "transaction.recategorized",
            scope.context.id,
            scope.user_id,
            "transaction",
            last.id,
            before={"category": last.category},
            after={"category": cmd.category},
            capture_id=cmd.message.capture_id,
        )
    )
    label_text = last.merchant or last.description
    if label_text:
        if last.merchant and (key := merchant_key(last.merchant)):
            uow.categories.remember(scope.context.id, key, cmd.category, last.id)
        uow.categories.add_example(
            scope.context.id,
            text=label_text,
            category=cmd.category,
            language=scope.language,
            transaction_id=last.id,
            author_id=scope.user_id,
        )
    changed = dataclasses.replace(last, category=cmd.category)
    outcome.kind, outcome.transactions = ReplyKind.RECATEGORIZED, [shown(changed, scope.language)]


def change_category(
    cmd: ChangeCategory, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Move the targeted (else the sender's last) transaction to ``cmd.category`` and learn from it."""
    return handle_chat(cmd, uow, defaults, action=Action.RECORD, decide=_nothing_to_change, apply=_apply)


def _change_command(message: ChatMessage, understanding: Understanding) -> ChatCommand:
    if understanding.category not in CATEGORY_BY_SLUG:
        return AskUser(message, understanding.problem or "unknown_category", needs_review=False)
    assert understanding.category is not None
    return ChangeCategory(message, understanding.category)


REGISTRATIONS = (Registration(ChangeCategory, change_category, {Intent.RECATEGORIZE: _change_command}),)
