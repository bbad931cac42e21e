"""The taxonomy's display names: one name per category per language, read from one data file.

``category_display_names.tsv`` beside this module holds, per slug (DESIGN §4, in the taxonomy's
order): its ``kind`` ("expense", "income" or "transfer"), its display name in Portuguese and in
English (``name_pt``, ``name_en``: what the reply, the dashboard and the README show), and the word
a "change category" button writes in each language (``word_pt``, ``word_en``: a name the text
reader knows, "muda pra saúde"). The core's taxonomy (``core.domain.model.TAXONOMY``), the bot's
replies and buttons (``bots.common.render``) and the dashboard page all read it from here; it
lives in ``contracts`` because that is the one core package bots and edges may import. Read once
per process from the installed package (UTF-8, tab separated, header row, last column ``source``).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Final

__all__ = [
    "CATEGORY_DISPLAY",
    "DISPLAY_BY_SLUG",
    "LANGUAGES",
    "README_BEGIN",
    "README_END",
    "CategoryDisplay",
    "display_name",
    "markdown_table",
]

#: The languages a category is named in.
LANGUAGES: Final = ("pt", "en")
_FILE: Final = "category_display_names.tsv"
_COLUMNS: Final = ("slug", "kind", "name_pt", "name_en", "word_pt", "word_en", "source")
_KINDS: Final = frozenset({"expense", "income", "transfer"})


@dataclass(frozen=True, slots=True)
class CategoryDisplay:
    """One taxonomy slug as people see it.

    ``names`` and ``words`` map a language ("pt", "en") to the display name ("Saúde") and to the
    word a "change category" message names it by ("saúde").
    """

    slug: str
    kind: str
    names: dict[str, str]
    words: dict[str, str]

    def name(self, language: str) -> str:
        """Return the display name in ``language`` (English for any language but "pt")."""
        return self.names["pt" if language == "pt" else "en"]


def _load() -> tuple[CategoryDisplay, ...]:
    """Parse the data file; a malformed file fails at import (ValueError naming the line)."""
    text = files(__package__ or "financy.core.contracts").joinpath(_FILE).read_text(encoding="utf-8")
    lines = text.rstrip("\n").split("\n")
    if tuple(lines[0].split("\t")) != _COLUMNS:
        raise ValueError(f"{_FILE}:1: header must be {'/'.join(_COLUMNS)}")
    out: list[CategoryDisplay] = []
    for lineno, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(_COLUMNS) or any(not f or f != f.strip() for f in fields):
            raise ValueError(f"{_FILE}:{lineno}: expected {len(_COLUMNS)} non-empty fields")
        row = dict(zip(_COLUMNS, fields, strict=True))
        if row["kind"] not in _KINDS:
            raise ValueError(f"{_FILE}:{lineno}: unknown kind {row['kind']!r}")
        out.append(
            CategoryDisplay(
                slug=row["slug"],
                kind=row["kind"],
                names={language: row[f"name_{language}"] for language in LANGUAGES},
                words={language: row[f"word_{language}"] for language in LANGUAGES},
            )
        )
    if len({c.slug for c in out}) != len(out):
        raise ValueError(f"{_FILE}: a slug is listed twice")
    return tuple(out)


#: Every category, in the taxonomy's order.
CATEGORY_DISPLAY: Final[tuple[CategoryDisplay, ...]] = _load()
#: slug -> its display row.
DISPLAY_BY_SLUG: Final[dict[str, CategoryDisplay]] = {c.slug: c for c in CATEGORY_DISPLAY}


def display_name(slug: str | None, language: str) -> str | None:
    """Return the display name of ``slug`` in ``language``, or ``None`` for no or an unknown slug."""
    row = DISPLAY_BY_SLUG.get(slug or "")
    return row.name(language) if row is not None else None


#: The README's category table sits between these two lines (``tests/unit/test_category_names.py``
#: checks it is :func:`markdown_table`).
README_BEGIN: Final = (
    "<!-- categories: generated from src/financy/core/contracts/category_display_names.tsv -->"
)
README_END: Final = "<!-- /categories -->"


def markdown_table() -> str:
    """Return the Markdown table of every slug with its pt and en display names (no markers)."""
    lines = ["| slug | pt | en |", "|---|---|---|"]
    lines += [f"| `{c.slug}` | {c.names['pt']} | {c.names['en']} |" for c in CATEGORY_DISPLAY]
    return "\n".join(lines)
