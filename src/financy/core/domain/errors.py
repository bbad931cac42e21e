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


class ForbiddenError(FinancyError):
    """The user is a member of the context, but their role does not allow the action."""

    key = "forbidden"

    def __init__(self, role: str, action: str) -> None:
        super().__init__(f"a {role} may not {action.replace('_', ' ')} in this context")
        self.role = role
        self.action = action


class InvalidCredentialsError(FinancyError):
    """Username or password is wrong (never says which)."""

    key = "invalid_credentials"


class UsernameTakenError(FinancyError):
    """Another user already has this username (usernames are compared case-insensitively)."""

    key = "username_taken"

    def __init__(self, username: str) -> None:
        super().__init__(f"username {username!r} is taken")
        self.username = username


class InvalidUsernameError(FinancyError):
    """A username that is empty, too long, or has characters other than letters, digits and ``._@-``."""

    key = "invalid_username"

    def __init__(self, username: str) -> None:
        super().__init__(f"invalid username {username!r}: use 1-64 letters, digits, '.', '_', '@' or '-'")
        self.username = username


class WeakPasswordError(FinancyError):
    """A password shorter than the minimum length."""

    key = "weak_password"

    def __init__(self, min_length: int) -> None:
        super().__init__(f"password must have at least {min_length} characters")
        self.min_length = min_length


class UnknownTimeZoneError(FinancyError):
    """A time zone name that is not in the IANA database (e.g. ``"Mars/Base"``)."""

    key = "unknown_time_zone"

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown time zone {name!r}")
        self.name = name


class IdentityTakenError(FinancyError):
    """The chat identity (platform + platform user id) already belongs to another user."""

    key = "identity_taken"

    def __init__(self, platform: str, platform_user_id: str) -> None:
        super().__init__(f"{platform} user {platform_user_id!r} is already linked to another user")
        self.platform = platform
        self.platform_user_id = platform_user_id


class InvalidFxRateError(FinancyError):
    """An FX rate override that cannot be: not a positive number, or on a transaction already in
    the ledger's base currency (its rate is 1)."""

    key = "invalid_rate"


# --------------------------------------------------------------------------- account security


class AccountError(FinancyError):
    """A refused account-security request; ``http_status`` is what the API answers (400 by default)."""

    key = "account_error"
    http_status = 400


class TotpRequiredError(AccountError):
    """The password was right, but the account has two-factor on and no code came with it."""

    key = "totp_required"
    http_status = 401


class InvalidTotpError(AccountError):
    """A two-factor or recovery code that is wrong, expired or already used."""

    key = "invalid_code"
    http_status = 401


class WrongPasswordError(AccountError):
    """The current password given to confirm a change is wrong (the caller is signed in)."""

    key = "wrong_password"
    http_status = 403


class TotpStateError(AccountError):
    """Two-factor is not in the state the request needs (already on, not set up, not on)."""

    http_status = 409

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class PasswordRejectedError(AccountError):
    """A new password breaks the policy (too short, the username)."""

    key = "weak_password"


class InvalidResetTokenError(AccountError):
    """A password reset token that does not exist, expired or was used."""

    key = "invalid_reset_token"


class ApiTokenNotFoundError(AccountError):
    """No API token of the caller has that id (another user's never is)."""

    key = "not_found"
    http_status = 404


class UserNotFoundError(AccountError):
    """No login user has that id."""

    key = "not_found"
    http_status = 404
