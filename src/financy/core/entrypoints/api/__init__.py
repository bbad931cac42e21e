"""Core HTTP API and dashboard (Sanic), one module per resource.

Routes (DESIGN §6, port 8080):

* ``GET /healthz``, ``GET /readyz``, ``GET /metrics`` — :mod:`.health` (public).
* ``POST /api/v1/auth/token``, ``GET /api/v1/me`` — :mod:`.auth`.
* ``GET /api/v1/contexts`` — :mod:`.contexts`.
* ``GET /api/v1/contexts/<id>/transactions[/<id>[/original]]`` — :mod:`.transactions`.
* ``GET /api/v1/contexts/<id>/captures[/<id>/original]`` — :mod:`.captures`.
* ``GET /docs`` (Swagger UI), ``GET /docs/openapi.json``; ``GET /`` the dashboard — :mod:`.web`.

Every context-scoped route authorizes through :func:`.security.require`; every error is
``{"error": {"code": str, "message": str}}`` (:mod:`.errors`); inputs and the OpenAPI document
come from one set of pydantic models (:mod:`.schemas`, :mod:`.params`). Database work runs on
a sync SQLAlchemy engine in worker threads (``asyncio.to_thread``), never on the event loop.
"""

from __future__ import annotations

from financy.core.entrypoints.api.app import MAX_BODY_BYTES, create_app, run_api
from financy.core.entrypoints.api.context import ApiApp, ApiContext, ApiRequest, Dashboard, Metrics
from financy.core.entrypoints.api.errors import ApiError, JsonErrorHandler, error_body
from financy.core.entrypoints.api.security import JWT_ALGORITHM, current_user, issue_token, require

__all__ = [
    "JWT_ALGORITHM",
    "MAX_BODY_BYTES",
    "ApiApp",
    "ApiContext",
    "ApiError",
    "ApiRequest",
    "Dashboard",
    "JsonErrorHandler",
    "Metrics",
    "create_app",
    "current_user",
    "error_body",
    "issue_token",
    "require",
    "run_api",
]
