"""Domain errors. Each carries a stable ``key`` that user-facing layers translate."""

from __future__ import annotations


class FinancyError(Exception):
    """Base of every error the domain raises on purpose."""

    key = "error"


class UnknownCurrencyError(FinancyError):
    """A currency code that is not ISO 4217 (e.g. ``"XYZ"``)."""

    key = "unknown_currency"

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown currency code {code!r}")
        self.code = code


class NotAMemberError(FinancyError):
    """The user has no role in the context they asked about."""

    key = "not_a_member"


class InvalidCredentialsError(FinancyError):
    """Username or password is wrong (never says which)."""

    key = "invalid_credentials"
