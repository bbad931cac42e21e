"""Subscriptions in the chat: the phrases and commands that ask for them, the list and the renewal
reminder in pt-BR and English, and the daily job on beat's schedule."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from financy.bots.common.render import render
from financy.core.contracts.v1 import Intent, RecurringSeriesV1, ReplyKind, ReplyV1
from financy.core.entrypoints.tasks import DETECT_RECURRING, create_app
from financy.core.settings import CoreSettings
from financy.edge.pipeline.understand import to_understanding
from financy.inference.text.reader import read_message
from tests.support.replies import chat_reply

TODAY = dt.date(2026, 11, 29)


def _read(text: str, hint: str = "pt") -> tuple[str, str]:
    reading = read_message(text, today=TODAY, language_hint=hint)
    return reading.intent, reading.language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("quais minhas assinaturas?", "pt"),
        ("Quais são as minhas assinaturas?", "pt"),
        ("minhas assinaturas", "pt"),
        ("assinaturas", "pt"),
        ("mostra meus pagamentos recorrentes", "pt"),
        ("contas recorrentes", "pt"),
        ("what are my subscriptions?", "en"),
        ("show my subscriptions please", "en"),
        ("my recurring payments", "en"),
    ],
)
def test_phrases_that_ask_for_the_subscriptions(text: str, language: str) -> None:
    assert _read(text, hint=language) == ("subscriptions", language)


@pytest.mark.parametrize(
    "command", ["/assinaturas", "/assinatura", "/subscriptions", "/assinaturas@financy_bot", "/recorrentes"]
)
def test_the_subscriptions_commands(command: str) -> None:
    reading = read_message(command, today=TODAY, language_hint="pt")
    assert (reading.intent, reading.confidence) == ("subscriptions", 1.0)
    assert to_understanding(reading).intent is Intent.SUBSCRIPTIONS


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("quanto gastei com assinaturas este mês?", "query"),  # a sum of the category
        ("assinatura netflix 39,90", "record"),
        ("netflix 44,90", "record"),
        ("minhas assinaturas da netflix custam 44,90", "record"),
    ],
)
def test_messages_about_subscriptions_that_ask_something_else(text: str, intent: str) -> None:
    assert _read(text)[0] == intent


# --- rendering ----------------------------------------------------------------------------------


def _series(**fields: Any) -> RecurringSeriesV1:
    values: dict[str, Any] = {
        "series_id": uuid.uuid4(),
        "merchant": "Netflix",
        "cadence": "monthly",
        "amount": Decimal("44.90"),
        "currency": "BRL",
        "status": "confirmed",
        "category": "subscriptions",
        "last_seen": dt.date(2026, 11, 5),
        "next_due": dt.date(2026, 12, 5),
        "confidence": 0.8,
        "price_old": Decimal("39.90"),
        "price_new": Decimal("44.90"),
        "price_changed_on": dt.date(2026, 11, 5),
        **fields,
    }
    return RecurringSeriesV1.model_validate(values)


def _reply(kind: ReplyKind, language: str, *series: RecurringSeriesV1) -> ReplyV1:
    return chat_reply("telegram", "1", "2", kind, language=language, recurring=series)


LEDGER = (
    _series(),
    _series(
        merchant="Smart Fit",
        amount=Decimal("99.90"),
        next_due=dt.date(2026, 12, 10),
        status="detected",
        price_old=None,
        price_new=None,
        price_changed_on=None,
    ),
    _series(
        merchant="feira",
        cadence="weekly",
        amount=Decimal("1234.5"),
        next_due=dt.date(2026, 12, 5),
        price_old=Decimal("1300"),
        price_new=Decimal("1234.5"),
    ),
    _series(merchant="ACME Ltda", kind="income", amount=Decimal("5000"), price_old=None, price_new=None),
    _series(merchant="registro.br", cadence="yearly", amount=Decimal("40"), price_old=None, price_new=None),
)


def test_the_list_in_portuguese() -> None:
    rendered = render(_reply(ReplyKind.SUBSCRIPTIONS, "pt", *LEDGER))
    assert rendered.text == (
        "🔁 Suas assinaturas e pagamentos recorrentes:\n"
        "• Netflix: R$ 44,90 por mês · próxima 05/12 · subiu de 39,90 para 44,90\n"
        "• Smart Fit: R$ 99,90 por mês · próxima 10/12 (a confirmar)\n"
        "• feira: R$ 1.234,50 por semana · próxima 05/12 · baixou de 1.300,00 para 1.234,50\n"
        "• ACME Ltda: +R$ 5.000,00 por mês · próxima 05/12\n"
        "• registro.br: R$ 40,00 por ano · próxima 05/12\n"
        "Para confirmar: /assinatura confirmar Smart Fit · para tirar da lista: /assinatura ignorar Smart Fit"
    )
    assert rendered.buttons == ()


def test_the_list_in_english() -> None:
    assert render(_reply(ReplyKind.SUBSCRIPTIONS, "en", *LEDGER)).text == (
        "🔁 Your subscriptions and recurring payments:\n"
        "• Netflix: R$44.90 a month · next 12/05 · went up from 39.90 to 44.90\n"
        "• Smart Fit: R$99.90 a month · next 12/10 (unconfirmed)\n"
        "• feira: R$1,234.50 a week · next 12/05 · went down from 1,300.00 to 1,234.50\n"
        "• ACME Ltda: +R$5,000.00 a month · next 12/05\n"
        "• registro.br: R$40.00 a year · next 12/05\n"
        "To confirm: /subscription confirm Smart Fit · to take it off the list: /subscription dismiss Smart Fit"
    )


def test_the_renewal_reminder_in_both_languages() -> None:
    netflix = _series()
    assert render(_reply(ReplyKind.SUBSCRIPTION_REMINDER, "pt", netflix)).text == (
        "⏰ Lembrete: Netflix renova em 05/12 — R$ 44,90 (subiu de 39,90 para 44,90)."
    )
    assert render(_reply(ReplyKind.SUBSCRIPTION_REMINDER, "en", netflix)).text == (
        "⏰ Reminder: Netflix renews on 12/05 — R$44.90 (went up from 39.90 to 44.90)."
    )
    salary = _series(
        merchant="ACME Ltda", kind="income", amount=Decimal("5000"), price_old=None, price_new=None
    )
    assert render(_reply(ReplyKind.SUBSCRIPTION_REMINDER, "pt", salary)).text == (
        "⏰ Lembrete: ACME Ltda deve entrar em 05/12 — +R$ 5.000,00."
    )


def test_a_price_change_in_both_languages() -> None:
    netflix = _series()
    assert render(_reply(ReplyKind.SUBSCRIPTION_PRICE_CHANGE, "pt", netflix)).text == (
        "💸 Netflix subiu de 39,90 para 44,90 (desde 05/11)."
    )
    assert render(_reply(ReplyKind.SUBSCRIPTION_PRICE_CHANGE, "en", netflix)).text == (
        "💸 Netflix went up from 39.90 to 44.90 (since 11/05)."
    )


def test_a_long_merchant_is_cut_on_one_line() -> None:
    long = _series(merchant="Assinatura\nmuito " + "longa " * 20, price_old=None, price_new=None)
    (line,) = render(_reply(ReplyKind.SUBSCRIPTIONS, "pt", long)).text.split("\n")[1:]
    assert line.startswith("• Assinatura muito longa longa")
    assert "…: R$ 44,90 por mês" in line


# --- the daily job ------------------------------------------------------------------------------


def test_beat_sends_the_detection_daily_or_on_the_configured_interval() -> None:
    values: dict[str, object] = {
        "redis_url": "unix:///tmp/financy-test/redis.sock",
        "database_url": "postgresql://postgres:@/postgres?host=/tmp",
        "data_dir": Path("/box"),
    }
    app = create_app(CoreSettings.model_validate(values))
    assert DETECT_RECURRING in app.tasks
    assert app.conf.beat_schedule[DETECT_RECURRING]["schedule"] == 86_400.0
    hourly = CoreSettings.model_validate(
        {**values, "recurring": {"interval_s": 3600, "remind_days_before": 1}}
    )
    assert create_app(hourly).conf.beat_schedule[DETECT_RECURRING]["schedule"] == 3600.0
    assert hourly.recurring.remind_days_before == 1
    assert CoreSettings.model_validate(values).recurring.remind_days_before == 3


@pytest.mark.parametrize(
    ("text", "action", "series"),
    [
        ("/assinatura confirmar Netflix", "confirm", "Netflix"),
        ("/assinaturas ignorar 2", "dismiss", "2"),
        ("/assinatura dispensar Smart Fit.", "dismiss", "Smart Fit"),
        ("/subscriptions confirm  Google One ", "confirm", "Google One"),
        ("/subscription dismiss “gym”", "dismiss", "gym"),
    ],
)
def test_a_subscriptions_command_may_decide_about_one_series(text: str, action: str, series: str) -> None:
    reading = read_message(text, today=TODAY, language_hint="pt")
    assert reading.intent == "subscriptions"
    understanding = to_understanding(reading)
    assert understanding.subscription_decision is not None
    assert (understanding.subscription_decision.action, understanding.subscription_decision.series) == (
        action,
        series,
    )


@pytest.mark.parametrize(
    "text", ["/assinaturas", "/assinaturas netflix", "/assinatura confirmar", "/subscriptions all"]
)
def test_without_an_action_and_a_series_the_command_lists(text: str) -> None:
    reading = read_message(text, today=TODAY, language_hint="pt")
    assert (reading.intent, to_understanding(reading).subscription_decision) == ("subscriptions", None)


def test_the_answers_to_a_decision() -> None:
    netflix = _series()
    confirmed = chat_reply(
        "telegram", "1", "2", ReplyKind.SUBSCRIPTIONS, recurring=(netflix,), problem="subscription_confirmed"
    )
    assert (
        render(confirmed).text
        == "✅ Netflix confirmada: R$ 44,90 por mês · próxima 05/12. Aviso antes de renovar."
    )
    dismissed = chat_reply(
        "telegram",
        "1",
        "2",
        ReplyKind.SUBSCRIPTIONS,
        language="en",
        recurring=(netflix,),
        problem="subscription_dismissed",
    )
    assert render(dismissed).text == (
        "🗑️ Netflix is off the subscriptions list; it comes back only if its amount or cadence changes a lot."
    )
    unknown = chat_reply(
        "telegram",
        "1",
        "2",
        ReplyKind.SUBSCRIPTIONS,
        language="en",
        problem="subscription_unknown",
        asked_about="x",
    )
    assert render(unknown).text == "🔁 I couldn't find the subscription “x”. /subscriptions shows the list."
