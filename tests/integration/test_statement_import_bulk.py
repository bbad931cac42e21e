"""A statement import large enough to take the bulk paths (``COPY`` of the lines and of the new
transactions, merges read and saved at once, rollups added per statement) gives exactly what the
small path gives: the same outcomes, rows, stored lines and report rollups."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text

from financy.core.adapters import orm
from financy.core.adapters.copying import COPY_FROM_ROWS
from financy.core.domain.import_commands import CommitImport, PreviewImport
from financy.core.domain.statements import ParsedStatement, StatementFormat, StatementLine
from financy.core.service.bootstrap import bootstrap
from tests.support.api import chat, new_user, spend

pytestmark = pytest.mark.integration

D = dt.date(2026, 11, 10)
N = COPY_FROM_ROWS + 100


def _statement(n: int) -> ParsedStatement:
    """``n`` lines over 10 days: line k is R$ (100 + k),00 at "LOJA k"; line 7 is the chat's
    R$ 45,90 at the market, line 9 R$ 30,00 that two chat entries could be."""
    lines = []
    for k in range(n):
        amount, payee = Decimal(-(100 + k)), f"LOJA {k}"
        if k == 7:
            amount, payee = Decimal("-45.90"), "SUPERMERCADO MERCADO EXTRA"
        elif k == 9:
            amount, payee = Decimal("-30.00"), "PAG*JOSE DA SILVA"
        lines.append(
            StatementLine(
                line_no=k + 1,
                occurred_on=D - dt.timedelta(days=k % 10),
                amount=amount,
                payee=payee,
                external_id=f"F{k}",
            )
        )
    return ParsedStatement(StatementFormat.OFX, tuple(lines), currency="BRL", account="0001-9")


def test_a_bulk_import_merges_asks_adds_and_keeps_the_rollups_exact(engine: Engine) -> None:
    bus = bootstrap(engine=engine)
    member = new_user(engine)
    chat(engine, member, spend("45.90", D - dt.timedelta(days=8), "groceries", "mercado"))
    chat(engine, member, spend("30.00", D - dt.timedelta(days=9), "restaurants", "padaria"))
    chat(engine, member, spend("30.00", D - dt.timedelta(days=9), "health", "farmacia"))
    with engine.connect() as conn:
        farmacia = conn.execute(
            select(orm.transactions.c.id).where(
                orm.transactions.c.context_id == member.context_id, orm.transactions.c.merchant == "farmacia"
            )
        ).scalar_one()
    parsed = _statement(N)
    import_id = bus.handle(
        PreviewImport(member.user_id, member.context_id, parsed, "extrato.ofx", "0" * 64, 100)
    )
    with engine.connect() as conn:
        previewed = conn.execute(
            select(orm.statement_lines.c.outcome, orm.statement_lines.c.candidates)
            .where(orm.statement_lines.c.import_id == import_id)
            .order_by(orm.statement_lines.c.line_no)
        ).all()
    assert len(previewed) == N
    assert previewed[9].outcome == "ambiguous"
    assert len(previewed[9].candidates) == 2
    assert previewed[0].candidates == []
    counts = bus.handle(CommitImport(member.user_id, member.context_id, import_id, {10: farmacia}))
    assert counts == {"add": N - 2, "duplicate": 0, "merge": 2, "ambiguous": 0, "invalid": 0}
    tx, sl = orm.transactions, orm.statement_lines
    with engine.connect() as conn:
        rows = conn.execute(
            select(tx.c.source_channel, func.count(), func.sum(tx.c.amount), func.sum(tx.c.base_amount))
            .where(tx.c.context_id == member.context_id, tx.c.status == "recorded")
            .group_by(tx.c.source_channel)
        ).all()
        merged = conn.execute(
            select(sl.c.line_no, sl.c.reason, sl.c.before, tx.c.occurred_on, tx.c.merchant, tx.c.fx_source)
            .join(tx, tx.c.id == sl.c.transaction_id)
            .where(sl.c.import_id == import_id, sl.c.outcome == "merge")
            .order_by(sl.c.line_no)
        ).all()
        added = conn.execute(
            select(func.count(), func.count(sl.c.before), func.min(sl.c.reason)).where(
                sl.c.import_id == import_id, sl.c.outcome == "add", sl.c.transaction_id.is_not(None)
            )
        ).one()
        rollup_n, rollup_total = conn.execute(
            text("SELECT sum(n), sum(total) FROM monthly_totals WHERE context_id = :c"),
            {"c": member.context_id},
        ).one()
    added_sum = sum(-line.amount for line in parsed.lines if line.line_no not in (8, 10))
    by_channel = {r[0]: tuple(r[1:]) for r in rows}
    assert by_channel["import"] == (N - 2, added_sum, added_sum)
    assert by_channel["devchat"][0] == 3
    assert [(m.line_no, m.reason, m.occurred_on, m.merchant, m.fx_source) for m in merged] == [
        (8, "capture", D - dt.timedelta(days=7), "mercado", "identity"),
        (10, "answered", D - dt.timedelta(days=9), "farmacia", "identity"),
    ]
    assert merged[0].before == {"occurred_on": (D - dt.timedelta(days=8)).isoformat(), "amount": "45.9000"}
    assert tuple(added) == (N - 2, 0, "new")
    assert (rollup_n, rollup_total) == (N + 1, added_sum + Decimal("45.90") + Decimal("60.00"))
    # the same file again: every line is a duplicate, nothing is added
    again = bus.handle(
        CommitImport(
            member.user_id,
            member.context_id,
            bus.handle(
                PreviewImport(member.user_id, member.context_id, parsed, "extrato.ofx", "0" * 64, 100)
            ),
        )
    )
    assert again == {"add": 0, "duplicate": N, "merge": 0, "ambiguous": 0, "invalid": 0}
    assert isinstance(import_id, uuid.UUID)
