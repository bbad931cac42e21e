"""Reader fields: merchant, description, category lexicon, payment method, instalments, language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from financy.inference.text import ReadItem, read_message
from financy.inference.text.lexicon import CATEGORY_BY_PHRASE, CATEGORY_BY_WORD, CATEGORY_SLUGS

TODAY = dt.date(2026, 11, 28)


def only_item(text: str, **kwargs: Any) -> ReadItem:
    reading = read_message(text, today=TODAY, **kwargs)
    assert reading.intent == "record", reading
    assert len(reading.items) == 1, reading.items
    return reading.items[0]


# --- merchant and description -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "merchant"),
    [
        ("gastei 45,90 no mercado ontem", "mercado"),
        ("paid $12 for lunch", "lunch"),
        ("uber 23", "uber"),
        ("Gasolina 75,9", "gasolina"),
        ("Registrar um gasto de 30 reais com farmácia", "farmácia"),
        ("Comprei um lanche por 25,50", "lanche"),
        ("paguei 80 na Padaria do Zé", "padaria do zé"),
        ("gasolina no posto shell 200", "posto shell"),
        ("paid 12 for lunch at McDonald's", "mcdonald's"),
        ("comprei ração no petshop 80", "petshop"),
        ("paguei 50 pro joão", "joão"),
        ("99 23,50", "99"),
        ("corrida no 99 18", "99"),
        ("FARMÁCIA 30", "farmácia"),
    ],
)
def test_merchant(text: str, merchant: str) -> None:
    assert only_item(text).merchant == merchant


@pytest.mark.parametrize("text", ["R$ 45", "gastei 50 no pix", "paguei 30 reais ontem"])
def test_no_merchant(text: str) -> None:
    assert only_item(text).merchant is None


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("gastei 45,90 no mercado ontem", "mercado"),
        ("paid $12 for lunch with friends", "lunch with friends"),
        ("Comprei um lanche por 25,50", "lanche"),
        ("2 pizzas 50", "2 pizzas"),
        ("conta de luz 120", "conta de luz"),
        ("Gasolina 75,9", "Gasolina"),
        ("R$ 45", None),
    ],
)
def test_description(text: str, description: str | None) -> None:
    assert only_item(text).description == description


# --- category ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "hint", "category"),
    [
        ("mercado", "pt", "groceries"),
        ("supermercado", "pt", "groceries"),
        ("feira", "pt", "groceries"),
        ("groceries", "en", "groceries"),
        ("almoço", "pt", "restaurants"),
        ("jantar", "pt", "restaurants"),
        ("lanche", "pt", "restaurants"),
        ("restaurante", "pt", "restaurants"),
        ("ifood", "pt", "restaurants"),
        ("café", "pt", "restaurants"),
        ("lunch", "en", "restaurants"),
        ("dinner", "en", "restaurants"),
        ("coffee", "en", "restaurants"),
        ("uber", "pt", "transport"),
        ("99", "pt", "transport"),
        ("taxi", "pt", "transport"),
        ("ônibus", "pt", "transport"),
        ("metrô", "pt", "transport"),
        ("bus", "en", "transport"),
        ("gasolina", "pt", "fuel"),
        ("combustível", "pt", "fuel"),
        ("posto", "pt", "fuel"),
        ("gas", "en", "fuel"),
        ("fuel", "en", "fuel"),
        ("aluguel", "pt", "housing"),
        ("condomínio", "pt", "housing"),
        ("rent", "en", "housing"),
        ("luz", "pt", "utilities"),
        ("água", "pt", "utilities"),
        ("internet", "pt", "utilities"),
        ("energia", "pt", "utilities"),
        ("gás", "pt", "utilities"),
        ("electricity", "en", "utilities"),
        ("farmácia", "pt", "health"),
        ("farmacia", "pt", "health"),
        ("remédio", "pt", "health"),
        ("médico", "pt", "health"),
        ("consulta", "pt", "health"),
        ("pharmacy", "en", "health"),
        ("doctor", "en", "health"),
        ("escola", "pt", "education"),
        ("curso", "pt", "education"),
        ("faculdade", "pt", "education"),
        ("cinema", "pt", "entertainment"),
        ("show", "pt", "entertainment"),
        ("netflix", "pt", "subscriptions"),
        ("spotify", "pt", "subscriptions"),
        ("roupa", "pt", "shopping"),
        ("shopping", "pt", "shopping"),
        ("amazon", "pt", "shopping"),
        ("hotel", "pt", "travel"),
        ("passagem", "pt", "travel"),
        ("viagem", "pt", "travel"),
        ("flight", "en", "travel"),
        ("salão", "pt", "personal_care"),
        ("cabelo", "pt", "personal_care"),
        ("barbeiro", "pt", "personal_care"),
        ("ração", "pt", "pets"),
        ("veterinário", "pt", "pets"),
        ("pet", "en", "pets"),
        ("presente", "pt", "gifts_donations"),
        ("doação", "pt", "gifts_donations"),
        ("imposto", "pt", "taxes_fees"),
        ("taxa", "pt", "taxes_fees"),
        ("iptu", "pt", "taxes_fees"),
        ("ipva", "pt", "taxes_fees"),
        ("tax", "en", "taxes_fees"),
        ("fee", "en", "taxes_fees"),
        ("mercado livre", "pt", "shopping"),
        ("conta de luz", "pt", "utilities"),
        ("amazon prime", "pt", "subscriptions"),
        ("pão de açúcar", "pt", "groceries"),
    ],
)
def test_category_lexicon(word: str, hint: str, category: str) -> None:
    item = only_item(f"{word} 50", language_hint=hint)
    assert (item.kind, item.category) == ("expense", category)


def test_salary_words_make_income() -> None:
    assert only_item("salário 5000").category == "salary"
    assert only_item("salary 5000", language_hint="en").category == "salary"


def test_category_unknown_word() -> None:
    assert only_item("xpto 50").category is None


def test_merchant_words_decide_before_other_words() -> None:
    assert only_item("comprei ração no petshop 80").category == "pets"
    assert only_item("jantar no outback 120").category == "restaurants"


def test_lexicon_uses_only_design_slugs() -> None:
    assert set(CATEGORY_BY_WORD.values()) <= CATEGORY_SLUGS
    assert set(CATEGORY_BY_PHRASE.values()) <= CATEGORY_SLUGS
    assert len(CATEGORY_SLUGS) == 20


# --- payment method ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("gastei 50 no pix", "pix"),
        ("mercado 50 via Pix", "pix"),
        ("paguei 120 no débito", "debit"),
        ("paguei 120 no debito", "debit"),
        ("cartão de débito 20 padaria", "debit"),
        ("debit card 20 coffee", "debit"),
        ("cartão de crédito 300 loja", "credit"),
        ("no crédito 300 loja", "credit"),
        ("credito 300 loja", "credit"),
        ("no cartão 80 farmácia", "credit"),
        ("paid 40 by card", "credit"),
        ("credit 40 store", "credit"),
        ("dinheiro 20 feira", "cash"),
        ("em espécie 20 feira", "cash"),
        ("paid 20 cash", "cash"),
        ("boleto 150 internet", "boleto"),
        ("aluguel 1500 por transferência", "transfer"),
        ("ted 500 aluguel", "transfer"),
        ("doc 500 aluguel", "transfer"),
        ("rent 900 by wire transfer", "transfer"),
    ],
)
def test_payment_method(text: str, method: str) -> None:
    assert only_item(text).payment_method == method


def test_no_payment_method() -> None:
    assert only_item("uber 23").payment_method is None


# --- instalments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "installments"),
    [
        ("comprei tv 3000 em 10x", "3000", 10),  # "em Nx" next to the total
        ("geladeira 2500 em 10 x no cartão", "2500", 10),
        ("sofá 4000 em 8 vezes", "4000", 8),
        ("tênis 300 em 3 parcelas", "300", 3),
        ("notebook 3000 parcelado em 12", "3000", 12),
        ("tv 2000 in 4 installments", "2000", 4),
        ("3x de 50", "150", 3),  # "Nx de V": N instalments of V, recorded as the total
        ("10x de R$ 99,90 geladeira", "999.00", 10),
        ("3 parcelas de 100", "300", 3),
        ("em três vezes 300 sofá", "300", 3),
    ],
)
def test_instalments(text: str, amount: str, installments: int) -> None:
    item = only_item(text)
    assert (item.amount, item.installments) == (Decimal(amount), installments)


def test_no_instalments() -> None:
    assert only_item("uber 23").installments is None


# --- language ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        ("gastei 50 no mercado", None, "pt"),
        ("paid 12 for lunch", None, "en"),
        ("uber 23", None, "pt"),
        ("uber 23", "en", "en"),
        ("uber 23", "pt-BR", "pt"),
        ("uber 23", "en_US", "en"),
        ("45", "xx", "pt"),
        ("paid $12 for lunch", "pt", "en"),  # the text decides when it can
        ("almoço no restaurante 30", "en", "pt"),
        ("R$ 30", None, "pt"),
        ("R$ 30", "en", "en"),  # an amount alone keeps the chat's language
    ],
)
def test_language(text: str, hint: str | None, language: str) -> None:
    assert read_message(text, today=TODAY, language_hint=hint).language == language
