"""The chat text of cost-sharing replies in pt-BR and English: a split, who owes whom, a settlement.

:func:`render_cost_sharing` is called by :func:`financy.bots.common.render.render_reply` for the
kinds in :data:`KINDS`; amounts are formatted as the rest of the replies are (babel, CLDR). Every
kind has a text in both languages also without its body (``cost_sharing`` missing).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from financy.core.contracts.v1 import CostSharingV1, ReplyKind, ReplyV1

#: The reply kinds this module renders.
KINDS: Final = frozenset(
    {ReplyKind.COST_SPLIT, ReplyKind.COST_SPLIT_QUESTION, ReplyKind.WHO_OWES, ReplyKind.SETTLED}
)

_STRINGS: Final[dict[str, dict[str, str]]] = {
    "pt": {
        "split": "➗ Divisão: {parts}",
        "split.bare": "➗ Dividido.",
        "owes.title": "💸 Quem deve quem:",
        "owes.transfer": "• {debtor} paga {amount} para {creditor}",
        "owes.none": "✅ Tudo acertado: ninguém deve nada.",
        "owes.unvalued.one": "(1 gasto dividido sem cotação ou sem pagante ficou de fora.)",
        "owes.unvalued.many": "({n} gastos divididos sem cotação ou sem pagante ficaram de fora.)",
        "owes.hint": "Já pagou? Diga, por exemplo: /acertar {creditor} {amount}",
        "owes.bare": "💸 Ainda não há gastos divididos neste livro de contas.",
        "settled": "🤝 Acerto registrado: {debtor} pagou {amount} para {creditor}.",
        "settled.bare": "🤝 Acerto registrado.",
        "q.unknown_name": (
            "❓ Não encontrei “{name}” neste livro de contas. Use o nome de um membro; não registrei nada."
        ),
        "q.ambiguous_name": (
            "❓ Há mais de uma pessoa chamada “{name}” aqui. Escreva o nome completo; não registrei nada."
        ),
        "q.nobody_to_split_with": "❓ Com quem divido? Diga, por exemplo, “divide com a Ana” ou “divide com todos”.",
        "q.ways_mismatch": (
            "❓ O número de partes não bate com as pessoas deste livro de contas. Diga com quem: "
            "“divide com a Ana e o João”."
        ),
        "q.nothing_to_split": (
            "❓ Não achei um lançamento seu para dividir. Mande o gasto junto: “paguei 120 do jantar, "
            "divide com a Ana”."
        ),
        "q.not_an_expense": "❓ Só divido gastos, não receitas nem transferências.",
        "q.no_payer": "❓ Não sei quem pagou esse lançamento. Se foi você, diga /eu e depois divida.",
        "q.low_confidence": (
            "❓ Não tenho certeza do valor; não registrei. Mande de novo, ex.: “paguei 120 do jantar, "
            "divide com a Ana”."
        ),
        "q.bad_amount": "❓ Não consigo dividir esse valor em centavos exatos. Confira o valor.",
        "q.no_name": "❓ Para quem você pagou? Ex.: /acertar Ana 60",
        "q.no_amount": "❓ Quanto você pagou para {name}? Ex.: /acertar {name} 60",
        "q.settle_self": "❓ Um acerto é entre duas pessoas: diga para quem você pagou. Ex.: /acertar Ana 60",
        "q.settle_amount": "❓ Esse valor não serve para um acerto. Ex.: /acertar Ana 60",
        "q.settle_currency": "❓ Acertos são na moeda do livro de contas, não em “{code}”.",
        "q.other": "❓ Não consegui dividir isso. Ex.: “paguei 120 do jantar, divide com a Ana”.",
        "someone": "essa pessoa",
    },
    "en": {
        "split": "➗ Split: {parts}",
        "split.bare": "➗ Split.",
        "owes.title": "💸 Who owes whom:",
        "owes.transfer": "• {debtor} pays {creditor} {amount}",
        "owes.none": "✅ All settled: nobody owes anything.",
        "owes.unvalued.one": "(1 split expense with no FX rate or no known payer was left out.)",
        "owes.unvalued.many": "({n} split expenses with no FX rate or no known payer were left out.)",
        "owes.hint": "Paid already? Say, for example: /settle {creditor} {amount}",
        "owes.bare": "💸 No split expenses in this ledger yet.",
        "settled": "🤝 Settlement recorded: {debtor} paid {creditor} {amount}.",
        "settled.bare": "🤝 Settlement recorded.",
        "q.unknown_name": "❓ I can't find “{name}” in this ledger. Use a member's name; nothing was recorded.",
        "q.ambiguous_name": (
            "❓ More than one person here is called “{name}”. Write the full name; nothing was recorded."
        ),
        "q.nobody_to_split_with": "❓ Split with whom? Say, for example, “split with Ana” or “split with everyone”.",
        "q.ways_mismatch": (
            "❓ That number of parts doesn't match the people in this ledger. Say with whom: "
            "“split with Ana and Bob”."
        ),
        "q.nothing_to_split": (
            "❓ I found no entry of yours to split. Send the expense with it: “split 120 dinner with Ana”."
        ),
        "q.not_an_expense": "❓ I only split expenses, not income or transfers.",
        "q.no_payer": "❓ I don't know who paid that entry. If it was you, say /me and then split it.",
        "q.low_confidence": (
            "❓ I'm not sure of the amount; nothing was recorded. Send it again, e.g. “split 120 dinner with Ana”."
        ),
        "q.bad_amount": "❓ I can't split that amount into exact cents. Please check it.",
        "q.no_name": "❓ Whom did you pay? E.g. /settle Ana 60",
        "q.no_amount": "❓ How much did you pay {name}? E.g. /settle {name} 60",
        "q.settle_self": "❓ A settlement is between two people: say whom you paid. E.g. /settle Ana 60",
        "q.settle_amount": "❓ That amount can't be a settlement. E.g. /settle Ana 60",
        "q.settle_currency": "❓ Settlements are in the ledger's currency, not “{code}”.",
        "q.other": "❓ I couldn't split that. E.g. “split 120 dinner with Ana”.",
        "someone": "them",
    },
}


def _money(amount: Decimal, currency: str, language: str) -> str:
    from financy.bots.common.render import format_money  # render imports this module

    return format_money(amount, currency, language)


def _name(name: str, limit: int = 60) -> str:
    one_line = " ".join(name.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _owes(view: CostSharingV1, language: str, s: dict[str, str]) -> list[str]:
    """Who pays whom to settle, or that all is settled; what was left out; how to settle."""
    lines: list[str] = []
    if view.transfers:
        lines.append(s["owes.title"])
        lines.extend(
            s["owes.transfer"].format(
                debtor=_name(t.from_name),
                creditor=_name(t.to_name),
                amount=_money(t.amount, view.currency, language),
            )
            for t in view.transfers
        )
    else:
        lines.append(s["owes.none"])
    if view.unvalued:
        key = "owes.unvalued.one" if view.unvalued == 1 else "owes.unvalued.many"
        lines.append(s[key].format(n=view.unvalued))
    if view.transfers:
        first = view.transfers[0]
        plain = f"{first.amount:f}"
        lines.append(
            s["owes.hint"].format(
                creditor=_name(first.to_name), amount=plain.replace(".", ",") if language == "pt" else plain
            )
        )
    return lines


def render_cost_sharing(reply: ReplyV1) -> str:
    """Return the chat text of a :data:`KINDS` reply in ``reply.language`` (English otherwise).

    Raises:
        ValueError: ``reply.kind`` is not one of :data:`KINDS`.
    """
    from financy.bots.common.render import _line  # one transaction's line, as every reply shows it

    language = reply.language if reply.language in _STRINGS else "en"
    s = _STRINGS[language]
    view = reply.cost_sharing
    kind = reply.kind
    if kind is ReplyKind.COST_SPLIT:
        lines = ["✅ " + _line(tx, language) for tx in reply.transactions]
        if view is not None and view.shares and reply.transactions:
            currency = reply.transactions[0].currency
            parts = ", ".join(f"{_name(p.name)} {_money(p.amount, currency, language)}" for p in view.shares)
            lines.append(s["split"].format(parts=parts))
        else:
            lines.append(s["split.bare"])
        if view is not None:
            lines.extend(_owes(view, language, s))
        return "\n".join(lines)
    if kind is ReplyKind.WHO_OWES:
        if view is None or not view.balances:
            return s["owes.bare"]
        return "\n".join(_owes(view, language, s))
    if kind is ReplyKind.SETTLED:
        if view is None or view.settlement is None:
            return s["settled.bare"]
        paid = view.settlement
        text = s["settled"].format(
            debtor=_name(paid.from_name),
            creditor=_name(paid.to_name),
            amount=_money(paid.amount, view.currency, language),
        )
        return "\n".join([text, *_owes(view, language, s)])
    if kind is ReplyKind.COST_SPLIT_QUESTION:
        key, _, detail = (reply.problem or "other").partition(":")
        name = _name(reply.asked_about or "") or s["someone"]
        return s.get(f"q.{key}", s["q.other"]).format(name=name, code=detail)
    raise ValueError(f"not a cost-sharing reply: {kind}")
