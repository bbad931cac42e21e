"""Wire shapes of cost sharing through the API: a transaction's shares, balances, settlements.

Bodies refuse unknown fields (a misspelt field is a 400 naming it). Amounts and weights are
decimal strings (``"45.90"``, ``"2"``), never JSON numbers; whether an amount's decimals fit the
currency is the domain's check (400 ``too_many_decimals``). The models join the OpenAPI document
through :func:`component_schemas`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator
from pydantic.json_schema import models_json_schema

from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.editing_schemas import DecimalString, _In, _Out


class MemberPartIn(_In):
    """One member sharing the cost: ``shares`` (mode "shares", a weight) or ``amount`` (mode
    "amounts", in the transaction's currency); neither for mode "equal"."""

    user_id: uuid.UUID = Field(description="a member's user id")
    shares: DecimalString | None = Field(default=None, description='a positive weight ("2" for 2:1)')
    amount: DecimalString | None = Field(default=None, description="positive, in the transaction's currency")


class SharesIn(_In):
    """Who shares a transaction's cost and how: ``mode`` "equal" (the payer carries the odd
    cent), "shares" (in proportion to weights) or "amounts" (which must add up to the
    transaction's amount, else 422 with the difference). Replaces an earlier split."""

    mode: Literal["equal", "shares", "amounts"] = "equal"
    members: list[MemberPartIn] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _values_fit_the_mode(self) -> Self:
        for part in self.members:
            wanted = {"equal": (False, False), "shares": (True, False), "amounts": (False, True)}[self.mode]
            if (part.shares is not None, part.amount is not None) != wanted:
                field = {"equal": "neither shares nor amount", "shares": "shares", "amounts": "amount"}[
                    self.mode
                ]
                raise ValueError(f"with mode {self.mode!r} every member has {field}")
        return self


class SettlementIn(_In):
    """``from_user`` (default: the caller) paid ``to_user`` ``amount`` in the ledger's base currency."""

    from_user: uuid.UUID | None = Field(default=None, description="a member's user id (default: you)")
    to_user: uuid.UUID = Field(description="a member's user id")
    amount: DecimalString = Field(description="positive, in the ledger's base currency")
    currency: str | None = Field(default=None, max_length=3, description="the base currency, if given")
    occurred_on: dt.date | None = Field(default=None, description="default: today in the ledger's time zone")
    note: str | None = Field(default=None, max_length=200)


# --------------------------------------------------------------------------- responses


class ShareOut(_Out):
    """One member's part of a transaction: ``amount`` in its currency, ``base_amount`` in the
    ledger's base currency (null: no FX rate when it was set)."""

    user_id: uuid.UUID
    name: str
    amount: str
    base_amount: str | None


class BalanceOut(_Out):
    """A member's balance in the base currency: positive, they are owed; negative, they owe."""

    user_id: uuid.UUID
    name: str
    balance: str


class TransferOut(_Out):
    """``from_user`` pays ``to_user`` ``amount`` (base currency)."""

    from_user: uuid.UUID
    from_name: str
    to_user: uuid.UUID
    to_name: str
    amount: str


class BalancesOut(_Out):
    """Who owes whom: every member's balance (adding up to zero) and the suggested transfers that
    settle them (greedy, at most one fewer than the members owed or owing); ``unvalued``: shared
    transactions left out (no FX rate, or no known payer)."""

    currency: str
    items: list[BalanceOut]
    transfers: list[TransferOut]
    unvalued: int


class SharesOut(_Out):
    """A transaction's shares (payer first; empty: not shared) and the ledger's balances after."""

    transaction_id: uuid.UUID
    paid_by: uuid.UUID | None
    currency: str
    items: list[ShareOut]
    balances: BalancesOut | None = None


class SettlementOut(_Out):
    """A settlement: ``from_user`` paid ``to_user`` ``amount`` in ``currency`` on ``occurred_on``."""

    id: uuid.UUID
    from_user: uuid.UUID
    from_name: str
    to_user: uuid.UUID
    to_name: str
    amount: str
    currency: str
    occurred_on: dt.date
    created_by: uuid.UUID | None
    note: str | None
    created_at: dt.datetime | None


class SettlementsOut(_Out):
    """The ledger's settlements, oldest first."""

    items: list[SettlementOut]


class SettledOut(SettlementOut):
    """A settlement just recorded, with the ledger's balances after it."""

    balances: BalancesOut


_MODELS: tuple[tuple[type[BaseModel], Literal["validation", "serialization"]], ...] = (
    (SharesIn, "validation"),
    (SettlementIn, "validation"),
    (SharesOut, "serialization"),
    (BalancesOut, "serialization"),
    (SettlementsOut, "serialization"),
    (SettledOut, "serialization"),
)


def component_schemas() -> dict[str, Any]:
    """Return the ``components.schemas`` of these models (merged with ``schemas.component_schemas()``)."""
    _, top = models_json_schema(_MODELS, ref_template="#/components/schemas/{model}")
    converted: dict[str, Any] = schemas._openapi30(top.get("$defs", {}))
    return {name: schemas._inline_nullable_refs(schema, converted) for name, schema in converted.items()}
