"""Account security rules and handlers without a database: TOTP windows and replay, recovery codes,
API token scopes, the password policy, resets; driven through the bus on the fake unit of work."""

from __future__ import annotations

import datetime as dt
import uuid

import pyotp
import pytest

from financy.core.domain.accounts import (
    RECOVERY_CODE_COUNT,
    PasswordPolicyError,
    Scope,
    check_password_policy,
    match_totp,
    new_api_token,
    new_recovery_codes,
    normalize_recovery_code,
    parse_scopes,
    recovery_code_hash,
    scope_allows,
    sha256_hex,
    totp_step,
)
from financy.core.domain.authorization import Action
from financy.core.domain.commands import (
    ChangePassword,
    ConfirmTotp,
    CreateApiToken,
    CreateUser,
    DisableTotp,
    IssuePasswordReset,
    Login,
    RedeemPasswordReset,
    RevokeApiToken,
    StartTotp,
)
from financy.core.domain.errors import (
    ApiTokenNotFoundError,
    InvalidCredentialsError,
    InvalidResetTokenError,
    InvalidTotpError,
    PasswordRejectedError,
    TotpRequiredError,
    TotpStateError,
    WrongPasswordError,
)
from financy.core.service.handlers.accounts import InvalidApiTokenRequestError, NotInstanceAdminError
from financy.core.service.messagebus import MessageBus
from tests.unit.fakes import Store

NOW = dt.datetime(2026, 12, 2, 12, 0, 5, tzinfo=dt.UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "a long enough password"


def at(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def code(seconds: float = 0, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(at(seconds))


# --------------------------------------------------------------------------- TOTP rules


def test_a_code_matches_its_step_and_one_either_side() -> None:
    step = totp_step(NOW)
    assert match_totp(SECRET, code(), NOW, after_step=None) == step
    assert match_totp(SECRET, code(-30), NOW, after_step=None) == step - 1
    assert match_totp(SECRET, code(30), NOW, after_step=None) == step + 1
    assert match_totp(SECRET, code(-60), NOW, after_step=None) is None
    assert match_totp(SECRET, code(60), NOW, after_step=None) is None


def test_a_code_of_an_accepted_step_or_an_earlier_one_is_a_replay() -> None:
    step = totp_step(NOW)
    assert match_totp(SECRET, code(), NOW, after_step=step) is None
    assert match_totp(SECRET, code(-30), NOW, after_step=step - 1) is None
    assert match_totp(SECRET, code(30), NOW, after_step=step) == step + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5a"])
def test_anything_but_six_digits_is_not_a_code(typed: str) -> None:
    assert match_totp(SECRET, typed, NOW, after_step=None) is None


def test_spaces_in_a_code_do_not_matter() -> None:
    c = code()
    assert match_totp(SECRET, f" {c[:3]} {c[3:]} ", NOW, after_step=None) == totp_step(NOW)


def test_recovery_codes_are_distinct_and_read_forgivingly() -> None:
    codes = new_recovery_codes()
    assert len(codes) == RECOVERY_CODE_COUNT
    assert len(set(codes)) == RECOVERY_CODE_COUNT
    first = codes[0]
    assert normalize_recovery_code(first.lower().replace("-", " ")) == first.replace("-", "")
    assert recovery_code_hash(first) == sha256_hex(first.replace("-", ""))
    assert recovery_code_hash("too-short") is None
    assert recovery_code_hash("UUUU-UUUU-UUUU") is None  # U is not in the alphabet


# --------------------------------------------------------------------------- scopes


def test_scopes_cap_actions() -> None:
    read, write, admin = frozenset({Scope.READ}), frozenset({Scope.WRITE}), frozenset({Scope.ADMIN})
    assert [a for a in Action if scope_allows(read, a)] == [Action.READ]
    assert {a for a in Action if scope_allows(write, a)} == {Action.READ, Action.RECORD, Action.EDIT}
    assert {a for a in Action if scope_allows(admin, a)} == set(Action)
    assert all(scope_allows(None, a) for a in Action)  # a sign-in session: the role alone decides
    assert not scope_allows(frozenset(), Action.READ)


def test_unknown_or_no_scopes_are_refused() -> None:
    assert parse_scopes(["write", "read", "read"]) == {Scope.READ, Scope.WRITE}
    with pytest.raises(ValueError, match="unknown scope 'root'"):
        parse_scopes(["read", "root"])
    with pytest.raises(ValueError, match="at least one"):
        parse_scopes([])


def test_api_tokens_are_prefixed_and_random() -> None:
    tokens = {new_api_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(t.startswith("fny_") and len(t) == 47 for t in tokens)


@pytest.mark.parametrize(
    ("password", "username", "problem"),
    [
        ("short", "ana", "at least 10"),
        (" Ana.Silva1 ", "ana.silva1", "username"),
        ("x" * 4097, "ana", "at most"),
    ],
)
def test_the_password_policy(password: str, username: str, problem: str) -> None:
    with pytest.raises(PasswordPolicyError, match=problem):
        check_password_policy(password, username)
    check_password_policy("ten chars!", "ana")


# --------------------------------------------------------------------------- handlers


@pytest.fixture
def user(bus: MessageBus) -> uuid.UUID:
    user_id: uuid.UUID = bus.handle(CreateUser(username="ana", password=PASSWORD))
    return user_id


def turn_on(bus: MessageBus, user_id: uuid.UUID) -> tuple[str, list[str]]:
    setup = bus.handle(StartTotp(user_id, NOW))
    codes: list[str] = bus.handle(ConfirmTotp(user_id, code(0, setup.secret), NOW))
    return setup.secret, codes


def test_login_without_totp_needs_only_the_password(bus: MessageBus, user: uuid.UUID) -> None:
    result = bus.handle(Login("Ana", PASSWORD, None, NOW))
    assert result.user_id == user
    assert result.session_version == 0
    with pytest.raises(InvalidCredentialsError):
        bus.handle(Login("ana", "wrong password!", None, NOW))
    with pytest.raises(InvalidCredentialsError):
        bus.handle(Login("nobody", PASSWORD, None, NOW))


def test_totp_login_refuses_a_missing_wrong_or_replayed_code(
    bus: MessageBus, user: uuid.UUID, store: Store
) -> None:
    secret, _ = turn_on(bus, user)
    assert store.users[user]["totp_secret"] == secret
    with pytest.raises(TotpRequiredError):
        bus.handle(Login("ana", PASSWORD, None, at(60)))
    with pytest.raises(InvalidCredentialsError):  # the password is checked first, and says only that
        bus.handle(Login("ana", "wrong password!", code(60, secret), at(60)))
    # The confirmation's code is spent already.
    with pytest.raises(InvalidTotpError):
        bus.handle(Login("ana", PASSWORD, code(0, secret), at(10)))
    assert bus.handle(Login("ana", PASSWORD, code(60, secret), at(60))).user_id == user
    with pytest.raises(InvalidTotpError):
        bus.handle(Login("ana", PASSWORD, code(60, secret), at(70)))
    # A failed attempt changes nothing: the next step's code still works.
    assert bus.handle(Login("ana", PASSWORD, code(90, secret), at(90))).user_id == user


def test_a_recovery_code_works_once_and_only_for_its_user(bus: MessageBus, user: uuid.UUID) -> None:
    _, codes = turn_on(bus, user)
    other: uuid.UUID = bus.handle(CreateUser(username="bia", password=PASSWORD))
    _, other_codes = turn_on(bus, other)
    with pytest.raises(InvalidTotpError):
        bus.handle(Login("ana", PASSWORD, other_codes[0], NOW))
    result = bus.handle(Login("ana", PASSWORD, codes[0], NOW))
    assert result.recovery_code_used
    assert result.recovery_codes_left == 9
    with pytest.raises(InvalidTotpError):
        bus.handle(Login("ana", PASSWORD, codes[0], NOW))


def test_totp_set_up_states(bus: MessageBus, user: uuid.UUID) -> None:
    with pytest.raises(TotpStateError) as not_started:
        bus.handle(ConfirmTotp(user, "123456", NOW))
    assert not_started.value.key == "totp_not_started"
    first = bus.handle(StartTotp(user, NOW))
    second = bus.handle(StartTotp(user, NOW))  # a new set-up replaces the pending one
    with pytest.raises(InvalidTotpError):
        bus.handle(ConfirmTotp(user, code(0, first.secret), NOW))
    bus.handle(ConfirmTotp(user, code(0, second.secret), NOW))
    with pytest.raises(TotpStateError) as already:
        bus.handle(StartTotp(user, NOW))
    assert already.value.key == "totp_already_enabled"


def test_disabling_totp_checks_password_then_code(bus: MessageBus, user: uuid.UUID, store: Store) -> None:
    secret, codes = turn_on(bus, user)
    with pytest.raises(WrongPasswordError):
        bus.handle(DisableTotp(user, "wrong password!", code(60, secret), at(60)))
    with pytest.raises(InvalidTotpError):
        bus.handle(
            DisableTotp(user, PASSWORD, "000000" if code(60, secret) != "000000" else "111111", at(60))
        )
    bus.handle(DisableTotp(user, PASSWORD, codes[1], at(60)))
    assert store.users[user]["totp_secret"] is None
    assert store.recovery_codes == {}
    assert bus.handle(Login("ana", PASSWORD, None, at(60))).user_id == user
    assert [e.name for e in store.events][-1] == "user.totp_disabled"


def test_api_tokens_store_only_a_hash_and_revoke_per_user(
    bus: MessageBus, user: uuid.UUID, store: Store
) -> None:
    issued = bus.handle(CreateApiToken(user, "  ci   bot ", ("write", "read"), 30, NOW))
    assert issued.name == "ci bot"
    assert issued.scopes == ("read", "write")
    assert issued.expires_at == NOW + dt.timedelta(days=30)
    row = store.api_tokens[issued.id]
    assert row["token_hash"] == sha256_hex(issued.token)
    assert issued.token not in repr(row)
    other: uuid.UUID = bus.handle(CreateUser(username="bia", password=PASSWORD))
    with pytest.raises(ApiTokenNotFoundError):
        bus.handle(RevokeApiToken(other, issued.id, NOW))
    assert row["revoked_at"] is None
    bus.handle(RevokeApiToken(user, issued.id, NOW))
    assert store.api_tokens[issued.id]["revoked_at"] == NOW
    for scopes, days in ((("root",), None), ((), None), (("read",), 0)):
        with pytest.raises(InvalidApiTokenRequestError):
            bus.handle(CreateApiToken(user, "x", scopes, days, NOW))


def test_changing_the_password_bumps_the_session_version(
    bus: MessageBus, user: uuid.UUID, store: Store
) -> None:
    with pytest.raises(WrongPasswordError):
        bus.handle(ChangePassword(user, "wrong password!", "another long password", NOW))
    with pytest.raises(PasswordRejectedError):
        bus.handle(ChangePassword(user, PASSWORD, "ANA", NOW))
    assert bus.handle(ChangePassword(user, PASSWORD, "another long password", NOW)) == 1
    assert bus.handle(Login("ana", "another long password", None, NOW)).session_version == 1
    assert "user.password_changed" in [e.name for e in store.events]


def test_a_reset_needs_an_instance_admin_works_once_and_ends_api_tokens(
    bus: MessageBus, user: uuid.UUID, store: Store
) -> None:
    admin: uuid.UUID = bus.handle(CreateUser(username="root", password=PASSWORD, is_admin=True))
    with pytest.raises(NotInstanceAdminError):
        bus.handle(IssuePasswordReset(user, admin, 3600, NOW))
    token = bus.handle(CreateApiToken(user, "ci", ("read",), None, NOW))
    first = bus.handle(IssuePasswordReset(admin, user, 3600, NOW))
    second = bus.handle(IssuePasswordReset(admin, user, 3600, NOW))
    with pytest.raises(InvalidResetTokenError):  # the earlier one stopped working
        bus.handle(RedeemPasswordReset(first.token, "brand new password", NOW))
    with pytest.raises(InvalidResetTokenError):
        bus.handle(RedeemPasswordReset(second.token, "brand new password", at(3600)))
    assert bus.handle(RedeemPasswordReset(second.token, "brand new password", at(60))) == user
    with pytest.raises(InvalidResetTokenError):
        bus.handle(RedeemPasswordReset(second.token, "another new password", at(61)))
    assert store.api_tokens[token.id]["revoked_at"] == at(60)
    assert bus.handle(Login("ana", "brand new password", None, NOW)).session_version == 1
