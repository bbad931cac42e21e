"""Every table of a database, read whole, for tests that compare two databases row by row."""

from __future__ import annotations

import psycopg
from psycopg import sql


def database_contents(url: str) -> dict[str, object]:
    """Return ``{"table:<name>": (columns, sorted rows as text), "sequence:<name>": (value, called)}``
    for every table and sequence in the ``public`` schema of the database at ``url``.

    Rows are compared as PostgreSQL's text form of the whole row (every column), sorted, so the
    physical order does not matter and every value does.
    """
    found: dict[str, object] = {}
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S') ORDER BY 1"
        ).fetchall()
        for name, kind in tables:
            ident = sql.Identifier("public", name)
            if kind == "S":
                row = conn.execute(sql.SQL("SELECT last_value, is_called FROM {}").format(ident)).fetchone()
                found[f"sequence:{name}"] = row
                continue
            columns = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                (name,),
            ).fetchall()
            rows = conn.execute(sql.SQL("SELECT t::text FROM {} t").format(ident)).fetchall()
            found[f"table:{name}"] = (columns, sorted(r[0] for r in rows))
    return found


def row_counts(contents: dict[str, object]) -> dict[str, int]:
    """Return the number of rows of each table in ``contents`` (see :func:`database_contents`)."""
    counts: dict[str, int] = {}
    for key, value in contents.items():
        if key.startswith("table:"):
            _, rows = value  # type: ignore[misc]
            counts[key.removeprefix("table:")] = len(rows)
    return counts
