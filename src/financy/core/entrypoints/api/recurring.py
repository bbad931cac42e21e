"""A context's recurring payments and subscriptions: list them, confirm or dismiss one.

* ``GET /api/v1/contexts/<context_id>/recurring`` — every series (confirmed, detected, then
  dismissed, each by next date), detected from the ledger first when none was stored yet.
  Needs ``read``.
* ``POST /api/v1/contexts/<context_id>/recurring/<series_id>/confirm`` — it is a real recurring
  payment (reminders go out before its next date). Needs ``edit``.
* ``POST /api/v1/contexts/<context_id>/recurring/<series_id>/dismiss`` — it is none: it is not
  proposed again unless its cadence changes or its amount moves by more than 25 %. Needs ``edit``.

Each series' JSON is :class:`RecurringOut`; an unknown series is 404.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict
from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.contracts.v1 import RecurringSeriesV1
from financy.core.domain.authorization import Action
from financy.core.domain.recurring import SeriesNotFoundError
from financy.core.domain.recurring_commands import ConfirmSeries, DismissSeries, ListRecurring
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import not_found
from financy.core.entrypoints.api.security import require

_CONTEXT = schemas.path_parameters(context_id="context UUID")
_ONE = schemas.path_parameters(context_id="context UUID", series_id="recurring series UUID")


class RecurringOut(BaseModel):
    """One recurring series: ``amount`` in ``currency`` expected on ``next_due``; ``status``
    detected (found, not yet confirmed), confirmed or dismissed; ``price_old`` -> ``price_new``
    on ``price_changed_on``: the latest step of its price (all null without one)."""

    model_config = ConfigDict(frozen=True)

    id: str
    merchant: str
    kind: str
    cadence: str
    amount: str
    currency: str
    status: str
    category: str | None
    last_seen: str
    next_due: str
    confidence: float
    price_old: str | None
    price_new: str | None
    price_changed_on: str | None


class RecurringListOut(BaseModel):
    """Every series of the context."""

    model_config = ConfigDict(frozen=True)

    items: list[RecurringOut]


_MODELS: tuple[tuple[type[BaseModel], Any], ...] = (
    (RecurringOut, "serialization"),
    (RecurringListOut, "serialization"),
)


def component_schemas() -> dict[str, Any]:
    """Return the OpenAPI ``components.schemas`` of this module's models."""
    return schemas.component_schemas(_MODELS)


def _date(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def series_json(series: RecurringSeriesV1) -> dict[str, Any]:
    """Return ``series`` as the API shows it (:class:`RecurringOut`)."""
    return {
        "id": str(series.series_id),
        "merchant": series.merchant,
        "kind": series.kind,
        "cadence": series.cadence,
        "amount": str(series.amount),
        "currency": series.currency,
        "status": series.status,
        "category": series.category,
        "last_seen": series.last_seen.isoformat(),
        "next_due": series.next_due.isoformat(),
        "confidence": series.confidence,
        "price_old": str(series.price_old) if series.price_old is not None else None,
        "price_new": str(series.price_new) if series.price_new is not None else None,
        "price_changed_on": _date(series.price_changed_on),
    }


@openapi.definition(
    summary="Recurring payments and subscriptions of a context",
    description="Detected from the ledger's recorded expenses and income (weekly, monthly, "
    "yearly); detection runs first when the context has none stored yet.",
    tag="recurring",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    response=[schemas.ok(RecurringListOut), *schemas.CONTEXT_ERRORS],
)
async def list_recurring(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"items": [series, ...]}``."""
    member = await require(request, context_id, Action.READ)
    command = ListRecurring(context_id, member.user_id)
    found = await asyncio.to_thread(request.app.ctx.bus.handle, command)
    return json_response({"items": [series_json(s) for s in found]})


async def _decide(
    request: ApiRequest, context_id: uuid.UUID, series_id: uuid.UUID, confirm: bool
) -> HTTPResponse:
    member = await require(request, context_id, Action.EDIT)
    command = (ConfirmSeries if confirm else DismissSeries)(context_id, series_id, member.user_id)
    try:
        series = await asyncio.to_thread(request.app.ctx.bus.handle, command)
    except SeriesNotFoundError as exc:
        raise not_found(str(exc)) from exc
    return json_response(series_json(series))


@openapi.definition(
    summary="Confirm a recurring series",
    description="Reminders of a confirmed series go to the ledger's chats before its next date.",
    tag="recurring",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[schemas.ok(RecurringOut), *schemas.CONTEXT_ERRORS, schemas.error(404, "no such series")],
)
async def confirm_series(request: ApiRequest, context_id: uuid.UUID, series_id: uuid.UUID) -> HTTPResponse:
    """Confirm the series; answer it; 404 if the context has no such series."""
    return await _decide(request, context_id, series_id, confirm=True)


@openapi.definition(
    summary="Dismiss a recurring series",
    description="A dismissed series is not proposed again unless its cadence changes or its "
    "amount moves by more than 25 %.",
    tag="recurring",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[schemas.ok(RecurringOut), *schemas.CONTEXT_ERRORS, schemas.error(404, "no such series")],
)
async def dismiss_series(request: ApiRequest, context_id: uuid.UUID, series_id: uuid.UUID) -> HTTPResponse:
    """Dismiss the series; answer it; 404 if the context has no such series."""
    return await _decide(request, context_id, series_id, confirm=False)


def blueprint() -> Blueprint:
    """Return a new ``recurring`` blueprint (one per app)."""
    bp = Blueprint("recurring", url_prefix="/api/v1/contexts/<context_id:uuid>/recurring")
    bp.add_route(list_recurring, "", methods=["GET"], name="list")
    bp.add_route(confirm_series, "/<series_id:uuid>/confirm", methods=["POST"], name="confirm")
    bp.add_route(dismiss_series, "/<series_id:uuid>/dismiss", methods=["POST"], name="dismiss")
    return bp
