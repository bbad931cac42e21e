"""Wire shapes of editing through the API: transaction bodies, splits, categories and the audit trail.

Bodies (``*In``, ``*Patch``) refuse unknown fields, so a misspelt field is a 400 naming it and not
an edit silently ignored. Amounts are decimal strings (``"45.90"``), never JSON numbers (a float
would round); whether the decimals fit the currency is the domain's check (400
``too_many_decimals``). The models join the OpenAPI document through :func:`component_schemas`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import models_json_schema
from pydantic_core import PydanticCustomError

from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.errors import ApiError, refuse_nul
from financy.core.entrypoints.api.params import Day

_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,12})?")


def _decimal_string(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "decimal_string", 'must be a decimal string such as "45.90", not a JSON number'
        )
    text = value.strip()
    if not _DECIMAL.fullmatch(text):
        raise PydanticCustomError(
            "decimal_string", "{value} is not a decimal number such as 45.90", {"value": value}
        )
    return Decimal(text)


#: An amount as a decimal string (``"45.90"``); sign and decimals are checked by the domain.
DecimalString = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "example": "45.90"}),
]


class _In(BaseModel):
    """A body of an editing route: unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


_InT = TypeVar("_InT", bound=_In)


def parse(model: type[_InT], fields: Any) -> _InT:
    """Return ``model`` validated from a decoded JSON body.

    Raises:
        ApiError: 400 ``bad_request`` naming the first bad field (``'amount': ...``).
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


Kind = Literal["expense", "income", "transfer"]


class TransactionIn(_In):
    """A transaction recorded by hand; ``paid_by`` defaults to the caller."""

    kind: Kind = "expense"
    amount: DecimalString = Field(description="positive, with at most the currency's decimals")
    currency: str = Field(
        min_length=3, max_length=3, pattern="^[A-Za-z]{3}$", description="ISO 4217, e.g. BRL"
    )
    occurred_on: Day = Field(description="YYYY-MM-DD, the day in the ledger's time zone")
    merchant: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)
    category: str | None = Field(default=None, max_length=40, description="a taxonomy slug")
    subcategory: uuid.UUID | None = Field(
        default=None, description="one of this ledger's sub-categories (its parent is the category)"
    )
    payment_method: str | None = Field(default=None, max_length=40)
    paid_by: uuid.UUID | None = Field(default=None, description="a member's user id")


#: Fields of :class:`TransactionPatch` that may not be null.
_REQUIRED = ("kind", "amount", "currency", "occurred_on")


class TransactionPatch(_In):
    """Any fields of a transaction to change; null clears an optional one."""

    kind: Kind | None = None
    amount: DecimalString | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")
    occurred_on: Day | None = None
    merchant: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)
    category: str | None = Field(default=None, max_length=40)
    subcategory: uuid.UUID | None = None
    payment_method: str | None = Field(default=None, max_length=40)
    paid_by: uuid.UUID | None = None

    @model_validator(mode="after")
    def _not_null(self) -> TransactionPatch:
        for name in _REQUIRED:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise PydanticCustomError("not_null", "{name!r} cannot be null", {"name": name})
        return self

    def changes(self) -> dict[str, Any]:
        """Return the fields the client sent, by the domain's names (``subcategory_id``)."""
        out = {name: getattr(self, name) for name in self.model_fields_set}
        if "subcategory" in out:
            out["subcategory_id"] = out.pop("subcategory")
        return out


class SplitLineIn(_In):
    """One line of a split."""

    category: str = Field(max_length=40, description="a taxonomy slug")
    subcategory: uuid.UUID | None = Field(
        default=None, description="one of this ledger's sub-categories of it"
    )
    amount: DecimalString = Field(description="positive, in the transaction's currency")
    note: str | None = Field(default=None, max_length=200)


class SplitIn(_In):
    """The lines of a split (the body may also be the bare list); their amounts add up to the transaction's."""

    lines: list[SplitLineIn] = Field(max_length=100)


class SubcategoryIn(_In):
    """A new sub-category of a taxonomy slug in this ledger."""

    parent: str = Field(max_length=40, description="a taxonomy slug")
    name: str = Field(min_length=1, max_length=80)


class CategoryPatch(_In):
    """A new name for a category of this ledger (null: the taxonomy's name again, for a slug)."""

    name: str | None = Field(max_length=80)


# --------------------------------------------------------------------------- responses


class SubcategoryRefOut(_Out):
    """A sub-category a transaction or a split line is in."""

    id: uuid.UUID
    name: str


class SplitLineOut(_Out):
    """One line of a split; ``base_amount`` its share in the base currency (null: no rate)."""

    category: str
    category_name: str | None
    subcategory: SubcategoryRefOut | None
    amount: str
    base_amount: str | None
    note: str | None


class EditedTransactionOut(schemas.TransactionDetailOut):
    """A transaction with its sub-category, split lines and value in the ledger's base currency."""

    subcategory: SubcategoryRefOut | None = None
    splits: list[SplitLineOut] = Field(default_factory=list)
    base_amount: str | None = Field(default=None, description="the amount in base_currency (null: no rate)")
    base_currency: str | None = None
    fx_rate: str | None = Field(default=None, description="base units per unit of currency")
    fx_date: dt.date | None = None
    fx_source: str | None = Field(default=None, description="identity, ecb or override")


class ActorOut(_Out):
    """Who made a change."""

    id: uuid.UUID
    name: str | None


class AuditEventOut(_Out):
    """One change of a transaction: who, when, what before and after."""

    id: uuid.UUID
    name: str = Field(
        description="transaction.recorded, .created, .edited, .reversed, .restored, .split, ..."
    )
    occurred_at: dt.datetime
    actor: ActorOut | None
    capture_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    extra: dict[str, Any]


class AuditOut(_Out):
    """A transaction's audit trail, oldest first."""

    items: list[AuditEventOut]


class SubcategoryOut(_Out):
    """A ledger's own sub-category (``key`` = ``id``)."""

    key: str
    id: uuid.UUID
    parent: str
    name: str


class CategoryOut(_Out):
    """A category of the taxonomy as this ledger names it, with its sub-categories."""

    key: str = Field(description="the slug (stable)")
    slug: str
    kind: str
    name: str
    default_name: str
    renamed: bool
    subcategories: list[SubcategoryOut]


class CategoriesOut(_Out):
    """The ledger's categories in the taxonomy's order."""

    items: list[CategoryOut]


class DeletedCategoryOut(_Out):
    """A deleted sub-category: its transactions are now in ``parent``."""

    deleted: uuid.UUID
    parent: str
    transactions: int


_MODELS: tuple[tuple[type[BaseModel], Literal["validation", "serialization"]], ...] = (
    (TransactionIn, "validation"),
    (TransactionPatch, "validation"),
    (SplitIn, "validation"),
    (SubcategoryIn, "validation"),
    (CategoryPatch, "validation"),
    (EditedTransactionOut, "serialization"),
    (AuditOut, "serialization"),
    (CategoriesOut, "serialization"),
    (SubcategoryOut, "serialization"),
    (DeletedCategoryOut, "serialization"),
)


def component_schemas() -> dict[str, Any]:
    """Return the ``components.schemas`` of these models (merged with ``schemas.component_schemas()``)."""
    _, top = models_json_schema(_MODELS, ref_template="#/components/schemas/{model}")
    converted: dict[str, Any] = schemas._openapi30(top.get("$defs", {}))
    return {name: schemas._inline_nullable_refs(schema, converted) for name, schema in converted.items()}
