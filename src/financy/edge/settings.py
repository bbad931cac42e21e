"""Edge node settings (pydantic-settings, prefix ``FINANCY_``, nested with ``__``).

``FINANCY_REDIS_URL`` is the core's Redis, where ``financy:captures`` and this edge's reply
stream live. The edge keeps its outbox on its own disk (``FINANCY_EDGE__DATA_DIR``), so
captures wait there, durable, while the core's Redis is unreachable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from financy.runtime.objects import DirectoryStore, ObjectStore, S3Settings, object_store_from_settings


class EdgeNode(BaseModel):
    """This edge node: its id on the streams, its HTTP listener and its local state."""

    id: str = "local"
    host: str = "127.0.0.1"
    port: int = 8081
    data_dir: Path | None = None
    time_zone: str = "America/Sao_Paulo"
    language: str = "pt"
    currency: str = "BRL"
    relay_batch: int = 100
    relay_backoff_max_s: float = 5.0
    devchat_enabled: bool = True
    #: Bearer token of the dev chat (``/devchat``); unset: only loopback callers are served.
    devchat_token: SecretStr | None = None
    models_dir: Path | None = None
    #: The edge's own Redis for its job queue (voice notes and photos); unset: the core's.
    queue_redis_url: str | None = None
    #: How many ``financy edge worker`` processes the single box runs.
    workers: int = Field(default=2, ge=0, le=16)
    #: Speech engine: "whisper" (faster-whisper) or "vosk" (small edges).
    speech_backend: str = "whisper"
    #: The Vosk model (a name in models/manifest.toml) when the speech engine is "vosk".
    vosk_model: str = "vosk-ko"
    #: A Vosk grammar of amounts ("um real", "dez reais"...) makes small models far more accurate.
    vosk_grammar: bool = False
    #: OCR engines in order, comma separated ("ppocr", "tesseract", "ppocr,tesseract").
    ocr_engines: str = "ppocr"
    #: Largest voice note or photo the edge accepts (bytes) and longest audio (seconds).
    max_media_bytes: int = 25 * 1024 * 1024
    max_audio_s: float = 600.0
    #: A media job still unfinished after this many seconds is started again (the worker died).
    job_timeout_s: int = 300
    #: After this many starts a media job gives up and the user is told.
    job_attempts: int = 3
    #: The per-edge HMAC key (hex) issued at enrolment; set: the relay signs the captures it sends.
    origin_key: SecretStr | None = None
    #: The core's HTTP base URL this edge enrolled with (``financy edge enroll``); unset: not enrolled.
    core_url: str | None = None
    #: Where originals (voice notes, photos) are kept: "core" uploads them to the object store
    #: (``FINANCY_S3__*``); "edge" keeps them only in this edge's ``<data_dir>/objects`` (data
    #: residency: the core gets text, fields and hashes, and says the original is held here).
    media_residency: Literal["core", "edge"] = "core"
    #: Seconds between two heartbeats (HeartbeatV1 on ``financy:edge:{id}:heartbeats``).
    heartbeat_interval_s: float = Field(default=15.0, gt=0, le=3600)
    #: The most captures the core has not confirmed that the outbox keeps; at that many new
    #: messages are refused (webhooks 503 + Retry-After, the platform delivers again).
    outbox_capacity: int = Field(default=100_000, ge=1)
    #: A capture sent but not confirmed by the core within this many seconds is sent again.
    resend_after_s: float = Field(default=60.0, gt=0)
    #: Confirmed captures are kept this many seconds (answers and "how much?" look them up), then purged.
    outbox_retention_s: float = Field(default=7 * 86400, ge=0)


class TelegramSettings(BaseModel):
    """Telegram Bot API access (DESIGN §6): ``FINANCY_TELEGRAM__*``.

    * ``token``: the bot's token from BotFather; unset: no Telegram adapter runs.
    * ``api_base_url``: python-telegram-bot's ``base_url``, ending in ``/bot`` (the token follows; a
      bare host gets ``/bot``); ``file_base_url`` the file download root (derived when unset:
      ``https://host/bot`` -> ``https://host/file/bot``).
    * ``webhook_secret``: the ``X-Telegram-Bot-Api-Secret-Token`` Telegram sends (1-256 of
      ``A-Z a-z 0-9 _ -``); unset: ``/webhooks/telegram`` refuses every request.
    * ``mode``: ``webhook`` (Telegram posts to ``/webhooks/telegram``) or ``polling`` (the edge
      asks ``getUpdates``: home servers without a public URL).
    * ``webhook_url``: the public HTTPS URL of ``/webhooks/telegram`` given to setWebhook; unset in
      webhook mode: no webhook is registered (logged at start).
    * ``bot_username``: the bot's @username (without ``@``); unset: asked with getMe at start.
    """

    token: SecretStr | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str | None = None
    webhook_secret: SecretStr | None = None
    mode: Literal["webhook", "polling"] = "webhook"
    webhook_url: str | None = None
    bot_username: str | None = None
    #: Seconds a ``getUpdates`` long poll waits for updates (polling mode).
    poll_timeout_s: int = Field(default=30, ge=0, le=50)

    @field_validator("api_base_url", "file_base_url")
    @classmethod
    def _bot_path(cls, value: str | None) -> str | None:
        """A bare host (``https://api.telegram.org``, ``http://127.0.0.1:8081``) gets the ``/bot`` path."""
        if value is None:
            return None
        value = value.strip().rstrip("/")
        return value + "/bot" if urlsplit(value).path in ("", "/") else value

    def resolved_file_base_url(self) -> str:
        """Return the file download root: ``file_base_url``, else ``api_base_url`` with ``/bot`` -> ``/file/bot``."""
        if self.file_base_url:
            return self.file_base_url
        base = self.api_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"


class WhatsAppSettings(BaseModel):
    """WhatsApp Cloud API access (DESIGN §6): ``FINANCY_WHATSAPP__*``.

    ``token``: the (system user) access token, sent as a Bearer token on every Graph API call;
    the adapter runs when it is set. ``app_secret``: the Meta app's secret, which signs webhook
    bodies (X-Hub-Signature-256). ``verify_token``: the string typed in the app's webhook setup,
    echoed back on Meta's subscription check. ``phone_number_id``: the business number replies
    are sent from. ``api_base_url``: the Graph API root with its version.
    """

    token: SecretStr | None = None
    app_secret: SecretStr | None = None
    verify_token: SecretStr | None = None
    phone_number_id: str | None = None
    api_base_url: str = "https://graph.facebook.com/v21.0"


class EdgeSettings(BaseSettings):
    """Settings of the edge processes (``financy edge run``)."""

    model_config = SettingsConfigDict(env_prefix="FINANCY_", env_nested_delimiter="__", extra="ignore")

    redis_url: str | None = None
    data_dir: Path = Path("var")
    edge: EdgeNode = EdgeNode()
    telegram: TelegramSettings = TelegramSettings()
    whatsapp: WhatsAppSettings = WhatsAppSettings()
    #: Object store for originals (DESIGN §6: FINANCY_S3__ENDPOINT...); unset: ``<data_dir>/objects``.
    s3: S3Settings = S3Settings()
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def edge_dir(self) -> Path:
        """Return the directory of this edge's local state (outbox, dev chat history)."""
        return self.edge.data_dir or (self.data_dir / "edge" / self.edge.id)

    @property
    def models_dir(self) -> Path:
        """Return where the category model artifacts are (the core's, on a single box)."""
        return self.edge.models_dir or (self.data_dir / "models" / "categories")

    @property
    def objects_dir(self) -> Path:
        """Return the directory that stands for the object store when no S3 endpoint is set."""
        return self.data_dir / "objects"

    @property
    def enrolled(self) -> bool:
        """Return True for an edge enrolled with a remote core (origin key and core URL both set)."""
        return self.edge.origin_key is not None and bool(self.edge.core_url)

    def object_store(self) -> ObjectStore:
        """Return the shared object store (S3 when ``FINANCY_S3__ENDPOINT`` is set): models come from it."""
        return object_store_from_settings(self.s3, self.objects_dir)

    def media_store(self) -> ObjectStore:
        """Return where originals go: the shared store, or this edge's own directory in residency "edge"."""
        if self.edge.media_residency == "edge":
            return DirectoryStore(self.objects_dir)
        return self.object_store()

    def queue_url(self) -> str:
        """Return the URL of the Redis holding this edge's job queue (its own, else the core's).

        Raises:
            RuntimeError: an enrolled edge has no queue Redis of its own: its media jobs never go
                to the core's Redis (``financy edge run --data-dir DIR`` starts one in DIR/queue).
        """
        if self.edge.queue_redis_url:
            return self.edge.queue_redis_url
        if self.enrolled:
            raise RuntimeError(
                "this edge is enrolled with a core but FINANCY_EDGE__QUEUE_REDIS_URL is not set: its media "
                "jobs never use the core's Redis (run it with `financy edge run --data-dir DIR`)"
            )
        return self.require_redis_url()

    def require_redis_url(self) -> str:
        """Return the core Redis URL or raise ``RuntimeError`` if none is set."""
        if not self.redis_url:
            raise RuntimeError("FINANCY_REDIS_URL is not set (run `financy up` for the single box)")
        return self.redis_url
