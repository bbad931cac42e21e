"""Request bodies of the shared-ledger routes (ledgers, members, invitations).

Unknown fields are ignored, as in :mod:`financy.core.entrypoints.api.schemas`; every model is
validated through :func:`~financy.core.entrypoints.api.schemas.parse_body` (400 ``bad_request``
naming the field).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from financy.core.domain.members import DEFAULT_INVITE_HOURS, MAX_INVITE_HOURS
from financy.core.domain.model import ContextType, Role
from financy.core.entrypoints.api.schemas import _Body


class ContextIn(_Body):
    """A new ledger: its name, type, base currency (ISO 4217), time zone (IANA) and locale."""

    name: str = Field(min_length=1, max_length=200)
    type: ContextType = ContextType.FAMILY
    base_currency: str = Field("BRL", min_length=3, max_length=3, description="ISO 4217")
    time_zone: str = Field("America/Sao_Paulo", min_length=1, max_length=64, description="IANA time zone")
    locale: Literal["pt-BR", "en"] = "pt-BR"


class ContextPatch(_Body):
    """What to change in a ledger (at least one field). ``base_currency`` changes only while
    the ledger has no transactions."""

    name: str | None = Field(None, min_length=1, max_length=200)
    time_zone: str | None = Field(None, min_length=1, max_length=64)
    locale: Literal["pt-BR", "en"] | None = None
    base_currency: str | None = Field(None, min_length=3, max_length=3)

    @model_validator(mode="after")
    def _something(self) -> ContextPatch:
        if all(v is None for v in (self.name, self.time_zone, self.locale, self.base_currency)):
            raise ValueError("name one of name, time_zone, locale or base_currency to change")
        return self


class RoleIn(_Body):
    """A member's new role."""

    role: Role


class InvitationIn(_Body):
    """An invitation's role and lifetime in hours (1 to 720, 72 unless said)."""

    role: Role = Role.EDITOR
    expires_in_hours: int = Field(DEFAULT_INVITE_HOURS, ge=1, le=MAX_INVITE_HOURS)


class AcceptIn(_Body):
    """The invitation code as the invitee got it ("K7QM2-XPD9A"; case, dashes and spaces do not matter)."""

    code: str = Field(min_length=1, max_length=64)
