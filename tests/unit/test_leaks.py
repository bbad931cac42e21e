"""Leak checks between the category model's training set and the evaluation, and the frozen test split.

The checks run on the committed data (they fail when a leak comes back) and on copies of it with a
leak planted (to prove they can fail).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from financy.inference.classify import load_examples
from financy.inference.classify.build_dataset import LeakGuard, build, default_guard
from financy.inference.classify.dataset import DATASET_PATH
from financy.inference.classify.leaks import leak_key, name_leaks, near_duplicates
from tests.eval import splits


@pytest.fixture(scope="module")
def training() -> list[str]:
    return [example.text for example in load_examples()]


@pytest.fixture(scope="module")
def evaluation() -> dict[str, str]:
    return {f"{line.set}:{line.id}": line.text for line in splits.labelled_lines("dev", "test")}


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    return splits.names_in_test_split()


# --- the key -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AMAZON MKTPLACE PMTS 124", "amazon mktplace pmts"),
        ("Pão de Açúcar", "pao de acucar"),
        ("Applebee's", "applebees"),
        ("McDonald’s #123", "mcdonalds"),
        ("C&A", "c a"),
        ("  UBER *TRIP 01-01 🚕 ", "uber trip"),
        ("123 456", ""),
    ],
)
def test_leak_key(text: str, expected: str) -> None:
    assert leak_key(text) == expected


# --- the committed data has no leak -----------------------------------------------------------------


def test_no_training_line_near_duplicates_a_dev_or_test_line(
    training: list[str], evaluation: dict[str, str]
) -> None:
    """GIVEN every dev and test text line WHEN compared with every training line after digits,
    punctuation, accents and case are removed THEN none is equal."""
    assert len(evaluation) > 1500
    found = near_duplicates(training, evaluation)
    assert not found, found[:10]


def test_no_test_split_name_inside_a_training_line(training: list[str], names: dict[str, str]) -> None:
    """GIVEN the test split's merchant/payee names (descriptors, labelled merchants) WHEN searched
    as whole words in every training line THEN none is found."""
    assert len(names) > 300
    found = name_leaks(training, names)
    assert not found, found[:10]


# --- the checks can fail ----------------------------------------------------------------------------


def test_a_planted_near_duplicate_is_reported(
    tmp_path: Path, training: list[str], evaluation: dict[str, str]
) -> None:
    """GIVEN a copy of the dataset with a test line planted in another case, with other digits and
    punctuation and without accents WHEN checked THEN the check names that line."""
    copy = tmp_path / "categories.tsv"
    shutil.copy(DATASET_PATH, copy)
    origin, text = next((k, v) for k, v in evaluation.items() if k.startswith("messages2:") and "ç" in v)
    planted = (text.upper().replace("Ç", "C") + " 999,99 !!").replace("Ã", "A")
    with copy.open("a", encoding="utf-8") as handle:
        handle.write(f"{planted}\trestaurants\tpt\ttemplate\n")
    lines = [example.text for example in load_examples(copy)]
    found = near_duplicates(lines, evaluation)
    assert found
    assert {d.training for d in found} == {planted}
    assert origin in {d.where for d in found}


def test_a_planted_test_name_is_reported(training: list[str], names: dict[str, str]) -> None:
    """GIVEN a copy of the training lines with one that names a test descriptor inside a sentence
    WHEN checked THEN the check reports it; a longer word that merely starts with it is not."""
    where, name = next((k, v) for k, v in names.items() if v == "Drogasil")
    lines = [*training, "comprei remedio na DROGASIL centro 45,90", "drogasilva 10"]
    found = name_leaks(lines, names)
    assert [(leak.training, leak.name, leak.where) for leak in found] == [
        ("comprei remedio na DROGASIL centro 45,90", name, where)
    ]


def test_build_drops_what_the_guard_names() -> None:
    """GIVEN a guard with one evaluation line and one name WHEN the dataset is built THEN no kept line
    near-duplicates the line or contains the name, and the drops are counted."""
    unguarded, _ = build(None)
    assert any(" uber " in f" {leak_key(row.text)} " for row in unguarded)
    guard = LeakGuard(evaluation={"x:1": unguarded[0].text}, names={"x:2": "Uber"})
    rows, stats = build(guard)
    assert stats.excluded > 10
    assert all(" uber " not in f" {leak_key(row.text)} " for row in rows)
    assert all(leak_key(row.text) != leak_key(unguarded[0].text) for row in rows)


def test_the_committed_dataset_is_what_the_guarded_build_writes(training: list[str]) -> None:
    """The committed TSV is the build with the repository's guard (rebuilt when a split changes)."""
    rows, _ = build(default_guard())
    assert [row.text for row in rows] == training


# --- the split ---------------------------------------------------------------------------------------


def test_every_labelled_line_has_a_source_and_a_split() -> None:
    lines = list(splits.labelled_lines())
    assert {line.split for line in lines} == {"dev", "test"}
    assert all(line.source and line.split in ("dev", "test") for line in lines)


def test_the_test_split_is_third_party_only() -> None:
    """No set written by us is in test, and every test line names a third-party source."""
    for labelled in splits.SETS:
        if labelled.split == "test":
            assert not labelled.source.startswith("financy"), labelled.name
    test_lines = list(splits.labelled_lines("test"))
    assert len(test_lines) > 1000
    assert all("github.com" in line.source for line in test_lines)


def test_the_frozen_test_split_is_unchanged() -> None:
    """GIVEN the committed manifest WHEN every test file is hashed again THEN nothing differs (a
    deliberate change refreezes: python -m tests.eval.splits --freeze)."""
    assert splits.fingerprint() == splits.frozen()


def test_a_changed_test_line_fails_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a copy of the repository's test files with one line changed WHEN fingerprinted THEN it
    differs from the manifest in that file only."""
    for labelled in splits.SETS:
        if labelled.split == "test":
            for relative in labelled.paths:
                (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(splits.ROOT / relative, tmp_path / relative)
    target = "tests/fixtures/messages2/descriptors.jsonl"
    rows = (tmp_path / target).read_text(encoding="utf-8").splitlines()
    row = json.loads(rows[0])
    row["category"] = "shopping" if row["category"] != "shopping" else "groceries"
    rows[0] = json.dumps(row, ensure_ascii=False)
    (tmp_path / target).write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(splits, "ROOT", tmp_path)
    now = splits.fingerprint()
    frozen = splits.frozen()
    assert [path for path in frozen if now[path] != frozen[path]] == [target]
