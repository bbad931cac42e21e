"""Core process settings (pydantic-settings, prefix ``FINANCY_``, nested with ``__``).

Built once in each entrypoint and passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from financy.runtime.objects import S3Settings


class MissingSettingError(RuntimeError):
    """A URL a core process needs is not set (``FINANCY_DATABASE_URL``, ``FINANCY_REDIS_URL``)."""


class CoreTelegramSettings(BaseModel):
    """What the core knows of the Telegram bot (``FINANCY_TELEGRAM__*``; the edge reads the rest).

    ``bot_username`` (without ``@``) makes the ``https://t.me/<bot>?start=CODE`` link of a link
    code; unset, the API gives no link and people type ``/start CODE`` themselves.
    """

    bot_username: str | None = Field(default=None, pattern=r"^@?[A-Za-z][A-Za-z0-9_]{3,31}$")

    @field_validator("bot_username")
    @classmethod
    def _no_at(cls, value: str | None) -> str | None:
        return value.removeprefix("@") if value else None


class FxSettings(BaseModel):
    """FX rates (``FINANCY_FX__*``).

    ``refresh_url``: where the worker fetches new ECB reference rates, in the ECB's own formats
    (the day's ``eurofxref.zip``/``.csv`` or the history ``eurofxref-hist.zip``/``.csv``), e.g.
    ``https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip``; unset (the default), nothing
    is fetched and the rates are those the box loaded at migrate (``financy core fx load``).
    ``refresh_interval_s``: how often beat sends the refresh when a URL is set.
    """

    refresh_url: str | None = Field(default=None, pattern=r"^(https?|file)://")
    refresh_interval_s: float = Field(default=6 * 3600.0, gt=0)
    refresh_timeout_s: float = Field(default=30.0, gt=0)


class CoreSettings(BaseSettings):
    """Settings of every core process (api, ingest, worker, beat, migrate)."""

    model_config = SettingsConfigDict(env_prefix="FINANCY_", env_nested_delimiter="__", extra="ignore")

    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path("var")
    s3: S3Settings = S3Settings()
    opensearch_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    jwt_secret: SecretStr | None = None
    jwt_ttl_s: int = 3600
    log_level: str = "INFO"
    log_json: bool = True
    ingest_consumer: str | None = None
    ingest_batch: int = 20
    ingest_block_ms: int = 1000
    ingest_claim_idle_ms: int = 30_000
    ingest_max_deliveries: int = 5
    #: Seconds between beat's runs of the category training (each retrains only after corrections).
    train_interval_s: float = Field(default=300.0, gt=0)
    #: Celery pool of ``financy core worker``: threads (default), solo (one job at a time) or
    #: prefork (one process per slot; the only pool that enforces time limits).
    worker_pool: Literal["threads", "solo", "prefork"] = "threads"
    #: Jobs the worker runs at once (a home box has two cores; training uses one).
    worker_concurrency: int = Field(default=2, ge=1, le=64)
    #: Seconds a link code (``POST /api/v1/me/link-codes``) stays valid (``FINANCY_LINK_CODE_TTL_S``).
    link_code_ttl_s: int = Field(default=900, ge=60, le=7 * 24 * 3600)
    telegram: CoreTelegramSettings = CoreTelegramSettings()
    fx: FxSettings = FxSettings()
    default_locale: str = "pt-BR"
    default_time_zone: str = "America/Sao_Paulo"
    default_currency: str = "BRL"

    def require_database_url(self) -> str:
        """Return the SQLAlchemy URL (``postgresql+psycopg://``) or raise if none is set.

        Raises:
            MissingSettingError: no ``FINANCY_DATABASE_URL``; ``financy up`` sets it for the single box.
        """
        if not self.database_url:
            raise MissingSettingError("FINANCY_DATABASE_URL is not set (run `financy up` for the single box)")
        return sqlalchemy_url(self.database_url)

    def require_redis_url(self) -> str:
        """Return the Redis URL or raise :class:`MissingSettingError` if none is set."""
        if not self.redis_url:
            raise MissingSettingError("FINANCY_REDIS_URL is not set (run `financy up` for the single box)")
        return self.redis_url

    def jwt_key(self) -> str:
        """Return the JWT signing key: the configured one, else one kept in ``data_dir``."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        import secrets

        path = self.data_dir / "secrets" / "jwt.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            tmp.replace(path)
        return path.read_text().strip()


def sqlalchemy_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver (``postgresql://`` -> ``postgresql+psycopg://``)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
