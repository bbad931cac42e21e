"""Linking chats to accounts, the month's summary and edited messages, on real PostgreSQL.

GIVEN a login user who asks the API for a link code and a chat the core met before, WHEN the chat
sends the code, THEN it is asked to confirm the account and nothing changes; WHEN it confirms,
THEN the chat is the user's and its ledger shows on their dashboard; the same code again, an
expired one or an unknown one links nothing, and a code someone else made, tapped without
confirming, leaves the chat's ledgers where they were. "/resumo" sums this month by
category; an edited message changes what it recorded.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import Engine, insert, select, text, update

from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ReplyKind,
    ReplyV1,
    SummaryRow,
    Understanding,
)
from financy.core.entrypoints.api import ApiApp, create_app
from financy.core.settings import CoreSettings, CoreTelegramSettings
from tests.integration.test_api_contract import assert_matches, served_spec
from tests.support.api import assert_error, bearer, get_json, new_user, token_for
from tests.support.captures import dev_capture, entry, record, said
from tests.support.groups import group_message, person
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

_SHOWN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def tag() -> str:
    return uuid.uuid4().hex[:10]


def send(engine: Engine, cap: CaptureV1) -> ReplyV1:
    reply = ingest(engine, cap)
    assert reply is not None
    return reply


def link_message(
    sender: str, code: str, *, confirmed: bool = False, message_id: str | None = None
) -> CaptureV1:
    """The chat's "/start CODE" (a deep link, or the bare code), or with ``confirmed`` its
    "/vincular CODE" (the confirm button)."""
    understanding = said(Intent.LINK, link_code=code, link_confirmed=confirmed)
    return dev_capture(sender, understanding, edge_id="edge-l", name="Chat " + sender, message_id=message_id)


def link_confirmed(engine: Engine, sender: str, code: str) -> ReplyV1:
    """Send ``code`` and confirm it, as a chat does in two messages; return the second reply."""
    asked = send(engine, link_message(sender, code))
    assert asked.kind is ReplyKind.LINK_CONFIRM, asked
    return send(engine, link_message(sender, code, confirmed=True))


def dashboard_contexts(engine: Engine, user_id: uuid.UUID) -> set[uuid.UUID]:
    with engine.connect() as conn:
        rows = conn.execute(select(orm.members.c.context_id).where(orm.members.c.user_id == user_id)).all()
    return {r[0] for r in rows}


async def new_code(app: ApiApp, token: str) -> dict[str, Any]:
    _, response = await app.asgi_client.post("/api/v1/me/link-codes", headers=bearer(token))
    assert response.status == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json
    return body


def one(engine: Engine, sql: str, **params: object) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).one()


def chat_user_and_ledger(engine: Engine, sender: str) -> Any:
    """The (user id, ledger id) the core made for the dev chat ``sender`` at first contact."""
    return one(
        engine,
        "SELECT i.user_id, b.context_id FROM channel_identities i JOIN chat_bindings b ON b.chat_id = "
        "i.platform_user_id WHERE i.platform_user_id = :p",
        p=sender,
    )


# --------------------------------------------------------------------------- link codes


async def test_a_code_from_the_api_links_a_chat_and_its_ledger_joins_the_dashboard(
    app: ApiApp, engine: Engine
) -> None:
    maria = new_user(engine)
    phone = f"tg{tag()}"
    assert send(engine, dev_capture(phone, record(entry("30")), edge_id="edge-l")).kind is ReplyKind.RECORDED
    (chat_user, chat_ledger) = chat_user_and_ledger(engine, phone)
    token = await token_for(app, maria)
    status, before = await get_json(app, "/api/v1/contexts", token)
    assert status == 200
    assert [c["id"] for c in before["items"]] == [str(maria.context_id)]

    issued = await new_code(app, token)
    assert _SHOWN.match(issued["code"]), issued
    assert issued["telegram_url"] is None
    assert issued["code"] in issued["instructions"]
    assert "15 minutos" in issued["instructions"]
    expires = dt.datetime.fromisoformat(issued["expires_at"])
    assert dt.timedelta(minutes=14) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)
    assert_matches(await served_spec(app), "/api/v1/me/link-codes", 201, issued)
    # Only the hash is stored.
    (stored_hash,) = one(engine, "SELECT code_hash FROM link_codes WHERE user_id = :u", u=maria.user_id)
    assert issued["code"].replace("-", "") not in stored_hash
    assert len(stored_hash) == 64

    # The code alone: the chat is asked whether to link to this account; nothing changes yet.
    asked = send(engine, link_message(phone, issued["code"].lower().replace("-", " ")))
    assert asked.kind is ReplyKind.LINK_CONFIRM
    assert (asked.link_account, asked.link_account_name, asked.link_code) == (
        maria.username,
        "User " + maria.username.removeprefix("user"),
        issued["code"],
    )
    (still,) = one(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=phone)
    assert still == chat_user
    (unused,) = one(engine, "SELECT used_at FROM link_codes WHERE user_id = :u", u=maria.user_id)
    assert unused is None
    assert dashboard_contexts(engine, maria.user_id) == {maria.context_id}
    assert dashboard_contexts(engine, chat_user) == {chat_ledger}

    linking = link_message(phone, asked.link_code or "", confirmed=True)
    reply = send(engine, linking)

    assert reply.kind is ReplyKind.LINKED
    assert ingest(engine, linking) is None  # a redelivery changes nothing
    status, after = await get_json(app, "/api/v1/contexts", token)
    assert status == 200
    assert {(c["id"], c["role"]) for c in after["items"]} == {
        (str(maria.context_id), "owner"),
        (str(chat_ledger), "owner"),
    }
    (owner,) = one(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=phone)
    assert owner == maria.user_id
    used = one(
        engine,
        "SELECT used_at, used_by_platform, used_by_platform_user_id FROM link_codes WHERE user_id = :u",
        u=maria.user_id,
    )
    assert used[0] is not None
    assert tuple(used[1:]) == ("devchat", phone)
    authors = one(
        engine,
        "SELECT array_agg(DISTINCT author_id), array_agg(DISTINCT paid_by) FROM transactions WHERE context_id = :c",
        c=chat_ledger,
    )
    assert authors[0] == [maria.user_id]
    (left,) = one(engine, "SELECT count(*) FROM members WHERE user_id = :u", u=chat_user)
    assert left == 0
    event = one(
        engine,
        "SELECT actor_id, before, after FROM events WHERE name = 'identity.linked' AND actor_id = :u "
        "AND before IS NOT NULL",
        u=maria.user_id,
    )
    assert event[1] == {"user_id": str(chat_user)}
    assert event[2] == {"platform": "devchat", "platform_user_id": phone, "user_id": str(maria.user_id)}
    # The chat records for the account, in the ledger it was bound to.
    send(engine, dev_capture(phone, record(entry("12")), edge_id="edge-l"))
    status, page = await get_json(app, f"/api/v1/contexts/{chat_ledger}/transactions", token)
    assert status == 200
    assert sorted(Decimal(t["amount"]) for t in page["items"]) == [Decimal("12"), Decimal("30")]

    # The same code from another chat links nothing, asked or confirmed.
    other = f"tg{tag()}"
    for confirmed in (False, True):
        reused = send(engine, link_message(other, issued["code"], confirmed=confirmed))
        assert (reused.kind, reused.problem) == (ReplyKind.LINK_INVALID, "link_used")
    (other_owner,) = one(
        engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=other
    )
    assert other_owner != maria.user_id


async def test_a_code_in_a_group_is_refused_and_a_confirmation_counts_only_where_it_was_asked(
    app: ApiApp, engine: Engine
) -> None:
    maria = new_user(engine)
    token = await token_for(app, maria)
    issued = await new_code(app, token)
    group, bob = f"-100{tag()}", f"tg{tag()}"

    def in_group(sender: str, confirmed: bool) -> CaptureV1:
        cap = dev_capture(
            sender, said(Intent.LINK, link_code=issued["code"], link_confirmed=confirmed), chat=group
        )
        return cap.model_copy(update={"chat_type": "group"})

    # Maria pastes her code in the group; Bob presses the confirm button twice.
    for sender, confirmed in ((maria.devchat_id, False), (bob, True), (bob, True)):
        reply = send(engine, in_group(sender, confirmed))
        assert (reply.kind, reply.problem) == (ReplyKind.LINK_INVALID, "link_private_only")
        assert (reply.link_account, reply.link_account_name, reply.link_code) == (None, None, None)
    (bob_user,) = one(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=bob)
    assert bob_user != maria.user_id
    (asked,) = one(
        engine, "SELECT count(*) FROM events WHERE name = 'link_code.asked' AND actor_id = :u", u=bob_user
    )
    assert asked == 0
    (used_at,) = one(engine, "SELECT used_at FROM link_codes WHERE user_id = :u", u=maria.user_id)
    assert used_at is None

    # Bob asked in one chat, confirming in another: asked again there, nothing linked.
    understanding = said(Intent.LINK, link_code=issued["code"], link_confirmed=False)
    assert send(engine, dev_capture(bob, understanding, chat=f"r1{bob}")).kind is ReplyKind.LINK_CONFIRM
    confirm = said(Intent.LINK, link_code=issued["code"], link_confirmed=True)
    elsewhere = send(engine, dev_capture(bob, confirm, chat=f"r2{bob}"))
    assert (elsewhere.kind, elsewhere.link_account) == (ReplyKind.LINK_CONFIRM, maria.username)
    (owner,) = one(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=bob)
    assert owner == bob_user

    # Maria sends her own code from her own chat: linked already, and the code is used up.
    mine = send(engine, link_message(maria.devchat_id, issued["code"]))
    assert mine.kind is ReplyKind.LINKED
    used = one(
        engine,
        "SELECT used_at, used_by_platform_user_id FROM link_codes WHERE user_id = :u",
        u=maria.user_id,
    )
    assert (used[0] is not None, used[1]) == (True, maria.devchat_id)
    late = send(engine, dev_capture(bob, confirm, chat=f"r2{bob}"))
    assert (late.kind, late.problem) == (ReplyKind.LINK_INVALID, "link_used")
    (owner,) = one(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=bob)
    assert owner == bob_user


async def test_an_expired_or_unknown_code_links_nothing(app: ApiApp, engine: Engine) -> None:
    maria = new_user(engine)
    token = await token_for(app, maria)
    issued = await new_code(app, token)
    with engine.begin() as conn:
        conn.execute(
            update(orm.link_codes)
            .where(orm.link_codes.c.user_id == maria.user_id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    phone = f"tg{tag()}"
    for confirmed in (False, True):
        expired = send(engine, link_message(phone, issued["code"], confirmed=confirmed))
        assert (expired.kind, expired.problem) == (ReplyKind.LINK_INVALID, "link_expired")
        unknown = send(engine, link_message(phone, "ZZZZ-ZZZZ", confirmed=confirmed))
        assert (unknown.kind, unknown.problem) == (ReplyKind.LINK_INVALID, "link_unknown")
    (owner,) = one(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=phone)
    assert owner != maria.user_id
    (used_at,) = one(engine, "SELECT used_at FROM link_codes WHERE user_id = :u", u=maria.user_id)
    assert used_at is None


async def test_linking_keeps_the_stronger_role_and_the_route_needs_a_token(
    app: ApiApp, engine: Engine
) -> None:
    maria = new_user(engine)
    phone = f"tg{tag()}"
    send(engine, dev_capture(phone, record(entry("30")), edge_id="edge-l"))
    (chat_user, chat_ledger) = chat_user_and_ledger(engine, phone)
    with engine.begin() as conn:
        conn.execute(insert(orm.members).values(context_id=chat_ledger, user_id=maria.user_id, role="viewer"))
        conn.execute(
            insert(orm.members).values(context_id=maria.context_id, user_id=chat_user, role="editor")
        )
    issued = await new_code(app, await token_for(app, maria))
    assert link_confirmed(engine, phone, issued["code"]).kind is ReplyKind.LINKED
    with engine.connect() as conn:
        roles = conn.execute(
            select(orm.members.c.context_id, orm.members.c.role).where(orm.members.c.user_id == maria.user_id)
        ).all()
    assert {(c, r) for c, r in roles} == {(chat_ledger, "owner"), (maria.context_id, "owner")}

    _, refused = await app.asgi_client.post("/api/v1/me/link-codes")
    assert refused.status == 401
    assert_error(refused.json, "unauthorized")


async def test_the_telegram_link_uses_the_configured_bot(
    settings: CoreSettings, engine: Engine, redis_conn: Redis
) -> None:
    configured = settings.model_copy(
        update={"telegram": CoreTelegramSettings(bot_username="@FinancyBot"), "link_code_ttl_s": 600}
    )
    app = create_app(configured, engine=engine, redis=redis_conn)
    maria = new_user(engine, locale="en")
    issued = await new_code(app, await token_for(app, maria))
    assert issued["telegram_url"] == "https://t.me/FinancyBot?start=" + issued["code"].replace("-", "")
    assert issued["instructions"] == (
        f"On Telegram, send /start {issued['code']} to the bot; on WhatsApp, send {issued['code']}. "
        "Then tap “🔗 Link” to confirm. The code works once, for 10 minutes."
    )


async def test_a_code_an_attacker_made_tapped_by_a_victim_leaves_the_victims_ledgers_alone(
    app: ApiApp, engine: Engine
) -> None:
    mallory = new_user(engine)
    victim = f"tg{tag()}"
    send(engine, dev_capture(victim, record(entry("250")), edge_id="edge-l"))
    (victim_user, victim_ledger) = chat_user_and_ledger(engine, victim)
    token = await token_for(app, mallory)
    bait = await new_code(app, token)

    # The victim taps t.me/<bot>?start=CODE (or sends the code they were given), and stops there.
    asked = send(engine, link_message(victim, bait["code"]))

    assert asked.kind is ReplyKind.LINK_CONFIRM
    assert asked.link_account == mallory.username  # whose account it is, said before anything moves
    (owner,) = one(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=victim)
    assert owner == victim_user
    assert dashboard_contexts(engine, victim_user) == {victim_ledger}
    assert dashboard_contexts(engine, mallory.user_id) == {mallory.context_id}
    status, page = await get_json(app, "/api/v1/contexts", token)
    assert status == 200
    assert [c["id"] for c in page["items"]] == [str(mallory.context_id)]
    _, refused = await app.asgi_client.get(
        f"/api/v1/contexts/{victim_ledger}/transactions", headers=bearer(token)
    )
    assert refused.status == 403
    assert_error(refused.json, "not_a_member")
    (used_at,) = one(engine, "SELECT used_at FROM link_codes WHERE user_id = :u", u=mallory.user_id)
    assert used_at is None
    (linked,) = one(
        engine,
        "SELECT count(*) FROM events WHERE name = 'identity.linked' AND before IS NOT NULL AND actor_id = :u",
        u=mallory.user_id,
    )
    assert linked == 0
    # Another victim sends a "/vincular CODE" someone prefilled (wa.me/...?text=): it only asks.
    second = f"tg{tag()}"
    send(engine, dev_capture(second, record(entry("40")), edge_id="edge-l"))
    (second_user,) = one(
        engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=second
    )
    prefilled = send(engine, link_message(second, bait["code"], confirmed=True))
    assert (prefilled.kind, prefilled.link_account) == (ReplyKind.LINK_CONFIRM, mallory.username)
    (owner,) = one(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=second)
    assert owner == second_user
    assert dashboard_contexts(engine, mallory.user_id) == {mallory.context_id}
    asked = one(
        engine,
        "SELECT count(*) FILTER (WHERE after->>'platform_user_id' = :v), "
        "count(*) FILTER (WHERE after->>'platform_user_id' = :s) FROM events "
        "WHERE name = 'link_code.asked' AND actor_id IN (:vu, :su)",
        v=victim,
        s=second,
        vu=victim_user,
        su=second_user,
    )
    assert tuple(asked) == (1, 1)
    # The victim's next message is still theirs, in their own ledger.
    send(engine, dev_capture(victim, record(entry("12")), edge_id="edge-l"))
    (authors,) = one(
        engine,
        "SELECT array_agg(DISTINCT author_id) FROM transactions WHERE context_id = :c",
        c=victim_ledger,
    )
    assert authors == [victim_user]


# --------------------------------------------------------------------------- summary and edits


def test_the_summary_sums_this_month_by_category_without_reversed_or_other_months(engine: Engine) -> None:
    ana = f"ana{tag()}"

    def say(understanding: Understanding, message_id: str | None = None) -> ReplyV1:
        return send(engine, dev_capture(ana, understanding, message_id=message_id, edge_id="edge-l"))

    say(record(entry("100.50"), entry("20", "restaurants", "padaria")))
    say(record(entry("49.50", days_ago=3)))
    say(record(entry("5", "transport", "metro", currency="USD")))
    say(record(entry("3000", "salary", "empresa", kind="income")))
    say(record(entry("999", "health", "farmacia", occurred_on=dt.date(2026, 10, 31))))
    say(record(entry("77", "shopping", "loja")))
    assert say(said(Intent.UNDO)).kind is ReplyKind.UNDONE

    reply = say(said(Intent.SUMMARY))

    assert reply.kind is ReplyKind.SUMMARY
    summary = reply.summary
    assert summary is not None
    assert (summary.date_from, summary.date_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 29))
    assert summary.rows == (
        SummaryRow(
            category="groceries", category_name="Mercado", currency="BRL", total=Decimal("150.00"), count=2
        ),
        SummaryRow(
            category="restaurants",
            category_name="Alimentação",
            currency="BRL",
            total=Decimal("20.00"),
            count=1,
        ),
    )
    # No ECB rate is known for these dollars (the shipped history ends weeks before): they are kept
    # apart, never added to the reais.
    assert summary.expense_totals == (("BRL", Decimal("170.00")),)
    assert [(u.kind, u.currency, u.total, u.count) for u in summary.unvalued] == [
        ("expense", "USD", Decimal("5.00"), 1)
    ]
    assert summary.income_totals == (("BRL", Decimal("3000.00")),)
    assert say(said(Intent.CATEGORIES)).kind is ReplyKind.CATEGORIES


def test_edits_amend_in_place_replace_on_another_count_and_record_when_unknown(engine: Engine) -> None:
    ana = f"ana{tag()}"

    def say(understanding: Understanding, message_id: str, amends: str | None = None) -> ReplyV1:
        cap = dev_capture(ana, understanding, message_id=message_id, edge_id="edge-l")
        return send(engine, cap.model_copy(update={"amends": amends}) if amends else cap)

    def rows() -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text(
                        "SELECT t.id, t.amount, t.currency, t.occurred_on, t.status FROM transactions t "
                        "JOIN chat_bindings b ON b.context_id = t.context_id WHERE b.chat_id = :c "
                        "ORDER BY t.created_at, t.id"
                    ),
                    {"c": ana},
                )
            ]

    say(record(entry("45.90"), entry("10", "restaurants", "padaria")), "m1")
    ids = [r[0] for r in rows()]
    same = say(
        record(entry("54.90", days_ago=1), entry("12", "restaurants", "padaria")), "m1-e1", amends="m1"
    )
    assert same.kind is ReplyKind.AMENDED
    assert [t.transaction_id for t in same.transactions] == ids
    assert rows() == [
        (ids[0], Decimal("54.9000"), "BRL", dt.date(2026, 11, 28), "recorded"),
        (ids[1], Decimal("12.0000"), "BRL", dt.date(2026, 11, 29), "recorded"),
    ]
    with engine.connect() as conn:
        amended = conn.execute(
            select(orm.events.c.entity_id, orm.events.c.before, orm.events.c.after)
            .where(orm.events.c.name == "transaction.amended", orm.events.c.entity_id.in_(ids))
            .order_by(orm.events.c.id)
        ).all()
    assert [tuple(a) for a in amended] == [
        (
            ids[0],
            {"amount": "45.9000", "occurred_on": "2026-11-29"},
            {"amount": "54.90", "occurred_on": "2026-11-28"},
        ),
        (ids[1], {"amount": "10.0000"}, {"amount": "12"}),
    ]

    other = say(record(entry("30")), "m1-e2", amends="m1")
    assert other.kind is ReplyKind.AMENDED
    (new_row,) = [r for r in rows() if r[4] == "recorded"]
    assert [r[4] for r in rows() if r[0] in ids] == ["reversed", "reversed"]
    assert new_row[1:4] == (Decimal("30.0000"), "BRL", dt.date(2026, 11, 29))
    assert [t.transaction_id for t in other.transactions] == [new_row[0]]

    fresh = say(record(entry("7")), "m9-e1", amends="never-seen")
    assert fresh.kind is ReplyKind.RECORDED
    assert rows()[-1][1:] == (Decimal("7.0000"), "BRL", dt.date(2026, 11, 29), "recorded")


def test_an_edit_naming_someone_elses_message_amends_nothing(engine: Engine) -> None:
    group, who = f"-100{tag()}", tag()

    def say(sender: str, understanding: Understanding, message_id: str, amends: str | None = None) -> ReplyV1:
        cap = group_message(person(sender + who), group, understanding, message_id=message_id)
        return send(engine, cap.model_copy(update={"amends": amends}) if amends else cap)

    say("ana", record(entry("45.90")), "m1")
    say("carol", record(entry("3")), "c1")
    amounts = "SELECT amount, status FROM transactions t JOIN chat_bindings b ON b.context_id = t.context_id"
    amounts += " WHERE b.chat_id = :c ORDER BY t.created_at, t.amount"
    before = [tuple(r) for r in one_all(engine, amounts, c=group)]

    forged = say("carol", record(entry("0.01")), "c1-edit", amends="m1")

    assert (forged.kind, forged.problem) == (ReplyKind.FORBIDDEN, "forbidden:amend")
    assert [tuple(r) for r in one_all(engine, amounts, c=group)] == before
    (status, problem) = one(
        engine,
        "SELECT status, problem FROM captures WHERE idempotency_key = :k",
        k=f"telegram:{group}:c1-edit",
    )
    assert (status, problem) == ("needs_review", "forbidden:amend")
    mine = say("ana", record(entry("54.90")), "m1-edit", amends="m1")
    assert mine.kind is ReplyKind.AMENDED
    assert sorted(r[0] for r in one_all(engine, amounts, c=group)) == [Decimal("3.0000"), Decimal("54.9000")]


def one_all(engine: Engine, sql: str, **params: object) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())
