"""One-time link codes: how a chat identity is linked to a signed-in account (no I/O).

A code is 8 characters of Crockford's base32 (``0-9`` and ``A-Z`` without ``I L O U``), 40 bits
from :mod:`secrets`, shown as ``K7QM-2XPD``. Only the sha256 of its normalised form is stored;
what people type is normalised the Crockford way (upper case, dashes and spaces dropped,
``O`` read as ``0``, ``I`` and ``L`` as ``1``), so "k7qm 2xpd" and "K7QM-2XPD" are one code.
"""

from __future__ import annotations

import hashlib
import secrets

#: Crockford's base32 alphabet (32 symbols, no I, L, O or U).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Symbols in a code (5 bits each: 40 bits).
CODE_LENGTH = 8
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DROPPED = str.maketrans("", "", "- \t\r\n\u00a0_")


def new_code() -> str:
    """Return a fresh code as shown to people (``"K7QM-2XPD"``)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return shown_code(raw)


def shown_code(code: str) -> str:
    """Return normalised ``code`` with a dash in the middle (``"K7QM2XPD"`` -> ``"K7QM-2XPD"``)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_code(typed: str) -> str | None:
    """Return what ``typed`` names as a normalised code (8 symbols of :data:`ALPHABET`), or ``None``
    when it cannot be a code (wrong length, or a symbol outside the alphabet after normalising)."""
    code = typed.strip().upper().translate(_DROPPED).translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def code_hash(code: str) -> str:
    """Return the stored form of normalised ``code``: its sha256 as 64 lower-case hex digits."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()
