"""One error shape for every answer that is not a success: ``{"error": {"code", "message"}}``.

``code`` is stable and machine-readable (``invalid_parameter``, ``not_a_member``, ...);
``message`` is for people. Validation errors of query parameters are 400 ``invalid_parameter``
with the parameter's name quoted in the message (``"'limit': ..."``); of request bodies, 400
``bad_request`` naming the field. Unexpected exceptions are logged with their trace and answer
500 ``internal_error`` without details.
"""

from __future__ import annotations

from sanic import Request
from sanic.exceptions import RequestCancelled, SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from financy.core.domain.errors import (
    AccountError,
    FinancyError,
    ForbiddenError,
    InvalidCredentialsError,
    NotAMemberError,
)
from financy.runtime.logging import get_logger

log = get_logger(__name__)

#: The ``WWW-Authenticate`` header of every 401.
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="financy"'}

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    416: "range_not_satisfiable",
    429: "too_many_requests",
    503: "unavailable",
}


#: Status logged for a request whose client closed the connection before the answer (nginx's 499).
CLIENT_CLOSED = 499


class ApiError(SanicException):
    """An HTTP error with a stable machine ``code`` and a human ``message``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, status_code=status, quiet=True, headers=headers)
        self.code = code


def unauthorized(code: str, message: str) -> ApiError:
    """Return a 401 ``code`` with the bearer challenge header."""
    return ApiError(401, code, message, dict(BEARER_CHALLENGE))


def invalid_parameter(name: str, message: str) -> ApiError:
    """Return the 400 ``invalid_parameter`` error of query parameter ``name``."""
    return ApiError(400, "invalid_parameter", f"'{name}': {message}")


def not_found(message: str) -> ApiError:
    """Return a 404 ``not_found``."""
    return ApiError(404, "not_found", message)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """Return the JSON error envelope ``{"error": {"code": code, "message": message}}``."""
    return {"error": {"code": code, "message": message}}


class JsonErrorHandler(ErrorHandler):
    """Render every exception as the JSON error envelope; log unexpected ones with their trace.

    Domain errors map to HTTP here, in one place: :class:`NotAMemberError` -> 403 ``not_a_member``,
    :class:`ForbiddenError` -> 403 ``forbidden``, :class:`InvalidCredentialsError` -> 401, an
    :class:`AccountError` -> its ``http_status`` with its ``key``, any other
    :class:`FinancyError` -> its ``status`` (400 unless it names one) with its ``key``.
    """

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        """Return the JSON error response for ``exception``."""
        headers: dict[str, str] = {}
        if isinstance(exception, ApiError):
            status, code, message = exception.status_code, exception.code, str(exception)
            headers = dict(exception.headers or {})
        elif isinstance(exception, InvalidCredentialsError):
            status, code, message = 401, exception.key, "invalid username or password"
            headers = dict(BEARER_CHALLENGE)
        elif isinstance(exception, NotAMemberError):
            status, code, message = 403, exception.key, "you are not a member of this context"
        elif isinstance(exception, ForbiddenError):
            status, code, message = 403, exception.key, str(exception)
        elif isinstance(exception, AccountError):
            status, code, message = exception.http_status, exception.key, str(exception)
            if status == 401:
                headers = dict(BEARER_CHALLENGE)
        elif isinstance(exception, FinancyError):
            # An error may name its own 4xx (editing: 404 not found, 409 conflict, 422 split mismatch).
            status, code, message = getattr(exception, "status", 400), exception.key, str(exception)
        elif isinstance(exception, RequestCancelled):
            # The client went away mid-request: nothing to answer, nothing broken on our side.
            log.info("api.request_cancelled", method=request.method, path=request.path)
            status, code, message = CLIENT_CLOSED, "client_closed_request", "the client closed the request"
        elif isinstance(exception, SanicException) and exception.status_code < 500:
            status = exception.status_code
            code = _CODES.get(status, "client_error")
            message = str(exception) or code.replace("_", " ")
            headers = {k: str(v) for k, v in (exception.headers or {}).items()}
        else:
            status = exception.status_code if isinstance(exception, SanicException) else 500
            code, message = _CODES.get(status, "internal_error"), "internal server error"
            log.error(
                "api.unhandled_error",
                method=request.method,
                path=request.path,
                exc_info=(type(exception), exception, exception.__traceback__),
            )
        return json_response(error_body(code, message), status=status, headers=headers)


def refuse_nul(fields: object, where: str = "body") -> None:
    """Raise 400 ``bad_request`` if any string in a decoded JSON value holds a NUL character.

    PostgreSQL text cannot store ``\\x00``; refusing it here keeps such a body a clear 400
    with nothing changed instead of a failed insert (500).

    Raises:
        ApiError: 400 ``bad_request`` naming the field (``'merchant': ...``).
    """
    if isinstance(fields, str):
        if "\x00" in fields:
            raise ApiError(400, "bad_request", f"'{where}': must not contain a NUL character")
    elif isinstance(fields, dict):
        for key, value in fields.items():
            refuse_nul(key, where)
            refuse_nul(value, str(key) if where == "body" else f"{where}.{key}")
    elif isinstance(fields, list):
        for index, value in enumerate(fields):
            refuse_nul(value, f"{where}.{index}")
