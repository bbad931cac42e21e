"""What a context's members sent, recorded or not, and the originals.

* ``GET /api/v1/contexts/<context_id>/captures`` — newest first; ``status=needs_review`` is the queue.
* ``GET /api/v1/contexts/<context_id>/captures/<capture_id>/original`` — the file as received.

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
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.originals import serve_original
from financy.core.entrypoints.api.params import parse_query
from financy.core.entrypoints.api.security import require
from financy.core.views.captures import capture_original, captures


@openapi.definition(
    summary="What the context's members sent, newest first, recorded or not",
    description="Voice notes, photos and messages, each with its status (recorded, needs_review, "
    "command), the problem that kept it from being recorded, the transcript or OCR text, and the "
    "original's reference. status=needs_review lists what is waiting for someone.",
    tag="ledger",
    secured=schemas.SECURED,
    parameter=[
        *schemas.path_parameters(context_id="context UUID"),
        *schemas.query_parameters(schemas.CaptureQuery),
    ],
    response=[schemas.ok(schemas.CapturesOut), schemas.PARAMETER_ERROR, *schemas.CONTEXT_ERRORS],
)
async def list_captures(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"items": [capture, ...]}`` (:class:`schemas.CapturesOut`)."""
    await require(request, context_id, Action.READ)
    query = parse_query(request, schemas.CaptureQuery)
    engine = request.app.ctx.engine

    def load() -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return captures(conn, context_id, status=query.status, before=query.before, limit=query.limit)

    return json_response({"items": await asyncio.to_thread(load)})


@openapi.definition(
    summary="The original voice note, photo or document of a capture",
    description="Streams the file kept in the object store (also for captures that were not recorded).",
    tag="ledger",
    secured=schemas.SECURED,
    parameter=schemas.path_parameters(context_id="context UUID", capture_id="capture UUID"),
    response=[
        schemas.binary("the file"),
        schemas.presigned_redirect(),
        *schemas.CONTEXT_ERRORS,
        schemas.error(404, "no original"),
        schemas.error(409, "the original is held at its edge (data-residency mode)"),
    ],
)
async def get_capture_original(
    request: ApiRequest, context_id: uuid.UUID, capture_id: uuid.UUID
) -> HTTPResponse:
    """Return a capture's original bytes; 404 for a text or a file that is gone."""
    await require(request, context_id, Action.READ)
    return await serve_original(request, lambda conn: capture_original(conn, context_id, capture_id))


def blueprint() -> Blueprint:
    """Return a new ``captures`` blueprint (one per app)."""
    bp = Blueprint("captures", url_prefix="/api/v1/contexts/<context_id:uuid>/captures")
    bp.add_route(list_captures, "", methods=["GET"], name="list")
    bp.add_route(get_capture_original, "/<capture_id:uuid>/original", methods=["GET"], name="original")
    return bp
