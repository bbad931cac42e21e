"""Portuguese or English, from a small keyword and diacritic score (no model).

Each known Portuguese word scores one for "pt", each known English word one for "en"; "ã", "õ"
and "ç" add two for "pt", other Portuguese accents one, and "R$" two. A ``language_hint`` wins
when the scores are within one point of each other (short or ambiguous texts such as "uber 23");
with no hint a tie means "pt", the project's first language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from financy.inference.text.lexicon import EN_WORDS, PT_STRONG_CHARS, PT_WEAK_CHARS, PT_WORDS
from financy.inference.text.normalize import Token, TokKind

__all__ = ["LANGUAGES", "detect_language"]

LANGUAGES: Final = ("pt", "en")


def detect_language(tokens: Sequence[Token], lower: str, hint: str | None) -> str:
    """Return "pt" or "en" for the message whose tokens and lower-cased text are given.

    ``hint`` (a language code such as "pt", "pt-BR", "en_US"; others are ignored) is the
    chat's language, used when the text itself does not decide.
    """
    pt = en = 0
    for tok in tokens:
        if tok.kind is TokKind.WORD:
            if tok.text in PT_WORDS:
                pt += 1
            if tok.text in EN_WORDS:
                en += 1
        elif tok.kind is TokKind.SYM and tok.text == "r$":
            pt += 2
    if not lower.isascii():
        for char in lower:
            if char in PT_STRONG_CHARS:
                pt += 2
            elif char in PT_WEAK_CHARS:
                pt += 1
    base_hint = hint.lower().replace("_", "-").split("-")[0] if hint else None
    if base_hint in LANGUAGES and abs(pt - en) <= 1:
        return base_hint
    return "en" if en > pt else "pt"
