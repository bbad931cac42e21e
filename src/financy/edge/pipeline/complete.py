"""Pipeline step: a bare amount answering "how much?" completes the message it answers.

A text without an amount ("comprei 3 pizzas", problem ``no_amount``), a voice note without one
("eu quero uma coxinha de frango") or a receipt photo without a readable total is kept and
answered with a question. When the sender's very next message in that chat, within
:data:`ANSWER_WINDOW`, is an amount and nothing else ("90", or "oito e cinquenta" spoken in a
voice note), this step joins the two: the earlier text or transcript is read again with the
amount ("comprei 3 pizzas 90": one expense "pizzas", restaurants), or the receipt's merchant, date
and items are given the amount, and the capture names the one it completes
(``CaptureV1.completes``) so the core closes that question. A bare amount with no such question
before it is left as it was read.
"""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from financy.core.contracts.v1 import CaptureV1, Intent, ProposedTransaction, Understanding
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.steps import RUN, Able, Draft, PipelineContext, SkipStep, off_loop, skip
from financy.edge.pipeline.understand import (
    MODEL_AT_LEAST,
    RankCategories,
    fill_categories_ranked,
    guesses_after,
    understand_text,
)

#: An answer counts for a question asked at most this long before it.
ANSWER_WINDOW = dt.timedelta(minutes=30)
#: Problems of media captures that a bare amount answers.
ANSWERABLE = frozenset({"voice_no_amount", "receipt_no_total"})
#: The problem of a text capture that a bare amount answers.
TEXT_ANSWERABLE = "no_amount"


def _failed_answer(capture: CaptureV1) -> bool:
    """A text with no letters that gave no amount ("0", "-0", "0,00"): a failed answer to the
    question before it, never a question of its own that a later amount answers."""
    u = capture.understanding
    return (
        capture.media is None
        and u is not None
        and u.problem == TEXT_ANSWERABLE
        and not any(char.isalpha() for char in capture.text or "")
    )


class CompleteMedia:
    """Join a bare amount to the sender's previous text, voice note or receipt that lacked one.

    ``outbox`` holds the edge's earlier captures (``None``: an edge part without one, which
    completes nothing); ``categorize`` is the category model, as a ranker.
    """

    name = "complete_media"

    def __init__(self, outbox: EdgeOutbox | None, categorize: RankCategories | None = None) -> None:
        self.outbox = outbox
        self.categorize = categorize

    def able_to_run(self, draft: Draft) -> Able:
        """Run on a text or a voice note read as exactly one transaction with an amount and nothing else."""
        u = draft.understanding
        if self.outbox is None:
            return skip("no outbox")
        spoken = (
            draft.job is not None and draft.provenance is not None and draft.provenance.source == "speech"
        )
        if not spoken and (draft.inbound.media is not None or draft.job is not None):
            return skip("not a text or a voice note")
        if u is None or u.intent is not Intent.RECORD or len(u.transactions) != 1:
            return skip("not one transaction")
        tx = u.transactions[0]
        if tx.merchant is not None or tx.description is not None:
            return skip("more than an amount")
        return RUN

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Replace ``draft.understanding`` by the completed one when the previous capture asked for it."""
        inbound = draft.inbound
        assert self.outbox is not None
        payloads = self.outbox.recent_captures_of(inbound.platform, inbound.chat_id, inbound.sender_id)
        if not payloads:
            raise SkipStep("no earlier capture of this sender in this chat")
        earlier = CaptureV1.model_validate_json(payloads[0])
        if _failed_answer(earlier):
            # "comprei 3 pizzas", "0", "90": the "90" answers the pizzas, not the "0"
            if len(payloads) < 2:
                raise SkipStep("the earlier capture is an amount that failed, no question")
            earlier = CaptureV1.model_validate_json(payloads[1])
        u = earlier.understanding
        asked = u is not None and (
            (earlier.media is not None and u.problem in ANSWERABLE)
            or (earlier.media is None and u.problem == TEXT_ANSWERABLE and bool(earlier.text))
        )
        if u is None or not asked:
            raise SkipStep("the earlier capture asked for no amount")
        if not dt.timedelta(0) <= draft.inbound.received_at - earlier.received_at <= ANSWER_WINDOW:
            raise SkipStep("the earlier question is too old")
        assert draft.understanding is not None
        answer = draft.understanding.transactions[0]
        completed: Understanding | None = None
        if u.problem == "voice_no_amount" and earlier.provenance is not None and draft.text:
            completed = await off_loop(
                self._joined, earlier.provenance.text, draft.text, answer, draft, context
            )
        elif u.problem == TEXT_ANSWERABLE and earlier.text and draft.text:
            completed = await off_loop(self._joined, earlier.text, draft.text, answer, draft, context)
        elif u.problem == "receipt_no_total" and earlier.receipt is not None:
            completed = await off_loop(self._receipt, earlier, answer, draft.understanding)
        if completed is None:
            raise SkipStep("the earlier capture cannot take this amount")
        draft.understanding = completed
        draft.completes = earlier.capture_id

    def _joined(
        self, transcript: str, text: str, answer: ProposedTransaction, draft: Draft, context: PipelineContext
    ) -> Understanding | None:
        """Read the earlier words (``transcript``: a voice note's or a text's) with the answer's
        ``text``; when that is not one transaction of the answered amount, the answer keeps the
        earlier words as its description."""
        assert draft.understanding is not None
        joined = f"{transcript.strip()} {text.strip()}"
        reading = understand_text(
            joined,
            today=context.today(draft.inbound.received_at),
            language_hint=draft.understanding.language,
            currency=context.currency,
        )
        if self.categorize is not None:
            reading = fill_categories_ranked(reading, joined, self.categorize)
        if (
            reading.intent is Intent.RECORD
            and len(reading.transactions) == 1
            and reading.transactions[0].amount == answer.amount
        ):
            return reading.model_copy(
                update={"confidence": max(reading.confidence, draft.understanding.confidence)}
            )
        try:
            tx = answer.model_copy(update={"description": transcript.strip()[:500] or None})
        except ValidationError:
            return None
        return draft.understanding.model_copy(update={"transactions": (tx,)})

    def _receipt(
        self, earlier: CaptureV1, answer: ProposedTransaction, understanding: Understanding
    ) -> Understanding | None:
        receipt = earlier.receipt
        assert receipt is not None
        category, guesses = answer.category, answer.category_guesses
        if self.categorize is not None:
            words = " ".join(
                p for p in [receipt.merchant or "", *(i.description for i in receipt.items[:8])] if p
            )
            ranked = list(self.categorize(words)) if words else []
            if ranked and ranked[0][1] >= MODEL_AT_LEAST:
                category = ranked[0][0]
            if ranked:
                guesses = guesses_after(ranked, category, answer.kind.value)
        tx = ProposedTransaction(
            kind=answer.kind,
            amount=answer.amount,
            currency=answer.currency or receipt.currency,
            occurred_on=receipt.date or answer.occurred_on,
            days_ago=None if receipt.date else answer.days_ago,
            merchant=receipt.merchant,
            category=category,
            payment_method=answer.payment_method,
            items=receipt.items,
            category_guesses=guesses,
            receipt_date_missing=not (receipt.date or answer.occurred_on or answer.days_ago is not None),
        )
        return understanding.model_copy(update={"transactions": (tx,)})
