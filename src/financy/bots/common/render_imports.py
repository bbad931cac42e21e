"""The chat texts of a statement file's import: its preview, its commit, and why a file was refused.

:func:`statement_import_text` renders :attr:`ReplyKind.IMPORT_PREVIEW`, ``IMPORT_COMMITTED`` and
``IMPORT_REFUSED`` in pt-BR or English (``render.render`` calls it); every kind has a text also
without its ``statement_import`` body. The texts are data (``render_imports.json``); dates are
``dd/mm/yyyy`` (pt) or ``mm/dd/yyyy`` (en).
"""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files

from financy.core.contracts.v1 import ReplyKind, ReplyV1, StatementImportV1

#: The kinds this module renders.
IMPORT_KINDS = frozenset({ReplyKind.IMPORT_PREVIEW, ReplyKind.IMPORT_COMMITTED, ReplyKind.IMPORT_REFUSED})

#: The texts, by language (``render_imports.json`` beside this module).
_STRINGS: dict[str, dict[str, str]] = json.loads(
    files("financy.bots.common").joinpath("render_imports.json").read_text(encoding="utf-8")
)


def _day(day: dt.date, language: str) -> str:
    return day.strftime("%d/%m/%Y" if language == "pt" else "%m/%d/%Y")


def _quote(text: str, limit: int) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _preview(found: StatementImportV1, language: str, s: dict[str, str]) -> str:
    name = s["file"].format(name=_quote(found.filename, 60)) if found.filename else s["file.none"]
    dates = ""
    if found.date_from is not None and found.date_to is not None:
        dates = s["dates"].format(start=_day(found.date_from, language), end=_day(found.date_to, language))
    lines = [s["preview"].format(name=name, lines=found.lines, dates=dates)]
    lines += [s[key].format(n=n) for key, n in (("add", found.add), ("merge", found.merge)) if n]
    lines += [
        s[key].format(n=n)
        for key, n in (
            ("duplicate", found.duplicate),
            ("ambiguous", found.ambiguous),
            ("invalid", found.invalid),
        )
        if n
    ]
    lines.append(s["ask"] if found.add or found.merge or found.ambiguous else s["nothing_new"])
    return "\n".join(lines)


def statement_import_text(reply: ReplyV1) -> str:
    """Return the text of an import preview, commit or refusal in ``reply.language``."""
    language = reply.language if reply.language in _STRINGS else "en"
    s = _STRINGS[language]
    found = reply.statement_import
    if reply.kind is ReplyKind.IMPORT_PREVIEW:
        return _preview(found, language, s) if found is not None and found.import_id else s["preview.bare"]
    if reply.kind is ReplyKind.IMPORT_COMMITTED:
        if found is None:
            return s["committed.bare"]
        return s["committed"].format(add=found.add, merge=found.merge, duplicate=found.duplicate)
    problem = (
        reply.problem if reply.problem in ("statement_not_here", "statement_invalid") else "statement_format"
    )
    reason = _quote(found.reason, 200) if found is not None and found.reason else None
    if f"refused.{problem}.bare" in s and reason is None:
        return s[f"refused.{problem}.bare"]
    return s[f"refused.{problem}"].format(reason=reason)
