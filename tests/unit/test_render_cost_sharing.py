"""Cost-sharing replies read well in pt-BR and English: a split, who owes whom, a settlement, the questions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from financy.bots.common.render import render, render_reply
from financy.core.contracts.v1 import (
    CostSharingV1,
    MemberAmountV1,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    TransactionKind,
    TransferV1,
)
from financy.inference.text.reader import read_message

ANA, JOAO, BIA = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NAMES = {ANA: "Ana Silva", JOAO: "João", BIA: "Bia"}


def part(user: uuid.UUID, amount: str) -> MemberAmountV1:
    return MemberAmountV1(user_id=user, name=NAMES[user], amount=Decimal(amount))


def pays(debtor: uuid.UUID, creditor: uuid.UUID, amount: str) -> TransferV1:
    return TransferV1(
        from_user=debtor,
        from_name=NAMES[debtor],
        to_user=creditor,
        to_name=NAMES[creditor],
        amount=Decimal(amount),
    )


VIEW = CostSharingV1(
    currency="BRL",
    shares=(part(ANA, "33.34"), part(JOAO, "33.33"), part(BIA, "33.33")),
    balances=(part(ANA, "66.66"), part(JOAO, "-33.33"), part(BIA, "-33.33")),
    transfers=(pays(JOAO, ANA, "33.33"), pays(BIA, ANA, "33.33")),
)
DINNER = RecordedTransaction(
    transaction_id=uuid.uuid4(),
    kind=TransactionKind.EXPENSE,
    amount=Decimal("100.00"),
    currency="BRL",
    occurred_on=dt.date(2026, 11, 29),
    merchant="jantar",
    category="restaurants",
    category_name="Restaurantes",
)


def reply(kind: ReplyKind, language: str = "pt", **fields: object) -> ReplyV1:
    return ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key="devchat:c:1",
        edge_id="edge-t",
        platform="devchat",
        chat_id="c",
        in_reply_to="1",
        language=language,  # type: ignore[arg-type]
        kind=kind,
        created_at=dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC),
        **fields,  # type: ignore[arg-type]
    )


def test_a_split_shows_the_expense_the_parts_and_who_owes_whom() -> None:
    assert render_reply(reply(ReplyKind.COST_SPLIT, transactions=(DINNER,), cost_sharing=VIEW)) == (
        "✅ R$ 100,00 · jantar · Restaurantes · 29/11\n"
        "➗ Divisão: Ana Silva R$ 33,34, João R$ 33,33, Bia R$ 33,33\n"
        "💸 Quem deve quem:\n"
        "• João paga R$ 33,33 para Ana Silva\n"
        "• Bia paga R$ 33,33 para Ana Silva\n"
        "Já pagou? Diga, por exemplo: /acertar Ana Silva 33,33"
    )
    assert render_reply(reply(ReplyKind.COST_SPLIT, "en", transactions=(DINNER,), cost_sharing=VIEW)) == (
        "✅ R$100.00 · jantar · Restaurantes · 11/29\n"
        "➗ Split: Ana Silva R$33.34, João R$33.33, Bia R$33.33\n"
        "💸 Who owes whom:\n"
        "• João pays Ana Silva R$33.33\n"
        "• Bia pays Ana Silva R$33.33\n"
        "Paid already? Say, for example: /settle Ana Silva 33.33"
    )


@pytest.mark.parametrize("language", ["pt", "en"])
def test_the_suggested_settle_command_is_read_back_as_that_settlement(language: str) -> None:
    text = render_reply(reply(ReplyKind.WHO_OWES, language, cost_sharing=VIEW))
    command = text.rsplit(": ", 1)[1]
    reading = read_message(
        command, today=dt.date(2026, 11, 29), language_hint=language, default_currency="BRL"
    )
    assert reading.intent == "settle"
    assert reading.settlement is not None
    assert (reading.settlement.name, reading.settlement.amount) == ("Ana Silva", Decimal("33.33"))


def test_a_settlement_and_what_is_left() -> None:
    after = VIEW.model_copy(
        update={
            "settlement": pays(BIA, ANA, "33.33"),
            "transfers": (pays(JOAO, ANA, "33.33"),),
            "unvalued": 2,
        }
    )
    assert render_reply(reply(ReplyKind.SETTLED, cost_sharing=after)) == (
        "🤝 Acerto registrado: Bia pagou R$ 33,33 para Ana Silva.\n"
        "💸 Quem deve quem:\n"
        "• João paga R$ 33,33 para Ana Silva\n"
        "(2 gastos divididos sem cotação ou sem pagante ficaram de fora.)\n"
        "Já pagou? Diga, por exemplo: /acertar Ana Silva 33,33"
    )
    settled = VIEW.model_copy(update={"settlement": pays(JOAO, ANA, "10.00"), "transfers": ()})
    assert render_reply(reply(ReplyKind.SETTLED, "en", cost_sharing=settled)) == (
        "🤝 Settlement recorded: João paid Ana Silva R$10.00.\n✅ All settled: nobody owes anything."
    )


@pytest.mark.parametrize(
    ("problem", "asked_about", "pt", "en"),
    [
        (
            "unknown_name",
            "Carla",
            "❓ Não encontrei “Carla” neste livro de contas. Use o nome de um membro; não registrei nada.",
            "❓ I can't find “Carla” in this ledger. Use a member's name; nothing was recorded.",
        ),
        (
            "ambiguous_name",
            "Ana",
            "❓ Há mais de uma pessoa chamada “Ana” aqui. Escreva o nome completo; não registrei nada.",
            "❓ More than one person here is called “Ana”. Write the full name; nothing was recorded.",
        ),
        (
            "settle_currency:USD",
            None,
            "❓ Acertos são na moeda do livro de contas, não em “USD”.",
            "❓ Settlements are in the ledger's currency, not “USD”.",
        ),
        (
            "no_amount",
            "Ana",
            "❓ Quanto você pagou para Ana? Ex.: /acertar Ana 60",
            "❓ How much did you pay Ana? E.g. /settle Ana 60",
        ),
    ],
)
def test_what_cannot_be_split_or_settled_is_asked_about(
    problem: str, asked_about: str | None, pt: str, en: str
) -> None:
    assert render_reply(reply(ReplyKind.COST_SPLIT_QUESTION, problem=problem, asked_about=asked_about)) == pt
    assert (
        render_reply(reply(ReplyKind.COST_SPLIT_QUESTION, "en", problem=problem, asked_about=asked_about))
        == en
    )


@pytest.mark.parametrize(
    "problem",
    [
        "nobody_to_split_with",
        "ways_mismatch",
        "nothing_to_split",
        "not_an_expense",
        "no_payer",
        "low_confidence",
        "bad_amount",
        "no_name",
        "settle_self",
        "settle_amount",
        "something_new",
    ],
)
def test_every_question_has_its_own_text_in_both_languages(problem: str) -> None:
    texts = {
        language: render_reply(reply(ReplyKind.COST_SPLIT_QUESTION, language, problem=problem))
        for language in ("pt", "en")
    }
    assert texts["pt"] != texts["en"]
    for text in texts.values():
        assert text.startswith("❓ ")
        assert "{" not in text


def test_nothing_shared_yet_and_no_buttons() -> None:
    assert (
        render_reply(reply(ReplyKind.WHO_OWES)) == "💸 Ainda não há gastos divididos neste livro de contas."
    )
    even = CostSharingV1(currency="BRL", balances=(part(ANA, "0.00"), part(BIA, "0.00")))
    assert (
        render_reply(reply(ReplyKind.WHO_OWES, "en", cost_sharing=even))
        == "✅ All settled: nobody owes anything."
    )
    assert render(reply(ReplyKind.COST_SPLIT, transactions=(DINNER,), cost_sharing=VIEW)).buttons == ()
