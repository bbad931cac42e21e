"""``financy edge run``: the edge node's HTTP server, outbox relay and reply consumer in one process.

HTTP (DESIGN §6, default port 8081): ``/healthz``, ``/readyz``, ``/metrics`` and the channel
adapters' routes (the dev chat at ``/devchat``, Telegram's webhook at ``/webhooks/telegram`` when
``FINANCY_TELEGRAM__TOKEN`` is set). Background tasks: the relay (edge outbox ->
``financy:captures``) and the reply consumer (``financy:edge:{id}:replies`` -> platforms).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
import redis.exceptions
import structlog
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sanic import HTTPResponse, Request, Sanic
from sanic.config import Config
from sanic.exceptions import SanicException
from sanic.response import BaseHTTPResponse, raw
from sanic.response import json as json_response

from financy.bots import devchat, telegram
from financy.bots.common.message import InboundMessage, IntakeResult
from financy.bots.common.registry import ChannelAdapter, ReplySenders
from financy.bots.whatsapp import GraphConfig as WhatsAppGraph
from financy.bots.whatsapp import adapter as whatsapp_adapter
from financy.edge.intake import Intake
from financy.edge.models import ControlConsumer, EdgeCategorizer
from financy.edge.outbox.bots import EdgeBotState
from financy.edge.outbox.relay import OutboxRelay
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.categorize import CategorizeTransactions
from financy.edge.pipeline.complete import CompleteMedia
from financy.edge.pipeline.steps import Pipeline, PipelineContext
from financy.edge.pipeline.understand import UnderstandText
from financy.edge.settings import EdgeSettings
from financy.edge.sync.replies import ReplyConsumer
from financy.edge.sync.updates import DeliveryLoop, UpdateDrain
from financy.edge.workers import MediaQueue, MediaSweeper, sync_redis, workers_key
from financy.inference.text import warm_up
from financy.runtime.objects import object_store_from_settings
from financy.runtime.streams import default_consumer_name

log = structlog.stdlib.get_logger(__name__)
_app_numbers = itertools.count(1)


@dataclass
class EdgeMetrics:
    """Prometheus metrics of one edge app (own registry, so several apps can share a process)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Histogram(
            "financy_edge_http_request_duration_seconds",
            "HTTP request latency",
            ["route", "status"],
            registry=self.registry,
        )
        self.captures = Counter(
            "financy_edge_captures_total",
            "Inbound messages accepted",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "financy_edge_outbox_pending", "Captures waiting for the core", registry=self.registry
        )
        self.media_open = Gauge(
            "financy_edge_media_jobs_open",
            "Voice notes and photos waiting for (or being read by) a worker",
            registry=self.registry,
        )
        self.bot_updates = Gauge(
            "financy_edge_bot_updates",
            "Platform updates kept by the edge, by state (pending: not yet processed; failed: given up, kept)",
            ["state"],
            registry=self.registry,
        )
        self.bot_replies = Gauge(
            "financy_edge_bot_replies_waiting",
            "Replies the platform refused for now, by state (pending: to be resent; held: outside "
            "WhatsApp's 24-hour window; failed: refused for good)",
            ["state"],
            registry=self.registry,
        )
        self.worker_rss = Gauge(
            "financy_edge_worker_resident_bytes",
            "Resident memory of each edge worker process (bytes), as the worker last reported it",
            ["worker"],
            registry=self.registry,
        )
        self.model_resident = Gauge(
            "financy_edge_model_resident_bytes",
            "Resident memory a loaded model added to its worker (bytes; 0 once unloaded)",
            ["worker", "model", "version"],
            registry=self.registry,
        )


@dataclass
class EdgeContext:
    """Everything the edge's handlers and tasks share (built in :func:`create_app`)."""

    settings: EdgeSettings
    redis: aioredis.Redis
    outbox: EdgeOutbox
    relay: OutboxRelay
    senders: ReplySenders
    intake: Intake
    replies: ReplyConsumer
    control: ControlConsumer
    metrics: EdgeMetrics
    sweeper: MediaSweeper
    bots: EdgeBotState
    updates: UpdateDrain
    deliveries: DeliveryLoop
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    #: The adapters' own loops (Telegram long polling): cancelled at stop, not watched.
    background: list[asyncio.Task[None]] = field(default_factory=list)
    stopping: bool = False
    #: Name of a background task that ended on its own; the edge then reports not ready and exits 1.
    broken: str | None = None


EdgeApp = Sanic[Config, EdgeContext]


def create_app(settings: EdgeSettings, *, redis_client: aioredis.Redis | None = None) -> EdgeApp:
    """Build the edge app for ``settings``; its background tasks start with the server."""
    client = redis_client or aioredis.Redis.from_url(
        settings.require_redis_url(), socket_timeout=10, socket_connect_timeout=3
    )
    outbox = EdgeOutbox(settings.edge_dir / "outbox.sqlite3")
    relay = OutboxRelay(
        outbox, client, batch=settings.edge.relay_batch, backoff_max_s=settings.edge.relay_backoff_max_s
    )
    categorizer = EdgeCategorizer(settings.models_dir)
    pipeline = Pipeline(
        [
            UnderstandText(),
            CategorizeTransactions(categorizer.ranked),
            CompleteMedia(outbox, categorizer.ranked),
        ],
        PipelineContext(
            time_zone=settings.edge.time_zone,
            language=settings.edge.language,
            currency=settings.edge.currency,
        ),
    )
    store = object_store_from_settings(settings.s3, settings.objects_dir)
    queue_client = sync_redis(settings.queue_url())
    queue = MediaQueue(queue_client, settings.edge.id, job_timeout_s=settings.edge.job_timeout_s)
    intake = Intake(
        settings.edge.id,
        pipeline,
        outbox,
        relay.wake,
        store=store,
        queue=queue,
        max_media_bytes=settings.edge.max_media_bytes,
    )
    sweeper = MediaSweeper(outbox, store, queue, job_timeout_s=settings.edge.job_timeout_s)
    senders = ReplySenders()
    bots = EdgeBotState(settings.edge_dir / "bots.sqlite3")
    replies = ReplyConsumer(
        client,
        edge_id=settings.edge.id,
        outbox=outbox,
        senders=senders,
        consumer=default_consumer_name(f"edge-{settings.edge.id}"),
        bots=bots,
    )
    updates = UpdateDrain(bots, senders)
    deliveries = DeliveryLoop(bots, senders)
    control = ControlConsumer(
        client,
        edge_id=settings.edge.id,
        categorizer=categorizer,
        consumer=default_consumer_name(f"edge-{settings.edge.id}-control"),
    )
    metrics = EdgeMetrics()
    ctx = EdgeContext(
        settings,
        client,
        outbox,
        relay,
        senders,
        intake,
        replies,
        control,
        metrics,
        sweeper,
        bots,
        updates,
        deliveries,
    )
    app: EdgeApp = Sanic(f"financy_edge_{next(_app_numbers)}", ctx=ctx)
    app.config.REQUEST_MAX_SIZE = 64 * 1024 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 75

    async def counted_intake(inbound: InboundMessage) -> IntakeResult:
        result = await intake(inbound)
        metrics.captures.labels(inbound.platform, "accepted" if result.accepted else "duplicate").inc()
        return result

    # Each channel adapter this edge runs: one registration per platform. An adapter's webhook
    # stores the raw update in ``bots`` and answers; ``updates`` hands it to ``adapter.process``.
    if settings.edge.devchat_enabled:
        token = settings.edge.devchat_token
        senders.add(devchat.adapter(counted_intake, token=token.get_secret_value() if token else None))
    # WhatsApp Cloud API: runs when FINANCY_WHATSAPP__TOKEN is set.
    wa = settings.whatsapp
    if wa.token is not None and wa.token.get_secret_value().strip():
        if not wa.phone_number_id:
            raise RuntimeError("FINANCY_WHATSAPP__PHONE_NUMBER_ID is required with FINANCY_WHATSAPP__TOKEN")
        senders.add(
            whatsapp_adapter(
                counted_intake,
                bots,
                WhatsAppGraph(
                    token=wa.token.get_secret_value().strip(),
                    phone_number_id=wa.phone_number_id,
                    api_base_url=wa.api_base_url,
                ),
                app_secret=wa.app_secret.get_secret_value() if wa.app_secret else None,
                verify_token=wa.verify_token.get_secret_value() if wa.verify_token else None,
                queue=bots,
                wake=updates.wake,
                max_media_bytes=settings.edge.max_media_bytes,
            )
        )
    # --- Telegram (FINANCY_TELEGRAM__*): runs when a bot token is set.
    if settings.telegram.token is not None and settings.telegram.token.get_secret_value().strip():
        senders.add(telegram_adapter(settings, counted_intake, bots, updates.wake))
    # --- end Telegram
    for blueprint in senders.blueprints:
        app.blueprint(blueprint)

    def task_ended(task: asyncio.Task[None]) -> None:
        if ctx.stopping:
            return
        error = None if task.cancelled() else task.exception()
        ctx.broken = task.get_name()
        log.critical("edge.task_ended", task=task.get_name(), error=repr(error) if error else None)
        app.stop()  # the supervisor starts a fresh edge; meanwhile captures wait in the outbox

    @app.before_server_start
    async def start_tasks(app: EdgeApp) -> None:
        # Load the language detector and spaCy pipelines now, not on the first user's message.
        await asyncio.to_thread(warm_up)
        app.ctx.tasks = [
            asyncio.create_task(app.ctx.relay.run(), name="relay"),
            asyncio.create_task(app.ctx.replies.run(), name="replies"),
            asyncio.create_task(app.ctx.control.run(), name="control"),
            asyncio.create_task(app.ctx.sweeper.run(), name="media_sweeper"),
            asyncio.create_task(app.ctx.updates.run(), name="updates"),
            asyncio.create_task(app.ctx.deliveries.run(), name="deliveries"),
        ]
        for task in app.ctx.tasks:
            task.add_done_callback(task_ended)
        for adapter in senders.adapters:
            if adapter.start is not None:
                await adapter.start()
            for loop in adapter.background:
                app.ctx.background.append(asyncio.create_task(loop(), name=f"{adapter.platform}_background"))
        log.info("edge.started", edge_id=settings.edge.id, outbox=str(outbox.path))

    @app.before_server_stop
    async def stop_tasks(app: EdgeApp) -> None:
        app.ctx.stopping = True
        app.ctx.relay.stop()
        app.ctx.replies.stop()
        app.ctx.control.stop()
        app.ctx.sweeper.stop()
        app.ctx.updates.stop()
        app.ctx.deliveries.stop()
        for task in app.ctx.background:
            task.cancel()
        for adapter in senders.adapters:
            if adapter.stop is not None:
                try:
                    await asyncio.wait_for(adapter.stop(), timeout=5)
                except Exception:
                    log.exception("edge.adapter_stop_failed", platform=adapter.platform)
        if app.ctx.tasks:
            _done, pending = await asyncio.wait(app.ctx.tasks, timeout=10)
            for task in pending:
                task.cancel()
        await app.ctx.redis.aclose()
        queue_client.close()
        app.ctx.outbox.close()
        app.ctx.bots.close()
        log.info("edge.stopped", edge_id=settings.edge.id)

    async def start_timer(request: Request) -> None:
        request.ctx.started = time.perf_counter()

    async def observe(request: Request, response: BaseHTTPResponse) -> None:
        route = request.route.path if request.route else "unmatched"
        started = getattr(request.ctx, "started", None)
        if started is not None:
            metrics.requests.labels(route, str(response.status)).observe(time.perf_counter() - started)

    app.register_middleware(start_timer, "request")
    app.register_middleware(observe, "response")

    @app.exception(SanicException)
    async def json_error(request: Request, exc: SanicException) -> HTTPResponse:
        code = type(exc).__name__.removesuffix("Error").lower() or "error"
        return json_response({"error": {"code": code, "message": str(exc)}}, status=exc.status_code)

    @app.get("/healthz")
    async def healthz(request: Request) -> HTTPResponse:
        return json_response({"status": "ok"})

    @app.get("/readyz")
    async def readyz(request: Request) -> HTTPResponse:
        # The edge is ready while it can keep captures: the core's Redis being away only delays them.
        if ctx.broken:
            return json_response({"outbox": "ok", "broken_task": ctx.broken}, status=503)
        try:
            pending = outbox.count_pending()
        except Exception as exc:  # the outbox file is the one thing the edge cannot work without
            return json_response({"outbox": f"error: {type(exc).__name__}"}, status=503)
        try:
            await asyncio.wait_for(client.ping(), timeout=2)
            core = "ok"
        except (TimeoutError, redis.exceptions.RedisError, OSError):
            core = "unreachable"
        return json_response({"outbox": "ok", "pending": pending, "core_redis": core})

    @app.get("/metrics")
    async def metrics_endpoint(request: Request) -> HTTPResponse:
        metrics.outbox_pending.set(outbox.count_pending())
        metrics.media_open.set(outbox.count_open_media())
        for state in ("pending", "failed"):
            metrics.bot_updates.labels(state).set(bots.count_updates(state))
        for state in ("pending", "held", "failed"):
            metrics.bot_replies.labels(state).set(bots.count_deliveries(state))
        try:
            statuses = await asyncio.wait_for(
                asyncio.to_thread(queue_client.hgetall, workers_key(settings.edge.id)), timeout=2
            )
        except (TimeoutError, redis.exceptions.RedisError, OSError):
            statuses = {}
        metrics.worker_rss.clear()
        metrics.model_resident.clear()
        for raw_status in statuses.values():
            try:
                status = json.loads(raw_status)
                worker = str(status["name"])
                metrics.worker_rss.labels(worker).set(float(status["rss_bytes"]))
                for model in status.get("models", ()):
                    metrics.model_resident.labels(worker, str(model["name"]), str(model["version"])).set(
                        float(model["resident_bytes"]) if model.get("loaded") else 0.0
                    )
            except (ValueError, KeyError, TypeError):  # noqa: S112 - a status from another version is skipped
                continue
        return raw(generate_latest(metrics.registry), content_type=CONTENT_TYPE_LATEST)

    return app


def telegram_adapter(
    settings: EdgeSettings,
    intake: Callable[[InboundMessage], Awaitable[IntakeResult]],
    bots: EdgeBotState,
    wake: Callable[[], None],
) -> ChannelAdapter:
    """Return the Telegram adapter for ``settings.telegram`` (its token must be set)."""
    tg = settings.telegram
    assert tg.token is not None
    secret = tg.webhook_secret.get_secret_value().strip() if tg.webhook_secret else ""
    if tg.mode == "webhook" and not secret:
        log.error(
            "telegram.webhook_disabled",
            reason="FINANCY_TELEGRAM__WEBHOOK_SECRET is not set: /webhooks/telegram refuses every request",
        )
    elif secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        log.error(
            "telegram.webhook_secret_invalid",
            reason="Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - only: setWebhook will fail",
        )
    config = telegram.TelegramConfig(
        token=tg.token.get_secret_value().strip(),
        api_base_url=tg.api_base_url,
        file_base_url=tg.resolved_file_base_url(),
        webhook_secret=secret or None,
        mode=tg.mode,
        webhook_url=tg.webhook_url or None,
        bot_username=tg.bot_username or None,
        max_media_bytes=settings.edge.max_media_bytes,
        poll_timeout_s=tg.poll_timeout_s,
        default_language=settings.edge.language,
    )
    return telegram.adapter(config, intake, bots, on_update=wake)


def run_edge(settings: EdgeSettings) -> int:
    """Serve the edge on ``settings.edge.host:port`` in this process until SIGTERM/SIGINT."""
    app = create_app(settings)
    app.run(
        host=settings.edge.host,
        port=settings.edge.port,
        single_process=True,
        access_log=False,
        motd=False,
    )
    return 1 if app.ctx.broken else 0
