"""Questions about the ledger that ask for a sum: "quanto gastei com mercado este mês?".

A question is read into a :class:`QuerySpec` when, after an optional lead-in ("oi", "me diz",
"can you tell me", "oh"), it starts with a cue that asks for a sum:

* a question word and a verb of spending or earning: "quanto (eu) gastei / recebi / ganhei",
  "quanto foi o total", "qual (é) (o) meu gasto / total", "how much (money) did I spend / make",
  "how much have I spent", "how much was spent", "what did I spend", "what's my total";
* or a noun alone ("total de ontem", "meus gastos da semana", "resumo do mês", "my spending this
  week"), only when the message holds no number other than a year.

Other questions ("qual meu saldo?", "show me my transactions", "onde mais gastei?", "what is my
typical spending at Amazon?") are not sums: the reader answers them with ``problem="query"`` as
before.

What is read:

* ``kind``: "income" when a word of earning is present ("recebi", "ganhei", "entrou", "renda",
  "earn", "make", "received", "deposited", "income") or the category is an income one; else
  "expense".
* ``period``: one of :data:`PERIODS`, from "hoje"/"today", "ontem"/"yesterday", "esta/essa
  semana"/"this week", "semana passada"/"last week", "este/esse mês"/"this month", "mês
  passado"/"last month", "este ano"/"this year", "ano passado"/"last year", "desde
  sempre"/"ever"/"all time" ("all"); a named month or a year when it is the current or the
  previous one ("em outubro" in November is "last_month", "em 2026" in 2026 "this_year").
  Nothing said: "this_month". Anything else that names a time ("em abril" in November, "nos
  últimos 30 dias", "anteontem", "recently", "this weekend", "dia 5") or two different periods:
  ``problem="unsupported_period"`` and no spec, never a wrong period.
* ``category``: a category word, phrase or name from the lexicon, found by the entity ruler
  ("mercado" groceries, "food"/"comida"/"alimentação" restaurants, "plano de saúde" health) or
  by the word tables (plurals too: "farmácias").
* ``merchant``: a merchant the ruler knows ("uber", "whole foods"), else the noun after "com", "no",
  "na", "em", "at", "on", "from"... that is no category and no known word ("at Legoland"), lower
  case as written; such a guess lowers the confidence.
* ``group``: a word naming a group of categories (``inference/data/category_groups.tsv``:
  "comida"/"alimentação"/"food" groceries and restaurants, "transporte" transport and fuel,
  "casa" housing and utilities) makes the question about all of its members (``categories``;
  ``category`` is then None), unless the word is inside a longer category name ("contas da casa").

Questions that are not sums (a balance, the last entries, the top categories, bills, charts,
budgets) are read by ``asks`` into the same :class:`QuerySpec` with another ``ask``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from financy.inference.taxonomy import CATEGORY_GROUPS, GROUP_BY_WORD
from financy.inference.text import lexicon as lx
from financy.inference.text.dates import MONTH_NAMES
from financy.inference.text.intents import plain
from financy.inference.text.nlp import CATEGORY, MERCHANT, Found, analyse
from financy.inference.text.normalize import Text, Token, TokKind

__all__ = [
    "PERIODS",
    "QueryReading",
    "QuerySpec",
    "category_of",
    "group_of",
    "periods_of",
    "read_query",
    "target_of",
    "with_group",
]

#: The periods a :class:`QuerySpec` can name (weeks start on Monday; the core resolves them).
PERIODS: Final = (
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_year",
    "last_year",
    "all",
)
#: Confidence of a question read in full.
CONFIDENCE: Final = 0.9
#: Confidence when the merchant is a guess (an unknown noun after a preposition).
GUESSED_MERCHANT_CONFIDENCE: Final = 0.75
#: Confidence of a sum question whose period cannot be expressed.
UNSUPPORTED_CONFIDENCE: Final = 0.5


@dataclass(frozen=True, slots=True)
class QuerySpec:
    """A question about the ledger: the sum of ``kind`` transactions in ``period``, optionally
    of one category and/or one merchant.

    Attributes:
        kind: "expense" or "income".
        period: one of :data:`PERIODS`.
        category: a DESIGN §4 category slug, or None for every category.
        merchant: the merchant asked about, lower case as written, or None.
        ask: "total" (the sum), or what else is asked: "balance", "recent", "top_categories",
            "bills", "card_bill", "chart", "budget" (see ``asks``).
        limit: how many transactions a "recent" lists when the question says ("últimos 10"), or None.
        all_kinds: a "recent" of every kind ("últimos lançamentos"), not only ``kind``.
        group: the group of categories asked about ("food"), or None; ``categories`` its members.
    """

    kind: str = "expense"
    period: str = "this_month"
    category: str | None = None
    merchant: str | None = None
    ask: str = "total"
    limit: int | None = None
    all_kinds: bool = False
    group: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueryReading:
    """A sum question: ``spec`` (None when ``problem`` says why), and the confidence."""

    spec: QuerySpec | None
    problem: str | None
    confidence: float


# --- the cue ----------------------------------------------------------------------------------

_LEAD: Final = (
    r"^\s*(?:(?:oi|ola|ei|e\s+ai|bom\s+dia|boa\s+tarde|boa\s+noite|hi|hey|hello|yes|yeah|oh|ok|okay|so|and"
    r"|well|entao|e|bom|ah|hmm|por\s+favor|please|(?:me\s+)?(?:diz|diga|fala|fale|conta|mostra|mostre)"
    r"|(?:eu\s+)?(?:quero|queria|gostaria\s+de)\s+saber|(?:voce\s+)?sabe(?:\s+me\s+dizer)?|pode\s+me\s+dizer"
    r"|(?:can|could|would)\s+you\s+(?:please\s+)?(?:tell|show)\s+me|tell\s+me|show\s+me|let\s+me\s+know"
    r"|i\s+(?:want|need|d\s+like|would\s+like)\s+to\s+(?:know|see|check)|check|i\s+wonder)\s+)*"
)
_WHO: Final = r"(?:(?:eu|nos|a\s+gente|ja|que|e\s+que|foi\s+que|mais\s+ou\s+menos|ao\s+todo)\s+)*"
_PT_VERB: Final = (
    r"(?:gastei|gastamos|gastou|gastaram|gasto|paguei|pagamos|pagou|recebi|recebemos|recebeu|ganhei|ganhamos"
    r"|entrou|entraram|saiu|sairam|foi\s+gasto|foram\s+gastos|tenho\s+gastado|temos\s+gastado)"
)
_PT_NOUN: Final = (
    r"(?:total|gasto|gastos|despesa|despesas|receita|receitas|renda|ganho|ganhos|soma|valor\s+gasto)"
)
_DET: Final = r"(?:(?:o|a|os|as|meu|minha|meus|minhas|nosso|nossa|nossos|nossas)\s+)*"
_EN_VERB: Final = (
    r"(?:spend|spent|spending|pay|paid|paying|earn|earned|earning|make|made|making|receive|received|get|got"
    r"|blow|blew|drop|dropped)"
)
_EN_NOUN: Final = r"(?:total|spending|spend|expenses|expense|income|earnings)"
_ADVERBS: Final = r"(?:(?:actually|really|already|been|ever|totally|even|just|ve)\s+)*"
_HOW_MUCH_PT: Final = r"(?:quant[oa]s?|qto|qnto|qnt|qt)"  # "qto gastei", chat abbreviations
_QUESTION_CUES: Final = (
    re.compile(rf"{_LEAD}{_HOW_MUCH_PT}\s+{_WHO}{_PT_VERB}\b"),
    re.compile(rf"{_LEAD}{_HOW_MUCH_PT}\s+(?:foi|deu|da|e|esta|ta|somou|soma)\s+{_DET}{_PT_NOUN}\b"),
    # "quanto foi o mercado semana passada?": how much went to something
    re.compile(rf"{_LEAD}{_HOW_MUCH_PT}\s+(?:foi|deu|saiu|ficou)\s+(?:o|a|os|as)\b"),
    re.compile(rf"{_LEAD}qua(?:l|is)\s+(?:(?:e|foi|foram|sao|eh)\s+)?{_DET}{_PT_NOUN}\b"),
    re.compile(
        rf"{_LEAD}how\s+much\s+(?:money\s+)?(?:(?:did|have|do|had|has)\s+)?(?:i|we|a)\s+{_ADVERBS}{_EN_VERB}\b"
    ),
    re.compile(
        rf"{_LEAD}how\s+much\s+(?:money\s+)?(?:was|is|has\s+been|were|have\s+been)\s+"
        r"(?:spent|deposited|earned|paid|received|made)\b"
    ),
    re.compile(rf"{_LEAD}how\s+much\s+(?:money\s+)?(?:on|at|for|in)\b"),  # "how much on coffee this month?"
    re.compile(rf"{_LEAD}what\s+(?:(?:did|have|do|had|ve)\s+)?(?:i|we)\s+{_ADVERBS}{_EN_VERB}\b"),
    re.compile(rf"{_LEAD}what\s*(?:s|is|was|are)?\s+(?:(?:my|the|our)\s+)+{_EN_NOUN}\b"),
)
_NOUN_CUES: Final = (
    re.compile(rf"{_LEAD}{_DET}(?:total|gastos|despesas|resumo|soma|receitas)\b"),
    re.compile(rf"{_LEAD}(?:meu|minha|nosso|nossa|o)\s+(?:gasto|despesa|receita|renda)\b"),
    re.compile(
        rf"{_LEAD}(?:(?:my|our|the)\s+)*(?:total(?:\s+(?:spent|spending|expenses|income|earned))?"
        r"|spending|expenses|earnings)\b"
    ),
)
_YEAR_RE: Final = re.compile(r"\b(?:19|20)\d{2}\b")
# questions that are about something other than a sum: a ranking, an average, a budget, a balance
_NOT_A_SUM_RE: Final = re.compile(
    r"\b(?:most|mais\s+gastei|gastei\s+mais|maior|maiores|biggest|largest|average|media|typical|tipico"
    r"|por\s+dia|per\s+day|budget|orcamento|limite|left|sobrou|sobra|saldo|balance|compared|comparado"
    r"|versus|vs|owe|devo|afford|onde|where|which|quais\s+foram\s+(?:as|os)\s+ultim|history|historico"
    r"|extrato|statement|list|lista|listar|por\s+categoria|by\s+category|categorias|categories|ranking)\b"
)

_INCOME_WORDS: Final = frozenset(
    {
        "recebi",
        "recebemos",
        "recebeu",
        "ganhei",
        "ganhamos",
        "entrou",
        "entraram",
        "receita",
        "receitas",
        "renda",
        "ganho",
        "ganhos",
        "income",
        "earn",
        "earned",
        "earning",
        "earnings",
        "make",
        "made",
        "making",
        "receive",
        "received",
        "deposited",
    }
)

# --- the period -------------------------------------------------------------------------------

_PERIOD_RES: Final = (
    (
        "last_week",
        r"(?:(?:na|da|a)\s+)?(?:semana\s+passada|ultima\s+semana|semana\s+anterior)"
        r"|(?:(?:in|during|for)\s+)?(?:the\s+)?(?:last|past|previous)\s+week",
    ),
    (
        "last_month",
        r"(?:(?:no|do|o|em)\s+)?(?:mes\s+passado|ultimo\s+mes|mes\s+anterior)"
        r"|(?:(?:in|during|for)\s+)?(?:the\s+)?(?:last|past|previous)\s+month",
    ),
    (
        "last_year",
        r"(?:(?:no|do|o|em)\s+)?(?:ano\s+passado|ultimo\s+ano|ano\s+anterior)"
        r"|(?:(?:in|during|for)\s+)?(?:the\s+)?(?:last|past|previous)\s+year",
    ),
    (
        "this_week",
        r"(?:n?esta|n?essa|desta|dessa|da|na)\s+semana(?:\s+atual)?|semana\s+atual"
        r"|(?:so\s+far\s+)?this\s+week|(?:the\s+)?current\s+week",
    ),
    (
        "this_month",
        r"(?:n?este|n?esse|deste|desse|do|no)\s+mes(?:\s+atual)?|mes\s+atual"
        r"|(?:so\s+far\s+)?this\s+month|(?:the\s+)?current\s+month",
    ),
    (
        "this_year",
        r"(?:n?este|n?esse|deste|desse|do|no)\s+ano(?:\s+atual)?|ano\s+atual"
        r"|(?:so\s+far\s+)?this\s+year|(?:the\s+)?current\s+year",
    ),
    ("today", r"(?<!ate\s)(?:de\s+)?(?:hoje|hj)(?:\s+ate\s+agora)?|today|so\s+far\s+today"),
    ("yesterday", r"(?:de\s+)?ontem|yesterday"),
)
_PERIOD_RE: Final = re.compile("|".join(rf"\b(?P<{name}>{pattern})\b" for name, pattern in _PERIOD_RES))
# "all" only counts when no other period is said ("até hoje" is all, "hoje" is today)
_ALL_RE: Final = re.compile(
    r"\b(?:desde\s+sempre|desde\s+o\s+(?:inicio|comeco)|de\s+todos\s+os\s+tempos|ate\s+hoje|ate\s+agora"
    r"|no\s+total\s+geral|ever|all\s+time|of\s+all\s+time|so\s+far|in\s+total|total\s+geral)\b"
)
_MONTHS: Final = MONTH_NAMES  # full names only: abbreviations such as "mar" or "set" are often words
_MONTH_RE: Final = re.compile(
    r"\b(?:(?:no\s+)?mes\s+de\s+|(?:em|de|in|during|for|of)\s+)?"
    r"(?P<month>janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro"
    r"|january|february|march|april|june|july|august|september|october|november|december"
    r"|(?<=in\s)may|(?<=of\s)may|(?<=during\s)may|(?<=for\s)may)"
    r"(?:\s+(?:de\s+|of\s+)?(?P<year>(?:19|20)\d{2}))?\b"
)
_YEAR_PERIOD_RE: Final = re.compile(
    r"\b(?:(?:em|de|do\s+ano(?:\s+de)?|in|of|during|for)\s+)?(?P<year>(?:19|20)\d{2})\b"
)
# other ways of naming a time that no period expresses
_OTHER_TIME_RE: Final = re.compile(
    r"\b(?:anteontem|antes\s+de\s+ontem|day\s+before\s+yesterday|amanha|tomorrow"
    r"|ultim[oa]s?\s+\d+|(?:last|past|previous|next|proxim[oa]s?)\s+\d+|(?:ha|faz)\s+\d+|\d+\s+(?:dias?|days?"
    r"|semanas?|weeks?|mes|meses|months?|anos?|years?)(?:\s+(?:atras|ago))?|recentemente|ultimamente"
    r"|recently|lately|as\s+of\s+late|(?:fim|final)\s+de\s+semana|weekend|semestre|trimestre|quarter"
    r"|semester|desde|since|entre|between|(?:segunda|terca|quarta|quinta|sexta|sabado|domingo)(?:\s+feira)?"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|dia\s+\d+|\d{1,2}\s+\d{1,2}(?:\s+\d{2,4})?"
    r"|this\s+morning|esta\s+manha|hoje\s+de\s+manha|proxim[oa]|next|tonight|hoje\s+a\s+noite"
    r"|semana\s+retrasada|mes\s+retrasado|ano\s+retrasado|por\s+(?:dia|semana|mes|ano)|ao\s+(?:dia|mes|ano)"
    r"|per\s+(?:day|week|month|year)|a\s+(?:day|week|month|year)|daily|weekly|monthly|yearly|annually)\b"
)


def _previous_month(today: dt.date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def _periods(text: str, today: dt.date) -> tuple[set[str], bool, list[tuple[int, int]]]:
    """Return the periods ``text`` (plain) names, whether it names a time no period expresses,
    and the character spans of all of them."""
    found: set[str] = set()
    spans: list[tuple[int, int]] = []
    unsupported = False
    taken = [False] * len(text)

    def take(start: int, end: int) -> bool:
        if any(taken[start:end]):
            return False
        taken[start:end] = [True] * (end - start)
        spans.append((start, end))
        return True

    for m in _MONTH_RE.finditer(text):
        if not take(*m.span()):
            continue
        month = _MONTHS[m.group("month")]
        year = int(m.group("year")) if m.group("year") else None
        if year is None:
            year = today.year if month <= today.month else today.year - 1
        if (year, month) == (today.year, today.month):
            found.add("this_month")
        elif (year, month) == _previous_month(today):
            found.add("last_month")
        else:
            unsupported = True
    for m in _PERIOD_RE.finditer(text):
        if m.lastgroup is not None and take(*m.span()):
            found.add(m.lastgroup)
    for m in _YEAR_PERIOD_RE.finditer(text):
        if not take(*m.span()):
            continue
        year = int(m.group("year"))
        if year == today.year:
            found.add("this_year")
        elif year == today.year - 1:
            found.add("last_year")
        else:
            unsupported = True
    for m in _OTHER_TIME_RE.finditer(text):
        if take(*m.span()):
            unsupported = True
    for m in _ALL_RE.finditer(text):
        if take(*m.span()) and not found:
            found.add("all")
    return found, unsupported, spans


# --- category and merchant --------------------------------------------------------------------

# words of a question that never name what it is about
_QUESTION_WORDS: Final = frozenset(
    {
        "quanto",
        "quanta",
        "quantos",
        "quantas",
        "qual",
        "quais",
        "total",
        "resumo",
        "soma",
        "gasto",
        "gastos",
        "gastei",
        "gastamos",
        "gastado",
        "despesa",
        "despesas",
        "receita",
        "receitas",
        "renda",
        "ganho",
        "ganhos",
        "dinheiro",
        "valor",
        "how",
        "much",
        "money",
        "what",
        "whats",
        "did",
        "do",
        "does",
        "ve",
        "spend",
        "spending",
        "spent",
        "expenses",
        "income",
        "earnings",
        "earn",
        "earned",
        "make",
        "made",
        "tell",
        "show",
        "me",
        "can",
        "could",
        "please",
        "actually",
        "really",
        "already",
        "love",
        "know",
        "want",
        "like",
        "quero",
        "saber",
        "sabe",
        "diz",
        "fala",
        "por",
        "favor",
        "gente",
        "entrou",
        "saiu",
        "recebi",
        "ganhei",
        "most",
        "recent",
        "transaction",
        "transactions",
        "transacao",
        "transacoes",
        "lancamentos",
        "everything",
        "tudo",
        "all",
        "altogether",
        "overall",
        "geral",
        "ate",
        "agora",
        "oi",
        "hi",
        "hey",
        "oh",
        "yes",
        "ok",
    }
)
_TARGET_PREPOSITIONS: Final = frozenset(
    {
        "com",
        "no",
        "na",
        "nos",
        "nas",
        "em",
        "num",
        "numa",
        "pelo",
        "pela",
        "at",
        "on",
        "in",
        "for",
        "with",
        "from",
    }
)
_JOINERS: Final = frozenset({"de", "do", "da", "dos", "das", "&", "'", "’"})


def category_of(words: Sequence[str], language: str) -> str | None:
    """Return the category the folded ``words`` name: the longest name or phrase first
    ("cuidados pessoais", "conta de luz"), else the first word that names one ("farmácias" too)."""
    for size in range(min(len(words), 4), 1, -1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size])
            slug = lx.CATEGORY_BY_NAME.get(phrase) or lx.CATEGORY_BY_PHRASE.get(phrase)
            if slug is not None:
                return slug
    for word in words:
        slug = _word_category(word, language)
        if slug is not None:
            return slug
    return None


def group_of(words: Sequence[str]) -> str | None:
    """Return the group of categories the folded ``words`` name ("comida", "getting around"), or
    None. A word inside a longer category name or phrase ("contas da casa") names no group."""
    covered: set[int] = set()
    for size in range(min(len(words), 4), 1, -1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size])
            if phrase in GROUP_BY_WORD:
                return GROUP_BY_WORD[phrase]
            if lx.CATEGORY_BY_NAME.get(phrase) or lx.CATEGORY_BY_PHRASE.get(phrase):
                covered.update(range(i, i + size))
    return next(
        (GROUP_BY_WORD[w] for i, w in enumerate(words) if i not in covered and w in GROUP_BY_WORD), None
    )


def with_group(spec: QuerySpec, words: Sequence[str]) -> QuerySpec:
    """Return ``spec`` about the group ``words`` name, if they name one and ``spec`` has no
    merchant (else ``spec`` unchanged)."""
    group = group_of(words)
    if group is None or spec.merchant is not None:
        return spec
    members = CATEGORY_GROUPS[group].members
    if spec.category is not None and spec.category not in members:
        return spec  # the words name another category too: keep that reading
    return replace(spec, category=None, group=group, categories=members)


def _word_category(word: str, language: str) -> str | None:
    slug = (
        lx.CATEGORY_BY_WORD_AND_LANGUAGE.get((word, language))
        or lx.CATEGORY_BY_NAME.get(word)
        or lx.CATEGORY_BY_WORD.get(word)
    )
    if slug is None and len(word) > 3 and word.endswith("s"):
        slug = lx.CATEGORY_BY_NAME.get(word[:-1]) or lx.CATEGORY_BY_WORD.get(word[:-1])
    return slug


def _is_target_word(tok: Token) -> bool:
    text = tok.text
    return (
        tok.kind is TokKind.WORD
        and len(text) > 1
        and text not in _QUESTION_WORDS
        and text not in lx.STOPWORDS
        and text not in lx.VERBS
        and text not in lx.GENERIC_NOUNS
        and text not in lx.NUMBER_WORDS
        and text not in lx.PAYMENT_BY_WORD
        and text not in lx.CURRENCY_BY_WORD
        and text not in _INCOME_WORDS
        and text not in _MONTHS
    )


def _target(
    text: Text,
    tokens: Sequence[Token],
    free: Sequence[bool],
    found: Sequence[Found],
    language: str,
) -> tuple[str | None, str | None, bool]:
    """Return the category, the merchant and whether the merchant is a guess.

    Names the entity ruler knows come first: a merchant ("uber", "whole foods") or a category
    ("mercado", "plano de saúde"). Then, if no merchant is known, the words after a preposition
    ("no", "com", "at", "on"...) that include one naming no category are the merchant, as written
    ("at Legoland", "na padaria do zé"). Then any other word naming a category ("farmácias").
    """
    category: str | None = None
    merchant = next(
        (text.lower[f.start : f.end] for f in found if f.label == MERCHANT and all(free[f.start : f.end])),
        None,
    )

    def usable(tok: Token, *, categories: bool = False) -> bool:
        """A free question word that no name covers (``categories``: a category word may)."""
        return (
            free[tok.start]
            and _is_target_word(tok)
            and not any(
                f.start <= tok.start < f.end and not (categories and f.label == CATEGORY) for f in found
            )
        )

    taken: set[int] = set()
    guessed = False
    if merchant is None:
        for k in range(1, len(tokens)):
            before, tok = tokens[k - 1], tokens[k]
            if before.text not in _TARGET_PREPOSITIONS or not free[before.start]:
                continue
            if not usable(tok, categories=True):
                continue
            run = [k]
            j = k + 1
            while j < len(tokens) and len(run) < 4:
                if usable(tokens[j], categories=True):
                    run.append(j)
                    j += 1
                elif (
                    tokens[j].text in _JOINERS
                    and j + 1 < len(tokens)
                    and usable(tokens[j + 1], categories=True)
                ):
                    run.append(j + 1)
                    j += 2
                else:
                    break
            if any(usable(tokens[i]) and _word_category(tokens[i].text, language) is None for i in run):
                merchant = text.lower[tok.start : tokens[run[-1]].end]
                taken = set(range(k, run[-1] + 1))
                guessed = True
                break
    outside = [tok for i, tok in enumerate(tokens) if i not in taken]
    category = next(
        (
            f.value
            for f in found
            if f.label == CATEGORY
            and all(free[f.start : f.end])
            and any(f.start <= tok.start < f.end for tok in outside)
        ),
        None,
    )
    if category is None:
        category = category_of(
            [tok.text for tok in outside if usable(tok) and tok.text not in lx.BRAND_WORDS], language
        )
    return category, merchant, guessed


# --- reading ----------------------------------------------------------------------------------


def read_query(text: Text, tokens: Sequence[Token], today: dt.date, language: str) -> QueryReading | None:
    """Return the sum question ``text`` asks (see the module docstring), or None when it is not
    one. ``tokens`` are the message's tokens (``tokenize(text.fold)``)."""
    words = plain(text.fold)
    cue = next((m for regex in _QUESTION_CUES if (m := regex.match(words)) is not None), None)
    if cue is None:
        if len(words) > 80 or any(
            tok.kind is TokKind.NUM and not _YEAR_RE.fullmatch(tok.text) for tok in tokens
        ):
            return None
        cue = next((m for regex in _NOUN_CUES if (m := regex.match(words)) is not None), None)
        if cue is None:
            return None
    if _NOT_A_SUM_RE.search(words, cue.end()) or _NOT_A_SUM_RE.match(words):
        return None
    present = {tok.text for tok in tokens if tok.kind is TokKind.WORD}
    kind = "income" if present & _INCOME_WORDS else "expense"
    periods, unsupported, spans = _periods(words, today)
    if unsupported or len(periods) > 1:
        return QueryReading(None, "unsupported_period", UNSUPPORTED_CONFIDENCE)
    period = periods.pop() if periods else "this_month"
    free = [True] * len(words)
    free[: cue.end()] = [False] * cue.end()
    for start, end in spans:
        free[start:end] = [False] * (end - start)
    category, merchant, guessed = _target(text, tokens, free, analyse(text.fold, language), language)
    if category in lx.INCOME_CATEGORIES:
        kind = "income"
    spec = QuerySpec(kind=kind, period=period, category=category, merchant=merchant)
    if kind == "expense":
        spec = with_group(spec, [tok.text for tok in tokens if tok.kind is TokKind.WORD and free[tok.start]])
    return QueryReading(spec, None, GUESSED_MERCHANT_CONFIDENCE if guessed else CONFIDENCE)


#: The periods a plain folded text names, whether it names a time no period expresses, and their
#: character spans (for the other questions, ``asks``).
periods_of: Final = _periods
#: The category, merchant and whether the merchant is a guess, of a question's free words (``asks``).
target_of: Final = _target
