"""The category taxonomy's slugs (DESIGN §4), in its order: stable ids every reader and model uses.

Also the groups of categories a question may name together ("comida"/"food": groceries and
restaurants), read from ``data/category_groups.tsv``: :data:`CATEGORY_GROUPS`, :data:`GROUP_BY_WORD`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from financy.inference.tables import SOURCE, TableError, read_table

CATEGORY_SLUGS: Final[tuple[str, ...]] = (
    "groceries",
    "restaurants",
    "transport",
    "fuel",
    "housing",
    "utilities",
    "health",
    "education",
    "entertainment",
    "shopping",
    "travel",
    "subscriptions",
    "personal_care",
    "pets",
    "gifts_donations",
    "taxes_fees",
    "salary",
    "other_income",
    "transfer",
    "other",
)


# --- groups of categories for questions ("comida" is groceries and restaurants) ----------------


@dataclass(frozen=True, slots=True)
class CategoryGroup:
    """Categories a question may name together: ``slug`` ("food"), its ``members`` (taxonomy
    slugs, in the taxonomy's order) and the folded words naming it per language."""

    slug: str
    members: tuple[str, ...]
    words: dict[str, tuple[str, ...]]


def _groups() -> dict[str, CategoryGroup]:
    """Read ``data/category_groups.tsv`` (group, members, language, words, source; members
    ``,``-separated, words ``|``-separated and folded).

    Raises:
        TableError: a member that is no taxonomy slug, or one group with two member lists.
    """
    members: dict[str, tuple[str, ...]] = {}
    words: dict[str, dict[str, tuple[str, ...]]] = {}
    origin = "financy.inference:data/category_groups.tsv"
    for row in read_table("financy.inference", "data/category_groups.tsv", _GROUP_COLUMNS):
        slug, found = row["group"], tuple(row["members"].split(","))
        if any(m not in CATEGORY_SLUGS for m in found):
            raise TableError(f"{origin}: group {slug!r} has a member that is no category: {found!r}")
        if members.setdefault(slug, found) != found:
            raise TableError(f"{origin}: group {slug!r} has two member lists")
        words.setdefault(slug, {})[row["language"]] = tuple(row["words"].split("|"))
    return {
        slug: CategoryGroup(slug, tuple(s for s in CATEGORY_SLUGS if s in found), words[slug])
        for slug, found in members.items()
    }


_GROUP_COLUMNS: Final = ("group", "members", "language", "words", SOURCE)

#: group slug -> the group ("food": groceries and restaurants, "transport": transport and fuel,
#: "home": housing and utilities), from ``data/category_groups.tsv``.
CATEGORY_GROUPS: Final[dict[str, CategoryGroup]] = _groups()

#: folded word or phrase naming a group (any language) -> group slug.
GROUP_BY_WORD: Final[dict[str, str]] = {
    word: group.slug for group in CATEGORY_GROUPS.values() for words in group.words.values() for word in words
}
