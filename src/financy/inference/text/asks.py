"""Questions about the ledger that are not a sum, and budget phrases.

A message holding no amount (no number but a year or the count in "últimos 10 gastos", and no
currency word or symbol: "devo cinquenta reais" holds one) is read
into a :class:`~financy.inference.text.queries.QuerySpec` whose ``ask`` says what it asks, when it
holds a cue phrase of ``data/question_cues.tsv`` (whole words, after dropping the filler words of
``data/question_words.tsv``: "onde eu mais gastei" holds "onde mais gastei"). The asks, in the
order they are tried (the first whose cue is present wins):

* "budget": a budget word ("orçamento", "budget", "limite de gastos") in a question ("quanto
  falta no orçamento do mercado?", "how much budget is left?"); the same words with an amount
  and no expense verb are a budget to set, read by :func:`budget_of` (intent "budget"), never an
  expense. "how much is left for food?" (a balance cue with a category) is a budget question too.
* "card_bill": the card's bill ("quanto tá a fatura do cartão?", "credit card bill");
* "bills": bills to pay ("tenho contas a pagar?", "o que vence esta semana?", "upcoming bills";
  "preciso pagar", "need to pay" only in a question: "o que preciso pagar esse mês?");
* "chart": "me manda um gráfico", "show me a chart";
* "top_categories": "onde eu mais gastei esse mês?", "com o que mais gastei?", "top categories",
  "where did I spend the most?"; period as a sum's (``queries``), this month if none is said;
* "recent": "últimos gastos", "extrato", "show my last transactions", "last 3 expenses"; of every
  kind (``all_kinds``) unless an expense noun ("gastos", "expenses") or an income noun
  ("receitas", "income") says which; the count said ("últimos 10", "last five", at most 20)
  is the ``limit``; the period when said, else "all"; a category, group or merchant narrows it;
* "balance": "qual meu saldo?", "what's my balance", "quanto sobrou este mês?"; the period when
  said, else this month (the core adds all time).

The ledger keeps no bills, card bills, charts or budgets yet: the core answers those plainly.
A message naming a time no period expresses ("em abril") is "unsupported_period" for the asks
that take a period; the others ignore the time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Final

from financy.inference.tables import SOURCE, read_table
from financy.inference.taxonomy import CATEGORY_GROUPS
from financy.inference.text import lexicon as lx
from financy.inference.text.intents import plain
from financy.inference.text.nlp import analyse
from financy.inference.text.normalize import Text, Token, TokKind
from financy.inference.text.queries import (
    CONFIDENCE,
    UNSUPPORTED_CONFIDENCE,
    QueryReading,
    QuerySpec,
    category_of,
    group_of,
    periods_of,
    target_of,
    with_group,
)

__all__ = ["ASKS", "BudgetSpec", "budget_of", "has_budget_cue", "read_ask"]

_PACKAGE: Final = "financy.inference.text"

#: The asks, in the order their cues are tried.
ASKS: Final = ("budget", "card_bill", "bills", "chart", "top_categories", "recent", "balance")
#: Cue sets that count only in a question, and the ask they mean ("o que preciso pagar?" asks
#: for bills; "preciso pagar o aluguel" says an expense to come).
_IN_QUESTIONS: Final = {"bills_question": "bills"}
_TRIED: Final = (
    "budget",
    "card_bill",
    "bills",
    "bills_question",
    "chart",
    "top_categories",
    "recent",
    "balance",
)
#: Asks answered with a period (the others ignore any time said).
_WITH_PERIOD: Final = frozenset({"top_categories", "recent", "balance"})
#: Most transactions a "recent" lists.
MAX_LIMIT: Final = 20
#: Longest message read as an ask (a longer one is something else).
MAX_CHARS: Final = 120

_YEAR_RE: Final = re.compile(r"(?:19|20)\d{2}")


@dataclass(frozen=True, slots=True)
class BudgetSpec:
    """A budget a message sets: ``amount`` (None: none or several said) in ``currency`` (None:
    the context's), for ``category`` or the ``group`` of ``categories`` (neither: everything)."""

    amount: Decimal | None = None
    currency: str | None = None
    category: str | None = None
    group: str | None = None
    categories: tuple[str, ...] = ()


@cache
def _cues() -> dict[str, tuple[tuple[str, ...], ...]]:
    """ask -> its cue phrases as word tuples, longest first."""
    found: dict[str, list[tuple[str, ...]]] = {ask: [] for ask in _TRIED}
    for row in read_table(_PACKAGE, "data/question_cues.tsv", ("ask", "language", "phrase", SOURCE)):
        found[row["ask"]].append(tuple(row["phrase"].split(" ")))
    return {ask: tuple(sorted(p, key=len, reverse=True)) for ask, p in found.items()}


@cache
def _words(name: str) -> frozenset[str]:
    rows = read_table(_PACKAGE, "data/question_words.tsv", ("list", "word", SOURCE))
    return frozenset(row["word"] for row in rows if row["list"] == name)


@cache
def _by_first_word() -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """first word of a cue -> its (ask, cue phrase) pairs, longest phrase first."""
    index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for ask, phrases in _cues().items():
        for phrase in phrases:
            index.setdefault(phrase[0], []).append((ask, phrase))
    return {word: tuple(sorted(pairs, key=lambda p: -len(p[1]))) for word, pairs in index.items()}


def _present(words: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """ask -> the longest of its cue phrases found in ``words`` (whole words), in one pass."""
    index = _by_first_word()
    found: dict[str, tuple[str, ...]] = {}
    for i, word in enumerate(words):
        for ask, phrase in index.get(word, ()):
            n = len(phrase)
            if tuple(words[i : i + n]) == phrase and len(phrase) > len(found.get(ask, ())):
                found[ask] = phrase
    return found


def _cue(words: Sequence[str], ask: str) -> tuple[str, ...] | None:
    return _present(words).get(ask)


def has_budget_cue(fold: str) -> bool:
    """True when the folded text holds a budget word or phrase ("orçamento", "budget")."""
    return _cue(_kept_words(fold), "budget") is not None


def _kept_words(fold: str) -> list[str]:
    """The folded text's words (letters and digits) without the filler words."""
    fillers = _words("filler")
    return [w for w in plain(fold).split() if w not in fillers]


def _limit(words: Sequence[str]) -> tuple[int | None, int | None]:
    """The count a "recent" says ("últimos 10", "5 últimos", "last five", "ten most recent") and
    the index of its word, or (None, None)."""
    recent = _words("recent_word")
    for i, word in enumerate(words):
        if word not in recent:
            continue
        for j in (i + 1, i - 1, i - 2 if i > 1 and words[i - 1] == "most" else -1):
            if 0 <= j < len(words):
                value = int(words[j]) if words[j].isdigit() else lx.NUMBER_WORDS.get(words[j])
                if value is not None and value >= 1:  # "últimos 200 gastos": the most we list
                    return min(value, MAX_LIMIT), j
    return None, None


def _is_question(fold: str, words: Sequence[str]) -> bool:
    return "?" in fold or any(w in _words("question_word") for w in words)


def read_ask(text: Text, tokens: Sequence[Token], today: dt.date, language: str) -> QueryReading | None:
    """Return what a question that is no sum asks (see the module docstring), or None when
    ``text`` is none. ``tokens`` are the message's tokens (``tokenize(text.fold)``)."""
    fold = text.fold
    if len(fold) > MAX_CHARS:
        return None
    words = _kept_words(fold)
    limit, limit_at = _limit(words)
    count_word = words[limit_at] if limit_at is not None else None
    if any(
        (tok.kind is TokKind.NUM and not _YEAR_RE.fullmatch(tok.text) and tok.text != count_word)
        or tok.kind is TokKind.SYM
        or tok.text in lx.CURRENCY_BY_WORD
        for tok in tokens
    ):
        return None  # an amount (in digits, or named by its currency: "cinco reais") is no question
    if limit_at is not None:
        words = words[:limit_at] + words[limit_at + 1 :]  # "últimos 10 gastos" holds "últimos gastos"
    question = _is_question(fold, words)
    present = _present(words)
    found = next(
        (
            (_IN_QUESTIONS.get(ask, ask), present[ask])
            for ask in _TRIED
            if (question or ask not in _IN_QUESTIONS) and ask in present
        ),
        None,
    )
    if found is None:
        return None
    ask, cue = found
    if ask == "budget" and not question:
        return None  # "quero um orçamento de 800 pro mercado": a budget to set (the reader's)
    cue_words = set(cue).union(
        *(_words(name) for name in ("question_word", "recent_word", "filler", "request_word"))
    )
    free = [True] * len(fold)
    timed = plain(fold)
    for tok in tokens:
        if tok.text in cue_words or tok.text == count_word:
            free[tok.start : tok.end] = [False] * (tok.end - tok.start)
        if tok.text == count_word:  # "últimos 10" is a count, not a time
            timed = timed[: tok.start] + " " * (tok.end - tok.start) + timed[tok.end :]
    periods, unsupported, spans = periods_of(timed, today)
    for start, end in spans:
        free[start:end] = [False] * (end - start)
    category, merchant, _guessed = target_of(text, tokens, free, analyse(fold, language), language)
    said = {tok.text for tok in tokens if tok.kind is TokKind.WORD}
    spec = QuerySpec(kind="expense", period="this_month", category=category, merchant=merchant, ask=ask)
    spec = with_group(spec, [tok.text for tok in tokens if tok.kind is TokKind.WORD and free[tok.start]])
    if ask == "balance" and (spec.category or spec.group):
        ask = "budget"  # "how much is left for food?": what is left of a budget
    if ask not in _WITH_PERIOD:
        return QueryReading(
            QuerySpec(ask=ask, category=spec.category, group=spec.group, categories=spec.categories),
            None,
            CONFIDENCE,
        )
    if unsupported or len(periods) > 1:
        return QueryReading(None, "unsupported_period", UNSUPPORTED_CONFIDENCE)
    period = periods.pop() if periods else ("all" if ask == "recent" else "this_month")
    if ask == "recent":
        income = bool(said & _words("income_noun"))
        expense = bool(said & _words("expense_noun"))
        kind = "income" if income and not expense else "expense"
        spec = QuerySpec(
            kind=kind,
            period=period,
            category=spec.category,
            merchant=spec.merchant,
            ask=ask,
            limit=limit,
            all_kinds=income == expense,
            group=spec.group,
            categories=spec.categories,
        )
        return QueryReading(spec, None, CONFIDENCE)
    return QueryReading(QuerySpec(period=period, ask=ask), None, CONFIDENCE)


def budget_of(
    fold: str, amounts: Sequence[tuple[Decimal, str | None, str | None]], language: str
) -> BudgetSpec:
    """Return the budget a budget phrase sets ("orçamento de 800 para mercado"), given the
    ``(amount, currency, category)`` of each amount the reader found in it: one amount is the
    budget's, several (or none) leave it unsaid; a group word ("comida") wins over a category,
    and with no amount the category is the one the words name."""
    words = plain(fold).split()
    amount: Decimal | None
    amount, currency, category = amounts[0] if len(amounts) == 1 else (None, None, None)
    if not amounts:
        category = category_of([w for w in words if w not in lx.STOPWORDS], language)
    group = group_of(words)
    if group is not None and (category is None or category in CATEGORY_GROUPS[group].members):
        return BudgetSpec(amount, currency, None, group, CATEGORY_GROUPS[group].members)
    return BudgetSpec(amount, currency, category if category not in lx.INCOME_CATEGORIES else None)
