"""Argon2id password hashing: round trip, mismatch, damaged hashes and parameter upgrades."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from financy.core.adapters.passwords import hash_password, needs_rehash, verify_password


def test_hash_verifies_only_the_same_password() -> None:
    digest = hash_password("correct horse battery staple")
    assert digest.startswith("$argon2id$")
    assert "correct horse" not in digest
    assert verify_password(digest, "correct horse battery staple")
    assert not verify_password(digest, "correct horse battery stapl")
    assert not verify_password(digest, "")


def test_same_password_hashes_differently_each_time() -> None:
    """GIVEN one password WHEN hashed twice THEN the salts differ, so the hashes differ."""
    first, second = hash_password("senha-da-familia"), hash_password("senha-da-familia")
    assert first != second
    assert verify_password(first, "senha-da-familia")
    assert verify_password(second, "senha-da-familia")


def test_unicode_passwords_round_trip() -> None:
    digest = hash_password("pão de açúcar 🍞")
    assert verify_password(digest, "pão de açúcar 🍞")
    assert not verify_password(digest, "pao de acucar 🍞")


@pytest.mark.parametrize(
    "damaged", [None, "", "plain-text", "$argon2id$v=19$m=65536,t=3,p=4$broken", "$2b$12$abc"]
)
def test_missing_or_damaged_hash_is_a_mismatch(damaged: str | None) -> None:
    assert verify_password(damaged, "anything") is False


def test_current_hash_needs_no_rehash() -> None:
    assert needs_rehash(hash_password("x" * 12)) is False


def test_weaker_parameters_need_rehash() -> None:
    """GIVEN a hash made with older, cheaper parameters THEN it still verifies and asks for a rehash."""
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("old password")
    assert verify_password(old, "old password")
    assert needs_rehash(old) is True


def test_damaged_hash_needs_rehash() -> None:
    assert needs_rehash("not-a-hash") is True
