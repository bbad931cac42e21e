"""Every labelled set the evaluation and the training use, with its source and its split, decided once.

``python -m tests.eval.splits`` prints the split sizes per source; ``--freeze`` rewrites
``tests/eval/test_split.sha256.json``, the manifest of the frozen test split (a sha256 per file, and
per JSONL file the sha256 of its sorted line set). ``tests/unit/test_leaks.py`` recomputes it: a
changed, added or removed test file fails ``make test`` until the manifest is deliberately frozen
again (and the change is said in the commit).

Rules (``README`` of the evaluation says why):

* ``train``: only the category model's dataset (``src/financy/inference/classify/data/``), made
  from Financy's own vocabularies; ``build_dataset`` drops every training line that is a near
  duplicate of a dev/test line or contains a test-split merchant name
  (:mod:`financy.inference.classify.leaks`).
* ``dev``: what was used while building (read to write rules, pinned in unit tests, or written by
  us): our own messages, ``expense_messages`` (a must-pass unit/e2e test), the receipt photos and
  the REWE text pinned in unit tests (and the REWE photo of that same receipt), the speech clips
  pinned in unit tests and the synthetic espeak sentences.
* ``test``: third-party material only, never used to train or to tune rules: messages2 chat
  messages and descriptors, the 2026-12 money phrases, the 2026-12 receipts and the real pt-BR
  speech clips nobody used while building.
* A messages2 message or descriptor whose merchant/payee name our vocabularies or training data
  already held before the split (``tests/eval/seen_names.tsv``, made by :mod:`tests.eval.seen`
  against commit 6781d0b) was effectively seen while building: it is dev (``messages2-seen``,
  ``descriptors-seen``), and only the names left in test are kept out of training.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

ROOT: Final = Path(__file__).resolve().parents[2]
FIXTURES: Final = ROOT / "tests" / "fixtures"
MANIFEST: Final = ROOT / "tests" / "eval" / "test_split.sha256.json"
#: The third-party test rows moved to dev (:mod:`tests.eval.seen`), pinned by the manifest too.
SEEN_LIST: Final = "tests/eval/seen_names.tsv"

Split = Literal["train", "dev", "test"]
Kind = Literal["messages", "descriptors", "receipts", "audio", "training"]
#: Which rows of its files a set holds: all, only those :mod:`tests.eval.seen` lists (names we had
#: used while building), or all but those.
Rows = Literal["all", "seen", "unseen"]


@dataclass(frozen=True)
class LabelledSet:
    """A set of labelled lines or files, all in one split.

    Attributes:
        name: the set's name in the evaluation's tables.
        kind: what it holds.
        split: "train", "dev" or "test".
        paths: its files, relative to the repository root (JSONL/TSV: one labelled line a row;
            receipts/audio: the media and their truth files).
        source: where it comes from (rows of third-party JSONL also carry their own ``source``).
        why: why it is in this split.
        rows: "all" rows of its files, or only the rows of ``seen_as`` that ``tests/eval/seen_names.tsv``
            lists ("seen") or does not list ("unseen").
        seen_as: the set name the rows are listed under in ``seen_names.tsv`` (default: ``name``).
    """

    name: str
    kind: Kind
    split: Split
    paths: tuple[str, ...]
    source: str
    why: str
    rows: Rows = "all"
    seen_as: str = ""

    def holds(self, row_id: str) -> bool:
        """Whether the row ``row_id`` of the set's files belongs to this set."""
        if self.rows == "all":
            return True
        listed = (self.seen_as or self.name, row_id) in _seen()
        return listed if self.rows == "seen" else not listed

    def files(self) -> list[Path]:
        """The set's files, absolute."""
        return [ROOT / path for path in self.paths]


def _listing(folder: str, *suffixes: str) -> tuple[str, ...]:
    directory = ROOT / folder
    return tuple(
        f"{folder}/{path.name}"
        for path in sorted(directory.iterdir())
        if path.is_file() and (not suffixes or path.name.endswith(suffixes))
    )


_DEV_RECEIPTS: Final = (
    "tests/fixtures/receipts/azure_contoso_cafe_photo.jpg",
    "tests/fixtures/receipts/azure_contoso_cafe_photo.receipt_result.json",
    "tests/fixtures/receipts/azure_contoso_surface_photo.jpg",
    "tests/fixtures/receipts/mmocr_wildreceipt_safeway_photo.jpg",
    "tests/fixtures/receipts/receipt_parser_legacy_rewe_de_ocr_text.txt",
    "tests/fixtures/receipts/rpl_rewe_20141204_de.jpg",
    "tests/fixtures/receipts/textractor_megabigbox_rendered.analyze_expense.json",
    "tests/fixtures/receipts/textractor_megabigbox_rendered.jpg",
    "tests/fixtures/receipts/textractor_ph_grocery_photo_no_summary.analyze_expense.json",
    "tests/fixtures/receipts/textractor_ph_grocery_photo_no_summary.png",
)

SETS: Final = (
    LabelledSet(
        "training",
        "training",
        "train",
        ("src/financy/inference/classify/data/categories.tsv",),
        "financy (build_dataset.py from the TSV vocabularies)",
        "the category model's training set",
    ),
    LabelledSet(
        "ours",
        "messages",
        "dev",
        ("tests/eval/messages.jsonl",),
        "financy (tests/eval/messages.jsonl)",
        "written by us while building the reader",
    ),
    LabelledSet(
        "expense_messages",
        "messages",
        "dev",
        ("tests/fixtures/messages/expense_messages.jsonl",),
        "third party (CassieRios, Duckling, price-parser; per row)",
        "a must-pass unit and e2e test (tests/unit/test_reader.py)",
    ),
    LabelledSet(
        "messages2-seen",
        "messages",
        "dev",
        ("tests/fixtures/messages2/messages.jsonl",),
        "third party (M1-M10 of messages2/MANIFEST.md; per row)",
        "third-party chat messages naming a merchant our vocabularies or training data already held "
        "(tests/eval/seen_names.tsv)",
        rows="seen",
        seen_as="messages2",
    ),
    LabelledSet(
        "descriptors-seen",
        "descriptors",
        "dev",
        ("tests/fixtures/messages2/descriptors.jsonl",),
        "third party (D1-D6 of messages2/MANIFEST.md; per row)",
        "third-party descriptors whose name our vocabularies or training data already held "
        "(tests/eval/seen_names.tsv)",
        rows="seen",
        seen_as="descriptors",
    ),
    LabelledSet(
        "messages2",
        "messages",
        "test",
        ("tests/fixtures/messages2/messages.jsonl",),
        "third party (M1-M10 of messages2/MANIFEST.md; per row)",
        "third-party chat messages, never trained on, naming no merchant we had used",
        rows="unseen",
    ),
    LabelledSet(
        "descriptors",
        "descriptors",
        "test",
        ("tests/fixtures/messages2/descriptors.jsonl",),
        "third party (D1-D6 of messages2/MANIFEST.md; per row)",
        "third-party merchant names and descriptors we had never used; their names are kept out of training",
        rows="unseen",
    ),
    LabelledSet(
        "money_phrases",
        "messages",
        "test",
        ("tests/fixtures/money_phrases/collected_2026_12.jsonl",),
        "third party (microsoft/Recognizers-Text, sonos/rustling-ontology; per row)",
        "collected 2026-12, not used while building",
    ),
    LabelledSet(
        "receipts-dev",
        "receipts",
        "dev",
        _DEV_RECEIPTS,
        "third party (tests/fixtures/SOURCES.md)",
        "pinned in unit tests; the REWE photo is the receipt of the REWE OCR text",
    ),
    LabelledSet(
        "receipts-test",
        "receipts",
        "test",
        _listing("tests/fixtures/receipts_test"),
        "third party (SROIE, receipt-parser-legacy, costs_app, mindee; collected_2026_12.expected.json)",
        "collected 2026-12, not used while building",
    ),
    LabelledSet(
        "speech-dev",
        "audio",
        "dev",
        _listing("tests/fixtures/audio"),
        "third party (tests/fixtures/SOURCES.md) + espeak-ng sentences made at run time",
        "pinned in unit tests; the espeak sentences were written with the speech prompt",
    ),
    LabelledSet(
        "speech-test",
        "audio",
        "test",
        _listing("tests/fixtures/audio_test"),
        "third party (Edresson/TTS-Portuguese-Corpus CC-BY-4.0, falabrasil/ufpalign MIT)",
        "real pt-BR speech not used while building",
    ),
)


@functools.cache
def _seen() -> frozenset[tuple[str, str]]:
    from tests.eval.seen import seen_ids

    return frozenset(seen_ids(ROOT / SEEN_LIST))


def by_name(name: str) -> LabelledSet:
    """The set called ``name``.

    Raises:
        KeyError: no such set.
    """
    for labelled in SETS:
        if labelled.name == name:
            return labelled
    raise KeyError(name)


def split_of(name: str) -> Split:
    """The split of the set called ``name`` (KeyError when unknown)."""
    return by_name(name).split


def jsonl_rows(path: Path) -> list[dict[str, object]]:
    """The JSON objects of a JSONL file, in order (blank lines skipped)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class Line:
    """One labelled line with its provenance: set, id, text, source and split."""

    set: str
    id: str
    text: str
    source: str
    split: Split


def labelled_lines(*splits: Split) -> Iterator[Line]:
    """Every labelled text line (messages and descriptors) of the given splits (all when none)."""
    for labelled in SETS:
        if labelled.kind not in ("messages", "descriptors") or (splits and labelled.split not in splits):
            continue
        for path in labelled.files():
            for index, row in enumerate(jsonl_rows(path)):
                text = row.get("text")
                if isinstance(text, str) and labelled.holds(str(row.get("id", index))):
                    source = row.get("source")
                    yield Line(
                        labelled.name,
                        str(row.get("id", index)),
                        text,
                        str(source) if source else labelled.source,
                        labelled.split,
                    )


def names_in_test_split(*, include_seen: bool = False) -> dict[str, str]:
    """Merchant/payee names of the test split: origin -> name.

    Descriptor texts (each is a merchant name or a card descriptor), ``expected_merchant`` of the
    test messages and their ``vendor_name`` entities (Rasa). Origins are ``set:id[:field]``.

    Args:
        include_seen: also the rows ``tests/eval/seen_names.tsv`` moved to dev (what
            :mod:`tests.eval.seen` searches); by default only the rows left in test.
    """
    names: dict[str, str] = {}
    for labelled in SETS:
        if labelled.split != "test" or labelled.kind not in ("messages", "descriptors"):
            continue
        for path in labelled.files():
            for row in jsonl_rows(path):
                if not include_seen and not labelled.holds(str(row.get("id"))):
                    continue
                row_id = f"{labelled.name}:{row.get('id')}"
                if labelled.kind == "descriptors" and isinstance(row.get("text"), str):
                    names[row_id] = str(row["text"])
                merchant = row.get("expected_merchant")
                if isinstance(merchant, str) and merchant:
                    names[f"{row_id}:merchant"] = merchant
                entities = row.get("entities")
                for number, entity in enumerate(entities if isinstance(entities, list) else []):
                    if isinstance(entity, dict) and entity.get("entity") == "vendor_name":
                        names[f"{row_id}:vendor{number}"] = str(entity.get("text", ""))
    return names


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint() -> dict[str, dict[str, object]]:
    """The test split as the manifest pins it: path -> {sha256, bytes[, lines, line_set_sha256]}.

    The list of test rows moved to dev (``tests/eval/seen_names.tsv``) is pinned too: a row moved in
    or out of the test split changes it.
    """
    out: dict[str, dict[str, object]] = {}
    for labelled in SETS:
        if labelled.split != "test":
            continue
        for path, relative in zip(labelled.files(), labelled.paths, strict=True):
            data = path.read_bytes()
            entry: dict[str, object] = {"set": labelled.name, "sha256": _sha256(data), "bytes": len(data)}
            if path.suffix == ".jsonl":
                lines = sorted(line for line in data.decode("utf-8").splitlines() if line.strip())
                entry["lines"] = len(lines)
                entry["line_set_sha256"] = _sha256("\n".join(lines).encode("utf-8"))
            out[relative] = entry
    data = (ROOT / SEEN_LIST).read_bytes()
    out[SEEN_LIST] = {
        "set": "seen_names (test rows moved to dev)",
        "sha256": _sha256(data),
        "bytes": len(data),
        "lines": len(data.decode("utf-8").splitlines()) - 1,
    }
    return out


def frozen() -> dict[str, dict[str, object]]:
    """The committed manifest's entries (path -> what :func:`fingerprint` gave when frozen)."""
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    files: dict[str, dict[str, object]] = data["files"]
    return files


def freeze() -> None:
    """Rewrite the manifest from the files as they are now (a deliberate act: say why in the commit)."""
    payload = {
        "about": "Frozen test split: sha256 per file, and per JSONL file of its sorted line set. "
        "Regenerate only deliberately: python -m tests.eval.splits --freeze",
        "files": fingerprint(),
    }
    MANIFEST.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def sizes() -> list[tuple[str, str, str, int, str]]:
    """(split, set, kind, count, unit) per set: lines for text sets, media files for the others."""
    out: list[tuple[str, str, str, int, str]] = []
    for labelled in SETS:
        if labelled.kind == "training":
            count = sum(len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in labelled.files())
            unit = "lines"
        elif labelled.kind in ("messages", "descriptors"):
            count = sum(
                1
                for p in labelled.files()
                for index, row in enumerate(jsonl_rows(p))
                if labelled.holds(str(row.get("id", index)))
            )
            unit = "lines"
        else:
            media = (".jpg", ".png", ".txt") if labelled.kind == "receipts" else (".wav", ".flac", ".ogg")
            count = sum(1 for p in labelled.files() if p.suffix in media)
            unit = "files"
        out.append((labelled.split, labelled.name, labelled.kind, count, unit))
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the split sizes; ``--freeze`` rewrites the test-split manifest."""
    parser = argparse.ArgumentParser(prog="python -m tests.eval.splits", description=__doc__.split("\n")[0])
    parser.add_argument("--freeze", action="store_true", help="rewrite tests/eval/test_split.sha256.json")
    args = parser.parse_args(argv)
    if args.freeze:
        freeze()
        print(f"froze {len(fingerprint())} test files into {MANIFEST.relative_to(ROOT)}")
    for split, name, kind, count, unit in sizes():
        print(f"{split:5} {name:18} {kind:11} {count:6} {unit}  ({by_name(name).source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
