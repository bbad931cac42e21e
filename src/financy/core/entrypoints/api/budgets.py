"""A context's budgets: list them with a month's spent and left, set, change and delete them.

* ``GET /api/v1/contexts/<context_id>/budgets?month=YYYY-MM`` — every budget in that month
  (default: the current month in the context's time zone). Needs ``read``.
* ``POST /api/v1/contexts/<context_id>/budgets`` — set a budget (201), or replace the one the
  context has for the same category, group or whole ledger (200). Needs ``edit``.
* ``PATCH /api/v1/contexts/<context_id>/budgets/<budget_id>`` — change its amount or rollover.
* ``DELETE /api/v1/contexts/<context_id>/budgets/<budget_id>`` — delete it (204).

Each budget's JSON is :class:`schemas.BudgetOut` (``spent``, ``left``, ``percent`` of the month).
Bad input is 400 with nothing changed: ``invalid_budget`` (amount 0 or negative, too many
decimals, a currency other than the base currency, an unknown category or group) or
``bad_request`` (a malformed body); an unknown budget is 404.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi
from sanic_ext.extensions.openapi.definitions import Response

from financy.core.contracts.v1 import BudgetStatusV1
from financy.core.domain.authorization import Action
from financy.core.domain.budgets import BudgetNotFoundError, InvalidBudgetError, parse_month
from financy.core.domain.commands import ChangeBudget, DeleteBudget, SaveBudget
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, invalid_parameter, not_found
from financy.core.entrypoints.api.params import parse_query
from financy.core.entrypoints.api.security import require
from financy.core.service import budgeting
from financy.core.service.handlers.chat import local_date

_CONTEXT = schemas.path_parameters(context_id="context UUID")
_ONE = schemas.path_parameters(context_id="context UUID", budget_id="budget UUID")
_BODY_ERRORS = [schemas.error(400, "a bad amount, currency, category or group (invalid_budget, bad_request)")]


def budget_json(status: BudgetStatusV1) -> dict[str, Any]:
    """Return ``status`` as the API shows a budget (:class:`schemas.BudgetOut`)."""
    return {
        "id": str(status.budget_id),
        "scope": status.scope,
        "category": status.category,
        "group": status.group,
        "categories": list(status.categories),
        "amount": str(status.amount),
        "currency": status.currency,
        "rollover": status.rollover,
        "month": f"{status.month:%Y-%m}",
        "carried": str(status.carried),
        "available": str(status.available),
        "spent": str(status.spent),
        "left": str(status.left),
        "percent": status.percent,
        "count": status.count,
        "unvalued": status.unvalued,
    }


def _invalid(exc: InvalidBudgetError) -> ApiError:
    return ApiError(400, exc.key, f"'{exc.field}': {exc}")


def _body(request: ApiRequest) -> Any:
    try:
        return request.json
    except Exception as exc:  # sanic raises its own error for a body that is not JSON
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc


@openapi.definition(
    summary="Budgets of a context in a month, with spent and left",
    description="Spent sums the base amounts of the month's recorded expenses of each budget's "
    "categories; expenses without an FX rate are counted in unvalued, never summed.",
    tag="budgets",
    secured=schemas.SECURED,
    parameter=[*_CONTEXT, *schemas.query_parameters(schemas.BudgetQuery)],
    response=[schemas.ok(schemas.BudgetsOut), schemas.PARAMETER_ERROR, *schemas.CONTEXT_ERRORS],
)
async def list_budgets(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"month": "YYYY-MM", "items": [budget, ...]}``; 400 ``invalid_parameter`` for a bad month."""
    member = await require(request, context_id, Action.READ)
    query = parse_query(request, schemas.BudgetQuery)
    if query.month is not None:
        try:
            month = parse_month(query.month)
        except InvalidBudgetError as exc:
            raise invalid_parameter("month", str(exc)) from exc
    else:
        month = local_date(dt.datetime.now(dt.UTC), member.context.time_zone).replace(day=1)
    bus = request.app.ctx.bus

    def load() -> list[BudgetStatusV1]:
        with bus.uow_factory() as uow:
            context = uow.contexts.get(context_id)
            assert context is not None  # require() found it
            return [budgeting.wire(s) for s in budgeting.statuses(uow, context, month)]

    found = await asyncio.to_thread(load)
    return json_response({"month": f"{month:%Y-%m}", "items": [budget_json(s) for s in found]})


@openapi.definition(
    summary="Set a budget (or replace the one for the same category, group or whole ledger)",
    description="Neither category nor group: a budget for every expense of the ledger. 201 when "
    "new, 200 when it replaced one.",
    tag="budgets",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    body={"application/json": schemas.ref(schemas.BudgetIn)},
    response=[
        schemas.ok(schemas.BudgetOut, "Created", status=201),
        schemas.ok(schemas.BudgetOut, "Replaced"),
        *_BODY_ERRORS,
        *schemas.CONTEXT_ERRORS,
    ],
)
async def create_budget(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Set or replace a budget; answer it this month."""
    member = await require(request, context_id, Action.EDIT)
    body = schemas.parse_body(schemas.BudgetIn, _body(request))
    command = SaveBudget(
        context_id,
        member.user_id,
        body.amount,
        currency=body.currency,
        category=body.category,
        group=body.group,
        rollover=body.rollover,
    )
    try:
        status, replaced = await asyncio.to_thread(request.app.ctx.bus.handle, command)
    except InvalidBudgetError as exc:
        raise _invalid(exc) from exc
    return json_response(budget_json(status), status=200 if replaced else 201)


@openapi.definition(
    summary="Change a budget's amount or rollover",
    description="A new amount starts its rollover carry again from this month.",
    tag="budgets",
    secured=schemas.SECURED,
    parameter=_ONE,
    body={"application/json": schemas.ref(schemas.BudgetPatchIn)},
    response=[
        schemas.ok(schemas.BudgetOut),
        *_BODY_ERRORS,
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no such budget"),
    ],
)
async def patch_budget(request: ApiRequest, context_id: uuid.UUID, budget_id: uuid.UUID) -> HTTPResponse:
    """Change a budget; answer it this month; 404 if the context has no such budget."""
    member = await require(request, context_id, Action.EDIT)
    body = schemas.parse_body(schemas.BudgetPatchIn, _body(request))
    command = ChangeBudget(
        context_id,
        budget_id,
        member.user_id,
        amount=body.amount,
        currency=body.currency,
        rollover=body.rollover,
    )
    try:
        status = await asyncio.to_thread(request.app.ctx.bus.handle, command)
    except InvalidBudgetError as exc:
        raise _invalid(exc) from exc
    except BudgetNotFoundError as exc:
        raise not_found(str(exc)) from exc
    return json_response(budget_json(status))


@openapi.definition(
    summary="Delete a budget",
    tag="budgets",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[
        Response(None, status=204, description="Deleted"),
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no such budget"),
    ],
)
async def delete_budget(request: ApiRequest, context_id: uuid.UUID, budget_id: uuid.UUID) -> HTTPResponse:
    """Delete a budget (204); 404 if the context has no such budget."""
    member = await require(request, context_id, Action.EDIT)
    try:
        await asyncio.to_thread(
            request.app.ctx.bus.handle, DeleteBudget(context_id, budget_id, member.user_id)
        )
    except BudgetNotFoundError as exc:
        raise not_found(str(exc)) from exc
    return HTTPResponse(status=204)


def blueprint() -> Blueprint:
    """Return a new ``budgets`` blueprint (one per app)."""
    bp = Blueprint("budgets", url_prefix="/api/v1/contexts/<context_id:uuid>/budgets")
    bp.add_route(list_budgets, "", methods=["GET"], name="list")
    bp.add_route(create_budget, "", methods=["POST"], name="create")
    bp.add_route(patch_budget, "/<budget_id:uuid>", methods=["PATCH"], name="patch")
    bp.add_route(delete_budget, "/<budget_id:uuid>", methods=["DELETE"], name="delete")
    return bp
