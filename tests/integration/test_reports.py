"""Reports: rollups that stay equal to the transactions, local days and months, the report routes.

The rollups (migration 0011) are kept by a trigger in the same transaction as each change; the
first test makes random inserts, edits, reversals, deletes, splits and unsplits and compares every
rollup table with a GROUP BY over the transactions themselves (their split lines where they have
some, in the tables by category).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update

from financy.core.adapters import orm, rollups
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.entrypoints.api import ApiApp
from tests.support.api import Member, assert_error, bearer, chat, new_user, spend, token_for
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

_NIL = uuid.UUID(orm.NIL_UUID)
_CATEGORIES = ["groceries", "restaurants", "transport", "health", None]
_MERCHANTS = ["Mercado", "mercado ", "Padaria", "Posto", None]


def _row(context_id: uuid.UUID, rng: random.Random, payers: list[uuid.UUID | None]) -> dict[str, Any]:
    foreign = rng.random() < 0.15
    priced = not foreign or rng.random() < 0.5
    amount = Decimal(rng.randint(100, 50000)) / 100
    return {
        "id": uuid.uuid4(),
        "context_id": context_id,
        "kind": rng.choice(["expense", "expense", "income", "transfer"]),
        "amount": amount,
        "currency": "USD" if foreign else "BRL",
        "occurred_on": dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 120)),
        "merchant": rng.choice(_MERCHANTS),
        "category": rng.choice(_CATEGORIES),
        "source_channel": "api",
        "author_id": rng.choice(payers),
        "paid_by": rng.choice(payers),
        "status": "recorded",
        "base_amount": (amount * Decimal("5.3")).quantize(Decimal("0.0001")) if priced else None,
        "base_currency": "BRL" if priced else None,
    }


#: A recorded transaction's shares in the category rollups: its split lines where it has some (the
#: count on the first line only), else itself whole.
_SHARES = """
    SELECT t.*, coalesce(sp.category, t.category) AS s_category,
           CASE WHEN sp.transaction_id IS NULL THEN t.base_amount ELSE sp.base_amount END AS s_base,
           CASE WHEN sp.position IS NULL OR sp.position =
               (SELECT min(f.position) FROM transaction_splits f WHERE f.transaction_id = t.id)
               THEN 1 ELSE 0 END AS s_n
    FROM transactions t LEFT JOIN transaction_splits sp ON sp.transaction_id = t.id
    WHERE t.status = 'recorded' AND t.context_id = :c"""

#: The rollups as a raw GROUP BY over the transactions would have them (recorded rows only).
_RAW = {
    "daily_totals": """
        SELECT context_id, occurred_on AS day, kind, coalesce(s_category, '') AS category,
               coalesce(paid_by, '{nil}'::uuid) AS paid_by,
               CASE WHEN s_base IS NULL THEN currency ELSE base_currency END AS currency,
               s_base IS NOT NULL AS priced, sum(s_n) AS n, coalesce(sum(s_base), 0) AS total
        FROM ({shares}) s GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(s_n) <> 0 OR coalesce(sum(s_base), 0) <> 0""",
    "monthly_totals": """
        SELECT context_id, date_trunc('month', occurred_on::timestamp)::date AS month, kind,
               coalesce(s_category, '') AS category,
               CASE WHEN s_base IS NULL THEN currency ELSE base_currency END AS currency,
               s_base IS NOT NULL AS priced, sum(s_n) AS n, coalesce(sum(s_base), 0) AS total
        FROM ({shares}) s GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(s_n) <> 0 OR coalesce(sum(s_base), 0) <> 0""",
    "monthly_member_totals": """
        SELECT context_id, date_trunc('month', occurred_on::timestamp)::date AS month, kind,
               coalesce(paid_by, '{nil}'::uuid) AS paid_by, coalesce(author_id, '{nil}'::uuid) AS author_id,
               CASE WHEN base_amount IS NULL THEN currency ELSE base_currency END AS currency,
               base_amount IS NOT NULL AS priced, count(*) AS n, coalesce(sum(base_amount), 0) AS total
        FROM transactions WHERE status = 'recorded' AND context_id = :c GROUP BY 1, 2, 3, 4, 5, 6, 7""",
    "monthly_merchant_totals": """
        SELECT context_id, date_trunc('month', occurred_on::timestamp)::date AS month, kind,
               coalesce(lower(btrim(merchant)), '') AS merchant,
               CASE WHEN base_amount IS NULL THEN currency ELSE base_currency END AS currency,
               base_amount IS NOT NULL AS priced, count(*) AS n, coalesce(sum(base_amount), 0) AS total
        FROM transactions WHERE status = 'recorded' AND context_id = :c GROUP BY 1, 2, 3, 4, 5, 6""",
}


def _rollup_rows(engine: Engine, context_id: uuid.UUID) -> dict[str, set[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table: {
                tuple(r)
                for r in conn.execute(text(f"SELECT * FROM {table} WHERE context_id = :c"), {"c": context_id})
            }
            for table in _RAW
        }


def _raw_rows(engine: Engine, context_id: uuid.UUID) -> dict[str, set[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table: {
                tuple(r) for r in conn.execute(text(sql.format(nil=_NIL, shares=_SHARES)), {"c": context_id})
            }
            for table, sql in _RAW.items()
        }


def _split_change(conn: Connection, context_id: uuid.UUID, rng: random.Random, target: uuid.UUID) -> None:
    """One random change of a transaction's split lines: split (again), unsplit, a line's category
    changed, or its first line removed (the count moves to the next)."""
    sp, tx = orm.transaction_splits, orm.transactions
    change = rng.choice(["split", "split", "unsplit", "recategorize", "drop_first"])
    if change == "split":
        row = conn.execute(select(tx.c.amount, tx.c.base_amount).where(tx.c.id == target)).one()
        count = rng.randint(2, 3)
        amounts = [(row.amount / count).quantize(Decimal("0.01"))] * (count - 1)
        amounts.append(row.amount - sum(amounts))
        bases: list[Decimal | None] = [None] * count
        if row.base_amount is not None:
            bases = [(row.base_amount * a / row.amount).quantize(Decimal("0.0001")) for a in amounts[:-1]]
            bases.append(row.base_amount - sum(b for b in bases if b is not None))
        conn.execute(delete(sp).where(sp.c.transaction_id == target))
        conn.execute(
            insert(sp),
            [
                {
                    "transaction_id": target,
                    "position": position,
                    "context_id": context_id,
                    "category": rng.choice([c for c in _CATEGORIES if c]),
                    "amount": amount,
                    "base_amount": base,
                }
                for position, (amount, base) in enumerate(zip(amounts, bases, strict=True), start=1)
            ],
        )
    elif change == "unsplit":
        conn.execute(delete(sp).where(sp.c.transaction_id == target))
    elif change == "recategorize":
        conn.execute(
            update(sp)
            .where(sp.c.transaction_id == target, sp.c.position == 2)
            .values(category=rng.choice([c for c in _CATEGORIES if c]))
        )
    else:
        first = select(func.min(sp.c.position)).where(sp.c.transaction_id == target).scalar_subquery()
        conn.execute(delete(sp).where(sp.c.transaction_id == target, sp.c.position == first))


def test_rollups_equal_a_raw_group_by_after_random_inserts_edits_reversals_and_deletes(
    engine: Engine,
) -> None:
    owner, other = new_user(engine), new_user(engine)
    context_id = owner.context_id
    payers: list[uuid.UUID | None] = [owner.user_id, other.user_id, None]
    rng = random.Random(20261202)
    ids: list[uuid.UUID] = []
    for _round in range(12):
        with engine.begin() as conn:  # each round one transaction, as a handler's unit of work
            rows = [_row(context_id, rng, payers) for _ in range(25)]
            conn.execute(insert(orm.transactions), rows)
            ids += [r["id"] for r in rows]
            tx = orm.transactions
            for _ in range(15):
                target = rng.choice(ids)
                change = rng.choice(
                    [
                        "category",
                        "amount",
                        "date",
                        "reverse",
                        "restore",
                        "paid_by",
                        "kind",
                        "price",
                        "merchant",
                        "noop",
                    ]
                )
                values: dict[str, Any] = {
                    "category": {"category": rng.choice(_CATEGORIES)},
                    "amount": {
                        "amount": Decimal("12.34"),
                        "base_amount": Decimal("12.34"),
                        "base_currency": "BRL",
                        "currency": "BRL",
                    },
                    "date": {"occurred_on": dt.date(2026, 3, 31) + dt.timedelta(days=rng.randint(-3, 3))},
                    "reverse": {"status": "reversed"},
                    "restore": {"status": "recorded"},
                    "paid_by": {"paid_by": rng.choice(payers)},
                    "kind": {"kind": rng.choice(["expense", "income"])},
                    "price": {"base_amount": None, "base_currency": None},
                    "merchant": {"merchant": rng.choice(_MERCHANTS)},
                    "noop": {"description": "only the description"},
                }[change]
                conn.execute(update(tx).where(tx.c.id == target).values(**values))
            for _ in range(8):
                _split_change(conn, context_id, rng, rng.choice(ids))
            for _ in range(5):
                gone = ids.pop(rng.randrange(len(ids)))
                conn.execute(delete(tx).where(tx.c.id == gone))
    # a unit of work that fails leaves the rollups as they were
    before = _rollup_rows(engine, context_id)

    def fail() -> None:
        with engine.begin() as conn:
            conn.execute(insert(orm.transactions), [_row(context_id, rng, payers)])
            conn.execute(
                update(orm.transactions).where(orm.transactions.c.id == ids[0]).values(status="reversed")
            )
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        fail()
    assert _rollup_rows(engine, context_id) == before

    raw = _raw_rows(engine, context_id)
    assert all(raw.values())  # the comparison is about real rows
    with engine.connect() as conn:
        split = conn.execute(
            text("SELECT count(DISTINCT transaction_id) FROM transaction_splits WHERE context_id = :c"),
            {"c": context_id},
        ).scalar_one()
    assert split >= 10  # and about split transactions, some of whose lines carry no count
    assert any(r[-2] == 0 and r[-1] > 0 for r in raw["daily_totals"])
    assert sum(r[-2] for r in raw["daily_totals"]) == len(ids) - _reversed(engine, context_id)
    kept = _rollup_rows(engine, context_id)
    assert {t: kept[t] - raw[t] for t in raw} == {t: raw[t] - kept[t] for t in raw} == {t: set() for t in raw}
    rollups.rebuild(engine)  # the bulk path computes the same
    assert _rollup_rows(engine, context_id) == raw


def _reversed(engine: Engine, context_id: uuid.UUID) -> int:
    tx = orm.transactions
    with engine.connect() as conn:
        return len(
            conn.execute(
                select(tx.c.id).where(tx.c.context_id == context_id, tx.c.status == "reversed")
            ).all()
        )


def test_deleting_a_context_removes_its_rollups(engine: Engine) -> None:
    """GIVEN a ledger with entries WHEN the context is deleted (its transactions go by cascade, each
    firing the rollup trigger) THEN the delete succeeds and no rollup row of it is left."""
    owner = new_user(engine)
    chat(engine, owner, spend("10.00", dt.date(2026, 11, 3)), spend("5.00", dt.date(2026, 10, 3)))
    assert all(_rollup_rows(engine, owner.context_id).values())
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM contexts WHERE id = :c"), {"c": owner.context_id})
    assert not any(_rollup_rows(engine, owner.context_id).values())


# --------------------------------------------------------------------------- time zone


def _say_at(engine: Engine, member: Member, received_at: dt.datetime, amount: str) -> None:
    """Record ``amount`` from ``member``'s chat as received at ``received_at``, with no date said."""
    mid = uuid.uuid4().hex
    ingest(
        engine,
        CaptureV1(
            capture_id=uuid.uuid4(),
            idempotency_key=idempotency_key("devchat", member.devchat_id, mid),
            edge_id="edge-api",
            platform="devchat",
            chat_id=member.devchat_id,
            message_id=mid,
            sender=Sender(platform_user_id=member.devchat_id),
            received_at=received_at,
            text=f"gastei {amount} no mercado",
            understanding=Understanding(
                language="pt",
                intent=Intent.RECORD,
                confidence=0.9,
                transactions=(
                    ProposedTransaction(amount=Decimal(amount), category="groceries", merchant="mercado"),
                ),
            ),
        ),
    )


async def test_a_sao_paulo_ledger_keeps_entries_on_their_printed_day_around_dst(
    app: ApiApp, engine: Engine
) -> None:
    """GIVEN a São Paulo ledger with entries on the days DST began (2018-11-04: midnight did not
    exist) and ended (2019-02-16: 23:00-24:00 twice), and on the month's edges WHEN the daily and
    monthly reports are asked THEN each amount is on its printed day and month, whatever the
    database session's time zone."""
    member = new_user(engine)
    with engine.begin() as conn:
        conn.execute(
            update(orm.contexts)
            .where(orm.contexts.c.id == member.context_id)
            .values(time_zone="America/Sao_Paulo")
        )
    printed = {
        dt.date(2018, 10, 31): "1.00",
        dt.date(2018, 11, 1): "2.00",
        dt.date(2018, 11, 3): "3.00",
        dt.date(2018, 11, 4): "4.00",
        dt.date(2019, 2, 16): "16.00",
        dt.date(2019, 2, 17): "17.00",
        dt.date(2019, 2, 28): "28.00",
        dt.date(2019, 3, 1): "30.00",
    }
    for day, amount in printed.items():
        chat(engine, member, spend(amount, day))
    # No date said: the day is the local one of when it was received.
    _say_at(engine, member, dt.datetime(2018, 11, 4, 2, 30, tzinfo=dt.UTC), "0.50")  # 23:30 on Nov 3 (-03)
    _say_at(engine, member, dt.datetime(2018, 11, 4, 3, 30, tzinfo=dt.UTC), "0.25")  # 01:30 on Nov 4 (-02)
    _say_at(
        engine, member, dt.datetime(2019, 2, 17, 2, 30, tzinfo=dt.UTC), "0.10"
    )  # 23:30 on Feb 16 (-02, 2nd)
    expected = dict(printed)
    expected[dt.date(2018, 11, 3)] = "3.50"
    expected[dt.date(2018, 11, 4)] = "4.25"
    expected[dt.date(2019, 2, 16)] = "16.10"

    token = await token_for(app, member)
    base = f"/api/v1/contexts/{member.context_id}/reports"
    _, days = await app.asgi_client.get(f"{base}/daily?from=2018-10-30&to=2019-03-02", headers=bearer(token))
    assert days.status == 200, days.text
    shown = {d["day"]: d["total"] for d in days.json["days"] if d["count"]}
    assert shown == {day.isoformat(): total for day, total in expected.items()}
    _, months = await app.asgi_client.get(
        f"{base}/month-by-category?from=2018-10&to=2019-03", headers=bearer(token)
    )
    assert months.status == 200, months.text
    assert {m["month"]: m["total"] for m in months.json["months"]} == {
        "2018-10": "1.00",
        "2018-11": "9.75",
        "2018-12": "0.00",
        "2019-01": "0.00",
        "2019-02": "61.10",
        "2019-03": "30.00",
    }
    # The rollups do not depend on the session's time zone (dates are truncated as plain dates).
    with engine.connect() as conn:
        conn.execute(text("SET TIME ZONE 'America/Sao_Paulo'"))
        rows = conn.execute(
            text(
                "SELECT month, sum(total) FROM monthly_totals WHERE context_id = :c GROUP BY month ORDER BY month"
            ),
            {"c": member.context_id},
        ).all()
    assert [(m.isoformat(), f"{t:.2f}") for m, t in rows] == [
        ("2018-10-01", "1.00"),
        ("2018-11-01", "9.75"),
        ("2019-02-01", "61.10"),
        ("2019-03-01", "30.00"),
    ]


# --------------------------------------------------------------------------- the routes


def _add_member(engine: Engine, context_id: uuid.UUID, user: Member, role: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(orm.members).values(context_id=context_id, user_id=user.user_id, role=role))


def _insert(engine: Engine, context_id: uuid.UUID, **values: Any) -> uuid.UUID:
    row = {
        "id": uuid.uuid4(),
        "context_id": context_id,
        "kind": "expense",
        "currency": "BRL",
        "source_channel": "api",
        "status": "recorded",
        **values,
    }
    if row["currency"] == "BRL" and "base_amount" not in row:
        row["base_amount"], row["base_currency"] = row["amount"], "BRL"
    with engine.begin() as conn:
        conn.execute(insert(orm.transactions).values(**row))
    return uuid.UUID(str(row["id"]))


@pytest.fixture
def family(engine: Engine) -> tuple[Member, Member]:
    """A ledger of ``owner`` shared with ``partner`` (editor), with entries of both in Oct-Nov 2026."""
    owner, partner = new_user(engine), new_user(engine)
    c = owner.context_id
    _add_member(engine, c, partner, "editor")
    d = dt.date
    _insert(engine, c, amount=Decimal("100.00"), occurred_on=d(2026, 10, 5), category="groceries",
            merchant="Mercado Bom", author_id=owner.user_id, paid_by=owner.user_id)  # fmt: skip
    _insert(engine, c, amount=Decimal("50.00"), occurred_on=d(2026, 10, 20), category="groceries",
            merchant="mercado bom ", author_id=partner.user_id, paid_by=owner.user_id)  # fmt: skip
    _insert(engine, c, amount=Decimal("30.00"), occurred_on=d(2026, 11, 2), category="restaurants",
            merchant="Padaria", author_id=partner.user_id, paid_by=partner.user_id)  # fmt: skip
    _insert(engine, c, amount=Decimal("1000.00"), occurred_on=d(2026, 11, 5), kind="income",
            category="salary", author_id=owner.user_id, paid_by=owner.user_id)  # fmt: skip
    # a US$ dinner with no known rate: left out, never added
    _insert(engine, c, amount=Decimal("20.00"), currency="USD", occurred_on=d(2026, 11, 6), category="restaurants",
            merchant="Diner", author_id=owner.user_id, paid_by=None)  # fmt: skip
    # a reversed one counts nowhere
    _insert(engine, c, amount=Decimal("999.00"), occurred_on=d(2026, 11, 7), category="groceries",
            merchant="Mercado Bom", status="reversed", author_id=owner.user_id)  # fmt: skip
    return owner, partner


async def _report(
    app: ApiApp, member: Member, path: str, *, ledger: uuid.UUID | None = None
) -> tuple[int, Any]:
    """GET report ``path`` of ``ledger`` (default: ``member``'s own) as ``member``."""
    _, response = await app.asgi_client.get(
        f"/api/v1/contexts/{ledger or member.context_id}/reports/{path}",
        headers=bearer(await token_for(app, member)),
    )
    return response.status, response.json


async def test_month_by_category_sums_base_amounts_and_counts_rows_without_a_rate(
    app: ApiApp, family: tuple[Member, Member]
) -> None:
    owner, _ = family
    status, body = await _report(app, owner, "month-by-category?from=2026-10&to=2026-11")
    assert status == 200, body
    assert body["base_currency"] == "BRL"
    october, november = body["months"]
    assert october == {
        "month": "2026-10",
        "total": "150.00",
        "count": 2,
        "left_out": 0,
        "categories": [
            {
                "category": "groceries",
                "category_name": "Mercado",
                "total": "150.00",
                "count": 2,
                "left_out": 0,
            }
        ],
    }
    assert november["total"] == "30.00"
    assert november["left_out"] == 1
    assert [c["category"] for c in november["categories"]] == ["restaurants"]
    assert november["categories"][0] == {
        "category": "restaurants",
        "category_name": "Alimentação",
        "total": "30.00",
        "count": 1,
        "left_out": 1,
    }
    assert body["total"] == "180.00"
    assert body["left_out"] == {"count": 1, "by_currency": {"USD": 1}}
    status, income = await _report(app, owner, "month-by-category?from=2026-11&to=2026-11&kind=income")
    assert income["total"] == "1000.00"


async def test_daily_top_merchants_income_expense_and_per_member(
    app: ApiApp, family: tuple[Member, Member]
) -> None:
    owner, partner = family
    status, days = await _report(app, owner, "daily?from=2026-10-01&to=2026-11-30")
    assert status == 200
    assert len(days["days"]) == 61
    assert {d["day"]: d["total"] for d in days["days"] if d["count"] or d["left_out"]} == {
        "2026-10-05": "100.00",
        "2026-10-20": "50.00",
        "2026-11-02": "30.00",
        "2026-11-06": "0.00",
    }
    status, top = await _report(app, owner, "top-merchants?from=2026-10&to=2026-11&limit=2")
    assert status == 200
    assert top["merchants"] == [
        {"merchant": "mercado bom", "total": "150.00", "count": 2, "left_out": 0},
        {"merchant": "padaria", "total": "30.00", "count": 1, "left_out": 0},
    ]
    status, flows = await _report(app, owner, "income-expense?from=2026-10&to=2026-11")
    assert [(m["month"], m["income"], m["expense"], m["net"]) for m in flows["months"]] == [
        ("2026-10", "0.00", "150.00", "-150.00"),
        ("2026-11", "1000.00", "30.00", "970.00"),
    ]
    assert flows["net"] == "820.00"
    assert flows["left_out"]["count"] == 1
    status, people = await _report(
        app, partner, "per-member?from=2026-10&to=2026-10", ledger=owner.context_id
    )
    assert status == 200
    lines = {line["user_id"]: line for line in people["months"][0]["members"]}
    assert lines[str(owner.user_id)]["spent"] == "100.00"
    assert lines[str(owner.user_id)]["paid"] == "150.00"
    assert lines[str(partner.user_id)]["spent"] == "50.00"
    assert lines[str(partner.user_id)]["paid"] == "0.00"
    assert lines[str(partner.user_id)]["name"].startswith("User ")
    assert set(lines) == {str(owner.user_id), str(partner.user_id)}
    _, november = await _report(app, owner, "per-member?from=2026-11&to=2026-11")
    lines = {line["user_id"]: line for line in november["months"][0]["members"]}
    assert lines[str(partner.user_id)]["paid"] == "30.00"
    assert lines[None]["paid"] == "0.00"  # the US$ dinner's payer is unknown, and it has no rate
    assert november["months"][0]["left_out"] == 1


async def test_an_edit_shows_in_the_next_report(
    app: ApiApp, engine: Engine, family: tuple[Member, Member]
) -> None:
    owner, _ = family
    tx = orm.transactions
    with engine.begin() as conn:
        conn.execute(
            update(tx)
            .where(tx.c.context_id == owner.context_id, tx.c.currency == "USD")
            .values(
                base_amount=Decimal("106.00"),
                base_currency="BRL",
                fx_rate=Decimal("5.3"),
                fx_source="override",
            )
        )
        conn.execute(
            update(tx)
            .where(tx.c.context_id == owner.context_id, tx.c.merchant == "Padaria")
            .values(status="reversed")
        )
    _, body = await _report(app, owner, "month-by-category?from=2026-11&to=2026-11")
    assert body["months"][0]["categories"] == [
        {
            "category": "restaurants",
            "category_name": "Alimentação",
            "total": "106.00",
            "count": 1,
            "left_out": 0,
        }
    ]
    assert body["left_out"] == {"count": 0, "by_currency": {}}


@pytest.mark.parametrize(
    ("path", "name", "says"),
    [
        ("month-by-category?from=2026-11&to=2026-10", "from", "after"),
        ("month-by-category?from=2026-13&to=2026-12", "from", "YYYY-MM"),
        ("month-by-category?from=2026-1", "from", "YYYY-MM"),
        ("month-by-category?to=nov", "to", "YYYY-MM"),
        ("month-by-category?from=2016-01&to=2026-01", "from", "10 years"),
        ("month-by-category?kind=gift", "kind", "expense"),
        ("income-expense?from=2026-11&to=2026-01", "from", "after"),
        ("per-member?from=2010-01&to=2026-01", "from", "10 years"),
        ("daily?from=2026-11-30&to=2026-11-01", "from", "after"),
        ("daily?from=2026-02-30", "from", "calendar date"),
        ("daily?from=2016-01-01&to=2026-01-01", "from", "10 years"),
        ("daily?to=2026-11", "to", "YYYY-MM-DD"),
        ("top-merchants?limit=0", "limit", "1 to 100"),
        ("top-merchants?limit=101", "limit", "1 to 100"),
        ("top-merchants?limit=ten", "limit", "1 to 100"),
    ],
)
async def test_bad_report_parameters_are_422_with_a_message(
    app: ApiApp, engine: Engine, path: str, name: str, says: str
) -> None:
    member = new_user(engine)
    status, body = await _report(app, member, path)
    assert status == 422, body
    assert_error(body, "invalid_parameter")
    assert body["error"]["message"].startswith(f"'{name}': ")
    assert says in body["error"]["message"]


async def test_the_longest_range_and_defaults_answer(app: ApiApp, engine: Engine) -> None:
    member = new_user(engine)
    status, body = await _report(app, member, "month-by-category?from=2016-02&to=2026-01")
    assert status == 200
    assert len(body["months"]) == 120
    status, body = await _report(app, member, "daily")
    assert status == 200
    assert len(body["days"]) == 30
    status, body = await _report(app, member, "top-merchants?limit=100")
    assert status == 200
    assert body["merchants"] == []


async def test_a_viewer_reads_reports_and_an_unknown_report_is_404(
    app: ApiApp, engine: Engine, family: tuple[Member, Member]
) -> None:
    owner, _ = family
    viewer = new_user(engine)
    _add_member(engine, owner.context_id, viewer, "viewer")
    _, response = await app.asgi_client.get(
        f"/api/v1/contexts/{owner.context_id}/reports/month-by-category?from=2026-10&to=2026-10",
        headers=bearer(await token_for(app, viewer)),
    )
    assert response.status == 200
    assert response.json["total"] == "150.00"
    _, response = await app.asgi_client.get(
        f"/api/v1/contexts/{owner.context_id}/reports/net-worth", headers=bearer(await token_for(app, viewer))
    )
    assert response.status == 404
