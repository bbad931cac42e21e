"""Login rate limiting in Redis: failures per (username, client IP) and per client IP, with lockouts.

Each failure is a member of a sorted set scored by the time it happened (a sliding window of
``window_s``), so counts follow the clock the caller passes (tests move it; nothing sleeps).
``max_failures`` failures of one username from one IP lock that pair out; ``max_ip_failures``
from one IP, whatever the usernames, lock that IP out. A lockout lasts ``base_lockout_s``, then
doubles at each further lockout of the same pair or IP (within a day of the last one) up to
``max_lockout_s``, and ends by itself: nobody, however many times they fail, can lock an account
out for longer than that, and failures from one IP never hold back a login from another. A
successful login clears its pair's failures and lockout level.

Keys (``financy:login:`` + kind + a sha256 of the username and IP, never the username itself):
``fail:<pair>`` / ``fail-ip:<ip>`` sorted sets, ``lock:<pair>`` / ``lock-ip:<ip>`` hashes with
``until`` (epoch seconds) and ``level``. Every key also gets a Redis expiry, so nothing stays
behind once the windows have passed.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Literal

from redis import Redis

from financy.core.settings import LoginLimitSettings

_PREFIX = "financy:login:"
#: A lockout level older than this starts again at the base delay.
LEVEL_MEMORY_S = 24 * 3600

Scope = Literal["user_ip", "ip"]


@dataclass(frozen=True, slots=True)
class Lockout:
    """A login held back: by the (username, IP) pair or by the IP, for ``retry_after_s`` more seconds."""

    scope: Scope
    retry_after_s: int


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


class LoginLimiter:
    """Counts login failures and answers whether a login may be tried now (see the module).

    Every method takes ``now`` (seconds since the epoch, the API's clock). Redis errors propagate.
    """

    def __init__(self, redis: Redis, settings: LoginLimitSettings) -> None:
        self.redis = redis
        self.settings = settings

    def _keys(self, username: str, ip: str) -> tuple[str, str, str, str]:
        pair = _digest(username.strip().lower()[:256], ip)
        addr = _digest(ip)
        return (
            f"{_PREFIX}fail:{pair}",
            f"{_PREFIX}lock:{pair}",
            f"{_PREFIX}fail-ip:{addr}",
            f"{_PREFIX}lock-ip:{addr}",
        )

    def _until(self, key: str) -> float:
        raw = self.redis.hget(key, "until")
        return float(raw) if raw is not None else 0.0

    def check(self, username: str, ip: str, now: float) -> Lockout | None:
        """Return the lockout that holds back a login of ``username`` from ``ip`` at ``now``, or ``None``."""
        _, lock, _, lock_ip = self._keys(username, ip)
        for scope, key in (("user_ip", lock), ("ip", lock_ip)):
            until = self._until(key)
            if until > now:
                return Lockout(scope, max(1, math.ceil(until - now)))  # type: ignore[arg-type]
        return None

    def _count(self, key: str, now: float) -> int:
        window = self.settings.window_s
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", now - window)
        pipe.zadd(key, {f"{now:.6f}:{secrets.token_hex(4)}": now})
        pipe.zcard(key)
        pipe.expire(key, window)
        return int(pipe.execute()[2])

    def _lock(self, fail_key: str, lock_key: str, scope: Scope, now: float) -> Lockout:
        s = self.settings
        held = self.redis.hmget(lock_key, ["until", "level"])
        last_until = float(held[0]) if held[0] is not None else 0.0
        level = int(held[1]) if held[1] is not None else 0
        if now - last_until > LEVEL_MEMORY_S:
            level = 0
        level += 1
        delay = min(s.base_lockout_s * 2 ** min(level - 1, 30), s.max_lockout_s)
        pipe = self.redis.pipeline()
        pipe.hset(lock_key, mapping={"until": f"{now + delay:.6f}", "level": str(level)})
        pipe.expire(lock_key, int(delay) + LEVEL_MEMORY_S)
        pipe.delete(fail_key)
        pipe.execute()
        return Lockout(scope, int(delay))

    def fail(self, username: str, ip: str, now: float) -> Lockout | None:
        """Count a failed login of ``username`` from ``ip``; return the lockout it started, if any."""
        fail, lock, fail_ip, lock_ip = self._keys(username, ip)
        started: Lockout | None = None
        if self._count(fail_ip, now) >= self.settings.max_ip_failures:
            started = self._lock(fail_ip, lock_ip, "ip", now)
        if self._count(fail, now) >= self.settings.max_failures:
            pair = self._lock(fail, lock, "user_ip", now)
            if started is None or pair.retry_after_s > started.retry_after_s:
                started = pair
        return started

    def succeed(self, username: str, ip: str) -> None:
        """Forget the failures and the lockout level of ``username`` from ``ip`` (a login worked)."""
        fail, lock, _, _ = self._keys(username, ip)
        self.redis.delete(fail, lock)
