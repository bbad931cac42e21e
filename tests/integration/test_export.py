"""Statement export on the real database: the API route, and ``financy export`` by URL and --data-dir."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from ofxtools.Parser import OFXTree
from sqlalchemy import Engine, create_engine, insert, pool, select

from financy.cli import main
from financy.core.adapters import orm
from financy.core.adapters.migrate import upgrade
from financy.core.entrypoints.api import ApiApp
from financy.core.settings import sqlalchemy_url
from financy.runtime.services import EmbeddedPostgres, ensure_database
from tests.support.api import Member, assert_error, bearer, chat, new_user, spend, token_for

pytestmark = pytest.mark.integration

NOV = dt.date(2026, 11, 1)


def _ledger(engine: Engine) -> Member:
    """A user's ledger with three expenses in November and one in December, one of them reversed."""
    owner = new_user(engine)
    chat(engine, owner, spend("45.90", dt.date(2026, 11, 3), "groceries", "Pão & Cia <centro>"))
    chat(engine, owner, spend("12.00", dt.date(2026, 11, 20), "restaurants", "bar"))
    chat(engine, owner, spend("23.00", dt.date(2026, 11, 21), "transport", "uber"))
    chat(engine, owner, spend("7.50", dt.date(2026, 12, 2), "groceries", "feira"))
    with engine.begin() as conn:
        tx = orm.transactions
        conn.execute(
            tx.update()
            .where(tx.c.context_id == owner.context_id, tx.c.amount == Decimal("23.00"))
            .values(status="reversed")
        )
    return owner


def _csv_rows(data: bytes) -> list[tuple[str, str, str, str]]:
    rows = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    return [(r["date"], r["amount"], r["currency"], r["payee"]) for r in rows]


async def test_a_viewer_exports_csv_json_and_ofx_of_a_date_range(app: ApiApp, engine: Engine) -> None:
    owner = _ledger(engine)
    viewer = new_user(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(orm.members).values(context_id=owner.context_id, user_id=viewer.user_id, role="viewer")
        )
    token = await token_for(app, viewer)
    url = f"/api/v1/contexts/{owner.context_id}/export"

    _, response = await app.asgi_client.get(url + "?from=2026-11-01&to=2026-11-30", headers=bearer(token))
    assert response.status == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="financy-')
    assert disposition.endswith('-2026-11-01_2026-11-30.csv"')
    assert _csv_rows(response.body) == [
        ("2026-11-03", "-45.90", "BRL", "Pão & Cia <centro>"),
        ("2026-11-20", "-12.00", "BRL", "bar"),
    ]

    _, whole = await app.asgi_client.get(url + "?format=json", headers=bearer(token))
    assert whole.status == 200, whole.text
    assert whole.headers["content-type"] == "application/json"
    assert whole.headers["content-disposition"].endswith('.json"')
    body = json.loads(whole.body)
    assert body["ledger"]["id"] == str(owner.context_id)
    assert body["ledger"]["base_currency"] == "BRL"
    assert (body["from"], body["to"]) == (None, None)
    assert [(t["occurred_on"], t["amount"], t["kind"], t["category"]) for t in body["transactions"]] == [
        ("2026-11-03", "45.90", "expense", "groceries"),
        ("2026-11-20", "12.00", "expense", "restaurants"),
        ("2026-12-02", "7.50", "expense", "groceries"),
    ]
    assert {t["author"] for t in body["transactions"]} == {f"User {owner.username[4:]}"}

    _, ofx = await app.asgi_client.get(url + "?format=ofx&from=2026-12-01", headers=bearer(token))
    assert ofx.status == 200, ofx.text
    assert ofx.headers["content-type"] == "application/x-ofx"
    tree = OFXTree()
    tree.parse(io.BytesIO(ofx.body))
    (statement,) = tree.convert().statements
    assert statement.curdef == "BRL"
    assert [(t.dtposted.date(), t.trnamt, t.name, t.trntype) for t in statement.banktranlist] == [
        (dt.date(2026, 12, 2), Decimal("-7.50"), "feira", "DEBIT")
    ]
    assert statement.banktranlist.dtstart.date() == dt.date(2026, 12, 1)
    assert statement.banktranlist.dtend.date() == dt.date(2026, 12, 2)
    with engine.connect() as conn:
        ids = set(
            conn.execute(
                select(orm.transactions.c.id).where(
                    orm.transactions.c.context_id == owner.context_id, orm.transactions.c.occurred_on >= NOV
                )
            ).scalars()
        )
    assert {uuid.UUID(t.fitid) for t in statement.banktranlist} <= ids


async def test_export_refuses_strangers_anonymous_callers_and_bad_parameters(
    app: ApiApp, engine: Engine
) -> None:
    owner = _ledger(engine)
    url = f"/api/v1/contexts/{owner.context_id}/export"
    _, anonymous = await app.asgi_client.get(url)
    assert anonymous.status == 401
    stranger = await token_for(app, new_user(engine))
    _, refused = await app.asgi_client.get(url, headers=bearer(stranger))
    assert refused.status == 403
    assert_error(refused.json, "not_a_member")
    token = await token_for(app, owner)
    for query, parameter in (
        ("?format=xlsx", "format"),
        ("?from=2026-11-31", "from"),
        ("?from=2026-12-01&to=2026-11-01", "from"),
    ):
        _, bad = await app.asgi_client.get(url + query, headers=bearer(token))
        assert bad.status == 400, query
        assert_error(bad.json, "invalid_parameter")
        assert bad.json["error"]["message"].startswith(f"'{parameter}'"), bad.json


def _cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run ``financy ARGS`` here with exactly the ``FINANCY_*`` settings of ``env``; return (code, stderr)."""
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("FINANCY_"):
                mp.delenv(name)
        for name, value in env.items():
            mp.setenv(name, value)
        with contextlib.redirect_stderr(err):
            code = main(list(args))
    return code, err.getvalue()


def test_the_cli_exports_from_the_database_url(engine: Engine, database_url: str, tmp_path: Path) -> None:
    owner = _ledger(engine)
    out = tmp_path / "nov.csv"
    env = {"FINANCY_DATABASE_URL": database_url}
    code, err = _cli(
        "export",
        "--context",
        str(owner.context_id),
        "--format",
        "csv",
        "--from",
        "2026-11-10",
        "--output",
        str(out),
        env=env,
    )
    assert code == 0, err
    assert _csv_rows(out.read_bytes()) == [
        ("2026-11-20", "-12.00", "BRL", "bar"),
        ("2026-12-02", "-7.50", "BRL", "feira"),
    ]
    assert out.stat().st_mode & 0o777 == 0o600

    unknown = str(uuid.uuid4())
    assert _cli("export", "--context", unknown, "--format", "csv", env=env) == (
        2,
        f"financy export: --context: there is no context {unknown}\n",
    )
    assert _cli(
        "export", "--context", str(owner.context_id), "--format", "csv", "--to", "2026-02-30", env=env
    ) == (
        2,
        "financy export: --to: expected a date YYYY-MM-DD, got '2026-02-30'\n",
    )
    code, err = _cli(
        "export",
        "--context",
        str(owner.context_id),
        "--format",
        "csv",
        "--from",
        "2026-12-01",
        "--to",
        "2026-11-01",
        env=env,
    )
    assert (code, err) == (2, "financy export: --from 2026-12-01 is after --to 2026-11-01\n")
    assert _cli("export", "--context", str(owner.context_id), "--format", "csv", env={}) == (
        2,
        "financy export: FINANCY_DATABASE_URL is not set; for a single box add --data-dir BOX\n",
    )


def test_the_cli_writes_to_stdout(
    engine: Engine,
    database_url: str,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = _ledger(engine)
    monkeypatch.setenv("FINANCY_DATABASE_URL", database_url)
    code = main(["export", "--context", str(owner.context_id), "--format", "json", "--to", "2026-11-05"])
    captured = capsysbinary.readouterr()
    assert code == 0, captured.err
    body = json.loads(captured.out)
    assert body["to"] == "2026-11-05"
    assert [(t["amount"], t["merchant"]) for t in body["transactions"]] == [("45.90", "Pão & Cia <centro>")]


def test_the_cli_exports_a_stopped_boxs_ledger_with_data_dir(tmp_path: Path) -> None:
    box = tmp_path / "box"
    postgres = EmbeddedPostgres(box)
    url = ensure_database(postgres.start(), "financy")
    try:
        upgrade(sqlalchemy_url(url))
        box_engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
        try:
            owner = _ledger(box_engine)
        finally:
            box_engine.dispose()
    finally:
        postgres.stop()
    out = tmp_path / "box.ofx"
    code, err = _cli(
        "export",
        "--context",
        str(owner.context_id),
        "--format",
        "ofx",
        "--output",
        str(out),
        "--data-dir",
        str(box),
        env={},
    )
    assert code == 0, err
    tree = OFXTree()
    tree.parse(io.BytesIO(out.read_bytes()))
    (statement,) = tree.convert().statements
    assert [(t.dtposted.date(), t.trnamt) for t in statement.banktranlist] == [
        (dt.date(2026, 11, 3), Decimal("-45.90")),
        (dt.date(2026, 11, 20), Decimal("-12.00")),
        (dt.date(2026, 12, 2), Decimal("-7.50")),
    ]
    assert statement.balance.balamt == Decimal("-65.40")
    assert not (box / "postgres" / "postmaster.pid").exists()  # the server started for it is stopped
