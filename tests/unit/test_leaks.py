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
from tests.eval import seen, splits

REASONS = {"name_in_vocabulary", "name_in_training", "vocabulary_name_inside"}


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
    assert len(names) > 100
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
    where, name = next((k, v) for k, v in names.items() if v == "Zaffari")
    lines = [*training, "compras no ZAFFARI centro 245,90", "zaffarinho 10"]
    found = name_leaks(lines, names)
    assert [(leak.training, leak.name, leak.where) for leak in found] == [
        ("compras no ZAFFARI centro 245,90", name, where)
    ]


def test_a_name_moved_to_dev_is_not_a_test_name(names: dict[str, str]) -> None:
    """GIVEN "Uber", a descriptor moved to dev because our vocabularies held it WHEN the training
    lines are checked THEN "paguei 23 no uber" is no leak (only names left in test are)."""
    assert ("descriptors", "desc2-0073") in seen.seen_ids()
    assert "descriptors:desc2-0073" not in names
    assert not name_leaks(["paguei 23 no uber", "netflix 39,90", "amazon 120"], names)


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
    assert len(test_lines) > 800
    assert all("github.com" in line.source for line in test_lines)


def test_the_frozen_test_split_is_unchanged() -> None:
    """GIVEN the committed manifest WHEN every test file is hashed again THEN nothing differs (a
    deliberate change refreezes: python -m tests.eval.splits --freeze)."""
    assert splits.fingerprint() == splits.frozen()


def _copy_test_files(tmp_path: Path) -> None:
    for labelled in splits.SETS:
        if labelled.split == "test":
            for relative in labelled.paths:
                (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(splits.ROOT / relative, tmp_path / relative)
    (tmp_path / splits.SEEN_LIST).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(splits.ROOT / splits.SEEN_LIST, tmp_path / splits.SEEN_LIST)


def test_a_changed_test_line_fails_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a copy of the repository's test files with one line changed WHEN fingerprinted THEN it
    differs from the manifest in that file only."""
    _copy_test_files(tmp_path)
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


def test_a_row_moved_between_test_and_dev_fails_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a copy of the list of test rows moved to dev with one row taken out (back to test)
    WHEN fingerprinted THEN it differs from the manifest in that list only."""
    _copy_test_files(tmp_path)
    listed = tmp_path / splits.SEEN_LIST
    lines = listed.read_text(encoding="utf-8").splitlines()
    listed.write_text("\n".join([lines[0], *lines[2:]]) + "\n", encoding="utf-8")
    monkeypatch.setattr(splits, "ROOT", tmp_path)
    now = splits.fingerprint()
    frozen = splits.frozen()
    assert [path for path in frozen if now[path] != frozen[path]] == [splits.SEEN_LIST]


# --- test rows whose names we had used are dev --------------------------------------------------------


def test_rows_whose_name_we_had_used_are_dev_not_test() -> None:
    """GIVEN the committed list of third-party rows whose merchant name our vocabularies or training
    data held WHEN the splits are read THEN each is in its dev set "<set>-seen", none in test, and
    the rows not listed stay in test."""
    listed = seen.load()
    assert len(listed) > 200
    assert all(row.reason.split(":")[0] in REASONS for row in listed)
    assert all(row.reason.split(":", 1)[1] in {*seen.VOCABULARIES, seen.TRAINING} for row in listed)
    ids = {(row.set, row.id) for row in listed}
    assert len(ids) == len(listed)
    lines = list(splits.labelled_lines())
    where = {(line.set, line.id): line.split for line in lines}
    for set_name, row_id in ids:
        assert where[(f"{set_name}-seen", row_id)] == "dev"
        assert (set_name, row_id) not in where
    for set_name in ("messages2", "descriptors"):
        test_ids = {line.id for line in lines if line.set == set_name}
        dev_ids = {line.id for line in lines if line.set == f"{set_name}-seen"}
        every = {str(row["id"]) for row in splits.jsonl_rows(splits.by_name(set_name).files()[0])}
        assert test_ids | dev_ids == every
        assert not test_ids & dev_ids
        assert splits.split_of(set_name) == "test"
        assert splits.split_of(f"{set_name}-seen") == "dev"
    assert not any(origin.split(":")[1] in {i for _, i in ids} for origin in splits.names_in_test_split())


def test_the_list_of_rows_moved_to_dev_agrees_with_the_vocabularies() -> None:
    """GIVEN every third-party test row's name WHEN searched in the vocabularies as they are now
    (unchanged since the reference commit) THEN exactly the listed rows with a vocabulary reason are
    found, with that reason: a vocabulary that gains a test name fails here until the list is
    deliberately redone (``python -m tests.eval.seen --write``, then refreeze)."""
    found = seen.find_seen(splits.names_in_test_split(include_seen=True), seen.file_reader, seen.VOCABULARIES)
    listed = [row for row in seen.load() if not row.reason.startswith("name_in_training:")]
    assert [(row.set, row.id, row.reason) for row in found] == [
        (row.set, row.id, row.reason) for row in listed
    ]
    assert not seen.find_seen(splits.names_in_test_split(), seen.file_reader, seen.VOCABULARIES)


def test_find_seen_gives_the_first_file_and_the_reverse_direction() -> None:
    """GIVEN two made-up vocabularies WHEN names are searched THEN a name inside a row is reported
    with the first file holding it, a proper name inside a descriptor with "vocabulary_name_inside",
    and an unknown name not at all."""
    files = {
        "text/data/merchants.tsv": "name\tcategory\tsource\nportillos\trestaurants\tfinancy\n",
        "classify/data/brands.tsv": "country\tcategory\tbrand\tsource\nUS\tgroceries\tkroger fuel\tfinancy\n",
    }
    names = {
        "descriptors:d1": "Kroger",
        "descriptors:d2": "PORTILLOS HOT DOGS #01",
        "descriptors:d3": "Zaffari",
        "messages2:m1:merchant": "portillos",
    }
    found = seen.find_seen(names, files.__getitem__, tuple(files))
    assert [(row.set, row.id, row.reason, row.seen_as) for row in found] == [
        ("descriptors", "d1", "name_in_vocabulary:classify/data/brands.tsv", "kroger fuel"),
        ("descriptors", "d2", "vocabulary_name_inside:text/data/merchants.tsv", "portillos"),
        ("messages2", "m1", "name_in_vocabulary:text/data/merchants.tsv", "portillos"),
    ]
