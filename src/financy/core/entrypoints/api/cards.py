"""A context's credit cards and their bills.

* ``GET /api/v1/contexts/<context_id>/cards`` — the cards (the default first). Needs ``read``.
* ``POST /api/v1/contexts/<context_id>/cards`` — set up a card (201), or change the days of the
  one the context has with that name, compared case-insensitively (200). Needs ``edit``.
* ``GET /api/v1/contexts/<context_id>/cards/<card_id>/bills?from=YYYY-MM&months=N`` — ``months``
  consecutive bills (default 3, at most 24), the first due in month ``from`` (default: the month
  of the open bill, the one a purchase today is in), each with its closing and due dates, status,
  total in the base currency and lines (merchant, instalment ``number`` of ``of``, amount).
  Needs ``read``; an unknown card is 404.

Bad input is 400 with nothing changed: ``invalid_card`` (an empty or too long name, a day outside
1..31) or ``bad_request`` (a malformed body); a bad ``from`` or ``months`` is ``invalid_parameter``.
The rules of cycles and instalments: :mod:`financy.core.domain.cards`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.contracts.v1 import CardBillV1, CardV1
from financy.core.domain.authorization import Action
from financy.core.domain.budgets import InvalidBudgetError, parse_month
from financy.core.domain.card_commands import SaveCard
from financy.core.domain.cards import InvalidCardError, bill_of
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, invalid_parameter, not_found
from financy.core.entrypoints.api.params import parse_query
from financy.core.entrypoints.api.schemas import _Body, _Out, _Query
from financy.core.entrypoints.api.security import require
from financy.core.service import cards
from financy.core.service.handlers.chat import local_date

#: The most bills one call returns.
MAX_MONTHS = 24


class CardIn(_Body):
    """A card to set up (or whose days to change, when the context has a card of that name)."""

    name: str = Field(min_length=1, max_length=60, examples=["Nubank"])
    closing_day: int = Field(
        ge=1, le=31, description="the day its bill closes (a purchase on it is in the next)"
    )
    due_day: int = Field(ge=1, le=31, description="the day its bill is due (the first one after closing)")
    is_default: bool | None = Field(
        default=None, description="bill chat card purchases on it; default: when the context has no default"
    )


class CardOut(_Out):
    """A credit card of the context."""

    id: uuid.UUID
    name: str
    closing_day: int
    due_day: int
    is_default: bool


class CardsOut(_Out):
    """The context's cards, the default first."""

    items: list[CardOut]


class BillLineOut(_Out):
    """One instalment on a bill (``number`` of ``of``; 1 of 1 for a purchase in one go)."""

    transaction_id: uuid.UUID
    merchant: str | None
    occurred_on: str = Field(description="the purchase date, YYYY-MM-DD")
    number: int
    of: int
    amount: str = Field(description="decimal string in ``currency``")
    currency: str
    unvalued: bool = Field(description="no FX rate known: in its own currency, left out of the total")


class BillOut(_Out):
    """One bill of a card."""

    month: str = Field(description="YYYY-MM, the month it is due in (budgets count it there)")
    closing_on: str
    due_on: str
    status: Literal["past", "closed", "open", "future"]
    currency: str
    total: str
    count: int
    unvalued: int
    lines: list[BillLineOut]


class BillsOut(_Out):
    """Consecutive bills of one card."""

    card: CardOut
    items: list[BillOut]


class BillsQuery(_Query):
    """Which bills: ``months`` of them from the one due in ``from``."""

    first: str | None = Field(
        default=None, alias="from", description="YYYY-MM; default: the month the open bill is due in"
    )
    months: int = Field(default=3, ge=1, le=MAX_MONTHS, description=f"how many bills, 1..{MAX_MONTHS}")


_MODELS: tuple[tuple[type[BaseModel], Any], ...] = (
    (CardIn, "validation"),
    (CardsOut, "serialization"),
    (CardOut, "serialization"),
    (BillsOut, "serialization"),
)


def component_schemas() -> dict[str, Any]:
    """Return the OpenAPI ``components.schemas`` of this module's models."""
    return schemas.component_schemas(_MODELS)


_CONTEXT = schemas.path_parameters(context_id="context UUID")
_ONE = schemas.path_parameters(context_id="context UUID", card_id="card UUID")


def card_json(card: CardV1) -> dict[str, Any]:
    """Return ``card`` as the API shows it (:class:`CardOut`)."""
    return {
        "id": str(card.card_id),
        "name": card.name,
        "closing_day": card.closing_day,
        "due_day": card.due_day,
        "is_default": card.is_default,
    }


def bill_json(bill: CardBillV1) -> dict[str, Any]:
    """Return ``bill`` as the API shows it (:class:`BillOut`)."""
    return {
        "month": f"{bill.month:%Y-%m}",
        "closing_on": bill.closing_on.isoformat(),
        "due_on": bill.due_on.isoformat(),
        "status": bill.status,
        "currency": bill.currency,
        "total": str(bill.total),
        "count": bill.count,
        "unvalued": bill.unvalued,
        "lines": [
            {
                "transaction_id": str(line.transaction_id),
                "merchant": line.merchant,
                "occurred_on": line.occurred_on.isoformat(),
                "number": line.number,
                "of": line.of,
                "amount": str(line.amount),
                "currency": line.currency,
                "unvalued": line.unvalued,
            }
            for line in bill.lines
        ],
    }


def _body(request: ApiRequest) -> Any:
    try:
        return request.json
    except Exception as exc:  # sanic raises its own error for a body that is not JSON
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc


@openapi.definition(
    summary="Credit cards of a context",
    tag="cards",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    response=[schemas.ok(CardsOut), *schemas.CONTEXT_ERRORS],
)
async def list_cards(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"items": [card, ...]}``, the default first."""
    await require(request, context_id, Action.READ)
    bus = request.app.ctx.bus

    def load() -> list[CardV1]:
        with bus.uow_factory() as uow:
            return [cards.wire_card(c) for c in uow.cards.of_context(context_id)]

    found = await asyncio.to_thread(load)
    return json_response({"items": [card_json(c) for c in found]})


@openapi.definition(
    summary="Set up a credit card (or change the days of the one with that name)",
    description="A purchase on or after the closing day is in the next bill; a bill is due on the "
    "first due day after it closes. The context's first card is its default: chat purchases "
    "'no cartão' are billed on it. 201 when new, 200 when it changed a card.",
    tag="cards",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    body={"application/json": schemas.ref(CardIn)},
    response=[
        schemas.ok(CardOut, "Created", status=201),
        schemas.ok(CardOut, "Changed"),
        schemas.error(400, "a bad name or day (invalid_card, bad_request)"),
        *schemas.CONTEXT_ERRORS,
    ],
)
async def create_card(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Set up or change a card; answer it."""
    member = await require(request, context_id, Action.EDIT)
    body = schemas.parse_body(CardIn, _body(request))
    command = SaveCard(context_id, member.user_id, body.name, body.closing_day, body.due_day, body.is_default)
    try:
        card, replaced = await asyncio.to_thread(request.app.ctx.bus.handle, command)
    except InvalidCardError as exc:
        raise ApiError(400, exc.key, f"'{exc.field}': {exc}") from exc
    return json_response(card_json(card), status=200 if replaced else 201)


@openapi.definition(
    summary="Bills of a credit card, with their instalments",
    description="Each bill's total adds its lines in the base currency; an instalment purchase "
    "shows one line per bill (3/10). Budgets count each instalment in the month it is due.",
    tag="cards",
    secured=schemas.SECURED,
    parameter=[*_ONE, *schemas.query_parameters(BillsQuery)],
    response=[
        schemas.ok(BillsOut),
        schemas.PARAMETER_ERROR,
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no such card"),
    ],
)
async def card_bills(request: ApiRequest, context_id: uuid.UUID, card_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"card": card, "items": [bill, ...]}``; 404 for a card the context does not have."""
    member = await require(request, context_id, Action.READ)
    query = parse_query(request, BillsQuery)
    first: dt.date | None = None
    if query.first is not None:
        try:
            first = parse_month(query.first)
        except InvalidBudgetError as exc:
            raise invalid_parameter("from", str(exc)) from exc
    today = local_date(dt.datetime.now(dt.UTC), member.context.time_zone)
    bus = request.app.ctx.bus

    def load() -> tuple[CardV1, list[CardBillV1]] | None:
        with bus.uow_factory() as uow:
            context = uow.contexts.get(context_id)
            card = uow.cards.get(context_id, card_id)
            if context is None or card is None:
                return None
            start = first or bill_of(today, card).month
            return cards.wire_card(card), cards.bills_from(uow, context, card, start, query.months, today)

    found = await asyncio.to_thread(load)
    if found is None:
        raise not_found("no such card in this context")
    card, bills = found
    return json_response({"card": card_json(card), "items": [bill_json(b) for b in bills]})


def blueprint() -> Blueprint:
    """Return a new ``cards`` blueprint (one per app)."""
    bp = Blueprint("cards", url_prefix="/api/v1/contexts/<context_id:uuid>/cards")
    bp.add_route(list_cards, "", methods=["GET"], name="list")
    bp.add_route(create_card, "", methods=["POST"], name="create")
    bp.add_route(card_bills, "/<card_id:uuid>/bills", methods=["GET"], name="bills")
    return bp
