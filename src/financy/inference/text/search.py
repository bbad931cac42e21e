"""The chat's search command: "/buscar farmácia", "/search pharmacy", "/procurar uber aeroporto".

:func:`search_command` reads a message that starts with one of the command words of
``data/search_words.tsv`` (Telegram's ``/buscar@FinancyBot`` form too) and returns the language of
the word and what follows it, as the sender typed it (accents and case kept; the core's search
forgives both). Nothing after the command is ``None``: the core answers how to search. Only the
slash form is read: "buscar" at the start of a plain sentence stays what it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final

from financy.inference.tables import SOURCE, read_table

__all__ = ["MAX_SEARCH_TEXT", "SearchRequest", "search_command"]

#: Longest search text kept (characters; the wire's ``Understanding.search_text`` bound).
MAX_SEARCH_TEXT: Final = 200
_COMMAND_RE: Final = re.compile(r"^\s*/(?P<cmd>[a-z_]+)(?:@\w+)?(?=\s|$)")


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A search command: the ``language`` ("pt"/"en") of its word and the ``text`` to look for
    (``None``: nothing after the command)."""

    language: str
    text: str | None


@cache
def _commands() -> dict[str, str]:
    """Command word (folded, no slash) -> language."""
    rows = read_table("financy.inference.text", "data/search_words.tsv", ("command", "language", SOURCE))
    return {r["command"]: r["language"] for r in rows}


def search_command(fold: str, clean: str) -> SearchRequest | None:
    """Return the search ``fold`` (the folded message) asks for, its text cut from ``clean`` (the
    same message, case and accents kept, character for character), else ``None``.

    ``"/buscar Farmácia São João"`` -> ``SearchRequest("pt", "Farmácia São João")``;
    ``"/search"`` -> ``SearchRequest("en", None)``; ``"buscar pão"`` (no slash) -> ``None``.
    """
    m = _COMMAND_RE.match(fold)
    if m is None:
        return None
    language = _commands().get(m.group("cmd"))
    if language is None:
        return None
    rest = " ".join(clean[m.end() :].split())
    return SearchRequest(language, rest[:MAX_SEARCH_TEXT] or None)
