"""Cost sharing in a chat line: a split request, "who owes whom?", and a settlement command.

* :func:`find_split` — a cue word ("divide", "rachei", "split", "meio a meio") followed, within a
  few words, by who shares the cost: "com a Ana e o João", "with Ana and Bob", "entre mim e a
  Bia" (names as written, in ``clean``'s case), "com todos" / "with everyone", or a count: "por 3",
  "em 3 partes", "3 ways", "by three". "paguei 120 do jantar, divide com a Ana" is then a 120
  expense at "jantar" split with Ana; "divide com a Ana" alone splits the last transaction. The
  cue and those words are set aside so they are neither an amount nor a merchant. A cue without
  such words ("split pea soup 12", "dividi em 3x": instalments) is no split request. Pronouns
  ("ela", "him") are kept as names, so the core asks who they are instead of guessing.
* :func:`who_owes_phrase` — a whole message asking for the balances ("quem deve quem?", "who owes
  whom?", "quanto eu devo?").
* :func:`sharing_command` — "/saldo" "/balances" (who owes whom), "/acertar Ana 60" "/settle Ana
  60" (the sender paid Ana 60; :func:`read_settlement` reads name and amount in any order);
  "/acertar" alone asks who owes whom.

The words live in ``data/cost_split_words.tsv`` (folded, by ``kind`` and ``language``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from financy.inference.tables import SOURCE, read_table
from financy.inference.text import lexicon as lx
from financy.inference.text.money import combine_cents, find_mentions, has_scientific, resolve_currency
from financy.inference.text.normalize import Role, Text, Token, TokKind, prepare, tokenize

__all__ = [
    "CostSplitSpec",
    "SettlementSpec",
    "SplitFound",
    "find_split",
    "read_settlement",
    "sharing_command",
    "who_owes_phrase",
]

#: How many words may come between the cue and who shares ("split 120 dinner with Ana").
MAX_GAP: Final = 4
#: The most equal parts a count may say ("dividido por 3").
MAX_WAYS: Final = 100
#: Words of one name at most ("Ana Paula Souza").
MAX_NAME_WORDS: Final = 3


def _rows() -> tuple[tuple[str, str, str], ...]:
    rows = read_table(
        "financy.inference.text", "data/cost_split_words.tsv", ("kind", "phrase", "language", SOURCE)
    )
    return tuple((r["kind"], r["phrase"], r["language"]) for r in rows)


def _phrases(kind: str) -> tuple[tuple[str, ...], ...]:
    """The phrases of ``kind`` as word tuples, longest first."""
    found = {tuple(p.split(" ")) for k, p, _ in _rows() if k == kind}
    return tuple(sorted(found, key=len, reverse=True))


def _words(*kinds: str) -> frozenset[str]:
    return frozenset(p for k, p, _ in _rows() if k in kinds)


def _languages(kind: str) -> dict[str, str]:
    return {p: lang for k, p, lang in _rows() if k == kind}


SPLIT_CUES: Final = _phrases("split_cue")
EVERYONE: Final = _phrases("everyone")
WAYS_WORDS: Final = _phrases("ways_word")
WITH_WORDS: Final = _words("with_word")
BY_WORDS: Final = _words("by_word")
IN_WORDS: Final = _words("in_word")
ARTICLES: Final = _words("article")
JOINERS: Final = _words("joiner")
SELF_WORDS: Final = _words("self")
PRONOUNS: Final = _words("pronoun")
SETTLE_FILLERS: Final = _words("settle_filler")
#: Whole messages asking who owes whom, by their words (folded, single spaces) -> language.
WHO_OWES: Final = _languages("who_owes")
#: Slash command words -> ("who_owes" | "settle", language).
COMMANDS: Final[dict[str, tuple[str, str]]] = {
    **{p: ("who_owes", lang) for p, lang in _languages("command_who_owes").items()},
    **{p: ("settle", lang) for p, lang in _languages("command_settle").items()},
}
#: Words that never name a person.
_NOT_NAMES: Final = (
    (lx.STOPWORDS - PRONOUNS)
    | lx.VERBS
    | lx.EXPENSE_VERBS
    | lx.INCOME_VERBS
    | frozenset(lx.CURRENCY_BY_WORD)
    | frozenset(lx.NUMBER_WORDS)
    | frozenset(lx.PAYMENT_BY_WORD)
    | lx.ITEM_SEPARATOR_WORDS
    | WITH_WORDS
    | BY_WORDS
    | IN_WORDS
    | ARTICLES
    | JOINERS
    | SELF_WORDS
    | frozenset(w for phrase in (*SPLIT_CUES, *EVERYONE, *WAYS_WORDS) for w in phrase)
)


@dataclass(frozen=True, slots=True)
class CostSplitSpec:
    """Who shares a cost, as the message says: ``names`` as written ("Ana", "João"), ``ways``
    equal parts ("por 3"), ``everyone`` ("com todos"). The sender always has a part."""

    names: tuple[str, ...] = ()
    ways: int | None = None
    everyone: bool = False


@dataclass(frozen=True, slots=True)
class SettlementSpec:
    """A settlement command: the sender paid ``name`` (as written) ``amount`` in ``currency``
    (``None``: not said); ``amount`` is ``None`` when none or several were written."""

    name: str | None
    amount: Decimal | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class SplitFound:
    """A split request: what it says, and the character spans of its words (to set aside)."""

    spec: CostSplitSpec
    spans: tuple[tuple[int, int], ...]


# --------------------------------------------------------------------------- matching


def _free_word(tok: Token) -> bool:
    return tok.kind is TokKind.WORD and tok.role is Role.FREE


def _match(tokens: Sequence[Token], at: int, phrases: Sequence[tuple[str, ...]]) -> int | None:
    """The end index of the first (longest) of ``phrases`` whose words are the free words at ``at``."""
    for phrase in phrases:
        end = at + len(phrase)
        if end <= len(tokens) and all(
            _free_word(tokens[at + k]) and tokens[at + k].text == word for k, word in enumerate(phrase)
        ):
            return end
    return None


def _count(tok: Token) -> int | None:
    """A count of parts ("3", "tres", "three") between 2 and :data:`MAX_WAYS`, else None."""
    if tok.role is not Role.FREE:
        return None
    if tok.kind is TokKind.NUM and tok.text.isdigit():
        value = int(tok.text)
    elif tok.kind is TokKind.WORD and tok.text in lx.NUMBER_WORDS:
        value = lx.NUMBER_WORDS[tok.text]
    else:
        return None
    return value if 2 <= value <= MAX_WAYS else None


def _name_word(tok: Token) -> bool:
    text = tok.text
    return _free_word(tok) and text.isalpha() and len(text) >= 2 and text not in _NOT_NAMES


@dataclass(frozen=True, slots=True)
class _Construct:
    end: int
    names: tuple[str, ...] = ()
    ways: int | None = None
    everyone: bool = False


def _names(tokens: Sequence[Token], at: int, clean: str) -> _Construct | None:
    """Names from ``at``: "a Ana, o João e a Bia", "mim e a Bia" (the sender is not listed)."""
    names: list[str] = []
    people = 0
    k, end = at, at
    n = len(tokens)
    while True:
        j = k
        while j < n and _free_word(tokens[j]) and tokens[j].text in ARTICLES:
            j += 1
        if j < n and _free_word(tokens[j]) and tokens[j].text in SELF_WORDS:
            people, k = people + 1, j + 1
        elif j < n and _name_word(tokens[j]):
            last = j
            capital = clean[tokens[j].start].isupper()
            while (
                last + 1 < n
                and last + 1 - j < MAX_NAME_WORDS
                and capital
                and _name_word(tokens[last + 1])
                and clean[tokens[last + 1].start].isupper()
            ):
                last += 1  # "Ana Paula": one name written in capitals
            names.append(clean[tokens[j].start : tokens[last].end])
            people, k = people + 1, last + 1
        else:
            break
        end = k
        if k < n and (
            (_free_word(tokens[k]) and tokens[k].text in JOINERS)
            or (tokens[k].kind is TokKind.PUNCT and tokens[k].text in {",", "&"})
        ):
            k += 1
            continue
        break
    return _Construct(end, tuple(names)) if people else None


def _construct(tokens: Sequence[Token], at: int, clean: str) -> _Construct | None:
    """Who shares the cost, said from token ``at``, or None."""
    n = len(tokens)
    tok = tokens[at]
    if _free_word(tok) and tok.text in WITH_WORDS:
        start = at + 1
        while start < n and _free_word(tokens[start]) and tokens[start].text in ARTICLES:
            everyone_end = _match(tokens, start, EVERYONE)
            if everyone_end is not None:
                return _Construct(everyone_end, everyone=True)
            start += 1
        everyone_end = _match(tokens, start, EVERYONE) if start < n else None
        if everyone_end is not None:
            return _Construct(everyone_end, everyone=True)
        return _names(tokens, at + 1, clean) if at + 1 < n else None
    if _free_word(tok) and tok.text in BY_WORDS | IN_WORDS and at + 1 < n:
        everyone_end = _match(tokens, at + 1, EVERYONE)
        if everyone_end is not None and tok.text in BY_WORDS:
            return _Construct(everyone_end, everyone=True)  # "dividido por todos"
        ways = _count(tokens[at + 1])
        if ways is None:
            return None
        ways_end = _match(tokens, at + 2, WAYS_WORDS) if at + 2 < n else None
        if ways_end is not None:
            return _Construct(ways_end, ways=ways)
        # "por 3" says parts; "em 3" may be instalments ("dividi em 3x"): only with "partes"
        return _Construct(at + 2, ways=ways) if tok.text in BY_WORDS or tok.text == "into" else None
    ways = _count(tok)
    if ways is not None and at + 1 < n:
        ways_end = _match(tokens, at + 1, WAYS_WORDS)
        if ways_end is not None:
            return _Construct(ways_end, ways=ways)  # "split 3 ways"
    return None


def find_split(prepared: Text, tokens: Sequence[Token]) -> SplitFound | None:
    """Return the split request of the message (see the module), or None.

    ``tokens`` are the message's tokens with the roles found so far (dates, times and chatter are
    never read as part of it). A count and who is named may both be said ("dividido por 3 com a
    Ana e o João"). The spans cover the cue and the words saying who shares.
    """
    clean = prepared.clean
    n = len(tokens)
    for i in range(n):
        cue_end = _match(tokens, i, SPLIT_CUES)
        if cue_end is None:
            continue
        for j in range(cue_end, min(n, cue_end + MAX_GAP + 1)):
            found = _construct(tokens, j, clean)
            if found is None:
                continue
            spans = [(tokens[i].start, tokens[cue_end - 1].end), (tokens[j].start, tokens[found.end - 1].end)]
            names, ways, everyone = list(found.names), found.ways, found.everyone
            if found.end < n:  # "por 3 com a Ana", "com a Ana e o João em 3 partes"
                more = _construct(tokens, found.end, clean)
                if more is not None:
                    spans.append((tokens[found.end].start, tokens[more.end - 1].end))
                    names += more.names
                    ways = ways or more.ways
                    everyone = everyone or more.everyone
            spec = CostSplitSpec(tuple(dict.fromkeys(names)), ways, everyone)
            return SplitFound(spec, tuple(spans))
    return None


# --------------------------------------------------------------------------- whole messages, commands

_COMMAND_RE: Final = re.compile(r"^\s*/(?P<cmd>[a-z_]+)(?:@\w+)?(?:\s+|$)")
_NOT_WORD_RE: Final = re.compile(r"[^\w\s]+")


def who_owes_phrase(fold: str) -> str | None:
    """Return the language ("pt"/"en") of a whole folded message asking who owes whom, else None."""
    if len(fold) > 80:
        return None
    words = " ".join(_NOT_WORD_RE.sub(" ", fold).split())
    return WHO_OWES.get(words)


def sharing_command(fold: str) -> tuple[str, str, int] | None:
    """Return ``(intent, language, argument start)`` of a cost-sharing slash command: intent
    "who_owes" ("/saldo", "/balances", "/acertar" alone) or "settle" ("/acertar Ana 60"); None
    for any other message."""
    m = _COMMAND_RE.match(fold)
    if m is None or m.group("cmd") not in COMMANDS:
        return None
    intent, language = COMMANDS[m.group("cmd")]
    if intent == "settle" and not fold[m.end() :].strip():
        intent = "who_owes"
    return intent, language, m.end()


def read_settlement(argument: str, language: str, default_currency: str | None = None) -> SettlementSpec:
    """Read "Ana 60", "60 pra Ana", "R$ 60,50 Ana Paula" (what follows "/acertar") as who was paid
    and how much; several amounts, or one in scientific notation ("1e5"), give ``amount`` None
    (the core asks)."""
    prepared = prepare(argument)
    tokens = tokenize(prepared.fold)
    mentions = combine_cents(tokens, find_mentions(tokens, prepared.clean, language))
    amount: Decimal | None = None
    currency: str | None = None
    if len(mentions) == 1 and mentions[0].amount > 0 and not has_scientific(prepared.fold):
        amount = mentions[0].amount
        currency, _ = resolve_currency(mentions[0].currency, default_currency)
    taken = {k for m in mentions for k in range(m.start, m.end)}
    words = [
        k
        for k, tok in enumerate(tokens)
        if k not in taken
        and tok.kind is TokKind.WORD
        and tok.text.isalpha()
        and len(tok.text) >= 2
        and tok.text not in SETTLE_FILLERS
    ]
    name = None
    if words:
        first = last = words[0]
        while last + 1 in words:
            last += 1
        name = prepared.clean[tokens[first].start : tokens[last].end][:100]
    return SettlementSpec(name, amount, currency)
