"""Telegram's text offsets: message entities count UTF-16 code units, not Python characters.

An emoji outside the Basic Multilingual Plane (😀, most of them) is one Python character but two
UTF-16 code units, so ``text[offset:offset + length]`` after such an emoji slices the wrong
characters. These helpers convert.
"""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units (a character above U+FFFF counts 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_to_index(text: str, units: int) -> int:
    """Return the Python index of the character at UTF-16 offset ``units`` in ``text``.

    An offset past the end gives ``len(text)``; one that falls inside a surrogate pair (a
    malformed entity) gives the index after that character. Negative offsets give 0.
    """
    if units <= 0:
        return 0
    counted = 0
    for index, ch in enumerate(text):
        if counted >= units:
            return index
        counted += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def utf16_slice(text: str, offset: int, length: int) -> str:
    """Return the part of ``text`` an entity names: ``length`` UTF-16 code units from ``offset``."""
    start = utf16_to_index(text, offset)
    end = utf16_to_index(text, offset + max(0, length))
    return text[start:end]


def utf16_remove(text: str, offset: int, length: int) -> str:
    """Return ``text`` without the ``length`` UTF-16 code units at ``offset`` (an entity cut out)."""
    start = utf16_to_index(text, offset)
    end = utf16_to_index(text, offset + max(0, length))
    return text[:start] + text[end:]


def utf16_boundary(text: str, units: int) -> bool:
    """Return whether UTF-16 offset ``units`` falls between two characters of ``text`` (or at an end).

    False for a negative offset, one past the end, or one inside a surrogate pair (the middle of a
    character above U+FFFF): an entity starting or ending there is malformed.
    """
    if units < 0:
        return False
    counted = 0
    for ch in text:
        if counted >= units:
            return counted == units
        counted += 2 if ord(ch) > 0xFFFF else 1
    return counted == units
