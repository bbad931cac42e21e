"""Settings of the single box itself (``FINANCY_BOX__*``), read by ``financy up``.

By default the box's Redis is the embedded one on a Unix socket in ``<data_dir>/redis`` (no
network, no password). ``FINANCY_BOX__REMOTE_EDGES=true`` opens it on TCP for edges on other
machines instead: the ``redis-server`` (>= 7.0) from ``PATH``, bound to ``FINANCY_BOX__REDIS_BIND``
(default ``0.0.0.0``) and ``FINANCY_BOX__REDIS_PORT`` (default 6380), with ACLs on (the ``default``
user protected by a random password kept in ``<data_dir>/redis/admin.password``, mode 0600) and
TLS when ``FINANCY_BOX__REDIS_TLS_CERT`` and ``FINANCY_BOX__REDIS_TLS_KEY`` name PEM files.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class BoxSettings(BaseSettings):
    """``FINANCY_BOX__*`` settings of ``financy up``.

    Raises (on construction):
        pydantic.ValidationError: a port outside 1-65535, or only one of the TLS cert and key.
    """

    model_config = SettingsConfigDict(env_prefix="FINANCY_BOX__", extra="ignore")

    #: Serve remote edges: Redis on TCP with ACLs (see the module's docstring).
    remote_edges: bool = False
    #: Address the TCP Redis binds to (``remote_edges`` only).
    redis_bind: str = "0.0.0.0"  # noqa: S104 - remote edges must reach it; the password guards it
    #: TCP port of the Redis (``remote_edges`` only).
    redis_port: int = Field(default=6380, ge=1, le=65535)
    #: PEM certificate (chain) and key for TLS on the Redis port; both or neither.
    redis_tls_cert: Path | None = None
    redis_tls_key: Path | None = None

    @model_validator(mode="after")
    def _tls_pair(self) -> BoxSettings:
        if (self.redis_tls_cert is None) != (self.redis_tls_key is None):
            raise ValueError("FINANCY_BOX__REDIS_TLS_CERT and FINANCY_BOX__REDIS_TLS_KEY go together")
        return self
