"""Edge sub-commands: ``financy edge run`` and ``financy parse``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from zoneinfo import ZoneInfo

from babel.numbers import list_currencies

from financy.edge.pipeline.understand import understand_text
from financy.edge.settings import EdgeSettings
from financy.runtime.logging import configure_logging


def run(process: str) -> int:
    """Run the edge process named ``process`` ("run")."""
    settings = EdgeSettings()
    configure_logging(f"edge-{process}", level=settings.log_level, json=settings.log_json)
    from financy.edge.app import run_edge

    return run_edge(settings)


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
