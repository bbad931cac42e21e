"""Login users: creation with a personal context, password authentication, first-run admin.

Usernames are stored and compared in lower case (``"Maria"`` and ``"maria"`` are one login),
so a phone keyboard's capital letter never locks anyone out. Passwords are kept only as
Argon2id hashes.
"""

from __future__ import annotations

import functools
import re
import secrets
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from financy.core.adapters import orm
from financy.core.adapters.passwords import hash_password, needs_rehash, verify_password
from financy.core.domain.commands import CreateUser
from financy.core.domain.errors import (
    IdentityTakenError,
    InvalidCredentialsError,
    InvalidUsernameError,
    UnknownTimeZoneError,
    UsernameTakenError,
    WeakPasswordError,
)
from financy.core.domain.events import Event
from financy.core.domain.model import normalize_currency
from financy.core.service.ingest import ContextDefaults, create_personal_context
from financy.core.service.unit_of_work import UnitOfWork, unit_of_work
from financy.runtime.ids import uuid7
from financy.runtime.logging import get_logger

log = get_logger(__name__)

MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[a-z0-9._@-]{1,64}$")


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


def _lock(conn: Connection, key: str) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


def _identity_owner(conn: Connection, platform: str, platform_user_id: str) -> uuid.UUID | None:
    ident = orm.channel_identities
    row = conn.execute(
        select(ident.c.user_id).where(
            ident.c.platform == platform, ident.c.platform_user_id == platform_user_id
        )
    ).first()
    return None if row is None else row.user_id


def _link_identity(
    uow: UnitOfWork, user_id: uuid.UUID, platform: str, platform_user_id: str, display_name: str
) -> None:
    """Bind ``platform``/``platform_user_id`` to ``user_id``; caller holds the identity lock."""
    identity_id = uuid7()
    uow.conn.execute(
        insert(orm.channel_identities).values(
            id=identity_id,
            platform=platform,
            platform_user_id=platform_user_id,
            user_id=user_id,
            display_name=display_name,
        )
    )
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


def create_user(uow: UnitOfWork, cmd: CreateUser, *, is_admin: bool = False) -> uuid.UUID:
    """Create a login user, its personal context (owner) and optional chat identity; return the user id.

    The personal context takes ``cmd.locale``/``cmd.time_zone``/``cmd.base_currency``. With
    ``cmd.link_platform`` and ``cmd.link_platform_user_id`` the chat identity is bound to the
    new user, so messages from that chat account are recorded in this user's personal context.
    Writes ``user.created``, ``context.created`` and ``identity.linked`` events. Nothing is
    durable until the unit of work commits.

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

    conn = uow.conn
    _lock(conn, f"username:{username}")
    if conn.execute(select(orm.users.c.id).where(orm.users.c.username == username)).first():
        raise UsernameTakenError(username)
    if cmd.link_platform is not None and cmd.link_platform_user_id is not None:
        # The same key ingest's resolve_user takes, so a first chat message cannot race the link.
        _lock(conn, f"identity:{cmd.link_platform}:{cmd.link_platform_user_id}")
        if _identity_owner(conn, cmd.link_platform, cmd.link_platform_user_id) is not None:
            raise IdentityTakenError(cmd.link_platform, cmd.link_platform_user_id)

    user_id = uuid7()
    display_name = cmd.display_name or username
    try:
        # A savepoint keeps the transaction usable if the unique index fires after all.
        with conn.begin_nested():
            conn.execute(
                insert(orm.users).values(
                    id=user_id,
                    username=username,
                    password_hash=password_hash,
                    display_name=display_name,
                    locale=cmd.locale,
                    is_admin=is_admin,
                )
            )
    except IntegrityError as exc:
        raise UsernameTakenError(username) from exc
    uow.record(
        Event(
            "user.created",
            None,
            user_id,
            "user",
            user_id,
            after={"username": username, "display_name": display_name, "is_admin": is_admin},
        )
    )
    create_personal_context(
        uow,
        user_id,
        display_name,
        ContextDefaults(locale=cmd.locale, time_zone=cmd.time_zone, base_currency=currency),
    )
    if cmd.link_platform is not None and cmd.link_platform_user_id is not None:
        _link_identity(uow, user_id, cmd.link_platform, cmd.link_platform_user_id, display_name)
    return user_id


def authenticate(conn: Connection, username: str, password: str) -> uuid.UUID:
    """Return the id of the user ``username`` whose password is ``password``.

    An unknown username costs the same Argon2 verification as a wrong password. When the
    stored hash was made with older parameters it is replaced on ``conn`` (commit it: call
    this inside ``engine.begin()``).

    Raises:
        InvalidCredentialsError: unknown username, malformed username, or wrong password.
    """
    try:
        name = normalize_username(username)
    except InvalidUsernameError:
        name = None
    row = None
    if name is not None:
        row = conn.execute(
            select(orm.users.c.id, orm.users.c.password_hash).where(orm.users.c.username == name)
        ).first()
    if row is None or not row.password_hash:
        verify_password(_dummy_hash(), password)
        raise InvalidCredentialsError("invalid username or password")
    if not verify_password(row.password_hash, password):
        raise InvalidCredentialsError("invalid username or password")
    if needs_rehash(row.password_hash):
        conn.execute(
            update(orm.users).where(orm.users.c.id == row.id).values(password_hash=hash_password(password))
        )
    user_id: uuid.UUID = row.id
    return user_id


def ensure_admin(
    engine: Engine,
    *,
    username: str = "admin",
    devchat_user_id: str = "admin",
    locale: str = "pt-BR",
    time_zone: str = "America/Sao_Paulo",
    base_currency: str = "BRL",
) -> str | None:
    """Create the first-run admin login if it does not exist; return its generated password.

    The admin (``is_admin``) gets a personal context with the given conventions and is linked
    to the dev chat identity ``devchat_user_id`` (``financy send --user admin``), unless that
    identity already belongs to someone else, which is kept as it is. Returns ``None`` when a
    user named ``username`` already exists. Safe to call from several processes at once: a
    transaction-scoped advisory lock serialises the check and the creation.

    Raises:
        UnknownCurrencyError, UnknownTimeZoneError, InvalidUsernameError: bad arguments.
    """
    name = normalize_username(username)
    with unit_of_work(engine) as uow:
        _lock(uow.conn, "financy:ensure_admin")
        # Same lock order as create_user (username, then identity): no deadlock with it.
        _lock(uow.conn, f"username:{name}")
        if uow.conn.execute(select(orm.users.c.id).where(orm.users.c.username == name)).first():
            return None
        platform: str | None = "devchat"
        _lock(uow.conn, f"identity:devchat:{devchat_user_id}")
        owner = _identity_owner(uow.conn, "devchat", devchat_user_id)
        if owner is not None:
            log.warning("admin.devchat_identity_taken", devchat_user_id=devchat_user_id, owner=str(owner))
            platform = None
        password = secrets.token_urlsafe(12)
        user_id = create_user(
            uow,
            CreateUser(
                username=name,
                password=password,
                display_name=name.capitalize(),
                locale=locale,
                time_zone=time_zone,
                base_currency=base_currency,
                link_platform=platform,
                link_platform_user_id=devchat_user_id if platform else None,
            ),
            is_admin=True,
        )
        log.info("admin.created", username=name, user_id=str(user_id), devchat_linked=platform is not None)
    return password
