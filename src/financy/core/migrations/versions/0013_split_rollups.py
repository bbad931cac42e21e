"""split-aware rollups: a transaction split across categories counts each line under its category

Migration 0012's ``daily_totals`` and ``monthly_totals`` are keyed by category; until now a split
transaction (``transaction_splits``) counted whole under its own category. From here on, in those
two tables, a recorded transaction WITH split lines contributes one share per line:

* ``category`` = the line's category, ``total`` = the line's ``base_amount`` (0 when null),
  ``priced`` = the line's ``base_amount`` is known, ``currency`` as in 0012 but decided by the
  line's ``base_amount``;
* ``n`` (the count of transactions) is carried by the FIRST line only (lowest ``position``), the
  other lines add 0: summed over categories a split transaction still counts once, so the reports
  that are not by category (daily, income vs expense) keep their counts and their totals (the
  lines' base amounts add up to the transaction's: ``split_base_amounts``). A bucket is removed
  only when both its ``n`` and ``total`` are back to 0.

A transaction without lines is unchanged (one share: its own category and base amount). The two
tables keyed without category (``monthly_member_totals``, ``monthly_merchant_totals``) are
unchanged.

Kept in the same transaction as every change:

* ``transactions_rollups`` (AFTER INSERT / UPDATE OF the watched columns) applies a row with the
  lines it has at that moment (``financy_rollup_apply`` now reads them);
* ``transactions_rollups_delete`` (BEFORE DELETE, new): a deleted row's shares are taken away
  while its lines still exist (the foreign key's cascade deletes them right after);
* ``transaction_splits_rollups_{insert,update,delete}`` (new, per statement, with transition
  tables): for every recorded transaction a statement touched, takes away its shares as they
  were before the statement (its lines then: the current ones not inserted by it, plus the ones
  it deleted or updated away) and adds its shares as they are now. A split line whose
  transaction is being deleted is skipped (the BEFORE DELETE trigger took care of it).

``financy_rebuild_rollups()`` computes the category tables from the lines the same way.

On the TimescaleDB path (continuous aggregates) this migration changes nothing: the aggregates
stay not split-aware (a continuous aggregate cannot read ``transaction_splits`` the way this needs;
not available where this was written).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from string import Template
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NIL = "00000000-0000-0000-0000-000000000000"
#: The rollups keyed by category (split-aware from here on), with their key columns over a
#: transactions row ``r`` and a share ``s`` (``s.category``, ``s.base_amount``).
_MONTH = "date_trunc('month', r.occurred_on::timestamp)::date"
_SHARE_CURRENCY = (
    "CASE WHEN s_base IS NOT NULL THEN coalesce(r.base_currency, r.currency) ELSE r.currency END"
)
CATEGORY_ROLLUPS: dict[str, list[tuple[str, str]]] = {
    "daily_totals": [
        ("context_id", "r.context_id"),
        ("day", "r.occurred_on"),
        ("kind", "r.kind"),
        ("category", "coalesce(s_category, '')"),
        ("paid_by", f"coalesce(r.paid_by, '{NIL}'::uuid)"),
        ("currency", _SHARE_CURRENCY),
        ("priced", "(s_base IS NOT NULL)"),
    ],
    "monthly_totals": [
        ("context_id", "r.context_id"),
        ("month", _MONTH),
        ("kind", "r.kind"),
        ("category", "coalesce(s_category, '')"),
        ("currency", _SHARE_CURRENCY),
        ("priced", "(s_base IS NOT NULL)"),
    ],
}


def _previous() -> ModuleType:
    """Migration 0012 (its rollup definitions: the unchanged tables and the downgrade)."""
    path = Path(__file__).with_name("0012_reports.py")
    spec = importlib.util.spec_from_file_location("financy_migration_0012", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timescale() -> bool:
    found = op.get_bind().execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).first()
    return found is not None


# The SQL below is built from this file's own constants only (table names and bucket expressions).
_SHARE_ONE = Template("""
    IF sign > 0 THEN
        INSERT INTO $table ($names, n, total) VALUES ($values, s_n, coalesce(s_base, 0))
        ON CONFLICT ($names) DO UPDATE
            SET n = $table.n + EXCLUDED.n, total = $table.total + EXCLUDED.total;
    ELSE
        UPDATE $table SET n = n - s_n, total = total - coalesce(s_base, 0) WHERE $where;
        DELETE FROM $table WHERE $where AND n <= 0 AND total = 0;
    END IF;""")


def _share_function() -> str:
    """``financy_rollup_share(r, sign, s_category, s_base, s_n)``: one share of a recorded row in
    the category rollups (+ adds, - takes away; a share of nothing is skipped)."""
    statements = []
    for table, keys in CATEGORY_ROLLUPS.items():
        names = ", ".join(column for column, _ in keys)
        values = ", ".join(expression for _, expression in keys)
        where = " AND ".join(f"{column} = {expression}" for column, expression in keys)
        statements.append(_SHARE_ONE.substitute(table=table, names=names, values=values, where=where))
    return f"""
CREATE OR REPLACE FUNCTION financy_rollup_share(
    r transactions, sign integer, s_category text, s_base numeric, s_n integer
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF s_n = 0 AND coalesce(s_base, 0) = 0 THEN
        RETURN;
    END IF;{"".join(statements)}
END
$$;
"""


_SHARES_FUNCTION = """
CREATE OR REPLACE FUNCTION financy_rollup_shares(r transactions, sign integer, lines transaction_splits[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    line transaction_splits;
    first boolean := true;
BEGIN
    IF r.status <> 'recorded' THEN
        RETURN;
    END IF;
    IF coalesce(cardinality(lines), 0) = 0 THEN
        PERFORM financy_rollup_share(r, sign, r.category::text, r.base_amount, 1);
        RETURN;
    END IF;
    FOREACH line IN ARRAY lines LOOP
        PERFORM financy_rollup_share(r, sign, line.category::text, line.base_amount,
                                     CASE WHEN first THEN 1 ELSE 0 END);
        first := false;
    END LOOP;
END
$$;
"""

_LINES_OF = "ARRAY(SELECT sp FROM transaction_splits sp WHERE sp.transaction_id = {id} ORDER BY sp.position)"


def _apply_function(previous: ModuleType) -> str:
    """0012's ``financy_rollup_apply`` for the tables without category, shares for the others."""
    statements = []
    for table, keys in previous.ROLLUPS.items():
        if table in CATEGORY_ROLLUPS:
            continue
        names = ", ".join(column for column, _ in keys)
        values = ", ".join(previous._e(expression, "r") for _, expression in keys)
        where = " AND ".join(f"{column} = {previous._e(expression, 'r')}" for column, expression in keys)
        statements.append(
            previous._APPLY_ONE.substitute(
                table=table, names=names, values=values, where=where, total=previous._e(previous._TOTAL, "r")
            )
        )
    return f"""
CREATE OR REPLACE FUNCTION financy_rollup_apply(r transactions, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF r.status <> 'recorded' THEN
        RETURN;
    END IF;{"".join(statements)}
    PERFORM financy_rollup_shares(r, sign, {_LINES_OF.format(id="r.id")});
END
$$;
"""


def _on_change_function(previous: ModuleType) -> str:
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in previous.WATCHED)
    return f"""
CREATE OR REPLACE FUNCTION financy_rollups_on_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM financy_rollup_apply(NEW, 1);
    ELSIF TG_OP = 'DELETE' THEN
        -- BEFORE DELETE: the row's split lines are still there (the cascade deletes them after).
        PERFORM financy_rollup_apply(OLD, -1);
        RETURN OLD;
    ELSIF {changed} THEN
        PERFORM financy_rollup_apply(OLD, -1);
        PERFORM financy_rollup_apply(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
"""


_ON_SPLIT_FUNCTION = """
CREATE OR REPLACE FUNCTION financy_rollups_on_split() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    added transaction_splits[] := '{}';
    removed transaction_splits[] := '{}';
    r transactions;
    before_lines transaction_splits[];
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT coalesce(array_agg(n), '{}') INTO added FROM new_lines n;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        SELECT coalesce(array_agg(o), '{}') INTO removed FROM old_lines o;
    END IF;
    FOR r IN
        SELECT t.* FROM transactions t
        WHERE t.status = 'recorded'
          AND t.id IN (SELECT x.transaction_id FROM unnest(added || removed) x)
    LOOP
        before_lines := ARRAY(
            SELECT ROW(l.*)::transaction_splits FROM (
                SELECT sp.* FROM transaction_splits sp
                WHERE sp.transaction_id = r.id
                  AND (sp.transaction_id, sp.position) NOT IN
                      (SELECT a.transaction_id, a.position FROM unnest(added) a)
                UNION ALL
                SELECT o.* FROM unnest(removed) o WHERE o.transaction_id = r.id
            ) l ORDER BY l.position
        );
        PERFORM financy_rollup_shares(r, -1, before_lines);
        PERFORM financy_rollup_shares(r, 1, LINES_OF);
    END LOOP;
    RETURN NULL;
END
$$;
""".replace("LINES_OF", _LINES_OF.format(id="r.id"))

#: One recorded transaction's shares: a row per split line, or one row (no lines) for the whole;
#: ``s_n`` 1 on the first line only.
_SHARES_FROM = """
    FROM transactions r
    LEFT JOIN transaction_splits sp ON sp.transaction_id = r.id
    CROSS JOIN LATERAL (SELECT
        CASE WHEN sp.transaction_id IS NULL THEN r.category ELSE sp.category END AS s_category,
        CASE WHEN sp.transaction_id IS NULL THEN r.base_amount ELSE sp.base_amount END AS s_base,
        CASE WHEN sp.transaction_id IS NULL OR sp.position =
            (SELECT min(f.position) FROM transaction_splits f WHERE f.transaction_id = r.id)
            THEN 1 ELSE 0 END AS s_n) s
    WHERE r.status = 'recorded'"""


def _rebuild_function(previous: ModuleType) -> str:
    parts = []
    for table, keys in previous.ROLLUPS.items():
        names = ", ".join(column for column, _ in keys)
        if table in CATEGORY_ROLLUPS:
            shared = CATEGORY_ROLLUPS[table]
            selected = ", ".join(f"{expression} AS {column}" for column, expression in shared)
            group = ", ".join(str(i + 1) for i in range(len(shared)))
            parts.append(
                f"    INSERT INTO {table} ({names}, n, total) SELECT {selected},"
                f" sum(s.s_n) AS n, coalesce(sum(s.s_base), 0) AS total {_SHARES_FROM}"
                f" GROUP BY {group} HAVING sum(s.s_n) <> 0 OR coalesce(sum(s.s_base), 0) <> 0;"
            )
        else:
            parts.append(f"    INSERT INTO {table} ({names}, n, total) {previous._grouped_select(keys)};")
    tables = ", ".join(previous.ROLLUPS)
    body = "\n".join(parts)
    return f"""
CREATE OR REPLACE FUNCTION financy_rebuild_rollups() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE transactions IN SHARE MODE;
    LOCK TABLE transaction_splits IN SHARE MODE;
    TRUNCATE {tables};
{body}
END
$$;
"""


def upgrade() -> None:
    if _timescale():
        return
    previous = _previous()
    op.execute(_share_function())
    op.execute(_SHARES_FUNCTION)
    op.execute(_apply_function(previous))
    op.execute(_on_change_function(previous))
    op.execute(_ON_SPLIT_FUNCTION)
    op.execute(_rebuild_function(previous))
    op.execute("DROP TRIGGER IF EXISTS transactions_rollups ON transactions")
    op.execute(
        "CREATE TRIGGER transactions_rollups AFTER INSERT OR UPDATE OF "
        + ", ".join(previous.WATCHED)
        + " ON transactions FOR EACH ROW EXECUTE FUNCTION financy_rollups_on_change()"
    )
    op.execute(
        "CREATE TRIGGER transactions_rollups_delete BEFORE DELETE ON transactions"
        " FOR EACH ROW EXECUTE FUNCTION financy_rollups_on_change()"
    )
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_lines"),
        ("UPDATE", "OLD TABLE AS old_lines NEW TABLE AS new_lines"),
        ("DELETE", "OLD TABLE AS old_lines"),
    ):
        op.execute(
            f"CREATE TRIGGER transaction_splits_rollups_{event.lower()} AFTER {event} ON transaction_splits"
            f" REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION financy_rollups_on_split()"
        )
    op.execute("SELECT financy_rebuild_rollups()")


def downgrade() -> None:
    if _timescale():
        return
    previous = _previous()
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS transaction_splits_rollups_{event} ON transaction_splits")
    op.execute("DROP TRIGGER IF EXISTS transactions_rollups_delete ON transactions")
    op.execute("DROP TRIGGER IF EXISTS transactions_rollups ON transactions")
    op.execute(previous._apply_function())
    op.execute(previous._trigger_function())
    op.execute(previous._rebuild_function())
    op.execute("DROP FUNCTION IF EXISTS financy_rollups_on_split()")
    op.execute("DROP FUNCTION IF EXISTS financy_rollup_shares(transactions, integer, transaction_splits[])")
    op.execute("DROP FUNCTION IF EXISTS financy_rollup_share(transactions, integer, text, numeric, integer)")
    op.execute(
        "CREATE TRIGGER transactions_rollups AFTER INSERT OR DELETE OR UPDATE OF "
        + ", ".join(previous.WATCHED)
        + " ON transactions FOR EACH ROW EXECUTE FUNCTION financy_rollups_on_change()"
    )
    op.execute("SELECT financy_rebuild_rollups()")
