"""A chat search's answer, as pt-BR and English text (:attr:`ReplyKind.SEARCH_RESULTS`).

"🔎 3 lançamentos com “farmácia”:" and one line per transaction as every other list in the chat
writes it (amount, merchant, category, day: the ``line`` the caller passes), then, when more
match than are shown, where to see them all. What the sender searched for is quoted as typed,
on one line and cut at 60 characters.
"""

from __future__ import annotations

from collections.abc import Callable

from financy.core.contracts.v1 import RecordedTransaction, ReplyV1

_STRINGS: dict[str, dict[str, str]] = {
    "pt": {
        "head.one": "🔎 1 lançamento com “{text}”:",
        "head.many": "🔎 {n} lançamentos com “{text}”:",
        "head.more": "🔎 Os {n} lançamentos mais próximos de “{text}”:",
        "more": "Há mais; escreva mais palavras para afinar a busca, ou veja todos no painel.",
        "none": "🔎 Nenhum lançamento com “{text}” neste livro.",
        "empty": "🔎 O que devo procurar? Escreva depois do comando, ex.: /buscar farmácia",
        "invalid": "🔎 Busca longa demais: use até 10 palavras, ex.: /buscar uber aeroporto",
    },
    "en": {
        "head.one": "🔎 1 transaction matching “{text}”:",
        "head.many": "🔎 {n} transactions matching “{text}”:",
        "head.more": "🔎 The {n} closest matches for “{text}”:",
        "more": "There are more; add words to narrow the search, or see them all on the dashboard.",
        "none": "🔎 No transaction matches “{text}” in this ledger.",
        "empty": "🔎 What should I look for? Write it after the command, e.g. /search pharmacy",
        "invalid": "🔎 That search is too long: use up to 10 words, e.g. /search uber airport",
    },
}


def _quoted(text: str | None) -> str:
    one_line = " ".join((text or "").split())
    return one_line if len(one_line) <= 60 else one_line[:59] + "…"


def render_search(reply: ReplyV1, line: Callable[[RecordedTransaction, str], str]) -> str:
    """The text of a :attr:`ReplyKind.SEARCH_RESULTS` reply; ``line(tx, language)`` writes one
    transaction."""
    language = reply.language if reply.language in _STRINGS else "en"
    s = _STRINGS[language]
    if reply.problem == "search_empty":
        return s["empty"]
    if reply.problem == "search_invalid":
        return s["invalid"]
    text = _quoted(reply.search_text)
    found = reply.transactions
    if not found:
        return s["none"].format(text=text)
    if reply.search_more:
        head = s["head.more"].format(n=len(found), text=text)
    else:
        head = s["head.one" if len(found) == 1 else "head.many"].format(n=len(found), text=text)
    lines = [head, *(f"• {line(tx, language)}" for tx in found)]
    if reply.search_more:
        lines.append(s["more"])
    return "\n".join(lines)
