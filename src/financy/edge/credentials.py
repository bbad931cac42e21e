"""Revocation watchdog: an edge whose core credentials were revoked stops, with exit status 3.

``financy core edges revoke NAME`` deletes the edge's Redis ACL user (and kills its connections).
The edge notices within ``interval_s`` seconds: the watchdog PINGs the core's Redis with the
edge's own credentials; ``WRONGPASS`` (user gone or password changed, redis-py's
``AuthenticationError``) or ``NOPERM`` on PING means the credentials are no longer good, so the
edge logs one ``edge.credentials_revoked`` line and stops with :data:`EXIT_REVOKED` — a distinct
status, so a supervisor or systemd (``RestartPreventExitStatus=3``) does not crash-loop it.
A plain connection error or timeout is not revocation: the core may just be away, and captures
wait in the outbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress

import redis.asyncio as aioredis
import redis.exceptions
import structlog

log = structlog.stdlib.get_logger(__name__)

#: Exit status of an edge whose credentials were revoked (or are wrong).
EXIT_REVOKED = 3
REVOKED_MESSAGE = (
    "this edge's credentials were revoked or are wrong; stopping — enrol again with financy edge enroll"
)
_AWAY = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError, TimeoutError)


class CredentialsWatchdog:
    """PINGs the core Redis at ``redis_url`` every ``interval_s`` seconds; calls ``on_revoked`` once.

    ``on_revoked`` is called (from the event loop) after the ``edge.credentials_revoked`` line;
    then :meth:`run` returns. ``client`` replaces the connection made from ``redis_url`` (tests).
    """

    def __init__(
        self,
        redis_url: str,
        *,
        edge_id: str,
        on_revoked: Callable[[], None],
        interval_s: float = 3.0,
        timeout_s: float = 5.0,
        client: aioredis.Redis | None = None,
    ) -> None:
        self.client = client or aioredis.Redis.from_url(
            redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self.edge_id = edge_id
        self.on_revoked = on_revoked
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.revoked = False
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask :meth:`run` to return."""
        self._stopping.set()

    async def check(self) -> bool | None:
        """PING once: True when the credentials work, False when revoked/wrong, None when the core is away."""
        try:
            await asyncio.wait_for(self.client.ping(), timeout=self.timeout_s * 2)
        except (redis.exceptions.AuthenticationError, redis.exceptions.NoPermissionError) as exc:
            self._revoked_error = f"{type(exc).__name__}: {str(exc)[:200]}"
            return False
        except _AWAY:
            return None
        return True

    async def run(self) -> None:
        """Check every ``interval_s`` seconds until stopped or revoked (then ``on_revoked``)."""
        away = False
        try:
            while not self._stopping.is_set():
                state = await self.check()
                if state is False:
                    self.revoked = True
                    log.critical(
                        "edge.credentials_revoked",
                        edge_id=self.edge_id,
                        message=REVOKED_MESSAGE,
                        error=self._revoked_error,
                        exit_status=EXIT_REVOKED,
                    )
                    self.on_revoked()
                    return
                if state is None and not away:
                    log.warning("edge.core_redis_unreachable", edge_id=self.edge_id, check="credentials")
                away = state is None
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.interval_s)
        finally:
            with suppress(Exception):
                await self.client.aclose()
