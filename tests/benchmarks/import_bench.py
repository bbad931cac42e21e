"""``python -m tests.benchmarks.import_bench [--rows N] [--history N] [--ledger N]``: statement import at 1M rows.

A 100,000-row CSV (Nubank card layout, ``date,title,amount``: no bank ids, so dedupe counts
date, amount and payee) and a 100,000-transaction OFX 1.02 statement (FITIDs; 2% of the lines
in US$ with a ``CURRENCY`` aggregate, valued at the seeded ECB rates) imported into one ledger
that already holds ``--ledger`` (1,000,000) transactions, on the machine's PostgreSQL
(``FINANCY_BENCH_DATABASE_URL``, default ``postgresql://postgres@127.0.0.1:5432/postgres``; a
fresh database, migrated first and dropped afterwards).

Seeded with ``COPY`` before timing (the rollup trigger off during the COPY, the rollups then
rebuilt in bulk, then ``VACUUM ANALYZE``):

* ``--history`` (960,000) statement lines of 24 earlier committed monthly imports, 12 per account
  (the CSV's card ``nubank-cartao`` and the OFX's checking account ``12345-6``), over the 365 days
  before the new files; 99% of them added a transaction (``source_channel`` ``import``), 1% were
  merged into a chat capture's transaction;
* chat captures (``captures`` rows and their transactions) making the ledger up to ``--ledger``:
  the merged ones and others spread over the year; and for each new file ``--captures`` (2,000)
  more in its date range: 70% of the amount and date (0-2 days before) of one of its lines with
  a merchant sharing a word with the payee (merges), 20% in pairs of one amount (ambiguous
  lines), 10% stray;
* the merchant -> category memory for half of the payees, ECB rates (US$ and R$ per euro) for
  every weekday of the period.

Each file starts with every line the account's history holds for the last 10 days of history
(re-downloaded overlap: duplicates), the rest are new lines at the history's density, up to
yesterday in the ledger's time zone. Timed, one stage at a time, on the real code: parse
(:func:`parse_statement` of the bytes), preview (``PreviewImport`` through the message bus: the
plan against the ledger, stored) and commit (``CommitImport``: planned again, transactions
added, captures merged, lines stored; one database transaction). Beside them, in the same run:
a raw ``COPY`` (psycopg ``write_row``, one transaction) of the same rows as transactions into a
scratch copy of ``transactions`` (``LIKE ... INCLUDING ALL``: its indexes, defaults and checks;
no triggers, no foreign keys) that holds the ledger's rows too.

Prints, per file, rows, seconds, rows/s and the ratio to the raw COPY for each stage and the
whole import (parse + preview + commit), the counts per outcome and the peak memory. Target:
the whole import >= 10,000 rows/s and within 10x of the raw COPY. ``--profile`` runs each stage
under cProfile instead (times then include its overhead) and writes ``var/bench/import-*.pstats``.
Writes ``var/bench/import.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import io
import json
import math
import os
import platform
import pstats
import random
import resource
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import Engine, create_engine, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from financy.core.adapters import orm, rollups
from financy.core.adapters.repositories import SqlContexts
from financy.core.adapters.statements import parse_statement
from financy.core.domain.commands import CreateUser
from financy.core.domain.import_commands import CommitImport, PreviewImport
from financy.core.domain.model import merchant_key
from financy.core.domain.statements import ParsedStatement
from financy.core.service.bootstrap import bootstrap
from financy.core.service.messagebus import MessageBus
from financy.core.settings import sqlalchemy_url
from financy.runtime.ids import uuid7
from tests.benchmarks.servers import fresh_database

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "var" / "bench" / "import.json"
MACHINE_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LEDGER_ZONE = ZoneInfo("America/Sao_Paulo")
HISTORY_DAYS = 365
MONTHLY_IMPORTS = 12
OVERLAP_DAYS = 10
#: Share of the history's lines merged into a chat capture's transaction.
MERGED_SHARE = 0.01
USD_SHARE = 0.02
TARGET_ROWS_PER_S = 10_000.0
TARGET_X_COPY = 10.0
CSV_ACCOUNT = "nubank-cartao"
OFX_ACCOUNT = "12345-6"
_PREFIXES = ["PAG*", "IFD*", "MP*", "PIX ", "", "", "", "EC *"]
_NAMES = [
    "PADARIA SOL",
    "MERCADO BOM",
    "POSTO AVENIDA",
    "FARMACIA SAUDE",
    "RESTAURANTE SABOR",
    "UBER TRIP",
    "METRO SP",
    "LIVRARIA CULTURA",
    "ACOUGUE BOI",
    "HORTIFRUTI VERDE",
    "PET SHOP AMIGO",
    "CINEMA CENTRO",
    "ACADEMIA FORCA",
    "LOJA ROUPAS",
    "SORVETERIA GELO",
    "CAFE PAULISTA",
]
_CATEGORIES = ["groceries", "restaurants", "transport", "health", "shopping", "entertainment"]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a statement as the benchmark makes it (amount signed: negative is money out)."""

    day: dt.date
    amount: Decimal
    payee: str
    currency: str = "BRL"
    fitid: str | None = None


@dataclass(frozen=True)
class Plan:
    """The run's dates and sizes (see the module docstring)."""

    today: dt.date
    history_start: dt.date
    history_end: dt.date
    new_end: dt.date
    per_day: int
    rows: int


def payees(rng: random.Random, n: int = 1500) -> list[str]:
    """``n`` card-statement payees ("PAG*PADARIA SOL 0042"), 16 kinds of shop."""
    return [f"{rng.choice(_PREFIXES)}{_NAMES[i % len(_NAMES)]} {i:04d}" for i in range(n)]


def make_line(rng: random.Random, day: dt.date, names: list[str], usd: bool = False) -> Line:
    """A random line of ``day``: 96% purchases (R$ 1 to R$ 999.99, cents uniform), 4% money in."""
    cents = rng.randint(1_000, 500_000) if rng.random() < 0.04 else -rng.randint(100, 99_999)
    if usd:
        cents = cents // 5 or -1
    return Line(day, Decimal(cents).scaleb(-2), rng.choice(names), "USD" if usd else "BRL")


def history_lines(rng: random.Random, plan: Plan, names: list[str], fitids: bool) -> list[list[Line]]:
    """The account's 12 monthly imports: lines per import, in date order (BRL)."""
    days = (plan.history_end - plan.history_start).days + 1
    per_import = math.ceil(days / MONTHLY_IMPORTS)
    out: list[list[Line]] = []
    for m in range(MONTHLY_IMPORTS):
        lines: list[Line] = []
        for d in range(m * per_import, min(days, (m + 1) * per_import)):
            day = plan.history_start + dt.timedelta(days=d)
            for k in range(plan.per_day):
                line = make_line(rng, day, names)
                if fitids:
                    line = Line(line.day, line.amount, line.payee, fitid=f"{day:%Y%m%d}{k:06d}")
                lines.append(line)
        out.append(lines)
    return out


def new_lines(
    rng: random.Random, plan: Plan, history: list[list[Line]], names: list[str], ofx: bool
) -> list[Line]:
    """The new file's lines: the history's last :data:`OVERLAP_DAYS` days, then new days up to
    ``plan.new_end`` (2% in US$ for the OFX)."""
    overlap_from = plan.history_end - dt.timedelta(days=OVERLAP_DAYS - 1)
    lines = [line for month in history for line in month if line.day >= overlap_from][: plan.rows]
    fresh = plan.rows - len(lines)
    days = math.ceil(fresh / plan.per_day)
    first = plan.new_end - dt.timedelta(days=days - 1)
    for n in range(fresh):
        day = first + dt.timedelta(days=n // plan.per_day)
        line = make_line(rng, day, names, usd=ofx and rng.random() < USD_SHARE)
        if ofx:
            line = Line(line.day, line.amount, line.payee, line.currency, f"N{day:%Y%m%d}{n:07d}")
        lines.append(line)
    return lines


def csv_bytes(lines: list[Line]) -> bytes:
    """A Nubank card CSV (``date,title,amount``; a purchase is a positive amount)."""
    out = ["date,title,amount"]
    out.extend(f"{line.day.isoformat()},{line.payee},{-line.amount}" for line in lines)
    return ("\n".join(out) + "\n").encode()


def ofx_bytes(lines: list[Line], account: str) -> bytes:
    """An OFX 1.02 SGML bank statement (leaf elements unclosed, as Brazilian banks write it)."""
    head = (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
        "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
        "<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
        "<DTSERVER>20250101120000[-3:BRT]\n<LANGUAGE>POR\n</SONRS>\n</SIGNONMSGSRSV1>\n"
        "<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
        "<STMTRS>\n<CURDEF>BRL\n<BANKACCTFROM>\n<BANKID>0341\n"
        f"<ACCTID>{account}\n<ACCTTYPE>CHECKING\n</BANKACCTFROM>\n<BANKTRANLIST>\n"
        f"<DTSTART>{lines[0].day:%Y%m%d}\n<DTEND>{lines[-1].day:%Y%m%d}\n"
    )
    body = io.StringIO()
    body.write(head)
    for line in lines:
        kind = "DEBIT" if line.amount < 0 else "CREDIT"
        currency = (
            f"<CURRENCY>\n<CURRATE>5.1\n<CURSYM>{line.currency}\n</CURRENCY>\n"
            if line.currency != "BRL"
            else ""
        )
        body.write(
            f"<STMTTRN>\n<TRNTYPE>{kind}\n<DTPOSTED>{line.day:%Y%m%d}120000[-3:BRT]\n"
            f"<TRNAMT>{line.amount}\n<FITID>{line.fitid}\n<NAME>{line.payee}\n"
            f"<MEMO>COMPRA CARTAO {line.payee}\n{currency}</STMTTRN>\n"
        )
    body.write(
        "</BANKTRANLIST>\n<LEDGERBAL>\n<BALAMT>1234.56\n"
        f"<DTASOF>{lines[-1].day:%Y%m%d}\n</LEDGERBAL>\n</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
    )
    return body.getvalue().encode("ascii")


# --- seeding -----------------------------------------------------------------------------------


def _owner(engine: Engine) -> tuple[uuid.UUID, uuid.UUID]:
    """Make the ledger's owner (personal ledger in BRL, São Paulo); return (user id, ledger id)."""
    tag = uuid.uuid4().hex[:6]
    owner = bootstrap(engine=engine).handle(
        CreateUser(username=f"importer{tag}", password=f"pw-{tag}-secret", display_name="Importer")
    )
    with engine.connect() as conn:
        context_id = SqlContexts(conn).personal_context_of(owner)
    assert context_id is not None
    return owner, context_id


def _rates(engine: Engine, start: dt.date, end: dt.date) -> int:
    """ECB rates per euro for every weekday from ``start`` to ``end`` that the migrations' rates
    do not have (US$ ~1.08, R$ ~5.9)."""
    rng = random.Random(3)
    rows = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            usd = Decimal("1.08") + Decimal(rng.randint(-300, 300)).scaleb(-4)
            brl = Decimal("5.90") + Decimal(rng.randint(-2000, 2000)).scaleb(-4)
            rows.append({"source": "ecb", "currency": "USD", "rate_date": day, "rate": usd})
            rows.append({"source": "ecb", "currency": "BRL", "rate_date": day, "rate": brl})
        day += dt.timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(pg_insert(orm.fx_rates).on_conflict_do_nothing(), rows)
    return len(rows)


def _memory(engine: Engine, context_id: uuid.UUID, names: list[str]) -> None:
    """The ledger remembers a category for every other payee."""
    rows = [
        {
            "context_id": context_id,
            "merchant_key": merchant_key(name),
            "category": _CATEGORIES[i % len(_CATEGORIES)],
        }
        for i, name in enumerate(names)
        if i % 2 == 0
    ]
    with engine.begin() as conn:
        conn.execute(insert(orm.merchant_categories), rows)


def _triggers(conn: psycopg.Connection[Any], action: str) -> None:
    """``action`` (``DISABLE``/``ENABLE``) the rollup triggers of inserts on ``transactions``
    (the rollups are rebuilt in bulk after seeding)."""
    names = conn.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'transactions'::regclass"
        " AND tgname IN ('transactions_rollups', 'transactions_rollups_insert')"
    ).fetchall()
    for (name,) in names:
        conn.execute(f"ALTER TABLE transactions {action} TRIGGER {name}")


def _chunks(rows: Iterator[str], copy: Any, every: int = 20_000) -> int:
    buffer, n = io.StringIO(), 0
    for row in rows:
        buffer.write(row)
        n += 1
        if n % every == 0:
            copy.write(buffer.getvalue())
            buffer = io.StringIO()
    copy.write(buffer.getvalue())
    return n


TX_COLUMNS = (
    "id, context_id, kind, amount, currency, occurred_on, merchant, category, source_channel, capture_id,"
    " author_id, paid_by, status, created_at, updated_at, base_amount, base_currency, fx_rate, fx_date, fx_source"
)
LINE_COLUMNS = (
    "import_id, line_no, context_id, account, occurred_on, amount, currency, payee, payee_key, external_id,"
    " outcome, reason, transaction_id, before"
)
CAPTURE_COLUMNS = (
    "id, idempotency_key, context_id, author_id, edge_id, platform, chat_id, message_id, media_type, text,"
    " language, intent, status, received_at"
)


@dataclass
class Seeder:
    """Writes the ledger's history with COPY (see the module docstring)."""

    url: str
    engine: Engine
    owner: uuid.UUID
    context_id: uuid.UUID
    remembered: dict[str, str]
    captures: int = 0
    transactions: int = 0
    lines: int = 0

    def _tx(
        self, tx_id: uuid.UUID, day: dt.date, amount: Decimal, merchant: str, channel: str, capture: str
    ) -> str:
        kind = "expense" if amount < 0 else "income"
        value = f"{abs(amount)}"
        category = self.remembered.get(merchant_key(merchant), "\\N") if channel == "import" else "groceries"
        stamp = f"{day.isoformat()} 15:00:00+00"
        self.transactions += 1
        return (
            f"{tx_id}\t{self.context_id}\t{kind}\t{value}\tBRL\t{day.isoformat()}\t{merchant}\t{category}\t"
            f"{channel}\t{capture}\t{self.owner}\t{self.owner}\trecorded\t{stamp}\t{stamp}\t{value}\tBRL\t1\t"
            f"{day.isoformat()}\tidentity\n"
        )

    def _capture(self, capture_id: uuid.UUID, day: dt.date, amount: Decimal, merchant: str) -> str:
        self.captures += 1
        return (
            f"{capture_id}\tdevchat:bench:{capture_id.hex}\t{self.context_id}\t{self.owner}\tedge-bench\tdevchat\t"
            f"bench\t{capture_id.hex}\ttext\t{merchant} {abs(amount)}\tpt\trecord\trecorded\t"
            f"{day.isoformat()} 13:00:00+00\n"
        )

    def chat(self, spends: list[tuple[dt.date, Decimal, str]]) -> list[uuid.UUID]:
        """COPY one chat capture and its transaction per ``(day, signed amount, merchant)``; return
        the transactions' ids."""
        ids = [uuid7() for _ in spends]
        captures = [uuid.uuid4() for _ in spends]
        with psycopg.connect(self.url) as conn:
            _triggers(conn, "DISABLE")
            with conn.cursor().copy(f"COPY captures ({CAPTURE_COLUMNS}) FROM STDIN") as copy:
                _chunks(
                    (self._capture(c, d, a, m) for c, (d, a, m) in zip(captures, spends, strict=True)), copy
                )
            with conn.cursor().copy(f"COPY transactions ({TX_COLUMNS}) FROM STDIN") as copy:
                _chunks(
                    (
                        self._tx(t, d, a, m, "devchat", str(c))
                        for t, c, (d, a, m) in zip(ids, captures, spends, strict=True)
                    ),
                    copy,
                )
            _triggers(conn, "ENABLE")
            conn.commit()
        return ids

    def imports(self, account: str, months: list[list[Line]], rng: random.Random) -> None:
        """The account's earlier imports: committed, every line added (or merged into a chat capture)."""
        for lines in months:
            import_id = uuid7()
            merged_at = {i for i in range(len(lines)) if rng.random() < MERGED_SHARE}
            merged = dict(
                zip(
                    sorted(merged_at),
                    self.chat(
                        [
                            (lines[i].day, lines[i].amount, lines[i].payee.split("*")[-1].title())
                            for i in sorted(merged_at)
                        ]
                    ),
                    strict=True,
                )
            )
            ids = {i: uuid7() for i in range(len(lines)) if i not in merged}
            with self.engine.begin() as conn:
                conn.execute(
                    insert(orm.statement_imports).values(
                        id=import_id,
                        context_id=self.context_id,
                        created_by=self.owner,
                        filename=f"{account}-{lines[0].day:%Y-%m}",
                        format="ofx" if lines[0].fitid else "csv",
                        sha256="0" * 64,
                        size_bytes=len(lines) * 60,
                        account=account,
                        currency="BRL",
                        status="committed",
                        counts={
                            "add": len(ids),
                            "duplicate": 0,
                            "merge": len(merged),
                            "ambiguous": 0,
                            "invalid": 0,
                        },
                        committed_at=dt.datetime.combine(lines[-1].day, dt.time(20), dt.UTC),
                    )
                )
            with psycopg.connect(self.url) as conn:
                _triggers(conn, "DISABLE")
                with conn.cursor().copy(f"COPY transactions ({TX_COLUMNS}) FROM STDIN") as copy:
                    _chunks(
                        (
                            self._tx(ids[i], lines[i].day, lines[i].amount, lines[i].payee, "import", "\\N")
                            for i in ids
                        ),
                        copy,
                    )
                with conn.cursor().copy(f"COPY statement_lines ({LINE_COLUMNS}) FROM STDIN") as copy:
                    self.lines += _chunks(
                        (
                            self._line(import_id, n, line, account, ids, merged)
                            for n, line in enumerate(lines)
                        ),
                        copy,
                    )
                _triggers(conn, "ENABLE")
                conn.commit()

    def _line(
        self,
        import_id: uuid.UUID,
        n: int,
        line: Line,
        account: str,
        ids: dict[int, uuid.UUID],
        merged: dict[int, uuid.UUID],
    ) -> str:
        if n in merged:
            outcome, reason, tx_id = "merge", "capture", merged[n]
            before = json.dumps({"occurred_on": line.day.isoformat(), "amount": str(abs(line.amount))})
        else:
            outcome, reason, tx_id, before = "add", "new", ids[n], "\\N"
        fitid = line.fitid or "\\N"
        return (
            f"{import_id}\t{n + 1}\t{self.context_id}\t{account}\t{line.day.isoformat()}\t{line.amount}\tBRL\t"
            f"{line.payee}\t{merchant_key(line.payee)}\t{fitid}\t{outcome}\t{reason}\t{tx_id}\t{before}\n"
        )


def captures_for(
    rng: random.Random, lines: list[Line], n: int, since: dt.date
) -> list[tuple[dt.date, Decimal, str]]:
    """``n`` chat spends around the file's new lines (``day >= since``): 70% one line's amount,
    0-2 days before it, a merchant sharing a word with its payee; 20% in pairs; 10% stray."""
    pool = [line for line in lines if line.day >= since and line.currency == "BRL" and line.amount < 0]
    picked = rng.sample(pool, min(len(pool), n))
    out: list[tuple[dt.date, Decimal, str]] = []
    for k, line in enumerate(picked):
        share = k / max(1, len(picked))
        merchant = line.payee.split("*")[-1].rsplit(" ", 1)[0].title()
        day = line.day - dt.timedelta(days=rng.randint(0, 2))
        if share < 0.7:
            out.append((day, line.amount, merchant))
        elif share < 0.8:
            out.extend([(day, line.amount, merchant), (line.day, line.amount, merchant)])
        elif share < 0.9:
            continue
        else:
            out.append((day, -Decimal(rng.randint(100_000, 200_000)).scaleb(-2), "Loja Avulsa"))
    return out[:n]


# --- timing ------------------------------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(name: str, call: Callable[[], _T], profile: Path | None) -> tuple[_T, float]:
    """Run ``call``; return its result and seconds (under cProfile when ``profile`` is a folder)."""
    if profile is None:
        t0 = time.perf_counter()
        result = call()
        return result, time.perf_counter() - t0
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    result = profiler.runcall(call)
    seconds = time.perf_counter() - t0
    profile.mkdir(parents=True, exist_ok=True)
    path = profile / f"import-{name}.pstats"
    profiler.dump_stats(path)
    print(f"--- profile {name} ({seconds:.1f} s): {path}")
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(25)
    return result, seconds


def raw_copy(url: str, context_id: uuid.UUID, owner: uuid.UUID, statement: ParsedStatement) -> float:
    """COPY the statement's lines as transactions into ``bench_raw_copy``; return the seconds."""
    rows = []
    for line in statement.lines:
        currency = line.currency or "BRL"
        base = abs(line.amount) if currency == "BRL" else None
        rows.append(
            (
                uuid7(),
                context_id,
                "expense" if line.amount < 0 else "income",
                abs(line.amount),
                currency,
                line.occurred_on,
                line.payee,
                line.memo if line.payee else None,
                "import",
                owner,
                owner,
                base,
                "BRL" if base is not None else None,
                Decimal(1) if base is not None else None,
                line.occurred_on if base is not None else None,
                "identity" if base is not None else None,
            )
        )
    columns = (
        "id, context_id, kind, amount, currency, occurred_on, merchant, description, source_channel, author_id,"
        " paid_by, base_amount, base_currency, fx_rate, fx_date, fx_source"
    )
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        with conn.cursor().copy(f"COPY bench_raw_copy ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - t0


def run_file(
    bus: MessageBus,
    url: str,
    name: str,
    data: bytes,
    filename: str,
    account: str | None,
    owner: uuid.UUID,
    context_id: uuid.UUID,
    today: dt.date,
    profile: Path | None,
) -> dict[str, Any]:
    """Parse, preview and commit one file, then the raw COPY of its rows; return the figures."""
    statement, parse_s = timed(f"{name}-parse", lambda: parse_statement(data, filename=filename), profile)
    print(
        f"  {name}: parsed {len(statement.lines):,} lines in {parse_s:.2f} s ({len(data) / 1e6:.1f} MB)",
        flush=True,
    )
    import_id, preview_s = timed(
        f"{name}-preview",
        lambda: bus.handle(
            PreviewImport(
                owner,
                context_id,
                statement,
                filename=filename,
                sha256=hashlib.sha256(data).hexdigest(),
                size_bytes=len(data),
                account=account,
                today=today,
            )
        ),
        profile,
    )
    print(f"  {name}: previewed in {preview_s:.2f} s", flush=True)
    counts, commit_s = timed(
        f"{name}-commit", lambda: bus.handle(CommitImport(owner, context_id, import_id)), profile
    )
    print(f"  {name}: committed in {commit_s:.2f} s: {counts}", flush=True)
    peak = _peak_mb()
    copy_s = raw_copy(url, context_id, owner, statement)
    print(f"  {name}: raw COPY in {copy_s:.2f} s", flush=True)
    return {
        "rows": len(statement.lines),
        "bytes": len(data),
        "seconds": {"parse": parse_s, "preview": preview_s, "commit": commit_s, "copy": copy_s},
        "counts": counts,
        "detected": statement.detected,
        "peak_rss_mb": peak,
    }


def _print(results: dict[str, dict[str, Any]]) -> tuple[bool, list[str]]:
    head = f"{'':<34} {'rows':>9} {'seconds':>9} {'rows/s':>10} {'x COPY':>8}  target"
    lines = [head, "-" * len(head)]
    passed = True
    for name, r in results.items():
        s = r["seconds"]
        total = s["parse"] + s["preview"] + s["commit"]
        for stage, seconds in (
            ("parse", s["parse"]),
            ("preview (plan, stored)", s["preview"]),
            ("commit", s["commit"]),
            ("import (parse+preview+commit)", total),
            ("raw COPY", s["copy"]),
        ):
            verdict = ""
            if stage.startswith("import"):
                ok = r["rows"] / total >= TARGET_ROWS_PER_S and total / s["copy"] <= TARGET_X_COPY
                passed = passed and ok
                verdict = "PASS" if ok else "MISS"
            label = f"{name} {stage}"
            lines.append(
                f"{label:<34} {r['rows']:>9,} {seconds:>9.2f} {r['rows'] / seconds:>10,.0f}"
                f" {seconds / s['copy']:>8.1f}  {verdict}"
            )
        counts = "  ".join(f"{k} {v:,}" for k, v in r["counts"].items())
        lines.append(f"  {name} outcomes: {counts}; peak RSS {r['peak_rss_mb']:,.0f} MB")
    return passed, lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.import_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rows", type=int, default=100_000, help="lines per file (100,000)")
    parser.add_argument(
        "--history", type=int, default=960_000, help="statement lines of earlier imports (960,000)"
    )
    parser.add_argument(
        "--ledger", type=int, default=1_000_000, help="transactions in the ledger (1,000,000)"
    )
    parser.add_argument(
        "--captures", type=int, default=2_000, help="chat captures in each file's range (2,000)"
    )
    parser.add_argument("--profile", type=Path, default=None, help="folder for cProfile stats of each stage")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON report (default {DEFAULT_OUT})")
    parser.add_argument("--strict", action="store_true", help="exit 2 when the target is missed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = os.environ.get("FINANCY_BENCH_DATABASE_URL", MACHINE_PG)
    today = dt.datetime.now(LEDGER_ZONE).date()
    per_day = max(1, args.history // (2 * HISTORY_DAYS))
    new_days = math.ceil((args.rows - per_day * OVERLAP_DAYS) / per_day)
    new_end = today - dt.timedelta(days=1)
    history_end = new_end - dt.timedelta(days=new_days)
    plan = Plan(
        today, history_end - dt.timedelta(days=HISTORY_DAYS - 1), history_end, new_end, per_day, args.rows
    )
    rng = random.Random(2026)
    names = payees(rng)
    started = time.perf_counter()
    with fresh_database(server) as url:
        migrated = time.perf_counter() - started
        engine = create_engine(sqlalchemy_url(url), pool_size=2)
        try:
            with psycopg.connect(url) as conn:
                version = conn.execute("SHOW server_version").fetchone()
            print(
                f"import bench: PostgreSQL {version[0] if version else '?'}, {args.rows:,} rows a file,"
                f" ledger of {args.ledger:,} transactions, {args.history:,} earlier statement lines",
                flush=True,
            )
            t0 = time.perf_counter()
            owner, context_id = _owner(engine)
            _rates(engine, plan.history_start - dt.timedelta(days=10), today)
            _memory(engine, context_id, names)
            with engine.connect() as conn:
                remembered = dict(
                    conn.execute(
                        select(orm.merchant_categories.c.merchant_key, orm.merchant_categories.c.category)
                    ).all()
                )
            seeder = Seeder(url, engine, owner, context_id, {str(k): str(v) for k, v in remembered.items()})
            card = history_lines(rng, plan, names, fitids=False)
            checking = history_lines(rng, plan, names, fitids=True)
            seeder.imports(CSV_ACCOUNT, card, rng)
            seeder.imports(OFX_ACCOUNT, checking, rng)
            csv_lines = new_lines(rng, plan, card, names, ofx=False)
            ofx_lines = new_lines(rng, plan, checking, names, ofx=True)
            since = plan.history_end + dt.timedelta(days=1)
            seeder.chat(
                captures_for(rng, csv_lines, args.captures, since)
                + captures_for(rng, ofx_lines, args.captures, since)
            )
            rest = args.ledger - seeder.transactions
            span = (plan.history_end - plan.history_start).days
            if rest > 0:
                seeder.chat(
                    [
                        (
                            plan.history_start + dt.timedelta(days=rng.randrange(span)),
                            -Decimal(rng.randint(100, 99_999)).scaleb(-2),
                            rng.choice(_NAMES).title(),
                        )
                        for _ in range(rest)
                    ]
                )
            seed_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            rollups.rebuild(engine)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE TABLE bench_raw_copy (LIKE transactions INCLUDING ALL)")
                conn.execute("INSERT INTO bench_raw_copy SELECT * FROM transactions")
                conn.execute("VACUUM ANALYZE")
            prepare_s = time.perf_counter() - t0
            print(
                f"  seeded {seeder.transactions:,} transactions ({seeder.captures:,} chat captures),"
                f" {seeder.lines:,} statement lines in {2 * MONTHLY_IMPORTS} imports: {seed_s:.1f} s;"
                f" rollups, scratch copy, VACUUM ANALYZE {prepare_s:.1f} s",
                flush=True,
            )
            bus = bootstrap(engine=engine)
            results = {
                "CSV": run_file(
                    bus,
                    url,
                    "CSV",
                    csv_bytes(csv_lines),
                    "Nubank_2025.csv",
                    CSV_ACCOUNT,
                    owner,
                    context_id,
                    today,
                    args.profile,
                ),
                "OFX": run_file(
                    bus,
                    url,
                    "OFX",
                    ofx_bytes(ofx_lines, OFX_ACCOUNT),
                    "extrato.ofx",
                    None,
                    owner,
                    context_id,
                    today,
                    args.profile,
                ),
            }
        finally:
            engine.dispose()
    passed, lines = _print(results)
    print(
        f"\nledger: {seeder.transactions:,} transactions, {seeder.lines:,} earlier statement lines"
        f" ({per_day:,} a day per account, {plan.history_start} to {plan.history_end}); files up to {plan.new_end},"
        f" {OVERLAP_DAYS} days overlapping the history; {args.captures:,} captures per file's range"
        f"{'; PROFILED (cProfile overhead in every time)' if args.profile else ''}"
    )
    print(
        f"seeding: migrate {migrated:.1f} s, COPY {seed_s:.1f} s, rollups + scratch copy + VACUUM {prepare_s:.1f} s"
    )
    print("\n".join(lines))
    print(
        f"target: {'PASS' if passed else 'MISS'}  whole import >= {TARGET_ROWS_PER_S:,.0f} rows/s"
        f" and <= {TARGET_X_COPY:g}x raw COPY"
    )
    report = {
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "sizes": {
            "rows": args.rows,
            "history_lines": seeder.lines,
            "ledger_transactions": seeder.transactions,
            "captures": seeder.captures,
        },
        "seeding_s": {"migrate": migrated, "copy": seed_s, "prepare": prepare_s},
        "profiled": args.profile is not None,
        "results": results,
        "target": {
            "rows_per_s_min": TARGET_ROWS_PER_S,
            "x_copy_max": TARGET_X_COPY,
            "status": "PASS" if passed else "MISS",
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"report: {args.out}")
    return 2 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
