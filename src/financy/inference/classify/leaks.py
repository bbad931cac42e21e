"""Leak checks between the category model's training lines and the evaluation lines.

Two checks, both on :func:`leak_key` (a stricter form than :func:`normalize`: digits dropped, not
mapped to ``0``, so "AMAZON MKTPLACE PMTS 124" and "AMAZON MKTPLACE PMTS" are the same line):

- :func:`near_duplicates`: a training line whose key equals the key of an evaluation line (dev or
  test). Digits, punctuation, accents and case are gone and spaces collapsed, so a line that differs
  from an evaluation line only by an amount, a store number, an emoji or an accent is caught.
- :func:`name_leaks`: a merchant/payee name of the test split (a descriptor, a labelled merchant)
  appearing as a whole word or words inside a training line ("uber" in "paguei 23 no uber", not in
  "uberlandia").

``build_dataset`` drops the lines these checks report, and ``tests/unit/test_leaks.py`` runs them
on the committed dataset (they fail ``make test`` when a leak comes back) and on planted leaks (to
prove they can fail).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["NameLeak", "NearDuplicate", "leak_key", "leaking_lines", "name_leaks", "near_duplicates"]

_NOT_LETTER: Final = re.compile(r"[^a-z]+")
_SPELLED: Final = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "'": "", "’": "", "`": "", "´": ""}
)


def leak_key(text: str) -> str:
    """Return ``text`` without digits, punctuation, accents or case, spaces collapsed.

    Apostrophes are dropped without a space ("Applebee's" is "applebees"), other punctuation
    becomes a space ("C&A" is "c a").

    Args:
        text: any string.

    Returns:
        Lower-case ``a-z`` words joined by single spaces ("" when no letter remains). Never raises.

    Examples:
        >>> leak_key("AMAZON MKTPLACE PMTS 124")
        'amazon mktplace pmts'
        >>> leak_key("Pão de Açúcar, R$ 45,90!")
        'pao de acucar r'
    """
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_SPELLED))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_LETTER.sub(" ", plain).split())


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    """A training line equal to an evaluation line after :func:`leak_key`.

    Attributes:
        training: the training line as written.
        evaluation: the evaluation line as written.
        where: the evaluation line's origin (e.g. "messages2:msg2-0012").
        key: the shared :func:`leak_key`.
    """

    training: str
    evaluation: str
    where: str
    key: str


@dataclass(frozen=True, slots=True)
class NameLeak:
    """A test-split name found inside a training line (whole words, after :func:`leak_key`).

    Attributes:
        training: the training line as written.
        name: the name as the test split writes it.
        where: the name's origin (e.g. "descriptors:desc2-0012").
    """

    training: str
    name: str
    where: str


def near_duplicates(training: Iterable[str], evaluation: Mapping[str, str]) -> list[NearDuplicate]:
    """Return every training line whose :func:`leak_key` equals an evaluation line's.

    Args:
        training: training texts.
        evaluation: origin -> evaluation text (origins are only reported).

    Returns:
        One entry per (training line, evaluation line) pair, in training order; lines whose key is
        empty (digits or emoji only) are not compared.
    """
    by_key: dict[str, list[tuple[str, str]]] = {}
    for where, text in evaluation.items():
        key = leak_key(text)
        if key:
            by_key.setdefault(key, []).append((where, text))
    found: list[NearDuplicate] = []
    for line in training:
        key = leak_key(line)
        for where, text in by_key.get(key, ()) if key else ():
            found.append(NearDuplicate(line, text, where, key))
    return found


#: Names shorter than this (after :func:`leak_key`) are not searched: "c a" (C&A), "w d" match noise.
MIN_NAME_LETTERS: Final = 3


def name_leaks(training: Iterable[str], names: Mapping[str, str]) -> list[NameLeak]:
    """Return every (training line, test-split name) pair where the name is inside the line.

    A name matches as whole words of the line's :func:`leak_key` ("bar do ze" in "jantei no bar do
    ze"; "uber" not in "uberlandia"). Names with fewer than :data:`MIN_NAME_LETTERS` letters are
    skipped (they are initials, not names).

    Args:
        training: training texts.
        names: origin -> name as written.

    Returns:
        The pairs in training order, names in the order given.
    """
    keyed: list[tuple[str, str, str]] = []
    for where, name in names.items():
        key = leak_key(name)
        if len(key.replace(" ", "")) >= MIN_NAME_LETTERS:
            keyed.append((f" {key} ", name, where))
    if not keyed:
        return []
    # one regex over all names finds the candidates fast; the exact check below keeps overlaps
    pattern = re.compile("|".join(sorted({re.escape(k.strip()) for k, _, _ in keyed}, key=len, reverse=True)))
    found: list[NameLeak] = []
    for line in training:
        padded = f" {leak_key(line)} "
        if not pattern.search(padded):
            continue
        for key, name, where in keyed:
            if key in padded:
                found.append(NameLeak(line, name, where))
    return found


def leaking_lines(
    training: Sequence[str], evaluation: Mapping[str, str], names: Mapping[str, str]
) -> set[str]:
    """The training texts either check reports (what ``build_dataset`` drops)."""
    hits = {d.training for d in near_duplicates(training, evaluation)}
    return hits | {leak.training for leak in name_leaks(training, names)}
