"""Pipeline step: each transaction's category, from the category model and the reader's lexicon.

A text or a transcript follows :func:`~financy.edge.pipeline.understand.fill_categories_ranked`;
a receipt its own rule (:func:`receipt_ranking`): its merchant when the model knows it, a served
meal when the bill has a tip or table service, else the model's reading of merchant and lines;
a category the user typed in the caption wins. Every transaction also gets the model's next best
slugs (``category_guesses``) for the bot's "change category" buttons. The model runs in a thread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from financy.core.contracts.v1 import LineItem, ProposedTransaction, Understanding
from financy.edge.pipeline.steps import RUN, Able, Draft, PipelineContext, off_loop, skip
from financy.edge.pipeline.understand import (
    MODEL_AT_LEAST,
    RankCategories,
    fill_categories_ranked,
    guesses_after,
)

#: Lines only a served meal's bill has (a tip, table service, a waiter, a cover charge).
_SERVED = re.compile(
    r"(?im)^\W*(tip|gratuity|gorjeta|table|mesa|server|gar[cç]om|couvert|taxa de servi[cç]o|servi[cç]o \(?10)\b"
)
_NOT_A_PURCHASE = ("salary", "other_income", "transfer")


def receipt_ranking(
    rank: RankCategories, merchant: str | None, items: Sequence[LineItem], text: str, caption: str | None
) -> list[tuple[str, float]]:
    """Return a receipt's categories, best first: its merchant when the model knows it (from 0.5),
    a served meal when the receipt has a tip or table service, else the model's reading of
    merchant and items (or of the caption when the receipt has neither)."""
    known = list(rank(merchant)) if merchant else []
    if known and known[0][1] >= 0.5:
        return known
    words = [merchant or "", *(item.description for item in items[:8])]
    source = " ".join(w for w in words if w) or (caption or "")
    ranked = list(rank(source)) if source else []
    if _SERVED.search(text or ""):
        return [("restaurants", 0.9), *ranked]
    return ranked


class CategorizeTransactions:
    """Give each transaction a category (when the model or lexicon knows one) and the next best guesses."""

    name = "categorize"

    def __init__(self, rank: RankCategories | None) -> None:
        self.rank = rank

    def able_to_run(self, draft: Draft) -> Able:
        """Run on an understanding with transactions, on an edge with a category model."""
        if self.rank is None:
            return skip("no category model on this edge")
        if draft.understanding is None or not draft.understanding.transactions:
            return skip("no transactions")
        return RUN

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Set categories and guesses on ``draft.understanding`` (the model runs in a thread)."""
        assert self.rank is not None
        assert draft.understanding is not None
        draft.understanding = await off_loop(self._categorized, draft, draft.understanding, self.rank)

    @staticmethod
    def _categorized(draft: Draft, understanding: Understanding, rank: RankCategories) -> Understanding:
        caption = draft.job.caption if draft.job is not None else None
        if draft.read_from is None:
            return fill_categories_ranked(understanding, draft.text or "", rank)
        receipt = draft.receipt_read
        fields = receipt.fields if receipt is not None else None
        merchant = fields.merchant if fields is not None else None
        if draft.read_from == "caption":
            # The amount came with the photo: the caption decides, the receipt fills what it left open.
            filled = fill_categories_ranked(understanding, caption or "", rank)
            if len(filled.transactions) != 1 or filled.transactions[0].category is not None:
                return filled
            tx = filled.transactions[0]
            ranked = receipt_ranking(rank, merchant, tx.items, "", None)
            if ranked and ranked[0][1] >= MODEL_AT_LEAST:
                tx = tx.model_copy(
                    update={
                        "category": ranked[0][0],
                        "category_guesses": guesses_after(ranked, ranked[0][0], tx.kind.value),
                    }
                )
            return filled.model_copy(update={"transactions": (tx,)})
        (proposed,) = understanding.transactions
        ranked = receipt_ranking(
            rank, merchant, proposed.items, str(receipt.text) if receipt else "", caption
        )
        if draft.caption_understanding is not None and caption:
            typed = fill_categories_ranked(draft.caption_understanding, caption, rank)
            caption_category = next((t.category for t in typed.transactions if t.category), None)
            if caption_category:
                ranked = [(caption_category, 1.0), *ranked]
        category = proposed.category
        if ranked and ranked[0][1] >= MODEL_AT_LEAST and ranked[0][0] not in _NOT_A_PURCHASE:
            category = ranked[0][0]
        decided: ProposedTransaction = proposed.model_copy(
            update={
                "category": category,
                "category_guesses": guesses_after(ranked, category, proposed.kind.value),
            }
        )
        return understanding.model_copy(update={"transactions": (decided,)})
