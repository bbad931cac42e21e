"""Chat commands for ledgers, the month's summary, categories, who paid and link codes, as the
reader reads them and as the edge maps them onto the contract's ``Understanding``.

``TODAY`` is Saturday 28 November 2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from financy.core.contracts.v1 import Intent
from financy.edge.pipeline.understand import understand_text
from financy.inference.text import Reading, read_message
from financy.inference.text.intents import link_code

TODAY = dt.date(2026, 11, 28)


def read(text: str, **kwargs: Any) -> Reading:
    return read_message(text, today=TODAY, **kwargs)


# --- /contexto -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "language", "choice", "confidence"),
    [
        ("/contexto", None, "pt", None, 1.0),
        ("/contextos", None, "pt", None, 1.0),
        ("/context", None, "en", None, 1.0),
        ("/contexts", None, "en", None, 1.0),
        ("/ledger", None, "en", None, 1.0),
        ("/ledgers", None, "en", None, 1.0),
        ("/contexto 2", None, "pt", "2", 1.0),
        ("/contexto   Viagem Europa  ", "pt", "pt", "Viagem Europa", 1.0),
        ("/context@financy_bot Família Silva", None, "en", "Família Silva", 1.0),
        ("/ledgers 3", None, "en", "3", 1.0),
        ("contexto", "pt", "pt", None, 0.9),
        ("contextos", None, "pt", None, 0.9),
        ("meus contextos", "pt", "pt", None, 0.9),
        ("trocar contexto", "pt", "pt", None, 0.9),
        ("Trocar de contexto!", "pt", "pt", None, 0.9),
        ("trocar contexto 2", "pt", "pt", "2", 0.9),
        ("muda pra contexto 2", "pt", "pt", "2", 0.9),
        ("switch context", None, "en", None, 0.9),
        ("switch ledger", None, "en", None, 0.9),
        ("my ledgers", None, "en", None, 0.9),
        ("switch to ledger 2", "pt", "en", "2", 0.9),
        # a chat's language is sticky: a command or two words do not change it
        ("/contexto", "en", "en", None, 1.0),
        ("/ledgers", "pt", "pt", None, 1.0),
        ("/contexto 2", "en", "en", "2", 1.0),
        ("/context@financy_bot Família Silva", "pt", "pt", "Família Silva", 1.0),
        ("contextos", "en", "en", None, 0.9),
        ("my ledgers", "pt", "pt", None, 0.9),
    ],
)
def test_ledger_requests_list_or_switch(
    text: str, hint: str | None, language: str, choice: str | None, confidence: float
) -> None:
    reading = read(text, language_hint=hint)
    assert reading == Reading(language, "contexts", (), confidence, None, context_choice=choice)


def test_the_choice_after_contexto_is_cut_to_two_hundred_characters() -> None:
    reading = read("/contexto " + "x" * 300)
    assert reading.context_choice == "x" * 200


@pytest.mark.parametrize("text", ["contexto 500 livro", "livro 50", "ledger 45.90 notebook"])
def test_a_ledger_word_with_an_amount_is_still_a_transaction(text: str) -> None:
    reading = read(text, language_hint="en" if "ledger" in text else "pt")
    assert reading.intent == "record", reading


# --- /resumo -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "language", "confidence"),
    [
        ("/resumo", None, "pt", 1.0),
        ("/summary", None, "en", 1.0),
        ("/resumo@financy_bot", None, "pt", 1.0),
        ("resumo", None, "pt", 0.9),
        ("Resumo do mês", "pt", "pt", 0.9),
        ("resumo do mes", "pt", "pt", 0.9),
        ("resumo mês", "pt", "pt", 0.9),
        ("me mostra o resumo", "pt", "pt", 0.9),
        ("summary", None, "en", 0.9),
        ("monthly summary", None, "en", 0.9),
        ("show me my summary", "pt", "en", 0.9),
        ("summary please", None, "en", 0.9),
        # a chat's language is sticky: "/resumo" in an English chat is answered in English
        ("/resumo", "en", "en", 1.0),
        ("/summary", "pt", "pt", 1.0),
        ("resumo", "en", "en", 0.9),
        ("monthly summary", "pt", "pt", 0.9),
    ],
)
def test_summary_requests(text: str, hint: str | None, language: str, confidence: float) -> None:
    assert read(text, language_hint=hint) == Reading(language, "summary", (), confidence, None)


def test_a_sum_asked_of_the_month_is_still_a_query() -> None:
    assert read("quanto gastei este mês?").intent == "query"


# --- /categoria ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [("/categoria", "pt"), ("/categorias", "pt"), ("/category", "en"), ("/categories@financy_bot", "en")],
)
def test_a_category_command_alone_asks_for_the_list(text: str, language: str) -> None:
    assert read(text) == Reading(language, "categories", (), 1.0, None)
    hint = "en" if language == "pt" else "pt"  # in a chat of the other language: the chat's
    assert read(text, language_hint=hint) == Reading(hint, "categories", (), 1.0, None)


@pytest.mark.parametrize(
    ("text", "language", "slug"),
    [
        ("/categoria saúde", "pt", "health"),
        ("/categoria saude", "pt", "health"),
        ("/categoria cuidados pessoais", "pt", "personal_care"),
        ("/categoria mercado", "pt", "groceries"),
        ("/category health", "en", "health"),
        ("/category@financy_bot groceries", "en", "groceries"),
        ("/categories gifts and donations", "en", "gifts_donations"),
    ],
)
def test_a_category_command_with_a_category_changes_it(text: str, language: str, slug: str) -> None:
    reading = read(text)
    assert reading == Reading(language, "recategorize", (), 1.0, None, category=slug)


def test_a_category_command_with_an_unknown_category_asks() -> None:
    assert read("/categoria xyzzy") == Reading("pt", "recategorize", (), 0.3, "unknown_category")
    assert read("/category blorp").problem == "unknown_category"


# --- /eu, "fui eu" ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "confidence"),
    [
        ("/eu", "pt", 1.0),
        ("/me", "en", 1.0),
        ("/paguei", "pt", 1.0),
        ("/eu@financy_bot", "pt", 1.0),
        ("fui eu", "pt", 0.9),
        ("Fui eu!", "pt", 0.9),
        ("eu paguei", "pt", 0.9),
        ("eu que paguei", "pt", 0.9),
        ("eu", "pt", 0.9),
        ("i paid", "en", 0.9),
        ("I paid it", "en", 0.9),
        ("it was me", "en", 0.9),
        ("me", "en", 0.9),
        ("Me!", "en", 0.9),
    ],
)
def test_claiming_to_have_paid(text: str, language: str, confidence: float) -> None:
    assert read(text) == Reading(language, "claim_payer", (), confidence, None)
    for hint in ("pt", "en"):
        # a chat's language is sticky; only three words show theirs ("it was me", "eu que paguei")
        expected = language if text in ("it was me", "eu que paguei") else hint
        assert read(text, language_hint=hint) == Reading(expected, "claim_payer", (), confidence, None)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("/paguei 50 mercado", Decimal(50)),
        ("eu paguei 30 no uber", Decimal(30)),
        ("i paid 12 for lunch", Decimal(12)),
    ],
)
def test_paying_with_an_amount_is_a_transaction(text: str, amount: Decimal) -> None:
    reading = read(text)
    assert reading.intent == "record"
    assert [item.amount for item in reading.items] == [amount]


# --- link codes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("/start K7QM-2XPD", "K7QM-2XPD"),
        ("/start k7qm2xpd", "k7qm2xpd"),
        ("/start@financy_bot K7QM2XPD", "K7QM2XPD"),
        ("/start K7QM-2XP", "K7QM-2XP"),  # mistyped: the core says it is unknown
    ],
)
def test_start_with_a_code_links(text: str, code: str) -> None:
    assert read(text, language_hint="en") == Reading("en", "link", (), 1.0, None, link_code=code)


@pytest.mark.parametrize(
    ("text", "hint", "language", "code"),
    [
        ("/vincular K7QM-2XPD", None, "pt", "K7QM-2XPD"),
        ("/vincular K7QM-2XPD", "en", "en", "K7QM-2XPD"),  # the chat's language is sticky
        ("/vincular  k7qm 2xpd ", "pt", "pt", "k7qm 2xpd"),
        ("/vincular@financy_bot K7QM2XPD", None, "pt", "K7QM2XPD"),
        ("/link K7QM-2XPD", None, "en", "K7QM-2XPD"),
        ("/link K7QM-2XPD", "pt", "pt", "K7QM-2XPD"),
        ("/link k7qm2xpd", None, "en", "k7qm2xpd"),
        ("/vincular", "pt", "pt", None),  # no code: the core answers it is unknown
        ("/link", "en", "en", None),
    ],
)
def test_vincular_and_link_confirm_a_link_in_their_own_or_the_chats_language(
    text: str, hint: str | None, language: str, code: str | None
) -> None:
    assert read(text, language_hint=hint) == Reading(
        language, "link", (), 1.0, None, link_code=code, link_confirmed=True
    )


@pytest.mark.parametrize(
    "text",
    ["/start K7QM-2XPD", "/start vincular_K7QM2XPD", "K7QM-2XPD", "link K7QM-2XPD", "código: K7QM-2XPD"],
)
def test_a_deep_link_or_a_bare_code_never_confirms(text: str) -> None:
    reading = read(text, language_hint="pt")
    assert (reading.intent, reading.link_confirmed) == ("link", False)


def test_start_alone_or_with_words_stays_start() -> None:
    assert read("/start").intent == "start"
    assert read("/start hello there").intent == "start"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("K7QM-2XPD", "K7QM-2XPD"),
        ("k7qm-2xpd", "k7qm-2xpd"),
        ("k7qm2xpd", "k7qm2xpd"),
        (" K7QM 2XPD ", "K7QM 2XPD"),
        ("ABCD-EFGH", "ABCD-EFGH"),  # capitals and a dash: a code even without digits
        ("código: K7QM-2XPD", "K7QM-2XPD"),
    ],
)
def test_a_message_that_is_just_a_code_links(text: str, code: str) -> None:
    assert read(text, language_hint="pt") == Reading("pt", "link", (), 0.9, None, link_code=code)


def test_a_code_after_three_english_words_is_english() -> None:
    """Three words of one language show it, whatever the chat's (``language.evident_language``)."""
    reading = read("my code is K7QM-2XPD", language_hint="pt")
    assert reading == Reading("en", "link", (), 0.9, None, link_code="K7QM-2XPD")
    assert reading.language_sure


@pytest.mark.parametrize(
    "text",
    ["PADARIA1", "padaria1", "uber2345", "taxi 1500", "room 1204", "reco-reco", "2023-2024", "mercado 45"],
)
def test_ordinary_messages_are_no_link_codes(text: str) -> None:
    assert link_code(text, text.lower()) is None
    assert read(text).intent != "link"


@pytest.mark.parametrize(
    ("text", "amount"),
    [("PADARIA1", Decimal(1)), ("uber2345", Decimal(2345)), ("taxi 1500", Decimal(1500))],
)
def test_code_shaped_transactions_stay_transactions(text: str, amount: Decimal) -> None:
    reading = read(text)
    assert reading.intent == "record"
    assert [item.amount for item in reading.items] == [amount]


# --- the contract ----------------------------------------------------------------------------------


def test_the_edge_carries_the_code_and_the_choice_into_the_understanding() -> None:
    linked = understand_text("/start K7QM-2XPD", today=TODAY, language_hint="pt", currency="BRL")
    assert (linked.intent, linked.link_code, linked.language) == (Intent.LINK, "K7QM-2XPD", "pt")
    assert linked.link_confirmed is False
    for text, language in (("/vincular K7QM-2XPD", "pt"), ("/link K7QM-2XPD", "en")):
        confirmed = understand_text(text, today=TODAY, language_hint=None, currency="BRL")
        assert (confirmed.intent, confirmed.link_code, confirmed.link_confirmed, confirmed.language) == (
            Intent.LINK,
            "K7QM-2XPD",
            True,
            language,
        )
    long = understand_text("/vincular " + "K" * 40, today=TODAY, language_hint="pt", currency="BRL")
    assert (long.intent, long.link_code, long.link_confirmed) == (Intent.LINK, "K" * 32, True)
    switch = understand_text("/contexto Viagem", today=TODAY, language_hint=None, currency="BRL")
    assert (switch.intent, switch.context_choice, switch.language) == (Intent.CONTEXTS, "Viagem", "pt")
    in_english = understand_text("/contexto Viagem", today=TODAY, language_hint="en", currency="BRL")
    assert (in_english.language, in_english.language_sure) == ("en", False)  # the chat's, sticky
    for text, intent in [
        ("/resumo", Intent.SUMMARY),
        ("/categorias", Intent.CATEGORIES),
        ("fui eu", Intent.CLAIM_PAYER),
        ("/contexto", Intent.CONTEXTS),
    ]:
        understanding = understand_text(text, today=TODAY, language_hint="pt", currency="BRL")
        assert (understanding.intent, understanding.link_code, understanding.context_choice) == (
            intent,
            None,
            None,
        )
    change = understand_text("/categoria saúde", today=TODAY, language_hint="pt", currency="BRL")
    assert (change.intent, change.category) == (Intent.RECATEGORIZE, "health")
