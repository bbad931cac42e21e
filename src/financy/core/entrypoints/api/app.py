"""The core API app: configuration, blueprints, middleware, and the process that serves it."""

from __future__ import annotations

import json
import secrets
import time
from functools import partial

from redis import Redis
from sanic import Sanic
from sanic.response import BaseHTTPResponse
from sqlalchemy import Engine, create_engine

from financy.core.entrypoints.api import (
    account,
    account_schemas,
    auth,
    budgets,
    captures,
    cards,
    contexts,
    cost_sharing,
    cost_sharing_schemas,
    edges,
    editing,
    editing_schemas,
    exports,
    fx,
    health,
    imports,
    links,
    members,
    recurring,
    reports,
    schemas,
    search,
    transactions,
    web,
)
from financy.core.entrypoints.api.context import ApiApp, ApiContext, ApiRequest, static_path
from financy.core.entrypoints.api.errors import JsonErrorHandler
from financy.core.entrypoints.api.security import authenticate
from financy.core.settings import CoreSettings
from financy.runtime.logging import get_logger
from financy.runtime.objects import object_store_from_settings
from financy.runtime.server import serve

__all__ = ["MAX_BODY_BYTES", "ApiApp", "ApiContext", "create_app", "run_api"]

log = get_logger(__name__)

#: Largest request body the API accepts (it only takes small JSON and forms).
MAX_BODY_BYTES = 64 * 1024
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


async def _start_timer(request: ApiRequest) -> None:
    request.ctx.started = time.perf_counter()


async def _observe(request: ApiRequest, response: BaseHTTPResponse) -> None:
    """Count and time the request by route template, and log it as one JSON line."""
    route = request.uri_template or "<unmatched>"
    elapsed = time.perf_counter() - getattr(request.ctx, "started", time.perf_counter())
    m = request.app.ctx.metrics
    m.requests.labels(request.method, route, str(response.status)).inc()
    m.latency.labels(request.method, route).observe(elapsed)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    level = log.debug if route in _QUIET_ROUTES and response.status < 500 else log.info
    level(
        "http.request",
        method=request.method,
        route=route,
        status=response.status,
        duration_ms=round(elapsed * 1000, 1),
    )


async def _close_resources(app: ApiApp) -> None:
    app.ctx.close()


def create_app(settings: CoreSettings, *, engine: Engine | None = None, redis: Redis | None = None) -> ApiApp:
    """Return the core API app; each call makes a new app with a unique name.

    ``engine`` and ``redis`` are built from ``settings`` when not given, and then closed when
    the server stops; given ones stay the caller's to close.

    Raises:
        RuntimeError: a URL needed to build ``engine`` or ``redis`` is not set.
    """
    owns = engine is None or redis is None
    ctx = ApiContext(
        settings=settings,
        engine=engine or create_engine(settings.require_database_url(), pool_pre_ping=True),
        redis=redis or Redis.from_url(settings.require_redis_url()),
        jwt_key=settings.jwt_key(),
        owns_resources=owns,
        objects=object_store_from_settings(settings.s3, settings.data_dir / "objects"),
    )
    app: ApiApp = Sanic(
        f"financy_core_api_{secrets.token_hex(4)}",
        ctx=ctx,
        error_handler=JsonErrorHandler(),
        env_prefix=None,
        configure_logging=False,
        dumps=partial(json.dumps, ensure_ascii=False, separators=(",", ":")),
    )
    app.config.update(
        {
            "REQUEST_MAX_SIZE": MAX_BODY_BYTES,
            "FALLBACK_ERROR_FORMAT": "json",
            "CORS": False,
            "OAS_UI_DEFAULT": "swagger",
            "OAS_UI_REDOC": False,
            # The UI's scripts come from the swagger-ui-bundle package, never from a CDN.
            "OAS_PATH_TO_SWAGGER_HTML": static_path("swagger.html"),
            "API_TITLE": "Financy core API",
            "API_VERSION": "1",
            "API_DESCRIPTION": "Ledger contexts and transactions recorded from chat messages. "
            'Every error is {"error": {"code", "message"}}.',
        }
    )
    app.extend()
    app.ext.openapi.add_security_scheme("bearer", "http", scheme="bearer", bearer_format="JWT")
    # sanic-ext's raw() is untyped; it merges our models' schemas into components.schemas.
    components = {
        **schemas.component_schemas(),
        **editing_schemas.component_schemas(),
        **account_schemas.component_schemas(),
        **edges.component_schemas(),
        **recurring.component_schemas(),
        **cards.component_schemas(),
        **imports.component_schemas(),
        **cost_sharing_schemas.component_schemas(),
        **search.component_schemas(),
    }
    app.ext.openapi.raw({"components": {"schemas": components}})  # type: ignore[no-untyped-call]
    for module in (
        health,
        auth,
        account,
        links,
        contexts,
        members,
        transactions,
        fx,
        captures,
        budgets,
        reports,
        exports,
        edges,
        recurring,
        cards,
        imports,
        cost_sharing,
        search,
        web,
    ):
        app.blueprint(module.blueprint())
    for blueprint in editing.blueprints():
        app.blueprint(blueprint)
    app.register_middleware(_start_timer, "request")
    # Resolves the bearer credential once per /api/ request; routes authorize through security.
    app.register_middleware(authenticate, "request")
    app.register_middleware(web.offline_oauth2_redirect, "request")
    app.register_middleware(_observe, "response")
    if owns:
        app.register_listener(_close_resources, "after_server_stop")
    return app


def run_api(settings: CoreSettings) -> int:
    """Serve the API on ``settings.host``:``settings.port`` in this process until SIGTERM/SIGINT.

    Builds the engine and Redis client from ``settings``; no worker processes are forked
    (a supervisor runs each process). Returns 0 after a clean stop.

    Raises:
        RuntimeError: ``FINANCY_DATABASE_URL`` or ``FINANCY_REDIS_URL`` is not set.
    """
    engine = create_engine(
        settings.require_database_url(), pool_pre_ping=True, connect_args={"connect_timeout": 5}
    )
    client = Redis.from_url(
        settings.require_redis_url(), socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
    )
    app = create_app(settings, engine=engine, redis=client)
    log.info("api.starting", host=settings.host, port=settings.port)
    try:
        serve(app, host=settings.host, port=settings.port)
    finally:
        client.close()
        engine.dispose()
    log.info("api.stopped")
    return 0
