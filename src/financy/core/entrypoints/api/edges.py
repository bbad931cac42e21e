"""Edge enrolment routes (issue 11).

* ``POST /api/v1/edges`` {name} (instance admins): a pending edge and its one-time token.
* ``GET /api/v1/edges`` (instance admins): every edge's state, from its row and last heartbeat.
* ``DELETE /api/v1/edges/<edge_id>`` (instance admins): revoke (credentials deleted at once).
* ``POST /api/v1/edges/enroll`` {token, software_version, contract_versions} (no sign-in: the
  token is the credential, looked up by its sha256): the edge's own credentials. Unknown, used and
  expired tokens get one 401; failures count against the client IP like logins
  (:mod:`~financy.core.adapters.login_limits`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sanic import Blueprint
from sanic.exceptions import BadRequest
from sanic.response import HTTPResponse
from sanic.response import empty as empty_response
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import ApiError
from financy.core.entrypoints.api.schemas import _Body, _Out
from financy.core.entrypoints.api.security import client_ip, require_instance_admin
from financy.core.service.edges import (
    ContractVersionSkewError,
    EdgeCredentialsError,
    EdgeExistsError,
    EdgeNotFoundError,
    EdgeService,
    InvalidEdgeNameError,
    InvalidEnrolmentTokenError,
)
from financy.runtime.logging import get_logger

log = get_logger(__name__)

_NO_STORE = {"Cache-Control": "no-store"}
#: The login limiter's "username" for enrolment attempts (failures count per client IP).
_LIMIT_KEY = "\x00edge-enroll"


class NewEdgeIn(_Body):
    """A new edge's name: its id on the streams."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", examples=["casa-ana"])


class NewEdgeOut(_Out):
    """A pending edge's one-time enrolment token (shown once) and when it expires."""

    edge_id: str
    token: str
    expires_at: str = Field(description="ISO 8601, UTC")


class EnrollIn(_Body):
    """What an edge sends to enrol: its token and what it speaks."""

    token: str = Field(min_length=1, max_length=200)
    software_version: str = Field(min_length=1, max_length=64)
    contract_versions: list[int] = Field(min_length=1, max_length=32)


class S3Out(_Out):
    """Object-store credentials of the edge (writing only captures/{edge_id}/, reading models/)."""

    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    secure: bool
    region: str


class EnrolmentOut(_Out):
    """The edge's own credentials (shown once)."""

    edge_id: str
    redis_url: str = Field(description="the core's Redis with the edge's ACL user and password")
    origin_key: str = Field(description="hex HMAC key that signs the edge's stream entries")
    s3: S3Out | None
    core_url: str


class EdgeOut(_Out):
    """One edge: state pending/enrolled/revoked/version skew; liveness online/offline/behind/-."""

    edge_id: str
    state: str
    liveness: str
    last_seen: str | None
    software_version: str | None
    contract_versions: list[int] | None
    models: list[str]
    queue_depth: int | None
    outbox_depth: int | None
    created_at: str
    enrolled_at: str | None
    revoked_at: str | None
    token_expires_at: str | None


class EdgesOut(_Out):
    """Every edge, by id."""

    items: list[EdgeOut]


_MODELS: tuple[tuple[type[BaseModel], Any], ...] = (
    (NewEdgeIn, "validation"),
    (NewEdgeOut, "serialization"),
    (EnrollIn, "validation"),
    (EnrolmentOut, "serialization"),
    (EdgesOut, "serialization"),
)


def component_schemas() -> dict[str, Any]:
    """Return the OpenAPI ``components.schemas`` of this module's models."""
    return schemas.component_schemas(_MODELS)


_ADMIN_ERRORS = [
    *schemas.AUTH_ERRORS,
    schemas.error(403, "not an instance admin (forbidden), or a token without the admin scope"),
]


def _service(request: ApiRequest) -> EdgeService:
    ctx = request.app.ctx
    return EdgeService(ctx.engine, ctx.redis, ctx.settings, ctx.clock)


def _body(request: ApiRequest) -> Any:
    try:
        return request.json
    except BadRequest as exc:
        raise ApiError(400, "bad_request", "the body is not valid JSON") from exc


@openapi.definition(
    summary="Add an edge (instance admins)",
    description="A pending edge and its one-time enrolment token, valid FINANCY_EDGES__TOKEN_TTL_S "
    "(1 h by default); the edge exchanges it at POST /api/v1/edges/enroll.",
    tag="edges",
    secured=schemas.SECURED,
    body={"application/json": schemas.ref(NewEdgeIn)},
    response=[
        schemas.ok(NewEdgeOut, "Created", status=201),
        schemas.error(400, "a bad name (bad_request)"),
        *_ADMIN_ERRORS,
        schemas.error(409, "the name is taken, or was an edge that is now revoked (edge_exists)"),
    ],
)
async def add_edge(request: ApiRequest) -> HTTPResponse:
    """Answer 201 ``{"edge_id", "token", "expires_at"}`` (``no-store``)."""
    admin_id = await require_instance_admin(request)
    body = schemas.parse_body(NewEdgeIn, _body(request))
    try:
        issued = await asyncio.to_thread(_service(request).add, body.name, admin_id)
    except InvalidEdgeNameError as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc
    except EdgeExistsError as exc:
        raise ApiError(409, "edge_exists", str(exc)) from exc
    log.info("api.edge_added", admin_id=str(admin_id), edge_id=issued.edge_id)
    return json_response(
        {"edge_id": issued.edge_id, "token": issued.token, "expires_at": issued.expires_at.isoformat()},
        status=201,
        headers=_NO_STORE,
    )


@openapi.definition(
    summary="List edges (instance admins)",
    tag="edges",
    secured=schemas.SECURED,
    response=[schemas.ok(EdgesOut), *_ADMIN_ERRORS],
)
async def list_edges(request: ApiRequest) -> HTTPResponse:
    """Answer ``{"items": [edge, ...]}`` (see :class:`~financy.core.service.edges.EdgeStatus`)."""
    await require_instance_admin(request)
    statuses = await asyncio.to_thread(_service(request).list)
    return json_response({"items": [s.to_json() for s in statuses]})


@openapi.definition(
    summary="Revoke an edge (instance admins)",
    description="Deletes its Redis ACL user (its connections are closed) and object-store "
    "credentials at once; the edge's entries are refused from then on.",
    tag="edges",
    secured=schemas.SECURED,
    parameter=schemas.path_parameters(edge_id="the edge's id (its name)"),
    response=[
        {"status": 204, "description": "Revoked"},
        *_ADMIN_ERRORS,
        schemas.error(404, "no edge of this id (not_found)"),
        schemas.error(409, "already revoked (edge_revoked)"),
        schemas.error(503, "Redis or the object store refused (credentials_unavailable)"),
    ],
)
async def revoke_edge(request: ApiRequest, edge_id: str) -> HTTPResponse:
    """Answer 204 once the edge's credentials are gone."""
    admin_id = await require_instance_admin(request)
    try:
        await asyncio.to_thread(_service(request).revoke, edge_id)
    except EdgeNotFoundError as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    except EdgeExistsError as exc:
        raise ApiError(409, "edge_revoked", str(exc)) from exc
    except EdgeCredentialsError as exc:
        raise ApiError(503, "credentials_unavailable", str(exc)) from exc
    log.info("api.edge_revoked", admin_id=str(admin_id), edge_id=edge_id)
    return empty_response()


@openapi.definition(
    summary="Enrol an edge with its one-time token",
    description="No sign-in: the token of POST /api/v1/edges is the credential, used once. "
    "Answers the edge's own Redis user, object-store credentials and signing key.",
    tag="edges",
    body={"application/json": schemas.ref(EnrollIn)},
    response=[
        schemas.ok(EnrolmentOut),
        schemas.error(401, "unknown, used or expired token (invalid_enrolment_token)"),
        schemas.error(409, "the core reads none of the edge's contract versions (version_skew)"),
        schemas.error(422, "a bad body (unprocessable)"),
        schemas.error(429, "too many failed enrolments from this IP: wait Retry-After seconds"),
        schemas.error(503, "the core cannot make credentials, e.g. its Redis is < 7.0"),
    ],
)
async def enroll(request: ApiRequest) -> HTTPResponse:
    """Answer ``{"edge_id","redis_url","origin_key","s3","core_url"}`` (``no-store``)."""
    try:
        body = schemas.parse_body(EnrollIn, _body(request))
    except ApiError as exc:
        raise ApiError(422, "unprocessable", str(exc.args[0]) if exc.args else "bad body") from exc
    ctx = request.app.ctx
    ip = client_ip(request)
    now = ctx.clock().timestamp()
    lockout = await _limit(ctx.limiter.check, _LIMIT_KEY, ip, now)
    if lockout is not None:
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed enrolments: try again in {lockout.retry_after_s} seconds",
            headers={"Retry-After": str(lockout.retry_after_s)},
        )
    try:
        enrolment = await asyncio.to_thread(
            _service(request).exchange, body.token, body.software_version, body.contract_versions
        )
    except InvalidEnrolmentTokenError as exc:
        await _limit(ctx.limiter.fail, _LIMIT_KEY, ip, now)
        log.info("api.edge_enroll_refused", ip=ip)
        raise ApiError(401, "invalid_enrolment_token", str(exc)) from exc
    except ContractVersionSkewError as exc:
        raise ApiError(409, "version_skew", str(exc)) from exc
    except EdgeCredentialsError as exc:
        log.error("api.edge_credentials_unavailable", error=str(exc))
        raise ApiError(503, "credentials_unavailable", str(exc)) from exc
    log.info("api.edge_enrolled", edge_id=enrolment.edge_id, ip=ip)
    return json_response(enrolment.to_json(), headers=_NO_STORE)


async def _limit(call: Any, *args: object) -> Any:
    """Run a limiter call off the loop; with Redis away, log it and go on (as logins do)."""
    try:
        return await asyncio.to_thread(call, *args)
    except RedisError as exc:
        log.warning("api.enroll_limiter_unavailable", error=type(exc).__name__)
        return None


def blueprint() -> Blueprint:
    """Return a new ``edges`` blueprint (one per app)."""
    bp = Blueprint("edges", url_prefix="/api/v1")
    bp.add_route(add_edge, "/edges", methods=["POST"], name="edges_add")
    bp.add_route(list_edges, "/edges", methods=["GET"], name="edges_list")
    bp.add_route(enroll, "/edges/enroll", methods=["POST"], name="edges_enroll")
    bp.add_route(revoke_edge, "/edges/<edge_id:str>", methods=["DELETE"], name="edges_revoke")
    return bp
