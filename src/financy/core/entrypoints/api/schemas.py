"""The API's wire shapes: one set of pydantic models for validating input and for the OpenAPI document.

Query models (``*Query``) and bodies (``*In``) validate what clients send (through
``params.parse_query`` and :func:`parse_body`); response models (``*Out``) describe what routes
answer. The OpenAPI document (``/docs/openapi.json``, OpenAPI 3.0) is generated from the same
models: :func:`component_schemas` turns them into ``components.schemas`` and the helpers below
build the operations' parameters, bodies and responses, so docs and validation cannot drift apart.

Ids are UUID strings, dates ``YYYY-MM-DD``, instants ISO 8601 with an offset, money a decimal
string (never a float) next to its ISO 4217 currency.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.json_schema import models_json_schema
from sanic_ext.extensions.openapi.definitions import Parameter, Response
from sanic_ext.extensions.openapi.types import Schema

from financy.core.domain.model import CaptureStatus, ContextType, Role, TransactionStatus
from financy.core.entrypoints.api.errors import ApiError, refuse_nul
from financy.core.entrypoints.api.params import (
    DEFAULT_LIMIT,
    CategorySlug,
    Cursor,
    Day,
    Instant,
    Limit,
    bad_value,
)

_REF = "#/components/schemas/{model}"


class _Query(BaseModel):
    """Query parameters: unknown ones are ignored, so links with extra parameters keep working."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class _Body(BaseModel):
    """A request body; extra fields are ignored (OAuth2 password forms send ``grant_type``, ``scope``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


_BodyT = TypeVar("_BodyT", bound=_Body)


class _Out(BaseModel):
    """A response shape (documentation of what the read models return)."""

    model_config = ConfigDict(frozen=True)


# --------------------------------------------------------------------------- errors and operations


class ErrorDetail(_Out):
    """Machine code and human message of an error."""

    code: str = Field(description="stable machine code, e.g. invalid_parameter, not_a_member")
    message: str = Field(description="human-readable; for a bad parameter it starts with its quoted name")


class ErrorOut(_Out):
    """Every error response, whatever the route or the status."""

    error: ErrorDetail


class HealthOut(_Out):
    """The process is alive."""

    status: Literal["ok"]


class ReadyOut(_Out):
    """Readiness of each dependency; ``error`` is set (``not_ready``) when one is unavailable."""

    database: Literal["ok", "unavailable"]
    redis: Literal["ok", "unavailable"]
    error: ErrorDetail | None = None


# --------------------------------------------------------------------------- auth and users


class TokenIn(_Body):
    """Login form (JSON or ``application/x-www-form-urlencoded``)."""

    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=4096)
    code: str | None = Field(
        None,
        max_length=64,
        description="with two-factor sign-in on: the 6 digits of the authenticator app, or a recovery code",
    )


class TokenOut(_Out):
    """A bearer token; send it as ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="seconds the token is valid")
    recovery_codes_left: int | None = Field(
        None, description="only after signing in with a recovery code: how many unused ones are left"
    )


class MeOut(_Out):
    """The signed-in user; ``username`` is null for chat-only users."""

    id: uuid.UUID
    username: str | None
    display_name: str | None
    locale: str = Field(description="BCP 47, e.g. pt-BR")
    is_admin: bool


class LinkCodeOut(_Out):
    """A one-time code that links a Telegram or WhatsApp chat to the signed-in user; shown only once."""

    code: str = Field(
        description="8 characters of Crockford base32 with a dash; case, dashes and spaces do not matter",
        examples=["K7QM-2XPD"],
    )
    expires_at: dt.datetime = Field(description="when the code stops working (it also works only once)")
    telegram_url: str | None = Field(
        description="https://t.me/<bot>?start=<code>: opens the bot with the code (null when the bot's "
        "username is not configured)",
        examples=["https://t.me/FinancyBot?start=K7QM2XPD"],
    )
    instructions: str = Field(description="what to send the bot, in the user's language")


# --------------------------------------------------------------------------- contexts


class ContextOut(_Out):
    """A ledger context and the caller's role in it."""

    id: uuid.UUID
    name: str
    type: ContextType
    base_currency: str = Field(description="ISO 4217")
    time_zone: str = Field(description="IANA time zone name")
    locale: str = Field(description="BCP 47, e.g. pt-BR")
    role: Role
    archived: bool = Field(False, description="archived: listed and readable, takes no new records")


class ContextsOut(_Out):
    """Contexts the caller belongs to, oldest first (the personal one leads)."""

    items: list[ContextOut]


# --------------------------------------------------------------------------- transactions


class TransactionQuery(_Query):
    """Filters and paging of a context's transactions (dates inclusive, in the context's time zone)."""

    date_from: Day | None = Field(None, alias="from", description="first date, YYYY-MM-DD")
    date_to: Day | None = Field(None, alias="to", description="last date, YYYY-MM-DD")
    category: CategorySlug | None = Field(None, description="category slug, e.g. groceries")
    status: TransactionStatus | None = Field(None, description="recorded or reversed (default: both)")
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> TransactionQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise bad_value(f"'from' {self.date_from} is after 'to' {self.date_to}", parameter="from")
        return self


class TransactionOut(_Out):
    """A transaction; ``amount`` is a positive decimal string in ``currency``, ``kind`` its direction."""

    id: uuid.UUID
    occurred_on: dt.date = Field(description="the day, in the context's time zone")
    kind: str = Field(description="expense, income or transfer")
    amount: str = Field(description="decimal string, e.g. 45.90", examples=["45.90"])
    currency: str = Field(description="ISO 4217")
    merchant: str | None
    description: str | None
    category: str | None = Field(description="category slug, null if uncategorised")
    category_name: str | None = Field(description="the category in the context's language")
    payment_method: str | None
    installments: int | None
    status: TransactionStatus
    source_channel: str
    author_id: uuid.UUID | None = Field(
        description="who recorded it; null when no person sent it (a channel)"
    )
    paid_by: uuid.UUID | None = Field(default=None, description="who paid; null while unknown")
    created_at: dt.datetime
    base_amount: str | None = Field(
        default=None,
        description="the amount in base_currency (decimal string); null when no FX rate is known",
        examples=["99.80"],
    )
    base_currency: str | None = Field(default=None, description="the ledger's base currency (ISO 4217)")
    fx_rate: str | None = Field(
        default=None, description="base_currency units per unit of currency", examples=["4.9900000000"]
    )
    fx_date: dt.date | None = Field(
        default=None, description="the day of the rate (the last ECB business day on or before occurred_on)"
    )
    fx_source: str | None = Field(default=None, description="identity, ecb or override")


class TransactionsOut(_Out):
    """A page of transactions; pass ``next_cursor`` as ``cursor`` for the next (null at the end)."""

    items: list[TransactionOut]
    next_cursor: str | None


class MediaOut(_Out):
    """Where an original (voice note, photo, document) is kept in the object store."""

    model_config = ConfigDict(frozen=True, extra="allow")

    key: str
    content_type: str | None = None
    size: int | None = None
    sha256: str | None = None


class ReceiptLineOut(_Out):
    """One line of a receipt; amounts are decimal strings in the transaction's currency."""

    description: str | None
    quantity: str | None
    unit_price: str | None
    line_total: str | None


class AnswerOut(_Out):
    """The message that answered the bot's "how much?" about a voice note or photo."""

    capture_id: uuid.UUID
    text: str | None


class SourceOut(_Out):
    """The capture a transaction was recorded from: the voice note or photo itself when a later
    message only gave its amount (that message is then ``answer``)."""

    capture_id: uuid.UUID
    media_type: str | None
    text: str | None = Field(description="the message's text, if it was one")
    media: MediaOut | None
    provenance: dict[str, Any] | None = Field(
        description="how it was read: source, engine, models, text, language, confidence, duration_s"
    )
    receipt: dict[str, Any] | None = Field(description="a receipt's fields (merchant, date, total, ...)")
    answer: AnswerOut | None = Field(
        default=None, description="the message that gave the amount this voice note or photo lacked"
    )


class TransactionDetailOut(TransactionOut):
    """One transaction with its receipt lines and where it came from (``source`` null if typed in)."""

    items: list[ReceiptLineOut]
    source: SourceOut | None


# --------------------------------------------------------------------------- captures


class CaptureQuery(_Query):
    """Filters and paging of what a context's members sent."""

    status: CaptureStatus | None = Field(None, description="recorded, needs_review or command")
    before: Instant | None = Field(None, description="received before this instant (ISO 8601 with zone)")
    limit: Limit = DEFAULT_LIMIT


class CaptureOut(_Out):
    """A message, voice note or photo as received; ``heard`` is its transcript or OCR text."""

    id: uuid.UUID
    received_at: dt.datetime
    platform: str
    media_type: str | None
    status: CaptureStatus
    problem: str | None = Field(description="why it was not recorded, e.g. receipt_no_text")
    intent: str | None
    text: str | None
    heard: str | None
    media: MediaOut | None


class CapturesOut(_Out):
    """Captures, newest first."""

    items: list[CaptureOut]


# --------------------------------------------------------------------------- FX


class FxRateIn(BaseModel):
    """A rate for one transaction (the card's real one): base currency units per unit of its currency."""

    model_config = ConfigDict(extra="forbid")

    rate: float | str = Field(
        description="a positive number, or one as a decimal string", examples=["5.1234"]
    )


class CardIofIn(BaseModel):
    """Whether a card's foreign purchases in this (BRL) ledger get their IOF as a fee line."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool


class CardIofOut(_Out):
    """The ledger's card IOF choice as it is now."""

    card_iof: bool


# --------------------------------------------------------------------------- budgets


class BudgetQuery(_Query):
    """The month budgets are measured in."""

    month: str | None = Field(
        default=None, description="YYYY-MM; default: the current month in the context's time zone"
    )


class BudgetIn(_Body):
    """A budget to set (or to replace the one for the same category, group or whole ledger)."""

    amount: Decimal = Field(description="a month, > 0, at most the currency's decimals, e.g. '800.00'")
    currency: str | None = Field(default=None, description="ISO 4217; only the context's base currency")
    category: CategorySlug | None = Field(default=None, description="an expense category slug")
    group: str | None = Field(
        default=None, max_length=40, description="a category group: food, transport, home"
    )
    rollover: bool | None = Field(
        default=None, description="carry what is left or overspent to the next month"
    )


class BudgetPatchIn(_Body):
    """What to change of a budget (absent: unchanged)."""

    amount: Decimal | None = None
    currency: str | None = None
    rollover: bool | None = None


class BudgetOut(_Out):
    """A budget in one month; amounts are decimal strings in ``currency`` (the base currency)."""

    id: uuid.UUID
    scope: Literal["category", "group", "ledger"]
    category: str | None
    group: str | None
    categories: list[str] = Field(description="the categories it sums; empty: every expense")
    amount: str
    currency: str
    rollover: bool
    month: str = Field(description="YYYY-MM")
    carried: str = Field(description="rolled over from earlier months (negative: overspent)")
    available: str = Field(description="amount + carried")
    spent: str = Field(description="sum of base amounts of the month's recorded expenses")
    left: str = Field(description="available - spent (negative: over)")
    percent: int = Field(description="spent as a whole percentage of available")
    count: int
    unvalued: int = Field(description="expenses without an FX rate, not in spent")


class BudgetsOut(_Out):
    """A context's budgets in one month."""

    month: str
    items: list[BudgetOut]


#: Every model of the document, as (model, mode): inputs in validation mode, outputs in serialization.
_MODELS: tuple[tuple[type[BaseModel], Literal["validation", "serialization"]], ...] = (
    (ErrorOut, "serialization"),
    (HealthOut, "serialization"),
    (ReadyOut, "serialization"),
    (TokenIn, "validation"),
    (TokenOut, "serialization"),
    (MeOut, "serialization"),
    (LinkCodeOut, "serialization"),
    (ContextsOut, "serialization"),
    (TransactionsOut, "serialization"),
    (TransactionDetailOut, "serialization"),
    (CapturesOut, "serialization"),
    (FxRateIn, "validation"),
    (CardIofIn, "validation"),
    (CardIofOut, "serialization"),
    (BudgetIn, "validation"),
    (BudgetPatchIn, "validation"),
    (BudgetsOut, "serialization"),
)


# --------------------------------------------------------------------------- validation of bodies


def parse_body(model: type[_BodyT], fields: Any) -> _BodyT:
    """Return ``model`` validated from ``fields`` (a decoded JSON body or a form's fields).

    Raises:
        ApiError: 400 ``bad_request`` naming the first bad field.
    """
    if not isinstance(fields, dict):
        raise ApiError(400, "bad_request", "expected a JSON object")
    refuse_nul(fields)
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = ".".join(str(part) for part in error["loc"]) or "body"
        raise ApiError(400, "bad_request", f"'{name}': {error['msg']}") from exc


# --------------------------------------------------------------------------- OpenAPI 3.0


def _openapi30(node: Any) -> Any:
    """Return JSON Schema from pydantic (2020-12 flavoured) in OpenAPI 3.0's dialect.

    ``anyOf [X, null]`` becomes ``X`` with ``nullable``; ``const`` an ``enum`` of one; a ``$ref``
    with siblings is wrapped in ``allOf`` (3.0 ignores siblings of ``$ref``); ``examples`` becomes
    one ``example``.
    """
    if isinstance(node, list):
        return [_openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _openapi30(value) for key, value in node.items()}
    variants = out.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        rest = [v for v in variants if v != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1:
            inner = rest[0]
            out.update({"allOf": [inner]} if "$ref" in inner else inner)
        else:
            out["anyOf"] = rest
        out["nullable"] = True
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "examples" in out:
        examples = out.pop("examples")
        if isinstance(examples, list) and examples:
            out["example"] = examples[0]
    if "$ref" in out and len(out) > 1:
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def component_schemas(
    models: tuple[tuple[type[BaseModel], Literal["validation", "serialization"]], ...] = _MODELS,
) -> dict[str, Any]:
    """Return ``components.schemas`` of the document: ``models`` (every model above by default; a
    route module with its own schemas passes its own) and the ones they use."""
    _, top = models_json_schema(models, ref_template=_REF)
    schemas: dict[str, Any] = _openapi30(top.get("$defs", {}))
    return {name: _inline_nullable_refs(schema, schemas) for name, schema in schemas.items()}


def _inline_nullable_refs(node: Any, schemas: dict[str, Any]) -> Any:
    """Return ``node`` with each nullable ``$ref`` replaced by a nullable copy of its target.

    OpenAPI 3.0's ``nullable`` only widens a ``type`` of the same schema object, so
    ``{"allOf": [{"$ref": ...}], "nullable": true}`` still refuses null; a copy does not.
    """
    if isinstance(node, list):
        return [_inline_nullable_refs(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _inline_nullable_refs(value, schemas) for key, value in node.items()}
    variants = out.get("allOf")
    if out.get("nullable") and isinstance(variants, list) and len(variants) == 1 and "$ref" in variants[0]:
        target = schemas[variants[0]["$ref"].rsplit("/", 1)[-1]]
        del out["allOf"]
        out = {**_inline_nullable_refs(target, schemas), **out}
    return out


def ref(model: type[BaseModel]) -> dict[str, str]:
    """Return the ``$ref`` of ``model``'s component."""
    return {"$ref": _REF.format(model=model.__name__)}


class _RawSchema(Schema):
    """A schema passed to sanic-ext as it is (it would otherwise read a dict as an example)."""

    def __init__(self, **fields: Any) -> None:
        super().__init__(**fields)  # type: ignore[no-untyped-call]  # sanic-ext's Definition is untyped

    def guard(self, fields: dict[str, Any]) -> dict[str, Any]:
        return fields


#: What ``openapi.definition(parameter=...)`` takes.
Parameters = list[dict[str, Any] | Parameter | str]


def query_parameters(model: type[_Query]) -> Parameters:
    """Return the OpenAPI query parameters of ``model`` (aliases as names, schemas inlined)."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    parameters: Parameters = []
    for name, given in schema["properties"].items():
        prop = _openapi30(given)
        prop.pop("nullable", None)
        prop.pop("title", None)
        if prop.get("default", "") is None:
            del prop["default"]
        description = prop.pop("description", None)
        for variant in prop.pop("allOf", []):
            target = defs.get(variant.get("$ref", "").rsplit("/", 1)[-1], variant)
            prop.update({k: v for k, v in _openapi30(target).items() if k not in ("title", "description")})
        parameters.append(
            {
                "name": name,
                "location": "query",
                "required": name in required,
                "description": description,
                "schema": _RawSchema(**prop),
            }
        )
    return parameters


def path_parameters(**descriptions: str) -> Parameters:
    """Return required UUID path parameters, ``name=description`` each."""
    return [
        {
            "name": name,
            "location": "path",
            "required": True,
            "description": description,
            "schema": _RawSchema(type="string", format="uuid"),
        }
        for name, description in descriptions.items()
    ]


def ok(model: type[BaseModel], description: str = "OK", status: int = 200) -> Response:
    """Return a JSON success response documented by ``model``."""
    return Response({"application/json": ref(model)}, status=status, description=description)


def binary(description: str) -> Response:
    """Return a 200 response that streams a file."""
    return Response(
        {"application/octet-stream": _RawSchema(type="string", format="binary")},
        status=200,
        description=description,
    )


def presigned_redirect() -> Response:
    """Return the 307 of an original in S3 mode: ``Location`` is a short-lived presigned URL."""
    return Response({}, status=307, description="S3 mode: Location is a presigned URL valid for 5 minutes")


def error(status: int, description: str) -> Response:
    """Return an error response (the one :class:`ErrorOut` shape)."""
    return Response({"application/json": ref(ErrorOut)}, status=status, description=description)


#: Security requirement of routes that need a bearer token.
SECURED: dict[str, list[str]] = {"bearer": []}
#: Errors of every route that takes a bearer token.
AUTH_ERRORS = [error(401, "no, expired or invalid token")]
#: Errors of every context-scoped route (one authorization rule: see ``security.require``).
CONTEXT_ERRORS = [
    *AUTH_ERRORS,
    error(403, "not a member of the context (not_a_member), or the role does not allow it (forbidden)"),
]
#: The error of a bad query parameter.
PARAMETER_ERROR = error(400, "a query parameter is invalid (invalid_parameter)")
