"""A whole message asking for the ledger's subscriptions and recurring payments.

"quais minhas assinaturas?", "minhas assinaturas", "assinaturas", "contas recorrentes", "my
subscriptions", "what are my subscriptions?", "recurring payments": the message's words (folded,
punctuation dropped) are one cue of ``data/subscription_request_words.tsv`` and filler words of
that file only ("quais", "minhas", "what", "are", "my", "please"...). Anything else keeps the
message what it was: "quanto gastei com assinaturas este mês?" is a sum asked of the ledger and
"assinatura netflix 39,90" an expense. The slash commands ("/assinaturas", "/subscriptions") are
in ``intents``; what follows them may decide about one series (:func:`subscription_decision`:
"/assinatura confirmar Netflix", "/assinaturas ignorar 2", "/subscription dismiss gym").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

from financy.inference.tables import SOURCE, read_table
from financy.inference.text.intents import plain

__all__ = ["SubscriptionDecision", "subscription_decision", "subscriptions_request"]

_PACKAGE: Final = "financy.inference.text"
#: Longest message read as such a request.
MAX_CHARS: Final = 80
#: Longest series reference kept ("Netflix", "2": the wire's bound).
MAX_SERIES_REF: Final = 100


@dataclass(frozen=True, slots=True)
class SubscriptionDecision:
    """A decision about one series: ``action`` "confirm" or "dismiss", ``series`` the merchant's
    name as typed or the series' number in the list ("Netflix", "2")."""

    action: str
    series: str


@cache
def _table() -> tuple[dict[tuple[str, ...], str], frozenset[str]]:
    """(cue words -> language, filler words)."""
    rows = read_table(_PACKAGE, "data/subscription_request_words.tsv", ("list", "language", "words", SOURCE))
    cues = {tuple(r["words"].split(" ")): r["language"] for r in rows if r["list"] == "cue"}
    fillers = frozenset(r["words"] for r in rows if r["list"] == "filler")
    return cues, fillers


@cache
def _actions() -> dict[str, str]:
    """Decision word (folded) -> "confirm" / "dismiss"."""
    rows = read_table(_PACKAGE, "data/subscription_request_words.tsv", ("list", "language", "words", SOURCE))
    return {r["words"]: r["list"] for r in rows if r["list"] in ("confirm", "dismiss")}


def subscription_decision(fold: str, clean: str) -> SubscriptionDecision | None:
    """Read what follows "/assinatura(s)" ("confirmar Netflix", "ignorar 2", "dismiss gym"):
    ``fold`` is it folded and ``clean`` the same characters as typed. The first word is the
    action (``data/subscription_request_words.tsv`` lists "confirm" and "dismiss" words), the
    rest the series, as typed; ``None`` when the first word is no action or nothing follows it.
    """
    words = fold.split(maxsplit=1)
    if len(words) < 2:
        return None
    action = _actions().get(plain(words[0]).strip())
    if action is None:
        return None
    start = fold.index(words[1], len(words[0]))
    series = " ".join(clean[start:].split()).strip(" .!?\"'“”")
    return SubscriptionDecision(action, series[:MAX_SERIES_REF]) if series else None


def subscriptions_request(fold: str) -> str | None:
    """Return the language ("pt"/"en") of the cue when the whole folded message asks for the
    subscriptions (see the module), else None."""
    if len(fold) > MAX_CHARS or any(c.isdigit() for c in fold):
        return None
    cues, fillers = _table()
    words = [w for w in plain(fold).split() if w not in fillers]
    return cues.get(tuple(words))
