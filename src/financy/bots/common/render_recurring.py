"""The subscriptions list, the renewal reminder and a price change, as pt-BR and English text.

:func:`render_recurring` is what ``render`` answers :attr:`ReplyKind.SUBSCRIPTIONS`,
:attr:`ReplyKind.SUBSCRIPTION_REMINDER` and :attr:`ReplyKind.SUBSCRIPTION_PRICE_CHANGE` with.
Amounts as babel's CLDR patterns write them ("R$ 44,90" in pt-BR, "R$44.90" in en-US), a price
change as bare numbers ("subiu de 39,90 para 44,90"), dates ``dd/mm`` (pt) or ``mm/dd`` (en).
Merchants are the ledger's own text: one line, cut at 60 characters.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.numbers import format_currency

from financy.core.contracts.v1 import RecurringSeriesV1, ReplyKind, ReplyV1

_LOCALES = {"pt": "pt_BR", "en": "en_US"}

_STRINGS: dict[str, dict[str, str]] = {
    "pt": {
        "list.head": "🔁 Suas assinaturas e pagamentos recorrentes:",
        "list.none": (
            "🔁 Ainda não encontrei assinaturas nem pagamentos recorrentes neste livro: eles aparecem "
            "depois de 3 pagamentos semanais ou mensais (ou 2 anuais) no mesmo lugar."
        ),
        "line": "• {merchant}: {amount} {cadence} · próxima {day}",
        "unconfirmed": " (a confirmar)",
        "cadence.weekly": "por semana",
        "cadence.monthly": "por mês",
        "cadence.yearly": "por ano",
        "price.up": "subiu de {old} para {new}",
        "price.down": "baixou de {old} para {new}",
        "reminder.expense": "⏰ Lembrete: {merchant} renova em {day} — {amount}",
        "reminder.income": "⏰ Lembrete: {merchant} deve entrar em {day} — {amount}",
        "reminder.bare": "⏰ Lembrete: uma assinatura renova em breve.",
        "price_change": "💸 {merchant} {change} (desde {day}).",
        "price_change.bare": "💸 O preço de uma assinatura mudou.",
    },
    "en": {
        "list.head": "🔁 Your subscriptions and recurring payments:",
        "list.none": (
            "🔁 I haven't found subscriptions or recurring payments in this ledger yet: they show up "
            "after 3 weekly or monthly payments (or 2 yearly ones) at the same place."
        ),
        "line": "• {merchant}: {amount} {cadence} · next {day}",
        "unconfirmed": " (unconfirmed)",
        "cadence.weekly": "a week",
        "cadence.monthly": "a month",
        "cadence.yearly": "a year",
        "price.up": "went up from {old} to {new}",
        "price.down": "went down from {old} to {new}",
        "reminder.expense": "⏰ Reminder: {merchant} renews on {day} — {amount}",
        "reminder.income": "⏰ Reminder: {merchant} is due on {day} — {amount}",
        "reminder.bare": "⏰ Reminder: a subscription renews soon.",
        "price_change": "💸 {merchant} {change} (since {day}).",
        "price_change.bare": "💸 A subscription's price changed.",
    },
}


def _money(amount: Decimal, currency: str, language: str) -> str:
    text = format_currency(amount, currency, locale=_LOCALES[language])
    return str(text).replace("\xa0", " ")


def _number(amount: Decimal, currency: str, language: str) -> str:
    """The amount without its currency, with the currency's decimals ("39,90")."""
    return str(format_currency(amount, currency, format="#,##0.00", locale=_LOCALES[language]))


def _day(day: dt.date, language: str) -> str:
    return day.strftime("%d/%m" if language == "pt" else "%m/%d")


def _merchant(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= 60 else one_line[:59] + "…"


def _amount(series: RecurringSeriesV1, language: str) -> str:
    sign = "+" if series.kind == "income" else ""
    return sign + _money(series.amount, series.currency, language)


def _price_change(series: RecurringSeriesV1, language: str, s: dict[str, str]) -> str | None:
    """ "subiu de 39,90 para 44,90", or None when the series' price never stepped."""
    old, new = series.price_old, series.price_new
    if old is None or new is None or old == new:
        return None
    key = "price.up" if new > old else "price.down"
    return s[key].format(
        old=_number(old, series.currency, language), new=_number(new, series.currency, language)
    )


def _line(series: RecurringSeriesV1, language: str, s: dict[str, str]) -> str:
    line = s["line"].format(
        merchant=_merchant(series.merchant),
        amount=_amount(series, language),
        cadence=s[f"cadence.{series.cadence}"],
        day=_day(series.next_due, language),
    )
    change = _price_change(series, language, s)
    if change is not None:
        line += f" · {change}"
    if series.status == "detected":
        line += s["unconfirmed"]
    return line


def _reminder(series: RecurringSeriesV1, language: str, s: dict[str, str]) -> str:
    text = s["reminder.income" if series.kind == "income" else "reminder.expense"].format(
        merchant=_merchant(series.merchant),
        day=_day(series.next_due, language),
        amount=_amount(series, language),
    )
    change = _price_change(series, language, s)
    return text + (f" ({change})." if change is not None else ".")


def _price_notice(series: RecurringSeriesV1, language: str, s: dict[str, str]) -> str | None:
    """ "💸 Netflix subiu de 39,90 para 44,90 (desde 05/11).", or None without a price change."""
    change = _price_change(series, language, s)
    if change is None or series.price_changed_on is None:
        return None
    return s["price_change"].format(
        merchant=_merchant(series.merchant), change=change, day=_day(series.price_changed_on, language)
    )


def render_recurring(reply: ReplyV1) -> str | None:
    """The text of a subscriptions list, a renewal reminder or a price change, or None for any
    other kind."""
    language = reply.language if reply.language in _STRINGS else "en"
    s = _STRINGS[language]
    if reply.kind is ReplyKind.SUBSCRIPTIONS:
        if not reply.recurring:
            return s["list.none"]
        return "\n".join([s["list.head"], *(_line(series, language, s) for series in reply.recurring)])
    if reply.kind is ReplyKind.SUBSCRIPTION_REMINDER:
        if not reply.recurring:
            return s["reminder.bare"]
        return "\n".join(_reminder(series, language, s) for series in reply.recurring)
    if reply.kind is ReplyKind.SUBSCRIPTION_PRICE_CHANGE:
        lines = [_price_notice(series, language, s) for series in reply.recurring]
        return "\n".join(line for line in lines if line) or s["price_change.bare"]
    return None
