"""One parser of query parameters, with the same rules on every list route.

Routes declare their parameters as a pydantic model (``schemas.py``) built from the field types
here, and call :func:`parse_query`. The rules: a blank value is the same as no value; the first
of repeated values counts; unknown parameters are ignored; ``limit`` is a whole number from 1 to
:data:`MAX_LIMIT` (default :data:`DEFAULT_LIMIT`); dates are ``YYYY-MM-DD``; instants are ISO 8601
with a time zone; enums take their listed values; a cursor is one this API returned. Anything
else is 400 ``invalid_parameter`` naming the parameter: ``{"error": {"code": "invalid_parameter",
"message": "'limit': expected an integer from 1 to 200, got '0'"}}``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from financy.core.domain.model import CATEGORY_BY_SLUG
from financy.core.entrypoints.api.context import ApiRequest
from financy.core.entrypoints.api.errors import invalid_parameter
from financy.core.views import captures as captures_view
from financy.core.views import transactions as transactions_view

Query = TypeVar("Query", bound=BaseModel)

#: Bounds of ``limit`` on every list route.
DEFAULT_LIMIT = transactions_view.DEFAULT_LIMIT
MAX_LIMIT = min(transactions_view.MAX_LIMIT, captures_view.MAX_LIMIT)

_ERROR = "invalid_parameter"


def bad_value(message: str, parameter: str | None = None) -> PydanticCustomError:
    """Return the validation error a parameter's validator raises; ``message`` is shown as is.

    ``parameter`` names the parameter when a check spans several (a model validator has no field).
    """
    return PydanticCustomError(_ERROR, message, {"parameter": parameter} if parameter else None)


def _limit(value: Any) -> Any:
    text = str(value)
    if not re.fullmatch(r"[0-9]{1,6}", text) or not 1 <= int(text) <= MAX_LIMIT:
        raise bad_value(f"expected an integer from 1 to {MAX_LIMIT}, got {text!r}")
    return int(text)


#: The years a date or month of the API may name (a typo such as 0001 or 9999 is refused, and
#: month arithmetic near ``date.max`` cannot overflow).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _day(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise bad_value(f"expected a date YYYY-MM-DD, got {text!r}")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise bad_value(f"{text!r} is not a calendar date") from exc
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise bad_value(f"{text!r} is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return day


def _instant(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise bad_value("expected an ISO 8601 date and time") from exc
    if parsed.tzinfo is None:
        raise bad_value("needs a time zone, e.g. 2026-11-29T10:00:00Z")
    return parsed


def _category(value: str) -> str:
    if value not in CATEGORY_BY_SLUG:
        raise bad_value(f"unknown category {value!r}; one of {', '.join(CATEGORY_BY_SLUG)}")
    return value


def _cursor(value: str) -> str:
    try:
        transactions_view.decode_cursor(value)
    except transactions_view.InvalidCursorError as exc:
        raise bad_value("not a cursor this API returned") from exc
    return value


#: How many items a page holds.
Limit = Annotated[
    int,
    BeforeValidator(_limit),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
    Field(description=f"items per page, 1..{MAX_LIMIT} (default {DEFAULT_LIMIT})"),
]
#: A calendar date, ``YYYY-MM-DD`` (nothing else: no times, no "yesterday").
Day = Annotated[dt.date, BeforeValidator(_day)]
#: An instant in ISO 8601 with a time zone (``2026-11-29T10:00:00Z``).
Instant = Annotated[AwareDatetime, BeforeValidator(_instant)]
#: A category slug of the taxonomy (DESIGN §4).
CategorySlug = Annotated[
    str,
    AfterValidator(_category),
    Field(json_schema_extra={"enum": list(CATEGORY_BY_SLUG)}),
]
#: The opaque ``next_cursor`` of the previous page.
Cursor = Annotated[str, AfterValidator(_cursor), Field(description="next_cursor of the previous page")]


def query_values(request: ApiRequest) -> dict[str, str]:
    """Return the request's query parameters: first value of each, stripped, blank ones left out."""
    values: dict[str, str] = {}
    for name, given in request.get_args().items():
        text = given[0].strip() if given else ""
        if text:
            values[name] = text
    return values


def parse_query(request: ApiRequest, model: type[Query]) -> Query:
    """Return ``model`` validated from the request's query string.

    Raises:
        ApiError: 400 ``invalid_parameter``, the message naming the (first) bad parameter.
    """
    try:
        return model.model_validate(query_values(request))
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        context = error.get("ctx") or {}
        name = context.get("parameter") or ".".join(str(part) for part in error["loc"]) or "query"
        raise invalid_parameter(str(name), error["msg"]) from exc
