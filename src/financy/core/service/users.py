"""The first-run admin, created through the message bus (``financy up`` calls this once per start)."""

from __future__ import annotations

from sqlalchemy import Engine

from financy.core.domain.commands import EnsureAdmin
from financy.core.service.bootstrap import bootstrap


def ensure_admin(
    engine: Engine,
    *,
    username: str = "admin",
    devchat_user_id: str = "admin",
    locale: str = "pt-BR",
    time_zone: str = "America/Sao_Paulo",
    base_currency: str = "BRL",
) -> str | None:
    """Create the admin login on ``engine`` if missing; return its generated password, else ``None``.

    See :func:`financy.core.service.handlers.users.ensure_admin`.
    """
    result: str | None = bootstrap(engine=engine).handle(
        EnsureAdmin(username, devchat_user_id, locale, time_zone, base_currency)
    )
    return result
