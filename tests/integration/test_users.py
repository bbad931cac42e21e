"""Login users through the message bus on a real PostgreSQL: creation, first-run admin, passwords."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select

from financy.core.adapters import orm
from financy.core.adapters.repositories import SqlContexts
from financy.core.domain.commands import Authenticate, CreateUser
from financy.core.domain.errors import (
    IdentityTakenError,
    InvalidCredentialsError,
    InvalidUsernameError,
    UnknownCurrencyError,
    UnknownTimeZoneError,
    UsernameTakenError,
    WeakPasswordError,
)
from financy.core.service.bootstrap import bootstrap
from financy.core.service.users import ensure_admin
from tests.support.api import new_user

pytestmark = pytest.mark.integration


def test_create_user_rejects_a_taken_username_in_any_case(engine: Engine) -> None:
    member = new_user(engine)
    with pytest.raises(UsernameTakenError):
        bootstrap(engine=engine).handle(
            CreateUser(username=f"  {member.username.upper()} ", password="another password")
        )


@pytest.mark.parametrize(
    ("cmd", "error"),
    [
        (CreateUser(username="has space", password="long enough"), InvalidUsernameError),
        (CreateUser(username="", password="long enough"), InvalidUsernameError),
        (CreateUser(username="x" * 65, password="long enough"), InvalidUsernameError),
        (CreateUser(username="shortpw", password="1234567"), WeakPasswordError),
        (CreateUser(username="badcur", password="long enough", base_currency="XYZ"), UnknownCurrencyError),
        (
            CreateUser(username="badtz", password="long enough", time_zone="Mars/Olympus"),
            UnknownTimeZoneError,
        ),
    ],
)
def test_create_user_validates_its_command(engine: Engine, cmd: CreateUser, error: type[Exception]) -> None:
    with pytest.raises(error):
        bootstrap(engine=engine).handle(cmd)


def test_create_user_does_not_take_a_linked_identity(engine: Engine) -> None:
    member = new_user(engine)
    name = f"thief{uuid.uuid4().hex[:8]}"
    with pytest.raises(IdentityTakenError):
        bootstrap(engine=engine).handle(
            CreateUser(
                username=name,
                password="long enough",
                link_platform="devchat",
                link_platform_user_id=member.devchat_id,
            )
        )
    with engine.connect() as conn:
        assert conn.execute(select(orm.users.c.id).where(orm.users.c.username == name)).first() is None


def test_create_user_records_events_without_the_password(engine: Engine) -> None:
    member = new_user(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(orm.events.c.name, orm.events.c.after).where(orm.events.c.actor_id == member.user_id)
        ).all()
    names = sorted(r.name for r in rows)
    assert names == ["context.created", "identity.linked", "user.created"]
    dumped = json.dumps([r.after for r in rows])
    assert member.password not in dumped
    assert "argon2" not in dumped


def _admin_name() -> str:
    return f"admin{uuid.uuid4().hex[:8]}"


def test_ensure_admin_creates_once_and_links_dev_chat(engine: Engine) -> None:
    name = _admin_name()
    password = ensure_admin(engine, username=name, devchat_user_id=name, base_currency="EUR", locale="en")
    assert password is not None
    assert len(password) >= 16
    bus = bootstrap(engine=engine)
    user_id = bus.handle(Authenticate(name, password))
    with pytest.raises(InvalidCredentialsError):
        bus.handle(Authenticate(name, password + "!"))
    with engine.begin() as conn:
        user = conn.execute(select(orm.users).where(orm.users.c.id == user_id)).one()
        assert user.is_admin
        linked = conn.execute(
            select(orm.channel_identities.c.user_id).where(
                orm.channel_identities.c.platform == "devchat",
                orm.channel_identities.c.platform_user_id == name,
            )
        ).scalar_one()
        assert linked == user_id
        context_id = SqlContexts(conn).personal_context_of(user_id)
        assert context_id is not None
        context = conn.execute(select(orm.contexts).where(orm.contexts.c.id == context_id)).one()
        assert (context.base_currency, context.locale) == ("EUR", "en")
    assert ensure_admin(engine, username=name, devchat_user_id=name) is None
    assert ensure_admin(engine, username=name.upper(), devchat_user_id=name) is None


def test_ensure_admin_does_not_steal_a_dev_chat_identity(engine: Engine) -> None:
    member = new_user(engine)
    name = _admin_name()
    password = ensure_admin(engine, username=name, devchat_user_id=member.devchat_id)
    assert password is not None
    admin_id = bootstrap(engine=engine).handle(Authenticate(name, password))
    with engine.begin() as conn:
        owner = conn.execute(
            select(orm.channel_identities.c.user_id).where(
                orm.channel_identities.c.platform == "devchat",
                orm.channel_identities.c.platform_user_id == member.devchat_id,
            )
        ).scalar_one()
        admin_identities = conn.execute(
            select(func.count()).where(orm.channel_identities.c.user_id == admin_id)
        ).scalar_one()
    assert owner == member.user_id
    assert admin_identities == 0


def test_ensure_admin_is_safe_when_processes_race(engine: Engine) -> None:
    name = _admin_name()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(lambda _: ensure_admin(engine, username=name, devchat_user_id=name), range(4))
        )
    assert sum(r is not None for r in results) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(orm.users.c.username == name)).scalar_one() == 1
