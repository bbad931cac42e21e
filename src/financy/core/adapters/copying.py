"""Bulk writes with PostgreSQL's ``COPY ... FROM STDIN`` on a unit of work's own connection.

A statement import writes 100,000 rows at a time; one ``INSERT`` a row (psycopg's
``executemany``) costs a round trip of parsing and trigger firing each. ``COPY`` streams the rows
in one statement, in the same database transaction (nothing is committed here), and psycopg
sends them in chunks as they are produced, so the caller never holds all of them as SQL
parameters at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

#: Fewer rows than this are written with one multi-row ``INSERT`` instead (no ``COPY`` set-up).
COPY_FROM_ROWS = 200


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """``COPY table (columns) FROM STDIN`` the ``rows`` (tuples in ``columns`` order, Python
    values as psycopg adapts them: ``None`` is NULL; JSON columns take JSON text); return how
    many were written.

    ``conn``: a SQLAlchemy connection on the psycopg driver, inside its transaction. ``table`` and
    ``columns`` are identifiers of our own schema (never user input).

    Raises:
        TypeError: ``conn`` is not on the psycopg driver.
        psycopg.Error: the server refused a row (the transaction is then aborted).
    """
    driver = conn.connection.driver_connection
    cursor_of = getattr(driver, "cursor", None)
    if conn.dialect.driver != "psycopg" or cursor_of is None:
        raise TypeError(f"COPY needs the psycopg driver, not {conn.dialect.driver}")
    n = 0
    with cursor_of() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def can_copy(conn: Connection) -> bool:
    """Whether :func:`copy_rows` works on ``conn`` (PostgreSQL through psycopg)."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
