"""Run Financy's understanding over the cases and score every labelled field.

Messages go through :func:`financy.edge.pipeline.understand.understand_text` exactly as the edge
calls it (context currency BRL, the row's language as the chat's hint), then, when the category
model and ``fill_categories`` exist, through the same category fill the edge applies
(the model decides when it is sure, the lexicon when it is not; see ``fill_categories``).

A text that records nothing by itself but has a category label (a statement descriptor, "pedi no
ifood") is categorised as the message "<text without digits> 10" would be: the reader's item
category, else the model's top-1. The digits are dropped so a card number or store number in a
descriptor is not read as a second amount.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.eval.cases import CONTEXT_CURRENCY, ROOT, Case, ExpectedItem

#: Fields scored, in table order.
FIELDS = (
    "intent",
    "language",
    "amount",
    "date",
    "no_date",
    "kind",
    "category",
    "category3",
    "merchant",
    "payment",
    "installments",
    "query",
    "recategorize",
)
MODEL_CACHE = ROOT / "var" / "eval" / "models"


# -- the system under test --------------------------------------------------------------------------

Categorize = Callable[[str], "tuple[str, float] | None"]


@dataclass
class System:
    """How texts are read: ``understand_text`` plus, when available, the category model."""

    understand: Callable[..., Any]
    fill: Callable[[Any, str, Categorize], Any] | None
    model: Any | None
    description: str
    training_texts: tuple[str, ...] = ()  # the model's training texts, as written
    notes: list[str] = field(default_factory=list)

    def categorize(self, text: str) -> tuple[str, float] | None:
        """The edge's categoriser: the model's best slug and its probability (the fill decides)."""
        if self.model is None or not text.strip():
            return None
        slug, probability = self.model.predict(text)[0]
        return str(slug), float(probability)

    def top1(self, text: str) -> str | None:
        """The model's best slug, however unsure (None without a model)."""
        if self.model is None:
            return None
        return str(self.model.predict(text)[0][0])

    def top3(self, text: str) -> list[str]:
        """The model's three best slugs for ``text`` (empty without a model)."""
        if self.model is None or not text.strip():
            return []
        return [str(slug) for slug, _ in self.model.predict(text, 3)]

    def read(self, case: Case) -> Any:
        """Return the ``Understanding`` of ``case.text``, as the edge would build it."""
        understanding = self.understand(
            case.text, today=case.today, language_hint=case.lang, currency=CONTEXT_CURRENCY
        )
        if self.fill is not None and self.model is not None:
            understanding = self.fill(understanding, case.text, self.categorize)
        return understanding

    def category_of(self, case: Case) -> str | None:
        """Category a text that names no amount would be filed under (see the module doc)."""
        probe = re.sub(r"\d[\d.,/:-]*", " ", case.text).strip() + " 10"
        understanding = self.understand(
            probe, today=case.today, language_hint=case.lang, currency=CONTEXT_CURRENCY
        )
        if self.fill is not None and self.model is not None:
            understanding = self.fill(understanding, probe, self.categorize)
        items = understanding.transactions
        if items and items[-1].category:
            return str(items[-1].category)
        return self.top1(case.text)


def _load_model(notes: list[str]) -> tuple[Any | None, tuple[str, ...], str]:
    """Return the category model (trained from the committed dataset, cached), training texts, label."""
    try:
        classify = importlib.import_module("financy.inference.classify")
    except Exception as exc:  # the package is being written: measure without it
        notes.append(f"category model: not importable ({type(exc).__name__}: {exc})")
        return None, (), "lexicon only"
    override = os.environ.get("FINANCY_EVAL_MODEL")
    try:
        texts = tuple(example[0] for example in classify.default_dataset())
    except Exception as exc:
        texts = ()
        if not override:
            notes.append(f"category model: no training set ({type(exc).__name__}: {exc})")
            return None, texts, "lexicon only"
    try:
        if override:
            path = Path(override)
        else:
            from financy.inference.classify.train import default_version

            version = default_version()
            path = MODEL_CACHE / f"categories-{version}.onnx"
            if not path.exists():
                started = time.perf_counter()
                classify.train_default(MODEL_CACHE, version=version)
                notes.append(f"category model: trained {version} in {time.perf_counter() - started:.1f} s")
        model = classify.CategoryModel.load(path)
    except Exception as exc:
        notes.append(f"category model: unusable ({type(exc).__name__}: {exc})")
        return None, texts, "lexicon only"
    return model, texts, f"lexicon + model {model.version or path.name}"


def build_system() -> System:
    """Import the code under test as it is now (the reader and the classifier change under us)."""
    understand_mod = importlib.import_module("financy.edge.pipeline.understand")
    notes: list[str] = []
    model, texts, label = _load_model(notes)
    return System(
        understand=understand_mod.understand_text,
        fill=understand_mod.fill_categories,
        model=model,
        description=label,
        training_texts=texts,
        notes=notes,
    )


# -- comparison helpers -----------------------------------------------------------------------------

_ARTICLES = ("o ", "a ", "os ", "as ", "the ")


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = re.sub(r"[^\w]+", " ", plain).strip()
    for article in _ARTICLES:
        if plain.startswith(article):
            plain = plain[len(article) :]
    return plain


def _date_of(item: Any, today: dt.date) -> dt.date:
    if item.occurred_on is not None:
        return item.occurred_on  # type: ignore[no-any-return]
    if item.days_ago is not None:
        return today - dt.timedelta(days=item.days_ago)
    return today


def _show(item: Any, today: dt.date) -> str:
    cur = item.currency or f"({CONTEXT_CURRENCY})"
    parts = [f"{item.kind} {item.amount} {cur}", _date_of(item, today).isoformat()]
    parts += [f"m={item.merchant}" if item.merchant else "", f"c={item.category}" if item.category else ""]
    parts += [f"p={item.payment_method}" if item.payment_method else ""]
    parts += [f"{item.installments}x" if item.installments else ""]
    return " ".join(p for p in parts if p)


def _show_expected(item: ExpectedItem) -> str:
    cur = "|".join(sorted(item.currencies)) if item.currencies else "?"
    return f"{item.kind or '?'} {item.amount} {cur}"


def _align(expected: Sequence[ExpectedItem], got: Sequence[Any]) -> list[Any | None]:
    """Pair each expected item with a read one: by position when the counts agree, else by amount."""
    if len(expected) == len(got):
        return list(got)
    free = list(got)
    paired: list[Any | None] = []
    for exp in expected:
        match = next((g for g in free if exp.amount is not None and g.amount == exp.amount), None)
        if match is not None:
            free.remove(match)
        paired.append(match)
    return paired


# -- scoring --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One scored field of one case."""

    field: str
    ok: bool
    got: str
    expected: str


@dataclass
class Scored:
    """A case, what was read, and its scored fields."""

    case: Case
    outcomes: list[Outcome]
    summary: str
    category_pairs: list[tuple[str, str]]  # (expected, got) for every scored category
    error: str | None = None


def score_case(system: System, case: Case) -> Scored:
    """Read ``case`` and compare every labelled field."""
    out: list[Outcome] = []
    pairs: list[tuple[str, str]] = []

    def add(name: str, ok: bool, got: object, expected: object) -> None:
        out.append(Outcome(name, bool(ok), str(got), str(expected)))

    error: str | None = None
    try:
        wanted = case.intent or case.items is not None or case.query or case.recategorize
        u = system.read(case) if wanted else None
    except Exception as exc:  # a crash is a failure of every field the case labels
        u = None
        error = f"{type(exc).__name__}: {exc}"
    if u is not None:
        summary = f"{u.intent}" + (f" problem={u.problem}" if u.problem else "")
        if u.transactions:
            summary += " [" + "; ".join(_show(t, case.today) for t in u.transactions) + "]"
        if u.query is not None:
            summary += f" query={u.query.model_dump(mode='json', exclude_none=True)}"
        if u.category:
            summary += f" category={u.category}"
    else:
        summary = error or "-"

    def got_value(getter: Callable[[Any], object]) -> object:
        return "<crash>" if u is None else getter(u)

    if case.intent is not None:
        got_intent = got_value(lambda x: str(x.intent))
        add("intent", got_intent == case.intent, got_intent, case.intent)
    if u is not None and case.intent is not None and case.dataset == "ours":
        add("language", u.language == case.lang, u.language, case.lang)
    if case.items is not None:
        got_items = list(u.transactions) if u is not None else []
        amounts_ok = len(got_items) == len(case.items) and all(
            exp.amount is None
            or (
                g.amount == exp.amount
                and (exp.currencies is None or (g.currency or CONTEXT_CURRENCY) in exp.currencies)
            )
            for exp, g in zip(case.items, got_items, strict=False)
        )
        add(
            "amount",
            amounts_ok,
            "; ".join(f"{g.amount} {g.currency or '(' + CONTEXT_CURRENCY + ')'}" for g in got_items)
            or "nothing",
            "; ".join(_show_expected(e) for e in case.items),
        )
        for exp, g in zip(case.items, _align(case.items, got_items), strict=True):
            _score_item(add, pairs, exp, g, case.today)
            if exp.category is not None:
                guesses = _three(None if g is None else g.category, system.top3(case.text))
                add("category3", exp.category in guesses, guesses, exp.category)
    if case.query is not None:
        q = u.query if u is not None else None
        fields_ok = q is not None and all(
            (_fold(str(getattr(q, key) or "")) == _fold(value))
            if key == "merchant"
            else getattr(q, key) == value
            for key, value in case.query.items()
        )
        shown = (
            "none"
            if q is None
            else {
                k: str(getattr(q, k))
                for k in ("kind", "period", "category", "merchant", "ask", "group", "limit", "all_kinds")
                if getattr(q, k) and not (k == "ask" and q.ask == "total")
            }
        )
        add("query", fields_ok and u is not None and u.intent == "query", shown, case.query)
    if case.recategorize is not None:
        got_cat = None if u is None else u.category
        ok = u is not None and u.intent == "recategorize" and got_cat == case.recategorize
        add("recategorize", ok, f"{None if u is None else u.intent} {got_cat}", case.recategorize)
    if case.category_only is not None:
        try:
            got_cat = system.category_of(case)
        except Exception as exc:
            got_cat = f"<crash {type(exc).__name__}>"
        add("category", got_cat == case.category_only, got_cat, case.category_only)
        pairs.append((case.category_only, str(got_cat)))
        guesses = _three(got_cat, system.top3(case.text))
        add("category3", case.category_only in guesses, guesses, case.category_only)
        if case.dataset.startswith("descriptors") and summary == "-":
            summary = f"category={got_cat}"
    return Scored(case, out, summary, pairs, error)


def _three(first: object, model_top3: Sequence[str]) -> list[str]:
    """The three guesses a reply would offer: the category filed, then the model's best others."""
    guesses = [str(first)] if first else []
    for slug in model_top3:
        if slug not in guesses:
            guesses.append(slug)
    return guesses[:3]


def _score_item(
    add: Callable[[str, bool, object, object], None],
    pairs: list[tuple[str, str]],
    exp: ExpectedItem,
    got: Any,
    today: dt.date,
) -> None:
    missing = got is None
    if exp.date is not None:
        name = "date" if exp.date_stated else "no_date"
        day = None if missing else _date_of(got, today)
        add(name, day == exp.date, day or "no item", exp.date)
    if exp.kind is not None:
        value = None if missing else str(got.kind)
        add("kind", value == exp.kind, value or "no item", exp.kind)
    if exp.category is not None:
        value = None if missing else got.category
        add("category", value == exp.category, value, exp.category)
        pairs.append((exp.category, str(value) if not missing else "no item"))
    if exp.merchant is not None:
        value = None if missing else got.merchant
        add("merchant", value is not None and _fold(value) == _fold(exp.merchant), value, exp.merchant)
    if exp.payment_method is not None:
        value = None if missing else got.payment_method
        add("payment", value == exp.payment_method, value, exp.payment_method)
    if exp.installments is not None:
        value = None if missing else got.installments
        add("installments", value == exp.installments, value, exp.installments)


# -- aggregation ----------------------------------------------------------------------------------


@dataclass
class FieldStats:
    """Correct over scored for one field of one dataset."""

    correct: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        """Accuracy 0..1, or None when nothing was scored."""
        return self.correct / self.total if self.total else None


@dataclass
class DatasetResult:
    """Everything about one dataset's run."""

    name: str
    n: int
    fields: dict[str, FieldStats]
    failures: dict[str, list[tuple[Scored, Outcome]]]
    confusions: Counter[tuple[str, str]]
    crashes: list[Scored]
    seconds: float


def evaluate(system: System, name: str, cases: Sequence[Case]) -> DatasetResult:
    """Score every case of one dataset."""
    fields = {f: FieldStats() for f in FIELDS}
    failures: dict[str, list[tuple[Scored, Outcome]]] = defaultdict(list)
    confusions: Counter[tuple[str, str]] = Counter()
    crashes: list[Scored] = []
    started = time.perf_counter()
    for case in cases:
        scored = score_case(system, case)
        if scored.error:
            crashes.append(scored)
        for outcome in scored.outcomes:
            stats = fields[outcome.field]
            stats.total += 1
            if outcome.ok:
                stats.correct += 1
            else:
                failures[outcome.field].append((scored, outcome))
        for expected, got in scored.category_pairs:
            if expected != got:
                confusions[(expected, got)] += 1
    return DatasetResult(
        name, len(cases), fields, dict(failures), confusions, crashes, time.perf_counter() - started
    )


@dataclass(frozen=True)
class Leaks:
    """What the leak checks find between one set and the model's training lines.

    ``near_duplicates``: cases whose text equals a training line once digits, punctuation,
    accents and case are gone; ``names``: training lines holding a test-split name (test sets).
    """

    near_duplicates: int
    names: int


def leaks(system: System, cases: Sequence[Case]) -> Leaks:
    """Run the leak checks (:mod:`financy.inference.classify.leaks`) for one set."""
    if not system.training_texts or not cases:
        return Leaks(0, 0)
    from financy.inference.classify.leaks import name_leaks, near_duplicates
    from tests.eval.splits import names_in_test_split

    evaluation = {f"{case.dataset}:{case.id}": case.text for case in cases}
    dups = {d.where for d in near_duplicates(system.training_texts, evaluation)}
    prefix = f"{cases[0].dataset}:"
    names = {k: v for k, v in names_in_test_split().items() if k.startswith(prefix)}
    hits = {leak.training for leak in name_leaks(system.training_texts, names)}
    return Leaks(len(dups), len(hits))


def pooled(results: Sequence[DatasetResult], field_name: str) -> FieldStats:
    """One field's stats summed over several datasets."""
    total = FieldStats()
    for result in results:
        stats = result.fields[field_name]
        total.correct += stats.correct
        total.total += stats.total
    return total
