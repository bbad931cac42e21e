"""reports that stay fast: daily and monthly rollups of transactions, kept in step with every change

One path is chosen when the migration runs, from ``pg_available_extensions`` (and whether
``CREATE EXTENSION timescaledb`` succeeds: the server must preload it):

* **Plain PostgreSQL** (the embedded PostgreSQL 18, the machine's PostgreSQL 15; the tested
  path): four rollup tables, each row the count and the base-currency sum of a context's
  recorded transactions in one bucket:

  - ``daily_totals`` (context, ``day``, kind, category, paid_by, currency, priced),
  - ``monthly_totals`` (context, ``month``, kind, category, currency, priced),
  - ``monthly_member_totals`` (context, ``month``, kind, paid_by, author_id, currency, priced),
  - ``monthly_merchant_totals`` (context, ``month``, kind, merchant, currency, priced).

  ``day`` is ``occurred_on`` (already the calendar day in the ledger's time zone); ``month`` is
  its first day, truncated as a plain date (no time zone: a São Paulo midnight that did not exist
  cannot move a day). ``priced`` rows carry ``total`` = sum of ``base_amount`` in ``currency`` =
  ``base_currency``; unpriced rows (no rate known: null ``base_amount``) carry ``total`` 0 and the
  transaction's own ``currency``, so reports count them apart and never add currencies.
  Unknown category and merchant are ``''``, unknown payer/author the nil UUID (key columns
  cannot be null). Reversed transactions are not counted.

  A row trigger on ``transactions`` (``transactions_rollups``: after insert, delete, and update
  of the columns a bucket depends on) applies each change to the rollups in the SAME
  transaction, so a report never sees a half-applied change. ``financy_rebuild_rollups()``
  recomputes the four tables from ``transactions`` (used here to backfill existing rows, and by
  bulk loads that disable the trigger: ``financy.core.adapters.rollups.rebuild``).

* **TimescaleDB** (when the extension is available): ``transactions`` becomes a hypertable on
  ``occurred_on`` (monthly chunks) and the same four names are continuous aggregates with the
  same columns, real-time (``materialized_only = false``) so reports include rows newer than
  the last refresh; an edit inside an already materialised bucket shows after the policy's
  next refresh (15 minutes): on this path the rollups are NOT in the change's transaction. A hypertable's unique indexes must contain the
  partitioning column, so the primary key becomes ``(id, occurred_on)`` and the foreign key of
  ``transaction_items`` to ``transactions`` is dropped (a trigger deletes a transaction's items
  with it; ids stay unique: UUIDv7 made by the core). A foreign key that another migration adds
  to ``transactions.id`` must be dropped the same way before ``create_hypertable``. THIS BRANCH COULD NOT BE RUN where it was written (no TimescaleDB there); it follows
  TimescaleDB 2.x's documented API (``create_hypertable(..., by_range(...))`` needs 2.13+) and
  must be tried on a Timescale server before it is relied on. The ORM (orm.py) describes the
  plain path.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from string import Template
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

NIL = "00000000-0000-0000-0000-000000000000"

# Bucket expressions over a transactions row ``r`` (shared by the trigger, the backfill and the
# Timescale aggregates, so the three agree).
_MONTH = "date_trunc('month', {r}.occurred_on::timestamp)::date"
_CATEGORY = "coalesce({r}.category, '')"
_PAID_BY = f"coalesce({{r}}.paid_by, '{NIL}'::uuid)"
_AUTHOR = f"coalesce({{r}}.author_id, '{NIL}'::uuid)"
_MERCHANT = "coalesce(left(lower(btrim({r}.merchant)), 200), '')"
_PRICED = "({r}.base_amount IS NOT NULL)"
_CURRENCY = "CASE WHEN {r}.base_amount IS NOT NULL THEN coalesce({r}.base_currency, {r}.currency) ELSE {r}.currency END"
_TOTAL = "coalesce({r}.base_amount, 0)"


def _e(expression: str, row: str) -> str:
    return expression.format(r=row)


# (table, key columns with their expressions over a row)
ROLLUPS: dict[str, list[tuple[str, str]]] = {
    "daily_totals": [
        ("context_id", "{r}.context_id"),
        ("day", "{r}.occurred_on"),
        ("kind", "{r}.kind"),
        ("category", _CATEGORY),
        ("paid_by", _PAID_BY),
        ("currency", _CURRENCY),
        ("priced", _PRICED),
    ],
    "monthly_totals": [
        ("context_id", "{r}.context_id"),
        ("month", _MONTH),
        ("kind", "{r}.kind"),
        ("category", _CATEGORY),
        ("currency", _CURRENCY),
        ("priced", _PRICED),
    ],
    "monthly_member_totals": [
        ("context_id", "{r}.context_id"),
        ("month", _MONTH),
        ("kind", "{r}.kind"),
        ("paid_by", _PAID_BY),
        ("author_id", _AUTHOR),
        ("currency", _CURRENCY),
        ("priced", _PRICED),
    ],
    "monthly_merchant_totals": [
        ("context_id", "{r}.context_id"),
        ("month", _MONTH),
        ("kind", "{r}.kind"),
        ("merchant", _MERCHANT),
        ("currency", _CURRENCY),
        ("priced", _PRICED),
    ],
}
#: The columns of ``transactions`` a bucket depends on (an update of any other column is no change).
WATCHED = (
    "context_id",
    "amount",
    "base_amount",
    "base_currency",
    "currency",
    "category",
    "occurred_on",
    "status",
    "kind",
    "paid_by",
    "author_id",
    "merchant",
)


def _timescale_available() -> bool:
    """Whether TimescaleDB is available AND loads here (``CREATE EXTENSION`` fails, in a savepoint,
    when the server does not preload its library): the plain path otherwise."""
    bind = op.get_bind()
    listed = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).first()
    if listed is None:
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
    except sa.exc.DBAPIError:
        return False
    return True


def _rollup_table(name: str, keys: list[tuple[str, str]]) -> None:
    types: dict[str, Any] = {
        "context_id": UUID(as_uuid=True),
        "day": sa.Date(),
        "month": sa.Date(),
        "kind": sa.String(16),
        "category": sa.String(40),
        "paid_by": UUID(as_uuid=True),
        "author_id": UUID(as_uuid=True),
        "merchant": sa.String(200),
        "currency": sa.String(3),
        "priced": sa.Boolean(),
    }
    columns: list[sa.Column[Any]] = [sa.Column(column, types[column], nullable=False) for column, _ in keys]
    op.create_table(
        name,
        *columns,
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Numeric(20, 4), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=f"fk_{name}_context_id_contexts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(*[column for column, _ in keys], name=f"pk_{name}"),
    )


# The SQL below is built from this file's own constants only (table names and bucket expressions).
_APPLY_ONE = Template("""
    IF sign > 0 THEN
        INSERT INTO $table ($names, n, total) VALUES ($values, 1, $total)
        ON CONFLICT ($names) DO UPDATE
            SET n = $table.n + 1, total = $table.total + EXCLUDED.total;
    ELSE
        -- Only ever an UPDATE: the bucket exists while the row does (and a context being deleted
        -- may have lost its rollups to the cascade already).
        UPDATE $table SET n = n - 1, total = total - $total WHERE $where;
        DELETE FROM $table WHERE $where AND n <= 0;
    END IF;""")
_GROUPED = Template(
    "SELECT $selected, count(*) AS n, sum($total) AS total"
    " FROM transactions t WHERE t.status = 'recorded' GROUP BY $group"
)


def _apply_function() -> str:
    """``financy_rollup_apply(r, sign)``: add (+1) or take away (-1) one recorded row's share."""
    statements = []
    for table, keys in ROLLUPS.items():
        names = ", ".join(column for column, _ in keys)
        values = ", ".join(_e(expression, "r") for _, expression in keys)
        where = " AND ".join(f"{column} = {_e(expression, 'r')}" for column, expression in keys)
        statements.append(
            _APPLY_ONE.substitute(table=table, names=names, values=values, where=where, total=_e(_TOTAL, "r"))
        )
    body = "".join(statements)
    return f"""
CREATE OR REPLACE FUNCTION financy_rollup_apply(r transactions, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF r.status <> 'recorded' THEN
        RETURN;
    END IF;{body}
END
$$;
"""


def _trigger_function() -> str:
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in WATCHED)
    return f"""
CREATE OR REPLACE FUNCTION financy_rollups_on_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM financy_rollup_apply(NEW, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM financy_rollup_apply(OLD, -1);
    ELSIF {changed} THEN
        PERFORM financy_rollup_apply(OLD, -1);
        PERFORM financy_rollup_apply(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
"""


def _grouped_select(keys: list[tuple[str, str]], *, bucket: str | None = None) -> str:
    """SELECT of one rollup's rows from ``transactions t`` (recorded rows only)."""
    selected = []
    for column, expression in keys:
        if bucket is not None and column in {"day", "month"}:
            selected.append(f"{bucket} AS {column}")
        else:
            selected.append(f"{_e(expression, 't')} AS {column}")
    group = ", ".join(str(i + 1) for i in range(len(keys)))
    return _GROUPED.substitute(selected=", ".join(selected), total=_e(_TOTAL, "t"), group=group)


def _rebuild_function() -> str:
    parts = []
    for table, keys in ROLLUPS.items():
        names = ", ".join(column for column, _ in keys)
        parts.append(f"    INSERT INTO {table} ({names}, n, total) {_grouped_select(keys)};")
    tables = ", ".join(ROLLUPS)
    body = "\n".join(parts)
    return f"""
CREATE OR REPLACE FUNCTION financy_rebuild_rollups() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE transactions IN SHARE MODE;
    TRUNCATE {tables};
{body}
END
$$;
"""


def _upgrade_plain() -> None:
    for table, keys in ROLLUPS.items():
        _rollup_table(table, keys)
    op.execute(_apply_function())
    op.execute(_trigger_function())
    op.execute(_rebuild_function())
    op.execute(
        "CREATE TRIGGER transactions_rollups AFTER INSERT OR DELETE OR UPDATE OF "
        + ", ".join(WATCHED)
        + " ON transactions FOR EACH ROW EXECUTE FUNCTION financy_rollups_on_change()"
    )
    op.execute("SELECT financy_rebuild_rollups()")


def _upgrade_timescale() -> None:
    """Hypertable + continuous aggregates (not run where this was written; see the docstring)."""
    # Every foreign key to transactions.id goes (receipt lines, split lines, an IOF line's
    # ``fee_of``): a hypertable's key includes its partitioning column.
    op.execute(
        "DO $$ DECLARE r record; BEGIN"
        " FOR r IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint"
        " WHERE contype = 'f' AND confrelid = 'transactions'::regclass LOOP"
        " EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname); END LOOP; END $$"
    )
    # What the dropped foreign keys did on delete: a receipt's and a split's lines go with their
    # transaction, and an IOF line forgets its purchase.
    op.execute(
        "CREATE OR REPLACE FUNCTION financy_transaction_items_cascade() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN DELETE FROM transaction_items WHERE transaction_id = OLD.id;"
        " DELETE FROM transaction_splits WHERE transaction_id = OLD.id;"
        " UPDATE transactions SET fee_of = NULL WHERE fee_of = OLD.id; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER transactions_items_cascade AFTER DELETE ON transactions"
        " FOR EACH ROW EXECUTE FUNCTION financy_transaction_items_cascade()"
    )
    op.execute("ALTER TABLE transactions DROP CONSTRAINT pk_transactions")
    op.execute("ALTER TABLE transactions ADD CONSTRAINT pk_transactions PRIMARY KEY (id, occurred_on)")
    op.execute(
        "SELECT create_hypertable('transactions', by_range('occurred_on', INTERVAL '1 month'),"
        " migrate_data => true)"
    )
    buckets = {
        "daily_totals": "time_bucket(INTERVAL '1 day', t.occurred_on)",
        "monthly_totals": "time_bucket(INTERVAL '1 month', t.occurred_on)",
        "monthly_member_totals": "time_bucket(INTERVAL '1 month', t.occurred_on)",
        "monthly_merchant_totals": "time_bucket(INTERVAL '1 month', t.occurred_on)",
    }
    # Continuous aggregates cannot be created or refreshed inside a transaction block.
    with op.get_context().autocommit_block():
        for table, keys in ROLLUPS.items():
            op.execute(
                f"CREATE MATERIALIZED VIEW {table} WITH (timescaledb.continuous,"
                f" timescaledb.materialized_only = false) AS {_grouped_select(keys, bucket=buckets[table])}"
                " WITH NO DATA"
            )
            op.execute(
                f"SELECT add_continuous_aggregate_policy('{table}', start_offset => NULL,"
                " end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '15 minutes')"
            )
            op.execute(f"CALL refresh_continuous_aggregate('{table}', NULL, NULL)")


def upgrade() -> None:
    if _timescale_available():
        _upgrade_timescale()
    else:
        _upgrade_plain()


def downgrade() -> None:
    timescale = (
        op.get_bind().execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).first()
        is not None
    )
    op.execute("DROP TRIGGER IF EXISTS transactions_rollups ON transactions")
    op.execute("DROP TRIGGER IF EXISTS transactions_items_cascade ON transactions")
    op.execute("DROP FUNCTION IF EXISTS financy_transaction_items_cascade()")
    op.execute("DROP FUNCTION IF EXISTS financy_rollups_on_change()")
    op.execute("DROP FUNCTION IF EXISTS financy_rollup_apply(transactions, integer)")
    op.execute("DROP FUNCTION IF EXISTS financy_rebuild_rollups()")
    for table in ROLLUPS:
        if timescale:
            op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {table}")
        else:
            op.drop_table(table)
    # A hypertable stays one (TimescaleDB cannot turn it back into a plain table in place).
