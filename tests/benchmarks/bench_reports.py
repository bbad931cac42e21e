"""``python -m tests.benchmarks.bench_reports [--rows N] [--samples N]``: reports and lists at 1M transactions.

Seeds ``--rows`` (1,000,000) transactions over 5 years in 20 ledgers with ``COPY`` into a fresh
database on the machine's PostgreSQL (``FINANCY_BENCH_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``; the database is dropped afterwards), migrated
first, with the rollup trigger off during the COPY and the rollups then rebuilt in bulk
(``financy.core.adapters.rollups.rebuild``, the same SQL as the migration's backfill). Each ledger
has an owner and a partner; 3% of the entries are in US$ (half of those without a rate), 2% are
reversed.

Then, side by side, p50/p95 over ``--samples`` calls (warm, one at a time, rotating the 20 ledgers):

* the report routes through the real API (a ``financy core api`` process, one keep-alive HTTP
  connection, a bearer token of the ledger's owner): month by category (12 months and 5 years),
  daily (30 days), top merchants,
  income vs expense, per member;
* the transactions list page (``GET .../transactions?limit=50``): the first page, and a deep page
  (the cursor of the row 40,000 rows down, about four years back);
* one transaction's detail (``GET .../transactions/{id}``, the deep page's row) and month by
  category for one month (last month);
* the chat question "quanto gastei este mês?" through the service layer (the ingest consumer's
  command -> message bus -> handler -> unit of work; it records its capture, as in production);
* budget status (:func:`budget_status`): ``GET .../budgets?month=<last month>`` over 4 budgets a
  ledger (seeded by :func:`_seed_budgets`: groceries, the group "food", the whole ledger, and
  transport rolling over since 12 months before), and the chat question "quanto falta no
  orçamento do mercado?" through the service layer;

each beside the raw SQL over the same rows (psycopg, no app): the ``GROUP BY`` over
``transactions`` the report would cost without rollups, the same ``ORDER BY ... LIMIT 51`` page,
the row by id, the month's ``SUM``, the budgets' month and carry ``GROUP BY category``. The ratio
is app / raw. Target: every API call p95 < 100 ms.
Writes ``var/bench/reports.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from sqlalchemy import Engine, create_engine, insert, text

from financy.core.adapters import orm, rollups
from financy.core.adapters.repositories import SqlContexts
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    LedgerQuery,
    ReplyKind,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.domain.commands import CreateUser
from financy.core.domain.model import TAXONOMY
from financy.core.service import budgeting
from financy.core.service.bootstrap import bootstrap
from financy.core.service.handlers import command_for
from financy.core.settings import sqlalchemy_url
from financy.core.views.transactions import encode_cursor
from financy.runtime.ids import uuid7
from tests.benchmarks.servers import fresh_database, redis_server
from tests.support.processes import financy_env, free_port, running, wait_http

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "var" / "bench" / "reports.json"
MACHINE_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LEDGERS = 20
#: The ledgers' time zone (CreateUser's default).
LEDGER_ZONE = ZoneInfo("America/Sao_Paulo")
YEARS = 5
P95_TARGET_MS = 100.0
DEEP_ROWS = 40_000
_MERCHANTS = [f"Loja {i:03d}" for i in range(300)] + ["Mercado Bom", "Padaria Sol", "Posto 24h", "Farmácia"]


@dataclass(frozen=True)
class Ledger:
    context_id: uuid.UUID
    owner_id: uuid.UUID
    partner_id: uuid.UUID
    username: str
    password: str
    devchat_id: str


def _users(engine: Engine) -> list[Ledger]:
    """Make 20 owners (each with a personal ledger and a dev chat identity) and a partner in each."""
    bus = bootstrap(engine=engine)
    ledgers = []
    for i in range(LEDGERS):
        tag = f"{i:02d}{uuid.uuid4().hex[:6]}"
        owner = bus.handle(
            CreateUser(
                username=f"owner{tag}",
                password=f"pw-{tag}-secret",
                display_name=f"Owner {i}",
                link_platform="devchat",
                link_platform_user_id=f"dc{tag}",
            )
        )
        partner = bus.handle(
            CreateUser(username=f"partner{tag}", password=f"pw-{tag}-other", display_name=f"P {i}")
        )
        with engine.begin() as conn:
            context_id = SqlContexts(conn).personal_context_of(owner)
            assert context_id is not None
            conn.execute(insert(orm.members).values(context_id=context_id, user_id=partner, role="editor"))
        ledgers.append(Ledger(context_id, owner, partner, f"owner{tag}", f"pw-{tag}-secret", f"dc{tag}"))
    return ledgers


def _copy_rows(url: str, ledgers: list[Ledger], rows: int, today: dt.date) -> float:
    """COPY ``rows`` transactions spread over the 5 years up to ``today``; return the seconds taken."""
    rng = random.Random(12)
    first = today - dt.timedelta(days=365 * YEARS)
    span = (today - first).days + 1
    expense = [c.slug for c in TAXONOMY if c.kind == "expense"]
    income = [c.slug for c in TAXONOMY if c.kind == "income"]
    epoch = dt.date(1970, 1, 1)
    columns = (
        "id, context_id, kind, amount, currency, occurred_on, merchant, category, source_channel, author_id,"
        " paid_by, status, created_at, updated_at, base_amount, base_currency, fx_rate, fx_date, fx_source"
    )
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute(f"ALTER TABLE transactions DISABLE TRIGGER {rollups.TRIGGER}")
        with conn.cursor().copy(f"COPY transactions ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n in range(rows):
                ledger = ledgers[n % LEDGERS]
                day = first + dt.timedelta(days=rng.randrange(span))
                roll = rng.random()
                kind = "expense" if roll < 0.85 else "income" if roll < 0.95 else "transfer"
                category = rng.choice(
                    expense if kind == "expense" else income if kind == "income" else ["transfer"]
                )
                cents = rng.randint(500, 40000) if kind != "income" else rng.randint(100000, 900000)
                amount = f"{cents // 100}.{cents % 100:02d}"
                foreign = rng.random() < 0.03
                who = ledger.owner_id if rng.random() < 0.6 else ledger.partner_id
                payer = "\\N" if rng.random() < 0.05 else str(who if rng.random() < 0.8 else ledger.owner_id)
                status = "reversed" if rng.random() < 0.02 else "recorded"
                ms = ((day - epoch).days * 86400 + rng.randrange(86400)) * 1000
                stamp = f"{day.isoformat()} 12:00:00+00"
                if not foreign:
                    fx = f"{amount}\tBRL\t1\t{day.isoformat()}\tidentity"
                    currency = "BRL"
                elif rng.random() < 0.5:
                    fx = f"{Decimal(amount) * Decimal('5.3'):.4f}\tBRL\t5.3\t{day.isoformat()}\tecb"
                    currency = "USD"
                else:
                    fx, currency = "\\N\t\\N\t\\N\t\\N\t\\N", "USD"
                buffer.write(
                    f"{uuid7(ms)}\t{ledger.context_id}\t{kind}\t{amount}\t{currency}\t{day.isoformat()}\t"
                    f"{rng.choice(_MERCHANTS)}\t{category}\timport\t{who}\t{payer}\t{status}\t{stamp}\t{stamp}\t{fx}\n"
                )
                if n % 50_000 == 49_999:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        conn.execute(f"ALTER TABLE transactions ENABLE TRIGGER {rollups.TRIGGER}")
        conn.commit()
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> dict[str, float]:
    """Return p50/p95/max (ms) of ``samples`` (ms)."""
    ordered = sorted(samples)
    return {
        "p50_ms": ordered[len(ordered) // 2],
        "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "max_ms": ordered[-1],
        "calls": len(ordered),
    }


def timed(call: Callable[[int], object], samples: int) -> dict[str, float]:
    """Time ``call(i)`` ``samples`` times after 20 untimed warm-up calls."""
    for i in range(20):
        call(i)
    out = []
    for i in range(samples):
        t0 = time.perf_counter_ns()
        call(i)
        out.append((time.perf_counter_ns() - t0) / 1e6)
    return percentiles(out)


#: Months before the measured month that the rolling budget carries from.
CARRY_MONTHS = 12


def _seed_budgets(engine: Engine, ledgers: list[Ledger], month: dt.date) -> float:
    """Insert 4 budgets in each ledger (BRL): groceries (R$ 800), the group "food" (groceries and
    restaurants, R$ 1,500), the whole ledger (R$ 6,000) and transport (R$ 400) rolling over from
    :data:`CARRY_MONTHS` months before ``month`` (a first day); return the seconds taken."""
    carry_from = month.replace(year=month.year - CARRY_MONTHS // 12)
    started = time.perf_counter()
    rows = []
    for ledger in ledgers:
        for scope, target, members, amount, rollover, starts_on in (
            ("category", "groceries", ["groceries"], "800", False, month),
            ("group", "food", list(budgeting.GROUPS["food"]), "1500", False, month),
            ("ledger", "", [], "6000", False, month),
            ("category", "transport", ["transport"], "400", True, carry_from),
        ):
            rows.append(
                {
                    "id": uuid7(),
                    "context_id": ledger.context_id,
                    "scope": scope,
                    "target": target,
                    "categories": members,
                    "amount": Decimal(amount),
                    "currency": "BRL",
                    "rollover": rollover,
                    "starts_on": starts_on,
                    "created_by": ledger.owner_id,
                }
            )
    with engine.begin() as conn:
        conn.execute(insert(orm.budgets), rows)
    return time.perf_counter() - started


def budget_status(
    api: Callable[[Callable[[int], str]], Callable[[int], object]], month: dt.date
) -> Callable[[int], object]:
    """Return a call ``f(i)``: ``GET .../budgets?month=YYYY-MM`` of ``ledgers[i % 20]`` through the
    served API (``api`` makes such calls from a path), checking the 4 seeded budgets came back."""
    get = api(lambda k: f"/budgets?month={month:%Y-%m}")

    def call(i: int) -> object:
        body = get(i)
        assert isinstance(body, dict), body
        assert len(body["items"]) == 4, body
        return body

    return call


RAW_BUDGET_SPENT = """
SELECT category,
       coalesce(sum(base_amount) FILTER (WHERE base_amount IS NOT NULL AND base_currency = 'BRL'), 0),
       count(*) FILTER (WHERE base_amount IS NOT NULL AND base_currency = 'BRL'),
       count(*) FILTER (WHERE base_amount IS NULL OR base_currency IS DISTINCT FROM 'BRL')
FROM transactions
WHERE context_id = %s AND status = 'recorded' AND kind = 'expense' AND occurred_on >= %s AND occurred_on <= %s
GROUP BY category"""


def raw_budget_status(
    raw: Callable[[str, tuple[Any, ...]], list[Any]], ledgers: list[Ledger], month: dt.date
) -> Callable[[int], object]:
    """The raw SQL beside :func:`budget_status`: the month's spent by category and the rolling
    budget's carry range by category (the app's two queries), no budgets read."""
    last = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    carry_from = month.replace(year=month.year - CARRY_MONTHS // 12)

    def call(i: int) -> object:
        context_id = ledgers[i % LEDGERS].context_id
        return (
            raw(RAW_BUDGET_SPENT, (context_id, month, last)),
            raw(RAW_BUDGET_SPENT, (context_id, carry_from, month - dt.timedelta(days=1))),
        )

    return call


def _question(
    engine: Engine,
    ledgers: list[Ledger],
    phrase: str = "quanto gastei este mês?",
    query: LedgerQuery | None = None,
    kind: ReplyKind | None = None,
) -> Callable[[int], object]:
    """Return ``f(i)``: ``phrase`` (understood as ``query``, default this month's total) asked in
    the dev chat of ``ledgers[i % 20]`` through the service layer; the reply is of ``kind`` if given."""
    bus = bootstrap(engine=engine)
    understood = query if query is not None else LedgerQuery(period="this_month")

    def ask(i: int) -> object:
        ledger = ledgers[i % LEDGERS]
        mid = uuid.uuid4().hex
        capture = CaptureV1(
            capture_id=uuid.uuid4(),
            idempotency_key=idempotency_key("devchat", ledger.devchat_id, mid),
            edge_id="edge-bench",
            platform="devchat",
            chat_id=ledger.devchat_id,
            message_id=mid,
            sender=Sender(platform_user_id=ledger.devchat_id),
            received_at=dt.datetime.now(dt.UTC),
            text=phrase,
            understanding=Understanding(
                language="pt", intent=Intent.QUERY, confidence=0.95, query=understood
            ),
        )
        reply = bus.handle(command_for(capture))
        assert reply is not None
        assert kind is None or reply.kind == kind, reply
        return reply

    return ask


def _raw(url: str) -> tuple[psycopg.Connection[Any], Callable[[str, tuple[Any, ...]], list[Any]]]:
    conn = psycopg.connect(url, autocommit=True)

    def run(sql: str, params: tuple[Any, ...]) -> list[Any]:
        return conn.execute(sql, params).fetchall()

    return conn, run


RAW_MONTH_BY_CATEGORY = """
SELECT date_trunc('month', occurred_on::timestamp)::date, category,
       sum(base_amount) FILTER (WHERE base_currency = 'BRL'), count(*)
FROM transactions
WHERE context_id = %s AND status = 'recorded' AND kind = 'expense' AND occurred_on >= %s AND occurred_on < %s
GROUP BY 1, 2"""
RAW_DAILY = """
SELECT occurred_on, sum(base_amount) FILTER (WHERE base_currency = 'BRL'), count(*)
FROM transactions
WHERE context_id = %s AND status = 'recorded' AND kind = 'expense' AND occurred_on BETWEEN %s AND %s
GROUP BY 1"""
RAW_PAGE = """
SELECT id, occurred_on, kind, amount, currency, merchant, description, category, payment_method,
       installments, status, source_channel, author_id, paid_by, created_at
FROM transactions WHERE context_id = %s {after} ORDER BY occurred_on DESC, id DESC LIMIT 51"""
RAW_DETAIL = """
SELECT * FROM transactions WHERE context_id = %s AND id = %s"""
RAW_MONTH_SUM = """
SELECT currency, sum(amount), count(*) FROM transactions
WHERE context_id = %s AND status = 'recorded' AND kind = 'expense' AND occurred_on >= %s AND occurred_on <= %s
GROUP BY currency"""


def measure(
    engine: Engine,
    url: str,
    redis_url: str,
    ledgers: list[Ledger],
    samples: int,
    today: dt.date,
    len_rows: int,
) -> dict[str, dict[str, Any]]:
    """Time every row (app and raw); return ``{row: {"app": {...}, "raw": {...} | None, "api": bool}}``.

    The API is served by a real ``financy core api`` process (Sanic, one worker, logging each
    request as in production) and called over one keep-alive HTTP connection: sanic-testing's
    in-process client starts the whole app again on every request (~0.2 s), which would measure it.
    """
    workdir = Path(tempfile.mkdtemp(prefix="financy-bench-api-"))
    port = free_port()
    env = financy_env(
        FINANCY_DATABASE_URL=url,
        FINANCY_REDIS_URL=redis_url,
        FINANCY_DATA_DIR=str(workdir),
        FINANCY_HOST="127.0.0.1",
        FINANCY_PORT=str(port),
        FINANCY_JWT_SECRET="bench-secret-" + "k" * 40,
    )
    with running(["core", "api"], env, workdir / "api.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/healthz", 60, proc)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            return _measure(client, engine, url, ledgers, samples, today, len_rows)


def _measure(
    client: httpx.Client,
    engine: Engine,
    url: str,
    ledgers: list[Ledger],
    samples: int,
    today: dt.date,
    len_rows: int,
) -> dict[str, dict[str, Any]]:
    tokens = []
    for ledger in ledgers:
        response = client.post(
            "/api/v1/auth/token", json={"username": ledger.username, "password": ledger.password}
        )
        assert response.status_code == 200, response.text
        tokens.append(response.json()["access_token"])
    this_month = today.replace(day=1)
    year_ago = (this_month.replace(year=this_month.year - 1) + dt.timedelta(days=32)).replace(day=1)
    five_years = this_month.replace(year=this_month.year - YEARS + 1, month=1)
    raw_conn, raw = _raw(url)
    depth = min(DEEP_ROWS, int(len_rows * 0.8) // LEDGERS)
    deep: list[str] = []
    raw_deep: list[tuple[dt.date, uuid.UUID]] = []
    for ledger in ledgers:
        day, ident = raw(
            "SELECT occurred_on, id FROM transactions WHERE context_id = %s"
            " ORDER BY occurred_on DESC, id DESC OFFSET %s LIMIT 1",
            (ledger.context_id, depth),
        )[0]
        deep.append(encode_cursor(day, ident))
        raw_deep.append((day, ident))

    def api(path: Callable[[int], str]) -> Callable[[int], object]:
        def call(i: int) -> object:
            k = i % LEDGERS
            response = client.get(
                f"/api/v1/contexts/{ledgers[k].context_id}{path(k)}",
                headers={"Authorization": f"Bearer {tokens[k]}"},
            )
            assert response.status_code == 200, response.text
            return response.json()

        return call

    def m(day: dt.date) -> str:
        return day.strftime("%Y-%m")

    nxt = (this_month + dt.timedelta(days=32)).replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    rows: dict[str, dict[str, Any]] = {}
    plan: list[tuple[str, Callable[[int], object], Callable[[int], object] | None]] = [
        (
            "report month-by-category, 12 months",
            api(lambda k: f"/reports/month-by-category?from={m(year_ago)}&to={m(this_month)}"),
            lambda i: raw(RAW_MONTH_BY_CATEGORY, (ledgers[i % LEDGERS].context_id, year_ago, nxt)),
        ),
        (
            "report month-by-category, 5 years",
            api(lambda k: f"/reports/month-by-category?from={m(five_years)}&to={m(this_month)}"),
            lambda i: raw(RAW_MONTH_BY_CATEGORY, (ledgers[i % LEDGERS].context_id, five_years, nxt)),
        ),
        (
            "report month-by-category, 1 month (last)",
            api(lambda k: f"/reports/month-by-category?from={m(last_month)}&to={m(last_month)}"),
            lambda i: raw(RAW_MONTH_BY_CATEGORY, (ledgers[i % LEDGERS].context_id, last_month, this_month)),
        ),
        (
            "report daily, 30 days",
            api(lambda k: f"/reports/daily?from={today - dt.timedelta(days=29)}&to={today}"),
            lambda i: raw(RAW_DAILY, (ledgers[i % LEDGERS].context_id, today - dt.timedelta(days=29), today)),
        ),
        (
            "report top-merchants, 12 months",
            api(lambda k: f"/reports/top-merchants?from={m(year_ago)}"),
            None,
        ),
        (
            "report income-expense, 12 months",
            api(lambda k: f"/reports/income-expense?from={m(year_ago)}"),
            None,
        ),
        ("report per-member, 12 months", api(lambda k: f"/reports/per-member?from={m(year_ago)}"), None),
        (
            "transactions list, first page",
            api(lambda k: "/transactions?limit=50"),
            lambda i: raw(RAW_PAGE.format(after=""), (ledgers[i % LEDGERS].context_id,)),
        ),
        (
            f"transactions list, deep page ({depth:,} rows down)",
            api(lambda k: f"/transactions?limit=50&cursor={deep[k]}"),
            lambda i: raw(
                RAW_PAGE.format(after="AND (occurred_on, id) < (%s, %s)"),
                (ledgers[i % LEDGERS].context_id, *raw_deep[i % LEDGERS]),
            ),
        ),
        (
            "transaction detail (GET .../transactions/{id})",
            api(lambda k: f"/transactions/{raw_deep[k][1]}"),
            lambda i: raw(RAW_DETAIL, (ledgers[i % LEDGERS].context_id, raw_deep[i % LEDGERS][1])),
        ),
        (
            f"budget status, GET .../budgets?month={m(last_month)}",
            budget_status(api, last_month),
            raw_budget_status(raw, ledgers, last_month),
        ),
    ]
    for name, app_call, raw_call in plan:
        rows[name] = {
            "app": timed(app_call, samples),
            "raw": None if raw_call is None else timed(raw_call, samples),
            "api": True,
        }
        print(f"  measured {name}", flush=True)
    ask = _question(engine, ledgers)
    rows["chat 'quanto gastei este mês?' (service layer)"] = {
        "app": timed(ask, samples),
        "raw": timed(
            lambda i: raw(RAW_MONTH_SUM, (ledgers[i % LEDGERS].context_id, this_month, today)), samples
        ),
        "api": False,
    }
    left = _question(
        engine,
        ledgers,
        "quanto falta no orçamento do mercado?",
        LedgerQuery(period="this_month", ask="budget", category="groceries"),
        ReplyKind.BUDGET_STATUS,
    )
    rows["chat 'quanto falta no orçamento do mercado?' (service)"] = {
        "app": timed(left, samples),
        "raw": timed(
            lambda i: raw(RAW_BUDGET_SPENT, (ledgers[i % LEDGERS].context_id, this_month, today)), samples
        ),
        "api": False,
    }
    raw_conn.close()
    return rows


def _database_size(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)), reltuples::bigint FROM pg_class"
            " WHERE relname = ANY(%s) ORDER BY pg_total_relation_size(oid) DESC",
            (["transactions", *rollups.ROLLUP_TABLES],),
        ).fetchall()
    return {name: f"{size}, ~{tuples:,} rows" for name, size, tuples in found}


def _insert_cost(engine: Engine, ledgers: list[Ledger], samples: int) -> dict[str, dict[str, float]]:
    """Time a one-row INSERT of a transaction in its own transaction, with the rollup trigger on and off."""
    out = {}
    today = dt.datetime.now(LEDGER_ZONE).date()

    def one(i: int) -> None:
        with engine.begin() as conn:
            conn.execute(
                insert(orm.transactions).values(
                    id=uuid7(),
                    context_id=ledgers[i % LEDGERS].context_id,
                    kind="expense",
                    amount=Decimal("9.90"),
                    currency="BRL",
                    occurred_on=today,
                    merchant="Padaria Sol",
                    category="groceries",
                    source_channel="api",
                    base_amount=Decimal("9.90"),
                    base_currency="BRL",
                )
            )

    out["insert, rollup trigger on"] = timed(one, samples)
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE transactions DISABLE TRIGGER {rollups.TRIGGER}"))
    out["insert, rollup trigger off"] = timed(one, samples)
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE transactions ENABLE TRIGGER {rollups.TRIGGER}"))
    rollups.rebuild(engine)  # the rows inserted without the trigger
    return out


def _print(rows: dict[str, dict[str, Any]]) -> tuple[bool, list[str]]:
    head = (
        f"{'':<56} {'p50 ms':>8} {'p95 ms':>8} {'raw p50':>8} {'raw p95':>8} {'x raw p50':>9} {'x raw p95':>9}"
        "  target"
    )
    lines = [head, "-" * len(head)]
    passed = True
    for name, row in rows.items():
        app, raw = row["app"], row["raw"]
        verdict = ""
        if row["api"]:
            ok = app["p95_ms"] < P95_TARGET_MS
            passed = passed and ok
            verdict = "PASS" if ok else "MISS"
        raw_cols = (
            f"{raw['p50_ms']:8.2f} {raw['p95_ms']:8.2f} {app['p50_ms'] / raw['p50_ms']:9.1f}"
            f" {app['p95_ms'] / raw['p95_ms']:9.1f}"
            if raw
            else f"{'-':>8} {'-':>8} {'-':>9} {'-':>9}"
        )
        lines.append(f"{name:<56} {app['p50_ms']:8.2f} {app['p95_ms']:8.2f} {raw_cols}  {verdict}")
    return passed, lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.bench_reports", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="transactions to seed (1,000,000)")
    parser.add_argument("--samples", type=int, default=200, help="timed calls per row (200)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON report (default {DEFAULT_OUT})")
    parser.add_argument("--strict", action="store_true", help="exit 2 when the target is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = os.environ.get("FINANCY_BENCH_DATABASE_URL", MACHINE_PG)
    today = dt.datetime.now(LEDGER_ZONE).date()  # the ledgers' own today
    with tempfile.TemporaryDirectory(prefix="financy-bench-reports-") as work:
        started = time.perf_counter()
        with fresh_database(server) as url, redis_server(Path(work)) as (redis_url, _):
            migrated = time.perf_counter() - started
            engine = create_engine(sqlalchemy_url(url), pool_size=5)
            try:
                with psycopg.connect(url) as conn:
                    version = conn.execute("SHOW server_version").fetchone()
                print(
                    f"reports bench: PostgreSQL {version[0] if version else '?'}, {args.rows:,} rows",
                    flush=True,
                )
                t0 = time.perf_counter()
                ledgers = _users(engine)
                print(f"  40 users (Argon2 hashes) in {time.perf_counter() - t0:.1f} s", flush=True)
                copy_s = _copy_rows(url, ledgers, args.rows, today)
                print(f"  COPY of {args.rows:,} rows: {copy_s:.1f} s", flush=True)
                t0 = time.perf_counter()
                rollups.rebuild(engine)
                rebuild_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("VACUUM ANALYZE")
                analyze_s = time.perf_counter() - t0
                print(f"  rollups rebuilt in {rebuild_s:.1f} s; VACUUM ANALYZE {analyze_s:.1f} s", flush=True)
                this_month = today.replace(day=1)
                budgets_s = _seed_budgets(engine, ledgers, (this_month - dt.timedelta(days=1)).replace(day=1))
                print(f"  {4 * LEDGERS} budgets inserted in {budgets_s:.2f} s", flush=True)
                sizes = _database_size(url)
                rows = measure(engine, url, redis_url, ledgers, args.samples, today, args.rows)
                writes = _insert_cost(engine, ledgers, args.samples)
            finally:
                engine.dispose()
    passed, lines = _print(rows)
    print(
        f"\n{args.rows:,} transactions, {LEDGERS} ledgers, {YEARS} years; seeding: migrate {migrated:.1f} s,"
        f" COPY {copy_s:.1f} s, rollup backfill {rebuild_s:.1f} s, VACUUM ANALYZE {analyze_s:.1f} s,"
        f" {4 * LEDGERS} budgets {budgets_s:.2f} s"
    )
    for name, size in sizes.items():
        print(f"  {name}: {size}")
    print("\n".join(lines))
    for name, w in writes.items():
        print(f"{name:<56} {w['p50_ms']:8.2f} {w['p95_ms']:8.2f}")
    print(f"target: {'PASS' if passed else 'MISS'}  every API call p95 < {P95_TARGET_MS:g} ms")
    report = {
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "rows": args.rows,
        "seeding_s": {
            "migrate": migrated,
            "copy": copy_s,
            "rollup_backfill": rebuild_s,
            "vacuum_analyze": analyze_s,
            "budgets": budgets_s,
        },
        "sizes": sizes,
        "results": rows,
        "writes": writes,
        "target": {"p95_ms_max": P95_TARGET_MS, "status": "PASS" if passed else "MISS"},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"report: {args.out}")
    return 2 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
