"""Word-list data files: the reader's lexicon (text/data) and the dataset's vocabularies (classify/data).

Each file is read with the header its module expects; these tests check what the loader does not:
the values a column may hold, keys that must be unique, and that every file has a reader.
"""

from __future__ import annotations

import string
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pytest

from financy.inference.classify import build_dataset
from financy.inference.tables import SOURCE, Row, TableError, parse_table, read_table
from financy.inference.taxonomy import CATEGORY_SLUGS
from financy.inference.text import lexicon

TEXT = "financy.inference.text"
CLASSIFY = "financy.inference.classify"
SPEECH = "financy.inference.speech"
LANGUAGES = {"pt", "en"}
PAYMENT_METHODS = {"pix", "debit", "credit", "cash", "boleto", "transfer"}
#: Word lists of text/data/word_lists.tsv that hold ISO codes, compared as written (upper case).
CODE_LISTS = {"dollar_currencies"}
#: The generated training set: its own reader and checks (classify/dataset.py, test_classify.py).
GENERATED = {(CLASSIFY, "data/categories.tsv")}


@dataclass(frozen=True)
class Spec:
    package: str
    name: str
    columns: tuple[str, ...]
    #: columns whose values together may appear on one row only
    key: tuple[str, ...]
    #: column -> the values it may hold
    allowed: tuple[tuple[str, frozenset[str]], ...] = ()
    #: columns holding folded words (lower case, no accents), as the reader matches them
    folded: tuple[str, ...] = ()


def _slugs() -> frozenset[str]:
    return frozenset(CATEGORY_SLUGS)


SPECS = (
    Spec(TEXT, "data/category_words.tsv", ("category", "word", SOURCE), ("word",),
         (("category", _slugs()),), ("word",)),
    Spec(TEXT, "data/category_words_by_language.tsv", ("word", "language", "category", SOURCE),
         ("word", "language"), (("language", frozenset(LANGUAGES)), ("category", _slugs())), ("word",)),
    Spec(TEXT, "data/category_phrases.tsv", ("phrase", "category", SOURCE), ("phrase",),
         (("category", _slugs()),), ("phrase",)),
    Spec(TEXT, "data/category_names.tsv", ("name", "category", SOURCE), ("name",),
         (("category", _slugs()),), ("name",)),
    Spec(TEXT, "data/merchants.tsv", ("name", "category", SOURCE), ("name",), (("category", _slugs()),), ("name",)),
    Spec(TEXT, "data/payment_words.tsv", ("word", "method", SOURCE), ("word",),
         (("method", frozenset(PAYMENT_METHODS)),), ("word",)),
    Spec(TEXT, "data/payment_phrases.tsv", ("phrase", "method", SOURCE), ("phrase",),
         (("method", frozenset(PAYMENT_METHODS)),), ("phrase",)),
    Spec(TEXT, "data/not_payment_phrases.tsv", ("phrase", "category", SOURCE), ("phrase",),
         (("category", _slugs()),), ("phrase",)),
    Spec(TEXT, "data/currency_words.tsv", ("kind", "text", "currency", SOURCE), ("kind", "text"),
         (("kind", frozenset({"symbol", "word", "prefix_word", "minor_unit", "misspelling"})),), ("text",)),
    Spec(TEXT, "data/number_words.tsv", ("kind", "word", "value", SOURCE), ("kind", "word"),
         (("kind", frozenset({"number", "scale", "multiplier"})),), ("word",)),
    Spec(TEXT, "data/word_lists.tsv", ("list", "word", SOURCE), ("list", "word"), (), ("word",)),
    Spec(TEXT, "data/question_cues.tsv", ("ask", "language", "phrase", SOURCE), ("ask", "phrase"),
         (("language", frozenset(LANGUAGES)),
          ("ask", frozenset({"budget", "card_bill", "bills", "bills_question", "chart", "top_categories", "recent",
                             "balance"}))),
         ("phrase",)),
    Spec(TEXT, "data/cost_split_words.tsv", ("kind", "phrase", "language", SOURCE), ("kind", "phrase"),
         (("language", frozenset(LANGUAGES)),
          ("kind", frozenset({"split_cue", "with_word", "by_word", "in_word", "ways_word", "everyone", "article",
                              "joiner", "self", "pronoun", "settle_filler", "who_owes", "command_who_owes",
                              "command_settle"}))),
         ("phrase",)),
    Spec(TEXT, "data/question_words.tsv", ("list", "word", SOURCE), ("list", "word"),
         (("list", frozenset({"filler", "expense_noun", "income_noun", "question_word", "recent_word",
                              "request_word"})),), ("word",)),
    Spec(TEXT, "data/subscription_request_words.tsv", ("list", "language", "words", SOURCE),
         ("list", "language", "words"),
         (("list", frozenset({"cue", "filler", "confirm", "dismiss"})), ("language", frozenset(LANGUAGES))),
         ("words",)),
    Spec(TEXT, "data/search_words.tsv", ("command", "language", SOURCE), ("command",),
         (("language", frozenset(LANGUAGES)),), ("command",)),
    Spec(CLASSIFY, "data/vocabularies.tsv", ("language", "category", "field", "term", SOURCE),
         ("language", "category", "field", "term"),
         (("language", frozenset(LANGUAGES)), ("category", _slugs()),
          ("field", frozenset({"place", "item", "descriptor"})))),
    Spec(CLASSIFY, "data/brands.tsv", ("country", "category", "brand", SOURCE), ("country", "category", "brand"),
         (("country", frozenset({"BR", "US"})), ("category", _slugs()))),
    Spec(CLASSIFY, "data/business_heads.tsv", ("language", "category", "head", SOURCE),
         ("language", "category", "head"), (("language", frozenset(LANGUAGES)), ("category", _slugs()))),
    Spec(CLASSIFY, "data/word_lists.tsv", ("list", "term", SOURCE), ("list", "term")),
    Spec(CLASSIFY, "data/templates.tsv", ("list", "template", SOURCE), ("list", "template")),
    Spec(CLASSIFY, "data/handwritten.tsv", ("category", "language", "text", SOURCE),
         ("category", "language", "text"), (("category", _slugs()), ("language", frozenset(LANGUAGES)))),
    Spec(SPEECH, "data/prompt_vocabulary.tsv", ("language", "kind", "text", SOURCE), ("language", "kind"),
         (("language", frozenset(LANGUAGES)),
          ("kind", frozenset({"places", "income", "currency", "payment"})))),
    Spec(TEXT, "data/card_words.tsv", ("role", "language", "word", SOURCE), ("word",),
         (("language", frozenset(LANGUAGES)),
          ("role", frozenset({"closing", "due", "default", "filler", "prefix"}))), ("word",)),
)  # fmt: skip


def _rows(spec: Spec) -> tuple[Row, ...]:
    return read_table(spec.package, spec.name, spec.columns)


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: f"{spec.package.rsplit('.', 1)[-1]}/{spec.name}")
def test_table_shape(spec: Spec) -> None:
    """GIVEN a data file WHEN read with its header THEN every row fits the file's rules."""
    rows = _rows(spec)
    assert rows, "an empty table"
    for row in rows:
        assert set(row) == set(spec.columns)
        assert row[SOURCE].strip(), row
        assert all(row[column] for column in spec.columns), row
        for column, allowed in spec.allowed:
            assert row[column] in allowed, (column, row)
        for column in spec.folded:
            if row.get("list") in CODE_LISTS:
                assert row[column].isupper(), row
                assert len(row[column]) == 3, row
                continue
            word = row[column]
            assert word == word.lower(), (column, row)
            assert unicodedata.normalize("NFD", word) == word, (column, row)
            assert "  " not in word, row
    repeated = [key for key, n in Counter(tuple(row[c] for c in spec.key) for row in rows).items() if n > 1]
    assert not repeated, f"repeated {'/'.join(spec.key)}: {repeated[:5]}"


def test_every_data_file_has_a_spec() -> None:
    shipped = {
        (package, f"data/{path.name}")
        for package in (TEXT, CLASSIFY, SPEECH)
        for path in Path(str(files(package).joinpath("data"))).glob("*")
    }
    assert shipped - GENERATED == {(spec.package, spec.name) for spec in SPECS}


def test_sources_are_named() -> None:
    """Rows written for Financy say so; any other source is a public list, named by where it lives."""
    for spec in SPECS:
        for row in _rows(spec):
            source = row[SOURCE]
            assert source == "financy" or "/" in source or "." in source, (spec.name, row)


def test_number_values_are_integers() -> None:
    for row in read_table(TEXT, "data/number_words.tsv", ("kind", "word", "value", SOURCE)):
        assert row["value"].isdigit(), row


def test_currency_codes() -> None:
    """ISO 4217 codes, or the bare "$" a minor unit takes the context's dollar currency from."""
    for row in read_table(TEXT, "data/currency_words.tsv", ("kind", "text", "currency", SOURCE)):
        currency = row["currency"]
        assert (len(currency) == 3 and currency.isupper() and currency.isalpha()) or (
            row["kind"] == "minor_unit" and currency == lexicon.BARE_DOLLAR
        ), row


def test_word_list_names_are_the_constants() -> None:
    """Each ``list`` in a word_lists/templates file is a constant of the module that reads it."""
    lists = {
        (TEXT, "data/word_lists.tsv", "word"): lexicon,
        (CLASSIFY, "data/word_lists.tsv", "term"): build_dataset,
        (CLASSIFY, "data/templates.tsv", "template"): build_dataset,
    }
    for (package, name, column), module in lists.items():
        names = {row["list"] for row in read_table(package, name, ("list", column, SOURCE))}
        for list_name in names:
            assert list_name == list_name.lower()
            value = getattr(module, list_name.upper())
            assert isinstance(value, (tuple, frozenset)), list_name
            assert value, list_name


def test_templates_use_known_placeholders() -> None:
    known = {"n", "p", "i", "no", "do", "when", "pay", "who", "name", "d", "x"}
    known |= {"M", "CITY", "D3", "D4", "D5", "D12", "MMDD"}
    for row in read_table(CLASSIFY, "data/templates.tsv", ("list", "template", SOURCE)):
        fields = {field for _, field, _, _ in string.Formatter().parse(row["template"]) if field is not None}
        assert fields <= known, row


def test_package_data_ships_the_tables() -> None:
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8"))
    assert "**/*.tsv" in pyproject["tool"]["setuptools"]["package-data"]["financy"]


# --- the loader -------------------------------------------------------------------------------

COLUMNS = ("word", "category", SOURCE)


def test_parse_table_reads_rows_in_order() -> None:
    text = "word\tcategory\tsource\nuber\ttransport\tfinancy\nmercado\tgroceries\tfinancy\n"
    rows = parse_table(text, COLUMNS, "x.tsv")
    assert [dict(row) for row in rows] == [
        {"word": "uber", "category": "transport", "source": "financy"},
        {"word": "mercado", "category": "groceries", "source": "financy"},
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "x.tsv:1: header"),
        ("word\tcategory\nuber\ttransport\n", "x.tsv:1: header"),
        ("word\tcategory\tsource\nuber\ttransport\n", "x.tsv:2: expected 3 fields, got 2"),
        ("word\tcategory\tsource\nuber\ttransport\tfinancy\textra\n", "x.tsv:2: expected 3 fields, got 4"),
        ("word\tcategory\tsource\nuber\ttransport\t\n", "x.tsv:2: field 'source' is empty"),
        ("word\tcategory\tsource\nuber\t\tfinancy\n", "x.tsv:2: field 'category' is empty"),
        ("word\tcategory\tsource\nuber \ttransport\tfinancy\n", "x.tsv:2: field 'word'"),
        ("word\tcategory\tsource\nuber\ttransport\tfinancy\n\n", "x.tsv:3: expected 3 fields, got 1"),
    ],
)
def test_parse_table_rejects_a_broken_file(text: str, message: str) -> None:
    with pytest.raises(TableError, match=message.replace("(", r"\(")):
        parse_table(text, COLUMNS, "x.tsv")


def test_a_table_must_end_with_its_source() -> None:
    with pytest.raises(TableError, match="must end with 'source'"):
        parse_table("word\tcategory\n", ("word", "category"), "x.tsv")


def test_read_table_reads_once() -> None:
    spec = SPECS[0]
    assert _rows(spec) is _rows(spec)
