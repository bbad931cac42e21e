"""Render the core's replies as chat text in the user's language (pt-BR or English).

Amounts are formatted by babel with CLDR currency patterns (e.g. ``R$ 45,90`` in pt-BR,
``$12.00`` in en-US); dates as ``dd/mm`` (pt) or ``mm/dd`` (en).
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

from financy.core.contracts.v1 import RecordedTransaction, ReplyKind, ReplyV1

_LOCALES = {"pt": "pt_BR", "en": "en_US"}

_STRINGS: dict[str, dict[str, str]] = {
    "pt": {
        "recorded_hint": "Errado? /desfazer",
        "undone": "↩️ Desfeito: {line}",
        "nothing_to_undo": "Não há nada para desfazer.",
        "welcome": (
            "Olá! Me conte seus gastos como numa conversa: “gastei 45,90 no mercado ontem”, "
            "“uber 23 e almoço 35”. /desfazer apaga o último. /ajuda mostra exemplos."
        ),
        "help": (
            "Exemplos: “gastei 45,90 no mercado ontem” · “uber 23 e almoço 35” · “recebi 3000 de salário” · "
            "“20 dólares no jantar”. /desfazer apaga o último lançamento."
        ),
        "q.no_amount": "Não encontrei um valor nessa mensagem. Quanto foi? (ex.: “mercado 45,90”)",
        "q.ambiguous_amount": "Entendi mais de um valor possível. Qual foi o valor exato?",
        "q.empty": "Mensagem vazia. Me diga o gasto, ex.: “almoço 35”.",
        "q.unknown_currency": "Não conheço a moeda “{code}”. Pode escrever com o código ISO (ex.: USD, EUR)?",
        "q.not_understood": "Não entendi. Guardei a mensagem; pode me dizer o valor e onde foi? (ex.: “uber 23”)",
        "q.not_text": "Recebi, mas ainda não consigo ler esse tipo de mensagem. Guardei; pode escrever o gasto?",
        "q.query": "Ainda não respondo perguntas pelo chat; seus lançamentos estão no painel. Guardei a pergunta.",
        "q.too_long": "Mensagem longa demais para eu ler. Guardei; pode mandar só o gasto? (ex.: “mercado 45,90”)",
        "q.too_many_items": "São valores demais numa mensagem só. Pode mandar em partes?",
        "q.unknown_command": "Não conheço esse comando. /ajuda mostra o que sei fazer.",
        "q.amount_out_of_range": "Esse valor parece grande demais. Pode confirmar o valor exato?",
        "q.ambiguous_date": "Não entendi a data. Quando foi? (ex.: “ontem”, “dia 5”, “5/11”)",
        "q.amount_too_small": "Esse valor é menor que um centavo. Qual foi o valor exato?",
    },
    "en": {
        "recorded_hint": "Wrong? /undo",
        "undone": "↩️ Undone: {line}",
        "nothing_to_undo": "There is nothing to undo.",
        "welcome": (
            "Hi! Tell me what you spend as you would a friend: “paid $12 for lunch”, “uber 23 and coffee 5”. "
            "/undo removes the last one. /help shows examples."
        ),
        "help": (
            "Examples: “paid $12 for lunch yesterday” · “groceries 45.90” · “got paid 3000 salary”. "
            "/undo removes the last entry."
        ),
        "q.no_amount": "I couldn't find an amount in that message. How much was it? (e.g. “groceries 45.90”)",
        "q.ambiguous_amount": "I see more than one possible amount. What was the exact amount?",
        "q.empty": "That message was empty. Tell me the expense, e.g. “lunch 12”.",
        "q.unknown_currency": "I don't know the currency “{code}”. Could you use its ISO code (e.g. USD, EUR)?",
        "q.not_understood": "I didn't get that. I kept your message; how much was it and where? (e.g. “uber 23”)",
        "q.not_text": "Got it, but I can't read this kind of message yet. I kept it; could you type the expense?",
        "q.query": "I can't answer questions in the chat yet; your entries are on the dashboard. I kept your question.",
        "q.too_long": "That message is too long for me to read. I kept it; could you send just the expense?",
        "q.too_many_items": "That's too many amounts for one message. Could you send them in parts?",
        "q.unknown_command": "I don't know that command. /help shows what I can do.",
        "q.amount_out_of_range": "That amount looks too large. Could you confirm the exact amount?",
        "q.ambiguous_date": "I couldn't tell the date. When was it? (e.g. “yesterday”, “on the 5th”, “11/5”)",
        "q.amount_too_small": "That amount is less than a cent. What was the exact amount?",
    },
}


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """Return ``amount`` in ``currency`` formatted for ``language`` ("pt" or "en")."""
    text = format_currency(amount, currency, locale=_LOCALES.get(language, "en_US"))
    return text.replace("\xa0", " ")


def _line(tx: RecordedTransaction, language: str) -> str:
    sign = "+" if tx.kind.value == "income" else ""
    day = tx.occurred_on.strftime("%d/%m" if language == "pt" else "%m/%d")
    parts = [sign + format_money(tx.amount, tx.currency, language)]
    if tx.merchant:
        parts.append(tx.merchant)
    if tx.category_name:
        parts.append(tx.category_name)
    parts.append(day)
    return " · ".join(parts)


def render_reply(reply: ReplyV1) -> str:
    """Return the chat text for ``reply`` in ``reply.language``."""
    s = _STRINGS.get(reply.language, _STRINGS["en"])
    if reply.kind is ReplyKind.RECORDED:
        lines = ["✅ " + _line(tx, reply.language) for tx in reply.transactions]
        return "\n".join([*lines, s["recorded_hint"]])
    if reply.kind is ReplyKind.UNDONE and reply.transactions:
        return s["undone"].format(line=_line(reply.transactions[0], reply.language))
    if reply.kind is ReplyKind.NOTHING_TO_UNDO:
        return s["nothing_to_undo"]
    if reply.kind is ReplyKind.HELP:
        return s["help"]
    if reply.kind is ReplyKind.WELCOME:
        return s["welcome"]
    problem = reply.problem or "not_understood"
    key, _, detail = problem.partition(":")
    template = s.get(f"q.{key}", s["q.not_understood"])
    return "❓ " + template.format(code=detail)
