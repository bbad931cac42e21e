"""``financy edge run``: the edge node's HTTP server, outbox relay and reply consumer in one process.

HTTP (DESIGN §6, default port 8081): ``/healthz``, ``/readyz``, ``/metrics`` and the channel
adapters' routes (the dev chat at ``/devchat``, Telegram's webhook at ``/webhooks/telegram`` when
``FINANCY_TELEGRAM__TOKEN`` is set). Background tasks: the relay (edge outbox ->
``financy:captures``) and the reply consumer (``financy:edge:{id}:replies`` -> platforms).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
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
from financy.bots.common.render import render_offline
from financy.bots.whatsapp import GraphConfig as WhatsAppGraph
from financy.bots.whatsapp import adapter as whatsapp_adapter
from financy.core.contracts.v1 import ModelUse, ReplyKind, ReplyV1
from financy.edge.credentials import EXIT_REVOKED, CredentialsWatchdog
from financy.edge.heartbeat import DEFAULT_OUTBOX_CAPACITY, Heartbeat
from financy.edge.intake import Intake
from financy.edge.models import ControlConsumer, EdgeCategorizer
from financy.edge.outbox.bots import EdgeBotState
from financy.edge.outbox.capacity import OutboxCapacity
from financy.edge.outbox.relay import OutboxRelay
from financy.edge.outbox.store import EdgeOutbox
from financy.edge.pipeline.categorize import CategorizeTransactions
from financy.edge.pipeline.complete import CompleteMedia
from financy.edge.pipeline.steps import Pipeline, PipelineContext
from financy.edge.pipeline.understand import UnderstandText
from financy.edge.settings import EdgeSettings
from financy.edge.store import edge_object_store
from financy.edge.sync.confirms import ConfirmConsumer
from financy.edge.sync.replies import ReplyConsumer
from financy.edge.sync.updates import DeliveryLoop, UpdateDrain
from financy.edge.workers import MediaQueue, MediaSweeper, media_queue, sync_redis, workers_key
from financy.inference.text import warm_up
from financy.runtime.ids import uuid7
from financy.runtime.server import Shutdown, serve
from financy.runtime.streams import default_consumer_name

log = structlog.stdlib.get_logger(__name__)
#: Seconds a refused webhook or dev chat caller is told to wait while the outbox is full.
RETRY_AFTER_FULL_S = 60
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
        self.outbox_depth = Gauge(
            "financy_edge_outbox_depth",
            "Captures the core has not confirmed (unsent or sent-unconfirmed)",
            registry=self.registry,
        )
        self.outbox_full = Gauge(
            "financy_edge_outbox_full",
            "1 while the outbox is full and new messages are refused (503), else 0",
            registry=self.registry,
        )
        self.outbox_resent = Counter(
            "financy_edge_outbox_resent",
            "Captures sent again because the core did not confirm them in time",
            registry=self.registry,
        )
        self.core_connected = Gauge(
            "financy_edge_core_connected",
            "1 while the relay reaches the core's Redis, else 0",
            registry=self.registry,
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
    heartbeat: Heartbeat
    capacity: OutboxCapacity
    confirms: ConfirmConsumer
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    #: The adapters' own loops (Telegram long polling): cancelled at stop, not watched.
    background: list[asyncio.Task[None]] = field(default_factory=list)
    stopping: bool = False
    #: Name of a background task that ended on its own; the edge then reports not ready and exits 1.
    broken: str | None = None
    #: Watches this edge's core credentials (enrolled edges: origin key and core Redis URL set).
    watchdog: CredentialsWatchdog | None = None
    #: The core revoked this edge's credentials: the edge stops and exits with status 3.
    revoked: bool = False
    #: Stops the server (SIGTERM/SIGINT, revocation, a broken task); see :func:`run_edge`.
    shutdown: Shutdown = field(default_factory=Shutdown)


EdgeApp = Sanic[Config, EdgeContext]


def create_app(settings: EdgeSettings, *, redis_client: aioredis.Redis | None = None) -> EdgeApp:
    """Build the edge app for ``settings``; its background tasks start with the server."""
    client = redis_client or aioredis.Redis.from_url(
        settings.require_redis_url(), socket_timeout=10, socket_connect_timeout=3
    )
    outbox = EdgeOutbox(settings.edge_dir / "outbox.sqlite3")
    metrics = EdgeMetrics()
    capacity = OutboxCapacity(outbox, settings.edge.outbox_capacity)
    origin_key = settings.edge.origin_key.get_secret_value().strip() if settings.edge.origin_key else ""
    relay = OutboxRelay(
        outbox,
        client,
        batch=settings.edge.relay_batch,
        backoff_max_s=settings.edge.relay_backoff_max_s,
        edge_id=settings.edge.id,
        origin_key=origin_key or None,
        resend_after_s=settings.edge.resend_after_s,
        capacity=capacity,
        resent_counter=metrics.outbox_resent,
        retention_s=settings.edge.outbox_retention_s,
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
    # Models come from the shared store; originals go there too unless they must stay here.
    objects = settings.object_store()
    store = edge_object_store(settings, settings.media_store())  # writes only under captures/{edge_id}/
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
        held_at_edge=settings.edge.media_residency == "edge",
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
        store=objects,
        models_dir=settings.models_dir,
    )
    rq_queue = media_queue(queue_client, settings.edge.id)

    def loaded_models() -> list[ModelUse]:
        version = categorizer.version
        return [ModelUse(name="categories", version=version)] if version else []

    heartbeat = Heartbeat(
        client,
        edge_id=settings.edge.id,
        outbox=outbox,
        models=loaded_models,
        queue_depth=lambda: int(rq_queue.count),
        interval_s=settings.edge.heartbeat_interval_s,
        # Another setting of the outbox's own; read it when this build has it.
        outbox_capacity=int(getattr(settings.edge, "outbox_capacity", DEFAULT_OUTBOX_CAPACITY)),
    )
    confirms = ConfirmConsumer(
        client,
        edge_id=settings.edge.id,
        outbox=outbox,
        consumer=default_consumer_name(f"edge-{settings.edge.id}-confirms"),
        capacity=capacity,
    )
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
        heartbeat,
        capacity,
        confirms,
    )
    app: EdgeApp = Sanic(f"financy_edge_{next(_app_numbers)}", ctx=ctx)
    app.config.REQUEST_MAX_SIZE = 64 * 1024 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 75

    async def counted_intake(inbound: InboundMessage) -> IntakeResult:
        result = await intake(inbound)
        metrics.captures.labels(inbound.platform, "accepted" if result.accepted else "duplicate").inc()
        if result.accepted:
            capacity.note_put()
            if not relay.connected and inbound.chat_event is None:
                result = await offline_notice(inbound, result)
        return result

    async def offline_notice(inbound: InboundMessage, result: IntakeResult) -> IntakeResult:
        """Answer at once that the message is kept (the core is unreachable); its reply follows."""
        hint = (inbound.sender_language or "").lower()
        language = "en" if hint.startswith("en") or (not hint and settings.edge.language == "en") else "pt"
        rendered = render_offline(language)
        log.info("capture.offline_notice", idempotency_key=result.idempotency_key, platform=inbound.platform)
        if inbound.platform == "devchat":
            return dataclasses.replace(result, notice=rendered.text)
        sender = senders.get(inbound.platform)
        if sender is None:
            return result
        notice = ReplyV1(
            reply_id=uuid7(),
            capture_id=uuid7(),
            idempotency_key=result.idempotency_key,
            edge_id=settings.edge.id,
            platform=inbound.platform,
            chat_id=inbound.chat_id,
            in_reply_to=inbound.message_id,
            language=language,
            kind=ReplyKind.NOT_YET,
            problem="edge_offline",
            created_at=dt.datetime.now(dt.UTC),
        )
        try:
            await sender.send(notice, rendered)
        except Exception as exc:  # only a courtesy: the capture is kept and the core's reply follows
            log.warning("capture.offline_notice_not_sent", platform=inbound.platform, error=repr(exc)[:300])
        return dataclasses.replace(result, notice=rendered.text)

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
        senders.add(telegram_adapter(settings, counted_intake, bots, updates.wake, refusing=capacity.check))
    # --- end Telegram
    for blueprint in senders.blueprints:
        app.blueprint(blueprint)

    def revoked() -> None:
        ctx.revoked = True
        ctx.shutdown.request("revoked")

    if settings.edge.origin_key is not None and settings.redis_url:
        ctx.watchdog = CredentialsWatchdog(settings.redis_url, edge_id=settings.edge.id, on_revoked=revoked)

    def task_ended(task: asyncio.Task[None]) -> None:
        if ctx.stopping or ctx.revoked:
            return
        error = None if task.cancelled() else task.exception()
        ctx.broken = task.get_name()
        log.critical("edge.task_ended", task=task.get_name(), error=repr(error) if error else None)
        ctx.shutdown.request("broken")  # the supervisor starts a fresh edge; captures wait in the outbox

    @app.before_server_start
    async def start_tasks(app: EdgeApp) -> None:
        # Load the language detector and spaCy pipelines now, not on the first user's message.
        await asyncio.to_thread(warm_up)
        app.ctx.tasks = [
            asyncio.create_task(app.ctx.relay.run(), name="relay"),
            asyncio.create_task(app.ctx.replies.run(), name="replies"),
            asyncio.create_task(app.ctx.confirms.run(), name="confirms"),
            asyncio.create_task(app.ctx.control.run(), name="control"),
            asyncio.create_task(app.ctx.sweeper.run(), name="media_sweeper"),
            asyncio.create_task(app.ctx.updates.run(), name="updates"),
            asyncio.create_task(app.ctx.deliveries.run(), name="deliveries"),
            asyncio.create_task(app.ctx.heartbeat.run(), name="heartbeat"),
        ]
        if app.ctx.watchdog is not None:
            app.ctx.tasks.append(asyncio.create_task(app.ctx.watchdog.run(), name="credentials"))
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
        app.ctx.confirms.stop()
        app.ctx.control.stop()
        app.ctx.sweeper.stop()
        app.ctx.updates.stop()
        app.ctx.deliveries.stop()
        app.ctx.heartbeat.stop()
        if app.ctx.watchdog is not None:
            app.ctx.watchdog.stop()
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

    async def refuse_when_full(request: Request) -> HTTPResponse | None:
        # Backpressure: while the outbox is full no new message is taken in. A platform delivers a
        # refused webhook again later (Retry-After), so nothing is lost; reads are still served.
        if request.method != "POST" or not (
            request.path.startswith("/webhooks/") or request.path == "/devchat/messages"
        ):
            return None
        if not capacity.check():
            return None
        platform = "devchat" if request.path.startswith("/devchat/") else request.path.split("/")[2]
        metrics.captures.labels(platform, "refused_full").inc()
        response = json_response(
            {
                "error": {
                    "code": "outbox_full",
                    "message": f"the edge's outbox is full ({capacity.depth} captures the core has not "
                    "confirmed): nothing was kept, send it again later",
                }
            },
            status=503,
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_FULL_S)
        return response

    app.register_middleware(start_timer, "request")
    app.register_middleware(refuse_when_full, "request")
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
        metrics.outbox_depth.set(outbox.depth())
        metrics.outbox_full.set(1 if capacity.check() else 0)
        metrics.core_connected.set(1 if relay.connected else 0)
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
    *,
    refusing: Callable[[], bool] | None = None,
) -> ChannelAdapter:
    """Return the Telegram adapter for ``settings.telegram`` (its token must be set); polling pauses
    while ``refusing()`` is true."""
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
    return telegram.adapter(config, intake, bots, on_update=wake, refusing=refusing)


def run_edge(settings: EdgeSettings, shutdown: Shutdown | None = None) -> int:
    """Serve the edge on ``settings.edge.host:port`` in this process until SIGTERM/SIGINT.

    ``shutdown`` carries a stop already asked for while the process started (e.g. its own queue
    starting, see :func:`financy.runtime.server.signals_requesting`); the edge then stops right
    after its start-up. Returns 0 after a clean stop, 1 when a background task ended on its own,
    3 (:data:`~financy.edge.credentials.EXIT_REVOKED`) when the core revoked this edge's credentials.

    Raises:
        OSError: the port cannot be bound.
    """
    app = create_app(settings)
    if shutdown is not None:
        app.ctx.shutdown = shutdown
    serve(app, host=settings.edge.host, port=settings.edge.port, shutdown=app.ctx.shutdown)
    if app.ctx.revoked:
        return EXIT_REVOKED
    return 1 if app.ctx.broken else 0
