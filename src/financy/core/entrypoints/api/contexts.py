"""The caller's ledger contexts: ``GET /api/v1/contexts``."""

from __future__ import annotations

import asyncio

from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.security import current_user
from financy.core.views.contexts import contexts_of


@openapi.definition(
    summary="Contexts the user belongs to",
    description="Personal, family, project and travel ledgers, oldest first, with the caller's role.",
    tag="ledger",
    secured=schemas.SECURED,
    response=[schemas.ok(schemas.ContextsOut), *schemas.AUTH_ERRORS],
)
async def list_contexts(request: ApiRequest) -> HTTPResponse:
    """Return ``{"items": [context, ...]}``: only the contexts the bearer's user is a member of."""
    user_id = current_user(request)
    engine = request.app.ctx.engine

    def load() -> list[dict[str, str | bool]]:
        with engine.connect() as conn:
            return [c.to_json() for c in contexts_of(conn, user_id)]

    return json_response({"items": await asyncio.to_thread(load)})


def blueprint() -> Blueprint:
    """Return a new ``contexts`` blueprint (one per app)."""
    bp = Blueprint("contexts", url_prefix="/api/v1/contexts")
    bp.add_route(list_contexts, "", methods=["GET"], name="list")
    return bp
