"""A whole message asking for the ledger's subscriptions and recurring payments.

"quais minhas assinaturas?", "minhas assinaturas", "assinaturas", "contas recorrentes", "my
subscriptions", "what are my subscriptions?", "recurring payments": the message's words (folded,
punctuation dropped) are one cue of ``data/subscription_request_words.tsv`` and filler words of
that file only ("quais", "minhas", "what", "are", "my", "please"...). Anything else keeps the
message what it was: "quanto gastei com assinaturas este mês?" is a sum asked of the ledger and
"assinatura netflix 39,90" an expense. The slash commands ("/assinaturas", "/subscriptions") are
in ``intents``.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from financy.inference.tables import SOURCE, read_table
from financy.inference.text.intents import plain

__all__ = ["subscriptions_request"]

_PACKAGE: Final = "financy.inference.text"
#: Longest message read as such a request.
MAX_CHARS: Final = 80


@cache
def _table() -> tuple[dict[tuple[str, ...], str], frozenset[str]]:
    """(cue words -> language, filler words)."""
    rows = read_table(_PACKAGE, "data/subscription_request_words.tsv", ("list", "language", "words", SOURCE))
    cues = {tuple(r["words"].split(" ")): r["language"] for r in rows if r["list"] == "cue"}
    fillers = frozenset(r["words"] for r in rows if r["list"] == "filler")
    return cues, fillers


def subscriptions_request(fold: str) -> str | None:
    """Return the language ("pt"/"en") of the cue when the whole folded message asks for the
    subscriptions (see the module), else None."""
    if len(fold) > MAX_CHARS or any(c.isdigit() for c in fold):
        return None
    cues, fillers = _table()
    words = [w for w in plain(fold).split() if w not in fillers]
    return cues.get(tuple(words))
