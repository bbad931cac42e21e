"""FX of a context: a user's own rate for one transaction, and the ledger's card IOF choice.

* ``PUT /api/v1/contexts/<context_id>/transactions/<transaction_id>/fx`` ``{"rate": "5.12"}`` —
  the card's real rate (base currency units per unit of the transaction's currency) replaces the
  ECB's: ``fx_source`` ``override``, ``base_amount`` recomputed; answers the transaction
  (``Action.EDIT``). A rate that is not a positive number, or a transaction already in the base
  currency: 422 ``invalid_rate``, nothing changed.
* ``PUT /api/v1/contexts/<context_id>/fx/iof`` ``{"enabled": true}`` — a card's foreign purchases
  get their IOF as a fee line from then on (``Action.MANAGE_CONTEXT``).

Each route first calls :func:`~financy.core.entrypoints.api.security.require`.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.domain.authorization import Action
from financy.core.domain.commands import OverrideFxRate, SetCardIof
from financy.core.domain.errors import InvalidFxRateError
from financy.core.domain.model import LedgerContext, Transaction
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, not_found
from financy.core.entrypoints.api.security import require
from financy.core.views.transactions import transaction_detail

_ONE = schemas.path_parameters(context_id="context UUID", transaction_id="transaction UUID")
_CONTEXT = schemas.path_parameters(context_id="context UUID")


def _json_body(request: ApiRequest) -> dict[str, Any]:
    try:
        body = request.json
    except Exception as exc:  # sanic raises BadRequest on malformed JSON
        raise ApiError(422, "invalid_body", "expected a JSON object") from exc
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", "expected a JSON object")
    return body


#: The rates a person may set: wider than any pair of real currencies (VND per KWD is about
#: 8e4, KWD per VND 1.2e-5), narrow enough that the base amount fits its column (never a 500).
MIN_RATE, MAX_RATE = Decimal("0.000001"), Decimal("1000000")


def parse_rate(value: object) -> Decimal:
    """Return ``value`` (a JSON number or a decimal string) as a positive finite Decimal.

    Raises:
        ApiError: 422 ``invalid_rate`` for anything else (a boolean, ``0``, ``-1``, ``"abc"``, NaN).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ApiError(422, "invalid_rate", "'rate': expected a positive number")
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ApiError(422, "invalid_rate", f"'rate': expected a positive number, got {value!r}") from exc
    if not rate.is_finite() or rate <= 0:
        raise ApiError(422, "invalid_rate", f"'rate': expected a positive number, got {value!r}")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise ApiError(
            422, "invalid_rate", f"'rate': expected a rate between {MIN_RATE} and {MAX_RATE}, got {value!r}"
        )
    return rate


@openapi.definition(
    summary="Set a transaction's FX rate (the card's real rate)",
    description="rate: units of the ledger's base currency per unit of the transaction's currency. "
    "fx_source becomes override and base_amount is recomputed (with the IOF line of a card purchase).",
    tag="ledger",
    secured=schemas.SECURED,
    parameter=_ONE,
    body={"application/json": schemas.ref(schemas.FxRateIn)},
    response=[
        schemas.ok(schemas.TransactionDetailOut),
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no such recorded transaction"),
        schemas.error(422, "not a positive number, or already in the base currency (invalid_rate)"),
    ],
)
async def put_fx_rate(request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID) -> HTTPResponse:
    """Answer the transaction with its new base value (:class:`schemas.TransactionDetailOut`)."""
    member = await require(request, context_id, Action.EDIT)
    rate = parse_rate(_json_body(request).get("rate"))
    ctx = request.app.ctx

    def change() -> dict[str, Any] | None:
        done: Transaction | None = ctx.bus.handle(
            OverrideFxRate(context_id, transaction_id, rate, member.user_id)
        )
        if done is None:
            return None
        with ctx.engine.connect() as conn:
            return transaction_detail(conn, context_id, transaction_id, language=member.context.language)

    try:
        detail = await asyncio.to_thread(change)
    except InvalidFxRateError as exc:
        raise ApiError(422, "invalid_rate", str(exc)) from exc
    if detail is None:
        raise not_found("no such recorded transaction in this context")
    return json_response(detail)


@openapi.definition(
    summary="Turn a card's IOF fee lines on or off for this ledger",
    description="In a BRL ledger, a foreign-currency expense paid by credit card then gets a second "
    "transaction (taxes_fees, 'IOF') at the rate in force on its date. Off by default.",
    tag="ledger",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    body={"application/json": schemas.ref(schemas.CardIofIn)},
    response=[
        schemas.ok(schemas.CardIofOut),
        *schemas.CONTEXT_ERRORS,
        schemas.error(422, "enabled is not a boolean"),
    ],
)
async def put_card_iof(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer ``{"card_iof": bool}``."""
    member = await require(request, context_id, Action.MANAGE_CONTEXT)
    enabled = _json_body(request).get("enabled")
    if not isinstance(enabled, bool):
        raise ApiError(422, "invalid_body", "'enabled': expected true or false")
    ctx = request.app.ctx

    def change() -> LedgerContext:
        result: LedgerContext = ctx.bus.handle(SetCardIof(context_id, enabled, member.user_id))
        return result

    context = await asyncio.to_thread(change)
    return json_response({"card_iof": context.card_iof})


def blueprint() -> Blueprint:
    """Return a new ``fx`` blueprint (one per app)."""
    bp = Blueprint("fx", url_prefix="/api/v1/contexts/<context_id:uuid>")
    bp.add_route(put_fx_rate, "/transactions/<transaction_id:uuid>/fx", methods=["PUT"], name="rate")
    bp.add_route(put_card_iof, "/fx/iof", methods=["PUT"], name="card_iof")
    return bp
