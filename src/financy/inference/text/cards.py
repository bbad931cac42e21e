"""What a card set-up command says: "/cartao Nubank fecha 5 vence 12", "/card Nubank closes 5 due 12".

:func:`read_card` reads the text after the command: the card's **name** (the words before the
first cue or day, as typed, without a leading "meu", "do", "my"...), the **closing day** (the day
after a closing cue: "fecha", "fechamento", "closes", "closing") and the **due day** (after a
due cue: "vence", "vencimento", "due", "pays"); fillers between a cue and its day are skipped
("fecha dia 5", "closes on the 5th", "5º"). Two days and no cue ("/cartao Nubank 5 12") are
the closing and the due day, in that order. A cue word ("padrão", "principal", "default",
"main") asks for the card to be the default. A day outside 1..31 is not read (``None``), so the
core can ask for it. The words are in ``data/card_words.tsv``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final

from financy.inference.tables import SOURCE, read_table
from financy.inference.text.normalize import fold

__all__ = ["CardSpec", "read_card"]

_TOKEN_RE: Final = re.compile(r"[^\s,;:!?()]+")
_DAY_RE: Final = re.compile(r"^(\d{1,2})(?:o|a|st|nd|rd|th)?\.?$")
#: The longest card name read (the contract's bound).
MAX_NAME: Final = 60


@dataclass(frozen=True, slots=True)
class CardSpec:
    """A card as a message says it; each part ``None`` when unsaid (or a day outside 1..31)."""

    name: str | None
    closing_day: int | None
    due_day: int | None
    make_default: bool = False


@cache
def _roles() -> dict[str, str]:
    rows = read_table("financy.inference.text", "data/card_words.tsv", ("role", "language", "word", SOURCE))
    return {row["word"]: row["role"] for row in rows}


def _day(word: str) -> int | None:
    """The day a token names ("5", "05", "5º", "5th"), or None; -1 for a number outside 1..31."""
    m = _DAY_RE.match(word)
    if m is None:
        return None
    day = int(m.group(1))
    return day if 1 <= day <= 31 else -1


def read_card(text: str) -> CardSpec:
    """Read what follows a card command (see the module). Never raises."""
    roles = _roles()
    tokens = [(m.start(), m.end(), fold(m.group())) for m in _TOKEN_RE.finditer(text)]
    k = 0
    while k < len(tokens) and roles.get(tokens[k][2]) == "prefix":
        k += 1
    first = k
    while k < len(tokens) and roles.get(tokens[k][2]) not in ("closing", "due", "default"):
        if _day(tokens[k][2]) is not None:
            break
        k += 1
    name = text[tokens[first][0] : tokens[k - 1][1]].strip(" .-") if k > first else ""
    days: dict[str, int | None] = {}
    bare: list[int] = []
    pending: str | None = None
    make_default = False
    for _, _, word in tokens[k:]:
        role = roles.get(word)
        if role in ("closing", "due"):
            pending = role
            continue
        if role == "default":
            make_default = True
            continue
        day = _day(word)
        if day is None:
            continue
        if pending is not None:
            days.setdefault(pending, day)
            pending = None
        else:
            bare.append(day)
    if not days and len(bare) == 2:
        days = {"closing": bare[0], "due": bare[1]}

    def said(role: str) -> int | None:
        day = days.get(role)
        return day if day is not None and day > 0 else None

    return CardSpec(name[:MAX_NAME] or None, said("closing"), said("due"), make_default)
