"""Pipeline steps: read the text of a message (amounts, currency, dates, merchant), then its category.

``UnderstandText`` runs the text reader (spaCy, lingua, dateparser: CPU-bound, so in a thread) on
a message's text or a voice note's transcript; ``Categorize`` asks the category model (ONNX, in a
thread) for each transaction's category and its next best guesses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from financy.core.contracts.v1 import (
    BudgetRequest,
    CardRequest,
    CostSplitRequest,
    Intent,
    LedgerQuery,
    ProposedTransaction,
    SettlementRequest,
    SubscriptionDecisionRequest,
    TransactionKind,
    Understanding,
)
from financy.edge.pipeline.steps import RUN, Able, Draft, PipelineContext, off_loop, skip
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
                due_on=item.due_on,
                occurred_at_time=item.occurred_at_time,
            )
            for item in reading.items
        )
    except (ValidationError, ValueError):
        return Understanding(
            language=language,
            intent=Intent.UNKNOWN,
            confidence=0.0,
            problem="amount_out_of_range",
            language_sure=reading.language_sure,
        )
    if intent is Intent.RECORD and not items:
        intent = Intent.UNKNOWN
    query = None
    if reading.query is not None:
        try:
            query = LedgerQuery(
                kind=TransactionKind(reading.query.kind),
                period=reading.query.period,  # validated by LedgerQuery
                category=reading.query.category,
                merchant=reading.query.merchant[:200] if reading.query.merchant else None,
                ask=reading.query.ask,  # validated by LedgerQuery
                limit=reading.query.limit,
                all_kinds=reading.query.all_kinds,
                group=reading.query.group,
                categories=reading.query.categories,
            )
        except (ValidationError, ValueError):
            return Understanding(
                language=language,
                intent=Intent.QUERY,
                confidence=0.0,
                problem="unsupported_period",
                language_sure=reading.language_sure,
            )
    budget = None
    if reading.budget is not None:
        said = reading.budget
        try:
            budget = BudgetRequest(
                amount=said.amount,
                currency=said.currency,
                category=said.category,
                group=said.group,
                categories=said.categories,
            )
        except (ValidationError, ValueError):  # an amount the contract refuses: the budget is kept, unsaid
            budget = BudgetRequest(category=said.category, group=said.group, categories=said.categories)
    card = None
    if reading.card is not None:
        said_card = reading.card
        card = CardRequest(
            name=said_card.name[:60] if said_card.name else None,
            closing_day=said_card.closing_day,
            due_day=said_card.due_day,
            make_default=said_card.make_default,
        )
    return Understanding(
        language=language,
        intent=intent,
        transactions=items,
        confidence=max(0.0, min(1.0, reading.confidence)),
        problem=reading.problem,
        query=query,
        category=reading.category,
        link_code=reading.link_code[:32] if reading.link_code else None,
        link_confirmed=reading.link_confirmed,
        context_choice=reading.context_choice[:200] if reading.context_choice else None,
        budget=budget,
        item_without_amount=reading.item_without_amount[:200] if reading.item_without_amount else None,
        language_sure=reading.language_sure,
        invite_code=reading.invite_code[:32] if reading.invite_code else None,
        invite_role=reading.invite_role[:32] if reading.invite_role else None,
        card=card,
        cost_split=_cost_split(reading),
        settlement=_settlement(reading),
        search_text=reading.search_text[:200] if reading.search_text else None,
        subscription_decision=_subscription_decision(reading),
    )


def _cost_split(reading: Reading) -> CostSplitRequest | None:
    """The split of a "split" reading on the wire (names cut to the contract's bounds)."""
    said = reading.cost_split
    if said is None:
        return None
    names = tuple(name[:100] for name in said.names[:20])
    ways = said.ways if said.ways is not None and 2 <= said.ways <= 100 else None
    return CostSplitRequest(names=names, ways=ways, everyone=said.everyone)


def _subscription_decision(reading: Reading) -> SubscriptionDecisionRequest | None:
    """The decision of a "subscriptions" reading on the wire (``None``: list them)."""
    said = reading.subscription_decision
    if said is None or said.action not in ("confirm", "dismiss") or not said.series:
        return None
    return SubscriptionDecisionRequest(
        action="confirm" if said.action == "confirm" else "dismiss", series=said.series[:100]
    )


def _settlement(reading: Reading) -> SettlementRequest | None:
    """The settlement of a "settle" reading on the wire; an amount the contract refuses is unsaid."""
    said = reading.settlement
    if said is None:
        return None
    name = said.name[:100] if said.name else None
    try:
        return SettlementRequest(name=name, amount=said.amount, currency=said.currency)
    except (ValidationError, ValueError):
        return SettlementRequest(name=name)


def understand_text(text: str, *, today: dt.date, language_hint: str | None, currency: str) -> Understanding:
    """Read ``text`` as of ``today`` and return the contract's :class:`Understanding`."""
    return to_understanding(
        read_message(text, today=today, language_hint=language_hint, default_currency=currency)
    )


#: The category model's top answer for a text: ``(slug, probability)``, or ``None`` without a model.
Categorize = Callable[[str], tuple[str, float] | None]
#: The category model's answers for a text, best first (empty without a model).
RankCategories = Callable[[str], Sequence[tuple[str, float]]]

#: The model's answer wins over the reader's keyword lexicon from this probability up; below it
#: the lexicon decides when it knows the word, and the model only fills what is left open.
MODEL_FIRST_FROM = 0.5
#: Below this the model's answer is not used at all.
MODEL_AT_LEAST = 0.35
#: How many other categories a transaction carries for a "change category" button.
MAX_GUESSES = 3
_SLUGS_OF_KIND = {"income": {"salary", "other_income"}, "transfer": {"transfer"}}
#: A transcript this unsure is not recorded without the user's "sim" (the core asks under 0.5).
TRANSCRIPT_SURE_FROM = 0.4


def _fits_kind(slug: str, kind: str) -> bool:
    allowed = _SLUGS_OF_KIND.get(kind)
    if allowed is not None:
        return slug in allowed
    return all(slug not in slugs for slugs in _SLUGS_OF_KIND.values())


def guesses_after(ranked: Sequence[tuple[str, float]], chosen: str | None, kind: str) -> tuple[str, ...]:
    """Return up to :data:`MAX_GUESSES` slugs of ``ranked`` other than ``chosen`` that fit ``kind``."""
    out: list[str] = []
    for slug, _probability in ranked:
        if slug != chosen and slug not in out and _fits_kind(slug, kind):
            out.append(slug)
    return tuple(out[:MAX_GUESSES])


def top_only(categorize: Categorize) -> RankCategories:
    """Return a ranker that answers with ``categorize``'s top answer only (so no guesses)."""

    def rank(text: str) -> Sequence[tuple[str, float]]:
        answer = categorize(text)
        return [answer] if answer is not None else []

    return rank


def fill_categories(understanding: Understanding, text: str, categorize: Categorize) -> Understanding:
    """Decide each item's category from the category model's top answer and the reader's lexicon.

    The same rule as :func:`fill_categories_ranked`, for callers that have the top answer only
    (``financy parse``, the evaluation): the items get no category guesses.
    """
    return fill_categories_ranked(understanding, text, top_only(categorize))


def fill_categories_ranked(understanding: Understanding, text: str, rank: RankCategories) -> Understanding:
    """Decide each item's category from the category model and the reader's lexicon, with guesses.

    The model reads the whole message when it holds one item, else the item's merchant and
    description. Its answer is taken when its probability is at least ``MODEL_FIRST_FROM``; below
    that the lexicon's word decides, and the model fills in only what the lexicon left open
    (from ``MODEL_AT_LEAST``). An answer that contradicts the item's kind (a salary on an expense)
    is never taken. Measured on the third-party labelled lines (tests/eval), this order beat both
    "lexicon first" and the model alone. ``category_guesses`` get the model's next best slugs
    after the chosen category (that fit the kind), best first. An expense is ``category_unsure``
    when it has guesses and either no category or the model's below ``MODEL_FIRST_FROM`` (no
    keyword of the reader's behind it): the reply then offers the guesses as choices.
    """
    items = []
    single = len(understanding.transactions) == 1
    for item in understanding.transactions:
        source = text if single else " ".join(p for p in (item.merchant, item.description) if p) or text
        ranked = list(rank(source))
        category = item.category
        unsure = False
        guess = ranked[0] if ranked else None
        if guess is not None and _fits_kind(guess[0], item.kind.value):
            slug, probability = guess
            if probability >= MODEL_FIRST_FROM or (category is None and probability >= MODEL_AT_LEAST):
                unsure = probability < MODEL_FIRST_FROM
                category = slug
        update: dict[str, object] = {}
        if category != item.category:
            update["category"] = category
        guesses = guesses_after(ranked, category, item.kind.value)
        if guesses != item.category_guesses:
            update["category_guesses"] = guesses
        # no category, or the model's answer below MODEL_FIRST_FROM: the reply offers the guesses
        unsure = (unsure or category is None) and bool(guesses) and item.kind.value == "expense"
        if unsure != item.category_unsure:
            update["category_unsure"] = unsure
        items.append(item.model_copy(update=update) if update else item)
    return understanding.model_copy(update={"transactions": tuple(items)})


def _hint(draft: Draft, context: PipelineContext) -> str:
    """Return the language to read ``draft`` in: the media job's, else the sender's pt/en, else the edge's."""
    if draft.language is not None:
        return draft.language
    hint = (draft.inbound.sender_language or "")[:2].lower() or context.language
    return hint if hint in ("pt", "en") else context.language


class UnderstandText:
    """Read amounts, dates and merchant from the message text or a voice note's transcript."""

    name = "understand_text"

    def able_to_run(self, draft: Draft) -> Able:
        """Run on any draft with text (a voice note has text once transcribed)."""
        if draft.text is None:
            return skip("no text")
        if draft.understanding is not None:
            return skip("already understood")
        return RUN

    async def run(self, draft: Draft, context: PipelineContext) -> None:
        """Set ``draft.understanding`` from the text (the reader runs in a thread)."""
        assert draft.text is not None
        understanding = await off_loop(
            understand_text,
            draft.text,
            today=context.today(draft.inbound.received_at),
            language_hint=_hint(draft, context),
            currency=context.currency,
        )
        provenance = draft.provenance
        if provenance is not None and provenance.source == "speech":
            if understanding.intent is Intent.UNKNOWN and understanding.problem in (None, "no_amount"):
                understanding = understanding.model_copy(update={"problem": "voice_no_amount"})
            if provenance.confidence < TRANSCRIPT_SURE_FROM and understanding.intent is Intent.RECORD:
                # Unsure hearing: show what was heard and record only on "sim".
                understanding = understanding.model_copy(
                    update={"confidence": min(understanding.confidence, 0.45)}
                )
        draft.understanding = understanding
