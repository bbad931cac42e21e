"""Portuguese or English: a keyword and diacritic score, weighed with lingua for real sentences.

Keyword score: each known Portuguese word scores one for "pt", each known English word one for
"en"; "ã", "õ" and "ç" add two for "pt", other Portuguese accents one, and "R$" two.

The decision, in order:

1. The keyword score leads by two points or more: it decides ("gastei 50 no bar", "R$ 30").
2. Fewer than two words of letters ("uber 23", "45", "ok"; merchant names such as "uber eats" or
   "whole foods" are no words of any language and do not count): the hint (the chat's language) is the
   prior and decides when the scores are within one point; with no hint a tie is "pt", the
   project's first language, else the side with more points.
3. Otherwise lingua's confidence for Portuguese ``p`` (built for pt and en only) is weighed with
   the keyword lead: ``s = (p - 0.5) + 0.2 * (pt - en)``. A word that settles the language on its
   own (``PT_STRONG_WORDS``: "gastei", "reais", "ontem"...; ``EN_STRONG_WORDS``: "spent",
   "dollars"...), when the other language has none, keeps lingua from pulling ``s`` past zero
   towards the other language ("gastei 30 coffee shop" is never English by lingua's say).
4. With a hint, near-ties (``|s| < 0.25``, or 0.4 for two words, where lingua knows less: "sushi
   bar 80" in a Portuguese chat) go to the hint; otherwise ``s > 0`` is "pt", ``s < 0`` "en",
   and exactly 0 is decided as in 2 ("gastei 30 coffee shop" with no hint: "pt").

The chat's language is sticky (:func:`evident_language`): the language a text is *read* in
follows the rules above, but only a text that shows its language on its own decides the language
of the *reply*: at least :data:`MIN_EVIDENT_WORDS` words of letters (outside merchant names) and a
decisive score (a keyword lead of :data:`OBVIOUS_LEAD`, or ``|s|`` of at least
:data:`EVIDENT_SCORE`). A bare command ("/help"), an amount ("45"), an emoji, "ok", a brand or one
English word in a Portuguese chat ("uber 23", "coffee 12") shows none, and the chat keeps its
language; "I paid 30 for lunch with my card" shows English.

The lingua detector is built once, on first use, behind a lock (about 0.2 s and 60 MB; a call
takes 5-50 µs). :func:`warm_up` builds it ahead of the first message.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from financy.inference.text.lexicon import (
    BRAND_WORDS,
    EN_STRONG_WORDS,
    EN_WORDS,
    MERCHANT_BY_NAME,
    PT_STRONG_CHARS,
    PT_STRONG_WORDS,
    PT_WEAK_CHARS,
    PT_WORDS,
)
from financy.inference.text.normalize import Token, TokKind
from financy.inference.text.normalize import fold as _folded

if TYPE_CHECKING:
    from lingua import LanguageDetector

__all__ = [
    "EVIDENT_SCORE",
    "LANGUAGES",
    "MIN_EVIDENT_WORDS",
    "base_language",
    "detect_language",
    "evident_language",
    "portuguese_confidence",
    "warm_up",
]

LANGUAGES: Final = ("pt", "en")
#: Keyword lead from which the keyword score decides alone.
OBVIOUS_LEAD: Final = 2
#: Weight of one keyword point against lingua's confidence (0..1, centred on 0.5).
KEYWORD_WEIGHT: Final = 0.2
#: Combined scores closer to zero than this are near-ties: the hint decides them.
NEAR_TIE: Final = 0.25
#: The same for texts of two words, where lingua is weaker evidence ("sushi bar 80" in a
#: Portuguese chat stays Portuguese).
TWO_WORD_NEAR_TIE: Final = 0.4
#: Fewest words of letters (outside merchant names, two letters or more) with which a text can show
#: its language on its own, and so decide the reply's against the chat's.
MIN_EVIDENT_WORDS: Final = 3
#: Combined score ``|s|`` from which such a text's language is decisive (when the keywords alone
#: are not).
EVIDENT_SCORE: Final = 0.3

# merchant names are in no language: "uber eats 35" and "whole foods 80" are not English sentences
_NAMES_RE: Final = re.compile(
    r"(?<![\w'])(?:"
    + "|".join(re.escape(name) for name in sorted({*MERCHANT_BY_NAME, *BRAND_WORDS}, key=len, reverse=True))
    + r")(?![\w'])"
)

_NAME_STARTS: Final = frozenset(name.split()[0] for name in (*MERCHANT_BY_NAME, *BRAND_WORDS))

_lock = threading.Lock()
_detector: LanguageDetector | None = None


def _get_detector() -> LanguageDetector:
    global _detector  # noqa: PLW0603 - built once, on first use, then shared
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                _detector = (
                    LanguageDetectorBuilder.from_languages(Language.PORTUGUESE, Language.ENGLISH)
                    .with_preloaded_language_models()
                    .build()
                )
    return _detector


def warm_up() -> None:
    """Build the lingua detector now rather than on the first message."""
    _get_detector()


def portuguese_confidence(text: str) -> float:
    """Return lingua's confidence (0..1) that ``text`` is Portuguese rather than English."""
    return _portuguese_confidence(text)


@lru_cache(maxsize=256)
def _portuguese_confidence(text: str) -> float:
    """Cached: a message's words are weighed twice (its reading and :func:`evident_language`)."""
    from lingua import Language

    value: float = _get_detector().compute_language_confidence(text, Language.PORTUGUESE)
    return value


def base_language(hint: str | None) -> str | None:
    """Return "pt" or "en" for a hint such as "pt-BR" or "en_US", else None."""
    base = hint.lower().replace("_", "-").split("-")[0] if isinstance(hint, str) else None
    return base if base in LANGUAGES else None


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What a text says of its language: keyword points, strong words, and its words of letters."""

    pt: int
    en: int
    strong_pt: bool
    strong_en: bool
    words: tuple[str, ...]

    @property
    def by_keywords(self) -> str:
        return "en" if self.en > self.pt else "pt"

    def score(self) -> float:
        """``s`` of the module docstring (lingua asked): > 0 leans Portuguese, < 0 English."""
        score = portuguese_confidence(" ".join(self.words)) - 0.5 + KEYWORD_WEIGHT * (self.pt - self.en)
        if self.strong_pt and not self.strong_en:
            score = max(score, 0.0)  # lingua may not turn "gastei 30 coffee shop" English
        elif self.strong_en and not self.strong_pt:
            score = min(score, 0.0)
        return score


def detect_language(tokens: Sequence[Token], lower: str, hint: str | None) -> str:
    """Return "pt" or "en" for the message whose tokens and lower-cased text are given.

    ``hint`` (a language code such as "pt", "pt-BR", "en_US"; others are ignored) is the
    chat's language: the prior for short texts and the decider of near-ties. This is the
    language to *read* the text in; whether it may also change the reply's language from the
    chat's is :func:`evident_language`.
    """
    evidence = _evidence(tokens, lower)
    lead = evidence.pt - evidence.en
    by_keywords = evidence.by_keywords
    if abs(lead) >= OBVIOUS_LEAD:
        return by_keywords
    base_hint = base_language(hint)
    words = evidence.words
    if len(words) < 2:
        return base_hint if base_hint is not None else by_keywords
    score = evidence.score()
    if base_hint is not None and abs(score) < (TWO_WORD_NEAR_TIE if len(words) == 2 else NEAR_TIE):
        return base_hint
    if score == 0:
        return by_keywords
    return "pt" if score > 0 else "en"


def evident_language(tokens: Sequence[Token], lower: str) -> str | None:
    """Return "pt" or "en" when the text shows that language on its own, else None.

    Shown means: at least :data:`MIN_EVIDENT_WORDS` words of letters outside merchant names, and
    either a keyword lead of :data:`OBVIOUS_LEAD` or more, or a combined score (lingua and the
    keywords, with the strong-word rule) of at least :data:`EVIDENT_SCORE` either way. Short or
    ambiguous texts ("/help", "45", "👍", "ok", "uber 23", "coffee 12", "thank you") give None:
    the chat's language stays the reply's.
    """
    evidence = _evidence(tokens, lower)
    if len(evidence.words) < MIN_EVIDENT_WORDS:
        return None
    if abs(evidence.pt - evidence.en) >= OBVIOUS_LEAD:
        return evidence.by_keywords
    score = evidence.score()
    if abs(score) >= EVIDENT_SCORE:
        return "pt" if score > 0 else "en"
    return None


def _evidence(tokens: Sequence[Token], lower: str) -> _Evidence:
    pt = en = 0
    strong_pt = strong_en = False
    words: list[str] = []
    names: list[tuple[int, int]] = []
    if any(tok.text in _NAME_STARTS for tok in tokens):
        names = [m.span() for m in _NAMES_RE.finditer(_folded(lower))]
    for tok in tokens:
        if tok.kind is TokKind.WORD:
            text = tok.text
            if text in PT_WORDS:
                pt += 1
            if text in EN_WORDS:
                en += 1
            strong_pt = strong_pt or text in PT_STRONG_WORDS
            strong_en = strong_en or text in EN_STRONG_WORDS
            while names and names[0][1] <= tok.start:
                names.pop(0)
            if len(text) > 1 and not (names and names[0][0] <= tok.start):
                words.append(lower[tok.start : tok.end])
        elif tok.kind is TokKind.SYM and tok.text == "r$":
            pt += 2
    if not lower.isascii():
        for char in lower:
            if char in PT_STRONG_CHARS:
                pt += 2
            elif char in PT_WEAK_CHARS:
                pt += 1
    return _Evidence(pt, en, strong_pt, strong_en, tuple(words))
