"""Reports of a context: ``GET /api/v1/contexts/{id}/reports/{name}`` (any member: ``Action.READ``).

``month-by-category`` (``?from=YYYY-MM&to=YYYY-MM&kind=expense``), ``daily``
(``?from=YYYY-MM-DD&to=YYYY-MM-DD&kind=expense``), ``top-merchants`` (``?from=YYYY-MM&to=YYYY-MM
&limit=10&kind=expense``), ``income-expense`` and ``per-member`` (``?from=YYYY-MM&to=YYYY-MM``).
Without ``from``/``to``: the last 12 months up to this one (``daily``: the last 30 days up to
today), in the ledger's time zone. Shapes: :mod:`financy.core.views.reports`.

Bad input is 422 ``invalid_parameter`` naming the parameter: a malformed month or date, ``from``
after ``to``, a range longer than 10 years, ``limit`` outside 1..100, an unknown ``kind``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi
from sanic_ext.extensions.openapi.definitions import Response
from sanic_ext.extensions.openapi.types import Schema
from sqlalchemy import Connection

from financy.core.domain.authorization import Action
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError
from financy.core.entrypoints.api.params import FIRST_YEAR, LAST_YEAR, query_values
from financy.core.entrypoints.api.security import Member, require
from financy.core.views import reports as views

#: HTTP status of a report's bad parameter.
UNPROCESSABLE = 422


class _Inline(Schema):
    """A schema given to sanic-ext as it is."""

    def __init__(self, **fields: Any) -> None:
        super().__init__(**fields)  # type: ignore[no-untyped-call]  # sanic-ext's Definition is untyped

    def guard(self, fields: dict[str, Any]) -> dict[str, Any]:
        return fields


def bad(name: str, message: str) -> ApiError:
    """Return the 422 ``invalid_parameter`` error of report parameter ``name``."""
    return ApiError(UNPROCESSABLE, "invalid_parameter", f"'{name}': {message}")


def parse_month(name: str, text: str) -> dt.date:
    """Return the first day of month ``YYYY-MM``; raise the 422 :func:`bad` otherwise."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise bad(name, f"expected a month YYYY-MM, got {text!r}")
    if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise bad(name, f"{text!r} is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def parse_day(name: str, text: str) -> dt.date:
    """Return the date ``YYYY-MM-DD``; raise the 422 :func:`bad` otherwise."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise bad(name, f"expected a date YYYY-MM-DD, got {text!r}")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise bad(name, f"{text!r} is not a calendar date") from exc
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise bad(name, f"{text!r} is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return day


def parse_limit(text: str | None) -> int:
    """Return ``limit`` (default 10); raise the 422 :func:`bad` unless a whole number 1..100."""
    if text is None:
        return views.DEFAULT_MERCHANTS
    if not re.fullmatch(r"[0-9]{1,6}", text) or not 1 <= int(text) <= views.MAX_MERCHANTS:
        raise bad("limit", f"expected an integer from 1 to {views.MAX_MERCHANTS}, got {text!r}")
    return int(text)


def parse_kind(text: str | None) -> str:
    """Return ``kind`` (default ``expense``); raise the 422 :func:`bad` unless a transaction kind."""
    if text is None:
        return "expense"
    if text not in views.KINDS:
        raise bad("kind", f"expected one of {', '.join(views.KINDS)}, got {text!r}")
    return text


def today_in(time_zone: str) -> dt.date:
    """Return today's date in ``time_zone`` (an IANA name)."""
    return dt.datetime.now(ZoneInfo(time_zone)).date()


def month_range(values: dict[str, str], today: dt.date) -> tuple[dt.date, dt.date]:
    """Return the first days of the ``from`` and ``to`` months (default: the 12 months up to ``today``'s).

    Raises:
        ApiError: 422 for a malformed month, ``from`` after ``to`` or more than 10 years.
    """
    last = parse_month("to", values["to"]) if "to" in values else views.month_start(today)
    first = parse_month("from", values["from"]) if "from" in values else views.add_months(last, -11)
    try:
        views.check_months(first, last)
    except views.RangeError as exc:
        raise bad("from", str(exc)) from exc
    return first, last


def day_range(values: dict[str, str], today: dt.date) -> tuple[dt.date, dt.date]:
    """Return the ``from`` and ``to`` dates (default: the 30 days up to ``today``).

    Raises:
        ApiError: 422 for a malformed date, ``from`` after ``to`` or more than 10 years.
    """
    last = parse_day("to", values["to"]) if "to" in values else today
    first = parse_day("from", values["from"]) if "from" in values else last - dt.timedelta(days=29)
    try:
        views.check_days(first, last)
    except views.RangeError as exc:
        raise bad("from", str(exc)) from exc
    return first, last


Loader = Callable[[Connection], dict[str, Any]]


def _loader(name: str, member: Member, values: dict[str, str]) -> Loader:
    """Parse the parameters of report ``name`` and return what reads it (raises 422 on bad input)."""
    context = member.context
    today = today_in(context.time_zone)
    cid, base = context.id, context.base_currency
    if name == "daily":
        first, last = day_range(values, today)
        kind = parse_kind(values.get("kind"))
        return lambda conn: views.daily(conn, cid, base, first=first, last=last, kind=kind)
    first, last = month_range(values, today)
    if name == "month-by-category":
        kind = parse_kind(values.get("kind"))
        return lambda conn: views.month_by_category(
            conn, cid, base, first=first, last=last, kind=kind, language=context.language
        )
    if name == "top-merchants":
        kind, limit = parse_kind(values.get("kind")), parse_limit(values.get("limit"))
        return lambda conn: views.top_merchants(
            conn, cid, base, first=first, last=last, limit=limit, kind=kind
        )
    if name == "income-expense":
        return lambda conn: views.income_expense(conn, cid, base, first=first, last=last)
    return lambda conn: views.per_member(conn, cid, base, first=first, last=last)


def _route(name: str) -> Callable[[ApiRequest, uuid.UUID], Any]:
    async def report(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
        member = await require(request, context_id, Action.READ)
        load = _loader(name, member, query_values(request))
        engine = request.app.ctx.engine

        def run() -> dict[str, Any]:
            with engine.connect() as conn:
                return load(conn)

        return json_response(await asyncio.to_thread(run))

    report.__name__ = "report_" + name.replace("-", "_")
    report.__doc__ = f"Return the ``{name}`` report (see :mod:`financy.core.views.reports`)."
    return report


_MONTHS = [
    {"name": "from", "location": "query", "required": False, "description": "first month, YYYY-MM",
     "schema": _Inline(type="string", pattern="^[0-9]{4}-[0-9]{2}$")},
    {"name": "to", "location": "query", "required": False, "description": "last month, YYYY-MM",
     "schema": _Inline(type="string", pattern="^[0-9]{4}-[0-9]{2}$")},
]  # fmt: skip
_DAYS = [
    {"name": "from", "location": "query", "required": False, "description": "first day",
     "schema": _Inline(type="string", format="date")},
    {"name": "to", "location": "query", "required": False, "description": "last day",
     "schema": _Inline(type="string", format="date")},
]  # fmt: skip
_KIND = {"name": "kind", "location": "query", "required": False, "description": "default expense",
         "schema": _Inline(type="string", enum=list(views.KINDS))}  # fmt: skip
_LIMIT = {"name": "limit", "location": "query", "required": False, "description": "1..100, default 10",
          "schema": _Inline(type="integer", minimum=1, maximum=views.MAX_MERCHANTS)}  # fmt: skip

_PARAMETERS: dict[str, list[dict[str, Any]]] = {
    "month-by-category": [*_MONTHS, _KIND],
    "daily": [*_DAYS, _KIND],
    "top-merchants": [*_MONTHS, _LIMIT, _KIND],
    "income-expense": _MONTHS,
    "per-member": _MONTHS,
}
_SUMMARIES = {
    "month-by-category": "Totals per month and category",
    "daily": "Totals per day",
    "top-merchants": "The merchants with the largest totals",
    "income-expense": "Income, expenses and their difference per month",
    "per-member": "Expenses each member recorded (spent) and paid, per month",
}


def blueprint() -> Blueprint:
    """Return a new ``reports`` blueprint (one per app): one route per report name."""
    bp = Blueprint("reports", url_prefix="/api/v1/contexts/<context_id:uuid>/reports")
    for name in views.REPORTS:
        handler = openapi.definition(
            summary=_SUMMARIES[name],
            description="Amounts are decimal strings in the ledger's base currency; transactions "
            "without a rate to it are counted in left_out, never added. Days and months are the "
            "ledger's time zone's.",
            tag="reports",
            secured=schemas.SECURED,
            parameter=[*schemas.path_parameters(context_id="context UUID"), *_PARAMETERS[name]],
            response=[
                Response({"application/json": _Inline(type="object")}, status=200, description="the report"),
                schemas.error(UNPROCESSABLE, "a bad parameter (invalid_parameter)"),
                *schemas.CONTEXT_ERRORS,
            ],
        )(_route(name))
        bp.add_route(handler, "/" + name, methods=["GET"], name=name.replace("-", "_"))
    return bp
