"""Reader language: the keyword score weighed with lingua (pt and en only), the chat's language as
the prior for short texts and the decider of near-ties, and keyword decisions lingua never flips.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from financy.inference.text import language as lang
from financy.inference.text import read_message
from financy.inference.text.normalize import TokKind, prepare, tokenize

TODAY = dt.date(2026, 11, 28)
DATA = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "expense_messages.jsonl"
SHARED = Path(__file__).resolve().parents[1] / "fixtures" / "messages2" / "messages.jsonl"


def language_of(text: str, hint: str | None = None) -> str:
    return read_message(text, today=TODAY, language_hint=hint).language


def detect(text: str, hint: str | None = None) -> str:
    prepared = prepare(text)
    return lang.detect_language(tokenize(prepared.fold), prepared.lower, hint)


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        # sentences: lingua and the keywords agree, whatever the chat's language
        ("quanto gastei com mercado este mês?", "en", "pt"),
        ("how much did I spend on food last week?", "pt", "en"),
        ("change it to groceries", "pt", "en"),
        ("category travel", None, "en"),
        ("muda pra saúde", "en", "pt"),
        ("paid $12 for lunch", "pt", "en"),
        ("almoço no restaurante 30", "en", "pt"),
        ("cinema pipoca 30", None, "pt"),
        ("taxi airport 40", None, "en"),
        # no accents, no keywords: lingua still reads Portuguese
        ("quanto gastei com alimentacao essa semana", None, "pt"),
        ("isso foi farmacia", None, "pt"),
        # short texts: the hint is the prior
        ("uber 23", None, "pt"),
        ("uber 23", "en", "en"),
        ("ok", "en", "en"),
        ("ok", None, "pt"),
        ("45", "en-US", "en"),
        # merchant names are in no language: "uber eats 35" is a short text
        ("uber eats 35", "pt", "pt"),
        ("uber eats 35", "en", "en"),
        ("whole foods 80", "pt-BR", "pt"),
        ("whole foods 80", None, "pt"),
        # two words where lingua leans one way: the chat's language still wins
        ("sushi bar 80", "pt", "pt"),
        ("sushi bar 80", "en", "en"),
        ("show 50 ingresso", "en", "en"),
        ("show 50 ingresso", "pt", "pt"),
    ],
)
def test_language(text: str, hint: str | None, language: str) -> None:
    assert language_of(text, hint) == language


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("gastei 30 no mercado ontem", "en"),  # the keywords lead by 2 or more: nothing overturns them
        ("R$ 30 almoço", "en"),
        ("paguei o spotify hoje", "en"),
        ("gastei 30 coffee shop", None),  # "gastei" keeps lingua from making it English
        ("gastei 30 coffee shop", "pt"),
        ("15 reais pizza delivery", None),
    ],
)
def test_lingua_never_flips_a_portuguese_keyword_decision(
    text: str, hint: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even if lingua were certain the text is English, "gastei", "reais", "R$" keep it Portuguese."""
    monkeypatch.setattr(lang, "portuguese_confidence", lambda _text: 0.0)
    assert detect(text, hint) == "pt"


def test_a_hint_still_wins_a_near_tie_of_keywords() -> None:
    """The keyword rule as before: one point apart, the chat's language decides."""
    assert language_of("lunch 45 reais", "en") == "en"
    assert language_of("lunch 45 reais", "pt") == "pt"
    assert language_of("gastei 30 coffee shop", "en") == "en"


@pytest.mark.parametrize("text", ["spent 30 on groceries yesterday", "paid 20 dollars para o uber"])
def test_lingua_never_flips_an_english_keyword_decision(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lang, "portuguese_confidence", lambda _text: 1.0)
    assert detect(text) == "en"


@pytest.mark.parametrize("text", ["uber 23", "ok", "45", "R$ 45", "uber eats 35", "👍", "farmácia 30"])
def test_short_texts_do_not_ask_lingua(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_text: str) -> float:
        raise AssertionError("lingua consulted for a short text")

    monkeypatch.setattr(lang, "portuguese_confidence", fail)
    assert detect(text, "en") in {"pt", "en"}


def test_the_hint_decides_near_ties(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lang, "portuguese_confidence", lambda _text: 0.6)
    assert detect("foo bar baz qux", "en") == "en"
    assert detect("foo bar baz qux", "pt") == "pt"
    assert detect("foo bar baz qux") == "pt"  # no hint: lingua's lean
    monkeypatch.setattr(lang, "portuguese_confidence", lambda _text: 0.4)
    assert detect("foo bar baz qux") == "en"
    monkeypatch.setattr(lang, "portuguese_confidence", lambda _text: 0.5)
    assert detect("foo bar baz qux") == "pt"  # an exact tie: the project's first language
    monkeypatch.setattr(lang, "portuguese_confidence", lambda _text: 0.9)
    assert detect("foo bar baz qux", "en") == "pt"  # lingua is sure enough to overrule the prior


def test_lingua_is_built_once_for_two_languages() -> None:
    lang.warm_up()
    first = lang._get_detector()
    assert lang._get_detector() is first
    assert 0.9 < lang.portuguese_confidence("quanto gastei com mercado este mês") <= 1.0
    assert 0.0 <= lang.portuguese_confidence("how much did I spend on food") < 0.1


def _rows() -> list[dict[str, Any]]:
    paths = [DATA, SHARED]
    return [
        json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line
    ]


def test_labelled_messages_read_in_their_language() -> None:
    """With the chat's language every labelled line reads in its language; without it, every line
    of two words or more (outside merchant names) still does."""
    misses_with_hint: list[str] = []
    misses_without: list[str] = []
    for row in _rows():
        expected = "en" if row["lang"] == "en" else "pt"
        if language_of(row["text"], expected) != expected:
            misses_with_hint.append(row["text"])
        prepared = prepare(row["text"])
        words = [t for t in tokenize(prepared.fold) if t.kind is TokKind.WORD and len(t.text) > 1]
        if len(words) >= 2 and row["text"] != "spotify premium" and language_of(row["text"]) != expected:
            misses_without.append(row["text"])
    assert misses_with_hint == []
    assert misses_without == []
