"""Render the core's card replies (:attr:`ReplyKind.CARD_BILL`, :attr:`ReplyKind.CARD_SET`) in
pt-BR or English: a card set up, how to set one up, and the bills with their instalments.

``render.py`` calls :func:`render_cards` for these kinds. Amounts as babel's CLDR currency
patterns ("R$ 200,00" in pt-BR, "R$200.00" in en-US); dates ``dd/mm`` (pt) or ``mm/dd`` (en),
with the year when a date is in another year than the first bill's due date; an instalment as
"3/10". A bill lists its first :data:`MAX_SHOWN` lines, then how many more it has.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from babel.numbers import format_currency

from financy.core.contracts.v1 import CardBillLineV1, CardBillV1, CardV1, ReplyKind, ReplyV1

_LOCALES = {"pt": "pt_BR", "en": "en_US"}
#: How many lines of one bill the text shows.
MAX_SHOWN: Final = 10

_STRINGS: dict[str, dict[str, str]] = {
    "pt": {
        "set": "💳 Cartão {name} cadastrado: fecha dia {closing}, vence dia {due}.",
        "replaced": "💳 Cartão {name} atualizado: fecha dia {closing}, vence dia {due}.",
        "default": "É o cartão padrão: compras “no cartão” (e “em 10x”) entram nas faturas dele.",
        "not_default": "As compras “no cartão” continuam na fatura do cartão padrão.",
        "set.hint": "Veja as faturas com /fatura.",
        "set.bare": "💳 Cartão cadastrado.",
        "how": "💳 Para cadastrar um cartão, mande: /cartao Nubank fecha 5 vence 12",
        "days": "💳 Faltou o nome ou um dos dias (1 a 31). Mande assim: /cartao Nubank fecha 5 vence 12",
        "list": "Seus cartões:",
        "card.line": "• {name} — fecha dia {closing}, vence dia {due}{default}",
        "card.default": " (padrão)",
        "no_card": (
            "💳 Você ainda não tem um cartão cadastrado. Cadastre assim: /cartao Nubank fecha 5 vence 12 — "
            "depois, compras “no cartão” e “em 10x” entram nas faturas certas."
        ),
        "bills.none": "💳 Nenhuma fatura para mostrar.",
        "card.head": "💳 {name} (fecha dia {closing}, vence dia {due})",
        "bill.open": "Fatura aberta — fecha {closing}, vence {due}: {total}",
        "bill.closed": "Fatura fechada — vence {due}: {total}",
        "bill.future": "Fatura de {due}: {total}",
        "bill.past": "Fatura vencida em {due}: {total}",
        "bill.empty": "  nenhuma compra ainda",
        "bill.line": "  • {merchant} {n}/{of} — {amount}",
        "bill.unvalued": " (sem cotação, fora do total)",
        "bill.more": "  … e mais {n}",
        "purchase": "compra",
    },
    "en": {
        "set": "💳 Card {name} set up: closes on day {closing}, due on day {due}.",
        "replaced": "💳 Card {name} updated: closes on day {closing}, due on day {due}.",
        "default": "It is the default card: “on the card” purchases (and “in 10 instalments”) go on its bills.",
        "not_default": "“On the card” purchases still go on the default card's bills.",
        "set.hint": "See the bills with /bill.",
        "set.bare": "💳 Card set up.",
        "how": "💳 To set up a card, send: /card Nubank closes 5 due 12",
        "days": "💳 The name or a day (1 to 31) is missing. Send it like this: /card Nubank closes 5 due 12",
        "list": "Your cards:",
        "card.line": "• {name} — closes on day {closing}, due on day {due}{default}",
        "card.default": " (default)",
        "no_card": (
            "💳 You have no card set up yet. Set one up like this: /card Nubank closes 5 due 12 — then "
            "“on the card” and instalment purchases go on the right bills."
        ),
        "bills.none": "💳 No bill to show.",
        "card.head": "💳 {name} (closes on day {closing}, due on day {due})",
        "bill.open": "Open bill — closes {closing}, due {due}: {total}",
        "bill.closed": "Closed bill — due {due}: {total}",
        "bill.future": "Bill due {due}: {total}",
        "bill.past": "Bill that was due {due}: {total}",
        "bill.empty": "  no purchases yet",
        "bill.line": "  • {merchant} {n}/{of} — {amount}",
        "bill.unvalued": " (no FX rate, not in the total)",
        "bill.more": "  … and {n} more",
        "purchase": "purchase",
    },
}


def _money(amount: Decimal, currency: str, language: str) -> str:
    return format_currency(amount, currency, locale=_LOCALES.get(language, "en_US")).replace("\xa0", " ")


def _day(day: dt.date, language: str, with_year: bool) -> str:
    if language == "pt":
        return day.strftime("%d/%m/%Y" if with_year else "%d/%m")
    return day.strftime("%m/%d/%Y" if with_year else "%m/%d")


def _card_line(card: CardV1, s: dict[str, str]) -> str:
    return s["card.line"].format(
        name=card.name,
        closing=card.closing_day,
        due=card.due_day,
        default=s["card.default"] if card.is_default else "",
    )


def _card_set(reply: ReplyV1, s: dict[str, str]) -> str:
    problem = reply.problem
    if problem == "card_days":
        return s["days"]
    if problem == "card_how":
        lines = [s["how"]]
        if reply.cards:
            lines += [s["list"], *(_card_line(c, s) for c in reply.cards)]
        return "\n".join(lines)
    if not reply.cards:
        return s["set.bare"]
    card = reply.cards[0]
    key = "replaced" if problem == "replaced" else "set"
    head = s[key].format(name=card.name, closing=card.closing_day, due=card.due_day)
    return "\n".join([head, s["default"] if card.is_default else s["not_default"], s["set.hint"]])


def _line(line: CardBillLineV1, language: str, s: dict[str, str]) -> str:
    text = s["bill.line"].format(
        merchant=" ".join((line.merchant or s["purchase"]).split())[:60],
        n=line.number,
        of=line.of,
        amount=_money(line.amount, line.currency, language),
    )
    return text + (s["bill.unvalued"] if line.unvalued else "")


def _bill(bill: CardBillV1, language: str, s: dict[str, str], year: int) -> list[str]:
    head = s[f"bill.{bill.status}"].format(
        closing=_day(bill.closing_on, language, bill.closing_on.year != year),
        due=_day(bill.due_on, language, bill.due_on.year != year),
        total=_money(bill.total, bill.currency, language),
    )
    lines = [head]
    if not bill.lines:
        lines.append(s["bill.empty"])
    lines += [_line(line, language, s) for line in bill.lines[:MAX_SHOWN]]
    more = bill.count + bill.unvalued - min(len(bill.lines), MAX_SHOWN)
    if more > 0 and bill.lines:
        lines.append(s["bill.more"].format(n=more))
    return lines


def _card_bill(reply: ReplyV1, language: str, s: dict[str, str]) -> str:
    if reply.problem == "no_card":
        return s["no_card"]
    if not reply.card_bills:
        return s["bills.none"]
    cards = {c.card_id: c for c in reply.cards}
    year = reply.card_bills[0].due_on.year
    out: list[str] = []
    shown_card = None
    for bill in reply.card_bills:
        if bill.card_id != shown_card:
            shown_card = bill.card_id
            card = cards.get(bill.card_id)
            if out:
                out.append("")
            out.append(
                s["card.head"].format(name=card.name, closing=card.closing_day, due=card.due_day)
                if card is not None
                else f"💳 {bill.card_name}"
            )
        out += _bill(bill, language, s, year)
    return "\n".join(out)


def render_cards(reply: ReplyV1, language: str) -> str | None:
    """Return the text of a card reply in ``language`` ("pt" or "en"), or ``None`` for any other
    kind. Missing bodies (no ``cards``, no ``card_bills``) get a general text."""
    s = _STRINGS.get(language, _STRINGS["en"])
    if reply.kind is ReplyKind.CARD_SET:
        return _card_set(reply, s)
    if reply.kind is ReplyKind.CARD_BILL:
        return _card_bill(reply, language, s)
    return None
