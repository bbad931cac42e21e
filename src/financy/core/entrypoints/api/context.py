"""What every request of the core API can reach: the typed app, its context and its request."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from types import SimpleNamespace

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from redis import Redis
from sanic import Request, Sanic
from sanic.config import Config
from sqlalchemy import Engine

from financy.core.adapters.login_limits import LoginLimiter
from financy.core.contracts.categories import CATEGORY_DISPLAY
from financy.core.service.bootstrap import bootstrap
from financy.core.service.messagebus import MessageBus
from financy.core.settings import CoreSettings
from financy.runtime.objects import ObjectStore


def static_file(name: str) -> str:
    """Return the text of ``static/<name>`` (package data of ``financy.core.entrypoints``)."""
    return files("financy.core.entrypoints").joinpath("static", name).read_text(encoding="utf-8")


def static_path(name: str) -> str:
    """Return the file system path of ``static/<name>`` (sanic-ext opens the Swagger page by path)."""
    return str(files("financy.core.entrypoints").joinpath("static", name))


#: Where ``static/index.html`` takes the category names (``[slug, pt name, en name]`` rows).
CATEGORIES_PLACEHOLDER = "[/* category names */]"


def dashboard_page() -> str:
    """Return ``static/index.html`` with the taxonomy's display names written in (JSON, in the
    taxonomy's order), from the file the replies name categories from.

    Raises:
        ValueError: the page has no ``CATEGORIES_PLACEHOLDER`` (it was edited without it).
    """
    page = static_file("index.html")
    if CATEGORIES_PLACEHOLDER not in page:
        raise ValueError(f"static/index.html has no {CATEGORIES_PLACEHOLDER}")
    rows = [[c.slug, c.names["pt"], c.names["en"]] for c in CATEGORY_DISPLAY]
    names = json.dumps(rows, ensure_ascii=False).replace("<", "\\u003c")  # never a "</script>"
    return page.replace(CATEGORIES_PLACEHOLDER, names, 1)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The dashboard page and the Content-Security-Policy that allows exactly its inline code."""

    body: bytes
    csp: str

    @classmethod
    def load(cls) -> Dashboard:
        """Read ``static/index.html``, write the category names in, and hash its inline
        ``<script>``/``<style>`` blocks for the CSP."""
        page = dashboard_page()

        def hashes(tag: str) -> str:
            blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)
            return " ".join(
                "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
                for b in blocks
            )

        csp = (
            f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'"
        )
        return cls(body=page.encode("utf-8"), csp=csp)


@dataclass
class Metrics:
    """Prometheus metrics of one app, on a registry of its own (several apps share a test process)."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    #: Login attempts by outcome: success, invalid_credentials, totp_required, invalid_code, locked.
    logins: Counter
    #: Lockouts started, by scope: user_ip (one username from one IP) or ip (one IP).
    lockouts: Counter
    #: Entries in each dead-letter stream (``XLEN``), read at each scrape of ``/metrics``.
    dead_letters: Gauge

    @classmethod
    def create(cls) -> Metrics:
        """Return a fresh registry with request counter, latency histogram and process metrics."""
        registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=registry)
        return cls(
            registry=registry,
            requests=Counter(
                "financy_http_requests",
                "HTTP requests served, by method, route template and status code.",
                ("method", "route", "status"),
                registry=registry,
            ),
            latency=Histogram(
                "financy_http_request_duration_seconds",
                "Time from routing to response, by method and route template.",
                ("method", "route"),
                registry=registry,
            ),
            logins=Counter(
                "financy_login_attempts",
                "Login attempts, by outcome (success, invalid_credentials, totp_required, invalid_code, locked).",
                ("outcome",),
                registry=registry,
            ),
            lockouts=Counter(
                "financy_login_lockouts",
                "Login lockouts started, by scope (user_ip: a username from one IP; ip: one IP).",
                ("scope",),
                registry=registry,
            ),
            dead_letters=Gauge(
                "financy_dead_letters",
                "Entries waiting in a dead-letter stream (financy core dlq list), by stream.",
                ("stream",),
                registry=registry,
            ),
        )


#: A network of ``settings.trusted_proxies``.
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


# Not slots and not frozen: sanic-ext stores its own attributes on the app context.
@dataclass
class ApiContext:
    """What every request handler of the API needs (``request.app.ctx``).

    ``owns_resources`` is true when ``create_app`` built ``engine`` and ``redis`` itself
    and must close them when the server stops.
    """

    settings: CoreSettings
    engine: Engine
    redis: Redis
    jwt_key: str
    metrics: Metrics = field(default_factory=Metrics.create)
    dashboard: Dashboard = field(default_factory=Dashboard.load)
    owns_resources: bool = False
    #: Where the originals of voice notes and photos are (a directory on a single box, or S3).
    objects: ObjectStore | None = None
    #: The time (aware, UTC) for sign-in, two-factor codes, tokens and lockouts; tests move it.
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    #: The core's message bus on ``engine`` (commands such as logging in go through it).
    bus: MessageBus = field(init=False)
    #: Login failures and lockouts, in ``redis``.
    limiter: LoginLimiter = field(init=False)
    #: ``settings.trusted_proxies`` parsed: peers whose ``X-Forwarded-For`` is believed.
    trusted_proxies: tuple[IPNetwork, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.bus = bootstrap(engine=self.engine)
        self.limiter = LoginLimiter(self.redis, self.settings.login)
        self.trusted_proxies = tuple(
            ipaddress.ip_network(p, strict=False) for p in self.settings.trusted_proxies
        )

    def close(self) -> None:
        """Close the Redis client and the engine's pool (both reconnect if used again)."""
        self.redis.close()
        self.engine.dispose()


ApiApp = Sanic[Config, ApiContext]
ApiRequest = Request[ApiApp, SimpleNamespace]
