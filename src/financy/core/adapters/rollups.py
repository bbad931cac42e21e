"""The report rollups (migration 0012): which path the database took, and rebuilding them in bulk.

On plain PostgreSQL the rollup tables ``daily_totals``, ``monthly_totals``,
``monthly_member_totals`` and ``monthly_merchant_totals`` are kept by the ``transactions_rollups`` trigger in the same
transaction as each change (with ``transactions_rollups_delete`` and the ``transaction_splits_rollups_*``
triggers of migration 0013: a split transaction counts each line under its category in the two
tables by category); on TimescaleDB the same names are continuous aggregates.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

#: The trigger that keeps the plain rollup tables on update (bulk loads may disable it, then
#: :func:`rebuild`); until migration 0019 it kept them on insert too.
TRIGGER = "transactions_rollups"
#: The per-statement trigger that adds inserted rows to the plain rollup tables (migration 0019).
INSERT_TRIGGER = "transactions_rollups_insert"
ROLLUP_TABLES = ("daily_totals", "monthly_totals", "monthly_member_totals", "monthly_merchant_totals")


def uses_timescale(engine: Engine) -> bool:
    """Return whether the database runs the TimescaleDB extension (the continuous-aggregate path)."""
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).first() is not None
        )


def rebuild(engine: Engine) -> None:
    """Recompute every rollup from ``transactions`` (recorded rows only; their split lines in the
    tables by category).

    Plain path: ``financy_rebuild_rollups()`` truncates and refills the tables in one transaction
    (it locks ``transactions`` against writes meanwhile). Timescale path: a full refresh of each
    continuous aggregate (outside a transaction, as TimescaleDB requires).
    """
    if uses_timescale(engine):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ROLLUP_TABLES:
                conn.execute(text(f"CALL refresh_continuous_aggregate('{table}', NULL, NULL)"))
        return
    with engine.begin() as conn:
        conn.execute(text("SELECT financy_rebuild_rollups()"))
