"""rollups of inserted transactions per statement: one grouped upsert per rollup table

Until now the ``transactions_rollups`` trigger ran once per inserted row, four upserts each
(about 0.8 ms a row: a 100,000-line statement import spent over a minute in it). From here on:

* ``transactions_rollups_insert`` (new, AFTER INSERT, FOR EACH STATEMENT, with the transition
  table ``new_rows``) adds what a statement inserted with one ``INSERT ... SELECT ... GROUP BY ...
  ON CONFLICT DO UPDATE`` per rollup table: the same buckets, counts and totals the per-row
  trigger added (recorded rows only; in the tables by category, one share per split line the row
  has when the statement ends, the count on the first line, shares of nothing skipped, exactly as
  ``financy_rollup_shares``; a row without split lines, as every row a plain ``INSERT`` or
  ``COPY`` writes, is its own one share). The function runs with ``work_mem`` 64 MB so that a
  100,000-row statement groups in memory;
* ``transactions_rollups`` keeps updates only (AFTER UPDATE OF the watched columns, per row, the
  same function); ``transactions_rollups_delete`` and the split triggers are unchanged.

Both kinds of AFTER trigger run when the statement ends, in its transaction, so a report never
sees a difference. ``COPY`` fires the new trigger too (once per ``COPY``).

On the TimescaleDB path (continuous aggregates) this migration changes nothing.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from string import Template
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

INSERT_TRIGGER = "transactions_rollups_insert"


def _migration(name: str) -> ModuleType:
    """An earlier migration of this folder (its rollup definitions)."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"financy_migration_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timescale() -> bool:
    found = op.get_bind().execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).first()
    return found is not None


#: One inserted row's shares in the tables by category, as ``financy_rollup_shares`` gives them:
#: a row per split line (the count on the lowest position), or one for the whole row.
_SHARES_OF_NEW = """
    FROM new_rows r
    LEFT JOIN transaction_splits sp ON sp.transaction_id = r.id
    CROSS JOIN LATERAL (SELECT
        CASE WHEN sp.transaction_id IS NULL THEN r.category::text ELSE sp.category::text END AS s_category,
        CASE WHEN sp.transaction_id IS NULL THEN r.base_amount ELSE sp.base_amount END AS s_base,
        CASE WHEN sp.transaction_id IS NULL OR sp.position =
            (SELECT min(f.position) FROM transaction_splits f WHERE f.transaction_id = r.id)
            THEN 1 ELSE 0 END AS s_n) s
    WHERE r.status = 'recorded' AND NOT (s.s_n = 0 AND coalesce(s.s_base, 0) = 0)"""


_PLAIN_OF_NEW = Template(
    "    INSERT INTO $table ($names, n, total) SELECT $selected, count(*), sum($total)"
    " FROM new_rows r WHERE r.status = 'recorded' GROUP BY $group"
)


_FUNCTION = Template("""
CREATE OR REPLACE FUNCTION financy_rollups_on_insert() RETURNS trigger
LANGUAGE plpgsql
SET work_mem = '64MB'
AS $$$$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows r JOIN transaction_splits sp ON sp.transaction_id = r.id) THEN
$plain
    ELSE
$shared
    END IF;
    RETURN NULL;
END
$$$$;
""")


def _insert_function(r12: ModuleType, r13: ModuleType) -> str:
    """``financy_rollups_on_insert()``: the statement's recorded rows added to every rollup
    (the SQL is built from the migrations' own constants only: table names and bucket expressions).

    Rows just inserted have no split lines unless the statement itself wrote some (a
    data-modifying ``WITH``): without any, a row's one share is the row itself (its category and
    base amount, count 1, never skipped), so every table takes 0012's expressions over the rows;
    otherwise the tables by category take the shares (0013)."""
    plain, shared = [], []
    for table, keys in r12.ROLLUPS.items():
        names = ", ".join(column for column, _ in keys)
        group = ", ".join(str(i + 1) for i in range(len(keys)))
        upsert = (
            f" ON CONFLICT ({names}) DO UPDATE"
            f" SET n = {table}.n + EXCLUDED.n, total = {table}.total + EXCLUDED.total;"
        )
        rows = (
            _PLAIN_OF_NEW.substitute(
                table=table,
                names=names,
                selected=", ".join(r12._e(expression, "r") for _, expression in keys),
                total=r12._e(r12._TOTAL, "r"),
                group=group,
            )
            + upsert
        )
        plain.append("        " + rows)
        if table in r13.CATEGORY_ROLLUPS:
            selected = ", ".join(expression for _, expression in r13.CATEGORY_ROLLUPS[table])
            shared.append(
                f"        INSERT INTO {table} ({names}, n, total) SELECT {selected},"
                f" sum(s.s_n), sum(coalesce(s.s_base, 0)) {_SHARES_OF_NEW} GROUP BY {group}{upsert}"
            )
        else:
            shared.append("        " + rows)
    return _FUNCTION.substitute(plain="\n".join(plain), shared="\n".join(shared))


def upgrade() -> None:
    if _timescale():
        return
    r12 = _migration("0012_reports.py")
    r13 = _migration("0013_split_rollups.py")
    op.execute(_insert_function(r12, r13))
    op.execute("DROP TRIGGER IF EXISTS transactions_rollups ON transactions")
    op.execute(
        "CREATE TRIGGER transactions_rollups AFTER UPDATE OF "
        + ", ".join(r12.WATCHED)
        + " ON transactions FOR EACH ROW EXECUTE FUNCTION financy_rollups_on_change()"
    )
    op.execute(
        f"CREATE TRIGGER {INSERT_TRIGGER} AFTER INSERT ON transactions REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION financy_rollups_on_insert()"
    )


def downgrade() -> None:
    if _timescale():
        return
    r12 = _migration("0012_reports.py")
    op.execute(f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER} ON transactions")
    op.execute("DROP TRIGGER IF EXISTS transactions_rollups ON transactions")
    op.execute(
        "CREATE TRIGGER transactions_rollups AFTER INSERT OR UPDATE OF "
        + ", ".join(r12.WATCHED)
        + " ON transactions FOR EACH ROW EXECUTE FUNCTION financy_rollups_on_change()"
    )
    op.execute("DROP FUNCTION IF EXISTS financy_rollups_on_insert()")
