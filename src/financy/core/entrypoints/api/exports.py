"""A context's statement export: ``GET /api/v1/contexts/{id}/export?format=csv|json|ofx&from=&to=``.

Any member may export (``Action.READ``, the one rule of :func:`security.require`). The answer is
the file as an attachment (``Content-Disposition: attachment; filename="financy-...csv"``) with
its media type: ``text/csv; charset=utf-8``, ``application/json`` or ``application/x-ofx``.
``format`` defaults to ``csv``; ``from``/``to`` (``YYYY-MM-DD``, inclusive) default to the whole
ledger. Recorded transactions only, oldest first (:mod:`financy.core.views.exports`).

Bad input is 400 ``invalid_parameter`` naming the parameter; an OFX that cannot state a
transaction in another currency without a known rate is 422 ``export_refused``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Literal

from pydantic import Field, model_validator
from sanic import Blueprint
from sanic.response import HTTPResponse, raw
from sanic_ext import openapi
from sanic_ext.extensions.openapi.definitions import Response

from financy.core.adapters.statements_export import (
    CONTENT_TYPES,
    ExportError,
    ExportLedger,
    ExportRow,
    export_filename,
    write_export,
)
from financy.core.domain.authorization import Action
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError
from financy.core.entrypoints.api.params import Day, bad_value, parse_query
from financy.core.entrypoints.api.reports import today_in
from financy.core.entrypoints.api.security import require
from financy.core.views.exports import export_ledger, export_rows

#: HTTP status of an export the format cannot state.
UNPROCESSABLE = 422


class ExportQuery(schemas._Query):
    """What to export: the file format and the days (inclusive, in the ledger's time zone)."""

    format: Literal["csv", "json", "ofx"] = Field("csv", description="csv (default), json or ofx")
    date_from: Day | None = Field(None, alias="from", description="first date, YYYY-MM-DD")
    date_to: Day | None = Field(None, alias="to", description="last date, YYYY-MM-DD")

    @model_validator(mode="after")
    def _dates_in_order(self) -> ExportQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise bad_value(f"'from' {self.date_from} is after 'to' {self.date_to}", parameter="from")
        return self


@openapi.definition(
    summary="Export a context's transactions as a CSV, JSON or OFX file",
    description="Recorded transactions, oldest first, as an attachment. CSV: UTF-8, comma, ISO "
    "dates, signed amounts (negative: money out). JSON: amounts as decimal strings. OFX 2.2: one "
    "bank statement in the ledger's base currency.",
    tag="ledger",
    secured=schemas.SECURED,
    parameter=[*schemas.path_parameters(context_id="context UUID"), *schemas.query_parameters(ExportQuery)],
    response=[
        Response(
            {media: schemas._RawSchema(type="string", format="binary") for media in CONTENT_TYPES.values()},
            status=200,
            description="the file",
        ),
        schemas.PARAMETER_ERROR,
        schemas.error(UNPROCESSABLE, "OFX: a transaction in another currency has no FX rate yet"),
        *schemas.CONTEXT_ERRORS,
    ],
)
async def export(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return the export file of ``context_id`` (see the module)."""
    member = await require(request, context_id, Action.READ)
    query = parse_query(request, ExportQuery)
    engine = request.app.ctx.engine

    def load() -> tuple[ExportLedger | None, list[ExportRow]]:
        with engine.connect() as conn:
            ledger = export_ledger(conn, context_id)
            return ledger, export_rows(conn, context_id, start=query.date_from, end=query.date_to)

    ledger, rows = await asyncio.to_thread(load)
    assert ledger is not None  # the caller is a member of it
    try:
        data = write_export(
            query.format,
            rows,
            ledger=ledger,
            start=query.date_from,
            end=query.date_to,
            today=today_in(member.context.time_zone),
            exported_at=dt.datetime.now(dt.UTC),
        )
    except ExportError as exc:
        raise ApiError(UNPROCESSABLE, "export_refused", exc.reason) from exc
    name = export_filename(ledger, query.format, query.date_from, query.date_to)
    return raw(
        data,
        content_type=CONTENT_TYPES[query.format],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def blueprint() -> Blueprint:
    """Return a new ``exports`` blueprint (one per app)."""
    bp = Blueprint("exports", url_prefix="/api/v1/contexts/<context_id:uuid>/export")
    bp.add_route(export, "", methods=["GET"], name="export")
    return bp
