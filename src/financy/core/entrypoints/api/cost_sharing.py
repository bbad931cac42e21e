"""Cost sharing among a context's members: a transaction's shares, balances, settlements.

* ``GET /api/v1/contexts/<id>/transactions/<tid>/shares`` — who shares its cost (``read``).
* ``POST /api/v1/contexts/<id>/transactions/<tid>/shares`` — share its cost equally, by weights
  or by amounts (:class:`~.cost_sharing_schemas.SharesIn`; replaces an earlier split; ``edit``).
* ``DELETE /api/v1/contexts/<id>/transactions/<tid>/shares`` — its cost is not shared any more (204).
* ``GET /api/v1/contexts/<id>/balances`` — every member's balance (positive: owed) and the
  suggested transfers that settle them (``read``).
* ``GET /api/v1/contexts/<id>/settlements`` — the settlements, oldest first (``read``).
* ``POST /api/v1/contexts/<id>/settlements`` — record that one member paid another (201,
  ``record``).

Balances and settlements are in the ledger's base currency (the semantics of ihatemoney and
Spliit: :mod:`financy.core.domain.cost_sharing`). Bad input is a 4xx with the error shape and
changes nothing: 400 ``bad_request`` (a malformed body), ``invalid_cost_split``,
``unknown_member``, ``same_member``, ``settlement_currency``, ``too_many_decimals``,
``invalid_amount``; 422 ``cost_split_mismatch`` (amounts that do not add up, with the
difference); 409 ``not_an_expense``, ``no_payer``; 404 for a transaction not in the context.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sanic import Blueprint
from sanic.exceptions import BadRequest
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi
from sanic_ext.extensions.openapi.definitions import Response

from financy.core.contracts.v1 import CostSharingV1
from financy.core.domain.authorization import Action
from financy.core.domain.cost_sharing_commands import RecordSettlement, ShareTransaction
from financy.core.domain.editing import plain
from financy.core.entrypoints.api import cost_sharing_schemas as cs
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.editing_schemas import parse
from financy.core.entrypoints.api.errors import ApiError, not_found
from financy.core.entrypoints.api.security import require
from financy.core.service import cost_sharing
from financy.core.service.cost_sharing_port import CostShare, SettlementRecord
from financy.core.service.unit_of_work import AbstractUnitOfWork

_CONTEXT = schemas.path_parameters(context_id="context UUID")
_ONE = schemas.path_parameters(context_id="context UUID", transaction_id="transaction UUID")
_BAD = schemas.error(400, "bad input: a field, a member, an amount's decimals, a currency (nothing changed)")
_NOT_FOUND = schemas.error(404, "no such transaction in this context")


def _body(request: ApiRequest) -> Any:
    try:
        return request.json
    except BadRequest as exc:
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc


def balances_json(view: CostSharingV1) -> dict[str, Any]:
    """Return ``view`` as :class:`cs.BalancesOut`."""
    currency = view.currency
    return {
        "currency": currency,
        "items": [
            {"user_id": str(b.user_id), "name": b.name, "balance": plain(b.amount, currency)}
            for b in view.balances
        ],
        "transfers": [
            {
                "from_user": str(t.from_user),
                "from_name": t.from_name,
                "to_user": str(t.to_user),
                "to_name": t.to_name,
                "amount": plain(t.amount, currency),
            }
            for t in view.transfers
        ],
        "unvalued": view.unvalued,
    }


def _names(
    uow: AbstractUnitOfWork, context_id: uuid.UUID, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    names = {m.user_id: cost_sharing.display_name(m) for m in uow.members.members(context_id)}
    missing = set(user_ids) - set(names)
    names.update({u: cost_sharing.display_name(p) for u, p in uow.cost_sharing.names(missing).items()})
    return names


def _shares_json(
    tx_id: uuid.UUID,
    paid_by: uuid.UUID | None,
    currency: str,
    base_currency: str,
    shares: list[CostShare],
    names: dict[uuid.UUID, str],
) -> dict[str, Any]:
    ordered = sorted(shares, key=lambda s: (s.user_id != paid_by, str(s.user_id)))
    return {
        "transaction_id": str(tx_id),
        "paid_by": str(paid_by) if paid_by else None,
        "currency": currency,
        "items": [
            {
                "user_id": str(s.user_id),
                "name": names.get(s.user_id, "?"),
                "amount": plain(s.amount, currency),
                "base_amount": None if s.base_amount is None else plain(s.base_amount, base_currency),
            }
            for s in ordered
        ],
    }


def _settlement_json(record: SettlementRecord, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "from_user": str(record.from_user),
        "from_name": names.get(record.from_user, "?"),
        "to_user": str(record.to_user),
        "to_name": names.get(record.to_user, "?"),
        "amount": plain(record.amount, record.currency),
        "currency": record.currency,
        "occurred_on": record.occurred_on.isoformat(),
        "created_by": str(record.created_by) if record.created_by else None,
        "note": record.note,
        "created_at": record.created_at.isoformat() if record.created_at else None,
    }


# --------------------------------------------------------------------------- shares


@openapi.definition(
    summary="Who shares a transaction's cost",
    description="The members sharing it (payer first) with their parts; empty when not shared.",
    tag="cost sharing",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[schemas.ok(cs.SharesOut), *schemas.CONTEXT_ERRORS, _NOT_FOUND],
)
async def get_shares(request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID) -> HTTPResponse:
    """Answer :class:`cs.SharesOut` without balances; 404 for a transaction not in the context."""
    member = await require(request, context_id, Action.READ)
    bus = request.app.ctx.bus

    def load() -> dict[str, Any] | None:
        with bus.uow_factory() as uow:
            tx = uow.edits.get(context_id, transaction_id)
            if tx is None:
                return None
            base = member.context.base_currency
            stored = uow.cost_sharing.shares_of(context_id, transaction_id)
            shares = cost_sharing.current_shares(tx, stored, base)
            names = _names(uow, context_id, [s.user_id for s in shares])
            return _shares_json(tx.id, tx.paid_by, tx.money.currency, base, shares, names)

    found = await asyncio.to_thread(load)
    if found is None:
        raise not_found("no such transaction in this context")
    return json_response(found)


@openapi.definition(
    summary="Share a transaction's cost among members",
    description="mode equal (the payer carries the odd cent), shares (weights) or amounts (must add "
    "up to the transaction's amount, else 422 with the difference). The payer is the transaction's "
    "paid_by. Replaces an earlier split; answers the shares and the ledger's balances after.",
    tag="cost sharing",
    secured=schemas.SECURED,
    parameter=_ONE,
    body={"application/json": schemas.ref(cs.SharesIn)},
    response=[
        schemas.ok(cs.SharesOut),
        _BAD,
        *schemas.CONTEXT_ERRORS,
        _NOT_FOUND,
        schemas.error(409, "not an expense (not_an_expense), or its payer is unknown (no_payer)"),
        schemas.error(422, "the amounts do not add up to the transaction's (cost_split_mismatch)"),
    ],
)
async def post_shares(request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID) -> HTTPResponse:
    """Share the transaction's cost as :class:`cs.SharesIn` says."""
    member = await require(request, context_id, Action.EDIT)
    body = parse(cs.SharesIn, _body(request))
    parts: tuple[tuple[uuid.UUID, Decimal | None], ...] = tuple(
        (p.user_id, p.shares if body.mode == "shares" else p.amount if body.mode == "amounts" else None)
        for p in body.members
    )
    return await _share(request, member.user_id, context_id, transaction_id, body.mode, parts)


@openapi.definition(
    summary="Stop sharing a transaction's cost",
    tag="cost sharing",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[
        Response(None, status=204, description="Not shared any more"),
        *schemas.CONTEXT_ERRORS,
        _NOT_FOUND,
    ],
)
async def delete_shares(
    request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID
) -> HTTPResponse:
    """Remove the transaction's shares (204)."""
    member = await require(request, context_id, Action.EDIT)
    await _share(request, member.user_id, context_id, transaction_id, "equal", ())
    return HTTPResponse(status=204)


async def _share(
    request: ApiRequest,
    actor: uuid.UUID,
    context_id: uuid.UUID,
    transaction_id: uuid.UUID,
    mode: Any,
    parts: tuple[tuple[uuid.UUID, Decimal | None], ...],
) -> HTTPResponse:
    bus = request.app.ctx.bus
    command = ShareTransaction(actor, context_id, transaction_id, mode, parts)
    shares, view = await asyncio.to_thread(bus.handle, command)

    def load() -> dict[str, Any]:
        with bus.uow_factory() as uow:
            tx = uow.edits.get(context_id, transaction_id)
            assert tx is not None  # the command found it
            names = _names(uow, context_id, [s.user_id for s in shares])
            return _shares_json(tx.id, tx.paid_by, tx.money.currency, view.currency, shares, names)

    answer = await asyncio.to_thread(load)
    return json_response({**answer, "balances": balances_json(view)})


# --------------------------------------------------------------------------- balances, settlements


@openapi.definition(
    summary="Who owes whom: balances and suggested transfers",
    description="Balances in the ledger's base currency (positive: the member is owed), adding up "
    "to zero; transfers: the greedy settle-up plan (at most n-1 transfers for n members).",
    tag="cost sharing",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    response=[schemas.ok(cs.BalancesOut), *schemas.CONTEXT_ERRORS],
)
async def get_balances(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer :class:`cs.BalancesOut`."""
    await require(request, context_id, Action.READ)
    bus = request.app.ctx.bus

    def load() -> CostSharingV1:
        with bus.uow_factory() as uow:
            context = uow.contexts.get(context_id)
            assert context is not None  # require() found it
            return cost_sharing.sharing_view(uow, context)

    return json_response(balances_json(await asyncio.to_thread(load)))


@openapi.definition(
    summary="The settlements between members",
    tag="cost sharing",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    response=[schemas.ok(cs.SettlementsOut), *schemas.CONTEXT_ERRORS],
)
async def list_settlements(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Answer :class:`cs.SettlementsOut`, oldest first."""
    await require(request, context_id, Action.READ)
    bus = request.app.ctx.bus

    def load() -> list[dict[str, Any]]:
        with bus.uow_factory() as uow:
            records = uow.cost_sharing.settlements(context_id)
            names = _names(uow, context_id, {u for r in records for u in (r.from_user, r.to_user)})
            return [_settlement_json(r, names) for r in records]

    return json_response({"items": await asyncio.to_thread(load)})


@openapi.definition(
    summary="Record a settlement: one member paid another",
    description="from_user (default: you) paid to_user the amount, in the ledger's base currency. "
    "Balances move; the ledger's income and expenses do not. Answers it with the balances after.",
    tag="cost sharing",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    body={"application/json": schemas.ref(cs.SettlementIn)},
    response=[schemas.ok(cs.SettledOut, "Recorded", status=201), _BAD, *schemas.CONTEXT_ERRORS],
)
async def create_settlement(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Record :class:`cs.SettlementIn`; answer 201 :class:`cs.SettledOut`."""
    member = await require(request, context_id, Action.RECORD)
    body = parse(cs.SettlementIn, _body(request))
    bus = request.app.ctx.bus
    command = RecordSettlement(
        member.user_id,
        context_id,
        body.from_user or member.user_id,
        body.to_user,
        body.amount,
        currency=body.currency,
        occurred_on=body.occurred_on,
        note=body.note,
    )
    record, view = await asyncio.to_thread(bus.handle, command)

    def load() -> dict[str, Any]:
        with bus.uow_factory() as uow:
            stored = next(r for r in uow.cost_sharing.settlements(context_id) if r.id == record.id)
            return _settlement_json(stored, _names(uow, context_id, (stored.from_user, stored.to_user)))

    answer = await asyncio.to_thread(load)
    return json_response({**answer, "balances": balances_json(view)}, status=201)


def blueprint() -> Blueprint:
    """Return a new ``cost_sharing`` blueprint (one per app)."""
    bp = Blueprint("cost_sharing", url_prefix="/api/v1/contexts/<context_id:uuid>")
    shares = "/transactions/<transaction_id:uuid>/shares"
    bp.add_route(get_shares, shares, methods=["GET"], name="shares")
    bp.add_route(post_shares, shares, methods=["POST"], name="share")
    bp.add_route(delete_shares, shares, methods=["DELETE"], name="unshare")
    bp.add_route(get_balances, "/balances", methods=["GET"], name="balances")
    bp.add_route(list_settlements, "/settlements", methods=["GET"], name="settlements")
    bp.add_route(create_settlement, "/settlements", methods=["POST"], name="settle")
    return bp
