"""Edge sub-commands: ``financy edge run|worker|status``, ``financy parse`` and ``financy categorize``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from babel.numbers import list_currencies

from financy.edge.models import EdgeCategorizer
from financy.edge.pipeline.understand import MODEL_AT_LEAST, fill_categories, understand_text
from financy.edge.settings import EdgeSettings
from financy.inference.text import read_message
from financy.runtime.logging import configure_logging

log = structlog.stdlib.get_logger(__name__)


def load_edge_env(data_dir: Path, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Apply ``data_dir/edge.env`` to ``environ`` (default ``os.environ``); return warnings to log.

    Real environment variables win over the file's values. ``FINANCY_EDGE__DATA_DIR`` and
    ``FINANCY_DATA_DIR`` default to ``data_dir`` (so the outbox, objects and models live there).
    A missing file is fine (an edge beside a single box has none).

    Raises:
        EnvFileError: the file is not in the ``edge.env`` format.
        OSError: the file exists but cannot be read.
    """
    from financy.edge.envfile import ENV_FILE_NAME, apply_env, read_env_file

    env = os.environ if environ is None else environ
    directory = data_dir.expanduser().resolve()
    warnings: list[str] = []
    path = directory / ENV_FILE_NAME
    try:
        values, warnings = read_env_file(path)
    except FileNotFoundError:
        values = {}
    apply_env(values, env)
    env.setdefault("FINANCY_EDGE__DATA_DIR", str(directory))
    env.setdefault("FINANCY_DATA_DIR", str(directory))
    return warnings


def run(process: str, *, burst: bool = False, data_dir: str | None = None) -> int:
    """Run the edge process named ``process``: "run" (HTTP, relay, replies), "worker" (media jobs)
    or "status"; with ``data_dir``, its ``edge.env`` first (see :func:`load_edge_env`).

    Returns the process's exit status: 2 for a broken ``edge.env``, 3 when the core revoked this
    edge's credentials (``run``).
    """
    from financy.edge.envfile import EnvFileError

    warnings: list[str] = []
    if data_dir is not None:
        try:
            warnings = load_edge_env(Path(data_dir))
        except (EnvFileError, OSError) as exc:
            print(f"financy edge {process}: {exc}", file=sys.stderr)
            return 2
    settings = EdgeSettings()
    if process == "status":
        from financy.edge.status import run_status

        configure_logging("cli", level="WARNING", json=False)
        return run_status(settings)
    configure_logging(f"edge-{process}", level=settings.log_level, json=settings.log_json)
    for warning in warnings:
        log.warning("edge.env_file_unsafe", problem=warning)
    own_queue = settings.enrolled and not settings.edge.queue_redis_url
    if process == "worker":
        from financy.edge.workers import run_worker

        if own_queue:  # the queue `financy edge run` started for this enrolled edge
            from financy.edge.ownqueue import own_queue_redis

            settings.edge.queue_redis_url = own_queue_redis(settings.edge_dir).url
        return run_worker(settings, burst=burst)
    from financy.edge.app import run_edge

    if not own_queue:
        return run_edge(settings)
    from financy.edge.ownqueue import OwnQueue
    from financy.runtime.server import Shutdown, signals_requesting
    from financy.runtime.services import ServiceError

    queue = OwnQueue(settings.edge_dir, settings.edge.workers, dict(os.environ))
    # From here to the end a SIGTERM is a request to stop: its queue and workers stop with it.
    with signals_requesting(Shutdown()) as shutdown:
        try:
            try:
                settings.edge.queue_redis_url = queue.start()
            except ServiceError as exc:
                log.error("edge.own_queue_failed", error=str(exc))
                return 1
            return run_edge(settings, shutdown)
        finally:
            queue.stop()


def _categorizer(args: argparse.Namespace) -> EdgeCategorizer | None:
    """Return the category model the box trained (``--models-dir`` or the data dir's), if there is one."""
    configure_logging("cli", level="WARNING", json=False)  # stdout is for the answer only
    directory = Path(args.models_dir) if getattr(args, "models_dir", None) else EdgeSettings().models_dir
    if not (directory / "current.json").exists():
        return None
    categorizer = EdgeCategorizer(directory)
    return categorizer if categorizer.categorize("mercado") is not None else None


def categorize(args: argparse.Namespace) -> int:
    """Print the category Financy gives ``args.text``: the model's top 3, the keyword list's, the decision."""
    today = dt.datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    categorizer = _categorizer(args)
    reading = read_message(args.text, today=today, language_hint=args.lang)
    lexicon = next((item.category for item in reading.items if item.category), None)
    top: list[tuple[str, float]] = []
    if categorizer is not None and categorizer.model is not None:
        top = [(slug, round(p, 4)) for slug, p in categorizer.model.predict(args.text)]
    decided = lexicon
    if categorizer is not None:
        understanding = fill_categories(
            understand_text(args.text, today=today, language_hint=args.lang, currency="BRL"),
            args.text,
            categorizer.categorize,
        )
        decided = next((t.category for t in understanding.transactions if t.category), None)
        if not understanding.transactions and top and top[0][1] >= MODEL_AT_LEAST:
            decided = top[0][0]
    out = {
        "text": args.text,
        "category": decided,
        "model": [{"category": slug, "probability": p} for slug, p in top],
        "model_version": categorizer.version if categorizer else None,
        "keywords": lexicon,
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(decided or "(no category)")
        for slug, p in top:
            print(f"  model {slug:16} {p:.2f}")
        print(f"  keywords {lexicon or '-'}")
    if categorizer is None:
        print(
            "(no category model yet: `financy up` trains one, or run `financy core train`)", file=sys.stderr
        )
    return 0


def parse(args: argparse.Namespace) -> int:
    """Print what Financy understands of ``args.text`` (DESIGN §5 ``parse --json`` shape)."""
    try:
        zone = ZoneInfo(args.tz)
    except (KeyError, ValueError):
        print(f"financy parse: unknown time zone {args.tz!r}", file=sys.stderr)
        return 2
    try:
        today = dt.date.fromisoformat(args.today) if args.today else dt.datetime.now(zone).date()
    except ValueError:
        print(f"financy parse: --today must be YYYY-MM-DD, not {args.today!r}", file=sys.stderr)
        return 2
    currency = args.currency.strip().upper()
    if currency not in list_currencies():
        print(
            f"financy parse: --currency must be an ISO 4217 code such as BRL, not {args.currency!r}",
            file=sys.stderr,
        )
        return 2
    if not dt.date(1900, 1, 1) <= today <= dt.date(9000, 12, 31):
        print(
            f"financy parse: --today must be between 1900-01-01 and 9000-12-31, not {today}", file=sys.stderr
        )
        return 2
    understanding = understand_text(args.text, today=today, language_hint=args.lang, currency=currency)
    categorizer = _categorizer(args)
    if categorizer is not None:
        understanding = fill_categories(understanding, args.text, categorizer.categorize)
    transactions: list[dict[str, str | int | None]] = []
    for t in understanding.transactions:
        occurred_on = t.occurred_on or today - dt.timedelta(days=t.days_ago or 0)
        transactions.append(
            {
                "kind": t.kind.value,
                "amount": str(t.amount),
                "currency": t.currency or currency,
                "occurred_on": occurred_on.isoformat(),
                "merchant": t.merchant,
                "category": t.category,
                "payment_method": t.payment_method,
                "installments": t.installments,
            }
        )
    out = {
        "language": understanding.language,
        "intent": understanding.intent.value,
        "transactions": transactions,
        "confidence": round(understanding.confidence, 3),
    }
    if understanding.problem:
        out["problem"] = understanding.problem
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for row in transactions:
            merchant, category = row["merchant"] or "", row["category"] or "-"
            line = f"{row['kind']!s:8} {row['amount']!s:>12} {row['currency']}  {row['occurred_on']}"
            print(f"{line}  {merchant}  [{category}]")
        if not transactions:
            print(
                f"(nothing to record: {understanding.intent.value}, {understanding.problem or 'no amount'})"
            )
    return 0
