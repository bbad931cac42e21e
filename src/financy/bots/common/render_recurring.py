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
        "how": "Para confirmar: /assinatura confirmar {merchant} · para tirar da lista: /assinatura ignorar {merchant}",
        "confirmed": "✅ {merchant} confirmada: {amount} {cadence} · próxima {day}. Aviso antes de renovar.",
        "dismissed": "🗑️ {merchant} saiu da lista de assinaturas; volta só se o valor ou a frequência mudarem muito.",
        "unknown": "🔁 Não achei a assinatura “{name}”. /assinaturas mostra a lista.",
        "ambiguous": "🔁 Mais de uma assinatura combina com “{name}”; escreva o nome inteiro:",
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
        "how": (
            "To confirm: /subscription confirm {merchant} · to take it off the list: "
            "/subscription dismiss {merchant}"
        ),
        "confirmed": "✅ {merchant} confirmed: {amount} {cadence} · next {day}. I'll remind you before it renews.",
        "dismissed": (
            "🗑️ {merchant} is off the subscriptions list; it comes back only if its amount or cadence "
            "changes a lot."
        ),
        "unknown": "🔁 I couldn't find the subscription “{name}”. /subscriptions shows the list.",
        "ambiguous": "🔁 More than one subscription matches “{name}”; write the whole name:",
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


def _decision(reply: ReplyV1, language: str, s: dict[str, str]) -> str:
    """The answer to "/assinatura confirmar Netflix" and "/assinatura ignorar Netflix"."""
    name = _merchant(reply.asked_about or "")
    first = reply.recurring[0] if reply.recurring else None
    if reply.problem == "subscription_ambiguous":
        return "\n".join(
            [s["ambiguous"].format(name=name), *(_line(series, language, s) for series in reply.recurring)]
        )
    if first is None or reply.problem == "subscription_unknown":
        return s["unknown"].format(name=name)
    if reply.problem == "subscription_dismissed":
        return s["dismissed"].format(merchant=_merchant(first.merchant))
    return s["confirmed"].format(
        merchant=_merchant(first.merchant),
        amount=_amount(first, language),
        cadence=s[f"cadence.{first.cadence}"],
        day=_day(first.next_due, language),
    )


def render_recurring(reply: ReplyV1) -> str | None:
    """The text of a subscriptions list, a renewal reminder or a price change, or None for any
    other kind."""
    language = reply.language if reply.language in _STRINGS else "en"
    s = _STRINGS[language]
    if reply.kind is ReplyKind.SUBSCRIPTIONS:
        if reply.problem is not None:
            return _decision(reply, language, s)
        if not reply.recurring:
            return s["list.none"]
        lines = [s["list.head"], *(_line(series, language, s) for series in reply.recurring)]
        unconfirmed = next((series for series in reply.recurring if series.status == "detected"), None)
        if unconfirmed is not None:
            lines.append(s["how"].format(merchant=_merchant(unconfirmed.merchant)))
        return "\n".join(lines)
    if reply.kind is ReplyKind.SUBSCRIPTION_REMINDER:
        if not reply.recurring:
            return s["reminder.bare"]
        return "\n".join(_reminder(series, language, s) for series in reply.recurring)
    if reply.kind is ReplyKind.SUBSCRIPTION_PRICE_CHANGE:
        notices = [_price_notice(series, language, s) for series in reply.recurring]
        return "\n".join(line for line in notices if line) or s["price_change.bare"]
    return None
