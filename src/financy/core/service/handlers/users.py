"""People and their own ledgers: login users, first-contact chat users' personal contexts, logins.

Usernames are stored and compared in lower case (``"Maria"`` and ``"maria"`` are one login),
so a phone keyboard's capital letter never locks anyone out. Passwords are kept only as
Argon2id hashes.
"""

from __future__ import annotations

import functools
import re
import secrets
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from financy.core.adapters.passwords import hash_password, needs_rehash, verify_password
from financy.core.domain.commands import Authenticate, CreateUser, EnsureAdmin
from financy.core.domain.errors import (
    IdentityTakenError,
    InvalidCredentialsError,
    InvalidUsernameError,
    UnknownTimeZoneError,
    UsernameTakenError,
    WeakPasswordError,
)
from financy.core.domain.events import Event
from financy.core.domain.model import ContextType, LedgerContext, Role, normalize_currency
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.runtime.ids import uuid7
from financy.runtime.logging import get_logger

log = get_logger(__name__)

MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[a-z0-9._@-]{1,64}$")


@dataclass(frozen=True, slots=True)
class ContextDefaults:
    """Conventions of a personal context created on a user's first contact (BCP 47, IANA, ISO 4217)."""

    locale: str = "pt-BR"
    time_zone: str = "America/Sao_Paulo"
    base_currency: str = "BRL"


def create_personal_context(
    uow: AbstractUnitOfWork, user_id: uuid.UUID, name: str, defaults: ContextDefaults
) -> uuid.UUID:
    """Create a personal context owned by ``user_id`` and return its id (``context.created`` event)."""
    context = LedgerContext(
        id=uuid7(),
        name=name,
        type=ContextType.PERSONAL,
        base_currency=defaults.base_currency,
        time_zone=defaults.time_zone,
        locale=defaults.locale,
    )
    uow.contexts.add(context, created_by=user_id)
    uow.contexts.add_member(context.id, user_id, Role.OWNER)
    uow.record(
        Event(
            "context.created",
            context.id,
            user_id,
            "context",
            context.id,
            after={
                "id": context.id,
                "name": name,
                "type": context.type.value,
                "base_currency": context.base_currency,
                "time_zone": context.time_zone,
                "locale": context.locale,
                "created_by": user_id,
            },
        )
    )
    return context.id


def normalize_username(username: str) -> str:
    """Return ``username`` trimmed and lower-cased.

    Raises:
        InvalidUsernameError: empty, longer than 64 characters, or not made of letters,
            digits and ``. _ @ -``.
    """
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InvalidUsernameError(username)
    return name


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both failures cost the same time.
    # Made on first use: hashing costs ~64 MiB and ~80 ms.
    return hash_password(secrets.token_urlsafe(16))


def link_identity(
    uow: AbstractUnitOfWork, user_id: uuid.UUID, platform: str, platform_user_id: str, display_name: str
) -> None:
    """Bind ``platform``/``platform_user_id`` to ``user_id`` (``identity.linked``); caller holds its lock."""
    identity_id = uuid7()
    uow.users.link_identity(identity_id, platform, platform_user_id, user_id, display_name)
    uow.record(
        Event(
            "identity.linked",
            None,
            user_id,
            "channel_identity",
            identity_id,
            after={"platform": platform, "platform_user_id": platform_user_id, "user_id": user_id},
        )
    )


def create_user(cmd: CreateUser, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Create a login user, its personal context (owner) and optional chat identity; return the user id.

    The personal context takes ``cmd.locale``/``cmd.time_zone``/``cmd.base_currency``. With
    ``cmd.link_platform`` and ``cmd.link_platform_user_id`` the chat identity is bound to the
    new user, so messages from that chat account are recorded in this user's personal context.
    Writes ``user.created``, ``context.created`` and ``identity.linked`` events.

    Raises:
        InvalidUsernameError: see :func:`normalize_username`.
        WeakPasswordError: password shorter than :data:`MIN_PASSWORD_LENGTH`.
        UnknownCurrencyError: ``base_currency`` is not ISO 4217.
        UnknownTimeZoneError: ``time_zone`` is not an IANA zone.
        UsernameTakenError: another user has the username.
        IdentityTakenError: the chat identity already belongs to another user.
        ValueError: only one of ``link_platform``/``link_platform_user_id`` is given.
    """
    username = normalize_username(cmd.username)
    if len(cmd.password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(MIN_PASSWORD_LENGTH)
    currency = normalize_currency(cmd.base_currency)
    try:
        ZoneInfo(cmd.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZoneError(cmd.time_zone) from exc
    if (cmd.link_platform is None) != (cmd.link_platform_user_id is None):
        raise ValueError("link_platform and link_platform_user_id go together")
    password_hash = hash_password(cmd.password)

    uow.lock(f"username:{username}")
    if uow.users.id_of_username(username) is not None:
        raise UsernameTakenError(username)
    if cmd.link_platform is not None and cmd.link_platform_user_id is not None:
        # The same key the chat path's resolve_user takes, so a first chat message cannot race the link.
        uow.lock(f"identity:{cmd.link_platform}:{cmd.link_platform_user_id}")
        if uow.contexts.user_of_identity(cmd.link_platform, cmd.link_platform_user_id) is not None:
            raise IdentityTakenError(cmd.link_platform, cmd.link_platform_user_id)

    user_id = uuid7()
    display_name = cmd.display_name or username
    uow.users.add(
        user_id,
        username=username,
        password_hash=password_hash,
        display_name=display_name,
        locale=cmd.locale,
        is_admin=cmd.is_admin,
    )
    uow.record(
        Event(
            "user.created",
            None,
            user_id,
            "user",
            user_id,
            after={"username": username, "display_name": display_name, "is_admin": cmd.is_admin},
        )
    )
    create_personal_context(
        uow,
        user_id,
        display_name,
        ContextDefaults(locale=cmd.locale, time_zone=cmd.time_zone, base_currency=currency),
    )
    if cmd.link_platform is not None and cmd.link_platform_user_id is not None:
        link_identity(uow, user_id, cmd.link_platform, cmd.link_platform_user_id, display_name)
    return user_id


def authenticate(cmd: Authenticate, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Return the id of the user ``cmd.username`` whose password is ``cmd.password``.

    An unknown username costs the same Argon2 verification as a wrong password. A hash made with
    older parameters is replaced in the same unit of work.

    Raises:
        InvalidCredentialsError: unknown username, malformed username, or wrong password.
    """
    try:
        name: str | None = normalize_username(cmd.username)
    except InvalidUsernameError:
        name = None
    found = uow.users.password_hash_of(name) if name is not None else None
    if found is None or not found[1]:
        verify_password(_dummy_hash(), cmd.password)
        raise InvalidCredentialsError("invalid username or password")
    user_id, stored = found
    assert stored is not None
    if not verify_password(stored, cmd.password):
        raise InvalidCredentialsError("invalid username or password")
    if needs_rehash(stored):
        uow.users.set_password_hash(user_id, hash_password(cmd.password))
    return user_id


def ensure_admin(cmd: EnsureAdmin, uow: AbstractUnitOfWork) -> str | None:
    """Create the first-run admin login if it does not exist; return its generated password.

    The admin (``is_admin``) gets a personal context with the command's conventions and is linked
    to the dev chat identity ``cmd.devchat_user_id`` (``financy send --user admin``), unless that
    identity already belongs to someone else, which is kept as it is. Returns ``None`` when a
    user named ``cmd.username`` already exists. Safe to run from several processes at once: a
    transaction-scoped advisory lock serialises the check and the creation.

    Raises:
        UnknownCurrencyError, UnknownTimeZoneError, InvalidUsernameError: bad arguments.
    """
    name = normalize_username(cmd.username)
    uow.lock("financy:ensure_admin")
    # Same lock order as create_user (username, then identity): no deadlock with it.
    uow.lock(f"username:{name}")
    if uow.users.id_of_username(name) is not None:
        return None
    platform: str | None = "devchat"
    uow.lock(f"identity:devchat:{cmd.devchat_user_id}")
    owner = uow.contexts.user_of_identity("devchat", cmd.devchat_user_id)
    if owner is not None:
        log.warning("admin.devchat_identity_taken", devchat_user_id=cmd.devchat_user_id, owner=str(owner))
        platform = None
    password = secrets.token_urlsafe(12)
    user_id = create_user(
        CreateUser(
            username=name,
            password=password,
            display_name=name.capitalize(),
            locale=cmd.locale,
            time_zone=cmd.time_zone,
            base_currency=cmd.base_currency,
            link_platform=platform,
            link_platform_user_id=cmd.devchat_user_id if platform else None,
            is_admin=True,
        ),
        uow,
    )
    log.info("admin.created", username=name, user_id=str(user_id), devchat_linked=platform is not None)
    return password


REGISTRATIONS = (
    Registration(CreateUser, create_user),
    Registration(Authenticate, authenticate),
    Registration(EnsureAdmin, ensure_admin),
)
