"""Card bills and instalments on a real PostgreSQL: a card set up from a chat, "em 10x no cartão"
recorded through the ingest path as ten postings in their bills, "/fatura" showing them, budgets
counting each instalment in the month its bill is due, and the cards API.

The chats are received on Sunday 2026-11-29 (noon in São Paulo). Card Nubank closes on the 5th
and is due on the 12th: a purchase on 29 November is in the bill closing 5 December.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from financy.bots.common.render import render_reply
from financy.core.adapters import orm
from financy.core.adapters.repositories import SqlBudgets
from financy.core.contracts.v1 import (
    CardRequest,
    Intent,
    LedgerQuery,
    ProposedTransaction,
    ReplyKind,
    ReplyV1,
)
from financy.core.domain.budgets import Spent
from financy.core.entrypoints.api import ApiApp
from financy.edge.pipeline.understand import understand_text
from tests.support.api import Member, assert_error, bearer, chat, new_user, token_for
from tests.support.captures import NOW, dev_capture, said
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

D = dt.date


def on_card(
    amount: str, day: dt.date, merchant: str, category: str, installments: int | None = None
) -> ProposedTransaction:
    return ProposedTransaction(
        amount=Decimal(amount),
        occurred_on=day,
        merchant=merchant,
        category=category,
        payment_method="credit",
        installments=installments,
    )


def set_card(engine: Engine, member: Member, name: str, closing: int, due: int) -> ReplyV1:
    card = CardRequest(name=name, closing_day=closing, due_day=due)
    reply = ingest(engine, dev_capture(member.devchat_id, said(Intent.CARD, card=card)))
    assert reply is not None
    return reply


def fatura(engine: Engine, member: Member, at: dt.datetime = NOW) -> ReplyV1:
    question = said(Intent.QUERY, query=LedgerQuery(ask="card_bill"))
    reply = ingest(engine, dev_capture(member.devchat_id, question, at=at))
    assert reply is not None
    return reply


def a_month_of_purchases(engine: Engine, member: Member) -> None:
    """A TV in 10x and a market run on the card in November, one on 3 November (the bill closing
    5 November), a shop on 20 October (the same bill) and a market run paid otherwise."""
    chat(engine, member, on_card("2000", D(2026, 11, 29), "tv", "shopping", 10))
    chat(engine, member, on_card("100", D(2026, 11, 10), "mercado", "groceries"))
    chat(engine, member, on_card("80", D(2026, 11, 3), "mercado", "groceries"))
    chat(engine, member, on_card("90", D(2026, 10, 20), "loja", "shopping"))
    cash = ProposedTransaction(
        amount=Decimal(50), occurred_on=D(2026, 11, 20), merchant="feira", category="groceries"
    )
    chat(engine, member, cash)


def test_ten_instalments_are_ten_postings_in_their_bills_and_the_purchase_stays_whole(engine: Engine) -> None:
    member = new_user(engine)
    reply = set_card(engine, member, "Nubank", 5, 12)
    assert (reply.kind, reply.problem, [(c.name, c.is_default) for c in reply.cards]) == (
        ReplyKind.CARD_SET, None, [("Nubank", True)],
    )  # fmt: skip
    recorded = chat(engine, member, on_card("2000", D(2026, 11, 29), "tv", "shopping", 10))
    assert recorded.kind is ReplyKind.RECORDED
    (tx_id,) = [t.transaction_id for t in recorded.transactions]
    tx, p = orm.transactions, orm.postings
    with engine.connect() as conn:
        stored = conn.execute(
            select(tx.c.amount, tx.c.occurred_on, tx.c.installments, tx.c.payment_method).where(
                tx.c.id == tx_id
            )
        ).one()
        postings = conn.execute(
            select(p.c.number, p.c.of, p.c.amount, p.c.base_amount, p.c.bill_month)
            .where(p.c.transaction_id == tx_id)
            .order_by(p.c.number)
        ).all()
        billed = conn.execute(
            select(orm.events.c.after).where(
                orm.events.c.name == "transaction.billed", orm.events.c.entity_id == tx_id
            )
        ).scalar_one()
    assert tuple(stored) == (Decimal("2000.0000"), D(2026, 11, 29), 10, "credit")
    assert [tuple(r) for r in postings] == [
        (k + 1, 10, Decimal("200.0000"), Decimal("200.0000"), D(2026 + (11 + k) // 12, (11 + k) % 12 + 1, 1))
        for k in range(10)
    ]
    assert postings[0].bill_month == D(2026, 12, 1)
    assert postings[-1].bill_month == D(2027, 9, 1)
    assert billed["card_id"] == str(reply.cards[0].card_id)
    assert billed["postings"][0] == {"number": 1, "amount": "200.00", "bill_month": "2026-12-01"}

    odd = chat(engine, member, on_card("100", D(2026, 11, 29), "ifood", "restaurants", 3))
    with engine.connect() as conn:
        amounts = conn.execute(
            select(p.c.amount)
            .where(p.c.transaction_id == odd.transactions[0].transaction_id)
            .order_by(p.c.number)
        ).scalars()
        assert list(amounts) == [Decimal("33.3400"), Decimal("33.3300"), Decimal("33.3300")]


def test_fatura_shows_the_open_bill_and_the_next_ones_and_the_closed_one_until_it_is_due(
    engine: Engine,
) -> None:
    member = new_user(engine)
    none = fatura(engine, member)
    assert (none.kind, none.problem, none.card_bills) == (ReplyKind.CARD_BILL, "no_card", ())
    set_card(engine, member, "Nubank", 5, 12)
    a_month_of_purchases(engine, member)

    reply = fatura(engine, member)
    assert (reply.kind, reply.problem) == (ReplyKind.CARD_BILL, None)
    bills = [(b.status, b.closing_on, b.due_on, b.total, b.count) for b in reply.card_bills]
    assert bills == [
        ("open", D(2026, 12, 5), D(2026, 12, 12), Decimal("300.00"), 2),
        *[
            ("future", D(2027, m, 5), D(2027, m, 12), Decimal("200.00"), 1)
            for m in range(1, 10)  # instalments 2..10, January to September
        ],
    ]
    lines = [(x.merchant, x.occurred_on, x.number, x.of, x.amount) for x in reply.card_bills[0].lines]
    assert lines == [
        ("mercado", D(2026, 11, 10), 1, 1, Decimal("100.00")),
        ("tv", D(2026, 11, 29), 1, 10, Decimal("200.00")),
    ]
    assert [(x.merchant, x.number, x.of) for x in reply.card_bills[-1].lines] == [("tv", 10, 10)]

    # On 8 December the December bill has closed and is not yet due; January's is open.
    later = fatura(engine, member, at=dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC))
    assert [(b.status, b.due_on, b.total) for b in later.card_bills[:3]] == [
        ("closed", D(2026, 12, 12), Decimal("300.00")),
        ("open", D(2027, 1, 12), Decimal("200.00")),
        ("future", D(2027, 2, 12), Decimal("200.00")),
    ]
    # On 4 November the bill closing the next day holds the shop of 20 October and the 3 November run.
    before = fatura(engine, member, at=dt.datetime(2026, 11, 4, 15, 0, tzinfo=dt.UTC))
    first = before.card_bills[0]
    assert (first.status, first.closing_on, first.total, [x.merchant for x in first.lines]) == (
        "open", D(2026, 11, 5), Decimal("170.00"), ["loja", "mercado"],
    )  # fmt: skip


async def call(app: ApiApp, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {"headers": bearer(token)}
    if body is not None:
        kwargs["json"] = body
    _, response = await getattr(app.asgi_client, method)(path, **kwargs)
    return response.status, (response.json if response.body else None)


async def test_budgets_count_each_instalment_in_the_month_its_bill_is_due(
    app: ApiApp, engine: Engine
) -> None:
    member = new_user(engine)
    set_card(engine, member, "Nubank", 5, 12)
    a_month_of_purchases(engine, member)
    token = await token_for(app, member)
    base = f"/api/v1/contexts/{member.context_id}/budgets"
    assert (await call(app, "post", base, token, {"amount": "3000"}))[0] == 201
    assert (await call(app, "post", base, token, {"amount": "500", "category": "groceries"}))[0] == 201
    assert (await call(app, "post", base, token, {"amount": "400", "category": "shopping"}))[0] == 201

    spent = {}
    for month in ("2026-10", "2026-11", "2026-12", "2027-01", "2027-09", "2027-10"):
        status, body = await call(app, "get", f"{base}?month={month}", token)
        assert status == 200
        assert [(b["scope"], b["category"]) for b in body["items"]] == [
            ("ledger", None), ("category", "groceries"), ("category", "shopping"),
        ]  # fmt: skip
        spent[month] = [(b["spent"], b["count"]) for b in body["items"]]
    # The shop of 20 October is billed in November; the TV's 10 instalments December to September.
    # (whole ledger, groceries, shopping)
    assert spent["2026-10"] == [("0.00", 0), ("0.00", 0), ("0.00", 0)]
    assert spent["2026-11"] == [("220.00", 3), ("130.00", 2), ("90.00", 1)]
    assert spent["2026-12"] == [("300.00", 2), ("100.00", 1), ("200.00", 1)]
    assert spent["2027-01"] == [("200.00", 1), ("0.00", 0), ("200.00", 1)]
    assert spent["2027-09"] == spent["2027-01"]
    assert spent["2027-10"] == spent["2026-10"]

    # Over months read from the rollup (October to March), the same rule.
    with engine.connect() as conn:
        rows = SqlBudgets(conn).spent(
            member.context_id, date_from=D(2026, 10, 1), date_to=D(2027, 3, 31), currency="BRL"
        )
    assert sorted(rows, key=lambda s: s.category or "") == [
        Spent("groceries", Decimal("230.0000"), 3, 0),
        Spent("shopping", Decimal("890.0000"), 5, 0),
    ]


async def test_the_cards_api_sets_up_lists_and_shows_bills(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    token = await token_for(app, member)
    base = f"/api/v1/contexts/{member.context_id}/cards"
    status, nubank = await call(app, "post", base, token, {"name": "Nubank", "closing_day": 5, "due_day": 12})
    assert status == 201, nubank
    assert {k: nubank[k] for k in ("name", "closing_day", "due_day", "is_default")} == {
        "name": "Nubank", "closing_day": 5, "due_day": 12, "is_default": True,
    }  # fmt: skip
    a_month_of_purchases(engine, member)
    status, changed = await call(
        app, "post", base, token, {"name": "NUBANK ", "closing_day": 5, "due_day": 12}
    )
    assert (status, changed["id"], changed["name"]) == (200, nubank["id"], "NUBANK")
    status, inter = await call(
        app, "post", base, token, {"name": "Inter", "closing_day": 31, "due_day": 8, "is_default": True}
    )
    assert (status, inter["is_default"]) == (201, True)
    status, listed = await call(app, "get", base, token)
    assert [(c["name"], c["is_default"]) for c in listed["items"]] == [("Inter", True), ("NUBANK", False)]

    status, body = await call(app, "get", f"{base}/{nubank['id']}/bills?from=2026-11&months=3", token)
    assert status == 200, body
    assert body["card"]["id"] == nubank["id"]
    shown = [(b["month"], b["closing_on"], b["due_on"], b["total"], b["count"]) for b in body["items"]]
    assert shown == [
        ("2026-11", "2026-11-05", "2026-11-12", "170.00", 2),
        ("2026-12", "2026-12-05", "2026-12-12", "300.00", 2),
        ("2027-01", "2027-01-05", "2027-01-12", "200.00", 1),
    ]
    lines = [
        (x["merchant"], x["occurred_on"], x["number"], x["of"], x["amount"], x["currency"])
        for x in body["items"][1]["lines"]
    ]
    assert lines == [
        ("mercado", "2026-11-10", 1, 1, "100.00", "BRL"),
        ("tv", "2026-11-29", 1, 10, "200.00", "BRL"),
    ]
    status, empty = await call(app, "get", f"{base}/{inter['id']}/bills?from=2027-02&months=1", token)
    assert [(b["closing_on"], b["due_on"], b["total"], b["lines"]) for b in empty["items"]] == [
        ("2027-01-31", "2027-02-08", "0.00", []),
    ]

    status, refused = await call(app, "post", base, token, {"name": "   ", "closing_day": 5, "due_day": 12})
    assert status == 400
    assert_error(refused, "invalid_card")
    status, refused = await call(app, "post", base, token, {"name": "C6", "closing_day": 32, "due_day": 12})
    assert status == 400
    assert_error(refused, "bad_request")
    status, missing = await call(app, "get", f"{base}/{uuid.uuid4()}/bills", token)
    assert status == 404
    assert_error(missing, "not_found")
    for query, name in (("from=2026-13", "from"), ("months=0", "months"), ("months=25", "months")):
        status, bad = await call(app, "get", f"{base}/{nubank['id']}/bills?{query}", token)
        assert status == 400, query
        assert_error(bad, "invalid_parameter")
        assert bad["error"]["message"].startswith(f"'{name}': "), bad


async def test_a_viewer_reads_cards_but_may_not_set_one_up(app: ApiApp, engine: Engine) -> None:
    owner, viewer = new_user(engine), new_user(engine)
    with engine.begin() as conn:
        conn.execute(
            orm.members.insert().values(context_id=owner.context_id, user_id=viewer.user_id, role="viewer")
        )
    base = f"/api/v1/contexts/{owner.context_id}/cards"
    owner_token, viewer_token = await token_for(app, owner), await token_for(app, viewer)
    assert (await call(app, "post", base, owner_token, {"name": "Nubank", "closing_day": 5, "due_day": 12}))[
        0
    ] == 201
    status, refused = await call(
        app, "post", base, viewer_token, {"name": "Inter", "closing_day": 1, "due_day": 8}
    )
    assert status == 403
    assert_error(refused, "forbidden")
    status, listed = await call(app, "get", base, viewer_token)
    assert (status, [c["name"] for c in listed["items"]]) == (200, ["Nubank"])


def test_from_the_chat_text_to_the_rendered_bill(engine: Engine) -> None:
    """GIVEN what a person types, read by the edge's text reader WHEN it goes through the core's
    ingest on PostgreSQL THEN the bot's answers are the card set up and the bills, to the cent."""
    member = new_user(engine)

    def say(text: str) -> str:
        understanding = understand_text(text, today=NOW.date(), language_hint="pt", currency="BRL")
        reply = ingest(engine, dev_capture(member.devchat_id, understanding, text=text))
        assert reply is not None
        return render_reply(reply)

    assert say("/fatura").startswith("💳 Você ainda não tem um cartão cadastrado.")
    assert say("/cartao Nubank fecha 5 vence 12").splitlines()[0] == (
        "💳 Cartão Nubank cadastrado: fecha dia 5, vence dia 12."
    )
    assert say("comprei uma tv de 2000 em 10x no cartão").startswith("✅ R$ 2.000,00 · tv")
    assert say("gastei 100 no ifood em 3x no cartão").startswith("✅ R$ 100,00 · ifood")
    bill = say("quanto tá a fatura do cartão?").splitlines()
    assert bill[:9] == [
        "💳 Nubank (fecha dia 5, vence dia 12)",
        "Fatura aberta — fecha 05/12, vence 12/12: R$ 233,34",
        "  • tv 1/10 — R$ 200,00",
        "  • ifood 1/3 — R$ 33,34",
        "Fatura de 12/01/2027: R$ 233,33",
        "  • tv 2/10 — R$ 200,00",
        "  • ifood 2/3 — R$ 33,33",
        "Fatura de 12/02/2027: R$ 233,33",
        "  • tv 3/10 — R$ 200,00",
    ]
    assert bill[-2:] == ["Fatura de 12/09/2027: R$ 200,00", "  • tv 10/10 — R$ 200,00"]
    assert len(bill) == 1 + 10 * 2 + 3  # the head, ten bills with the tv, three with the ifood too


def postings_of(
    engine: Engine, transaction_id: uuid.UUID
) -> list[tuple[int, Decimal, Decimal | None, dt.date]]:
    p = orm.postings
    with engine.connect() as conn:
        rows = conn.execute(
            select(p.c.number, p.c.amount, p.c.base_amount, p.c.bill_month)
            .where(p.c.transaction_id == transaction_id)
            .order_by(p.c.number)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_an_edited_card_purchase_moves_its_instalments_and_a_foreign_one_gets_its_value(
    app: ApiApp, engine: Engine
) -> None:
    member = new_user(engine)
    set_card(engine, member, "Nubank", 5, 12)
    (tv,) = chat(engine, member, on_card("2000", D(2026, 11, 29), "tv", "shopping", 10)).transactions
    token = await token_for(app, member)
    path = f"/api/v1/contexts/{member.context_id}/transactions/{tv.transaction_id}"

    assert (await call(app, "patch", path, token, {"amount": "3000"}))[0] == 200
    moved = postings_of(engine, tv.transaction_id)
    assert [(n, a, b) for n, a, b, _ in moved] == [
        (k, Decimal("300.0000"), Decimal("300.0000")) for k in range(1, 11)
    ]
    assert (moved[0][3], moved[-1][3]) == (D(2026, 12, 1), D(2027, 9, 1))
    assert (await call(app, "patch", path, token, {"occurred_on": "2026-12-05"}))[0] == 200
    moved = postings_of(engine, tv.transaction_id)
    assert (len(moved), moved[0][3], moved[-1][3]) == (10, D(2027, 1, 1), D(2027, 10, 1))
    assert (await call(app, "patch", path, token, {"payment_method": "pix"}))[0] == 200
    assert postings_of(engine, tv.transaction_id) == []
    assert (await call(app, "patch", path, token, {"payment_method": "credit"}))[0] == 200
    assert len(postings_of(engine, tv.transaction_id)) == 10  # on the card again, in ten instalments

    foreign = ProposedTransaction(
        amount=Decimal("20"), currency="USD", occurred_on=D(2026, 11, 20), merchant="amazon",
        category="shopping", payment_method="credit", installments=2,
    )  # fmt: skip
    (usd,) = chat(engine, member, foreign).transactions
    fx = f"/api/v1/contexts/{member.context_id}/transactions/{usd.transaction_id}/fx"
    status, body = await call(app, "put", fx, token, {"rate": "5.5"})
    assert status == 200, body
    assert postings_of(engine, usd.transaction_id) == [
        (1, Decimal("10.0000"), Decimal("55.0000"), D(2026, 12, 1)),
        (2, Decimal("10.0000"), Decimal("55.0000"), D(2027, 1, 1)),
    ]
    december = fatura(engine, member).card_bills[0]
    assert [(x.merchant, x.number, x.of, x.amount, x.currency) for x in december.lines] == [
        ("amazon", 1, 2, Decimal("55.00"), "BRL"),
    ]


async def test_a_card_purchase_added_through_the_api_is_billed_too(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    token = await token_for(app, member)
    base = f"/api/v1/contexts/{member.context_id}/transactions"
    body = {"kind": "expense", "amount": "150.00", "currency": "BRL", "occurred_on": "2026-11-29",
            "merchant": "farmácia", "category": "health", "payment_method": "credit"}  # fmt: skip
    status, before = await call(app, "post", base, token, body)
    assert status == 201, before
    assert postings_of(engine, uuid.UUID(before["id"])) == []  # no card yet: nothing to bill
    set_card(engine, member, "Nubank", 5, 12)
    status, created = await call(app, "post", base, token, body)
    assert status == 201, created
    assert postings_of(engine, uuid.UUID(created["id"])) == [
        (1, Decimal("150.0000"), Decimal("150.0000"), D(2026, 12, 1)),
    ]
    status, pix = await call(app, "post", base, token, {**body, "payment_method": "pix"})
    assert postings_of(engine, uuid.UUID(pix["id"])) == []
    december = fatura(engine, member).card_bills[0]
    assert [(x.merchant, x.amount) for x in december.lines] == [("farmácia", Decimal("150.00"))]


async def test_a_card_purchase_alerts_the_budget_of_the_month_its_bill_is_due(
    app: ApiApp, engine: Engine
) -> None:
    member = new_user(engine)
    set_card(engine, member, "Nubank", 5, 12)
    token = await token_for(app, member)
    base = f"/api/v1/contexts/{member.context_id}/budgets"
    assert (await call(app, "post", base, token, {"amount": "400", "category": "shopping"}))[0] == 201
    first = chat(engine, member, on_card("2000", D(2026, 11, 29), "tv", "shopping", 10))
    assert first.budget_alerts == ()  # 200 of 400 in December, nothing in November
    second = chat(engine, member, on_card("150", D(2026, 11, 30), "loja", "shopping"))
    assert [
        (a.threshold, a.status.month, a.status.spent, a.status.percent) for a in second.budget_alerts
    ] == [
        (80, D(2026, 12, 1), Decimal("350.00"), 87),
    ]
