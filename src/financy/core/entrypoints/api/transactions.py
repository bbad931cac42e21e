"""A context's transactions: the list, one with its receipt lines and source, and its original.

* ``GET /api/v1/contexts/<context_id>/transactions`` — newest first, filters, keyset cursor pages.
* ``GET /api/v1/contexts/<context_id>/transactions/<transaction_id>`` — one, with ``items`` and ``source``.
* ``GET /api/v1/contexts/<context_id>/transactions/<transaction_id>/original`` — the file it came from.

Each route first calls :func:`~financy.core.entrypoints.api.security.require` (read access).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.domain.authorization import Action
from financy.core.entrypoints.api import editing_schemas, schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import not_found
from financy.core.entrypoints.api.originals import serve_original
from financy.core.entrypoints.api.params import parse_query
from financy.core.entrypoints.api.security import require
from financy.core.views.transactions import TransactionPage, original_of, transaction_detail, transactions

_CONTEXT = schemas.path_parameters(context_id="context UUID")
_ONE = schemas.path_parameters(context_id="context UUID", transaction_id="transaction UUID")


@openapi.definition(
    summary="Transactions of a context, newest first",
    description="Ordered by (occurred_on, id) descending. Pass the response's next_cursor as "
    "cursor to get the next page; next_cursor is null on the last page.",
    tag="ledger",
    secured=schemas.SECURED,
    parameter=[*_CONTEXT, *schemas.query_parameters(schemas.TransactionQuery)],
    response=[schemas.ok(schemas.TransactionsOut), schemas.PARAMETER_ERROR, *schemas.CONTEXT_ERRORS],
)
async def list_transactions(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"items": [...], "next_cursor": ...}`` (:class:`schemas.TransactionsOut`)."""
    member = await require(request, context_id, Action.READ)
    query = parse_query(request, schemas.TransactionQuery)
    engine = request.app.ctx.engine

    def load() -> TransactionPage:
        with engine.connect() as conn:
            return transactions(
                conn,
                context_id,
                date_from=query.date_from,
                date_to=query.date_to,
                category=query.category,
                status=query.status,
                limit=query.limit,
                cursor=query.cursor,
                language=member.context.language,
            )

    return json_response((await asyncio.to_thread(load)).to_json())


@openapi.definition(
    summary="One transaction with its receipt lines and where it came from",
    description="The list's fields plus its sub-category, split lines and base-currency value, "
    "items (a receipt's lines) and source: the capture's media "
    "type, the original's reference in the object store, the transcript or OCR text with the models "
    "that read it (provenance) and a receipt's fields.",
    tag="ledger",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[
        schemas.ok(editing_schemas.EditedTransactionOut),
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no such transaction"),
    ],
)
async def get_transaction(
    request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID
) -> HTTPResponse:
    """Return one transaction (:class:`editing_schemas.EditedTransactionOut`); 404 if the context has none such."""
    member = await require(request, context_id, Action.READ)
    engine = request.app.ctx.engine

    def load() -> dict[str, Any] | None:
        with engine.connect() as conn:
            return transaction_detail(conn, context_id, transaction_id, language=member.context.language)

    detail = await asyncio.to_thread(load)
    if detail is None:
        raise not_found("no such transaction in this context")
    return json_response(detail)


@openapi.definition(
    summary="The original voice note or photo a transaction was recorded from",
    description="Streams the file kept in the object store, with its content type (as an attachment).",
    tag="ledger",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[
        schemas.binary("the file"),
        schemas.presigned_redirect(),
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no original"),
        schemas.error(409, "the original is held at its edge (data-residency mode)"),
    ],
)
async def get_original(request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID) -> HTTPResponse:
    """Return the original's bytes; 404 when the transaction came from a text or the file is gone."""
    await require(request, context_id, Action.READ)
    return await serve_original(request, lambda conn: original_of(conn, context_id, transaction_id))


def blueprint() -> Blueprint:
    """Return a new ``transactions`` blueprint (one per app)."""
    bp = Blueprint("transactions", url_prefix="/api/v1/contexts/<context_id:uuid>/transactions")
    bp.add_route(list_transactions, "", methods=["GET"], name="list")
    bp.add_route(get_transaction, "/<transaction_id:uuid>", methods=["GET"], name="one")
    bp.add_route(get_original, "/<transaction_id:uuid>/original", methods=["GET"], name="original")
    return bp
