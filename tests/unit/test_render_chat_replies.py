"""Replies about ledgers, the month's summary, categories, who paid, link codes and chat events,
rendered in pt-BR and English; every reply kind has a text in both languages."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from financy.bots.common.render import CATEGORY_EMOJI, CATEGORY_NAMES, render, render_reply
from financy.core.contracts.v1 import (
    ContextChoice,
    RecordedTransaction,
    ReplyKind,
    ReplyV1,
    SummaryRow,
    SummaryV1,
    TransactionKind,
)
from tests.support.replies import chat_reply

TODAY = dt.date(2026, 11, 28)


def _tx(merchant: str = "padaria", amount: str = "12.50") -> RecordedTransaction:
    return RecordedTransaction(
        transaction_id=uuid.uuid4(),
        kind=TransactionKind.EXPENSE,
        amount=Decimal(amount),
        currency="BRL",
        occurred_on=TODAY,
        merchant=merchant,
        category="groceries",
        category_name="Mercado",
    )


def _reply(kind: ReplyKind, language: str = "pt", **fields: Any) -> ReplyV1:
    return chat_reply("telegram", "1", "2", kind, language=language, **fields)


PERSONAL = ContextChoice(context_id=uuid.uuid4(), name="Pessoal", type="personal", role="owner", current=True)
FAMILY = ContextChoice(context_id=uuid.uuid4(), name="Família Silva", type="family", role="editor")
SUMMARY = SummaryV1(
    context_name="Família Silva",
    date_from=dt.date(2026, 11, 1),
    date_to=TODAY,
    rows=(
        SummaryRow(
            category="groceries",
            category_name="Mercado",
            currency="BRL",
            total=Decimal("450"),
            count=12,
            budget=Decimal("800"),
            budget_left=Decimal("350"),
        ),
        SummaryRow(
            category="restaurants", currency="BRL", total=Decimal("920.5"), count=3, budget=Decimal("800")
        ),
        SummaryRow(category=None, currency="BRL", total=Decimal("10"), count=1),
    ),
    expense_totals=(("BRL", Decimal("1380.5")),),
    income_totals=(("BRL", Decimal("3000")),),
)


# --- every kind, both languages ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["pt", "en"])
@pytest.mark.parametrize("kind", list(ReplyKind))
def test_every_reply_kind_has_a_text_in_both_languages(kind: ReplyKind, language: str) -> None:
    bare = render(_reply(kind, language))  # no transactions, contexts, summary or problem
    full = render(
        _reply(
            kind,
            language,
            transactions=(_tx(),),
            contexts=(PERSONAL, FAMILY),
            summary=SUMMARY,
            silent=kind in (ReplyKind.GROUP_UNBOUND, ReplyKind.CHAT_MIGRATED),
            link_account="ana",
            link_account_name="Ana Silva",
            link_code="K7QM-2XPD",
        )
    )
    for rendered in (bare, full):
        assert rendered.text.strip(), kind
        assert "{" not in rendered.text, rendered.text  # every placeholder filled


@pytest.mark.parametrize(
    "kind",
    [k for k in ReplyKind if k not in (ReplyKind.QUESTION, ReplyKind.DUPLICATE, ReplyKind.ANSWER)],
)
def test_the_new_kinds_read_differently_in_each_language(kind: ReplyKind) -> None:
    fields: dict[str, Any] = {
        "transactions": (_tx(),),
        "contexts": (PERSONAL,),
        "summary": SUMMARY,
        "link_account": "ana",
        "link_code": "K7QM-2XPD",
    }
    assert render_reply(_reply(kind, "pt", **fields)) != render_reply(_reply(kind, "en", **fields))


# --- ledgers -------------------------------------------------------------------------------------


def test_the_ledgers_are_numbered_with_the_current_one_marked() -> None:
    assert render_reply(_reply(ReplyKind.CONTEXTS, contexts=(PERSONAL, FAMILY))) == (
        "📒 Seus livros de contas:\n"
        "1. Pessoal (pessoal · dono) ✅\n"
        "2. Família Silva (família · editor)\n"
        "Troque com /contexto 2"
    )
    assert render_reply(
        _reply(
            ReplyKind.CONTEXTS,
            "en",
            contexts=(
                FAMILY.model_copy(update={"current": True}),
                PERSONAL.model_copy(update={"current": False}),
            ),
        )
    ) == (
        "📒 Your ledgers:\n"
        "1. Família Silva (family · editor) ✅\n"
        "2. Pessoal (personal · owner)\n"
        "Switch with /context 2"
    )
    assert render_reply(_reply(ReplyKind.CONTEXTS, contexts=(PERSONAL,))) == (
        "📒 Seus livros de contas:\n1. Pessoal (pessoal · dono) ✅"
    )
    assert render_reply(_reply(ReplyKind.CONTEXTS, "en")) == "📒 You have no ledgers yet."
    # Listed in a group: its ledger is fixed, so no "switch with" hint.
    family_here = (
        PERSONAL.model_copy(update={"current": False}),
        FAMILY.model_copy(update={"current": True}),
    )
    in_group = render_reply(_reply(ReplyKind.CONTEXTS, contexts=family_here, problem="group_ledger_fixed"))
    assert in_group.endswith(
        "Este grupo registra sempre no livro ✅; /contexto troca de livro numa conversa privada comigo."
    )
    assert "Troque com" not in in_group


def test_a_switch_names_the_ledger_and_an_unknown_one_lists_them() -> None:
    assert render_reply(_reply(ReplyKind.CONTEXT_SWITCHED, contexts=(FAMILY,))) == (
        "🔀 Agora esta conversa registra em: Família Silva (família)."
    )
    assert render_reply(_reply(ReplyKind.CONTEXT_SWITCHED, "en", contexts=(FAMILY,))) == (
        "🔀 This chat now records into: Família Silva (family)."
    )
    assert render_reply(_reply(ReplyKind.UNKNOWN_CONTEXT, "en")) == (
        "❓ I couldn't find that ledger. /context lists yours."
    )
    listed = render_reply(_reply(ReplyKind.UNKNOWN_CONTEXT, contexts=(PERSONAL, FAMILY)))
    assert listed.startswith(
        "❓ Não achei esse livro de contas. /contexto lista os seus.\n📒 Seus livros de contas:\n"
    )
    assert "2. Família Silva (família · editor)" in listed


# --- the month's summary -------------------------------------------------------------------------


def test_the_summary_in_portuguese_with_budgets() -> None:
    assert render_reply(_reply(ReplyKind.SUMMARY, summary=SUMMARY)) == (
        "📊 Resumo de Família Silva · 01/11–28/11\n"
        "🛒 Mercado: R$ 450,00 (12) — restam R$ 350,00 de R$ 800,00\n"
        "🍽️ Alimentação: R$ 920,50 (3) — ⚠️ R$ 120,50 acima do orçamento de R$ 800,00\n"
        "❔ Sem categoria: R$ 10,00 (1)\n"
        "Gastos: R$ 1.380,50\n"
        "Receitas: R$ 3.000,00"
    )


def test_the_summary_in_english() -> None:
    assert render_reply(_reply(ReplyKind.SUMMARY, "en", summary=SUMMARY)) == (
        "📊 Summary of Família Silva · 11/01–11/28\n"
        "🛒 Groceries: R$450.00 (12) — R$350.00 left of R$800.00\n"
        "🍽️ Restaurants: R$920.50 (3) — ⚠️ R$120.50 over the R$800.00 budget\n"
        "❔ Uncategorised: R$10.00 (1)\n"
        "Spent: R$1,380.50\n"
        "Received: R$3,000.00"
    )


def test_an_empty_month_and_a_missing_summary() -> None:
    empty = SummaryV1(context_name="Pessoal", date_from=dt.date(2026, 11, 1), date_to=TODAY)
    assert render_reply(_reply(ReplyKind.SUMMARY, summary=empty)) == (
        "📊 Resumo de Pessoal · 01/11–28/11\nNenhum lançamento neste período ainda."
    )
    assert render_reply(_reply(ReplyKind.SUMMARY, "en", summary=empty)).endswith(
        "No entries in this period yet."
    )
    assert render_reply(_reply(ReplyKind.SUMMARY)) == "📊 Ainda não há resumo para mostrar."


def test_a_custom_category_keeps_the_cores_name_and_several_currencies_are_added_up() -> None:
    summary = SummaryV1(
        context_name="Viagem",
        date_from=dt.date(2026, 11, 1),
        date_to=TODAY,
        rows=(
            SummaryRow(
                category="souvenirs",
                category_name="Lembrancinhas",
                currency="EUR",
                total=Decimal(30),
                count=2,
            ),
        ),
        expense_totals=(("BRL", Decimal(100)), ("EUR", Decimal(30))),
    )
    assert render_reply(_reply(ReplyKind.SUMMARY, summary=summary)).split("\n")[1:] == [
        "❔ Lembrancinhas: € 30,00 (2)",
        "Gastos: R$ 100,00 + € 30,00",
    ]


def test_every_category_has_an_emoji() -> None:
    assert set(CATEGORY_EMOJI) == set(CATEGORY_NAMES["pt"])


# --- categories, who paid ------------------------------------------------------------------------


def test_the_categories_are_listed_in_the_reply_language_with_how_to_change_one() -> None:
    pt = render_reply(_reply(ReplyKind.CATEGORIES))
    assert pt.startswith("🏷️ Categorias: Mercado, Alimentação, Transporte, Combustível,")
    assert pt.endswith("Outros.\nPara mudar a do último lançamento: /categoria saúde ou “muda pra saúde”.")
    en = render_reply(_reply(ReplyKind.CATEGORIES, "en"))
    for label, _word in CATEGORY_NAMES["en"].values():
        assert label in en
    assert en.endswith("\nTo change the last entry's: /category health or “change it to health”.")


def test_who_paid_lists_the_transactions() -> None:
    assert render_reply(_reply(ReplyKind.WHO_PAID, transactions=(_tx(),))) == (
        "🤷 Quem pagou?\n• R$ 12,50 · padaria · Mercado · 28/11\nQuem pagou toca em “🙋 Fui eu” ou responde /eu."
    )
    assert render_reply(_reply(ReplyKind.WHO_PAID, "en", transactions=(_tx(), _tx("uber", "23")))) == (
        "🤷 Who paid?\n"
        "1. R$12.50 · padaria · Mercado · 11/28\n"
        "2. R$23.00 · uber · Mercado · 11/28\n"
        "Whoever paid, tap “🙋 I paid” or reply /me."
    )


def test_payer_set_and_nothing_to_claim() -> None:
    assert render_reply(_reply(ReplyKind.PAYER_SET, transactions=(_tx(),))) == (
        "🙋 Anotado, você pagou:\n• R$ 12,50 · padaria · Mercado · 28/11"
    )
    assert render_reply(_reply(ReplyKind.PAYER_SET, "en")) == "🙋 Noted, you paid."
    assert render_reply(_reply(ReplyKind.NOTHING_TO_CLAIM)) == "Não há lançamento esperando saber quem pagou."
    assert (
        render_reply(_reply(ReplyKind.NOTHING_TO_CLAIM, "en"))
        == "There is no entry waiting to know who paid."
    )


# --- links ---------------------------------------------------------------------------------------


def test_linked_and_each_invalid_link_problem() -> None:
    assert render_reply(_reply(ReplyKind.LINKED)).startswith(
        "🔗 Pronto! Esta conversa está ligada à sua conta"
    )
    assert render_reply(_reply(ReplyKind.LINKED, "en")).startswith(
        "🔗 Done! This chat is now linked to your account"
    )
    texts = {
        (language, problem): render_reply(_reply(ReplyKind.LINK_INVALID, language, problem=problem))
        for language in ("pt", "en")
        for problem in ("link_unknown", "link_used", "link_expired")
    }
    assert texts["pt", "link_unknown"] == (
        "🔗 Não reconheci esse código. Confira e mande de novo, ou gere um novo no painel."
    )
    assert texts["pt", "link_used"] == "🔗 Esse código já foi usado. Gere um novo no painel e mande aqui."
    assert texts["en", "link_expired"] == (
        "🔗 That code has expired. Get a new one from the dashboard and send it here."
    )
    assert len(set(texts.values())) == 6
    assert all("painel" in t for (lang, _), t in texts.items() if lang == "pt")
    assert all("dashboard" in t for (lang, _), t in texts.items() if lang == "en")
    # no or an unexpected problem: the unknown code's text
    assert render_reply(_reply(ReplyKind.LINK_INVALID)) == texts["pt", "link_unknown"]
    assert render_reply(_reply(ReplyKind.LINK_INVALID, "en", problem="other")) == texts["en", "link_unknown"]


def test_a_chat_that_belongs_to_another_account_is_told_to_unlink_it_there_first() -> None:
    assert render_reply(_reply(ReplyKind.LINK_INVALID, problem="link_identity_taken")) == (
        "🔗 Esta conversa já pertence a outra conta, então não a vinculei. Para trazê-la para "
        "esta conta, desvincule-a primeiro na outra."
    )
    assert render_reply(_reply(ReplyKind.LINK_INVALID, "en", problem="link_identity_taken")) == (
        "🔗 This chat already belongs to another account, so I did not link it. To bring it to "
        "this account, unlink it in the other one first."
    )


def test_a_code_sent_in_a_group_is_told_to_come_to_a_private_chat() -> None:
    assert render_reply(_reply(ReplyKind.LINK_INVALID, problem="link_private_only")) == (
        "🔒 Por segurança, mande o código numa conversa privada comigo, não no grupo. "
        "Este código não foi usado."
    )
    assert render_reply(_reply(ReplyKind.LINK_INVALID, "en", problem="link_private_only")) == (
        "🔒 For your safety, send the code in a private chat with me, not in the group. "
        "This code was not used."
    )


def test_a_link_confirmation_names_the_account_and_its_button_sends_the_code_back() -> None:
    fields: dict[str, Any] = {
        "link_account": "ana",
        "link_account_name": "Ana Silva",
        "link_code": "K7QM-2XPD",
    }
    pt = render(_reply(ReplyKind.LINK_CONFIRM, **fields))
    assert pt.text == (
        "🔗 Vincular este chat à conta “ana” (Ana Silva)? Os livros deste chat passarão a aparecer "
        "nessa conta. Se não foi você quem pediu, ignore."
    )
    assert [b.as_json() for b in pt.buttons] == [
        {"label": "🔗 Vincular", "action": "confirm_link", "value": "/vincular K7QM-2XPD"}
    ]
    en = render(_reply(ReplyKind.LINK_CONFIRM, "en", **fields))
    assert en.text == (
        "🔗 Link this chat to the account “ana” (Ana Silva)? This chat's ledgers will show up in "
        "that account. If it wasn't you who asked, ignore this."
    )
    assert [b.as_json() for b in en.buttons] == [
        {"label": "🔗 Link", "action": "confirm_link", "value": "/link K7QM-2XPD"}
    ]


def test_a_link_confirmation_shows_the_names_on_one_line_and_the_code_with_its_dash() -> None:
    odd = render(
        _reply(
            ReplyKind.LINK_CONFIRM,
            "en",
            link_account="ana",
            link_account_name="ANA\n\nyour own account",
            link_code="k7qm2xpd",
        )
    )
    assert "“ana” (ANA your own account)?" in odd.text
    assert odd.buttons[0].value == "/link K7QM-2XPD"
    same = render_reply(_reply(ReplyKind.LINK_CONFIRM, link_account="ana", link_account_name="Ana"))
    assert same.startswith("🔗 Vincular este chat à conta “ana”? ")
    # no account or no code (an older core): a general question, and no button to press
    bare = render(_reply(ReplyKind.LINK_CONFIRM))
    assert bare.text.startswith("🔗 Vincular este chat a outra conta? ")
    assert bare.buttons == ()


# --- groups, edits, lost messages ----------------------------------------------------------------


def test_a_group_is_welcomed_with_its_ledgers_name() -> None:
    family = FAMILY.model_copy(update={"role": "owner", "current": True})
    assert render_reply(_reply(ReplyKind.GROUP_BOUND, contexts=(family,))) == (
        "👋 Olá, grupo! Este grupo agora é o livro de contas compartilhado “Família Silva”: tudo que "
        "vocês escreverem aqui entra nele. Exemplos: “mercado 45,90”, “uber 23 e almoço 35”. "
        "/resumo mostra o mês; /desfazer apaga o último."
    )
    english = render_reply(_reply(ReplyKind.GROUP_BOUND, "en", contexts=(family,)))
    assert english.startswith("👋 Hi, everyone! This group is now the shared ledger “Família Silva”")
    assert english.endswith("/summary shows the month; /undo removes the last entry.")
    assert "/resumo" in render_reply(_reply(ReplyKind.GROUP_BOUND))


def test_silent_chat_events_still_have_a_short_text() -> None:
    unbound = _reply(ReplyKind.GROUP_UNBOUND, contexts=(FAMILY,), silent=True)
    assert render_reply(unbound) == "👋 Saí do grupo; o livro de contas “Família Silva” continua guardado."
    assert render(unbound).buttons == ()
    assert render_reply(_reply(ReplyKind.CHAT_MIGRATED, "en", silent=True)) == (
        "🔁 The group moved to a new address; its ledger moved with it."
    )


def test_an_amended_transaction_and_a_message_to_resend() -> None:
    assert render_reply(_reply(ReplyKind.AMENDED, transactions=(_tx("padaria", "15"),))) == (
        "✏️ Atualizado: R$ 15,00 · padaria · Mercado · 28/11"
    )
    assert render_reply(_reply(ReplyKind.AMENDED, "en", transactions=(_tx(),))) == (
        "✏️ Updated: R$12.50 · padaria · Mercado · 11/28"
    )
    assert render_reply(_reply(ReplyKind.RESEND)) == (
        "📩 A plataforma não me entregou o conteúdo dessa mensagem. Guardei o aviso; pode mandar "
        "de novo como texto, áudio ou foto?"
    )
    assert render_reply(_reply(ReplyKind.RESEND, "en")) == (
        "📩 The platform didn't give me what was in that message. I kept a note of it; could you "
        "send it again as text, a voice note or a photo?"
    )


def test_help_names_the_chat_commands() -> None:
    assert render_reply(_reply(ReplyKind.HELP)).endswith(
        "/desfazer apaga o último lançamento. /resumo mostra o mês, /categoria as categorias, "
        "/contexto seus livros de contas e /buscar farmácia procura lançamentos."
    )
    assert render_reply(_reply(ReplyKind.HELP, "en")).endswith(
        "/undo removes the last entry. /summary shows the month, /category the categories, "
        "/context your ledgers and /search pharmacy finds entries."
    )


def test_a_refusal_says_why_it_was_refused() -> None:
    role = render_reply(_reply(ReplyKind.FORBIDDEN, "pt", problem="forbidden:record"))
    assert role.startswith("🔒 Neste livro de contas seu papel só permite ver")
    fixed = render_reply(_reply(ReplyKind.FORBIDDEN, "pt", problem="group_ledger_fixed"))
    assert fixed.startswith("🔒 Este grupo registra sempre no livro de contas do grupo.")
    channel = render_reply(_reply(ReplyKind.FORBIDDEN, "en", problem="not_a_person:record"))
    assert channel.startswith("🔒 Messages sent on behalf of a channel or an anonymous admin")
    amend = render_reply(_reply(ReplyKind.FORBIDDEN, "pt", problem="forbidden:amend"))
    assert amend == "🔒 Só quem mandou a mensagem pode corrigi-la editando."
    amend_en = render_reply(_reply(ReplyKind.FORBIDDEN, "en", problem="forbidden:amend"))
    assert amend_en == "🔒 Only whoever sent the message can correct it by editing."
    assert len({role, fixed, channel, amend}) == 4
