"""Recurring payments on a real PostgreSQL: detected from what the chat recorded, listed in the
chat ("quais minhas assinaturas?") and by the API, confirmed and dismissed (a dismissal survives
re-detection), and a renewal reminder sent once per due date to the ledger's chat.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import Engine, text

from financy.bots.common.render import render_reply
from financy.core.adapters.recurring_repository import SqlRecurring
from financy.core.contracts.v1 import PAYLOAD_FIELD, Intent, ReplyKind, ReplyV1
from financy.core.domain.recurring_commands import ConfirmSeries, RefreshRecurring
from financy.core.entrypoints.api import ApiApp
from financy.core.entrypoints.tasks import JobResources, detect_recurring
from financy.core.service.bootstrap import bootstrap
from financy.core.settings import CoreSettings
from tests.support.api import Member, bearer, chat, new_user, say, spend, token_for

pytestmark = pytest.mark.integration

D = Decimal


def day(text_date: str) -> dt.date:
    return dt.date.fromisoformat(text_date)


def record_ledger(engine: Engine, member: Member) -> None:
    """Netflix monthly 39.90 x4 then 44.90; a gym skipping September; a yearly domain; the weekly
    feira; three restaurant visits (no series). One chat message per entry, oldest first."""
    entries = [
        ("40.00", "2024-12-03", "utilities", "registro.br"),
        ("40.00", "2025-12-02", "utilities", "REGISTRO.BR"),
        ("99.90", "2026-06-10", "health", "Smart Fit"),
        ("39.90", "2026-07-05", "subscriptions", "Netflix"),
        ("99.90", "2026-07-10", "health", "SMARTFIT SAO PAULO SP"),
        ("39.90", "2026-08-05", "subscriptions", "NETFLIX.COM"),
        ("99.90", "2026-08-11", "health", "Smart Fit"),
        ("39.90", "2026-09-06", "subscriptions", "Netflix"),
        ("85.00", "2026-10-03", "restaurants", "Coco Bambu"),
        ("39.90", "2026-10-04", "subscriptions", "PAYPAL *NETFLIX 4029357733"),
        ("99.90", "2026-10-09", "health", "PAG*SmartFit"),
        ("42.50", "2026-10-20", "restaurants", "coco bambu"),
        ("44.90", "2026-11-05", "subscriptions", "Netflix"),
        ("60.00", "2026-11-07", "groceries", "feira"),
        ("99.90", "2026-11-10", "health", "Smart Fit"),
        ("57.50", "2026-11-14", "groceries", "feira"),
        ("62.00", "2026-11-22", "groceries", "feira"),
        ("120.00", "2026-11-27", "restaurants", "Coco Bambu"),
        ("59.00", "2026-11-28", "groceries", "feira"),
    ]
    for amount, on, category, merchant in entries:
        reply = chat(engine, member, spend(amount, day(on), category, merchant))
        assert reply.kind is ReplyKind.RECORDED, reply


def series_rows(engine: Engine, member: Member) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT key, merchant, cadence, amount, status, next_due, price_old, price_new "
                "FROM recurring_series WHERE context_id = :c ORDER BY key"
            ),
            {"c": member.context_id},
        )
        return [tuple(r) for r in rows]


def refresh(engine: Engine, member: Member, on: str) -> dict[str, int]:
    now = dt.datetime.combine(day(on), dt.time(15, 0), tzinfo=dt.UTC)
    result: dict[str, int] = bootstrap(engine=engine).handle(RefreshRecurring(member.context_id, now))
    return result


async def call(app: ApiApp, method: str, path: str, token: str) -> tuple[int, Any]:
    _, response = await getattr(app.asgi_client, method)(path, headers=bearer(token))
    return response.status, response.json


def test_the_chat_lists_the_subscriptions_detecting_them_on_demand(engine: Engine) -> None:
    """GIVEN a ledger recorded by chat and no series stored WHEN the owner asks "quais minhas
    assinaturas?" THEN they are detected and listed, Netflix with its price change, no restaurant."""
    member = new_user(engine)
    record_ledger(engine, member)
    assert series_rows(engine, member) == []

    reply = chat(engine, member, intent=Intent.SUBSCRIPTIONS)

    assert reply.kind is ReplyKind.SUBSCRIPTIONS
    assert [
        (s.merchant, s.cadence, s.amount, s.next_due, s.status, s.price_old, s.price_new, s.price_changed_on)
        for s in reply.recurring
    ] == [
        ("REGISTRO.BR", "yearly", D("40.00"), day("2026-12-02"), "detected", None, None, None),
        ("feira", "weekly", D("59.00"), day("2026-12-05"), "detected", None, None, None),
        ("Netflix", "monthly", D("44.90"), day("2026-12-05"), "detected", D("39.90"), D("44.90"), day("2026-11-05")),
        ("Smart Fit", "monthly", D("99.90"), day("2026-12-10"), "detected", None, None, None),
    ]  # fmt: skip
    assert render_reply(reply) == (
        "🔁 Suas assinaturas e pagamentos recorrentes:\n"
        "• REGISTRO.BR: R$ 40,00 por ano · próxima 02/12 (a confirmar)\n"
        "• feira: R$ 59,00 por semana · próxima 05/12 (a confirmar)\n"
        "• Netflix: R$ 44,90 por mês · próxima 05/12 · subiu de 39,90 para 44,90 (a confirmar)\n"
        "• Smart Fit: R$ 99,90 por mês · próxima 10/12 (a confirmar)\n"
        "Para confirmar: /assinatura confirmar REGISTRO.BR · para tirar da lista: /assinatura ignorar REGISTRO.BR"
    )
    assert series_rows(engine, member) == [
        ("feira", "feira", "weekly", D("59.0000"), "detected", day("2026-12-05"), None, None),
        ("netflix", "Netflix", "monthly", D("44.9000"), "detected", day("2026-12-05"), D("39.9000"), D("44.9000")),
        ("registro", "REGISTRO.BR", "yearly", D("40.0000"), "detected", day("2026-12-02"), None, None),
        ("smartfit", "Smart Fit", "monthly", D("99.9000"), "detected", day("2026-12-10"), None, None),
    ]  # fmt: skip


def test_an_empty_ledger_is_told_how_series_are_found(engine: Engine) -> None:
    member = new_user(engine, locale="en", currency="USD")
    chat(engine, member, spend("12.00", day("2026-11-20"), "restaurants", "diner"))
    reply = chat(engine, member, intent=Intent.SUBSCRIPTIONS)
    assert (reply.kind, reply.recurring) == (ReplyKind.SUBSCRIPTIONS, ())
    assert render_reply(reply.model_copy(update={"language": "en"})).startswith(
        "🔁 I haven't found subscriptions or recurring payments in this ledger yet"
    )


async def test_the_api_lists_confirms_and_dismisses_and_a_dismissal_survives_redetection(
    app: ApiApp, engine: Engine
) -> None:
    member = new_user(engine)
    record_ledger(engine, member)
    chat(engine, member, intent=Intent.SUBSCRIPTIONS)  # detected on 2026-11-29
    token = await token_for(app, member)
    base = f"/api/v1/contexts/{member.context_id}/recurring"

    status, listed = await call(app, "get", base, token)
    assert status == 200
    by_merchant = {s["merchant"]: s for s in listed["items"]}
    assert by_merchant["Netflix"] == {
        "id": by_merchant["Netflix"]["id"],
        "merchant": "Netflix",
        "kind": "expense",
        "cadence": "monthly",
        "amount": "44.90",
        "currency": "BRL",
        "status": "detected",
        "category": "subscriptions",
        "last_seen": "2026-11-05",
        "next_due": "2026-12-05",
        "confidence": 0.8,
        "price_old": "39.90",
        "price_new": "44.90",
        "price_changed_on": "2026-11-05",
    }
    netflix, feira, domain = (by_merchant[m]["id"] for m in ("Netflix", "feira", "REGISTRO.BR"))

    status, confirmed = await call(app, "post", f"{base}/{netflix}/confirm", token)
    assert (status, confirmed["status"], confirmed["id"]) == (200, "confirmed", netflix)
    for dismissed_id in (feira, domain):
        status, dismissed = await call(app, "post", f"{base}/{dismissed_id}/dismiss", token)
        assert (status, dismissed["status"]) == (200, "dismissed")
    status, body = await call(app, "post", f"{base}/{member.context_id}/confirm", token)
    assert (status, body["error"]["code"]) == (404, "not_found")

    # A week later: another feira at the usual amount and the Netflix of December.
    chat(engine, member, spend("60.00", day("2026-12-05"), "groceries", "feira"))
    chat(engine, member, spend("44.90", day("2026-12-05"), "subscriptions", "Netflix"))
    assert refresh(engine, member, "2026-12-06") == {"series": 4, "reminders": 0, "price_changes": 0}
    assert series_rows(engine, member) == [
        # dismissed: left as it was dismissed (59.00, next 5 Dec), not proposed again
        ("feira", "feira", "weekly", D("59.0000"), "dismissed", day("2026-12-05"), None, None),
        ("netflix", "Netflix", "monthly", D("44.9000"), "confirmed", day("2027-01-05"), D("39.9000"), D("44.9000")),
        ("registro", "REGISTRO.BR", "yearly", D("40.0000"), "dismissed", day("2026-12-02"), None, None),
        ("smartfit", "Smart Fit", "monthly", D("99.9000"), "detected", day("2026-12-10"), None, None),
    ]  # fmt: skip
    reply = chat(engine, member, intent=Intent.SUBSCRIPTIONS)
    assert [(s.merchant, s.status) for s in reply.recurring] == [
        ("Netflix", "confirmed"),
        ("Smart Fit", "detected"),
    ]

    # The domain renews 37.5 % dearer: a change that big proposes it again, with its price change.
    chat(engine, member, spend("55.00", day("2026-12-01"), "utilities", "registro.br"))
    refresh(engine, member, "2026-12-06")
    assert series_rows(engine, member)[2] == (
        "registro", "registro.br", "yearly", D("55.0000"), "detected", day("2027-12-01"), D("40.0000"), D("55.0000"),
    )  # fmt: skip
    status, listed = await call(app, "get", base, token)
    assert [(s["merchant"], s["status"]) for s in listed["items"]] == [
        ("Netflix", "confirmed"),
        ("Smart Fit", "detected"),
        ("registro.br", "detected"),
        ("feira", "dismissed"),
    ]
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT name FROM events WHERE entity = 'recurring_series' AND context_id = :c ORDER BY id"),
            {"c": member.context_id},
        ).scalars()
        assert list(names) == ["recurring.confirmed", "recurring.dismissed", "recurring.dismissed"]


async def test_a_viewer_may_list_but_not_confirm(app: ApiApp, engine: Engine) -> None:
    owner, viewer = new_user(engine), new_user(engine)
    record_ledger(engine, owner)
    chat(engine, owner, intent=Intent.SUBSCRIPTIONS)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO members (context_id, user_id, role) VALUES (:c, :u, 'viewer')"),
            {"c": owner.context_id, "u": viewer.user_id},
        )
    token = await token_for(app, viewer)
    base = f"/api/v1/contexts/{owner.context_id}/recurring"
    status, listed = await call(app, "get", base, token)
    assert (status, len(listed["items"])) == (200, 4)
    status, body = await call(app, "post", f"{base}/{listed['items'][0]['id']}/confirm", token)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert {r[4] for r in series_rows(engine, owner)} == {"detected"}


def test_the_chat_confirms_and_dismisses_by_name_or_number(engine: Engine) -> None:
    """GIVEN the detected series WHEN the owner types "/assinatura confirmar netflix" and
    "/assinaturas ignorar 2" THEN those series change, with their events, and the list shows it;
    an unknown or ambiguous name changes nothing and says so."""
    member = new_user(engine)
    record_ledger(engine, member)
    say(engine, member, "quais minhas assinaturas?")

    confirmed = say(engine, member, "/assinatura confirmar netflix")
    assert (confirmed.kind, confirmed.problem) == (ReplyKind.SUBSCRIPTIONS, "subscription_confirmed")
    assert [(s.merchant, s.status) for s in confirmed.recurring] == [("Netflix", "confirmed")]
    assert render_reply(confirmed) == (
        "✅ Netflix confirmada: R$ 44,90 por mês · próxima 05/12. Aviso antes de renovar."
    )
    # the list now shows Netflix first (confirmed), then by next date: 2 is REGISTRO.BR
    dismissed = say(engine, member, "/assinaturas ignorar 2")
    assert (dismissed.problem, [s.merchant for s in dismissed.recurring]) == (
        "subscription_dismissed",
        ["REGISTRO.BR"],
    )
    assert render_reply(dismissed).startswith("🗑️ REGISTRO.BR saiu da lista de assinaturas")

    unknown = say(engine, member, "/assinatura confirmar spotify")
    assert (unknown.problem, unknown.asked_about) == ("subscription_unknown", "spotify")
    assert render_reply(unknown) == "🔁 Não achei a assinatura “spotify”. /assinaturas mostra a lista."
    assert say(engine, member, "/assinatura ignorar 9").problem == "subscription_unknown"
    assert {(r[0], r[4]) for r in series_rows(engine, member)} == {
        ("feira", "detected"),
        ("netflix", "confirmed"),
        ("registro", "dismissed"),
        ("smartfit", "detected"),
    }
    listed = say(engine, member, "/assinaturas")
    assert [s.merchant for s in listed.recurring] == ["Netflix", "feira", "Smart Fit"]
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT name FROM events WHERE entity = 'recurring_series' AND context_id = :c ORDER BY id"),
            {"c": member.context_id},
        ).scalars()
        assert list(names) == ["recurring.confirmed", "recurring.dismissed"]


def test_a_name_that_matches_several_series_is_asked_about_and_a_viewer_may_not_decide(
    engine: Engine,
) -> None:
    owner, viewer = new_user(engine), new_user(engine)
    for amount, on in (("30.00", "2026-09-01"), ("30.00", "2026-10-01"), ("30.00", "2026-11-01")):
        chat(engine, owner, spend(amount, day(on), "subscriptions", "Google One"))
        chat(
            engine, owner, spend("9.90", day(on) + dt.timedelta(days=3), "subscriptions", "Google Play Pass")
        )
    ambiguous = say(engine, owner, "/assinatura confirmar google")
    assert ambiguous.problem == "subscription_ambiguous"
    assert sorted(s.merchant for s in ambiguous.recurring) == ["Google One", "Google Play Pass"]
    assert render_reply(ambiguous).startswith(
        "🔁 Mais de uma assinatura combina com “google”; escreva o nome inteiro:\n• "
    )
    assert {r[4] for r in series_rows(engine, owner)} == {"detected"}
    exact = say(engine, owner, "/assinatura confirmar Google One")
    assert [s.merchant for s in exact.recurring] == ["Google One"]

    say(engine, viewer, "/ajuda")  # the viewer's chat is bound to their own ledger, then moved
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO members (context_id, user_id, role) VALUES (:c, :u, 'viewer')"),
            {"c": owner.context_id, "u": viewer.user_id},
        )
        conn.execute(
            text("UPDATE chat_bindings SET context_id = :c WHERE platform = 'devchat' AND chat_id = :chat"),
            {"c": owner.context_id, "chat": viewer.devchat_id},
        )
    refused = say(engine, viewer, "/assinatura ignorar Google One")
    assert (refused.kind, refused.problem) == (ReplyKind.FORBIDDEN, "forbidden:edit")
    assert [s.merchant for s in say(engine, viewer, "/assinaturas").recurring] == [
        "Google One",
        "Google Play Pass",
    ]
    assert {(r[1], r[4]) for r in series_rows(engine, owner)} == {
        ("Google One", "confirmed"),
        ("Google Play Pass", "detected"),
    }


def reminders(engine: Engine, member: Member, kind: str = "subscription_reminder") -> list[ReplyV1]:
    with engine.connect() as conn:
        payloads = conn.execute(
            text("SELECT payload FROM outbox WHERE payload LIKE :k ORDER BY id"),
            {"k": f'%"chat_id":"{member.devchat_id}"%"kind":"{kind}"%'},
        ).scalars()
        return [ReplyV1.model_validate_json(p) for p in payloads]


def test_the_daily_job_reminds_of_a_confirmed_renewal_once_per_due_date(
    engine: Engine, settings: CoreSettings, redis_conn: Redis
) -> None:
    """GIVEN a confirmed Netflix due on 8 Dec WHEN the job runs on 4, 5, 6 Dec THEN one reminder
    (on the 5th, 3 days before) goes to the ledger's chat and its edge's reply stream; the next
    due date (8 Jan) gets its own reminder."""
    member = new_user(engine)
    for on in ("2026-09-08", "2026-10-08", "2026-11-08"):
        chat(engine, member, spend("39.90", day(on), "subscriptions", "Netflix"))
    (series,) = chat(engine, member, intent=Intent.SUBSCRIPTIONS).recurring
    assert (series.next_due, series.status) == (day("2026-12-08"), "detected")
    resources = JobResources(settings, engine=engine)

    def run(on: str) -> dict[str, Any]:
        return detect_recurring(resources, now=dt.datetime.combine(day(on), dt.time(12, 0), tzinfo=dt.UTC))

    try:
        run("2026-12-05")
        assert reminders(engine, member) == []  # only a confirmed series is reminded of
        bootstrap(engine=engine).handle(ConfirmSeries(member.context_id, series.series_id, member.user_id))
        result = run("2026-12-04")
        with engine.connect() as conn:
            scanned = SqlRecurring(conn).contexts_to_scan(day("2024-09-24"))
        assert member.context_id in scanned
        assert (result["status"], result["contexts"]) == ("detected", len(scanned))
        assert reminders(engine, member) == []  # 4 days before
        run("2026-12-05")
        run("2026-12-05")  # twice the same day
        run("2026-12-06")
        (sent,) = reminders(engine, member)
        assert (sent.kind, sent.edge_id, sent.platform, sent.language) == (
            ReplyKind.SUBSCRIPTION_REMINDER, "edge-api", "devchat", "pt",
        )  # fmt: skip
        (shown,) = sent.recurring
        assert (shown.merchant, shown.amount, shown.next_due, shown.status) == (
            "Netflix", D("39.90"), day("2026-12-08"), "confirmed",
        )  # fmt: skip
        assert render_reply(sent) == "⏰ Lembrete: Netflix renova em 08/12 — R$ 39,90."
        entries = redis_conn.xrange("financy:edge:edge-api:replies")
        streamed = [ReplyV1.model_validate_json(fields[PAYLOAD_FIELD.encode()]) for _, fields in entries]
        mine = [r for r in streamed if r.chat_id == member.devchat_id]
        assert [(r.kind, r.reply_id) for r in mine] == [(ReplyKind.SUBSCRIPTION_REMINDER, sent.reply_id)]
        with engine.connect() as conn:
            published = conn.execute(
                text("SELECT published_at IS NOT NULL FROM outbox WHERE payload LIKE :k"),
                {"k": f'%"reply_id":"{sent.reply_id}"%'},
            ).scalar_one()
        assert published is True

        # December is paid, dearer: the price change is told once; the next due date, 8 Jan, is
        # reminded of on 5 Jan, once, at the new price.
        chat(engine, member, spend("42.90", day("2026-12-08"), "subscriptions", "Netflix"))
        run("2027-01-04")
        run("2027-01-05")
        run("2027-01-07")
        assert [r.recurring[0].next_due for r in reminders(engine, member)] == [
            day("2026-12-08"),
            day("2027-01-08"),
        ]
        assert render_reply(reminders(engine, member)[1]) == (
            "⏰ Lembrete: Netflix renova em 08/01 — R$ 42,90 (subiu de 39,90 para 42,90)."
        )
        (change,) = reminders(engine, member, "subscription_price_change")
        assert render_reply(change) == "💸 Netflix subiu de 39,90 para 42,90 (desde 08/12)."
    finally:
        resources.close()
