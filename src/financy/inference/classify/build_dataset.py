"""Write ``data/categories.tsv``, the category training set (deterministic: fixed seed).

    python -m financy.inference.classify.build_dataset            # rewrite the committed TSV
    python -m financy.inference.classify.build_dataset --stats    # and print counts

How the lines are made (column ``source``):

- ``template``: for each category and language, every merchant/place and every item in the
  vocabularies is put into chat templates ("gastei {n} no {p}", "{p} {n}", "paid {n} at
  {p}", "{i} {n} yesterday", questions such as "quanto gastei com {i}?") with random amounts,
  dates, payment words, emoji, upper case, missing accents and the odd typo;
- ``descriptor``: merchants written the way card statements show them ("POSTO IPIRANGA 123",
  "PAG*PADARIA DO ZE", "SQ *BLUE BOTTLE COFFEE", "PURCHASE AUTHORIZED ON 03/14 CHIPOTLE 1234 ...",
  "Compra no débito - DROGASIL") plus raw descriptors ("IOF COMPRA INTERNACIONAL", "PIX TRANSF");
- ``handwritten``: whole sentences written by hand (:data:`HANDWRITTEN`).

The word lists and templates are data files in ``data/`` beside this module (one row a term, with
its ``source``; see :mod:`financy.inference.tables`); this module holds only how lines are made
from them. ``vocabularies.tsv`` (language, category, field ``place``/``item``/``descriptor``,
term), ``brands.tsv`` (country, category, brand), ``business_heads.tsv`` (language, category,
head), ``word_lists.tsv`` and ``templates.tsv`` (by ``list``: the lower-cased name of the
constant here) and ``handwritten.tsv`` (category, language, text). Terms ending in "?" are
doubtful: kept in the lists, left out of the data.

Besides the per-category vocabularies (:data:`PT`, :data:`EN`) there are well-known brands and
chains (:data:`BRANDS_BR`, :data:`BRANDS_US`: one chat line and one descriptor each), business
names made of a category noun and a proper name ("Drogaria São José", "Oak Street Dental":
:data:`HEADS_PT`, :data:`HEADS_EN`), money sent to people ("pix pro João", "ZELLE TO JOHN SMITH"),
ATM withdrawals, supermarket fuel stations ("COSTCO GAS") and food, fuel or rides "on the trip".

Everything in them is general knowledge of how people in Brazil and the US spend and how banks
print it. Nothing is taken from the evaluation files (``tests/eval/splits.py`` lists them with
their split). Two kinds of generated line are *dropped* so the evaluation stays held out
(:mod:`financy.inference.classify.leaks`; ``tests/unit/test_leaks.py`` checks the committed file):

- a near duplicate of any dev or test line (equal once digits, punctuation, accents and case are
  gone: "AMAZON MKTPLACE PMTS 124" is the test line "AMAZON MKTPLACE PMTS");
- a line containing, as whole words, a merchant/payee name of the test split (a descriptor, a
  labelled merchant): "compras no zaffari 230" goes while "Zaffari" is a test descriptor, so the
  test split measures names the model never saw. Third-party rows naming a merchant our
  vocabularies already held ("Uber", "Netflix") are dev, not test (``tests/eval/seen_names.tsv``),
  so their names are trained on.

The evaluation lines are read from the repository's ``tests/eval/splits.py`` when it is there
(the command is run from a checkout); ``--no-leak-guard`` builds without it. Lines whose
normalised text would carry two categories are dropped too, and normalised duplicates are kept
once.

Category conventions (the ones that are not obvious): gym, pharmacy and health plans are
``health``; bakery ("padaria") and street market ("feira") are ``groceries``; snack bars,
marmita, ice cream and delivery apps (iFood, Uber Eats, DoorDash) are ``restaurants``; car
repair, parking, tolls and car insurance are ``transport``; streaming and memberships are
``subscriptions``; hardware stores are ``shopping``; food or fuel bought "on the trip" is
``travel``; ATM withdrawals, investments, savings and credit-card bill payments are
``transfer``; fines, bank and card fees, notary, IPTU/IPVA and income tax are ``taxes_fees``;
rental income, freelance, refunds and interest are ``other_income``; life insurance, postage,
legal fees and messages that say nothing are ``other``.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import random
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Final

from financy.inference.classify.dataset import CATEGORY_SLUGS, COLUMNS, DATASET_PATH
from financy.inference.classify.leaks import leaking_lines
from financy.inference.classify.normalize import normalize
from financy.inference.tables import SOURCE, read_table

SEED: Final = 20261129
#: Lines aimed at per (category, language) before hand-written lines are added.
TARGET_PER_CELL: Final = 120
#: The checkout holding ``tests/eval/splits.py`` (the evaluation sets and their splits).
_REPO: Final = Path(__file__).resolve().parents[4]


@dataclass(frozen=True)
class LeakGuard:
    """What the dataset must not contain.

    Attributes:
        evaluation: origin -> a dev or test text (near duplicates are dropped).
        names: origin -> a test-split merchant/payee name (lines containing it are dropped).
    """

    evaluation: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)


def default_guard(repo: Path = _REPO) -> LeakGuard:
    """The guard from the checkout's ``tests/eval/splits.py``: every dev and test line, the test names.

    Raises:
        FileNotFoundError: no ``tests/eval/splits.py`` under ``repo`` (an installed package: build
            from a checkout, or pass ``--no-leak-guard``).
    """
    if not (repo / "tests" / "eval" / "splits.py").exists():
        raise FileNotFoundError(f"{repo}/tests/eval/splits.py: build the dataset from a checkout")
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    splits = importlib.import_module("tests.eval.splits")
    evaluation = {f"{line.set}:{line.id}": line.text for line in splits.labelled_lines("dev", "test")}
    return LeakGuard(evaluation=evaluation, names=splits.names_in_test_split())


@dataclass(frozen=True)
class Vocab:
    """What one category looks like in one language.

    Attributes:
        places: merchants and places the money is paid at ("posto shell", "chipotle").
        items: things or services paid for ("gasolina", "burrito", "conta de luz").
        descriptors: raw statement lines used as they are ("IOF COMPRA INTERNACIONAL").
    """

    places: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    descriptors: tuple[str, ...] = ()


_PACKAGE: Final = "financy.inference.classify"
#: ``field`` values of ``vocabularies.tsv`` -> the :class:`Vocab` attribute they fill.
_VOCAB_FIELDS: Final = {"place": "places", "item": "items", "descriptor": "descriptors"}


def _table(name: str, *columns: str) -> tuple[Mapping[str, str], ...]:
    """Rows of ``data/{name}.tsv``, whose header is ``columns`` then ``source``."""
    return read_table(_PACKAGE, f"data/{name}.tsv", (*columns, SOURCE))


def _grouped(rows: Iterable[Mapping[str, str]], key: str, value: str) -> dict[str, tuple[str, ...]]:
    """``key`` -> its ``value`` fields, both in file order."""
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row[value])
    return {name: tuple(values) for name, values in grouped.items()}


def _vocabularies(language: str) -> dict[str, Vocab]:
    """Category -> its :class:`Vocab` in ``language``, from ``vocabularies.tsv`` (file order)."""
    terms: dict[str, dict[str, list[str]]] = {}
    for row in _table("vocabularies", "language", "category", "field", "term"):
        if row["language"] == language:
            terms.setdefault(row["category"], {}).setdefault(_VOCAB_FIELDS[row["field"]], []).append(
                row["term"]
            )
    return {
        slug: Vocab(**{attribute: tuple(values) for attribute, values in fields.items()})
        for slug, fields in terms.items()
    }


def _by_category(name: str, column: str, value: str, term: str) -> dict[str, tuple[str, ...]]:
    """Category -> the ``term`` fields of the rows of ``name`` whose ``column`` is ``value``."""
    rows = _table(name, column, "category", term)
    return _grouped((row for row in rows if row[column] == value), "category", term)


@cache
def _lists(name: str, column: str) -> dict[str, tuple[str, ...]]:
    return _grouped(_table(name, "list", column), "list", column)


def _terms(name: str) -> tuple[str, ...]:
    """The terms of list ``name`` in ``word_lists.tsv``, in file order."""
    return _lists("word_lists", "term")[name]


def _templates(name: str) -> tuple[str, ...]:
    """The templates of list ``name`` in ``templates.tsv``, in file order."""
    return _lists("templates", "template")[name]


# --- vocabularies (data/vocabularies.tsv) --------------------------------------------------------

PT: Final[dict[str, Vocab]] = _vocabularies("pt")
EN: Final[dict[str, Vocab]] = _vocabularies("en")

# --- more merchants: well-known brands and chains, one line each (data/brands.tsv) --------------

BRANDS_BR: Final[dict[str, tuple[str, ...]]] = _by_category("brands", "country", "BR", "brand")

BRANDS_US: Final[dict[str, tuple[str, ...]]] = _by_category("brands", "country", "US", "brand")

# Grocery and warehouse chains that sell fuel print "<CHAIN> FUEL" / "<CHAIN> GAS": that is fuel.
FUEL_AT_GROCERS_US: Final = _terms("fuel_at_grocers_us")
FUEL_AT_GROCERS_BR: Final = _terms("fuel_at_grocers_br")


# --- business names: a category noun plus a proper name ("Drogaria São José", "Smith Family Dentistry") ---

HEADS_PT: Final[dict[str, tuple[str, ...]]] = _by_category("business_heads", "language", "pt", "head")
HEADS_EN: Final[dict[str, tuple[str, ...]]] = _by_category("business_heads", "language", "en", "head")
NAMES_PT: Final = _terms("names_pt")
NAMES_EN: Final = _terms("names_en")


# --- templates ---------------------------------------------------------------------------------

EXPENSE_KINDS: Final = frozenset(CATEGORY_SLUGS) - {"salary", "other_income", "transfer"}

PT_PLACE_TEMPLATES: Final = _templates("pt_place_templates")
PT_ITEM_TEMPLATES: Final = _templates("pt_item_templates")
PT_INCOME_TEMPLATES: Final = _templates("pt_income_templates")
PT_TRANSFER_TEMPLATES: Final = _templates("pt_transfer_templates")
EN_PLACE_TEMPLATES: Final = _templates("en_place_templates")
EN_ITEM_TEMPLATES: Final = _templates("en_item_templates")
EN_INCOME_TEMPLATES: Final = _templates("en_income_templates")
EN_TRANSFER_TEMPLATES: Final = _templates("en_transfer_templates")

PT_WHEN: Final = _terms("pt_when")
EN_WHEN: Final = _terms("en_when")
PT_PAY: Final = _terms("pt_pay")
EN_PAY: Final = _terms("en_pay")
PT_EMOJI: Final = _terms("pt_emoji")
EN_EMOJI: Final = _terms("en_emoji")
BR_CITIES: Final = _terms("br_cities")
US_CITIES: Final = _terms("us_cities")
BR_PEOPLE: Final = _terms("br_people")
US_PEOPLE: Final = _terms("us_people")

# Category-specific descriptor templates ({M}: merchant as printed).
BR_CARD_TEMPLATES: Final = _templates("br_card_templates")
US_CARD_TEMPLATES: Final = _templates("us_card_templates")

# Money sent to a person is a transfer ({who}: a name or a relative).
PT_PERSON_TEMPLATES: Final = _templates("pt_person_templates")
EN_PERSON_TEMPLATES: Final = _templates("en_person_templates")
PT_WHO: Final = _terms("pt_who")
EN_WHO: Final = _terms("en_who")

PT_PERSON_DESCRIPTORS: Final = _templates("pt_person_descriptors")
EN_PERSON_DESCRIPTORS: Final = _templates("en_person_descriptors")

TRAVEL_CONTEXT_PT: Final = _templates("travel_context_pt")
TRAVEL_CONTEXT_EN: Final = _templates("travel_context_en")


# --- generation ---------------------------------------------------------------------------------


@dataclass
class _Row:
    text: str
    category: str
    language: str
    source: str


@dataclass
class _Builder:
    rng: random.Random
    rows: list[_Row] = field(default_factory=list)

    # amounts ---------------------------------------------------------------------------------
    def amount(self, language: str) -> str:
        rng = self.rng
        whole = rng.choice((rng.randint(2, 60), rng.randint(10, 300), rng.randint(50, 2500)))
        cents = f"{rng.randint(0, 99):02d}"
        if language == "pt":
            big = f"{whole:,}".replace(",", ".")
            return rng.choice(
                (
                    f"{whole}",
                    f"{whole},{cents}",
                    f"R$ {whole}",
                    f"R${whole},{cents}",
                    f"{whole} reais",
                    f"{big},{cents}",
                    f"{whole} conto",
                    f"r$ {whole},{cents}",
                    f"{whole},00",
                    f"{whole} pila",
                )
            )
        return rng.choice(
            (
                f"{whole}",
                f"{whole}.{cents}",
                f"${whole}",
                f"${whole}.{cents}",
                f"{whole} dollars",
                f"{whole} bucks",
                f"USD {whole}",
                f"${whole:,}.{cents}",
                f"{whole}.00",
            )
        )

    # noise -----------------------------------------------------------------------------------
    def noisy(self, text: str, language: str, *, chat: bool) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.25:
            text = _fold(text)
        elif roll < 0.3:
            text = text.upper()
        elif roll < 0.38 and chat:
            text = text[:1].upper() + text[1:]
        if chat and rng.random() < 0.06:
            text = _typo(rng, text)
        if chat and rng.random() < 0.06:
            text = f"{text} {rng.choice(PT_EMOJI if language == 'pt' else EN_EMOJI)}"
        return text

    def add(self, text: str, category: str, language: str, source: str) -> None:
        self.rows.append(_Row(" ".join(text.split()), category, language, source))

    # chat lines ------------------------------------------------------------------------------
    def chat_line(self, template: str, language: str, *, place: str = "", item: str = "") -> str:
        rng = self.rng
        pt = language == "pt"
        term = place or item
        values = {
            "p": place,
            "i": item,
            "n": self.amount(language),
            "when": rng.choice(PT_WHEN if pt else EN_WHEN),
            "pay": rng.choice(PT_PAY if pt else EN_PAY),
            "no": _preposition(term, rng) if pt else "",
            "do": _of(term) if pt else "",
        }
        return template.format(**values)

    def card_line(self, merchant: str, country: str) -> str:
        rng = self.rng
        printed = _fold(merchant).upper().replace("'", "")
        if rng.random() < 0.3:
            printed = printed.replace(" ", "")
        printed = printed[:22]
        templates = BR_CARD_TEMPLATES if country == "BR" else US_CARD_TEMPLATES
        template = rng.choice(templates)
        return template.format(
            M=printed,
            CITY=rng.choice(BR_CITIES if country == "BR" else US_CITIES),
            D3=rng.randint(1, 999),
            D4=f"{rng.randint(0, 9999):04d}",
            D5=f"{rng.randint(0, 99999):05d}",
            D12=f"{rng.randint(0, 10**12 - 1):012d}",
            MMDD=f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}",
        )

    def raw_descriptor(self, descriptor: str, country: str) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.5:
            return descriptor
        if roll < 0.7:
            return f"{descriptor} {rng.choice(BR_CITIES if country == 'BR' else US_CITIES)}"
        if roll < 0.85:
            return f"{descriptor} {rng.randint(1, 9999)}"
        return f"{descriptor} {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _typo(rng: random.Random, text: str) -> str:
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(positions) < 5:
        return text
    i = rng.choice(positions[1:-1])
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :] if i + 1 < len(text) else text


_FEMININE_ENDINGS: Final = ("a", "ã", "ção", "dade", "gem", "ria")


def _preposition(term: str, rng: random.Random) -> str:
    first = term.split(maxsplit=1)[0] if term.split() else term
    if rng.random() < 0.15:
        return "em"
    if first.endswith("s") and len(first) > 3 and not first.endswith("ais"):
        return "nas" if first[:-1].endswith("a") else "nos"
    return "na" if first.endswith(_FEMININE_ENDINGS) else "no"


def _of(term: str) -> str:
    first = term.split(maxsplit=1)[0] if term.split() else term
    return "da" if first.endswith(_FEMININE_ENDINGS) else "do"


def _usable(terms: Iterable[str]) -> list[str]:
    """Drop entries ending in "?": kept in the lists as doubtful, left out of the data."""
    return [term for term in terms if not term.endswith("?")]


def _cell(builder: _Builder, slug: str, language: str, vocab: Vocab) -> None:
    """Generate the template and descriptor lines of one (category, language) cell."""
    rng = builder.rng
    pt = language == "pt"
    country = "BR" if pt else "US"
    places, items, descriptors = _usable(vocab.places), _usable(vocab.items), _usable(vocab.descriptors)
    place_t: tuple[str, ...]
    item_t: tuple[str, ...]
    if slug in EXPENSE_KINDS:
        place_t = PT_PLACE_TEMPLATES if pt else EN_PLACE_TEMPLATES
        item_t = PT_ITEM_TEMPLATES if pt else EN_ITEM_TEMPLATES
    elif slug == "transfer":
        place_t = item_t = PT_TRANSFER_TEMPLATES if pt else EN_TRANSFER_TEMPLATES
    else:
        place_t = item_t = PT_INCOME_TEMPLATES if pt else EN_INCOME_TEMPLATES

    def chat(kind: str, term: str) -> None:
        template = rng.choice(place_t if kind == "place" else item_t)
        text = builder.chat_line(
            template, language, place=term if kind == "place" else "", item=term if kind == "item" else ""
        )
        builder.add(builder.noisy(text, language, chat=True), slug, language, "template")

    units: list[tuple[str, str]] = (
        [("place", p) for p in places]
        + [("item", i) for i in items]
        + [("card", p) for p in places if slug in EXPENSE_KINDS and rng.random() < 0.5]
        + [("raw", d) for d in descriptors]
    )
    # every unit once, then more lines for random units until the cell reaches its target
    for kind, term in units:
        _emit(builder, chat, kind, term, slug, language, country)
    extra = max(0, TARGET_PER_CELL - len(units))
    for _ in range(extra):
        kind, term = rng.choice(units)
        _emit(builder, chat, kind, term, slug, language, country)


def _emit(
    builder: _Builder,
    chat: Callable[[str, str], None],
    kind: str,
    term: str,
    slug: str,
    language: str,
    country: str,
) -> None:
    if kind in ("place", "item"):
        chat(kind, term)
    elif kind == "card":
        builder.add(builder.card_line(term, country), slug, language, "descriptor")
    else:
        builder.add(builder.raw_descriptor(term, country), slug, language, "descriptor")


def _brands(builder: _Builder) -> None:
    """Two lines per extra brand: a chat line (always with an amount: a bare name would be a near
    duplicate of an evaluation descriptor, dropped, and the brand left with no chat line) and a
    card descriptor."""
    rng = builder.rng
    for language, table in (("pt", BRANDS_BR), ("en", BRANDS_US)):
        country = "BR" if language == "pt" else "US"
        templates = PT_PLACE_TEMPLATES if language == "pt" else EN_PLACE_TEMPLATES
        place_t = tuple(t for t in templates if "{n}" in t)
        for slug, brands in table.items():
            for brand in _usable(brands):
                text = builder.chat_line(rng.choice(place_t), language, place=brand)
                builder.add(builder.noisy(text, language, chat=True), slug, language, "template")
                builder.add(builder.card_line(brand, country), slug, language, "descriptor")


def _business_names(builder: _Builder) -> None:
    """Category noun + proper name, in the order each language uses ("Padaria Santa Maria", "Oak Dental")."""
    rng = builder.rng
    for language, heads, names in (("pt", HEADS_PT, NAMES_PT), ("en", HEADS_EN, NAMES_EN)):
        country = "BR" if language == "pt" else "US"
        for slug, nouns in heads.items():
            for noun in _usable(nouns):
                for name in rng.sample(names, 1):
                    business = f"{noun} {name}" if language == "pt" else f"{name} {noun}"
                    if rng.random() < 0.5:
                        text = builder.noisy(
                            business.title() if rng.random() < 0.5 else business, language, chat=True
                        )
                    else:
                        text = builder.card_line(business, country)
                    builder.add(text, slug, language, "descriptor")


def _people(builder: _Builder) -> None:
    """Money sent to people, in chat and on statements: transfers."""
    rng = builder.rng
    for language, templates, people in (
        ("pt", PT_PERSON_TEMPLATES, PT_WHO),
        ("en", EN_PERSON_TEMPLATES, EN_WHO),
    ):
        for who in _usable(people):
            for template in rng.sample(templates, 2):
                text = template.format(who=who, n=builder.amount(language))
                builder.add(builder.noisy(text, language, chat=True), "transfer", language, "template")
    for name in BR_PEOPLE:
        for template in rng.sample(PT_PERSON_DESCRIPTORS, 2):
            builder.add(template.format(name=name, d=rng.randint(1, 999)), "transfer", "pt", "descriptor")
    for name in US_PEOPLE:
        for template in rng.sample(EN_PERSON_DESCRIPTORS, 2):
            builder.add(template.format(name=name, d=rng.randint(1000, 9999)), "transfer", "en", "descriptor")


def _fuel_at_grocers(builder: _Builder) -> None:
    """Supermarket fuel stations print the chain's name with FUEL / GAS / POSTO: fuel."""
    rng = builder.rng
    for chain in FUEL_AT_GROCERS_US:
        suffix = rng.choice(("FUEL", "GAS", "FUEL CTR", "FUEL #0123", "GAS #123", "FUEL STATION"))
        builder.add(f"{chain} {suffix}", "fuel", "en", "descriptor")
        builder.add(
            f"{chain} #{rng.randint(100, 9999)} {rng.choice(('FUEL', 'GAS'))}", "fuel", "en", "descriptor"
        )
    for chain in FUEL_AT_GROCERS_BR:
        suffix = rng.choice(("POSTO", "POSTO DE COMBUSTIVEL", "AUTO POSTO", "COMBUSTIVEIS"))
        builder.add(f"{chain} {suffix}", "fuel", "pt", "descriptor")
        builder.add(f"POSTO {chain} {rng.randint(1, 99)}", "fuel", "pt", "descriptor")


BR_BANKS: Final = _terms("br_banks")
US_BANKS: Final = _terms("us_banks")


def _atm(builder: _Builder) -> None:
    """Cash from an ATM is a transfer (money moves from the account to the wallet)."""
    rng = builder.rng
    for bank in BR_BANKS:
        for template in rng.sample(
            ("SAQUE ATM {b}", "ATM {b}", "SAQUE {b} {d}", "saque no {b}", "SAQUE 24H {b}"), 2
        ):
            builder.add(
                template.format(b=bank if template.isupper() else bank.title(), d=rng.randint(1, 9999)),
                "transfer",
                "pt",
                "descriptor",
            )
    for bank in US_BANKS:
        for template in rng.sample(
            ("ATM WITHDRAWAL {b}", "{b} ATM {d}", "ATM CASH {b}", "cash from {b} atm"), 2
        ):
            builder.add(
                template.format(
                    b=bank if template.isupper() or template.startswith("{") else bank.title(),
                    d=rng.randint(1, 9999),
                ),
                "transfer",
                "en",
                "descriptor",
            )


def _travel_context(builder: _Builder) -> None:
    """Food, fuel and rides "on the trip" are travel (the trip is the bucket)."""
    rng = builder.rng
    for language, vocab_table, templates in (("pt", PT, TRAVEL_CONTEXT_PT), ("en", EN, TRAVEL_CONTEXT_EN)):
        pool = (
            _usable(vocab_table["restaurants"].items)[:25]
            + _usable(vocab_table["fuel"].items)[:6]
            + _usable(vocab_table["transport"].items)[:4]
        )
        for thing in pool:
            template = rng.choice(templates)
            text = template.format(x=thing, n=builder.amount(language))
            builder.add(builder.noisy(text, language, chat=True), "travel", language, "template")


#: Hand-written lines (``data/handwritten.tsv``), one ``category|language|text`` a line.
HANDWRITTEN: Final = "\n" + "".join(
    f"{row['category']}|{row['language']}|{row['text']}\n"
    for row in _table("handwritten", "category", "language", "text")
)


def _handwritten() -> Iterator[tuple[str, str, str]]:
    for line in HANDWRITTEN.strip().splitlines():
        category, language, text = line.split("|", 2)
        yield text.strip(), category.strip(), language.strip()


@dataclass(frozen=True)
class BuildStats:
    """What :func:`build` kept and dropped."""

    kept: int
    duplicates: int
    conflicts: int
    #: lines dropped by the leak guard (near duplicates of dev/test lines, test names inside).
    excluded: int


def build(guard: LeakGuard | None = None, *, seed: int = SEED) -> tuple[list[_Row], BuildStats]:
    """Generate the dataset rows (deterministic for a given seed and guard; no guard drops nothing)."""
    builder = _Builder(random.Random(seed))  # noqa: S311 - reproducible data, not secrets
    for slug in CATEGORY_SLUGS:
        for language, vocabularies in (("pt", PT), ("en", EN)):
            # a stream per cell: a word added to one category leaves every other cell's lines be
            builder.rng = random.Random(f"{seed}:{slug}:{language}")  # noqa: S311 - reproducible data
            _cell(builder, slug, language, vocabularies[slug])
    # each later section draws from a stream of its own, so that a vocabulary growing by a
    # word does not reshuffle the amounts, typos and templates of every brand line after it
    for offset, section in enumerate(
        (_brands, _business_names, _people, _fuel_at_grocers, _atm, _travel_context), start=1
    ):
        builder.rng = random.Random(seed + offset)  # noqa: S311 - reproducible data, not secrets
        section(builder)
    for text, category, language in _handwritten():
        builder.add(text, category, language, "handwritten")

    labels_by_key: dict[str, set[str]] = {}
    for row in builder.rows:
        labels_by_key.setdefault(normalize(row.text), set()).add(row.category)
    guard = guard or LeakGuard()
    leaking = leaking_lines([row.text for row in builder.rows], guard.evaluation, guard.names)
    seen: set[str] = set()
    kept: list[_Row] = []
    duplicates = conflicts = excluded = 0
    for row in builder.rows:
        key = normalize(row.text)
        if not key:
            continue
        if len(labels_by_key[key]) > 1:
            conflicts += 1
            continue
        if row.text in leaking:
            excluded += 1
            continue
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        kept.append(row)
    return kept, BuildStats(len(kept), duplicates, conflicts, excluded)


def write(rows: Sequence[_Row], path: Path = DATASET_PATH) -> None:
    """Write rows as the dataset TSV (UTF-8, LF, header :data:`COLUMNS`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(
            handle, delimiter="\t", quoting=csv.QUOTE_NONE, lineterminator="\n", escapechar=None
        )
        writer.writerow(COLUMNS)
        for row in rows:
            if "\t" in row.text or "\n" in row.text:
                raise ValueError(f"tab or newline in {row.text!r}")
            writer.writerow((row.text, row.category, row.language, row.source))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: rewrite the dataset (and print counts with ``--stats``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DATASET_PATH)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--no-leak-guard",
        action="store_true",
        help="keep lines that near-duplicate an evaluation line or contain a test-split name",
    )
    parser.add_argument("--stats", action="store_true")
    args = parser.parse_args(argv)
    rows, stats = build(None if args.no_leak_guard else default_guard(), seed=args.seed)
    write(rows, args.out)
    print(
        f"wrote {stats.kept} lines to {args.out} (dropped: {stats.duplicates} duplicates, "
        f"{stats.conflicts} with two categories, {stats.excluded} leaking into the evaluation)"
    )
    if args.stats:
        counts = Counter((row.category, row.language) for row in rows)
        for slug in CATEGORY_SLUGS:
            print(f"  {slug:16} pt {counts[(slug, 'pt')]:5}  en {counts[(slug, 'en')]:5}")
        print("  by source:", dict(Counter(row.source for row in rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
