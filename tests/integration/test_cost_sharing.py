"""Splitting costs among a shared ledger's members and settling up, on the real PostgreSQL.

GIVEN Ana, João and Bia writing in one family group (Ana's first message makes the group's
ledger, João and Bia join it) WHEN they record expenses split among them ("paguei 100 do jantar,
divide com o João e a Bia"), ask who owes whom and record a settlement, THEN the balances, the
suggested transfers and what is stored are exact to the cent; an unknown name is asked about
and nothing is recorded. The same ledger through the API: shares by weights and amounts,
balances, settlements, and the refusals.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from financy.bots.common.render import render_reply
from financy.core.adapters import orm
from financy.core.adapters.repositories import SqlContexts
from financy.core.contracts.v1 import (
    CaptureV1,
    CostSplitRequest,
    Intent,
    ProposedTransaction,
    ReplyKind,
    ReplyV1,
    Sender,
    SettlementRequest,
    Understanding,
    idempotency_key,
)
from financy.core.domain.commands import CreateUser
from financy.core.entrypoints.api import ApiApp
from financy.core.service.bootstrap import bootstrap
from financy.edge.pipeline.understand import understand_text
from tests.support.api import Member, assert_error, bearer, token_for
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

#: 12:00 in São Paulo on Sunday 2026-11-29.
NOW = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)
D = Decimal


def person(engine: Engine, display_name: str) -> Member:
    """A login user called ``display_name`` with a dev chat identity of their own."""
    tag = uuid.uuid4().hex[:10]
    username, password, devchat_id = f"user{tag}", f"pw-{tag}-secret", f"dc{tag}"
    user_id = bootstrap(engine=engine).handle(
        CreateUser(
            username=username,
            password=password,
            display_name=display_name,
            locale="pt-BR",
            base_currency="BRL",
            link_platform="devchat",
            link_platform_user_id=devchat_id,
        )
    )
    with engine.connect() as conn:
        context_id = SqlContexts(conn).personal_context_of(user_id)
    assert context_id is not None
    return Member(user_id, username, password, devchat_id, context_id)


def say(
    engine: Engine,
    member: Member,
    group: str,
    understanding: Understanding,
    text: str = "…",
    *,
    message_id: str | None = None,
    amends: str | None = None,
) -> ReplyV1:
    """One message of ``member`` in the dev chat group ``group`` (``amends``: an edit of that
    message), through the real ingest handler."""
    mid = message_id or uuid.uuid4().hex
    capture = CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("devchat", group, mid),
        edge_id="edge-split",
        platform="devchat",
        chat_id=group,
        message_id=mid,
        sender=Sender(platform_user_id=member.devchat_id),
        received_at=NOW,
        text=text,
        understanding=understanding,
        chat_type="group",
        amends=amends,
    )
    reply = ingest(engine, capture)
    assert reply is not None
    return reply


def write(engine: Engine, member: Member, group: str, text: str) -> ReplyV1:
    """``member`` writes ``text`` in the group: the edge's text reader, then the core."""
    understood = understand_text(text, today=NOW.date(), language_hint="pt", currency="BRL")
    return say(engine, member, group, understood, text)


def expense(amount: str, merchant: str, category: str = "restaurants") -> ProposedTransaction:
    return ProposedTransaction(amount=D(amount), merchant=merchant, category=category, days_ago=0)


def split(*transactions: ProposedTransaction, names: tuple[str, ...] = (), **said: Any) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.SPLIT,
        transactions=transactions,
        confidence=0.9,
        cost_split=CostSplitRequest(names=names, **said),
    )


def asked(intent: Intent, **fields: Any) -> Understanding:
    return Understanding(language="pt", intent=intent, confidence=1.0, **fields)


def balances_of(reply: ReplyV1) -> dict[str, str]:
    assert reply.cost_sharing is not None
    return {b.name: str(b.amount) for b in reply.cost_sharing.balances}


def transfers_of(reply: ReplyV1) -> list[tuple[str, str, str]]:
    assert reply.cost_sharing is not None
    return [(t.from_name, t.to_name, str(t.amount)) for t in reply.cost_sharing.transfers]


def group_ledger(engine: Engine, group: str) -> uuid.UUID:
    b = orm.chat_bindings
    with engine.connect() as conn:
        found: uuid.UUID = conn.execute(
            select(b.c.context_id).where(b.c.platform == "devchat", b.c.chat_id == group)
        ).scalar_one()
    return found


def stored_shares(engine: Engine, transaction_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, str | None]]:
    cs = orm.cost_shares
    with engine.connect() as conn:
        rows = conn.execute(
            select(cs.c.user_id, cs.c.amount, cs.c.base_amount).where(cs.c.transaction_id == transaction_id)
        ).all()
    return {
        r.user_id: (f"{r.amount:.2f}", None if r.base_amount is None else f"{r.base_amount:.2f}")
        for r in rows
    }


def count(engine: Engine, table: Any, context_id: uuid.UUID) -> int:
    with engine.connect() as conn:
        found: int = conn.execute(
            select(func.count()).select_from(table).where(table.c.context_id == context_id)
        ).scalar_one()
    return found


def family(engine: Engine) -> tuple[Member, Member, Member, str, uuid.UUID]:
    """Ana, João and Bia in one new group; Ana wrote first (owner), the others joined (editors)."""
    ana, joao, bia = person(engine, "Ana Silva"), person(engine, "João Pereira"), person(engine, "Bia")
    group = f"grp{uuid.uuid4().hex[:10]}"
    for member in (ana, joao, bia):
        assert say(engine, member, group, asked(Intent.SMALL_TALK)).kind is ReplyKind.SMALL_TALK
    return ana, joao, bia, group, group_ledger(engine, group)


# --------------------------------------------------------------------------- chat


def test_three_members_split_costs_see_who_owes_whom_and_settle_up(engine: Engine) -> None:
    ana, joao, bia, group, casa = family(engine)

    dinner = say(engine, ana, group, split(expense("100.00", "jantar"), names=("João", "bia")))
    assert dinner.kind is ReplyKind.COST_SPLIT, dinner.problem
    (tx,) = dinner.transactions
    assert (tx.amount, tx.currency, tx.merchant, tx.occurred_on) == (D("100.00"), "BRL", "jantar", NOW.date())
    assert dinner.cost_sharing is not None
    assert [(s.name, str(s.amount)) for s in dinner.cost_sharing.shares] == [
        ("Ana Silva", "33.34"),  # the payer first: she carries the odd cent
        ("João Pereira", "33.33"),
        ("Bia", "33.33"),
    ]
    assert balances_of(dinner) == {"Ana Silva": "66.66", "João Pereira": "-33.33", "Bia": "-33.33"}
    assert stored_shares(engine, tx.transaction_id) == {
        ana.user_id: ("33.34", "33.34"),
        joao.user_id: ("33.33", "33.33"),
        bia.user_id: ("33.33", "33.33"),
    }

    uber = say(engine, joao, group, split(expense("60", "uber", "transport"), names=("Ana",)))
    assert uber.kind is ReplyKind.COST_SPLIT, uber.problem
    assert [(s.name, str(s.amount)) for s in uber.cost_sharing.shares] == [  # type: ignore[union-attr]
        ("João Pereira", "30.00"),
        ("Ana Silva", "30.00"),
    ]

    owes = say(engine, bia, group, asked(Intent.WHO_OWES))
    assert owes.kind is ReplyKind.WHO_OWES
    assert balances_of(owes) == {"Ana Silva": "36.66", "João Pereira": "-3.33", "Bia": "-33.33"}
    assert transfers_of(owes) == [("Bia", "Ana Silva", "33.33"), ("João Pereira", "Ana Silva", "3.33")]

    paid = say(
        engine, bia, group, asked(Intent.SETTLE, settlement=SettlementRequest(name="ana", amount=D("33.33")))
    )
    assert paid.kind is ReplyKind.SETTLED, paid.problem
    assert paid.cost_sharing is not None
    assert paid.cost_sharing.settlement is not None
    settled = paid.cost_sharing.settlement
    assert (settled.from_name, settled.to_name, settled.amount) == ("Bia", "Ana Silva", D("33.33"))
    assert balances_of(paid) == {"Ana Silva": "3.33", "João Pereira": "-3.33", "Bia": "0.00"}
    assert transfers_of(paid) == [("João Pereira", "Ana Silva", "3.33")]
    st = orm.settlements
    with engine.connect() as conn:
        row = conn.execute(select(st).where(st.c.context_id == casa)).one()
    assert (row.from_user, row.to_user, row.amount, row.currency, row.occurred_on, row.created_by) == (
        bia.user_id,
        ana.user_id,
        D("33.3300"),
        "BRL",
        NOW.date(),
        bia.user_id,
    )

    # Bia records the market, then splits it with everyone: 90 in three
    assert (
        say(
            engine,
            bia,
            group,
            Understanding(
                language="pt",
                intent=Intent.RECORD,
                transactions=(expense("90", "mercado", "groceries"),),
                confidence=0.9,
            ),
        ).kind
        is ReplyKind.RECORDED
    )
    market = say(engine, bia, group, split(everyone=True))
    assert market.kind is ReplyKind.COST_SPLIT, market.problem
    assert [str(s.amount) for s in market.cost_sharing.shares] == ["30.00", "30.00", "30.00"]  # type: ignore[union-attr]
    assert balances_of(market) == {"Ana Silva": "-26.67", "João Pereira": "-33.33", "Bia": "60.00"}
    assert transfers_of(market) == [
        ("João Pereira", "Bia", "33.33"),
        ("Ana Silva", "Bia", "26.67"),
    ]
    # Ana undoes her dinner: it counts no more
    assert say(engine, ana, group, asked(Intent.UNDO)).kind is ReplyKind.UNDONE
    after = say(engine, joao, group, asked(Intent.WHO_OWES))
    assert balances_of(after) == {"Ana Silva": "-93.33", "João Pereira": "0.00", "Bia": "93.33"}
    assert transfers_of(after) == [("Ana Silva", "Bia", "93.33")]
    assert count(engine, orm.transactions, casa) == 3
    assert count(engine, orm.cost_shares, casa) == 3 + 2 + 3


def test_an_unknown_or_ambiguous_name_is_asked_about_and_nothing_is_recorded(engine: Engine) -> None:
    _ana, joao, _bia, group, casa = family(engine)
    ana2 = person(engine, "Ana Paula")
    say(engine, ana2, group, asked(Intent.SMALL_TALK))
    before = count(engine, orm.transactions, casa)
    unknown = say(engine, joao, group, split(expense("120", "jantar"), names=("Carla",)))
    assert (unknown.kind, unknown.problem, unknown.asked_about) == (
        ReplyKind.COST_SPLIT_QUESTION,
        "unknown_name",
        "Carla",
    )
    ambiguous = say(engine, joao, group, split(expense("120", "jantar"), names=("ana",)))
    assert (ambiguous.kind, ambiguous.problem, ambiguous.asked_about) == (
        ReplyKind.COST_SPLIT_QUESTION,
        "ambiguous_name",
        "ana",
    )
    whole = say(engine, joao, group, split(expense("120", "jantar"), names=("Ana Paula",)))
    assert whole.kind is ReplyKind.COST_SPLIT
    assert [s.name for s in whole.cost_sharing.shares] == ["João Pereira", "Ana Paula"]  # type: ignore[union-attr]
    ways = say(engine, joao, group, split(expense("120", "jantar"), ways=3))
    assert (ways.kind, ways.problem) == (ReplyKind.COST_SPLIT_QUESTION, "ways_mismatch")  # four members
    alone = say(engine, joao, group, split(expense("120", "jantar"), names=("joão",)))
    assert (alone.kind, alone.problem) == (ReplyKind.COST_SPLIT_QUESTION, "nobody_to_split_with")
    self_settle = say(
        engine, joao, group, asked(Intent.SETTLE, settlement=SettlementRequest(name="João", amount=D(5)))
    )
    assert (self_settle.kind, self_settle.problem) == (ReplyKind.COST_SPLIT_QUESTION, "settle_self")
    assert count(engine, orm.transactions, casa) == before + 1
    assert count(engine, orm.settlements, casa) == 0


# --------------------------------------------------------------------------- API


async def call(
    app: ApiApp, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {"headers": bearer(token)}
    if body is not None:
        kwargs["json"] = body
    _, response = await app.asgi_client.request(method, path, **kwargs)
    return response.status, (response.json if response.body else None)


def parts_of(body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """The payer's part first, then the others by name."""
    first, *others = body["items"]
    rest = sorted(others, key=lambda p: p["name"])
    return [(p["name"], p["amount"], p["base_amount"]) for p in (first, *rest)]


def owed(body: dict[str, Any]) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    return (
        {b["name"]: b["balance"] for b in body["items"]},
        [(t["from_name"], t["to_name"], t["amount"]) for t in body["transfers"]],
    )


async def test_the_api_shares_a_cost_by_weights_and_amounts_and_records_settlements(
    app: ApiApp, engine: Engine
) -> None:
    ana, joao, bia, group, casa = family(engine)
    dinner = say(engine, ana, group, split(expense("100.00", "jantar"), names=("João", "Bia")))
    tx_id = dinner.transactions[0].transaction_id
    ana_token, bia_token = await token_for(app, ana), await token_for(app, bia)
    base = f"/api/v1/contexts/{casa}"
    shares_url = f"{base}/transactions/{tx_id}/shares"

    status, got = await call(app, "GET", shares_url, bia_token)
    assert status == 200, got
    assert (got["transaction_id"], got["paid_by"], got["currency"]) == (str(tx_id), str(ana.user_id), "BRL")
    assert parts_of(got) == [
        ("Ana Silva", "33.34", "33.34"),
        ("Bia", "33.33", "33.33"),
        ("João Pereira", "33.33", "33.33"),
    ]
    status, balances = await call(app, "GET", f"{base}/balances", bia_token)
    assert status == 200, balances
    assert balances["currency"] == "BRL"
    assert balances["unvalued"] == 0
    assert owed(balances) == (
        {"Ana Silva": "66.66", "João Pereira": "-33.33", "Bia": "-33.33"},
        [("João Pereira", "Ana Silva", "33.33"), ("Bia", "Ana Silva", "33.33")],
    )

    # by weights, 2:1 between Ana and João: Bia shares no more
    weights = {
        "mode": "shares",
        "members": [
            {"user_id": str(joao.user_id), "shares": "1"},
            {"user_id": str(ana.user_id), "shares": "2"},
        ],
    }
    status, got = await call(app, "POST", shares_url, ana_token, weights)
    assert status == 200, got
    assert parts_of(got) == [("Ana Silva", "66.67", "66.67"), ("João Pereira", "33.33", "33.33")]
    assert owed(got["balances"]) == (
        {"Ana Silva": "33.33", "João Pereira": "-33.33", "Bia": "0.00"},
        [("João Pereira", "Ana Silva", "33.33")],
    )

    # by amounts: they must add up to the 100.00
    short = {
        "mode": "amounts",
        "members": [
            {"user_id": str(ana.user_id), "amount": "50"},
            {"user_id": str(bia.user_id), "amount": "40"},
        ],
    }
    status, error = await call(app, "POST", shares_url, ana_token, short)
    assert status == 422, error
    assert_error(error, "cost_split_mismatch")
    assert "10.00 short of the total 100.00 BRL" in error["error"]["message"]
    amounts = {
        "mode": "amounts",
        "members": [
            {"user_id": str(ana.user_id), "amount": "40"},
            {"user_id": str(bia.user_id), "amount": "60.00"},
        ],
    }
    status, got = await call(app, "POST", shares_url, ana_token, amounts)
    assert status == 200, got
    assert parts_of(got) == [("Ana Silva", "40.00", "40.00"), ("Bia", "60.00", "60.00")]
    assert owed(got["balances"]) == (
        {"Ana Silva": "60.00", "João Pereira": "0.00", "Bia": "-60.00"},
        [("Bia", "Ana Silva", "60.00")],
    )

    # Bia pays Ana 25.50
    body = {"to_user": str(ana.user_id), "amount": "25.50", "occurred_on": "2026-11-30", "note": "pix"}
    status, paid = await call(app, "POST", f"{base}/settlements", bia_token, body)
    assert status == 201, paid
    assert {k: paid[k] for k in ("from_user", "from_name", "to_user", "to_name", "amount", "currency")} == {
        "from_user": str(bia.user_id),
        "from_name": "Bia",
        "to_user": str(ana.user_id),
        "to_name": "Ana Silva",
        "amount": "25.50",
        "currency": "BRL",
    }
    assert (paid["occurred_on"], paid["created_by"], paid["note"]) == ("2026-11-30", str(bia.user_id), "pix")
    assert owed(paid["balances"]) == (
        {"Ana Silva": "34.50", "João Pereira": "0.00", "Bia": "-34.50"},
        [("Bia", "Ana Silva", "34.50")],
    )
    status, listed = await call(app, "GET", f"{base}/settlements", ana_token)
    assert status == 200
    assert [(s["id"], s["from_name"], s["to_name"], s["amount"]) for s in listed["items"]] == [
        (paid["id"], "Bia", "Ana Silva", "25.50")
    ]

    # not shared any more: only the settlement moves balances
    status, _ = await call(app, "DELETE", shares_url, ana_token)
    assert status == 204
    status, got = await call(app, "GET", shares_url, ana_token)
    assert got["items"] == []
    status, balances = await call(app, "GET", f"{base}/balances", ana_token)
    assert owed(balances) == (
        {"Ana Silva": "-25.50", "João Pereira": "0.00", "Bia": "25.50"},
        [("Ana Silva", "Bia", "25.50")],
    )
    events = orm.events
    with engine.connect() as conn:
        names = list(
            conn.execute(
                select(events.c.name)
                .where(
                    events.c.context_id == casa,
                    events.c.name.in_(["transaction.shared", "settlement.recorded"]),
                )
                .order_by(events.c.id)
            ).scalars()
        )
    assert names == ["transaction.shared"] * 3 + ["settlement.recorded", "transaction.shared"]


async def test_the_api_refuses_bad_shares_and_settlements_and_changes_nothing(
    app: ApiApp, engine: Engine
) -> None:
    ana, joao, bia, group, casa = family(engine)
    outsider = person(engine, "Carla")
    dinner = say(engine, ana, group, split(expense("90.00", "jantar"), names=("João",)))
    tx_id = dinner.transactions[0].transaction_id
    token = await token_for(app, ana)
    base = f"/api/v1/contexts/{casa}"
    shares_url = f"{base}/transactions/{tx_id}/shares"
    ana_part = {"user_id": str(ana.user_id)}
    refused = [
        (
            shares_url,
            {"mode": "equal", "members": [ana_part, {"user_id": str(outsider.user_id)}]},
            400,
            "unknown_member",
        ),
        (shares_url, {"mode": "shares", "members": [{**ana_part, "shares": "0"}]}, 400, "invalid_cost_split"),
        (shares_url, {"mode": "shares", "members": [ana_part]}, 400, "bad_request"),
        (shares_url, {"mode": "equal", "members": [ana_part, ana_part]}, 400, "invalid_cost_split"),
        (shares_url, {"mode": "amounts", "members": [{**ana_part, "amount": 90}]}, 400, "bad_request"),
        (
            shares_url,
            {"mode": "amounts", "members": [{**ana_part, "amount": "90.001"}]},
            400,
            "too_many_decimals",
        ),
        (shares_url, {"mode": "thirds", "members": [ana_part]}, 400, "bad_request"),
        (
            f"{base}/transactions/{uuid.uuid4()}/shares",
            {"mode": "equal", "members": [ana_part]},
            404,
            "not_found",
        ),
        (f"{base}/settlements", {"to_user": str(ana.user_id), "amount": "10"}, 400, "same_member"),
        (f"{base}/settlements", {"to_user": str(outsider.user_id), "amount": "10"}, 400, "unknown_member"),
        (
            f"{base}/settlements",
            {"to_user": str(bia.user_id), "amount": "10", "currency": "USD"},
            400,
            "settlement_currency",
        ),
        (f"{base}/settlements", {"to_user": str(bia.user_id), "amount": "0"}, 400, "invalid_amount"),
        (f"{base}/settlements", {"to_user": str(bia.user_id), "amount": "1.001"}, 400, "too_many_decimals"),
        (f"{base}/settlements", {"to_user": str(bia.user_id), "amount": "1", "extra": 1}, 400, "bad_request"),
    ]
    for url, body, status, code in refused:
        got_status, error = await call(app, "POST", url, token, body)
        assert got_status == status, (body, error)
        assert_error(error, code)
    assert stored_shares(engine, tx_id) == {ana.user_id: ("45.00", "45.00"), joao.user_id: ("45.00", "45.00")}
    assert count(engine, orm.settlements, casa) == 0
    status, error = await call(app, "GET", f"{base}/balances", await token_for(app, outsider))
    assert status == 403
    assert_error(error, "not_a_member")


def test_the_chat_texts_split_ask_who_owes_whom_and_settle(engine: Engine) -> None:
    """The same through the edge's text reader: what people type in the group."""
    ana, joao, bia, group, casa = family(engine)

    dinner = write(engine, ana, group, "paguei 120 do jantar, divide com o João")
    assert dinner.kind is ReplyKind.COST_SPLIT, dinner.problem
    (tx,) = dinner.transactions
    assert (tx.amount, tx.merchant, tx.category) == (D("120"), "jantar", "restaurants")
    assert stored_shares(engine, tx.transaction_id) == {
        ana.user_id: ("60.00", "60.00"),
        joao.user_id: ("60.00", "60.00"),
    }
    pizza = write(engine, joao, group, "split 90 pizza with Ana and Bia")
    assert pizza.kind is ReplyKind.COST_SPLIT, pizza.problem
    assert [(s.name, str(s.amount)) for s in pizza.cost_sharing.shares] == [  # type: ignore[union-attr]
        ("João Pereira", "30.00"),
        ("Ana Silva", "30.00"),
        ("Bia", "30.00"),
    ]
    owes = write(engine, bia, group, "quem deve quem?")
    assert owes.kind is ReplyKind.WHO_OWES
    assert balances_of(owes) == {"Ana Silva": "30.00", "João Pereira": "0.00", "Bia": "-30.00"}
    assert render_reply(owes) == (
        "💸 Quem deve quem:\n• Bia paga R$ 30,00 para Ana Silva\nJá pagou? Diga, por exemplo: /acertar Ana Silva 30,00"
    )
    paid = write(engine, bia, group, "/acertar Ana Silva 30,00")
    assert paid.kind is ReplyKind.SETTLED, paid.problem
    assert balances_of(paid) == {"Ana Silva": "0.00", "João Pereira": "0.00", "Bia": "0.00"}
    assert transfers_of(paid) == []

    # "uber 30", then "dividido por 3": the last one is split among the three members
    assert write(engine, ana, group, "uber 30").kind is ReplyKind.RECORDED
    thirds = write(engine, ana, group, "dividido por 3")
    assert thirds.kind is ReplyKind.COST_SPLIT, thirds.problem
    assert [t.merchant for t in thirds.transactions] == ["uber"]
    assert balances_of(thirds) == {"Ana Silva": "20.00", "João Pereira": "-10.00", "Bia": "-10.00"}
    owes_en = write(engine, joao, group, "who owes whom?")
    assert transfers_of(owes_en) == [("João Pereira", "Ana Silva", "10.00"), ("Bia", "Ana Silva", "10.00")]

    before = count(engine, orm.transactions, casa)
    unknown = write(engine, joao, group, "paguei 50 do cinema, divide com a Carla")
    assert (unknown.kind, unknown.problem, unknown.asked_about) == (
        ReplyKind.COST_SPLIT_QUESTION,
        "unknown_name",
        "Carla",
    )
    assert count(engine, orm.transactions, casa) == before
    # paying Ana is an expense (she may be the cleaner): settling up is always /acertar
    cleaner = write(engine, ana, group, "paguei 60 pra Ana")
    assert cleaner.kind is ReplyKind.RECORDED
    assert count(engine, orm.settlements, casa) == 1


async def test_an_edited_split_message_amends_the_expense_and_its_parts_follow(
    app: ApiApp, engine: Engine
) -> None:
    ana, joao, _bia, group, casa = family(engine)
    said = split(expense("100.00", "jantar"), names=("João",))
    first = say(engine, ana, group, said, message_id="m-dinner")
    assert first.kind is ReplyKind.COST_SPLIT
    tx_id = first.transactions[0].transaction_id
    edited = say(engine, ana, group, split(expense("150.00", "jantar"), names=("João",)), amends="m-dinner")
    assert edited.kind is ReplyKind.AMENDED, edited.problem
    assert [(t.transaction_id, t.amount) for t in edited.transactions] == [(tx_id, D("150.00"))]
    owes = say(engine, joao, group, asked(Intent.WHO_OWES))
    assert balances_of(owes) == {"Ana Silva": "75.00", "João Pereira": "-75.00", "Bia": "0.00"}
    status, got = await call(
        app, "GET", f"/api/v1/contexts/{casa}/transactions/{tx_id}/shares", await token_for(app, joao)
    )
    assert status == 200
    assert parts_of(got) == [("Ana Silva", "75.00", "75.00"), ("João Pereira", "75.00", "75.00")]
    assert count(engine, orm.transactions, casa) == 1
