"""Editing a ledger through the API: transactions and categories under ``/api/v1/contexts/<id>/``.

* ``POST transactions`` (201), ``PATCH transactions/<tid>``, ``DELETE transactions/<tid>``
  (reversible), ``POST transactions/<tid>/restore``, ``PUT``/``DELETE transactions/<tid>/splits``:
  each answers the transaction as ``GET transactions/<tid>`` does (with ``splits``);
* ``GET transactions/<tid>/audit``: who did what to it, when, before and after;
* ``GET categories``, ``POST categories`` (a sub-category, 201), ``PATCH categories/<key>``
  (rename: a slug's display name in this ledger, or a sub-category), ``DELETE categories/<key>``
  (a sub-category; its transactions keep the parent).

Every route calls :func:`~financy.core.entrypoints.api.security.require` first: reading is
``Action.READ``, recording ``Action.RECORD``, everything else ``Action.EDIT`` (editor and above).
The handlers check the role again in their unit of work. Bad input is a 4xx with the error shape
and changes nothing; a transaction of another ledger is 404 like an unknown one.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sanic import Blueprint
from sanic.exceptions import BadRequest
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.domain.authorization import Action
from financy.core.domain.commands import Command
from financy.core.domain.editing import (
    AddSubcategory,
    CreateTransaction,
    DeleteSubcategory,
    DeleteTransaction,
    EditTransaction,
    RemoveSplit,
    RenameCategory,
    RestoreTransaction,
    SplitLine,
    SplitTransaction,
    Subcategory,
)
from financy.core.entrypoints.api import editing_schemas as es
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError, not_found
from financy.core.entrypoints.api.security import Member, require
from financy.core.views.editing import audit_of, categories_of, category_item
from financy.core.views.transactions import transaction_detail

_CONTEXT = schemas.path_parameters(context_id="context UUID")
_ONE = schemas.path_parameters(context_id="context UUID", transaction_id="transaction UUID")
_KEY = [
    *_CONTEXT,
    {
        "name": "key",
        "location": "path",
        "required": True,
        "description": "a taxonomy slug (groceries) or a sub-category id",
        "schema": schemas._RawSchema(type="string"),
    },
]
_BAD = schemas.error(
    400, "bad input: a field, an amount's decimals, a currency, a category (nothing changed)"
)
_NOT_FOUND = schemas.error(404, "no such transaction in this context")
_CONFLICT = schemas.error(409, "the transaction's state does not allow it (deleted, not deleted, split)")


def _body(request: ApiRequest) -> Any:
    try:
        return request.json
    except BadRequest as exc:
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc


async def _handle(request: ApiRequest, command: Command) -> Any:
    return await asyncio.to_thread(request.app.ctx.bus.handle, command)


async def _detail(
    request: ApiRequest, member: Member, transaction_id: uuid.UUID, status: int = 200
) -> HTTPResponse:
    engine = request.app.ctx.engine

    def load() -> dict[str, Any] | None:
        with engine.connect() as conn:
            return transaction_detail(
                conn, member.context.id, transaction_id, language=member.context.language
            )

    detail = await asyncio.to_thread(load)
    if detail is None:
        raise not_found("no such transaction in this context")
    return json_response(detail, status=status)


# --------------------------------------------------------------------------- transactions


@openapi.definition(
    summary="Record a transaction by hand",
    description="Needs recording rights (editor and above). The amount is a decimal string with at "
    "most the currency's ISO 4217 decimals; the transaction is valued in the ledger's base currency.",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    body={"application/json": schemas.ref(es.TransactionIn)},
    response=[schemas.ok(es.EditedTransactionOut, "recorded", 201), _BAD, *schemas.CONTEXT_ERRORS],
)
async def create_transaction(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Record :class:`es.TransactionIn`; answer 201 with the transaction."""
    member = await require(request, context_id, Action.RECORD)
    body = es.parse(es.TransactionIn, _body(request))
    tid = await _handle(
        request,
        CreateTransaction(
            context_id=context_id,
            actor_id=member.user_id,
            kind=body.kind,
            amount=body.amount,
            currency=body.currency,
            occurred_on=body.occurred_on,
            merchant=body.merchant,
            description=body.description,
            category=body.category,
            subcategory_id=body.subcategory,
            payment_method=body.payment_method,
            paid_by=body.paid_by,
        ),
    )
    return await _detail(request, member, tid, status=201)


@openapi.definition(
    summary="Change fields of a transaction",
    description="Any of the create fields; null clears an optional one. Editors change anyone's entries.",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_ONE,
    body={"application/json": schemas.ref(es.TransactionPatch)},
    response=[schemas.ok(es.EditedTransactionOut), _BAD, *schemas.CONTEXT_ERRORS, _NOT_FOUND, _CONFLICT],
)
async def edit_transaction(
    request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID
) -> HTTPResponse:
    """Apply :class:`es.TransactionPatch`; answer the transaction."""
    member = await require(request, context_id, Action.EDIT)
    patch = es.parse(es.TransactionPatch, _body(request))
    await _handle(request, EditTransaction(context_id, member.user_id, transaction_id, patch.changes()))
    return await _detail(request, member, transaction_id)


@openapi.definition(
    summary="Delete a transaction (reversible)",
    description="The transaction stays with status reversed; POST .../restore brings it back.",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[schemas.ok(es.EditedTransactionOut), *schemas.CONTEXT_ERRORS, _NOT_FOUND, _CONFLICT],
)
async def delete_transaction(
    request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID
) -> HTTPResponse:
    """Reverse the transaction; answer it (status ``reversed``)."""
    member = await require(request, context_id, Action.EDIT)
    await _handle(request, DeleteTransaction(context_id, member.user_id, transaction_id))
    return await _detail(request, member, transaction_id)


@openapi.definition(
    summary="Undo the delete of a transaction",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[schemas.ok(es.EditedTransactionOut), *schemas.CONTEXT_ERRORS, _NOT_FOUND, _CONFLICT],
)
async def restore_transaction(
    request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID
) -> HTTPResponse:
    """Make the reversed transaction recorded again; answer it."""
    member = await require(request, context_id, Action.EDIT)
    await _handle(request, RestoreTransaction(context_id, member.user_id, transaction_id))
    return await _detail(request, member, transaction_id)


@openapi.definition(
    summary="Split a transaction across categories",
    description='The body is {"lines": [...]} or the bare list of {category, amount, subcategory?, '
    "note?}; at least 2 lines whose amounts add up exactly to the transaction's (else 422 with the "
    "difference). Replaces an earlier split.",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_ONE,
    body={"application/json": schemas.ref(es.SplitIn)},
    response=[
        schemas.ok(es.EditedTransactionOut),
        _BAD,
        *schemas.CONTEXT_ERRORS,
        _NOT_FOUND,
        _CONFLICT,
        schemas.error(422, "the lines do not add up to the transaction's amount (split_mismatch)"),
    ],
)
async def put_splits(request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID) -> HTTPResponse:
    """Store the split; answer the transaction with its ``splits``."""
    member = await require(request, context_id, Action.EDIT)
    given = _body(request)
    body = es.parse(es.SplitIn, {"lines": given} if isinstance(given, list) else given)
    lines = tuple(SplitLine(line.category, line.amount, line.note, line.subcategory) for line in body.lines)
    await _handle(request, SplitTransaction(context_id, member.user_id, transaction_id, lines))
    return await _detail(request, member, transaction_id)


@openapi.definition(
    summary="Remove a transaction's split",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[schemas.ok(es.EditedTransactionOut), *schemas.CONTEXT_ERRORS, _NOT_FOUND, _CONFLICT],
)
async def delete_splits(
    request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID
) -> HTTPResponse:
    """Remove the split; answer the transaction (``splits`` empty)."""
    member = await require(request, context_id, Action.EDIT)
    await _handle(request, RemoveSplit(context_id, member.user_id, transaction_id))
    return await _detail(request, member, transaction_id)


@openapi.definition(
    summary="The audit trail of a transaction",
    description="Every change, oldest first: who (actor), what (name), when, the fields before and after.",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_ONE,
    response=[schemas.ok(es.AuditOut), *schemas.CONTEXT_ERRORS, _NOT_FOUND],
)
async def get_audit(request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"items": [event, ...]}``; 404 if the context has no such transaction."""
    await require(request, context_id, Action.READ)
    engine = request.app.ctx.engine

    def load() -> list[dict[str, Any]] | None:
        with engine.connect() as conn:
            return audit_of(conn, context_id, transaction_id)

    items = await asyncio.to_thread(load)
    if items is None:
        raise not_found("no such transaction in this context")
    return json_response({"items": items})


# --------------------------------------------------------------------------- categories


async def _category(request: ApiRequest, member: Member, key: str, status: int = 200) -> HTTPResponse:
    engine = request.app.ctx.engine

    def load() -> dict[str, Any] | None:
        with engine.connect() as conn:
            return category_item(conn, member.context.id, key, language=member.context.language)

    item = await asyncio.to_thread(load)
    if item is None:
        raise not_found(f"no category {key!r} in this context")
    return json_response(item, status=status)


@openapi.definition(
    summary="The ledger's categories",
    description="The stable taxonomy in the ledger's language with this ledger's own names and sub-categories.",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    response=[schemas.ok(es.CategoriesOut), *schemas.CONTEXT_ERRORS],
)
async def list_categories(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"items": [category, ...]}`` in the taxonomy's order."""
    member = await require(request, context_id, Action.READ)
    engine = request.app.ctx.engine

    def load() -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return categories_of(conn, context_id, language=member.context.language)

    return json_response({"items": await asyncio.to_thread(load)})


@openapi.definition(
    summary="Add a sub-category to this ledger",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_CONTEXT,
    body={"application/json": schemas.ref(es.SubcategoryIn)},
    response=[
        schemas.ok(es.SubcategoryOut, "added", 201),
        _BAD,
        *schemas.CONTEXT_ERRORS,
        schemas.error(409, "the parent has a sub-category of that name (category_exists)"),
    ],
)
async def add_subcategory(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Add :class:`es.SubcategoryIn`; answer 201 with it."""
    member = await require(request, context_id, Action.EDIT)
    body = es.parse(es.SubcategoryIn, _body(request))
    sub: Subcategory = await _handle(
        request, AddSubcategory(context_id, member.user_id, body.parent, body.name)
    )
    return await _category(request, member, str(sub.id), status=201)


@openapi.definition(
    summary="Rename a category in this ledger",
    description="A slug gets a display name for this ledger only (null: the taxonomy's again; the slug "
    "never changes); a sub-category a new name.",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_KEY,
    body={"application/json": schemas.ref(es.CategoryPatch)},
    response=[
        schemas.ok(es.CategoryOut),
        _BAD,
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no such category"),
        schemas.error(409, "the name is taken"),
    ],
)
async def rename_category(request: ApiRequest, context_id: uuid.UUID, key: str) -> HTTPResponse:
    """Apply :class:`es.CategoryPatch`; answer the category (or sub-category)."""
    member = await require(request, context_id, Action.EDIT)
    body = es.parse(es.CategoryPatch, _body(request))
    await _handle(request, RenameCategory(context_id, member.user_id, key, body.name))
    return await _category(request, member, key)


@openapi.definition(
    summary="Delete a sub-category of this ledger",
    description="Its transactions and split lines keep the parent category. Taxonomy slugs cannot be deleted.",
    tag="editing",
    secured=schemas.SECURED,
    parameter=_KEY,
    response=[
        schemas.ok(es.DeletedCategoryOut),
        _BAD,
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no such category"),
    ],
)
async def delete_category(request: ApiRequest, context_id: uuid.UUID, key: str) -> HTTPResponse:
    """Delete the sub-category ``key``; answer ``{"deleted", "parent", "transactions"}``."""
    member = await require(request, context_id, Action.EDIT)
    engine = request.app.ctx.engine

    def load() -> dict[str, Any] | None:
        with engine.connect() as conn:
            return category_item(conn, context_id, key, language=member.context.language)

    item = await asyncio.to_thread(load)
    moved = await _handle(request, DeleteSubcategory(context_id, member.user_id, key))
    assert item is not None  # the handler found it
    return json_response({"deleted": item["id"], "parent": item["parent"], "transactions": moved})


def blueprints() -> list[Blueprint]:
    """Return new ``editing_transactions`` and ``editing_categories`` blueprints (one set per app)."""
    tx = Blueprint("editing_transactions", url_prefix="/api/v1/contexts/<context_id:uuid>/transactions")
    tx.add_route(create_transaction, "", methods=["POST"], name="create")
    tx.add_route(edit_transaction, "/<transaction_id:uuid>", methods=["PATCH"], name="edit")
    tx.add_route(delete_transaction, "/<transaction_id:uuid>", methods=["DELETE"], name="delete")
    tx.add_route(restore_transaction, "/<transaction_id:uuid>/restore", methods=["POST"], name="restore")
    tx.add_route(put_splits, "/<transaction_id:uuid>/splits", methods=["PUT"], name="split")
    tx.add_route(delete_splits, "/<transaction_id:uuid>/splits", methods=["DELETE"], name="unsplit")
    tx.add_route(get_audit, "/<transaction_id:uuid>/audit", methods=["GET"], name="audit")
    cat = Blueprint("editing_categories", url_prefix="/api/v1/contexts/<context_id:uuid>/categories")
    cat.add_route(list_categories, "", methods=["GET"], name="list")
    cat.add_route(add_subcategory, "", methods=["POST"], name="add")
    cat.add_route(rename_category, "/<key:str>", methods=["PATCH"], name="rename")
    cat.add_route(delete_category, "/<key:str>", methods=["DELETE"], name="delete")
    return [tx, cat]
