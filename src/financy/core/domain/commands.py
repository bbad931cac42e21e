"""Commands: what someone asks the ledger to do. Handlers raise on failure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CreateUser:
    """Create a login user with a personal context; ``password`` is hashed, never stored."""

    username: str
    password: str
    display_name: str | None = None
    locale: str = "pt-BR"
    time_zone: str = "America/Sao_Paulo"
    base_currency: str = "BRL"
    link_platform: str | None = None
    link_platform_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class UndoLast:
    """Reverse the most recent recorded transaction a user made in a context."""

    user_id: uuid.UUID
    context_id: uuid.UUID
