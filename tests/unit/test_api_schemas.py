"""The API's query models and their OpenAPI 3.0 form, without a server or a database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from financy.core.domain.model import CaptureStatus, TransactionStatus
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.params import MAX_LIMIT
from financy.core.views.transactions import encode_cursor
from financy.runtime.ids import uuid7


def first_error(model: type[BaseModel], values: dict[str, str]) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(values)
    error = caught.value.errors(include_url=False)[0]
    name = (error.get("ctx") or {}).get("parameter") or ".".join(str(p) for p in error["loc"])
    return name, error["msg"]


def test_transaction_query_reads_aliases_and_defaults() -> None:
    cursor = encode_cursor(dt.date(2026, 11, 1), uuid7())
    query = schemas.TransactionQuery.model_validate(
        {"from": "2026-11-01", "to": "2026-11-30", "category": "fuel", "status": "reversed", "cursor": cursor}
    )
    assert (query.date_from, query.date_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert query.status is TransactionStatus.REVERSED
    assert query.limit == 50
    assert query.cursor == cursor
    assert schemas.TransactionQuery.model_validate({"utm_source": "x"}).limit == 50


@pytest.mark.parametrize(
    ("values", "name", "words"),
    [
        ({"limit": "0"}, "limit", f"from 1 to {MAX_LIMIT}"),
        ({"limit": "1e2"}, "limit", "integer"),
        ({"from": "2026-11-31"}, "from", "not a calendar date"),
        ({"to": "1700000000"}, "to", "YYYY-MM-DD"),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "from", "after 'to'"),
        ({"category": "food"}, "category", "unknown category 'food'"),
        ({"status": "deleted"}, "status", "'recorded' or 'reversed'"),
        ({"cursor": "bm9wZQ"}, "cursor", "not a cursor"),
    ],
)
def test_transaction_query_names_the_bad_parameter(values: dict[str, str], name: str, words: str) -> None:
    assert first_error(schemas.TransactionQuery, values)[0] == name
    assert words in first_error(schemas.TransactionQuery, values)[1]


def test_capture_query_needs_an_instant_with_a_time_zone() -> None:
    query = schemas.CaptureQuery.model_validate({"before": "2026-11-29T10:00:00Z", "status": "needs_review"})
    assert query.before == dt.datetime(2026, 11, 29, 10, tzinfo=dt.UTC)
    assert query.status is CaptureStatus.NEEDS_REVIEW
    assert first_error(schemas.CaptureQuery, {"before": "2026-11-29T10:00:00"}) == (
        "before",
        "needs a time zone, e.g. 2026-11-29T10:00:00Z",
    )
    assert first_error(schemas.CaptureQuery, {"limit": "201"})[0] == "limit"


def test_query_parameters_are_documented_from_the_same_model() -> None:
    documented: dict[str, dict[str, Any]] = {
        p["name"]: p for p in schemas.query_parameters(schemas.TransactionQuery) if isinstance(p, dict)
    }
    assert list(documented) == ["from", "to", "category", "status", "limit", "cursor"]
    limit: dict[str, Any] = documented["limit"]["schema"].serialize()
    assert limit == {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}
    status = documented["status"]["schema"].serialize()
    assert status["enum"] == ["recorded", "reversed"]
    assert documented["from"]["schema"].serialize() == {"type": "string", "format": "date"}
    assert all(p["required"] is False for p in documented.values())


def test_components_speak_openapi_3_0() -> None:
    components = schemas.component_schemas()
    assert {"ErrorOut", "TransactionsOut", "TransactionDetailOut", "CapturesOut", "TokenIn"} <= set(
        components
    )
    dumped = repr(components)
    assert "'type': 'null'" not in dumped
    assert "'const'" not in dumped
    assert "$defs" not in dumped
    merchant = components["TransactionOut"]["properties"]["merchant"]
    assert merchant["type"] == "string"
    assert merchant["nullable"] is True
    media = components["CaptureOut"]["properties"]["media"]
    assert "$ref" not in repr(media)
    assert media["nullable"] is True
    assert media["properties"]["key"] == {"title": "Key", "type": "string"}
