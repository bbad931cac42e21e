"""``financy up``: the single box — embedded services, migrations, first admin, and the processes.

One supervisor owns a data directory (default ``./var``) for as long as it runs::

    <data_dir>/box.lock            held (flock) while a box runs here: one box per directory
    <data_dir>/postgres/           embedded PostgreSQL cluster (unless FINANCY_DATABASE_URL is set)
    <data_dir>/redis/              embedded Redis with its AOF (unless FINANCY_REDIS_URL is set);
                                   with FINANCY_BOX__REMOTE_EDGES=true on TCP with ACLs (see
                                   financy.box.settings), the default user's password in
                                   redis/admin.password
    <data_dir>/objects/            the object store (unless FINANCY_S3__ENDPOINT is set)
    <data_dir>/edge/               the edge node's local state (outbox, dev chat)
    <data_dir>/secrets/            admin-password, jwt.key (mode 0700)
    <data_dir>/celery/             beat-schedule (when each periodic job last ran)
    <data_dir>/logs/               box.log (this supervisor), api.log, ingest.log, worker.log,
                                   beat.log, edge.log, edge-worker-N.log

It starts ``financy core api``, ``financy core ingest``, ``financy core worker`` (Celery jobs),
``financy core beat`` (their schedule), ``financy edge run`` and the edge workers as child
processes, restarts a child that dies (exponential backoff, 1 s to 30 s), gives up when one
crash-loops, and on SIGINT/SIGTERM stops the children, then Redis, then PostgreSQL.

The box's own edge (``FINANCY_EDGE__ID``, default ``local``) signs its captures like any enrolled
edge: at start the box makes (or reuses) its ``edges`` row with an origin key and gives the edge
processes that key as ``FINANCY_EDGE__ORIGIN_KEY``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit, urlunsplit

import httpx

from financy.box.settings import BoxSettings
from financy.runtime.boxlock import BoxLockedError, box_lock
from financy.runtime.process import ChildExit, ChildSpec, RestartPolicy, SupervisedChild, stop_all
from financy.runtime.services import (
    EmbeddedPostgres,
    EmbeddedRedis,
    RedisNetwork,
    ServiceError,
    ensure_database,
    write_box_urls,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BUSY = 2
ADMIN_USERNAME = "admin"
DEFAULT_EDGE_PORT = 8081
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
_TICK_S = 0.2
_PROBE_EVERY_S = 0.5
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - we only compare against them


@dataclass(frozen=True)
class BoxPaths:
    """The layout of a box's data directory (``root`` is absolute)."""

    root: Path

    @property
    def lock(self) -> Path:
        """Return the lock file held while a box runs here."""
        return self.root / "box.lock"

    @property
    def objects(self) -> Path:
        """Return the directory standing for the object store."""
        return self.root / "objects"

    @property
    def edge(self) -> Path:
        """Return the edge nodes' state directory."""
        return self.root / "edge"

    @property
    def secrets(self) -> Path:
        """Return the secrets directory (mode 0700)."""
        return self.root / "secrets"

    @property
    def logs(self) -> Path:
        """Return the log directory."""
        return self.root / "logs"

    @property
    def admin_password(self) -> Path:
        """Return the file holding the first admin's generated password (mode 0600)."""
        return self.secrets / "admin-password"

    def log_of(self, name: str) -> Path:
        """Return the log file of the process called ``name``."""
        return self.logs / f"{name}.log"

    def create(self, *, objects: bool) -> None:
        """Create the directories (``objects/`` only when the object store is this directory)."""
        for directory in (self.root, self.edge, self.logs):
            directory.mkdir(parents=True, exist_ok=True)
        if objects:
            self.objects.mkdir(exist_ok=True)
        self.secrets.mkdir(mode=0o700, exist_ok=True)
        self.secrets.chmod(0o700)


def box_children(python: str | None = None, *, edge_workers: int | None = None) -> tuple[ChildSpec, ...]:
    """Return the box's processes on ``python``: ``core api``, ``core ingest``, ``core worker``,
    ``core beat``, ``edge run`` and ``edge_workers`` × ``edge worker`` (voice notes and photos; default
    ``FINANCY_EDGE__WORKERS`` or 2), each logging to ``<name>.log``.
    """
    exe = python or sys.executable
    if edge_workers is None:
        try:
            edge_workers = max(0, min(16, int(os.environ.get("FINANCY_EDGE__WORKERS", "2"))))
        except ValueError:
            edge_workers = 2
    return (
        ChildSpec("api", (exe, "-m", "financy.cli", "core", "api")),
        ChildSpec("ingest", (exe, "-m", "financy.cli", "core", "ingest")),
        ChildSpec("worker", (exe, "-m", "financy.cli", "core", "worker")),
        ChildSpec("beat", (exe, "-m", "financy.cli", "core", "beat")),
        ChildSpec("edge", (exe, "-m", "financy.cli", "edge", "run")),
        *(
            ChildSpec(f"edge-worker-{n}", (exe, "-m", "financy.cli", "edge", "worker"))
            for n in range(1, edge_workers + 1)
        ),
    )


def child_env(
    base: Mapping[str, str],
    *,
    database_url: str,
    redis_url: str,
    data_dir: Path,
    port: int,
    edge_port: int,
    origin_key: str | None = None,
) -> dict[str, str]:
    """Return the environment of the box's children: ``base`` plus the box's settings.

    The box decides the service URLs, the data directory, the ports and (when given) the origin
    key its edge signs captures with (``FINANCY_EDGE__ORIGIN_KEY``, hex); every other ``FINANCY_*``
    the user set (host, JWT secret, Telegram token, edge id, ...) is kept. ``data_dir`` must be
    absolute: children may not share the supervisor's working directory forever.
    """
    env = dict(base)
    env.update(
        {
            "FINANCY_DATABASE_URL": database_url,
            "FINANCY_REDIS_URL": redis_url,
            "FINANCY_DATA_DIR": str(data_dir),
            "FINANCY_PORT": str(port),
            "FINANCY_EDGE__PORT": str(edge_port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("FINANCY_EDGE__ID", "local")
    if origin_key is not None:
        env["FINANCY_EDGE__ORIGIN_KEY"] = origin_key
    return env


def box_settings(env: Mapping[str, str]) -> BoxSettings:
    """Return the ``FINANCY_BOX__*`` settings found in ``env`` (not ``os.environ``).

    Raises:
        pydantic.ValidationError: a value is malformed (a bad port, half a TLS pair).
    """
    prefix = "FINANCY_BOX__"
    values = {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}
    return BoxSettings.model_validate(values)


_EDGE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def ensure_box_edge(engine: Engine, edge_id: str) -> str:
    """Make or reuse the ``edges`` row of the box's own edge; return its origin key (hex).

    A new row is enrolled at once (``enrolled_at`` now, no token, no Redis user); a row without
    an origin key gets one (``financy.runtime.origin.new_origin_key``); an existing key is kept,
    so captures still in the outbox verify after a restart.

    Raises:
        ValueError: ``edge_id`` does not match ``^[A-Za-z0-9_.-]{1,64}$``, or its row is revoked.
    """
    import datetime as dt

    from sqlalchemy import select, update
    from sqlalchemy.dialects.postgresql import insert

    from financy.core.adapters.orm import edges
    from financy.runtime.origin import new_origin_key

    if not _EDGE_ID.match(edge_id):
        raise ValueError(f"FINANCY_EDGE__ID {edge_id!r} must match ^[A-Za-z0-9_.-]{{1,64}}$")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(edges)
            .values(id=edge_id, enrolled_at=now, origin_key=new_origin_key())
            .on_conflict_do_nothing(index_elements=[edges.c.id])
        )
        row = conn.execute(
            select(edges.c.origin_key, edges.c.revoked_at, edges.c.enrolled_at)
            .where(edges.c.id == edge_id)
            .with_for_update()
        ).one()
        if row.revoked_at is not None:
            raise ValueError(
                f"the box's edge {edge_id!r} is revoked; set another FINANCY_EDGE__ID for the box's edge"
            )
        key = row.origin_key
        changes: dict[str, object] = {}
        if not key:
            key = new_origin_key()
            changes["origin_key"] = key
        if row.enrolled_at is None:
            changes["enrolled_at"] = now
        if changes:
            conn.execute(update(edges).where(edges.c.id == edge_id).values(**changes))
    return str(key)


def local_host(bind_host: str | None) -> str:
    """Return the address to reach a server bound to ``bind_host`` from this machine."""
    if bind_host is None or bind_host.strip() in _WILDCARD_HOSTS:
        return "127.0.0.1"
    return bind_host.strip()


def redact_url(url: str) -> str:
    """Return ``url`` without its password (for the terminal and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit((parts.scheme, f"{user}@{netloc[-1]}", parts.path, parts.query, parts.fragment))


def display_path(path: Path, cwd: Path | None = None) -> str:
    """Return ``path`` relative to ``cwd`` (default: the working directory) when inside it, else absolute."""
    base = (cwd or Path.cwd()).resolve()
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return str(path.resolve())


def bot_lines(env: Mapping[str, str], edge_url: str, edge_log: str) -> list[str]:
    """Return the summary's lines about the chat bots whose tokens ``env`` sets (none: dev chat only).

    Each says how the bot gets its updates, or, with a ⚠, what setting keeps it from getting any
    (README "Telegram and WhatsApp"); a bad token shows only in ``edge_log``, which the lines name.
    """
    lines: list[str] = []

    def setting(name: str) -> str:
        return env.get(name, "").strip()

    if setting("FINANCY_TELEGRAM__TOKEN"):
        if setting("FINANCY_TELEGRAM__MODE").lower() == "polling":
            telegram = "long polling (FINANCY_TELEGRAM__MODE=polling)"
        elif not setting("FINANCY_TELEGRAM__WEBHOOK_SECRET"):
            telegram = (
                "⚠ FINANCY_TELEGRAM__WEBHOOK_SECRET is not set: the webhook refuses every update "
                "(set it, or FINANCY_TELEGRAM__MODE=polling)"
            )
        elif not setting("FINANCY_TELEGRAM__WEBHOOK_URL"):
            telegram = (
                f"⚠ FINANCY_TELEGRAM__WEBHOOK_URL is not set: Telegram does not know {edge_url}/webhooks/telegram "
                "(set the public URL, or FINANCY_TELEGRAM__MODE=polling)"
            )
        else:
            telegram = f"webhook {setting('FINANCY_TELEGRAM__WEBHOOK_URL')} -> {edge_url}/webhooks/telegram"
        lines.append(f"  Telegram          {telegram}   (start-up in {edge_log})")
    if setting("FINANCY_WHATSAPP__TOKEN"):
        missing = [
            name
            for name in ("APP_SECRET", "VERIFY_TOKEN", "PHONE_NUMBER_ID")
            if not setting(f"FINANCY_WHATSAPP__{name}")
        ]
        whatsapp = (
            f"⚠ not serving: set {', '.join(f'FINANCY_WHATSAPP__{m}' for m in missing)}"
            if missing
            else f"webhook {edge_url}/webhooks/whatsapp"
        )
        lines.append(f"  WhatsApp          {whatsapp}   (start-up in {edge_log})")
    return lines


def format_summary(
    *,
    core_url: str,
    edge_url: str,
    edge_port: int,
    password: str | None,
    password_file: Path,
    data_dir: Path,
    financy: str,
    bots: Sequence[str] = (),
) -> str:
    """Return the human summary printed once the box is ready (plain text, one item a line).

    ``bots``: the lines of :func:`bot_lines`, after "Talk to the bot".
    """
    if password is not None:
        login = f"{ADMIN_USERNAME} / {password}   (saved in {display_path(password_file)})"
    elif password_file.exists():
        login = f"{ADMIN_USERNAME}   (the account exists; password in {display_path(password_file)})"
    else:
        login = f"{ADMIN_USERNAME}   (the account exists; its password was shown on the first run)"
    send = f'{financy} send "gastei 45,90 no mercado ontem"'
    talk = f"{send}   or   {financy} chat"
    if edge_port != DEFAULT_EDGE_PORT:
        flag = f"--edge-url {edge_url}"
        talk = f'{financy} send {flag} "gastei 45,90 no mercado ontem"\n{"":20}or   {financy} chat {flag}'
    return "\n".join(
        [
            "Financy is up.",
            f"  Dashboard & API   {core_url}/   (API docs: {core_url}/docs)",
            f"  Login             {login}",
            f"  Talk to the bot   {talk}",
            *bots,
            f"  Data              {data_dir}  (logs in {display_path(data_dir / 'logs')}/)",
            "Press Ctrl-C to stop.",
        ]
    )


def financy_command() -> str:
    """Return how the user should call ``financy`` from here (``financy`` or ``.venv/bin/financy``)."""
    script = Path(sys.executable).parent / "financy"
    on_path = shutil.which("financy")
    if on_path and script.exists() and Path(on_path).resolve() == script.resolve():
        return "financy"
    if script.exists():
        return display_path(script)
    return f"{sys.executable} -m financy.cli"


def port_is_free(host: str, port: int) -> bool:
    """Return True if a server could listen on ``host``:``port`` now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def write_secret(path: Path, value: str) -> None:
    """Write ``value`` (plus a newline) to ``path`` atomically with mode 0600."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def tail(path: Path, lines: int = 5, width: int = 300) -> list[str]:
    """Return the last ``lines`` lines of ``path`` (each cut to ``width`` characters); [] if unreadable."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line[:width] for line in text.splitlines()[-lines:]]


class _Stop:
    """Set by SIGINT/SIGTERM/SIGHUP; a second signal asks to hurry (kill children at once)."""

    def __init__(self) -> None:
        self.signals = 0

    def requested(self) -> bool:
        return self.signals > 0

    def handle(self, signum: int, frame: FrameType | None) -> None:
        del signum, frame
        self.signals += 1


@dataclass(frozen=True)
class _Probe:
    name: str
    url: str
    log: Path


@dataclass
class _Services:
    """The embedded servers this box started (None when an external URL was given)."""

    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None

    def stop(self) -> None:
        """Stop Redis (graceful: flushes its AOF), then PostgreSQL (fast shutdown)."""
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None


class _Box:
    """One run of the box: state shared by the start-up, the watch loop and the shutdown."""

    def __init__(
        self,
        paths: BoxPaths,
        port: int,
        edge_port: int,
        env: Mapping[str, str],
        specs: Sequence[ChildSpec],
        policy: RestartPolicy,
        ready_timeout_s: float,
        out: TextIO,
        stop: _Stop,
    ) -> None:
        self.paths = paths
        self.port = port
        self.edge_port = edge_port
        self.env = env
        self.specs = specs
        self.policy = policy
        self.ready_timeout_s = ready_timeout_s
        self.out = out
        self.stop = stop
        self.services = _Services()
        self.children: list[SupervisedChild] = []
        from financy.runtime.logging import get_logger

        self.log = get_logger("financy.box")

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run(self) -> int:
        try:
            return self._run()
        finally:
            self._shutdown()

    def _run(self) -> int:
        core_host = local_host(self.env.get("FINANCY_HOST"))
        edge_host = local_host(self.env.get("FINANCY_EDGE__HOST"))
        for host, port, flag in (
            (core_host, self.port, "--port"),
            (edge_host, self.edge_port, "--edge-port"),
        ):
            if not port_is_free(host, port):
                self.say(f"Port {port} on {host} is already in use; choose another with {flag}.")
                return EXIT_BUSY

        try:
            database_url, redis_url = self._start_services()
        except ServiceError as exc:
            self.log.error("service_failed", error=str(exc))
            self.say(f"Could not start: {exc}")
            return EXIT_FAILED
        if self.stop.requested():
            return EXIT_OK

        try:
            password, origin_key = self._prepare_database(database_url)
        except Exception as exc:
            self.log.exception("database_setup_failed")
            self.say(f"Could not prepare the database: {exc}\n  see {display_path(self.paths.log_of('box'))}")
            return EXIT_FAILED
        if self.stop.requested():
            return EXIT_OK

        env = child_env(
            self.env,
            database_url=database_url,
            redis_url=redis_url,
            data_dir=self.paths.root,
            port=self.port,
            edge_port=self.edge_port,
            origin_key=origin_key,
        )
        self.children = [
            SupervisedChild(spec, env, self.paths.log_of(spec.name), self.policy) for spec in self.specs
        ]
        for child in self.children:
            child.start()
            self.log.info("child_started", child=child.name, pid=child.pid, argv=list(child.spec.argv))
        self.say("Starting the core and the edge …")
        return self._watch(core_host, edge_host, password)

    def _start_services(self) -> tuple[str, str]:
        database_url = self.env.get("FINANCY_DATABASE_URL", "").strip()
        if database_url:
            self.say(f"PostgreSQL: {redact_url(database_url)} (FINANCY_DATABASE_URL)")
        else:
            postgres = EmbeddedPostgres(self.paths.root)
            self.services.postgres = postgres
            server_url = postgres.start()
            database_url = ensure_database(server_url, "financy")
            self.say(f"PostgreSQL: embedded, in {display_path(postgres.pgdata)}")
        self.log.info("postgres_ready", url=redact_url(database_url))
        if self.stop.requested():
            return database_url, ""

        redis_url = self.env.get("FINANCY_REDIS_URL", "").strip()
        if redis_url:
            self.say(f"Redis:      {redact_url(redis_url)} (FINANCY_REDIS_URL)")
            _check_redis(redis_url)
        else:
            try:
                settings = box_settings(self.env)
            except ValueError as exc:  # pydantic's ValidationError is one
                raise ServiceError(f"bad FINANCY_BOX__* setting: {exc}") from exc
            network = None
            if settings.remote_edges:
                network = RedisNetwork(
                    bind=settings.redis_bind,
                    port=settings.redis_port,
                    tls_cert=settings.redis_tls_cert,
                    tls_key=settings.redis_tls_key,
                )
            redis_server = EmbeddedRedis(self.paths.root, network=network)
            self.services.redis = redis_server
            redis_url = redis_server.start()
            if network is None:
                self.say(f"Redis:      embedded, in {display_path(redis_server.directory)}")
            else:
                scheme = "TLS" if network.tls else "TCP"
                self.say(
                    f"Redis:      for remote edges on {network.bind}:{network.port} ({scheme}, ACLs on;"
                    f" default user's password in {display_path(redis_server.password_file)})"
                )
        self.log.info("redis_ready", url=redact_url(redis_url))
        return database_url, redis_url

    def _prepare_database(self, database_url: str) -> tuple[str | None, str]:
        """Migrate, make sure the admin and the box's edge row exist.

        Returns (the admin's new password on the first run else None, the edge's origin key).
        """
        from sqlalchemy import create_engine, pool

        from financy.core.adapters.migrate import upgrade
        from financy.core.service.users import ensure_admin
        from financy.core.settings import sqlalchemy_url

        url = sqlalchemy_url(database_url)
        upgrade(url)
        self.log.info("migrated")
        engine = create_engine(url, poolclass=pool.NullPool)
        try:
            password = ensure_admin(engine, username=ADMIN_USERNAME, devchat_user_id=ADMIN_USERNAME)
            edge_id = self.env.get("FINANCY_EDGE__ID", "").strip() or "local"
            origin_key = ensure_box_edge(engine, edge_id)
            self.log.info("box_edge_ready", edge_id=edge_id)
        finally:
            engine.dispose()
        if password is not None:
            write_secret(self.paths.admin_password, password)
            self.log.info(
                "admin_created", username=ADMIN_USERNAME, password_file=str(self.paths.admin_password)
            )
        return password, origin_key

    def _watch(self, core_host: str, edge_host: str, password: str | None) -> int:
        core_url = f"http://{core_host}:{self.port}"
        edge_url = f"http://{edge_host}:{self.edge_port}"
        public = self.env.get("FINANCY_EDGES__CORE_PUBLIC_URL", "").strip() or core_url
        write_box_urls(self.paths.root, core_url=public, edge_url=edge_url)
        pending = [
            _Probe("core API", f"{core_url}/readyz", self.paths.log_of("api")),
            _Probe("edge", f"{edge_url}/readyz", self.paths.log_of("edge")),
        ]
        started = time.monotonic()
        next_probe = started
        warned = False
        with httpx.Client(timeout=1.0, trust_env=False) as http:
            while not self.stop.requested():
                now = time.monotonic()
                for child in self.children:
                    event = child.poll(now)
                    if event is not None and self._on_exit(event, child):
                        return EXIT_FAILED
                if pending and now >= next_probe:
                    pending = [probe for probe in pending if not _is_ready(http, probe.url)]
                    next_probe = time.monotonic() + _PROBE_EVERY_S
                    if not pending:
                        self.log.info("ready", after_s=round(now - started, 2))
                        self.say(
                            format_summary(
                                core_url=core_url,
                                edge_url=edge_url,
                                edge_port=self.edge_port,
                                password=password,
                                password_file=self.paths.admin_password,
                                data_dir=self.paths.root,
                                financy=financy_command(),
                                bots=bot_lines(self.env, edge_url, display_path(self.paths.log_of("edge"))),
                            )
                        )
                    elif not warned and now - started >= self.ready_timeout_s:
                        warned = True
                        for probe in pending:
                            self.log.warning("not_ready", process=probe.name, url=probe.url)
                            self.say(
                                f"Not ready after {self.ready_timeout_s:.0f} s: {probe.name} ({probe.url});"
                                f" see {display_path(probe.log)}"
                            )
                        self.say("Still waiting; Ctrl-C stops.")
                time.sleep(_TICK_S)
        return EXIT_OK

    def _on_exit(self, event: ChildExit, child: SupervisedChild) -> bool:
        """Report a child's death; return True if it crash-loops and the box must stop."""
        log_name = display_path(child.log_path)
        if event.crash_loop:
            self.log.error("child_crash_loop", child=event.name, code=event.code, log=str(child.log_path))
            self.say(
                f"{event.name} keeps crashing ({self.policy.crash_limit} times within"
                f" {self.policy.crash_window_s:.0f} s, last exit code {event.code}); stopping Financy."
            )
            self.say(f"Look at {log_name}; its last lines:")
            for line in tail(child.log_path):
                self.say(f"  {line}")
            return True
        self.log.warning(
            "child_exited",
            child=event.name,
            code=event.code,
            restart_in_s=event.restart_in_s,
            log=str(child.log_path),
        )
        self.say(
            f"{event.name} exited (code {event.code}); restarting in {event.restart_in_s:g} s"
            f" (log: {log_name})"
        )
        return False

    def _shutdown(self) -> None:
        if self.children:
            self.say("Stopping …")
            killed = stop_all(self.children, timeout_s=STOP_TIMEOUT_S, hurry=lambda: self.stop.signals > 1)
            for name in killed:
                self.log.warning("child_killed", child=name, after_s=STOP_TIMEOUT_S)
            self.log.info("children_stopped")
        self.services.stop()
        self.log.info("stopped")
        if self.children:
            self.say("Stopped.")


def _check_redis(url: str) -> None:
    """Raise ServiceError unless the Redis server at ``url`` answers PING within 5 s."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    except ValueError as exc:
        raise ServiceError(f"FINANCY_REDIS_URL is not a Redis URL ({exc})") from exc
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        raise ServiceError(f"Redis at {redact_url(url)} does not answer ({exc})") from exc
    finally:
        client.close()


def _is_ready(http: httpx.Client, url: str) -> bool:
    try:
        return http.get(url).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def _box_logging(path: Path) -> Iterator[None]:
    """Send this process's log records (JSON lines) to ``path`` instead of the terminal."""
    from financy.runtime.logging import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("box")
    formatter = root.handlers[0].formatter if root.handlers else None
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(formatter)
    root.handlers[:] = [handler]
    try:
        yield
    finally:
        handler.close()
        root.handlers[:], level = saved
        root.setLevel(level)


@contextlib.contextmanager
def _signals(stop: _Stop) -> Iterator[None]:
    wanted = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    saved = {signum: signal.signal(signum, stop.handle) for signum in wanted}
    try:
        yield
    finally:
        for signum, previous in saved.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)


def run_box(
    data_dir: Path,
    port: int,
    edge_port: int,
    *,
    env: Mapping[str, str] | None = None,
    children: Sequence[ChildSpec] | None = None,
    policy: RestartPolicy | None = None,
    ready_timeout_s: float = READY_TIMEOUT_S,
    out: TextIO | None = None,
) -> int:
    """Run the single box on ``data_dir`` until SIGINT/SIGTERM; return the exit status.

    ``port`` is the core's HTTP port, ``edge_port`` the edge's. ``env`` (default ``os.environ``)
    chooses external services with ``FINANCY_DATABASE_URL`` / ``FINANCY_REDIS_URL`` /
    ``FINANCY_S3__ENDPOINT``; otherwise embedded ones run under ``data_dir``. ``children``
    replaces the default processes (``box_children()``) and ``policy`` their restart policy.

    Returns:
        0 after a clean stop; 1 if a service could not start, the database could not be prepared
        or a child crash-looped (the terminal names the log to read); 2 if another box holds
        ``data_dir`` or a port is taken.
    """
    environ = dict(os.environ if env is None else env)
    stream = out or sys.stdout
    paths = BoxPaths(data_dir.expanduser().resolve())
    paths.root.mkdir(parents=True, exist_ok=True)
    stop = _Stop()
    with _signals(stop):
        try:
            with box_lock(paths.lock):
                paths.create(objects=not environ.get("FINANCY_S3__ENDPOINT"))
                with _box_logging(paths.log_of("box")):
                    print(f"Financy box in {paths.root}", file=stream, flush=True)
                    box = _Box(
                        paths,
                        port,
                        edge_port,
                        environ,
                        tuple(children) if children is not None else box_children(),
                        policy or RestartPolicy(),
                        ready_timeout_s,
                        stream,
                        stop,
                    )
                    return box.run()
        except BoxLockedError as exc:
            print(
                f"{exc}; stop it first (Ctrl-C in its terminal) or use another --data-dir.", file=sys.stderr
            )
            return EXIT_BUSY
