"""Budgets on a real PostgreSQL: the API's CRUD with spent and left, a budget set by a chat phrase
through the ingest path, and an alert sent once to the ledger's chat even when the capture that
crossed it is delivered twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
import redis.asyncio as aioredis
from sqlalchemy import Engine, insert, text

from financy.core.adapters import orm
from financy.core.adapters.repositories import SqlTransactions
from financy.core.contracts.v1 import BudgetRequest, Intent, ReplyKind, ReplyV1, Understanding
from financy.core.entrypoints.api import ApiApp
from financy.core.entrypoints.ingest import IngestConsumer
from financy.core.service.handlers.users import ContextDefaults
from tests.support.api import assert_error, bearer, chat, new_user, spend, token_for
from tests.support.captures import dev_capture, said
from tests.support.groups import chat_event, group_message, person
from tests.support.groups import spend as spent_in
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

NOV = dt.date(2026, 11, 1)


def scalar(engine: Engine, sql: str, **params: object) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def budget_phrase(amount: str, **fields: object) -> Understanding:
    request = BudgetRequest.model_validate({"amount": Decimal(amount), **fields})
    return Understanding(language="pt", intent=Intent.BUDGET, confidence=0.9, budget=request)


async def call(app: ApiApp, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    client = app.asgi_client
    kwargs: dict[str, Any] = {"headers": bearer(token)}
    if body is not None:
        kwargs["json"] = body
    _, response = await getattr(client, method)(path, **kwargs)
    return response.status, (response.json if response.body else None)


# --------------------------------------------------------------------------- API


async def test_budgets_crud_with_spent_and_left(app: ApiApp, engine: Engine) -> None:
    owner = new_user(engine)
    chat(
        engine,
        owner,
        spend("300", NOV.replace(day=10)),
        spend("100", NOV.replace(day=12), "restaurants", "ifood"),
    )
    chat(engine, owner, spend("50", dt.date(2026, 10, 31)))
    token = await token_for(app, owner)
    base = f"/api/v1/contexts/{owner.context_id}/budgets"

    status, created = await call(app, "post", base, token, {"amount": "800", "category": "groceries"})
    assert status == 201, created
    assert (created["scope"], created["category"], created["amount"], created["currency"]) == (
        "category", "groceries", "800.00", "BRL",
    )  # fmt: skip
    status, listed = await call(app, "get", f"{base}?month=2026-11", token)
    assert status == 200
    assert listed["month"] == "2026-11"
    (groceries,) = listed["items"]
    assert (groceries["spent"], groceries["left"], groceries["percent"], groceries["count"]) == (
        "300.00", "500.00", 37, 1,
    )  # fmt: skip

    status, replaced = await call(app, "post", base, token, {"amount": "650.50", "category": "groceries"})
    assert (status, replaced["id"], replaced["amount"]) == (200, created["id"], "650.50")
    status, food = await call(app, "post", base, token, {"amount": "1000", "group": "food", "rollover": True})
    assert (status, food["scope"], food["categories"], food["rollover"]) == (
        201, "group", ["groceries", "restaurants"], True,
    )  # fmt: skip
    status, whole = await call(app, "post", base, token, {"amount": "3000"})
    assert (status, whole["scope"], whole["categories"]) == (201, "ledger", [])
    status, listed = await call(app, "get", f"{base}?month=2026-11", token)
    assert [(b["scope"], b["spent"], b["left"]) for b in listed["items"]] == [
        ("ledger", "400.00", "2600.00"),
        ("group", "400.00", "600.00"),
        ("category", "300.00", "350.50"),
    ]
    status, october = await call(app, "get", f"{base}?month=2026-10", token)
    assert [b["spent"] for b in october["items"]] == ["50.00", "50.00", "50.00"]

    status, patched = await call(
        app, "patch", f"{base}/{created['id']}", token, {"amount": "900", "rollover": True}
    )
    assert (status, patched["amount"], patched["rollover"]) == (200, "900.00", True)
    status, body = await call(app, "delete", f"{base}/{whole['id']}", token)
    assert (status, body) == (204, None)
    status, listed = await call(app, "get", base, token)
    assert listed["month"] == dt.datetime.now(ZoneInfo("America/Sao_Paulo")).strftime("%Y-%m")
    assert sorted(b["scope"] for b in listed["items"]) == ["category", "group"]
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT name FROM events WHERE entity = 'budget' AND context_id = :c ORDER BY id"),
            {"c": owner.context_id},
        ).scalars()
        assert list(names) == [*["budget.set"] * 4, "budget.changed", "budget.deleted"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": "0", "category": "groceries"}, "invalid_budget"),
        ({"amount": "-10", "category": "groceries"}, "invalid_budget"),
        ({"amount": "800.555", "category": "groceries"}, "invalid_budget"),
        ({"amount": "800", "currency": "USD", "category": "groceries"}, "invalid_budget"),
        ({"amount": "800", "currency": "XYZ"}, "invalid_budget"),
        ({"amount": "800", "category": "salary"}, "invalid_budget"),
        ({"amount": "800", "group": "nope"}, "invalid_budget"),
        ({"amount": "800", "category": "nope"}, "bad_request"),
        ({"amount": "lots", "category": "groceries"}, "bad_request"),
        ({"category": "groceries"}, "bad_request"),
    ],
)
async def test_bad_budgets_are_refused_and_nothing_changes(
    app: ApiApp, engine: Engine, body: dict[str, str], code: str
) -> None:
    owner = new_user(engine)
    token = await token_for(app, owner)
    base = f"/api/v1/contexts/{owner.context_id}/budgets"
    status, error = await call(app, "post", base, token, body)
    assert status == 400, error
    assert_error(error, code)
    assert scalar(engine, "SELECT count(*) FROM budgets WHERE context_id = :c", c=owner.context_id) == 0


async def test_patch_delete_and_months_refuse_bad_input(app: ApiApp, engine: Engine) -> None:
    owner = new_user(engine)
    token = await token_for(app, owner)
    base = f"/api/v1/contexts/{owner.context_id}/budgets"
    _, made = await call(app, "post", base, token, {"amount": "500", "category": "groceries"})
    for bad in ({"amount": "0"}, {"amount": "1.001"}, {"currency": "EUR"}):
        status, error = await call(app, "patch", f"{base}/{made['id']}", token, bad)
        assert status == 400
        assert_error(error, "invalid_budget")
    assert scalar(engine, "SELECT amount FROM budgets WHERE id = :b", b=made["id"]) == Decimal("500.0000")
    unknown = uuid.uuid4()
    status, error = await call(app, "patch", f"{base}/{unknown}", token, {"amount": "1"})
    assert (status, error["error"]["code"]) == (404, "not_found")
    status, error = await call(app, "delete", f"{base}/{unknown}", token)
    assert status == 404
    status, error = await call(app, "get", f"{base}?month=2026-13", token)
    assert status == 400
    assert_error(error, "invalid_parameter")
    # Another ledger's budget is not found through this one.
    other = new_user(engine)
    other_token = await token_for(app, other)
    status, _ = await call(
        app, "delete", f"/api/v1/contexts/{other.context_id}/budgets/{made['id']}", other_token
    )
    assert status == 404
    assert scalar(engine, "SELECT count(*) FROM budgets WHERE id = :b", b=made["id"]) == 1


async def test_viewers_read_budgets_and_only_editors_change_them(app: ApiApp, engine: Engine) -> None:
    owner, viewer, stranger = new_user(engine), new_user(engine), new_user(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(orm.members).values(context_id=owner.context_id, user_id=viewer.user_id, role="viewer")
        )
    base = f"/api/v1/contexts/{owner.context_id}/budgets"
    owner_token = await token_for(app, owner)
    _, made = await call(app, "post", base, owner_token, {"amount": "500", "category": "groceries"})
    viewer_token = await token_for(app, viewer)
    status, listed = await call(app, "get", base, viewer_token)
    assert (status, [b["id"] for b in listed["items"]]) == (200, [made["id"]])
    for method, path, body in (
        ("post", base, {"amount": "100"}),
        ("patch", f"{base}/{made['id']}", {"amount": "1"}),
        ("delete", f"{base}/{made['id']}", None),
    ):
        status, error = await call(app, method, path, viewer_token, body)
        assert status == 403
        assert_error(error, "forbidden")
    status, error = await call(app, "get", base, await token_for(app, stranger))
    assert status == 403
    assert_error(error, "not_a_member")
    assert scalar(engine, "SELECT amount FROM budgets WHERE id = :b", b=made["id"]) == Decimal("500.0000")


# --------------------------------------------------------------------------- chat


def test_a_budget_phrase_sets_the_budget_through_the_ingest_path(engine: Engine) -> None:
    user = f"b{uuid.uuid4().hex[:8]}"
    assert ingest(
        engine,
        dev_capture(user, said(Intent.RECORD, transactions=[{"amount": "120", "category": "groceries"}])),
    )
    reply = ingest(engine, dev_capture(user, budget_phrase("800", category="groceries")))
    assert reply is not None
    assert reply.kind is ReplyKind.BUDGET_SET
    (status,) = reply.budgets
    assert (status.spent, status.left, status.percent) == (Decimal("120.00"), Decimal("680.00"), 15)
    again = ingest(engine, dev_capture(user, budget_phrase("900", category="groceries")))
    assert again is not None
    assert (again.problem, again.budgets[0].budget_id) == ("replaced", status.budget_id)
    row = scalar(engine, "SELECT amount FROM budgets WHERE id = :b", b=status.budget_id)
    assert row == Decimal("900.0000")
    asked = ingest(
        engine, dev_capture(user, said(Intent.QUERY, query={"ask": "budget", "category": "groceries"}))
    )
    assert asked is not None
    assert (asked.kind, [b.left for b in asked.budgets]) == (ReplyKind.BUDGET_STATUS, [Decimal("780.00")])
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM transactions t JOIN captures c ON c.id = t.capture_id WHERE c.chat_id = :u",
            u=user,
        )
        == 1
    )  # the budget phrases are never expenses


def test_an_alert_goes_once_to_the_ledgers_chat_even_when_the_capture_comes_twice(engine: Engine) -> None:
    """GIVEN a family group's ledger with a R$ 100 groceries budget, and Ana's private chat switched
    to it WHEN her private expense of 85 crosses 80 % and the same capture is delivered again
    THEN her reply carries the alert, the group gets one BUDGET_ALERT message, and one alert row."""
    tag = uuid.uuid4().hex[:8]
    group, ana = f"-100{int(tag, 16)}", person(f"ana{tag}", "Ana")
    title = f"Casa {tag}"
    bound = ingest(engine, chat_event(ana, group, "bot_added", title=title))
    assert bound is not None
    context_id = scalar(engine, "SELECT context_id FROM chat_bindings WHERE chat_id = :c", c=group)
    switched = ingest(
        engine,
        group_message(
            ana, ana.platform_user_id, said(Intent.CONTEXTS, context_choice=title), chat_type="private"
        ),
    )
    assert switched is not None
    assert switched.kind is ReplyKind.CONTEXT_SWITCHED
    assert ingest(engine, group_message(ana, group, budget_phrase("100", category="groceries")))

    crossing = group_message(ana, ana.platform_user_id, spent_in("85"), chat_type="private")
    reply = ingest(engine, crossing)
    assert reply is not None
    assert reply.kind is ReplyKind.RECORDED
    assert [(a.threshold, a.status.spent) for a in reply.budget_alerts] == [(80, Decimal("85.00"))]
    assert ingest(engine, crossing) is None  # redelivered: a duplicate, nothing more

    def alerts_to_group() -> list[ReplyV1]:
        with engine.connect() as conn:
            payloads = conn.execute(
                text("SELECT payload FROM outbox WHERE payload LIKE :k ORDER BY id"),
                {"k": '%"budget_alert"%'},
            ).scalars()
            return [r for p in payloads if (r := ReplyV1.model_validate_json(p)).chat_id == group]

    sent = alerts_to_group()
    assert [(r.kind, r.edge_id, r.budget_alerts[0].threshold) for r in sent] == [
        (ReplyKind.BUDGET_ALERT, "edge-g", 80)
    ]
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM budget_alerts a JOIN budgets b ON b.id = a.budget_id WHERE b.context_id = :c",
            c=context_id,
        )
        == 1
    )
    # The next expense under 100 % alerts nothing; the one past it alerts 100 % once, in the group itself.
    assert not ingest(engine, group_message(ana, group, spent_in("5"))).budget_alerts  # type: ignore[union-attr]
    over = ingest(engine, group_message(ana, group, spent_in("20")))
    assert over is not None
    assert [a.threshold for a in over.budget_alerts] == [100]
    assert [r.chat_id for r in alerts_to_group()] == [group]  # the group's own reply carried it
    private = [
        r
        for r in (ReplyV1.model_validate_json(p) for p in _payloads(engine, '%"budget_alert"%'))
        if r.chat_id == ana.platform_user_id and r.kind is ReplyKind.BUDGET_ALERT
    ]
    assert [r.budget_alerts[0].threshold for r in private] == [100]  # Ana's private chat records there too


def _payloads(engine: Engine, like: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT payload FROM outbox WHERE payload LIKE :k ORDER BY id"), {"k": like}
            ).scalars()
        )


def test_the_ingest_consumer_sends_the_alert_to_the_groups_edge_once(engine: Engine, redis_url: str) -> None:
    """GIVEN the ingest consumer's fast path (commit, then XADD every message the commit wrote)
    WHEN a private expense crosses the group ledger's budget, delivered twice THEN the group's
    edge reply stream gets one BUDGET_ALERT for the group and the outbox rows are marked sent."""
    tag = uuid.uuid4().hex[:8]
    edge = f"edge-b{tag}"
    group, ana = f"-100{int(tag, 16)}", person(f"ana{tag}", "Ana")
    title = f"Casa {tag}"
    relay = redis.Redis.from_url(redis_url)
    consumer = IngestConsumer(
        aioredis.Redis.from_url(redis_url), engine, relay, defaults=ContextDefaults(), consumer="t"
    )
    try:
        consumer._apply_and_reply([chat_event(ana, group, "bot_added", title=title, edge_id=edge)])
        switch = said(Intent.CONTEXTS, context_choice=title)
        consumer._apply_and_reply(
            [group_message(ana, ana.platform_user_id, switch, chat_type="private", edge_id=edge)]
        )
        consumer._apply_and_reply(
            [group_message(ana, group, budget_phrase("100", category="groceries"), edge_id=edge)]
        )
        crossing = group_message(ana, ana.platform_user_id, spent_in("90"), chat_type="private", edge_id=edge)
        consumer._apply_and_reply([crossing])
        consumer._apply_and_reply([crossing])
        entries = relay.xrange(f"financy:edge:{edge}:replies")
        sent = [ReplyV1.model_validate_json(fields[b"payload"]) for _, fields in entries]
        alerts = [(r.chat_id, r.budget_alerts[0].threshold) for r in sent if r.kind is ReplyKind.BUDGET_ALERT]
        assert alerts == [(group, 80)]
        recorded = [r for r in sent if r.kind is ReplyKind.RECORDED]
        assert [(r.chat_id, [a.threshold for a in r.budget_alerts]) for r in recorded] == [
            (ana.platform_user_id, [80])
        ]
        consumer._apply_and_reply(
            [group_message(ana, group, said(Intent.HELP), edge_id=edge)]
        )  # marks the last ones
        pattern = f'%"chat_id":"{group}"%"kind":"budget_alert"%'
        rows = "SELECT count(*) FILTER (WHERE published_at IS NOT NULL), count(*) FROM outbox WHERE payload LIKE :k"
        with engine.connect() as conn:
            assert tuple(conn.execute(text(rows), {"k": pattern}).one()) == (1, 1)
    finally:
        relay.delete(f"financy:edge:{edge}:replies")
        relay.close()


async def test_expenses_without_a_rate_are_counted_apart_in_the_api(app: ApiApp, engine: Engine) -> None:
    owner = new_user(engine)
    usd = spend("20", NOV.replace(day=3))
    # The ECB publishes no rate for the Argentine peso: that expense has no base amount.
    chat(engine, owner, spend("100", NOV.replace(day=2)), usd.model_copy(update={"currency": "ARS"}))
    with engine.connect() as conn:
        bases = conn.execute(
            text("SELECT currency, base_amount FROM transactions WHERE context_id = :c ORDER BY currency"),
            {"c": owner.context_id},
        ).all()
    assert [(r.currency, r.base_amount) for r in bases] == [("ARS", None), ("BRL", Decimal("100.0000"))]
    token = await token_for(app, owner)
    base = f"/api/v1/contexts/{owner.context_id}/budgets"
    await call(app, "post", base, token, {"amount": "500"})
    _, listed = await call(app, "get", f"{base}?month=2026-11", token)
    assert [(b["spent"], b["count"], b["unvalued"]) for b in listed["items"]] == [("100.00", 1, 1)]


async def test_a_split_purchase_counts_in_each_categorys_budget_and_alerts_by_its_line(
    app: ApiApp, engine: Engine
) -> None:
    """GIVEN budgets of 100 for groceries and 50 for personal care WHEN a R$ 100 purchase is split
    60 / 40 by the API THEN each budget spends its line, personal care (80 %) alerts the ledger's
    chat once, the chat summary and the month-by-category report sum by line while the month's
    total stays 100 in 1 purchase; unsplit, it all goes back to groceries."""
    owner = new_user(engine)
    chat(engine, owner, spend("100", NOV.replace(day=10)))
    tid = scalar(engine, "SELECT id FROM transactions WHERE context_id = :c", c=owner.context_id)
    token = await token_for(app, owner)
    ledger = f"/api/v1/contexts/{owner.context_id}"
    mine = set()
    for body in ({"amount": "200", "category": "groceries"}, {"amount": "50", "category": "personal_care"}):
        status, made = await call(app, "post", f"{ledger}/budgets", token, body)
        assert status == 201, made
        mine.add(uuid.UUID(made["id"]))

    async def spent() -> list[tuple[str, str, int]]:
        _, listed = await call(app, "get", f"{ledger}/budgets?month=2026-11", token)
        return sorted((b["category"], b["spent"], b["count"]) for b in listed["items"])

    def alerts() -> list[tuple[str | None, int]]:
        found = (ReplyV1.model_validate_json(p) for p in _payloads(engine, '%"budget_alert"%'))
        return [
            (a.status.category, a.threshold)
            for r in found
            if r.kind is ReplyKind.BUDGET_ALERT
            for a in r.budget_alerts
            if a.status.budget_id in mine
        ]

    assert await spent() == [("groceries", "100.00", 1), ("personal_care", "0.00", 0)]
    lines = [{"category": "groceries", "amount": "60.00"}, {"category": "personal_care", "amount": "40.00"}]
    status, body = await call(app, "put", f"{ledger}/transactions/{tid}/splits", token, lines)
    assert status == 200, body
    assert await spent() == [("groceries", "60.00", 1), ("personal_care", "40.00", 1)]
    assert alerts() == [("personal_care", 80)]
    with engine.connect() as conn:
        summary = SqlTransactions(conn).summary(owner.context_id, date_from=NOV, date_to=None)
    assert sorted((s.category, s.total) for s in summary) == [
        ("groceries", Decimal("60.0000")),
        ("personal_care", Decimal("40.0000")),
    ]
    _, response = await app.asgi_client.get(
        f"{ledger}/reports/month-by-category?from=2026-11&to=2026-11", headers=bearer(token)
    )
    (november,) = response.json["months"]
    assert (november["total"], november["count"]) == ("100.00", 1)
    assert [(c["category"], c["total"]) for c in november["categories"]] == [
        ("groceries", "60.00"),
        ("personal_care", "40.00"),
    ]
    status, body = await call(app, "delete", f"{ledger}/transactions/{tid}/splits", token)
    assert status == 200, body
    assert await spent() == [("groceries", "100.00", 1), ("personal_care", "0.00", 0)]
    assert alerts() == [("personal_care", 80)]  # once


async def test_a_split_expense_counts_each_line_in_its_own_categorys_budget(
    app: ApiApp, engine: Engine
) -> None:
    """GIVEN R$ 300 of groceries split by the API into 200 of groceries and 100 of personal care
    THEN the groceries budget spent 200, a personal-care one 100, the whole ledger's 300."""
    owner = new_user(engine)
    chat(engine, owner, spend("300", NOV.replace(day=10)))
    token = await token_for(app, owner)
    ctx = f"/api/v1/contexts/{owner.context_id}"
    _, page = await call(app, "get", f"{ctx}/transactions", token)
    (tx,) = page["items"]
    lines = [{"category": "groceries", "amount": "200.00"}, {"category": "personal_care", "amount": "100.00"}]
    status, split = await call(app, "put", f"{ctx}/transactions/{tx['id']}/splits", token, lines)
    assert status == 200, split
    for body in ({"amount": "500", "category": "groceries"}, {"amount": "150", "category": "personal_care"}):
        assert (await call(app, "post", f"{ctx}/budgets", token, body))[0] == 201
    assert (await call(app, "post", f"{ctx}/budgets", token, {"amount": "1000"}))[0] == 201
    _, listed = await call(app, "get", f"{ctx}/budgets?month=2026-11", token)
    assert sorted((b["scope"], b["category"] or "", b["spent"]) for b in listed["items"]) == [
        ("category", "groceries", "200.00"),
        ("category", "personal_care", "100.00"),
        ("ledger", "", "300.00"),
    ]


def test_a_carry_over_many_months_reads_the_rollup_and_equals_the_rows(engine: Engine) -> None:
    """GIVEN expenses over five months (one in a currency without a rate, one split, one reversed)
    WHEN a rolling budget's carry asks for the months between THEN the sums from the rollup (whole
    months) and the rows (partial months) equal the sums over the rows alone."""
    from financy.core.adapters.repositories import SqlBudgets

    owner = new_user(engine)
    days = [dt.date(2026, 6, 15), dt.date(2026, 7, 1), dt.date(2026, 8, 31), dt.date(2026, 9, 10), NOV]
    for n, day in enumerate(days, start=1):
        chat(engine, owner, spend(f"{n}0.50", day), spend(f"{n}.25", day, category="restaurants"))
    chat(engine, owner, spend("7", dt.date(2026, 8, 2)).model_copy(update={"currency": "ARS"}))
    with engine.begin() as conn:
        tid = conn.execute(
            text("SELECT id FROM transactions WHERE context_id = :c AND amount = 30.50"),
            {"c": owner.context_id},
        ).scalar_one()
        conn.execute(
            insert(orm.transaction_splits),
            [
                {
                    "transaction_id": tid,
                    "position": 1,
                    "context_id": owner.context_id,
                    "category": "groceries",
                    "amount": Decimal("20.50"),
                    "base_amount": Decimal("20.50"),
                },
                {
                    "transaction_id": tid,
                    "position": 2,
                    "context_id": owner.context_id,
                    "category": "pets",
                    "amount": Decimal("10.00"),
                    "base_amount": Decimal("10.00"),
                },
            ],
        )
        conn.execute(
            text("UPDATE transactions SET status = 'reversed' WHERE context_id = :c AND amount = 40.50"),
            {"c": owner.context_id},
        )
    with engine.connect() as conn:
        budgets = SqlBudgets(conn)
        for first, last in ((dt.date(2026, 6, 10), dt.date(2026, 10, 31)), (dt.date(2026, 6, 1), NOV)):
            mixed = budgets.spent(owner.context_id, date_from=first, date_to=last, currency="BRL")
            rows = budgets._spent_rows(owner.context_id, date_from=first, date_to=last, currency="BRL")
            by_rollup = {s.category: (s.total, s.unvalued) for s in mixed}
            assert by_rollup == {s.category: (s.total, s.unvalued) for s in rows}
        assert by_rollup["pets"] == (Decimal("10.00"), 0)
        assert by_rollup["groceries"][1] == 1  # the pesos: counted apart, not summed
