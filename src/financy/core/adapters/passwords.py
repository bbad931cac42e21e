"""Password hashing with Argon2id (argon2-cffi's RFC 9106 low-memory profile: t=3, m=64 MiB, p=4).

Hashes are PHC strings (``$argon2id$v=19$m=65536,t=3,p=4$...``) that carry their own salt and
parameters, so raising the cost later only needs :func:`needs_rehash` at the next login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """Return the Argon2id PHC string of ``password`` with a fresh random salt (takes ~50-100 ms)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return whether ``password`` matches ``password_hash``.

    A missing (``None``), malformed or foreign hash is a mismatch, never an exception, so a
    login form cannot tell "no such user" from "wrong password" by the error it gets.
    """
    if not password_hash:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return whether ``password_hash`` was made with other parameters than the current ones.

    Call it after a successful :func:`verify_password` and store ``hash_password(password)``
    when it returns ``True``. A malformed hash also needs rehashing.
    """
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True
