"""Pipeline step: read the text of a message (amounts, currency, dates, merchant, category)."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from financy.core.contracts.v1 import Intent, ProposedTransaction, TransactionKind, Understanding
from financy.edge.pipeline.steps import Draft, PipelineContext
from financy.inference.text.reader import Reading, read_message


def to_understanding(reading: Reading) -> Understanding:
    """Map the reader's result onto the wire contract.

    An item the contract refuses (an amount beyond 14 integer digits, say) turns the whole
    understanding into a question (``problem="amount_out_of_range"``) rather than a guess.
    """
    language = "pt" if reading.language == "pt" else "en"
    try:
        intent = Intent(reading.intent)
    except ValueError:
        intent = Intent.UNKNOWN
    try:
        items = tuple(
            ProposedTransaction(
                kind=TransactionKind(item.kind),
                amount=item.amount,
                currency=item.currency,
                occurred_on=item.occurred_on,
                days_ago=item.days_ago,
                merchant=item.merchant[:200] if item.merchant else None,
                description=item.description[:500] if item.description else None,
                category=item.category,
                payment_method=item.payment_method,
                installments=item.installments,
            )
            for item in reading.items
        )
    except (ValidationError, ValueError):
        return Understanding(
            language=language, intent=Intent.UNKNOWN, confidence=0.0, problem="amount_out_of_range"
        )
    if intent is Intent.RECORD and not items:
        intent = Intent.UNKNOWN
    return Understanding(
        language=language,
        intent=intent,
        transactions=items,
        confidence=max(0.0, min(1.0, reading.confidence)),
        problem=reading.problem,
    )


def understand_text(text: str, *, today: dt.date, language_hint: str | None, currency: str) -> Understanding:
    """Read ``text`` as of ``today`` and return the contract's :class:`Understanding`."""
    return to_understanding(
        read_message(text, today=today, language_hint=language_hint, default_currency=currency)
    )


class UnderstandText:
    """Read amounts, dates, merchant and category from the message text."""

    name = "understand_text"

    def able_to_run(self, draft: Draft) -> bool:
        """Run on any draft with text."""
        return draft.text is not None

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Set ``draft.understanding`` from the text."""
        assert draft.text is not None
        hint = (draft.inbound.sender_language or "")[:2].lower() or context.language
        draft.understanding = understand_text(
            draft.text,
            today=context.today(draft.inbound.received_at),
            language_hint=hint if hint in ("pt", "en") else context.language,
            currency=context.currency,
        )
