"""``financy healthcheck``: the health probe of containers and pods (Docker ``HEALTHCHECK``, k8s exec probes).

Two forms, as the deployment files call them:

* ``financy healthcheck URL`` — healthy when ``GET URL`` answers 200 within ``--timeout`` seconds
  (redirects are not followed: a 3xx is unhealthy);
* ``financy healthcheck --redis [--database] [--queue]`` — healthy when ``FINANCY_REDIS_URL`` answers
  ``PING``, ``FINANCY_DATABASE_URL`` answers ``SELECT 1`` and ``FINANCY_EDGE__QUEUE_REDIS_URL`` (an
  edge worker's job queue) answers ``PING``, each within ``--timeout`` seconds. ``--data-dir DIR``
  first reads ``DIR/edge.env`` as ``financy edge run|worker --data-dir DIR`` do (real environment
  variables win), so an enrolled edge is probed with the URLs it really uses.

Exit status: 0 healthy (one ``ok`` line on stdout), 1 unhealthy (one line per failed check on stderr,
naming the check and why; passwords in URLs are never printed), 2 a usage error.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from financy.runtime.redaction import redact, scrub

EXIT_HEALTHY = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2
DEFAULT_TIMEOUT_S = 3.0


def check_http(url: str, timeout_s: float) -> str | None:
    """Return ``None`` when ``GET url`` answers 200 within ``timeout_s`` seconds, else the reason.

    Only ``http://`` and ``https://`` URLs are probed (anything else is a reason too). The body is
    never read (a huge one costs nothing) and redirects are not followed.
    """
    import httpx

    try:
        scheme = urlsplit(url).scheme
    except ValueError as exc:
        return f"GET {redact(url)}: not a URL ({scrub(str(exc), url)})"
    if scheme not in ("http", "https"):
        return f"GET {redact(url)}: not an http:// or https:// URL"
    try:
        with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=False) as response:
            status, phrase = response.status_code, response.reason_phrase
    except httpx.TimeoutException:
        return f"GET {redact(url)}: no answer within {timeout_s:g} s"
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return f"GET {redact(url)}: {type(exc).__name__}: {scrub(str(exc), url)}"
    if status != 200:
        return f"GET {redact(url)}: HTTP {status} {phrase}".rstrip()
    return None


def check_redis(url: str, timeout_s: float) -> str | None:
    """Return ``None`` when the Redis at ``url`` answers ``PING`` within ``timeout_s``, else the reason."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    except ValueError as exc:
        return f"Redis {redact(url)}: bad URL: {scrub(str(exc), url)}"
    try:
        if client.ping() is not True:
            return f"Redis {redact(url)}: PING did not answer PONG"
    except redis.RedisError as exc:
        return f"Redis {redact(url)}: {type(exc).__name__}: {scrub(str(exc), url)}"
    finally:
        client.close()
    return None


def check_database(url: str, timeout_s: float) -> str | None:
    """Return ``None`` when PostgreSQL at ``url`` answers ``SELECT 1`` within ``timeout_s``, else the reason.

    ``url`` is a libpq URL (``postgresql://…``; a SQLAlchemy ``postgresql+psycopg://`` is accepted).
    """
    try:
        import psycopg
    except ImportError:
        return "PostgreSQL: psycopg is not installed in this image (the core's extra)"
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    connect_timeout = max(1, round(timeout_s))  # libpq counts whole seconds
    try:
        with psycopg.connect(dsn, connect_timeout=connect_timeout) as conn:
            conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(int(timeout_s * 1000)),))
            row = conn.execute("SELECT 1").fetchone()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL {redact(dsn)}: {scrub(reason, dsn)}"
    if row != (1,):
        return f"PostgreSQL {redact(dsn)}: SELECT 1 answered {row!r}"
    return None


def _within(run: Callable[[], str | None], timeout_s: float) -> str | None:
    """Return what ``run`` returns, or a reason when it has not returned within ``timeout_s`` + 1 s.

    The probes' own timeouts count per read: a server trickling a byte at a time would keep one
    waiting forever. ``run`` goes on in a daemon thread, which does not keep the process alive.
    """
    result: list[str | None] = []

    def target() -> None:
        try:
            result.append(run())
        except Exception as exc:  # a probe that broke is an unhealthy answer
            result.append(f"the check failed: {type(exc).__name__}")

    thread = threading.Thread(target=target, name="healthcheck-probe", daemon=True)
    thread.start()
    thread.join(timeout_s + 1.0)
    if not result:
        return f"no complete answer within {timeout_s:g} s"
    return result[0]


@dataclass(frozen=True, slots=True)
class Check:
    """One probe to run: its label (``http``, ``redis``, ``database``, ``queue``) and how."""

    label: str
    run: Callable[[], str | None]


def _env_check(
    label: str,
    name: str,
    environ: Mapping[str, str],
    probe: Callable[[str, float], str | None],
    timeout_s: float,
) -> Check:
    def run() -> str | None:
        value = environ.get(name, "").strip()
        if not value:
            return f"{name} is not set"
        return probe(value, timeout_s)

    return Check(label, run)


def run_healthcheck(
    url: str | None,
    *,
    redis: bool = False,
    database: bool = False,
    queue: bool = False,
    data_dir: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    environ: MutableMapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the checks asked for; return the exit status (0 healthy, 1 unhealthy, 2 usage).

    ``environ`` (default ``os.environ``) gives ``FINANCY_REDIS_URL``, ``FINANCY_DATABASE_URL`` and
    ``FINANCY_EDGE__QUEUE_REDIS_URL``; with ``data_dir`` its ``edge.env`` is applied to a copy of it
    first (real variables win). Every check runs even when an earlier one failed, so stderr names
    each problem.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    env: MutableMapping[str, str] = dict(os.environ if environ is None else environ)
    if url is None and not (redis or database or queue):
        print("financy healthcheck: give a URL or --redis/--database/--queue", file=err)
        return EXIT_USAGE
    if not timeout_s > 0:
        print("financy healthcheck: --timeout must be more than 0 seconds", file=err)
        return EXIT_USAGE
    if data_dir is not None:
        from financy.edge.envfile import EnvFileError, apply_env, read_env_file

        try:
            values, _warnings = read_env_file(Path(data_dir) / "edge.env")
        except FileNotFoundError:
            values = {}
        except (EnvFileError, OSError) as exc:
            print(f"financy healthcheck: {exc}", file=err)
            return EXIT_UNHEALTHY
        apply_env(values, env)
    checks: list[Check] = []
    if url is not None:
        target = url
        checks.append(Check("http", lambda: check_http(target, timeout_s)))
    if redis:
        checks.append(_env_check("redis", "FINANCY_REDIS_URL", env, check_redis, timeout_s))
    if database:
        checks.append(_env_check("database", "FINANCY_DATABASE_URL", env, check_database, timeout_s))
    if queue:
        checks.append(_env_check("queue", "FINANCY_EDGE__QUEUE_REDIS_URL", env, check_redis, timeout_s))
    failures = [
        (check.label, reason) for check in checks if (reason := _within(check.run, timeout_s)) is not None
    ]
    for label, reason in failures:
        print(f"unhealthy: {label}: {reason}", file=err)
    if failures:
        return EXIT_UNHEALTHY
    print("ok: " + ", ".join(check.label for check in checks), file=out)
    return EXIT_HEALTHY
