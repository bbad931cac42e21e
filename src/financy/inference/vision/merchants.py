"""A receipt's merchant line matched against the merchant names we know, tolerating OCR slips.

OCR drops the spaces of a large header ("SUPERMERCADOPAODEACUCAR"), reads letters as digits
("CARREF0UR") or glues the next word on ("LIDLDIENSTAG"). :func:`known_merchant` compares the
line with the names of ``text/data/merchants.tsv`` and ``classify/data/brands.tsv`` (read, never
written) on a *key*: folded (lower case, no accents), only letters and digits, and the confusable
characters mapped together (0/o, 1/i/l, 5/s, 8/b). A name matches when

* its key equals the line's key, or equals the first words of a known name ("carrefour" of
  "carrefour hiper": the line is then named by those words);
* the line is one glued token (no space, 10+ characters) that starts with a known key of 4+
  characters or contains one of 6+ characters (the shop's name with a word before or after it);
* or the keys are at most ``max(1, len // 8)`` edits apart (Levenshtein) for names of 6+ characters.

The longest matching key wins. A line that already reads as the known name (spaces and letters
right) is left as printed: only a corrected line is replaced, by the name in title case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Final

from financy.inference.tables import SOURCE, read_table

__all__ = ["KnownName", "known_merchant", "merchant_key"]

_CONFUSABLE: Final = str.maketrans({"0": "o", "1": "i", "l": "i", "|": "i", "5": "s", "8": "b"})
_SMALL_WORDS: Final = frozenset({"de", "da", "do", "das", "dos", "e", "la", "le", "el", "the", "of", "and"})


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def merchant_key(text: str) -> str:
    """The comparison key of a name: folded, letters and digits only, confusable characters merged
    ("CARREF0UR" and "Carrefour" -> "carrefour"; "LIDL" -> "iidi")."""
    return re.sub(r"[^a-z0-9|]", "", _fold(text)).translate(_CONFUSABLE)


@dataclass(frozen=True)
class KnownName:
    """A known merchant name: its words (folded, as in the data files) and the keys of its first
    1..n words (``prefixes[-1]`` is the whole name's key)."""

    words: tuple[str, ...]
    prefixes: tuple[str, ...]

    def display(self, count: int) -> str:
        """The first ``count`` words in title case ("pao de acucar" -> "Pao de Acucar")."""
        shown = [
            w if (i and w in _SMALL_WORDS) else w[:1].upper() + w[1:]
            for i, w in enumerate(self.words[:count])
        ]
        return " ".join(shown)


def _known(names: Iterable[str]) -> tuple[KnownName, ...]:
    out = []
    for name in names:
        parts = tuple(p for p in re.split(r"[\s\-]+", _fold(name).strip()) if p)
        if not parts:
            continue
        prefixes = tuple(merchant_key("".join(parts[: n + 1])) for n in range(len(parts)))
        out.append(KnownName(parts, prefixes))
    return tuple(out)


@cache
def _default_names() -> tuple[KnownName, ...]:
    merchants = read_table("financy.inference.text", "data/merchants.tsv", ("name", "category", SOURCE))
    brands = read_table(
        "financy.inference.classify", "data/brands.tsv", ("country", "category", "brand", SOURCE)
    )
    return _known([r["name"] for r in merchants] + [r["brand"] for r in brands])


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _hits(key: str, prefix: str, *, whole: bool, glued: bool) -> bool:
    """Whether the line's ``key`` stands for a known name's ``prefix`` (the module's rules)."""
    size = len(prefix)
    if prefix == key:
        return True
    if glued and whole and size >= 4 and key.startswith(prefix):
        return True
    if glued and whole and size >= 6 and prefix in key:
        return True
    if whole and size >= 6:
        limit = max(1, size // 8)
        return _distance(key, prefix, limit) <= limit
    return False


def known_merchant(line: str, names: Iterable[str] | None = None) -> str | None:
    """The known merchant name an OCR'd header line stands for, or None (see the module docstring).

    ``names`` replaces the data files' names (tests). Returns the line itself (as printed) when it
    already reads right, the known name's words in title case when the line needed correcting.
    """
    known = _known(names) if names is not None else _default_names()
    key = merchant_key(line)
    if len(key) < 3:
        return None
    glued = len(line.strip()) >= 10 and " " not in line.strip()
    best: tuple[int, KnownName, int] | None = None  # (matched key length, name, words shown)
    for name in known:
        for count, prefix in enumerate(name.prefixes, start=1):
            whole = count == len(name.prefixes)
            size = len(prefix)
            if size < 3:
                continue
            hit = _hits(key, prefix, whole=whole, glued=glued)
            if hit and (best is None or size > best[0]):
                best = (size, name, count)
    if best is None:
        return None
    _, name, count = best
    shown = name.display(count)
    if _fold(re.sub(r"[^\w\s]", " ", line)).split() == list(name.words[:count]):
        return line.strip()
    return shown
