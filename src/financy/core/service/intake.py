"""From the wire to the domain: a decoded :class:`~financy.core.contracts.v1.CaptureV1` becomes the
plain values chat commands carry (:class:`ChatMessage`, :class:`ProposedEntry`, :class:`LedgerQuestion`).

Which command a capture becomes is decided by the handler modules' registrations
(``service.handlers.command_for``); this module only translates shapes.
"""

from __future__ import annotations

from financy.core.contracts.v1 import BudgetRequest, CaptureV1, LedgerQuery, Understanding
from financy.core.domain.commands import BudgetAsked, ChatMessage, LedgerQuestion, ProposedEntry
from financy.core.domain.model import ReceiptLine


def chat_message(capture: CaptureV1) -> ChatMessage:
    """Return the envelope of ``capture`` (what every chat command carries)."""
    understanding = capture.understanding
    stored = {
        "understanding": understanding.model_dump(mode="json") if understanding else None,
        "media": capture.media.model_dump(mode="json") if capture.media else None,
        "provenance": capture.provenance.model_dump(mode="json") if capture.provenance else None,
        "receipt": capture.receipt.model_dump(mode="json") if capture.receipt else None,
    }
    return ChatMessage(
        capture_id=capture.capture_id,
        idempotency_key=capture.idempotency_key,
        edge_id=capture.edge_id,
        platform=capture.platform,
        chat_id=capture.chat_id,
        message_id=capture.message_id,
        sender_id=capture.sender.platform_user_id,
        received_at=capture.received_at,
        intent=understanding.intent.value if understanding else "unknown",
        language=understanding.language if understanding else None,
        language_sure=understanding.language_sure if understanding else True,
        sender_name=capture.sender.display_name,
        sender_language=capture.sender.language_code,
        media_type=capture.media_type,
        text=capture.text,
        text_truncated=capture.text_truncated,
        completes=capture.completes,
        provenance_source=capture.provenance.source if capture.provenance else None,
        provenance_text=capture.provenance.text if capture.provenance else None,
        receipt_merchant=capture.receipt.merchant if capture.receipt else None,
        stored=stored,
        chat_type=capture.chat_type,
        sender_is_person=capture.sender.is_person,
        sender_is_chat_admin=capture.sender.is_chat_admin,
        target_transaction=capture.target_transaction,
    )


def entries_of(understanding: Understanding) -> tuple[ProposedEntry, ...]:
    """Return the transactions ``understanding`` proposes, as domain values."""
    return tuple(
        ProposedEntry(
            kind=p.kind.value,
            amount=p.amount,
            currency=p.currency,
            occurred_on=p.occurred_on,
            days_ago=p.days_ago,
            merchant=p.merchant,
            description=p.description,
            category=p.category,
            payment_method=p.payment_method,
            installments=p.installments,
            items=tuple(ReceiptLine(i.description, i.quantity, i.unit_price, i.line_total) for i in p.items),
            category_guesses=p.category_guesses,
            receipt_date_missing=p.receipt_date_missing and p.occurred_on is None and p.days_ago is None,
            category_unsure=p.category_unsure,
        )
        for p in understanding.transactions
    )


def question_of(query: LedgerQuery) -> LedgerQuestion:
    """Return the domain question of a wire :class:`LedgerQuery`."""
    return LedgerQuestion(
        kind=query.kind.value,
        period=query.period,
        category=query.category,
        merchant=query.merchant,
        ask=query.ask,
        limit=query.limit,
        all_kinds=query.all_kinds,
        group=query.group,
        categories=query.categories,
    )


def budget_of(budget: BudgetRequest | None) -> BudgetAsked:
    """Return the domain budget of a wire :class:`BudgetRequest` (``None``: nothing said)."""
    if budget is None:
        return BudgetAsked()
    return BudgetAsked(budget.amount, budget.currency, budget.category, budget.group, budget.categories)
