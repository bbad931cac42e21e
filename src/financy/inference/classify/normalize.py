"""The one text normalisation used by training, inference and the merchant memory.

The ONNX graph cannot reproduce Python's Unicode handling (its regex ``\\w`` is ASCII, its
StringNormalizer needs a locale, and scikit-learn's ``strip_accents`` does not convert), so every
string is normalised in Python *before* it reaches the vectoriser, by this function alone:

1. Unicode NFKD, then combining marks dropped ("farmácia" -> "farmacia", "Ñ" -> "N");
2. a few letters without a decomposition spelled out ("ß" -> "ss", "æ" -> "ae", "ø" -> "o");
3. lower-case;
4. apostrophes removed inside words ("Trader Joe's" -> "trader joes", "McDonald’s" -> "mcdonalds");
5. every run of digits (with its "." / "," groups) becomes one ``0`` ("45,90" -> "0",
   "POSTO 123" -> "posto 0"): amounts and store numbers say nothing about the category;
6. anything that is not ``a-z``, ``0-9``, ``*`` or a space becomes a space (emoji, "$", "-", "."),
   so the result is pure ASCII;
7. spaces collapsed and trimmed.

``*`` is kept because card descriptors use it to join an acquirer prefix and a merchant
("UBER *TRIP", "PAG*JoseDaSilva"); the vectoriser's token pattern treats it as a separator.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["model_input", "normalize"]

_SPELLED: Final = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "º": "o",
        "ª": "a",
    }
)
_APOSTROPHE_RE: Final = re.compile(r"(?<=[a-z0-9])['’`´](?=[a-z])")
_NUMBER_RE: Final = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_OTHER_RE: Final = re.compile(r"[^a-z0-9* ]+")
_SPACES_RE: Final = re.compile(r" {2,}")


def normalize(text: str) -> str:
    """Return ``text`` folded to the ASCII form the category model and the memory key on.

    Args:
        text: any string (a chat line, a merchant, a statement descriptor).

    Returns:
        Lower-case ASCII made of ``a-z``, ``0-9``, ``*`` and single spaces, without leading or
        trailing space; ``""`` when nothing usable remains (an emoji alone). Never raises.

    Examples:
        >>> normalize("Gastei R$ 45,90 na FARMÁCIA 💊")
        'gastei r 0 na farmacia'
        >>> normalize("UBER *TRIP 01-01")
        'uber *trip 0 0'
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    stripped = _APOSTROPHE_RE.sub("", stripped)
    stripped = _NUMBER_RE.sub("0", stripped)
    ascii_only = _OTHER_RE.sub(" ", stripped)
    return _SPACES_RE.sub(" ", ascii_only).strip()


def model_input(text: str) -> str:
    """Return the string the category model is fed: :func:`normalize`, padded with one space.

    The padding lets the character n-grams mark where the first and last words start and end
    (" posto" vs "posto"), as the inner words already do; the word tokens are unaffected.
    Training and inference both call this, so they cannot drift apart.
    """
    return f" {normalize(text)} "
