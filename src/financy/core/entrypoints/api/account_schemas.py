"""Wire shapes of the account security routes (:mod:`.account`): two-factor, API tokens, passwords.

Bodies validate what clients send (through :func:`financy.core.entrypoints.api.schemas.parse_body`);
the OpenAPI document takes its components from :func:`component_schemas`, so docs and validation
are one set of models, as in :mod:`.schemas`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from financy.core.domain.accounts import MAX_PASSWORD_LENGTH
from financy.core.entrypoints.api import schemas
from financy.core.entrypoints.api.schemas import _Body, _Out


class TwoFactorOut(_Out):
    """Whether two-factor sign-in is on, a set-up is waiting for its first code, and how many
    recovery codes are unused."""

    enabled: bool
    enabled_at: dt.datetime | None
    pending: bool = Field(description="a set-up was started and not confirmed yet")
    recovery_codes_left: int


class TotpSetupOut(_Out):
    """A two-factor set-up: scan the QR code (or type the secret) into an authenticator app, then
    confirm with its first code. Shown once; a new POST replaces it."""

    secret: str = Field(description="base32 TOTP secret (30-second steps, 6 digits, SHA-1)")
    otpauth_uri: str = Field(examples=["otpauth://totp/Financy:ana?secret=JBSWY3DPEHPK3PXP&issuer=Financy"])
    qr_svg: str = Field(description="the otpauth URI as a QR code, an SVG document")


class TotpConfirmIn(_Body):
    """The first code the authenticator app shows for the pending secret."""

    code: str = Field(min_length=1, max_length=16)


class RecoveryCodesOut(_Out):
    """Two-factor is on. Keep these codes somewhere safe: each signs in once without the phone.
    They are shown only now."""

    recovery_codes: list[str] = Field(examples=[["K7QM-2XPD-H4TA"]])


class TotpDisableIn(_Body):
    """The password and a current code (or a recovery code) confirm turning two-factor off."""

    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    code: str = Field(min_length=1, max_length=64)


ScopeName = Literal["read", "write", "admin"]


class ApiTokenIn(_Body):
    """A new personal API token: a name to recognise it, its scopes, and optionally its lifetime."""

    name: str = Field(min_length=1, max_length=100)
    scopes: list[ScopeName] = Field(
        min_length=1,
        description="read: GET only; write: also record and edit; admin: everything the role allows",
    )
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="null: it never expires")


class ApiTokenOut(_Out):
    """A personal API token as listed (its secret is never shown again)."""

    id: uuid.UUID
    name: str
    prefix: str = Field(
        description="the token's first characters, to tell tokens apart", examples=["fny_Ab3dE9xQ"]
    )
    scopes: list[ScopeName]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None = Field(description="to the minute; null: never used")
    revoked_at: dt.datetime | None
    active: bool = Field(description="false once revoked or expired")


class ApiTokenCreatedOut(_Out):
    """A new token: ``token`` is shown only in this answer; send it as ``Authorization: Bearer``."""

    id: uuid.UUID
    name: str
    token: str = Field(examples=["fny_Ab3dE9xQ..."])
    prefix: str
    scopes: list[ScopeName]
    created_at: dt.datetime
    expires_at: dt.datetime | None


class ApiTokensOut(_Out):
    """The caller's API tokens, newest first (revoked ones too)."""

    items: list[ApiTokenOut]


class PasswordChangeIn(_Body):
    """The current password and the new one (at least 10 characters, not the username)."""

    current: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class PasswordResetIssuedOut(_Out):
    """A one-time password reset token for the user (give it to them; shown only now)."""

    user_id: uuid.UUID
    token: str
    expires_at: dt.datetime


class NewUserIn(_Body):
    """A login user an instance admin creates (a family member who will use the dashboard or API)."""

    username: str = Field(min_length=1, max_length=64, examples=["bruno"])
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH, description="at least 10 characters")
    display_name: str | None = Field(default=None, max_length=200)
    locale: Literal["pt-BR", "en"] = "pt-BR"
    time_zone: str = Field(
        default="America/Sao_Paulo", max_length=64, description="IANA, of their personal ledger"
    )
    base_currency: str = Field(
        default="BRL", min_length=3, max_length=3, description="ISO 4217, of their personal ledger"
    )


class NewUserOut(_Out):
    """The user made: their id (to add them to ledgers) and normalised username."""

    id: uuid.UUID
    username: str


class PasswordResetIn(_Body):
    """A reset token an instance admin issued and the new password."""

    token: str = Field(min_length=1, max_length=256)
    new: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


_MODELS: tuple[tuple[type[BaseModel], Literal["validation", "serialization"]], ...] = (
    (TwoFactorOut, "serialization"),
    (NewUserIn, "validation"),
    (NewUserOut, "serialization"),
    (TotpSetupOut, "serialization"),
    (TotpConfirmIn, "validation"),
    (RecoveryCodesOut, "serialization"),
    (TotpDisableIn, "validation"),
    (ApiTokenIn, "validation"),
    (ApiTokenCreatedOut, "serialization"),
    (ApiTokensOut, "serialization"),
    (PasswordChangeIn, "validation"),
    (PasswordResetIssuedOut, "serialization"),
    (PasswordResetIn, "validation"),
)


def component_schemas() -> dict[str, Any]:
    """Return the OpenAPI ``components.schemas`` of this module's models."""
    return schemas.component_schemas(_MODELS)
