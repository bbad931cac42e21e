"""Account security rules (no I/O): TOTP codes, recovery codes, API tokens and their scopes, passwords.

* **TOTP** (RFC 6238, 30-second steps, 6 digits, SHA-1: what authenticator apps expect). A code
  is accepted for the current step and one step either side (clock drift), and only for a step
  later than the last one accepted, so a code seen once cannot be replayed within its window.
* **Recovery codes**: ten per set-up, 12 symbols of Crockford base32 (60 bits) shown as
  ``K7QM-2XPD-H4TA``; typed in any case with or without dashes. Only sha256 hashes are stored
  (the codes are random, not chosen by people, so a slow hash adds nothing).
* **API tokens**: ``fny_`` + 43 url-safe characters (256 bits); only the sha256 is stored, and the
  first 12 characters for people to tell tokens apart. Scopes cap what the user's role allows:
  ``read`` -> :attr:`Action.READ`; ``write`` -> read, record and edit; ``admin`` -> everything.
* **Passwords**: at least :data:`MIN_PASSWORD_LENGTH` characters and not the username.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from enum import StrEnum

import pyotp

from financy.core.domain.authorization import Action
from financy.core.domain.links import ALPHABET

#: Seconds of one TOTP step.
TOTP_STEP_S = 30
#: Steps either side of now a code is accepted for (drift between phone and server clocks).
TOTP_DRIFT_STEPS = 1
#: Recovery codes made by each two-factor set-up.
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 12
#: Prefix of every personal API token (so secret scanners and people recognise them).
API_TOKEN_PREFIX = "fny_"  # noqa: S105  # a prefix, not a secret
#: Characters of a token kept in clear for display (``fny_`` and 8 more).
API_TOKEN_SHOWN = 12
#: Shortest password accepted when one is set, changed or reset.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 4096
#: Issuer shown by authenticator apps.
TOTP_ISSUER = "Financy"

_DROPPED = str.maketrans("", "", "- \t\r\n\u00a0_")
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class Scope(StrEnum):
    """What a personal API token may do, at most (the user's role still decides)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


_SCOPE_ACTIONS: dict[Scope, frozenset[Action]] = {
    Scope.READ: frozenset({Action.READ}),
    Scope.WRITE: frozenset({Action.READ, Action.RECORD, Action.EDIT}),
    Scope.ADMIN: frozenset(Action),
}


def scope_allows(scopes: Iterable[Scope] | None, action: Action) -> bool:
    """Return whether a caller with ``scopes`` may attempt ``action`` (``None``: a sign-in session,
    which any action passes; the role is checked separately)."""
    if scopes is None:
        return True
    return any(action in _SCOPE_ACTIONS[scope] for scope in scopes)


def parse_scopes(values: Iterable[str]) -> frozenset[Scope]:
    """Return the scopes named by ``values``.

    Raises:
        ValueError: an unknown scope name, or none at all.
    """
    found: set[Scope] = set()
    for value in values:
        try:
            found.add(Scope(value))
        except ValueError:
            raise ValueError(f"unknown scope {value!r}: use read, write or admin") from None
    if not found:
        raise ValueError("at least one scope is needed: read, write or admin")
    return frozenset(found)


def sha256_hex(text: str) -> str:
    """Return the sha256 of ``text`` (UTF-8) as 64 lower-case hex digits (how secrets are stored)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- TOTP


def new_totp_secret() -> str:
    """Return a fresh TOTP secret: 32 base32 characters (160 bits, RFC 4226's recommended size)."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, account: str) -> str:
    """Return the ``otpauth://totp/Financy:<account>?secret=..&issuer=Financy`` URI of ``secret``."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=TOTP_ISSUER)


def totp_code(secret: str, at: dt.datetime) -> str:
    """Return the 6-digit code of ``secret`` at ``at`` (aware), as an authenticator shows it."""
    return pyotp.TOTP(secret).at(at)


def totp_step(at: dt.datetime) -> int:
    """Return the TOTP step number of ``at`` (aware): seconds since the epoch // 30."""
    return int(at.timestamp()) // TOTP_STEP_S


def match_totp(secret: str, code: str, at: dt.datetime, *, after_step: int | None) -> int | None:
    """Return the step ``code`` is valid for at ``at`` (within ±:data:`TOTP_DRIFT_STEPS`), or ``None``.

    ``after_step`` is the last step a code was accepted for: only later steps count (a replay
    of an accepted code, or of an earlier one, is ``None``). Spaces in ``code`` are ignored;
    anything but 6 digits is ``None``. Compared in constant time.
    """
    typed = "".join(code.split())
    if len(typed) != 6 or not typed.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp_step(at)
    for step in range(now_step - TOTP_DRIFT_STEPS, now_step + TOTP_DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


def looks_like_totp(code: str) -> bool:
    """Return whether ``code`` has the shape of a TOTP code (6 digits, spaces aside)."""
    typed = "".join(code.split())
    return len(typed) == 6 and typed.isdigit()


# --------------------------------------------------------------------------- recovery codes


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Return ``count`` fresh recovery codes as shown (``"K7QM-2XPD-H4TA"``), all different."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add("".join(secrets.choice(ALPHABET) for _ in range(RECOVERY_CODE_LENGTH)))
    return [f"{c[:4]}-{c[4:8]}-{c[8:]}" for c in sorted(codes)]


def normalize_recovery_code(typed: str) -> str | None:
    """Return the normalised form of a typed recovery code, or ``None`` when it cannot be one."""
    code = typed.strip().upper().translate(_DROPPED).translate(_READ_AS)
    if len(code) != RECOVERY_CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def recovery_code_hash(typed: str) -> str | None:
    """Return the stored form (sha256 hex) of a typed recovery code, or ``None`` if it is not one."""
    code = normalize_recovery_code(typed)
    return None if code is None else sha256_hex(code)


# --------------------------------------------------------------------------- API tokens


def new_api_token() -> str:
    """Return a fresh personal API token: ``fny_`` + 43 url-safe characters (256 bits)."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_api_token(bearer: str) -> bool:
    """Return whether a bearer credential is a personal API token (by its prefix)."""
    return bearer.startswith(API_TOKEN_PREFIX)


def new_reset_token() -> str:
    """Return a fresh one-time password reset token (43 url-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


# --------------------------------------------------------------------------- passwords


class PasswordPolicyError(ValueError):
    """A new password breaks the policy; the message says how."""


def check_password_policy(password: str, username: str | None) -> None:
    """Check a new password: at least :data:`MIN_PASSWORD_LENGTH` characters, at most
    :data:`MAX_PASSWORD_LENGTH`, and not the username (ignoring case and surrounding spaces).

    Raises:
        PasswordPolicyError: the rule it breaks.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")
    if username and password.strip().lower() == username.strip().lower():
        raise PasswordPolicyError("the password may not be the username")
