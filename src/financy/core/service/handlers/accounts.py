"""Account security: sign-in with two-factor codes, TOTP set-up, API tokens, password change and reset.

The rules themselves (codes, scopes, the password policy) are in :mod:`financy.core.domain.accounts`;
these handlers apply them to the stored state in one unit of work each, with the user's row locked
(``SELECT .. FOR UPDATE``), so two requests carrying the same TOTP code cannot both pass. Every
change is an audit event (``user.totp_enabled``, ``user.totp_disabled``, ``user.recovery_code_used``,
``api_token.created``, ``api_token.revoked``, ``user.password_changed``, ``password_reset.issued``,
``user.password_reset``) with no secret in it.

Ending sessions: a password change or reset adds one to the user's ``session_version``; sign-in
tokens carry the version they were issued under and older ones are refused. A reset (the account
may be in someone else's hands) also revokes every API token; a change by the signed-in user
keeps them (each can be revoked on its own).
"""

from __future__ import annotations

import datetime as dt
import uuid

from financy.core.adapters.passwords import hash_password, needs_rehash, verify_password
from financy.core.domain.accounts import (
    API_TOKEN_SHOWN,
    PasswordPolicyError,
    check_password_policy,
    looks_like_totp,
    match_totp,
    new_api_token,
    new_recovery_codes,
    new_reset_token,
    new_totp_secret,
    parse_scopes,
    recovery_code_hash,
    sha256_hex,
    totp_uri,
)
from financy.core.domain.commands import (
    ChangePassword,
    ConfirmTotp,
    CreateApiToken,
    DisableTotp,
    IssuedApiToken,
    IssuedPasswordReset,
    IssuePasswordReset,
    Login,
    LoginResult,
    RedeemPasswordReset,
    RevokeApiToken,
    StartTotp,
    TotpSetup,
)
from financy.core.domain.errors import (
    AccountError,
    ApiTokenNotFoundError,
    InvalidCredentialsError,
    InvalidResetTokenError,
    InvalidTotpError,
    InvalidUsernameError,
    PasswordRejectedError,
    TotpRequiredError,
    TotpStateError,
    UserNotFoundError,
    WrongPasswordError,
)
from financy.core.domain.events import Event
from financy.core.service.handlers.users import _dummy_hash, normalize_username
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork, UserSecurity
from financy.runtime.ids import uuid7

#: Longest a password reset token may live (the admin route asks for less).
MAX_RESET_TTL_S = 7 * 24 * 3600


class NotInstanceAdminError(AccountError):
    """Only an instance admin (``users.is_admin``) may do this."""

    key = "forbidden"
    http_status = 403


class InvalidApiTokenRequestError(AccountError):
    """A token name or scope list that cannot be used."""

    key = "bad_request"


def _aware(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(dt.UTC)


def _user(uow: AbstractUnitOfWork, user_id: uuid.UUID) -> UserSecurity:
    sec = uow.accounts.security_of(user_id)
    if sec is None or sec.username is None:
        raise UserNotFoundError("no such user")
    return sec


def _event(name: str, actor: uuid.UUID | None, user_id: uuid.UUID, **after: object) -> Event:
    return Event(name, None, actor, "user", user_id, after=dict(after) or None)


def _second_factor(uow: AbstractUnitOfWork, sec: UserSecurity, code: str, now: dt.datetime) -> bool:
    """Check ``code`` (a TOTP code or a recovery code) for ``sec``; return whether a recovery code
    was used (it is then spent). A TOTP code moves the last accepted step (no replay).

    Raises:
        InvalidTotpError: wrong, out of its window, replayed, or a recovery code already used.
    """
    assert sec.totp_secret is not None
    if looks_like_totp(code):
        step = match_totp(sec.totp_secret, code, now, after_step=sec.totp_last_step)
        if step is None:
            raise InvalidTotpError("the two-factor code is wrong, expired or was already used")
        uow.accounts.set_totp_step(sec.id, step)
        return False
    hashed = recovery_code_hash(code)
    if hashed is None or not uow.accounts.use_recovery_code(sec.id, hashed, now):
        raise InvalidTotpError("the recovery code is wrong or was already used")
    uow.record(
        _event("user.recovery_code_used", sec.id, sec.id, left=uow.accounts.recovery_codes_left(sec.id))
    )
    return True


def login(cmd: Login, uow: AbstractUnitOfWork) -> LoginResult:
    """Check username, password and, when two-factor is on, ``cmd.code``; return who signed in.

    An unknown username costs the same Argon2 verification as a wrong password, and both say the
    same. ``totp_required`` is said only after the password was right.

    Raises:
        InvalidCredentialsError: unknown or malformed username, or wrong password.
        TotpRequiredError: two-factor is on and no code came.
        InvalidTotpError: the code is wrong, out of its window, replayed or a spent recovery code.
    """
    now = _aware(cmd.now)
    try:
        name: str | None = normalize_username(cmd.username)
    except InvalidUsernameError:
        name = None
    sec = uow.accounts.security_of_username(name) if name is not None else None
    if sec is None or not sec.password_hash:
        verify_password(_dummy_hash(), cmd.password)
        raise InvalidCredentialsError("invalid username or password")
    if not verify_password(sec.password_hash, cmd.password):
        raise InvalidCredentialsError("invalid username or password")
    if needs_rehash(sec.password_hash):
        uow.users.set_password_hash(sec.id, hash_password(cmd.password))
    if sec.totp_secret is None:
        return LoginResult(sec.id, sec.session_version)
    if not cmd.code or not cmd.code.strip():
        raise TotpRequiredError(
            "this account has two-factor sign-in: send 'code' with the 6 digits of your "
            "authenticator app or one of your recovery codes"
        )
    used = _second_factor(uow, sec, cmd.code, now)
    left = uow.accounts.recovery_codes_left(sec.id) if used else None
    return LoginResult(sec.id, sec.session_version, recovery_code_used=used, recovery_codes_left=left)


def start_totp(cmd: StartTotp, uow: AbstractUnitOfWork) -> TotpSetup:
    """Make a new pending TOTP secret for the user (replacing an unconfirmed one) and return it.

    Raises:
        UserNotFoundError: no such login user.
        TotpStateError: ``totp_already_enabled`` (409).
    """
    sec = _user(uow, cmd.user_id)
    if sec.totp_secret is not None:
        raise TotpStateError("totp_already_enabled", "two-factor sign-in is already on: turn it off first")
    secret = new_totp_secret()
    uow.accounts.set_totp(cmd.user_id, secret=None, pending=secret, last_step=None, enabled_at=None)
    assert sec.username is not None
    return TotpSetup(secret, totp_uri(secret, sec.username))


def confirm_totp(cmd: ConfirmTotp, uow: AbstractUnitOfWork) -> list[str]:
    """Turn two-factor on with a code of the pending secret; return 10 fresh recovery codes (shown
    once; only their hashes are stored). The code's step counts as used.

    Raises:
        UserNotFoundError: no such login user.
        TotpStateError: ``totp_already_enabled`` or ``totp_not_started`` (409).
        InvalidTotpError: the code does not match the pending secret now (±1 step).
    """
    now = _aware(cmd.now)
    sec = _user(uow, cmd.user_id)
    if sec.totp_secret is not None:
        raise TotpStateError("totp_already_enabled", "two-factor sign-in is already on")
    if sec.totp_pending_secret is None:
        raise TotpStateError("totp_not_started", "start the set-up first: POST /api/v1/me/totp")
    step = match_totp(sec.totp_pending_secret, cmd.code, now, after_step=None)
    if step is None:
        raise InvalidTotpError("the code does not match: check the phone's clock and try the next code")
    uow.accounts.set_totp(
        cmd.user_id, secret=sec.totp_pending_secret, pending=None, last_step=step, enabled_at=now
    )
    codes = new_recovery_codes()
    hashes = [recovery_code_hash(c) for c in codes]
    uow.accounts.replace_recovery_codes(cmd.user_id, [h for h in hashes if h is not None])
    uow.record(_event("user.totp_enabled", cmd.user_id, cmd.user_id, recovery_codes=len(codes)))
    return codes


def disable_totp(cmd: DisableTotp, uow: AbstractUnitOfWork) -> None:
    """Turn two-factor off after checking the password and a current code (or a recovery code);
    the recovery codes are deleted.

    Raises:
        UserNotFoundError: no such login user.
        TotpStateError: ``totp_not_enabled`` (409).
        WrongPasswordError: the password is wrong (403).
        InvalidTotpError: the code is wrong, replayed or spent (401).
    """
    now = _aware(cmd.now)
    sec = _user(uow, cmd.user_id)
    if sec.totp_secret is None:
        raise TotpStateError("totp_not_enabled", "two-factor sign-in is not on")
    if not verify_password(sec.password_hash, cmd.password):
        raise WrongPasswordError("the password is wrong")
    _second_factor(uow, sec, cmd.code, now)
    uow.accounts.set_totp(cmd.user_id, secret=None, pending=None, last_step=None, enabled_at=None)
    uow.accounts.replace_recovery_codes(cmd.user_id, [])
    uow.record(_event("user.totp_disabled", cmd.user_id, cmd.user_id))


def create_api_token(cmd: CreateApiToken, uow: AbstractUnitOfWork) -> IssuedApiToken:
    """Store a new personal API token of the user and return it with its secret (shown once).

    Raises:
        UserNotFoundError: no such login user.
        InvalidApiTokenRequestError: an empty or too long name, no scope or an unknown one,
            ``expires_in_days`` outside 1..3650.
    """
    now = _aware(cmd.now)
    _user(uow, cmd.user_id)
    name = " ".join(cmd.name.split())
    if not 1 <= len(name) <= 100:
        raise InvalidApiTokenRequestError("'name': give the token a name of 1 to 100 characters")
    try:
        scopes = parse_scopes(cmd.scopes)
    except ValueError as exc:
        raise InvalidApiTokenRequestError(f"'scopes': {exc}") from exc
    if cmd.expires_in_days is not None and not 1 <= cmd.expires_in_days <= 3650:
        raise InvalidApiTokenRequestError("'expires_in_days': use 1 to 3650 days, or leave it out")
    expires_at = None if cmd.expires_in_days is None else now + dt.timedelta(days=cmd.expires_in_days)
    token = new_api_token()
    token_id = uuid7()
    ordered = tuple(s.value for s in sorted(scopes))
    prefix = token[:API_TOKEN_SHOWN]
    uow.accounts.add_api_token(
        token_id,
        cmd.user_id,
        name=name,
        token_hash=sha256_hex(token),
        prefix=prefix,
        scopes=ordered,
        created_at=now,
        expires_at=expires_at,
    )
    uow.record(
        Event(
            "api_token.created",
            None,
            cmd.user_id,
            "api_token",
            token_id,
            after={"name": name, "scopes": list(ordered), "prefix": prefix, "expires_at": expires_at},
        )
    )
    return IssuedApiToken(token_id, name, token, prefix, ordered, now, expires_at)


def revoke_api_token(cmd: RevokeApiToken, uow: AbstractUnitOfWork) -> None:
    """Revoke one of the user's API tokens at once (again: no change).

    Raises:
        ApiTokenNotFoundError: the user has no token with that id (404; another user's is never found).
    """
    now = _aware(cmd.now)
    if not uow.accounts.revoke_api_token(cmd.user_id, cmd.token_id, now):
        raise ApiTokenNotFoundError("no API token of yours has this id")
    uow.record(Event("api_token.revoked", None, cmd.user_id, "api_token", cmd.token_id))


def _new_password(password: str, username: str | None) -> str:
    try:
        check_password_policy(password, username)
    except PasswordPolicyError as exc:
        raise PasswordRejectedError(str(exc)) from exc
    return hash_password(password)


def change_password(cmd: ChangePassword, uow: AbstractUnitOfWork) -> int:
    """Replace the user's password after checking the current one; return the new session version
    (every sign-in token issued before stops working).

    Raises:
        UserNotFoundError: no such login user.
        WrongPasswordError: ``current`` is wrong (403).
        PasswordRejectedError: ``new`` breaks the policy (400 ``weak_password``).
    """
    _aware(cmd.now)
    sec = _user(uow, cmd.user_id)
    if not verify_password(sec.password_hash, cmd.current):
        raise WrongPasswordError("the current password is wrong")
    uow.users.set_password_hash(cmd.user_id, _new_password(cmd.new, sec.username))
    version = uow.accounts.bump_session_version(cmd.user_id)
    uow.record(_event("user.password_changed", cmd.user_id, cmd.user_id, session_version=version))
    return version


def issue_password_reset(cmd: IssuePasswordReset, uow: AbstractUnitOfWork) -> IssuedPasswordReset:
    """An instance admin issues a one-time reset token for a login user (an earlier unused one of
    that user stops working); returns the token, shown once.

    Raises:
        NotInstanceAdminError: ``admin_id`` is not an instance admin (403).
        UserNotFoundError: no login user ``user_id`` (404).
        ValueError: ``ttl_s`` outside 60..:data:`MAX_RESET_TTL_S`.
    """
    now = _aware(cmd.now)
    if not 60 <= cmd.ttl_s <= MAX_RESET_TTL_S:
        raise ValueError("a reset token lives 60 s to 7 days")
    admin = uow.accounts.security_of(cmd.admin_id)
    if admin is None or not admin.is_admin:
        raise NotInstanceAdminError("only an instance admin may reset passwords")
    if cmd.user_id != cmd.admin_id:
        _user(uow, cmd.user_id)
    token = new_reset_token()
    token_id = uuid7()
    expires_at = now + dt.timedelta(seconds=cmd.ttl_s)
    uow.accounts.add_reset_token(
        token_id, cmd.user_id, token_hash=sha256_hex(token), created_by=cmd.admin_id, expires_at=expires_at
    )
    uow.record(
        _event("password_reset.issued", cmd.admin_id, cmd.user_id, reset_id=token_id, expires_at=expires_at)
    )
    return IssuedPasswordReset(token, expires_at)


def redeem_password_reset(cmd: RedeemPasswordReset, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Set a new password with a reset token (used once); every sign-in token and API token of the
    user stops working. Two-factor stays as it was. Returns the user's id.

    Raises:
        InvalidResetTokenError: unknown, expired or used token (400 ``invalid_reset_token``).
        PasswordRejectedError: ``new`` breaks the policy (nothing is used up).
    """
    now = _aware(cmd.now)
    found = uow.accounts.find_reset_token(sha256_hex(cmd.token.strip())) if cmd.token.strip() else None
    if found is None or found.used_at is not None or found.expires_at <= now:
        raise InvalidResetTokenError("the reset token is unknown, expired or was already used")
    sec = _user(uow, found.user_id)
    uow.users.set_password_hash(sec.id, _new_password(cmd.new, sec.username))
    uow.accounts.mark_reset_used(found.id, now)
    version = uow.accounts.bump_session_version(sec.id)
    revoked = uow.accounts.revoke_all_api_tokens(sec.id, now)
    uow.record(
        _event(
            "user.password_reset",
            sec.id,
            sec.id,
            reset_id=found.id,
            session_version=version,
            api_tokens_revoked=revoked,
        )
    )
    return sec.id


REGISTRATIONS = (
    Registration(Login, login),
    Registration(StartTotp, start_totp),
    Registration(ConfirmTotp, confirm_totp),
    Registration(DisableTotp, disable_totp),
    Registration(CreateApiToken, create_api_token),
    Registration(RevokeApiToken, revoke_api_token),
    Registration(ChangePassword, change_password),
    Registration(IssuePasswordReset, issue_password_reset),
    Registration(RedeemPasswordReset, redeem_password_reset),
)
