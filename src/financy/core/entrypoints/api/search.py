"""Search a context's transactions: ``GET /api/v1/contexts/<context_id>/search``.

Query parameters (all optional): ``q`` the words to find (merchant, description, receipt lines,
the message's text, transcript or OCR text; accents, case and typos forgiven), ``from``/``to``
(``YYYY-MM-DD``, inclusive), ``category`` (slugs, comma-separated: any of them), ``member`` (a
user id: paid or recorded it), ``source`` (channel: telegram, whatsapp, devchat, api, import...),
``kind`` (expense, income, transfer), ``min``/``max`` (decimal amounts in the ledger's base
currency, inclusive), ``status`` (recorded (default), reversed, any), ``limit`` (1..200, default
20), ``cursor`` (the previous page's ``next_cursor``).

Answer: ``{"items": [transaction + "score" + "matched"], "next_cursor", "terms": [{"term",
"words", "prefix"}], "order", "backend"}`` — ``terms`` says how each word was read ("farmacai" ->
["farmacia"]); ``order`` is ``ranked`` (by score) or ``newest`` (no ``q``, or a ``q`` matching
more transactions than the backend ranks). The route calls :func:`~financy.core.entrypoints.api.security.require` (read
access) first; the backend is PostgreSQL, or OpenSearch when ``FINANCY_OPENSEARCH_URL`` is set.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator
from sanic import Blueprint
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import openapi

from financy.core.adapters.search import search_backend
from financy.core.domain.authorization import Action
from financy.core.domain.model import CATEGORY_BY_SLUG, TransactionStatus
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.context import ApiContext, ApiRequest
from financy.core.entrypoints.api.errors import ApiError, invalid_parameter
from financy.core.entrypoints.api.params import Day, Limit, bad_value, parse_query
from financy.core.entrypoints.api.security import require
from financy.core.service.search import (
    DEFAULT_LIMIT,
    MAX_TEXT,
    InvalidSearchError,
    SearchBackend,
    SearchHit,
    SearchPage,
    SearchQuery,
    SearchUnavailableError,
)
from financy.core.views.editing import ledger_category_names
from financy.core.views.transactions import format_amount


class _Query(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


def _categories(value: Any) -> Any:
    slugs = tuple(part.strip() for part in str(value).split(",") if part.strip())
    for slug in slugs:
        if slug not in CATEGORY_BY_SLUG:
            raise bad_value(f"unknown category {slug!r}; one of {', '.join(CATEGORY_BY_SLUG)}")
    return slugs


def _amount(value: Any) -> Any:
    text = str(value)
    if not re.fullmatch(r"[0-9]{1,14}(\.[0-9]{1,4})?", text):
        raise bad_value(f"expected a decimal amount like 45.90, got {text!r}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise bad_value(f"expected a decimal amount like 45.90, got {text!r}") from exc


Categories = Annotated[
    tuple[str, ...],
    BeforeValidator(_categories),
    WithJsonSchema({"type": "string", "example": "groceries,restaurants"}),
]
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,14}(\.[0-9]{1,4})?$", "example": "45.90"}),
]


class SearchParams(_Query):
    """What to find in a context's transactions (every parameter optional; dates inclusive)."""

    q: str = Field("", max_length=MAX_TEXT, description="words to find; accents, case and typos forgiven")
    date_from: Day | None = Field(None, alias="from", description="first date, YYYY-MM-DD")
    date_to: Day | None = Field(None, alias="to", description="last date, YYYY-MM-DD")
    category: Categories | None = Field(None, description="category slugs, comma-separated (any of them)")
    member: uuid.UUID | None = Field(None, description="a member's user id: who paid or recorded it")
    source: str | None = Field(
        None, pattern=r"^[a-z]{1,16}$", description="channel it was recorded from: telegram, api, import..."
    )
    kind: Literal["expense", "income", "transfer"] | None = None
    min: Amount | None = Field(None, description="smallest amount in the ledger's base currency")
    max: Amount | None = Field(None, description="largest amount in the ledger's base currency")
    status: Literal["recorded", "reversed", "any"] = Field("recorded", description="any: both")
    limit: Limit = DEFAULT_LIMIT
    cursor: str | None = Field(None, max_length=1000, description="next_cursor of the previous page")

    @model_validator(mode="after")
    def _in_order(self) -> SearchParams:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise bad_value(f"'from' {self.date_from} is after 'to' {self.date_to}", parameter="from")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise bad_value(f"'min' {self.min} is more than 'max' {self.max}", parameter="min")
        return self

    def query(self) -> SearchQuery:
        """Return the :class:`SearchQuery` these parameters ask for.

        Raises:
            InvalidSearchError: a value the search refuses (too many words).
        """
        return SearchQuery(
            text=self.q,
            date_from=self.date_from,
            date_to=self.date_to,
            categories=self.category or (),
            member=self.member,
            source=self.source,
            kind=self.kind,
            min_amount=self.min,
            max_amount=self.max,
            status=None if self.status == "any" else TransactionStatus(self.status),
            limit=self.limit,
            cursor=self.cursor,
        )


class SearchHitOut(_Out):
    """A transaction found: the list's fields plus its ``score`` and where the words ``matched``."""

    id: uuid.UUID
    occurred_on: dt.date
    kind: str
    amount: str = Field(description="decimal string in currency", examples=["45.90"])
    currency: str
    merchant: str | None
    description: str | None
    category: str | None
    category_name: str | None
    payment_method: str | None
    installments: int | None
    status: TransactionStatus
    source_channel: str
    author_id: uuid.UUID | None
    paid_by: uuid.UUID | None
    created_at: dt.datetime
    base_amount: str | None
    base_currency: str | None
    score: float = Field(description="higher first; 0 without q")
    matched: list[Literal["merchant", "description", "items", "message"]]


class SearchTermOut(_Out):
    """How a word of ``q`` was read: the ledger's words it matched and whether longer ones count."""

    term: str
    words: list[str]
    prefix: bool


class SearchOut(_Out):
    """A page of results, best first; pass ``next_cursor`` as ``cursor`` for the next (null at the end)."""

    items: list[SearchHitOut]
    next_cursor: str | None
    terms: list[SearchTermOut]
    order: Literal["ranked", "newest"] = Field(
        description="ranked: by score, then newest; newest: newest first (no q, or more matches than "
        "the backend ranks: see the API description)"
    )
    backend: Literal["postgres", "opensearch"]


_MODELS: tuple[tuple[type[BaseModel], Any], ...] = ((SearchOut, "serialization"),)


def component_schemas() -> dict[str, Any]:
    """Return the OpenAPI ``components.schemas`` of this module's models."""
    return schemas.component_schemas(_MODELS)


def hit_json(hit: SearchHit, language: str, renames: dict[str, str]) -> dict[str, Any]:
    """Return the JSON of one hit (:class:`SearchHitOut`): amounts as decimal strings."""
    category = CATEGORY_BY_SLUG.get(hit.category) if hit.category else None
    name = renames.get(hit.category or "") or (category.name(language) if category else None)
    return {
        "id": str(hit.transaction_id),
        "occurred_on": hit.occurred_on.isoformat(),
        "kind": hit.kind,
        "amount": format_amount(hit.amount, hit.currency),
        "currency": hit.currency,
        "merchant": hit.merchant,
        "description": hit.description,
        "category": hit.category,
        "category_name": name,
        "payment_method": hit.payment_method,
        "installments": hit.installments,
        "status": hit.status.value,
        "source_channel": hit.source_channel,
        "author_id": None if hit.author_id is None else str(hit.author_id),
        "paid_by": None if hit.paid_by is None else str(hit.paid_by),
        "created_at": hit.created_at.isoformat(),
        "base_amount": None
        if hit.base_amount is None or hit.base_currency is None
        else format_amount(hit.base_amount, hit.base_currency),
        "base_currency": hit.base_currency,
        "score": round(hit.score, 6),
        "matched": list(hit.matched),
    }


def backend_of(ctx: ApiContext) -> SearchBackend:
    """Return the app's search backend (made once per app, from its settings and engine)."""
    made = getattr(ctx, "search_backend", None)
    if isinstance(made, SearchBackend):
        return made
    backend = search_backend(ctx.settings, ctx.engine)
    ctx.search_backend = backend  # type: ignore[attr-defined]  # sanic-ext also stores attributes here
    return backend


@openapi.definition(
    summary="Search a context's transactions",
    description="Finds the words of q in the merchant, the description, the receipt lines and the "
    "message a transaction came from (typed text, voice transcript, OCR text), forgiving accents, "
    "case and typos; every word must match. Best first (closer words, then merchant before "
    "description, items and message, then newest); without q, newest first. On PostgreSQL a q that "
    "matches more than 2,000 transactions (after the filters) comes newest first instead (order: "
    "newest): ranking would read them all. Pass next_cursor as cursor for the next page (it keeps "
    "the page's order).",
    tag="ledger",
    secured=schemas.SECURED,
    parameter=[
        *schemas.path_parameters(context_id="context UUID"),
        *schemas.query_parameters(SearchParams),  # type: ignore[arg-type]
    ],
    response=[
        schemas.ok(SearchOut),
        schemas.PARAMETER_ERROR,
        *schemas.CONTEXT_ERRORS,
        schemas.error(503, "the search service (OpenSearch) is unavailable"),
    ],
)
async def search_transactions(request: ApiRequest, context_id: uuid.UUID) -> HTTPResponse:
    """Return one page of results (:class:`SearchOut`)."""
    member = await require(request, context_id, Action.READ)
    params = parse_query(request, SearchParams)
    try:
        query = params.query()
    except InvalidSearchError as exc:
        raise invalid_parameter(exc.parameter, exc.message) from exc
    backend = backend_of(request.app.ctx)
    engine = request.app.ctx.engine
    language = member.context.language

    def run() -> tuple[SearchPage, dict[str, str]]:
        page = backend.search(context_id, query)
        with engine.connect() as conn:
            renames = ledger_category_names(conn, context_id) if page.hits else {}
        return page, renames

    try:
        page, renames = await asyncio.to_thread(run)
    except InvalidSearchError as exc:
        raise invalid_parameter(exc.parameter, exc.message) from exc
    except SearchUnavailableError as exc:
        raise ApiError(503, "unavailable", "the search service is unavailable; try again shortly") from exc
    return json_response(
        {
            "items": [hit_json(hit, language, renames) for hit in page.hits],
            "next_cursor": page.next_cursor,
            "terms": [{"term": t.term, "words": list(t.words), "prefix": t.prefix} for t in page.terms],
            "order": page.order,
            "backend": backend.name,
        }
    )


def blueprint() -> Blueprint:
    """Return a new ``search`` blueprint (one per app)."""
    bp = Blueprint("search", url_prefix="/api/v1/contexts/<context_id:uuid>/search")
    bp.add_route(search_transactions, "", methods=["GET"], name="search")
    return bp
