"""``financy import`` on real PostgreSQL with the real statement files of tests/fixtures/statements
(sources in tests/fixtures/SOURCES.md): exact values in, a re-import that changes nothing, bad
files refused with nothing written, and export -> import into a new ledger giving the same
transactions (CSV and OFX)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from financy.core.adapters import orm
from financy.core.adapters.statements_export import write_export
from financy.core.entrypoints import import_cli
from financy.core.entrypoints.import_cli import run_import
from financy.core.views.exports import export_ledger, export_rows
from tests.support.api import chat, new_user, spend

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "fixtures" / "statements"


def ledger(engine: Engine, context_id: uuid.UUID) -> list[tuple[str, str, str, str, str | None]]:
    tx = orm.transactions
    with engine.connect() as conn:
        rows = conn.execute(
            select(tx.c.occurred_on, tx.c.kind, tx.c.amount, tx.c.currency, tx.c.merchant, tx.c.category)
            .where(tx.c.context_id == context_id, tx.c.status == "recorded")
            .order_by(tx.c.occurred_on, tx.c.amount, tx.c.merchant)
        ).all()
    return [
        (r.occurred_on.isoformat(), r.kind, f"{r.amount:.2f} {r.currency}", r.merchant, r.category)
        for r in rows
    ]


def run(database_url: str, context_id: uuid.UUID, *args: str, **kw: object) -> int:
    return run_import(
        database_url=database_url, file=args[0] if args else None, context=str(context_id), **kw
    )  # type: ignore[arg-type]


def test_banco_do_brasil_ofx_previews_commits_and_a_second_import_changes_nothing(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    member = new_user(engine)
    path = str(FIXTURES / "asgrim_banco_do_brasil_brl.ofx")
    assert run(database_url, member.context_id, path) == 0
    preview = capsys.readouterr().out
    assert "2015-11-03" in preview
    assert "239.55 BRL" in preview
    assert "nothing is recorded yet" in preview
    assert ledger(engine, member.context_id) == []
    assert run(database_url, member.context_id, path, yes=True, as_json_output=True) == 0
    committed = json.loads(capsys.readouterr().out)
    assert committed["counts"]["add"] == 1
    assert committed["lines"][0]["memo"] == "DOC CRÉDITO EM CONTA"
    assert ledger(engine, member.context_id) == [
        ("2015-11-03", "income", "239.55 BRL", committed["lines"][0]["payee"] or "DOC CRÉDITO EM CONTA", None)
    ]
    assert run(database_url, member.context_id, path, yes=True, as_json_output=True) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["counts"]["add"], again["counts"]["duplicate"]) == (0, 1)
    assert len(ledger(engine, member.context_id)) == 1


def test_a_cad_ofx_a_latin1_csv_and_a_qif_land_with_exact_values(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    member = new_user(engine)
    assert (
        run(database_url, member.context_id, str(FIXTURES / "ofxparse_bank_medium_sgml_v102.ofx"), yes=True)
        == 0
    )
    cad = [row for row in ledger(engine, member.context_id) if row[2].endswith("CAD")]
    assert sorted(row[2] for row in cad) == ["22.00 CAD", "316.67 CAD", "6.60 CAD"]
    assert "MCDONALD'S #112" in {row[3] for row in cad}
    assert run(database_url, member.context_id, str(FIXTURES / "csv2ofx_gls_de_latin1.csv"), yes=True) == 0
    assert ("2017-10-10", "expense", "98.76 EUR", "Drillisch Online AG") in [
        r[:4] for r in ledger(engine, member.context_id)
    ]
    assert (
        run(database_url, member.context_id, str(FIXTURES / "actual_qif_with_categories.qif"), yes=True) == 0
    )
    qif = {r[3]: r for r in ledger(engine, member.context_id) if r[3] in {"Outlet", "GroceriesYou"}}
    assert qif["Outlet"][1:] == ("expense", "100.58 BRL", "Outlet", "shopping")
    assert qif["GroceriesYou"][1:] == ("expense", "20.15 BRL", "GroceriesYou", "groceries")
    capsys.readouterr()


def test_bad_files_and_bad_arguments_are_refused_with_nothing_written(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    member = new_user(engine)
    whole = (FIXTURES / "ofxparse_bank_medium_sgml_v102.ofx").read_bytes()
    truncated = tmp_path / "truncated.ofx"
    truncated.write_bytes(whole[: len(whole) // 2])
    assert run(database_url, member.context_id, str(truncated), yes=True) == 2
    assert "financy import:" in capsys.readouterr().err
    big = tmp_path / "big.csv"
    big.write_bytes(b"Data,Valor\n" + b"01/11/2026,1,00\n" * 100)
    monkeypatch.setattr(import_cli, "MAX_FILE_BYTES", 1000)
    assert run(database_url, member.context_id, str(big), yes=True) == 2
    assert "MB" in capsys.readouterr().err
    monkeypatch.undo()
    assert run(database_url, uuid.uuid4(), str(FIXTURES / "asgrim_banco_do_brasil_brl.ofx")) == 2
    assert "no ledger" in capsys.readouterr().err
    assert run(database_url, member.context_id, str(tmp_path / "missing.ofx")) == 2
    assert "cannot read" in capsys.readouterr().err
    assert (
        run_import(database_url=database_url, file=None, context=str(member.context_id), undo="not-a-uuid")
        == 2
    )
    assert (
        run_import(
            database_url=database_url, file=None, context=str(member.context_id), undo=str(uuid.uuid4())
        )
        == 2
    )
    capsys.readouterr()
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count())
            .select_from(orm.statement_imports)
            .where(orm.statement_imports.c.context_id == member.context_id)
        ).scalar_one()
    assert n == 0
    assert ledger(engine, member.context_id) == []


@pytest.mark.parametrize("fmt", ["csv", "ofx"])
def test_export_then_import_into_a_new_ledger_gives_the_same_transactions(
    engine: Engine, database_url: str, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = new_user(engine), new_user(engine)
    chat(engine, source, spend("45.90", dt.date(2026, 11, 3), "groceries", "Pão de Açúcar"))
    chat(engine, source, spend("4.40", dt.date(2026, 11, 4), "transport", "metro"))
    chat(engine, source, spend("4.40", dt.date(2026, 11, 4), "transport", "metro"))
    assert (
        run(database_url, source.context_id, str(FIXTURES / "asgrim_banco_do_brasil_brl.ofx"), yes=True) == 0
    )
    with engine.connect() as conn:
        context = export_ledger(conn, source.context_id)
        rows = export_rows(conn, source.context_id, start=None, end=None)
    assert context is not None
    data = write_export(fmt, rows, ledger=context, start=None, end=None, today=dt.date(2026, 12, 4))
    exported = tmp_path / f"export.{fmt}"
    exported.write_bytes(data)
    assert run(database_url, target.context_id, str(exported), yes=True) == 0
    mine = [(d, k, a, m) for d, k, a, m, _ in ledger(engine, source.context_id)]
    theirs = [(d, k, a, m) for d, k, a, m, _ in ledger(engine, target.context_id)]
    assert theirs == mine
    assert len(theirs) == 4
    # and the export imported once more into the new ledger changes nothing
    assert run(database_url, target.context_id, str(exported), yes=True, as_json_output=True) == 0
    capsys.readouterr()
    assert len(ledger(engine, target.context_id)) == 4
    assert Decimal(sum(Decimal(a.split()[0]) for _, _, a, _ in theirs)) == Decimal("294.25")
