"""Replies rendered in the user's language with CLDR money formats."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from financy.bots.common.render import format_money, render_reply
from financy.core.contracts.v1 import RecordedTransaction, ReplyKind, ReplyV1, TransactionKind


def reply(reply_kind: ReplyKind, language: str = "pt", problem: str | None = None, **tx: object) -> ReplyV1:
    transactions = ()
    if tx:
        transactions = (
            RecordedTransaction.model_validate(
                {
                    "transaction_id": uuid.uuid4(),
                    "kind": tx.get("kind", TransactionKind.EXPENSE),
                    "amount": tx["amount"],
                    "currency": tx["currency"],
                    "occurred_on": dt.date(2026, 11, 28),
                    "merchant": tx.get("merchant"),
                    "category": tx.get("category"),
                    "category_name": tx.get("category_name"),
                }
            ),
        )
    return ReplyV1(
        reply_id=uuid.uuid4(),
        capture_id=uuid.uuid4(),
        idempotency_key="devchat:a:1",
        edge_id="local",
        platform="devchat",
        chat_id="a",
        in_reply_to="1",
        language=language,  # type: ignore[arg-type]
        kind=reply_kind,
        transactions=transactions,
        problem=problem,
        created_at=dt.datetime.now(dt.UTC),
    )


def test_recorded_expense_in_portuguese() -> None:
    text = render_reply(
        reply(
            ReplyKind.RECORDED,
            amount=Decimal("45.90"),
            currency="BRL",
            merchant="mercado",
            category_name="Mercado",
        )
    )
    assert text == "✅ R$ 45,90 · mercado · Mercado · 28/11\nErrado? /desfazer"


def test_recorded_income_in_english() -> None:
    text = render_reply(
        reply(
            ReplyKind.RECORDED,
            "en",
            amount=Decimal("3000"),
            currency="USD",
            kind=TransactionKind.INCOME,
            category_name="Salary",
        )
    )
    assert text == "✅ +$3,000.00 · Salary · 11/28\nWrong? /undo"


def test_money_formats() -> None:
    assert format_money(Decimal("1234.5"), "BRL", "pt") == "R$ 1.234,50"
    assert format_money(Decimal("1234.5"), "EUR", "pt") == "€ 1.234,50"
    assert format_money(Decimal("20"), "EUR", "en") == "€20.00"
    assert format_money(Decimal("1500"), "JPY", "en") == "¥1,500"


def test_questions_name_the_problem() -> None:
    assert render_reply(reply(ReplyKind.QUESTION, problem="unknown_currency:XYZ")).startswith(
        "❓ Não conheço a moeda “XYZ”"
    )
    assert render_reply(reply(ReplyKind.QUESTION, "en", problem="no_amount")).startswith(
        "❓ I couldn't find an amount"
    )
    assert render_reply(reply(ReplyKind.QUESTION, problem="something_new")).startswith("❓ Não entendi.")


def test_undo_and_nothing_to_undo() -> None:
    undone = render_reply(reply(ReplyKind.UNDONE, amount=Decimal("35"), currency="BRL", merchant="almoço"))
    assert undone == "↩️ Desfeito: R$ 35,00 · almoço · 28/11"
    assert render_reply(reply(ReplyKind.NOTHING_TO_UNDO, "en")) == "There is nothing to undo."


def test_every_problem_the_reader_names_has_a_question_in_both_languages() -> None:
    from financy.bots.common.render import _STRINGS

    problems = {"no_amount", "ambiguous_amount", "empty", "not_text", "query", "too_long", "too_many_items"}
    problems |= {"unknown_command", "unknown_currency", "not_understood", "amount_out_of_range"}
    problems |= {"ambiguous_date", "amount_too_small"}
    for language in ("pt", "en"):
        assert {f"q.{p}" for p in problems} <= set(_STRINGS[language])


def test_media_questions_quote_what_was_heard_and_say_what_was_kept() -> None:
    from financy.bots.common.render import _STRINGS

    heard = reply(ReplyKind.QUESTION, problem="voice_no_amount").model_copy(
        update={"heard": "Eu quero uma coxinha de frango."}
    )
    assert render_reply(heard) == (
        "🎙️ Ouvi: “Eu quero uma coxinha de frango.”. Não ouvi um valor — quanto foi? "
        "(responda só o valor, ex.: “8,50”)"
    )
    assert "no speech" in render_reply(reply(ReplyKind.QUESTION, "en", problem="voice_no_amount"))
    assert render_reply(reply(ReplyKind.QUESTION, "en", problem="audio:too_long")).startswith(
        "🎙️ I couldn't play that voice note: it is too long (up to 10 minutes)."
    )
    assert "o arquivo está corrompido" in render_reply(
        reply(ReplyKind.QUESTION, problem="image:corrupt_image")
    )
    too_large = render_reply(reply(ReplyKind.QUESTION, problem="file_too_large"))
    assert too_large.startswith("📎 Esse arquivo é grande demais")  # its own emoji, no "❓" before it
    assert "não o guardei" in too_large
    receipt = reply(ReplyKind.QUESTION, "en", problem="receipt_no_total").model_copy(
        update={"heard": "SAFEWAY"}
    )
    assert render_reply(receipt).startswith("🧾 I read the receipt (SAFEWAY) but found no total.")
    problems = {"voice_no_amount", "no_speech", "file_too_large", "receipt_no_total", "receipt_not_a_receipt"}
    problems |= {"receipt_no_text", "media_failed", "media_missing"}
    codes = {"corrupt_audio", "empty_audio", "too_long", "too_large", "unsupported_audio", "not_an_image"}
    codes |= {"too_many_pixels", "corrupt_image", "unreadable_pdf", "empty", "unsupported_language"}
    for language in ("pt", "en"):
        assert {f"q.{p}" for p in problems} | {f"why.{c}" for c in codes} <= set(_STRINGS[language])


def test_a_recorded_voice_note_quotes_it_and_a_receipt_counts_its_items() -> None:
    spoken = reply(ReplyKind.RECORDED, "en", amount=Decimal("12"), currency="USD", merchant="lunch")
    spoken = spoken.model_copy(update={"heard": "I paid $12 for lunch."})
    assert render_reply(spoken) == "✅ $12.00 · lunch · 11/28\n🎙️ “I paid $12 for lunch.”\nWrong? /undo"
    receipt = reply(ReplyKind.RECORDED, amount=Decimal("14.5"), currency="USD", merchant="Contoso")
    tx = receipt.transactions[0].model_copy(update={"items": 2})
    assert render_reply(receipt.model_copy(update={"transactions": (tx,)})) == (
        "✅ US$ 14,50 · Contoso · 28/11\n🧾 2 itens guardados\nErrado? /desfazer"
    )
