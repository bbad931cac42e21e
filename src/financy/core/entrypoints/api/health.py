"""Operations routes (public, for probes and scrapers): ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sanic import Blueprint
from sanic.response import HTTPResponse, raw
from sanic.response import json as json_response
from sanic_ext import openapi
from sqlalchemy import text

from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import error_body
from financy.runtime.logging import get_logger

log = get_logger(__name__)

#: Seconds a readiness probe waits for PostgreSQL or Redis before calling it unavailable.
READY_TIMEOUT_S = 3.0


@openapi.definition(
    summary="Liveness: the process is up", tag="ops", response=[schemas.ok(schemas.HealthOut)]
)
async def healthz(request: ApiRequest) -> HTTPResponse:
    """Return 200 ``{"status": "ok"}`` while the process runs (no dependency is checked)."""
    return json_response({"status": "ok"})


@openapi.definition(
    summary="Readiness: PostgreSQL and Redis answer",
    tag="ops",
    response=[schemas.ok(schemas.ReadyOut), schemas.ok(schemas.ReadyOut, "not ready", status=503)],
)
async def readyz(request: ApiRequest) -> HTTPResponse:
    """Return 200 ``{"database": "ok", "redis": "ok"}``, else 503 naming what is unavailable."""
    ctx = request.app.ctx

    def ping_database() -> None:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def ping_redis() -> None:
        ctx.redis.ping()

    async def check(name: str, probe: Callable[[], None]) -> str:
        try:
            await asyncio.wait_for(asyncio.to_thread(probe), READY_TIMEOUT_S)
        except Exception as exc:  # any failure means "not ready"; the reason goes to the log
            log.warning("api.not_ready", dependency=name, error=repr(exc))
            return "unavailable"
        return "ok"

    database, redis_state = await asyncio.gather(check("database", ping_database), check("redis", ping_redis))
    body: dict[str, Any] = {"database": database, "redis": redis_state}
    failed = [name for name, state in body.items() if state != "ok"]
    if not failed:
        return json_response(body)
    body.update(error_body("not_ready", f"unavailable: {', '.join(failed)}"))
    return json_response(body, status=503)


@openapi.definition(summary="Prometheus metrics (text exposition format)", tag="ops")
async def metrics(request: ApiRequest) -> HTTPResponse:
    """Return this app's metrics in the Prometheus text format.

    ``financy_dead_letters{stream}`` is read from Redis (XLEN of the dead-letter streams) at each
    scrape; if Redis does not answer, the last values stay and the failure is logged.
    """
    from financy.core.entrypoints.dlq import dead_stream_lengths

    gauge = request.app.ctx.metrics.dead_letters
    try:
        lengths = await asyncio.wait_for(
            asyncio.to_thread(dead_stream_lengths, request.app.ctx.redis), READY_TIMEOUT_S
        )
    except Exception as exc:  # a scrape must still answer
        log.warning("api.dead_letters_unreadable", error=repr(exc))
    else:
        for stream, length in lengths.items():
            gauge.labels(stream).set(length)
    return raw(generate_latest(request.app.ctx.metrics.registry), content_type=CONTENT_TYPE_LATEST)


def blueprint() -> Blueprint:
    """Return a new ``health`` blueprint (one per app)."""
    bp = Blueprint("health")
    bp.add_route(healthz, "/healthz", methods=["GET"], name="healthz")
    bp.add_route(readyz, "/readyz", methods=["GET"], name="readyz")
    bp.add_route(metrics, "/metrics", methods=["GET"], name="metrics")
    return bp
