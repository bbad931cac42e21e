"""Card replies rendered in pt-BR and English: a card set up, how to set one up, and the bills with
their instalments ("tv 1/10 — R$ 200,00"), exactly as the chat shows them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from financy.bots.common.render import render, render_reply
from financy.core.contracts.v1 import CardBillLineV1, CardBillV1, CardV1, ReplyKind, ReplyV1
from tests.support.replies import chat_reply

D = dt.date
NUBANK = CardV1(card_id=uuid.uuid4(), name="Nubank", closing_day=5, due_day=12, is_default=True)
INTER = CardV1(card_id=uuid.uuid4(), name="Inter", closing_day=31, due_day=8)


def _reply(kind: ReplyKind, language: str = "pt", **fields: Any) -> ReplyV1:
    return chat_reply("telegram", "1", "2", kind, language=language, **fields)


def _line(merchant: str | None, day: dt.date, n: int, of: int, amount: str, **kw: Any) -> CardBillLineV1:
    return CardBillLineV1(
        transaction_id=uuid.uuid4(),
        merchant=merchant,
        occurred_on=day,
        number=n,
        of=of,
        amount=Decimal(amount),
        currency=kw.pop("currency", "BRL"),
        **kw,
    )


def _bill(
    status: str, closing: dt.date, due: dt.date, total: str, *lines: CardBillLineV1, card: CardV1 = NUBANK
) -> CardBillV1:
    return CardBillV1.model_validate(
        {
            "card_id": card.card_id,
            "card_name": card.name,
            "month": due.replace(day=1),
            "closing_on": closing,
            "due_on": due,
            "status": status,
            "currency": "BRL",
            "total": Decimal(total),
            "count": len([x for x in lines if not x.unvalued]),
            "unvalued": len([x for x in lines if x.unvalued]),
            "lines": lines,
        }
    )


BILLS = (
    _bill(
        "open",
        D(2026, 12, 5),
        D(2026, 12, 12),
        "300.00",
        _line("mercado", D(2026, 11, 10), 1, 1, "100.00"),
        _line("tv", D(2026, 11, 29), 1, 10, "200.00"),
    ),
    _bill("future", D(2027, 1, 5), D(2027, 1, 12), "200.00", _line("tv", D(2026, 11, 29), 2, 10, "200.00")),
)


def test_the_bills_show_each_total_and_every_instalment_in_portuguese() -> None:
    reply = _reply(ReplyKind.CARD_BILL, cards=(NUBANK,), card_bills=BILLS)
    assert render_reply(reply) == "\n".join(
        [
            "💳 Nubank (fecha dia 5, vence dia 12)",
            "Fatura aberta — fecha 05/12, vence 12/12: R$ 300,00",
            "  • mercado 1/1 — R$ 100,00",
            "  • tv 1/10 — R$ 200,00",
            "Fatura de 12/01/2027: R$ 200,00",
            "  • tv 2/10 — R$ 200,00",
        ]
    )
    assert render(reply).buttons == ()


def test_the_bills_in_english() -> None:
    reply = _reply(ReplyKind.CARD_BILL, "en", cards=(NUBANK,), card_bills=BILLS)
    assert render_reply(reply) == "\n".join(
        [
            "💳 Nubank (closes on day 5, due on day 12)",
            "Open bill — closes 12/05, due 12/12: R$300.00",
            "  • mercado 1/1 — R$100.00",
            "  • tv 1/10 — R$200.00",
            "Bill due 01/12/2027: R$200.00",
            "  • tv 2/10 — R$200.00",
        ]
    )


def test_a_closed_bill_an_empty_one_an_unvalued_line_and_two_cards() -> None:
    closed = _bill(
        "closed",
        D(2026, 12, 5),
        D(2026, 12, 12),
        "90.00",
        _line("loja", D(2026, 11, 20), 1, 1, "90.00"),
        _line("amazon", D(2026, 11, 21), 1, 1, "20.00", currency="USD", unvalued=True),
    )
    empty = _bill("open", D(2027, 1, 5), D(2027, 1, 12), "0.00")
    other = _bill("open", D(2026, 12, 31), D(2027, 1, 8), "0.00", card=INTER)
    reply = _reply(ReplyKind.CARD_BILL, cards=(NUBANK, INTER), card_bills=(closed, empty, other))
    assert render_reply(reply) == "\n".join(
        [
            "💳 Nubank (fecha dia 5, vence dia 12)",
            "Fatura fechada — vence 12/12: R$ 90,00",
            "  • loja 1/1 — R$ 90,00",
            "  • amazon 1/1 — US$ 20,00 (sem cotação, fora do total)",
            "Fatura aberta — fecha 05/01/2027, vence 12/01/2027: R$ 0,00",
            "  nenhuma compra ainda",
            "",
            "💳 Inter (fecha dia 31, vence dia 8)",
            "Fatura aberta — fecha 31/12, vence 08/01/2027: R$ 0,00",
            "  nenhuma compra ainda",
        ]
    )


def test_a_long_bill_shows_ten_lines_and_how_many_more() -> None:
    lines = [_line(f"loja {k}", D(2026, 11, 1), 1, 1, "1.00") for k in range(12)]
    bill = _bill("open", D(2026, 12, 5), D(2026, 12, 12), "12.00", *lines)
    text = render_reply(_reply(ReplyKind.CARD_BILL, cards=(NUBANK,), card_bills=(bill,)))
    assert text.splitlines()[-2:] == ["  • loja 9 1/1 — R$ 1,00", "  … e mais 2"]


def test_without_a_card_the_bill_says_how_to_set_one_up() -> None:
    assert render_reply(_reply(ReplyKind.CARD_BILL, problem="no_card")) == (
        "💳 Você ainda não tem um cartão cadastrado. Cadastre assim: /cartao Nubank fecha 5 vence 12 — "
        "depois, compras “no cartão” e “em 10x” entram nas faturas certas."
    )
    assert render_reply(_reply(ReplyKind.CARD_BILL, "en", problem="no_card")).startswith(
        "💳 You have no card set up yet. Set one up like this: /card Nubank closes 5 due 12"
    )


def test_a_card_set_up_changed_listed_or_asked_about() -> None:
    assert render_reply(_reply(ReplyKind.CARD_SET, cards=(NUBANK,))) == "\n".join(
        [
            "💳 Cartão Nubank cadastrado: fecha dia 5, vence dia 12.",
            "É o cartão padrão: compras “no cartão” (e “em 10x”) entram nas faturas dele.",
            "Veja as faturas com /fatura.",
        ]
    )
    assert render_reply(_reply(ReplyKind.CARD_SET, "en", cards=(INTER,), problem="replaced")) == "\n".join(
        [
            "💳 Card Inter updated: closes on day 31, due on day 8.",
            "“On the card” purchases still go on the default card's bills.",
            "See the bills with /bill.",
        ]
    )
    assert render_reply(_reply(ReplyKind.CARD_SET, problem="card_how", cards=(NUBANK, INTER))) == "\n".join(
        [
            "💳 Para cadastrar um cartão, mande: /cartao Nubank fecha 5 vence 12",
            "Seus cartões:",
            "• Nubank — fecha dia 5, vence dia 12 (padrão)",
            "• Inter — fecha dia 31, vence dia 8",
        ]
    )
    assert render_reply(_reply(ReplyKind.CARD_SET, "en", problem="card_days")) == (
        "💳 The name or a day (1 to 31) is missing. Send it like this: /card Nubank closes 5 due 12"
    )
