"""Test-split rows whose merchant/payee name we had already used while building: they belong to dev.

A third-party descriptor or message is a fair test of a name only if that name was never in our
vocabularies or our training data. This module decides, once, which rows of the third-party test
sets fail that, against the vocabularies and training data as they were *before* the split work
(commit :data:`REFERENCE_COMMIT`), and writes them to :data:`SEEN_PATH` (a TSV: ``set``, ``id``,
``name``, ``reason``, ``seen_as``). ``tests/eval/splits.py`` moves those rows to the dev sets
``messages2-seen`` and ``descriptors-seen``; the list is pinned by the test-split manifest, so a row
cannot move silently.

Reasons:

* ``name_in_vocabulary:<file>`` — the name, as whole words after ``leak_key``, is inside a row of that
  vocabulary file (``seen_as``: the row);
* ``name_in_training:classify/data/categories.tsv`` — the same, inside a line of the training set
  then committed;
* ``vocabulary_name_inside:<file>`` — a proper name of our merchant or brand lists (4+ letters) is
  inside the descriptor as whole words ("PORTILLOS HOT DOGS #01" holds the brand "portillos").

``python -m tests.eval.seen --write`` recomputes the list from git (needs the commit); do it only
deliberately, then refreeze the manifest (``python -m tests.eval.splits --freeze``).
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
SEEN_PATH: Final = ROOT / "tests" / "eval" / "seen_names.tsv"
#: The last commit before the split work: its vocabularies and training set are "what we had used".
REFERENCE_COMMIT: Final = "6781d0b"
#: The vocabulary files, relative to ``src/financy/inference``, in the order reasons are given
#: (proper-name lists first); the training set comes last.
VOCABULARIES: Final = (
    "text/data/merchants.tsv",
    "classify/data/brands.tsv",
    "classify/data/vocabularies.tsv",
    "classify/data/business_heads.tsv",
    "classify/data/handwritten.tsv",
    "classify/data/word_lists.tsv",
    "classify/data/templates.tsv",
    "text/data/category_names.tsv",
    "text/data/category_phrases.tsv",
    "text/data/category_words.tsv",
    "text/data/category_words_by_language.tsv",
    "text/data/currency_words.tsv",
    "text/data/not_payment_phrases.tsv",
    "text/data/number_words.tsv",
    "text/data/payment_phrases.tsv",
    "text/data/payment_words.tsv",
    "text/data/word_lists.tsv",
)
TRAINING: Final = "classify/data/categories.tsv"
#: Proper-name lists searched inside descriptors (the reverse direction).
PROPER_NAMES: Final = {"text/data/merchants.tsv": "name", "classify/data/brands.tsv": "brand"}
#: Columns holding words or names (the others are labels: category, language, list, source...).
TEXT_COLUMNS: Final = frozenset({"brand", "head", "text", "template", "term", "name", "phrase", "word"})
COLUMNS: Final = ("set", "id", "name", "reason", "seen_as")


@dataclass(frozen=True)
class Seen:
    """One test-split row moved to dev: its set, id, the name found, why, and the row it was seen as."""

    set: str
    id: str
    name: str
    reason: str
    seen_as: str


def table_texts(tsv: str) -> list[str]:
    """The word/name columns of each row of a TSV (header first), joined by spaces."""
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [" ".join(v for k, v in row.items() if k in TEXT_COLUMNS and v) for row in rows]


def git_reader(commit: str = REFERENCE_COMMIT) -> Callable[[str], str]:
    """A reader of ``src/financy/inference/<relative>`` as it was at ``commit``.

    Raises (when called):
        subprocess.CalledProcessError: git cannot show the file (no such commit in this clone).
    """

    def read(relative: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:src/financy/inference/{relative}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    return read


def file_reader(relative: str) -> str:
    """``src/financy/inference/<relative>`` as it is in the working tree."""
    return (ROOT / "src" / "financy" / "inference" / relative).read_text(encoding="utf-8")


def find_seen(
    names: Mapping[str, str], read: Callable[[str], str], files: Iterable[str] = (*VOCABULARIES, TRAINING)
) -> list[Seen]:
    """The rows (``set:id`` of ``names``' origins) whose name was in one of ``files`` as ``read`` gives them.

    Args:
        names: origin -> name, as :func:`tests.eval.splits.names_in_test_split` gives them for every
            third-party test row (``"descriptors:desc2-0002"``, ``"messages2:msg2-0369:merchant"``).
        read: relative path -> the file's text.
        files: where to look, in reason order; the first file a row is found in is its reason.

    Returns:
        One entry per row, sorted by set and id.
    """
    from financy.inference.classify.leaks import MIN_NAME_LETTERS, leak_key, name_leaks

    found: dict[tuple[str, str], Seen] = {}

    def note(origin: str, reason: str, seen_as: str) -> None:
        set_name, row_id = origin.split(":")[:2]
        found.setdefault((set_name, row_id), Seen(set_name, row_id, names[origin], reason, seen_as))

    for relative in files:
        texts = table_texts(read(relative))
        kind = "name_in_training" if relative == TRAINING else "name_in_vocabulary"
        for leak in name_leaks(texts, names):
            note(leak.where, f"{kind}:{relative}", leak.training)
    for relative, column in PROPER_NAMES.items():
        rows = csv.DictReader(io.StringIO(read(relative)), delimiter="\t", quoting=csv.QUOTE_NONE)
        proper = sorted({leak_key(row[column]) for row in rows} - {""})
        proper = [p for p in proper if len(p.replace(" ", "")) > MIN_NAME_LETTERS]
        for origin, name in names.items():
            if not origin.startswith("descriptors:"):
                continue
            padded = f" {leak_key(name)} "
            for key in proper:
                if f" {key} " in padded:
                    note(origin, f"vocabulary_name_inside:{relative}", key)
                    break
    return sorted(found.values(), key=lambda s: (s.set, s.id))


def load(path: Path = SEEN_PATH) -> list[Seen]:
    """The committed list."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Seen(**{c: row[c] for c in COLUMNS}) for row in rows]


def seen_ids(path: Path = SEEN_PATH) -> dict[tuple[str, str], str]:
    """(set, id) -> reason of every committed row."""
    return {(s.set, s.id): s.reason for s in load(path)}


def write(seen: Iterable[Seen], path: Path = SEEN_PATH) -> None:
    """Write the list (tabs and newlines inside a field become spaces)."""
    lines = ["\t".join(COLUMNS)]
    for s in seen:
        lines.append("\t".join(" ".join(str(getattr(s, c)).split()) for c in COLUMNS))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Print the committed list's counts per reason; ``--write`` recomputes it from git first."""
    parser = argparse.ArgumentParser(prog="python -m tests.eval.seen", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--write", action="store_true", help=f"recompute {SEEN_PATH.name} at {REFERENCE_COMMIT}"
    )
    args = parser.parse_args(argv)
    if args.write:
        from tests.eval.splits import names_in_test_split

        write(find_seen(names_in_test_split(include_seen=True), git_reader()))
    seen = load()
    for (set_name, reason), count in sorted(Counter((s.set, s.reason) for s in seen).items()):
        print(f"{set_name:12} {reason:55} {count:4}")
    print(f"{len(seen)} rows moved from test to dev")
    return 0


if __name__ == "__main__":
    sys.exit(main())
