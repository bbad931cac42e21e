"""Word lists kept as data files (TSV) beside the code that reads them.

A table is a UTF-8 file with a header row, one row a line, fields separated by tabs; fields hold no
tabs, newlines or surrounding blanks, so it is read without quoting. No field is empty, and the
last column is ``source``: where the row's words come from ("financy" for lists written for
Financy, else the public list used). Tables are read once per process, from the installed
package (:mod:`importlib.resources`), so they ship in the wheel with the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Final

__all__ = ["SOURCE", "Row", "TableError", "parse_table", "read_table"]

#: The column every table ends with.
SOURCE: Final = "source"

#: One row: column name -> field (shared between callers: read only).
Row = Mapping[str, str]


class TableError(ValueError):
    """A data file that does not have the shape its reader expects (the message names the line)."""


def parse_table(text: str, columns: tuple[str, ...], origin: str) -> tuple[Row, ...]:
    """Parse a table's text.

    Args:
        text: the file's content.
        columns: the header the reader expects, in order; it must end with :data:`SOURCE`.
        origin: the file's name, for error messages.

    Returns:
        The rows in file order.

    Raises:
        TableError: a header other than ``columns``, a row with more or fewer fields, an empty
            field or a field with blanks around it.
    """
    if not columns or columns[-1] != SOURCE:
        raise TableError(f"{origin}: the columns must end with {SOURCE!r}, got {columns!r}")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or tuple(lines[0].split("\t")) != columns:
        found = lines[0].split("\t") if lines else None
        raise TableError(f"{origin}:1: header must be {'/'.join(columns)}, got {found!r}")
    rows: list[dict[str, str]] = []
    for lineno, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(columns):
            raise TableError(f"{origin}:{lineno}: expected {len(columns)} fields, got {len(fields)}")
        for column, field in zip(columns, fields, strict=True):
            if not field or field != field.strip():
                raise TableError(f"{origin}:{lineno}: field {column!r} is empty or has blanks around it")
        rows.append(dict(zip(columns, fields, strict=True)))
    return tuple(rows)


@cache
def read_table(package: str, name: str, columns: tuple[str, ...]) -> tuple[Row, ...]:
    """Read a table shipped in ``package`` (``name`` is its path inside it, e.g. "data/x.tsv").

    Read once per process; the rows are shared, so callers must not change them.

    Raises:
        FileNotFoundError: no such file in the package.
        TableError: see :func:`parse_table`.
    """
    text = files(package).joinpath(name).read_text(encoding="utf-8")
    return parse_table(text, columns, f"{package}:{name}")
