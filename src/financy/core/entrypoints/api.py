"""Core HTTP API and dashboard (Sanic): health, metrics, tokens, contexts and transactions.

Routes (DESIGN §6, port 8080):

* ``GET /healthz`` — the process is alive (always 200).
* ``GET /readyz`` — PostgreSQL (``SELECT 1``) and Redis (``PING``) answer: 200 or 503.
* ``GET /metrics`` — Prometheus text exposition of this app's own registry.
* ``POST /api/v1/auth/token`` — username + password (JSON or form) -> HS256 bearer JWT.
* ``GET /api/v1/me`` — the signed-in user.
* ``GET /api/v1/contexts`` — the contexts the user is a member of, with their role.
* ``GET /api/v1/contexts/<id>/transactions`` — newest first, filters, keyset cursor pages.
* ``GET /docs`` (Swagger UI), ``GET /docs/openapi.json`` — OpenAPI, by sanic-ext.
* ``GET /`` — the dashboard, one self-contained HTML file (``static/index.html``).

Every error is ``{"error": {"code": str, "message": str}}``. Database work runs on a sync
SQLAlchemy engine in worker threads (``asyncio.to_thread``), never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from importlib.resources import files
from types import SimpleNamespace
from typing import Any, TypeVar

import jwt
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from redis import Redis
from sanic import Request, Sanic
from sanic.config import Config
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.response import BaseHTTPResponse, HTTPResponse, raw
from sanic.response import json as json_response
from sanic_ext import openapi
from sqlalchemy import Engine, create_engine, text
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from financy.core.domain.commands import Authenticate
from financy.core.domain.errors import (
    FinancyError,
    InvalidCredentialsError,
    NotAMemberError,
)
from financy.core.domain.model import CATEGORY_BY_SLUG, CaptureStatus, TransactionStatus
from financy.core.service.bootstrap import bootstrap
from financy.core.service.messagebus import MessageBus
from financy.core.settings import CoreSettings
from financy.core.views.captures import MAX_LIMIT as CAPTURES_MAX
from financy.core.views.captures import capture_original, captures
from financy.core.views.contexts import context_of, contexts_of
from financy.core.views.transactions import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    InvalidCursorError,
    TransactionPage,
    decode_cursor,
    original_of,
    transaction_detail,
    transactions,
)
from financy.core.views.users import UserView, user_profile
from financy.runtime.logging import get_logger
from financy.runtime.objects import ObjectStore, ObjectStoreError, object_store_from_settings

log = get_logger(__name__)

T = TypeVar("T")

#: Seconds a readiness probe waits for PostgreSQL or Redis before calling it unavailable.
READY_TIMEOUT_S = 3.0
#: Largest request body the API accepts (it only takes small JSON and forms).
MAX_BODY_BYTES = 64 * 1024
JWT_ALGORITHM = "HS256"
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


# --------------------------------------------------------------------------- app context


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The dashboard page and the Content-Security-Policy that allows exactly its inline code."""

    body: bytes
    csp: str

    @classmethod
    def load(cls) -> Dashboard:
        """Read ``static/index.html`` and hash its inline ``<script>``/``<style>`` blocks for the CSP."""
        page = files("financy.core.entrypoints").joinpath("static/index.html").read_text(encoding="utf-8")

        def hashes(tag: str) -> str:
            blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)
            return " ".join(
                "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
                for b in blocks
            )

        csp = (
            f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'"
        )
        return cls(body=page.encode("utf-8"), csp=csp)


@dataclass
class Metrics:
    """Prometheus metrics of one app, on a registry of its own (several apps share a test process)."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram

    @classmethod
    def create(cls) -> Metrics:
        """Return a fresh registry with request counter, latency histogram and process metrics."""
        registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=registry)
        return cls(
            registry=registry,
            requests=Counter(
                "financy_http_requests",
                "HTTP requests served, by method, route template and status code.",
                ("method", "route", "status"),
                registry=registry,
            ),
            latency=Histogram(
                "financy_http_request_duration_seconds",
                "Time from routing to response, by method and route template.",
                ("method", "route"),
                registry=registry,
            ),
        )


# Not slots and not frozen: sanic-ext stores its own attributes on the app context.
@dataclass
class ApiContext:
    """What every request handler of the API needs (``request.app.ctx``).

    ``owns_resources`` is true when :func:`create_app` built ``engine`` and ``redis`` itself
    and must close them when the server stops.
    """

    settings: CoreSettings
    engine: Engine
    redis: Redis
    jwt_key: str
    metrics: Metrics = field(default_factory=Metrics.create)
    dashboard: Dashboard = field(default_factory=Dashboard.load)
    owns_resources: bool = False
    #: Where the originals of voice notes and photos are (a directory on a single box, or S3).
    objects: ObjectStore | None = None
    #: The core's message bus (commands such as logging in go through it).
    bus: MessageBus | None = None

    def __post_init__(self) -> None:
        if self.bus is None:
            self.bus = bootstrap(engine=self.engine)

    def close(self) -> None:
        """Close the Redis client and the engine's pool (both reconnect if used again)."""
        self.redis.close()
        self.engine.dispose()


ApiApp = Sanic[Config, ApiContext]
ApiRequest = Request[ApiApp, SimpleNamespace]


# --------------------------------------------------------------------------- errors


class ApiError(SanicException):
    """An HTTP error with a stable machine ``code`` and a human ``message``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, status_code=status, quiet=True, headers=headers)
        self.code = code


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    416: "range_not_satisfiable",
    503: "unavailable",
}
_BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="financy"'}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """Return the JSON error envelope ``{"error": {"code": code, "message": message}}``."""
    return {"error": {"code": code, "message": message}}


class JsonErrorHandler(ErrorHandler):
    """Render every exception as the JSON error envelope; log unexpected ones with their trace."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        """Return the JSON error response for ``exception``."""
        headers: dict[str, str] = {}
        if isinstance(exception, ApiError):
            status, code, message = exception.status_code, exception.code, str(exception)
            headers = dict(exception.headers or {})
        elif isinstance(exception, InvalidCredentialsError):
            status, code, message = 401, exception.key, "invalid username or password"
            headers = dict(_BEARER_CHALLENGE)
        elif isinstance(exception, NotAMemberError):
            status, code, message = 403, exception.key, "you are not a member of this context"
        elif isinstance(exception, FinancyError):
            status, code, message = 400, exception.key, str(exception)
        elif isinstance(exception, SanicException) and exception.status_code < 500:
            status = exception.status_code
            code = _CODES.get(status, "client_error")
            message = str(exception) or code.replace("_", " ")
            headers = {k: str(v) for k, v in (exception.headers or {}).items()}
        else:
            status = getattr(exception, "status_code", 500) if isinstance(exception, SanicException) else 500
            code, message = _CODES.get(status, "internal_error"), "internal server error"
            log.error(
                "api.unhandled_error",
                method=request.method,
                path=request.path,
                exc_info=(type(exception), exception, exception.__traceback__),
            )
        return json_response(error_body(code, message), status=status, headers=headers)


# --------------------------------------------------------------------------- helpers


async def _in_thread(func: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(func, *args)


def _current_user(request: ApiRequest) -> uuid.UUID:
    """Return the user id of the request's bearer token.

    Raises:
        ApiError: 401 ``unauthorized`` (no token), ``token_expired`` or ``invalid_token``.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "a bearer token is required", _BEARER_CHALLENGE)
    try:
        claims = jwt.decode(
            token,
            request.app.ctx.jwt_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
        return uuid.UUID(str(claims["sub"]))
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(401, "token_expired", "the access token has expired", _BEARER_CHALLENGE) from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise ApiError(401, "invalid_token", "the access token is invalid", _BEARER_CHALLENGE) from exc


def issue_token(user_id: uuid.UUID, key: str, ttl_s: int, *, now: dt.datetime | None = None) -> str:
    """Return an HS256 JWT with ``sub`` = ``user_id``, ``iat`` = now and ``exp`` = now + ``ttl_s``."""
    issued = now or dt.datetime.now(dt.UTC)
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + dt.timedelta(seconds=ttl_s)}
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM)


def _invalid(name: str, message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", f"'{name}': {message}")


def _arg(request: ApiRequest, name: str) -> str | None:
    value = request.get_args().get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _date_arg(request: ApiRequest, name: str) -> dt.date | None:
    value = _arg(request, name)
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise _invalid(name, f"expected a date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(name, f"{value!r} is not a calendar date") from exc


@dataclass(frozen=True, slots=True)
class TransactionQuery:
    """Validated query parameters of the transactions listing."""

    date_from: dt.date | None
    date_to: dt.date | None
    category: str | None
    status: TransactionStatus | None
    limit: int
    cursor: str | None


def _transaction_query(request: ApiRequest) -> TransactionQuery:
    date_from, date_to = _date_arg(request, "from"), _date_arg(request, "to")
    if date_from and date_to and date_from > date_to:
        raise _invalid("from", f"{date_from} is after 'to' {date_to}")
    category = _arg(request, "category")
    if category is not None and category not in CATEGORY_BY_SLUG:
        raise _invalid("category", f"unknown category {category!r}; one of {', '.join(CATEGORY_BY_SLUG)}")
    status_arg = _arg(request, "status")
    status = None
    if status_arg is not None:
        try:
            status = TransactionStatus(status_arg)
        except ValueError as exc:
            raise _invalid("status", "expected 'recorded' or 'reversed'") from exc
    limit_arg = _arg(request, "limit")
    limit = DEFAULT_LIMIT
    if limit_arg is not None:
        if not re.fullmatch(r"[0-9]{1,6}", limit_arg) or not 1 <= int(limit_arg) <= MAX_LIMIT:
            raise _invalid("limit", f"expected an integer from 1 to {MAX_LIMIT}, got {limit_arg!r}")
        limit = int(limit_arg)
    cursor = _arg(request, "cursor")
    if cursor is not None:
        try:
            decode_cursor(cursor)
        except InvalidCursorError as exc:
            raise _invalid("cursor", "not a cursor this API returned") from exc
    return TransactionQuery(date_from, date_to, category, status, limit, cursor)


# --------------------------------------------------------------------------- schemas (docs only)


@dataclass
class ErrorDetail:
    """Machine code and human message of an error."""

    code: str
    message: str


@dataclass
class ErrorOut:
    """Every error response."""

    error: ErrorDetail


@dataclass
class TokenIn:
    """Login form (JSON or ``application/x-www-form-urlencoded``)."""

    username: str
    password: str


@dataclass
class TokenOut:
    """A bearer token; send it as ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: str
    expires_in: int


@dataclass
class ReadyOut:
    """Readiness of each dependency: ``ok`` or ``unavailable``."""

    database: str
    redis: str


@dataclass
class MeOut:
    """The signed-in user."""

    id: str
    username: str | None
    display_name: str | None
    locale: str
    is_admin: bool


@dataclass
class ContextOut:
    """A ledger context and the caller's role in it."""

    id: str
    name: str
    type: str
    base_currency: str
    time_zone: str
    locale: str
    role: str


@dataclass
class ContextsOut:
    """Contexts the caller belongs to, oldest first."""

    items: list[ContextOut]


@dataclass
class TransactionOut:
    """A transaction; ``amount`` is a decimal string (never a float) in ``currency``."""

    id: str
    occurred_on: dt.date
    kind: str
    amount: str
    currency: str
    merchant: str | None
    description: str | None
    category: str | None
    category_name: str | None
    payment_method: str | None
    installments: int | None
    status: str
    source_channel: str
    author_id: str
    created_at: dt.datetime


@dataclass
class TransactionsOut:
    """A page of transactions; pass ``next_cursor`` as ``cursor`` for the next (null at the end)."""

    items: list[TransactionOut]
    next_cursor: str | None


_ERRORS_4XX = [
    openapi.definitions.Response({"application/json": ErrorOut}, status=401, description="no or bad token"),
]
_SECURED: dict[str, list[str]] = {"bearer": []}


# --------------------------------------------------------------------------- handlers


@openapi.definition(
    summary="Liveness: the process is up", tag="ops", response=openapi.definitions.Response({}, status=200)
)
async def healthz(request: ApiRequest) -> HTTPResponse:
    """Return 200 while the process runs (no dependency is checked)."""
    return json_response({"status": "ok"})


@openapi.definition(
    summary="Readiness: PostgreSQL and Redis answer",
    tag="ops",
    response=[
        openapi.definitions.Response({"application/json": ReadyOut}, status=200),
        openapi.definitions.Response({"application/json": ReadyOut}, status=503, description="not ready"),
    ],
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
    """Return this app's metrics in the Prometheus text format."""
    return raw(generate_latest(request.app.ctx.metrics.registry), content_type=CONTENT_TYPE_LATEST)


@openapi.definition(
    summary="Issue a bearer token",
    description="Username and password as JSON or as a form. Unknown user and wrong password "
    "give the same 401.",
    tag="auth",
    body={"application/json": TokenIn, "application/x-www-form-urlencoded": TokenIn},
    response=[
        openapi.definitions.Response({"application/json": TokenOut}, status=200),
        openapi.definitions.Response({"application/json": ErrorOut}, status=400, description="bad form"),
        openapi.definitions.Response(
            {"application/json": ErrorOut}, status=401, description="invalid credentials"
        ),
    ],
)
async def issue_token_route(request: ApiRequest) -> HTTPResponse:
    """Exchange username and password for an HS256 JWT valid ``settings.jwt_ttl_s`` seconds."""
    content_type = request.headers.get("content-type", "")
    fields: dict[str, Any]
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = request.get_form()
        fields = {k: form.get(k) for k in ("username", "password")} if form is not None else {}
    else:
        body = request.json
        if not isinstance(body, dict):
            raise ApiError(400, "bad_request", "expected a JSON object with username and password")
        fields = body
    username, password = fields.get("username"), fields.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise ApiError(400, "bad_request", "username and password are required strings")
    ctx = request.app.ctx

    def login() -> uuid.UUID:
        assert ctx.bus is not None
        user_id: uuid.UUID = ctx.bus.handle(Authenticate(username, password))
        return user_id

    try:
        user_id = await _in_thread(login)
    except InvalidCredentialsError:
        log.info("api.login_failed", username=username[:64], ip=request.remote_addr or request.ip)
        raise
    ttl = ctx.settings.jwt_ttl_s
    log.info("api.login", user_id=str(user_id))
    return json_response(
        {"access_token": issue_token(user_id, ctx.jwt_key, ttl), "token_type": "bearer", "expires_in": ttl},
        headers={"Cache-Control": "no-store"},
    )


@openapi.definition(
    summary="The signed-in user",
    tag="users",
    secured=_SECURED,
    response=[openapi.definitions.Response({"application/json": MeOut}, status=200), *_ERRORS_4XX],
)
async def me(request: ApiRequest) -> HTTPResponse:
    """Return the user the bearer token names (401 if that user no longer exists)."""
    user_id = _current_user(request)
    engine = request.app.ctx.engine

    def load() -> UserView | None:
        with engine.connect() as conn:
            return user_profile(conn, user_id)

    user = await _in_thread(load)
    if user is None:
        raise ApiError(401, "invalid_token", "the access token's user does not exist", _BEARER_CHALLENGE)
    return json_response(user.to_json())


@openapi.definition(
    summary="Contexts the user belongs to",
    description="Personal, family, project and travel ledgers, oldest first, with the caller's role.",
    tag="ledger",
    secured=_SECURED,
    response=[openapi.definitions.Response({"application/json": ContextsOut}, status=200), *_ERRORS_4XX],
)
async def list_contexts(request: ApiRequest) -> HTTPResponse:
    """Return ``{"items": [context, ...]}`` for the bearer's user."""
    user_id = _current_user(request)
    engine = request.app.ctx.engine

    def load() -> list[dict[str, str]]:
        with engine.connect() as conn:
            return [c.to_json() for c in contexts_of(conn, user_id)]

    return json_response({"items": await _in_thread(load)})


@openapi.definition(
    summary="Transactions of a context, newest first",
    description="Ordered by (occurred_on, id) descending. Pass the response's next_cursor as "
    "cursor to get the next page; next_cursor is null on the last page.",
    tag="ledger",
    secured=_SECURED,
    parameter=[
        openapi.definitions.Parameter("context_id", str, "path", description="context UUID", required=True),
        openapi.definitions.Parameter("from", dt.date, "query", description="first date, YYYY-MM-DD"),
        openapi.definitions.Parameter("to", dt.date, "query", description="last date, YYYY-MM-DD"),
        openapi.definitions.Parameter("category", str, "query", description="category slug, e.g. groceries"),
        openapi.definitions.Parameter("status", str, "query", description="recorded or reversed"),
        openapi.definitions.Parameter("limit", int, "query", description=f"1..{MAX_LIMIT}, default 50"),
        openapi.definitions.Parameter("cursor", str, "query", description="next_cursor of the last page"),
    ],
    response=[
        openapi.definitions.Response({"application/json": TransactionsOut}, status=200),
        openapi.definitions.Response({"application/json": ErrorOut}, status=400, description="bad parameter"),
        *_ERRORS_4XX,
        openapi.definitions.Response({"application/json": ErrorOut}, status=403, description="not a member"),
    ],
)
async def list_transactions(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"items": [...], "next_cursor": ...}``; 403 unless the user is a member."""
    user_id = _current_user(request)
    query = _transaction_query(request)
    engine = request.app.ctx.engine

    def load() -> TransactionPage | None:
        with engine.connect() as conn:
            context = context_of(conn, user_id, context_id)
            if context is None:
                return None
            return transactions(
                conn,
                context_id,
                date_from=query.date_from,
                date_to=query.date_to,
                category=query.category,
                status=query.status,
                limit=query.limit,
                cursor=query.cursor,
                language=context.language,
            )

    page = await _in_thread(load)
    if page is None:
        # Unknown and foreign contexts look the same, so ids cannot be probed.
        raise NotAMemberError(str(context_id))
    return json_response(page.to_json())


_TRANSACTION_PATH: list[dict[str, Any] | openapi.definitions.Parameter | str] = [
    openapi.definitions.Parameter("context_id", str, "path", description="context UUID", required=True),
    openapi.definitions.Parameter(
        "transaction_id", str, "path", description="transaction UUID", required=True
    ),
]


@openapi.definition(
    summary="One transaction with its receipt lines and where it came from",
    description="The list's fields plus items (a receipt's lines) and source: the capture's media "
    "type, the original's reference in the object store, the transcript or OCR text with the models "
    "that read it (provenance) and a receipt's fields.",
    tag="ledger",
    secured=_SECURED,
    parameter=_TRANSACTION_PATH,
    response=[
        openapi.definitions.Response({"application/json": dict}, status=200),
        *_ERRORS_4XX,
        openapi.definitions.Response({"application/json": ErrorOut}, status=403, description="not a member"),
        openapi.definitions.Response(
            {"application/json": ErrorOut}, status=404, description="no such transaction"
        ),
    ],
)
async def get_transaction(
    request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID
) -> HTTPResponse:
    """Return one transaction with ``items`` and ``source``; 403 unless a member, 404 if not found."""
    user_id = _current_user(request)
    engine = request.app.ctx.engine

    def load() -> tuple[bool, dict[str, Any] | None]:
        with engine.connect() as conn:
            context = context_of(conn, user_id, context_id)
            if context is None:
                return False, None
            return True, transaction_detail(conn, context_id, transaction_id, language=context.language)

    member, detail = await _in_thread(load)
    if not member:
        raise NotAMemberError(str(context_id))
    if detail is None:
        raise ApiError(404, "not_found", "no such transaction in this context")
    return json_response(detail)


@openapi.definition(
    summary="The original voice note or photo a transaction was recorded from",
    description="Streams the file kept in the object store, with its content type (as an attachment).",
    tag="ledger",
    secured=_SECURED,
    parameter=_TRANSACTION_PATH,
    response=[
        openapi.definitions.Response({"application/octet-stream": bytes}, status=200),
        *_ERRORS_4XX,
        openapi.definitions.Response({"application/json": ErrorOut}, status=403, description="not a member"),
        openapi.definitions.Response({"application/json": ErrorOut}, status=404, description="no original"),
    ],
)
async def get_original(request: ApiRequest, context_id: uuid.UUID, transaction_id: uuid.UUID) -> HTTPResponse:
    """Return the original's bytes; 404 when the transaction came from a text or the file is gone."""
    return await _serve_original(
        request, context_id, lambda conn: original_of(conn, context_id, transaction_id)
    )


async def _serve_original(
    request: ApiRequest, context_id: uuid.UUID, find: Callable[[Any], dict[str, Any] | None]
) -> HTTPResponse:
    """Stream the original that ``find(conn)`` names from the object store, as an attachment."""
    user_id = _current_user(request)
    app = request.app

    def load() -> tuple[bool, dict[str, Any] | None, bytes | None]:
        with app.ctx.engine.connect() as conn:
            if context_of(conn, user_id, context_id) is None:
                return False, None, None
            media = find(conn)
        if media is None or app.ctx.objects is None:
            return True, media, None
        try:
            return True, media, app.ctx.objects.get(str(media["key"]))
        except ObjectStoreError as exc:
            if exc.code == "not_found":
                return True, media, None
            raise ApiError(503, "object_store_unavailable", "the object store did not answer") from exc

    member, media, data = await _in_thread(load)
    if not member:
        raise NotAMemberError(str(context_id))
    if media is None or data is None:
        raise ApiError(404, "not_found", "there is no original file for this")
    name = str(media.get("key", "original")).rsplit("/", 1)[-1]
    return raw(
        data,
        content_type=str(media.get("content_type") or "application/octet-stream"),
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )


@openapi.definition(
    summary="What the context's members sent, newest first, recorded or not",
    description="Voice notes, photos and messages, each with its status (recorded, needs_review, "
    "command), the problem that kept it from being recorded, the transcript or OCR text, and the "
    "original's reference. status=needs_review lists what is waiting for someone.",
    tag="ledger",
    secured=_SECURED,
    parameter=[
        openapi.definitions.Parameter("context_id", str, "path", description="context UUID", required=True),
        openapi.definitions.Parameter(
            "status", str, "query", description="recorded, needs_review or command"
        ),
        openapi.definitions.Parameter("before", str, "query", description="received before (ISO 8601)"),
        openapi.definitions.Parameter("limit", int, "query", description=f"1..{CAPTURES_MAX}, default 50"),
    ],
    response=[
        openapi.definitions.Response({"application/json": dict}, status=200),
        openapi.definitions.Response({"application/json": ErrorOut}, status=400, description="bad parameter"),
        *_ERRORS_4XX,
        openapi.definitions.Response({"application/json": ErrorOut}, status=403, description="not a member"),
    ],
)
async def list_captures(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return ``{"items": [capture, ...]}``; 403 unless the user is a member."""
    user_id = _current_user(request)
    status_arg = _arg(request, "status")
    try:
        status = CaptureStatus(status_arg) if status_arg else None
    except ValueError as exc:
        raise _invalid("status", "status must be recorded, needs_review or command") from exc
    before_arg = _arg(request, "before")
    try:
        before = dt.datetime.fromisoformat(before_arg) if before_arg else None
    except ValueError as exc:
        raise _invalid("before", "before must be an ISO 8601 date and time") from exc
    if before is not None and before.tzinfo is None:
        raise _invalid("before", "before needs a time zone, e.g. 2026-11-29T10:00:00Z")
    limit_arg = _arg(request, "limit")
    try:
        limit = int(limit_arg) if limit_arg else 50
    except ValueError as exc:
        raise _invalid("limit", f"limit must be a whole number from 1 to {CAPTURES_MAX}") from exc
    if not 1 <= limit <= CAPTURES_MAX:
        raise _invalid("limit", f"limit must be a whole number from 1 to {CAPTURES_MAX}")
    engine = request.app.ctx.engine

    def load() -> list[dict[str, Any]] | None:
        with engine.connect() as conn:
            if context_of(conn, user_id, context_id) is None:
                return None
            return captures(conn, context_id, status=status, before=before, limit=limit)

    items = await _in_thread(load)
    if items is None:
        raise NotAMemberError(str(context_id))
    return json_response({"items": items})


@openapi.definition(
    summary="The original voice note, photo or document of a capture",
    description="Streams the file kept in the object store (also for captures that were not recorded).",
    tag="ledger",
    secured=_SECURED,
    parameter=[
        openapi.definitions.Parameter("context_id", str, "path", description="context UUID", required=True),
        openapi.definitions.Parameter("capture_id", str, "path", description="capture UUID", required=True),
    ],
    response=[
        openapi.definitions.Response({"application/octet-stream": bytes}, status=200),
        *_ERRORS_4XX,
        openapi.definitions.Response({"application/json": ErrorOut}, status=403, description="not a member"),
        openapi.definitions.Response({"application/json": ErrorOut}, status=404, description="no original"),
    ],
)
async def get_capture_original(
    request: ApiRequest, context_id: uuid.UUID, capture_id: uuid.UUID
) -> HTTPResponse:
    """Return a capture's original bytes; 404 for a text or a file that is gone."""
    return await _serve_original(
        request, context_id, lambda conn: capture_original(conn, context_id, capture_id)
    )


@openapi.exclude()
async def dashboard(request: ApiRequest) -> HTTPResponse:
    """Return the dashboard page."""
    page = request.app.ctx.dashboard
    return raw(
        page.body,
        content_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": page.csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


# --------------------------------------------------------------------------- middleware


async def _start_timer(request: ApiRequest) -> None:
    request.ctx.started = time.perf_counter()


async def _observe(request: ApiRequest, response: BaseHTTPResponse) -> None:
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


# --------------------------------------------------------------------------- app


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
            "OAS_PATH_TO_SWAGGER_HTML": str(
                files("financy.core.entrypoints").joinpath("static/swagger.html")
            ),
            "API_TITLE": "Financy core API",
            "API_VERSION": "1",
            "API_DESCRIPTION": "Ledger contexts and transactions recorded from chat messages.",
        }
    )
    app.extend()
    app.ext.openapi.add_security_scheme("bearer", "http", scheme="bearer", bearer_format="JWT")

    app.static("/static/swagger-ui", str(swagger_ui_path), name="swagger_ui_assets")
    app.add_route(healthz, "/healthz", methods=["GET"], name="healthz")
    app.add_route(readyz, "/readyz", methods=["GET"], name="readyz")
    app.add_route(metrics, "/metrics", methods=["GET"], name="metrics")
    app.add_route(issue_token_route, "/api/v1/auth/token", methods=["POST"], name="auth_token")
    app.add_route(me, "/api/v1/me", methods=["GET"], name="me")
    app.add_route(list_contexts, "/api/v1/contexts", methods=["GET"], name="contexts")
    app.add_route(
        list_transactions,
        "/api/v1/contexts/<context_id:uuid>/transactions",
        methods=["GET"],
        name="transactions",
    )
    app.add_route(
        get_transaction,
        "/api/v1/contexts/<context_id:uuid>/transactions/<transaction_id:uuid>",
        methods=["GET"],
        name="transaction",
    )
    app.add_route(
        get_original,
        "/api/v1/contexts/<context_id:uuid>/transactions/<transaction_id:uuid>/original",
        methods=["GET"],
        name="transaction_original",
    )
    app.add_route(
        list_captures, "/api/v1/contexts/<context_id:uuid>/captures", methods=["GET"], name="captures"
    )
    app.add_route(
        get_capture_original,
        "/api/v1/contexts/<context_id:uuid>/captures/<capture_id:uuid>/original",
        methods=["GET"],
        name="capture_original",
    )
    app.add_route(dashboard, "/", methods=["GET"], name="dashboard")
    app.register_middleware(_start_timer, "request")
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
        app.run(
            host=settings.host,
            port=settings.port,
            single_process=True,
            access_log=False,
            motd=False,
        )
    finally:
        client.close()
        engine.dispose()
    log.info("api.stopped")
    return 0
