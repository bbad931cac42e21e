"""The committed training set: ``data/categories.tsv`` (text, category, language, source).

The file is written by :mod:`financy.inference.classify.build_dataset` (deterministic, fixed seed)
and committed; this module only reads it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from financy.inference.taxonomy import CATEGORY_SLUGS

__all__ = [
    "CATEGORY_SLUGS",
    "COLUMNS",
    "DATASET_PATH",
    "LANGUAGES",
    "Example",
    "default_dataset",
    "load_examples",
]

#: Languages a dataset line may be in.
LANGUAGES: Final = ("pt", "en")
#: TSV header, in order.
COLUMNS: Final = ("text", "category", "language", "source")
#: The committed dataset.
DATASET_PATH: Final = Path(__file__).resolve().parent / "data" / "categories.tsv"


@dataclass(frozen=True, slots=True)
class Example:
    """One dataset line.

    Attributes:
        text: the line as a user or a bank would write it (accents, case and emoji kept).
        category: a :data:`CATEGORY_SLUGS` slug.
        language: "pt" (pt-BR) or "en".
        source: how the line was made: "template", "descriptor" or "handwritten".
    """

    text: str
    category: str
    language: str
    source: str


def load_examples(path: Path = DATASET_PATH) -> list[Example]:
    """Read a dataset TSV.

    Args:
        path: a UTF-8 TSV with the :data:`COLUMNS` header; fields hold no tabs or newlines, so
            it is read without quoting.

    Returns:
        The lines in file order.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: a wrong header, a short row, an unknown category or language (message names
            the line number).
    """
    examples: list[Example] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or tuple(header) != COLUMNS:
            raise ValueError(f"{path}: header must be {'/'.join(COLUMNS)}, got {header!r}")
        for lineno, row in enumerate(reader, start=2):
            if len(row) != len(COLUMNS):
                raise ValueError(f"{path}:{lineno}: expected {len(COLUMNS)} fields, got {len(row)}")
            text, category, language, source = row
            if category not in CATEGORY_SLUGS:
                raise ValueError(f"{path}:{lineno}: unknown category {category!r}")
            if language not in LANGUAGES:
                raise ValueError(f"{path}:{lineno}: unknown language {language!r}")
            examples.append(Example(text, category, language, source))
    return examples


def default_dataset() -> list[tuple[str, str]]:
    """Return the committed dataset as ``(text, category)`` pairs, in file order (thousands)."""
    return [(example.text, example.category) for example in load_examples()]
