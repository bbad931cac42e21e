"""Categories from the item bought, with no merchant named ("a pair of boots", "the plumber").

The category is decided as the edge decides it (:func:`fill_categories_ranked`: the reader's
lexicon, then the model trained on the committed dataset). The phrases here are our own and are
not lines of the training set or of any evaluation set (checked below).
"""

from __future__ import annotations

import datetime as dt

import pytest

from financy.edge.pipeline.understand import fill_categories_ranked, understand_text
from financy.inference.classify import CategoryModel, ModelCard, default_dataset, normalize, train_default
from financy.inference.text.reader import read_message

TODAY = dt.date(2026, 11, 28)

#: (language, text, slug): everyday purchases named by the item only.
ITEMS = [
    ("pt", "comprei chinelos 40", "shopping"),
    ("pt", "um casaco de lã 230", "shopping"),
    ("pt", "duas blusas 120", "shopping"),
    ("pt", "conserto da descarga 90", "housing"),
    ("pt", "mão de obra do pedreiro 500", "housing"),
    ("pt", "vermífugo da cachorra 45", "pets"),
    ("pt", "coleira pro gato 30", "pets"),
    ("pt", "consulta da gata no veterinário 180", "pets"),
    ("pt", "dipirona 9", "health"),
    ("pt", "consulta com o ortopedista 350", "health"),
    ("pt", "paguei a mensalidade da academia nova 99", "health"),
    ("pt", "aparar a barba 35", "personal_care"),
    ("pt", "desodorante 18", "personal_care"),
    ("pt", "apostila do cursinho 150", "education"),
    ("pt", "cadernos 60", "education"),
    ("pt", "troquei o botijão 115", "utilities"),
    ("pt", "conta de energia 230", "utilities"),
    ("pt", "balanceamento das rodas 80", "transport"),
    ("pt", "deixei o carro no conserto, 700", "transport"),
    ("pt", "pedi a certidão de casamento, 80", "taxes_fees"),
    ("pt", "cachorro quente na praça 12", "restaurants"),
    ("en", "a new hoodie 45", "shopping"),
    ("en", "new boots for winter 120", "shopping"),
    ("en", "paid the handyman 90", "housing"),
    ("en", "clogged drain 150", "housing"),
    ("en", "vaccine for our cat 60", "pets"),
    ("en", "dog leash 25", "pets"),
    ("en", "allergy pills 15", "health"),
    ("en", "dentist 200", "health"),
    ("en", "beard trim 20", "personal_care"),
    ("en", "shampoo 9", "personal_care"),
    ("en", "math tutoring 60", "education"),
    ("en", "power bill 110", "utilities"),
    ("en", "brake pads 180", "transport"),
    ("en", "notary stamp on the lease 40", "taxes_fees"),
]

#: Items the reader's lexicon alone files (words and phrases of ``category_*.tsv``), with variants
#: of plural, gender and accents.
LEXICON_ITEMS = [
    ("pt", "sandalias 80", "shopping"),
    ("pt", "jaqueta 300", "shopping"),
    ("pt", "pijamas 70", "shopping"),
    ("pt", "paguei a faxineira 150", "housing"),
    ("pt", "castração 400", "pets"),
    ("pt", "vacina da cachorra 90", "pets"),
    ("pt", "antialérgico 25", "health"),
    ("pt", "mensalidade da academia 110", "health"),
    ("pt", "sobrancelha 40", "personal_care"),
    ("pt", "cursinho 600", "education"),
    ("pt", "borracharia 50", "transport"),
    ("pt", "conserto do carro 900", "transport"),
    ("pt", "taxa do cartorio 30", "taxes_fees"),
    ("en", "sneakers 70", "shopping"),
    ("en", "plumber 130", "housing"),
    ("en", "puppy 300", "pets"),
    ("en", "gym membership 35", "health"),
    ("en", "oil change 55", "transport"),
    ("en", "notary fees 20", "taxes_fees"),
    ("en", "electricity bill 80", "utilities"),
]


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> ModelCard:
    return train_default(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def model(card: ModelCard) -> CategoryModel:
    return CategoryModel.load(card.path, card.sha256)


@pytest.mark.parametrize(("language", "text", "slug"), ITEMS)
def test_the_item_decides_the_category(model: CategoryModel, language: str, text: str, slug: str) -> None:
    """GIVEN a purchase named by its item only WHEN the edge categorises it THEN it files ``slug``."""
    understanding = understand_text(text, today=TODAY, language_hint=language, currency="BRL")
    filled = fill_categories_ranked(understanding, text, lambda source: model.predict(source, 4))
    assert [tx.category for tx in filled.transactions] == [slug]


@pytest.mark.parametrize(("language", "text", "slug"), LEXICON_ITEMS)
def test_the_lexicon_knows_everyday_items(language: str, text: str, slug: str) -> None:
    """GIVEN an everyday item WHEN read without the model THEN the reader's lexicon files ``slug``."""
    reading = read_message(text, today=TODAY, language_hint=language, default_currency="BRL")
    assert [item.category for item in reading.items] == [slug]


def test_these_phrases_are_not_training_lines() -> None:
    """The phrases above measure generalisation: none is a training line once digits are gone."""
    trained = {normalize(text).replace("0", "").strip() for text, _ in default_dataset()}
    for _, text, _ in ITEMS:
        assert normalize(text).replace("0", "").strip() not in trained, text
