"""Edge sub-commands: ``financy edge run|worker``, ``financy parse`` and ``financy categorize``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.numbers import list_currencies

from financy.edge.models import EdgeCategorizer
from financy.edge.pipeline.understand import MODEL_AT_LEAST, fill_categories, understand_text
from financy.edge.settings import EdgeSettings
from financy.inference.text import read_message
from financy.runtime.logging import configure_logging


def run(process: str, *, burst: bool = False) -> int:
    """Run the edge process named ``process``: "run" (HTTP, relay, replies) or "worker" (media jobs)."""
    settings = EdgeSettings()
    configure_logging(f"edge-{process}", level=settings.log_level, json=settings.log_json)
    if process == "worker":
        from financy.edge.workers import run_worker

        return run_worker(settings, burst=burst)
    from financy.edge.app import run_edge

    return run_edge(settings)


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
