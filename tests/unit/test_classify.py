"""The category classifier: dataset, training, ONNX agreement, inference, lazy loading, memory.

One model is trained on the committed dataset for the whole module (about 3 s) and reused.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from financy.inference.classify import (
    CATEGORY_SLUGS,
    CategoryModel,
    LazyCategoryModel,
    MerchantMemory,
    ModelCard,
    ModelIntegrityError,
    default_dataset,
    load_examples,
    normalize,
    train,
    train_default,
)
from financy.inference.classify.dataset import COLUMNS, DATASET_PATH
from financy.inference.classify.normalize import model_input
from financy.inference.classify.train import fit_pipeline, holdout_report, to_onnx_bytes

REPO = Path(__file__).resolve().parents[2]
# The training set's leak checks (near duplicates, test-split names) are in test_leaks.py.
NON_ASCII = [
    "farmácia",
    "açaí",
    "pão de açúcar",
    "café",
    "Ñ",
    "ÑANDÚ ÇA",
    "🍕",
    "uber 🚕 23",
    "almoço 🍔🍟 R$ 35,90",
    "Straße",
    "FARMÁCIA SÃO JOÃO",
    "naïve crème brûlée",
    "ﬁ ligature ½",
    "",
    "   ",
    "数字 عربى",
]


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> ModelCard:
    return train_default(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def model(card: ModelCard) -> CategoryModel:
    return CategoryModel.load(card.path, card.sha256)


@pytest.fixture(scope="module")
def examples() -> list[tuple[str, str]]:
    return default_dataset()


# --- normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gastei R$ 45,90 na FARMÁCIA 💊", "gastei r 0 na farmacia"),
        ("UBER *TRIP 01-01", "uber *trip 0 0"),
        ("Trader Joe's #123", "trader joes 0"),
        ("McDonald’s", "mcdonalds"),
        ("Ñandú", "nandu"),
        ("Straße", "strasse"),
        ("pão   de\taçúcar", "pao de acucar"),
        ("🍕🍕", ""),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected
    assert model_input(text) == f" {expected} "


def test_normalize_is_ascii_and_idempotent(examples: list[tuple[str, str]]) -> None:
    for text, _ in examples[::7] + [(t, "") for t in NON_ASCII]:
        folded = normalize(text)
        assert folded.isascii()
        assert normalize(folded) == folded


# --- dataset -----------------------------------------------------------------------------------


def test_dataset_file_shape() -> None:
    with DATASET_PATH.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert tuple(rows[0]) == COLUMNS
    assert all(len(row) == 4 for row in rows[1:])
    assert len(rows) - 1 >= 4000


def test_every_category_has_100_lines_in_each_language() -> None:
    counts = Counter((example.category, example.language) for example in load_examples())
    thin = {
        (slug, language): counts[(slug, language)]
        for slug in CATEGORY_SLUGS
        for language in ("pt", "en")
        if counts[(slug, language)] < 100
    }
    assert not thin, thin


def test_dataset_lines_are_unique_and_single_labelled() -> None:
    labels: dict[str, set[str]] = {}
    for example in load_examples():
        labels.setdefault(normalize(example.text), set()).add(example.category)
    assert all(len(found) == 1 for found in labels.values())
    assert len(labels) == len(load_examples())


def test_load_examples_rejects_unknown_category(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("text\tcategory\tlanguage\tsource\nmercado\tfood\tpt\thandwritten\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:2: unknown category 'food'"):
        load_examples(path)


# --- training and the ONNX export --------------------------------------------------------------


def test_train_writes_the_card(card: ModelCard, examples: list[tuple[str, str]]) -> None:
    data = card.path.read_bytes()
    assert card.name == "categories"
    assert card.path.name == f"categories-{card.version}.onnx"
    assert card.sha256 == hashlib.sha256(data).hexdigest()
    assert card.size == len(data)
    assert set(card.labels) == set(CATEGORY_SLUGS)
    assert card.n_examples == len(examples)
    assert card.trained_at.tzinfo is not None
    assert json.loads(json.dumps(card.to_dict()))["sha256"] == card.sha256


def test_training_is_deterministic(tmp_path: Path, examples: list[tuple[str, str]]) -> None:
    subset = examples[::10]
    first = train(subset, out=tmp_path / "a", version="t1")
    second = train(subset, out=tmp_path / "b", version="t1")
    assert first.sha256 == second.sha256


@pytest.mark.parametrize("version", ["", "../escape", "a/b", "x" * 65, "-lead"])
def test_train_rejects_unsafe_versions(tmp_path: Path, version: str) -> None:
    with pytest.raises(ValueError, match="version"):
        train([("mercado", "groceries"), ("99 pop", "transport")], out=tmp_path, version=version)


def test_train_needs_two_categories(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="two categories"):
        train([("mercado", "groceries")], out=tmp_path, version="t")


def test_sklearn_and_onnx_agree_on_every_line(model: CategoryModel, examples: list[tuple[str, str]]) -> None:
    """GIVEN the model :func:`train_default` exported and the same pipeline fitted again in
    scikit-learn (training is deterministic) WHEN both score every dataset line and accented, emoji
    and non-Latin lines THEN top-1 is the same and probabilities differ by less than 1e-4."""
    pipeline = fit_pipeline(examples)
    assert model.labels == tuple(pipeline.classes_)
    texts = [text for text, _ in examples] + NON_ASCII
    expected = pipeline.predict_proba([model_input(text) for text in texts])
    got = model.probabilities(texts)
    assert got.shape == expected.shape
    assert np.array_equal(got.argmax(axis=1), expected.argmax(axis=1))
    assert float(np.abs(got - expected).max()) < 1e-4


def test_onnx_graph_tokenizes_raw_unicode_like_sklearn(examples: list[tuple[str, str]]) -> None:
    """The graph's own tokenizer (tokenexp with \\p{L}) also matches scikit-learn on text that was
    NOT normalised, so a caller skipping :func:`model_input` gets the same (if worse) answer."""
    import onnxruntime as ort

    pipeline = fit_pipeline(examples[::3])
    session = ort.InferenceSession(to_onnx_bytes(pipeline, version="raw"), providers=["CPUExecutionProvider"])
    raw = [f" {text} " for text in NON_ASCII if text.strip()] + [" farmácia drogasil ", " Pão De Açúcar "]
    (got,) = session.run(["probabilities"], {"text": np.array([[text] for text in raw], dtype=object)})
    expected = pipeline.predict_proba(raw)
    assert float(np.abs(got - expected).max()) < 1e-4


def test_holdout_accuracy(examples: list[tuple[str, str]]) -> None:
    report = holdout_report(examples)
    assert report.n_test == pytest.approx(len(examples) * 0.2, abs=1)
    assert report.accuracy >= 0.8, report.confusions[:10]


# --- inference ---------------------------------------------------------------------------------


#: Texts the model must get right; none names a test-split merchant (those it never trains on).
CLEAR_CASES = [
    ("99 pop", "transport"),
    ("ifood", "restaurants"),
    ("conta de luz", "utilities"),
    ("POSTO IPIRANGA", "fuel"),
    ("disney plus", "subscriptions"),
    ("farmácia", "health"),
    ("drogaria 32,90", "health"),
    ("gastei 45,90 no mercado ontem", "groceries"),
    ("paid $12 for lunch", "restaurants"),
    ("supermercado", "groceries"),
    ("ração do cachorro", "pets"),
    ("aluguel", "housing"),
    ("LYFT *RIDE", "transport"),
    ("IFOOD *RESTAURANTE", "restaurants"),
    ("DEEZER", "subscriptions"),
    ("EBAY", "shopping"),
    ("SQ *COFFEE SHOP", "restaurants"),
    ("PIX TRANSF", "transfer"),
    ("IOF COMPRA INTERNACIONAL", "taxes_fees"),
    ("ANUIDADE", "taxes_fees"),
    ("walgreens", "health"),
    ("lyft", "transport"),
    ("chipotle", "restaurants"),
    ("recebi meu salário", "salary"),
]


@pytest.mark.parametrize(("text", "slug"), CLEAR_CASES)
def test_clear_cases(model: CategoryModel, text: str, slug: str) -> None:
    assert model.predict(text)[0][0] == slug, model.predict(text)


def test_clear_cases_name_no_test_split_merchant() -> None:
    from financy.inference.classify.leaks import name_leaks
    from tests.eval.splits import names_in_test_split

    assert not name_leaks([text for text, _ in CLEAR_CASES], names_in_test_split())


#: Everyday brands our own vocabularies name (so the third-party rows naming them are dev, not test,
#: and the model trains on them): the message as a user types it, and its category.
COMMON_BRANDS = [
    ("gastei 50 no uber", "transport"),
    ("uber 23,50", "transport"),
    ("UBER *TRIP", "transport"),
    ("netflix 39,90", "subscriptions"),
    ("NETFLIX.COM", "subscriptions"),
    ("amazon 120", "shopping"),
    ("spotify 21,90", "subscriptions"),
    ("starbucks 18", "restaurants"),
    ("pão de açúcar 230", "groceries"),
]


@pytest.mark.parametrize(("text", "slug"), COMMON_BRANDS)
def test_common_brands_of_our_vocabularies(model: CategoryModel, text: str, slug: str) -> None:
    """GIVEN a brand our vocabularies name WHEN the model and then the edge's category fill read a
    message with it THEN both give its category (the model's top answer; the item the reply files)."""
    import datetime as dt

    from financy.edge.pipeline.understand import fill_categories_ranked, understand_text

    assert model.predict(text)[0][0] == slug, model.predict(text)
    understanding = fill_categories_ranked(
        understand_text(text, today=dt.date(2026, 11, 28), language_hint="pt", currency="BRL"),
        text,
        model.predict,
    )
    assert [item.category for item in understanding.transactions] == (
        [slug] if any(c.isdigit() for c in text) else []
    )


def test_common_brands_are_in_our_vocabularies_and_no_test_name() -> None:
    """The brands above are in the vocabularies the dataset is built from, and none is a name of the
    test split (the third-party rows naming them were moved to dev: tests/eval/seen_names.tsv)."""
    from financy.inference.classify.leaks import leak_key, name_leaks
    from tests.eval import seen
    from tests.eval.splits import names_in_test_split

    vocabulary = " | ".join(
        f" {leak_key(text)} "
        for relative in seen.VOCABULARIES
        for text in seen.table_texts(seen.file_reader(relative))
    )
    for brand in ("uber", "netflix", "amazon", "spotify", "starbucks", "pao de acucar"):
        assert f" {brand} " in vocabulary, brand
    assert not name_leaks([text for text, _ in COMMON_BRANDS], names_in_test_split())


def test_predict_returns_ranked_slugs(model: CategoryModel) -> None:
    for text in ["mercado 50", *NON_ASCII]:
        ranked = model.predict(text)
        assert len(ranked) == 3
        assert all(slug in CATEGORY_SLUGS for slug, _ in ranked)
        probabilities = [p for _, p in ranked]
        assert probabilities == sorted(probabilities, reverse=True)
        assert 0.0 <= sum(probabilities) <= 1.0 + 1e-6
    assert len(model.predict("uber", k=5)) == 5


def test_predict_many_keeps_order(model: CategoryModel) -> None:
    texts = ["netflix", "uber", "farmácia"]
    assert model.predict_many(texts) == [model.predict(text) for text in texts]
    assert model.predict_many([]) == []


def test_load_rejects_a_wrong_sha256(card: ModelCard) -> None:
    with pytest.raises(ModelIntegrityError, match="sha256") as caught:
        CategoryModel.load(card.path, "0" * 64)
    assert caught.value.reason == "sha256_mismatch"
    assert caught.value.path == card.path
    assert CategoryModel.load(card.path, card.sha256.upper()).sha256 == card.sha256


def test_load_rejects_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "categories-broken.onnx"
    path.write_bytes(b"not an onnx model")
    with pytest.raises(ModelIntegrityError) as caught:
        CategoryModel.load(path)
    assert caught.value.reason == "not_a_category_model"
    with pytest.raises(FileNotFoundError):
        CategoryModel.load(tmp_path / "missing.onnx")


def test_inference_does_not_import_scikit_learn(card: ModelCard) -> None:
    """An edge has onnxruntime but not the train extra: loading and predicting must not need it."""
    code = (
        "import sys; from pathlib import Path\n"
        "from financy.inference.classify import CategoryModel\n"
        f"m = CategoryModel.load(Path({str(card.path)!r}), {card.sha256!r})\n"
        "assert m.predict('uber')[0][0] == 'transport'\n"
        "heavy = sorted(n for n in ('sklearn', 'skl2onnx', 'onnx') if n in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


# --- lazy loading ------------------------------------------------------------------------------


def test_lazy_model_loads_once_on_first_use(card: ModelCard) -> None:
    calls: list[int] = []

    def resolve() -> tuple[Path, str | None]:
        calls.append(1)
        time.sleep(0.05)  # widen the race window
        return card.path, card.sha256

    lazy = LazyCategoryModel(resolve)
    assert not lazy.loaded
    assert calls == []
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(lazy.predict("uber"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert lazy.loaded
    assert all(result[0][0] == "transport" for result in results)


def test_lazy_model_reloads_a_new_artifact_and_keeps_the_old_on_failure(
    tmp_path: Path, card: ModelCard, examples: list[tuple[str, str]]
) -> None:
    current: dict[str, Any] = {"path": card.path, "sha": card.sha256}
    lazy = LazyCategoryModel(lambda: (current["path"], current["sha"]))
    assert lazy.get().version == card.version

    newer = train(examples[::4], out=tmp_path, version="newer")
    current.update(path=newer.path, sha=newer.sha256)
    assert lazy.reload().version == "newer"
    assert lazy.get().sha256 == newer.sha256

    current["sha"] = "f" * 64  # a corrupt publication
    with pytest.raises(ModelIntegrityError):
        lazy.reload()
    assert lazy.get().version == "newer"

    lazy.unload()
    assert not lazy.loaded
    current["sha"] = None
    assert lazy.predict_many(["conta de luz"])[0][0][0] == "utilities"
    assert LazyCategoryModel(lambda: newer.path).get().sha256 == newer.sha256


# --- merchant memory ---------------------------------------------------------------------------


def test_memory_learns_per_context() -> None:
    memory = MerchantMemory()
    memory.learn("family", "Padaria do Zé", "restaurants")
    assert memory.lookup("family", "padaria do ze") == "restaurants"
    assert memory.lookup("family", "PADARIA DO ZÉ!") == "restaurants"
    assert memory.lookup("personal", "padaria do zé") is None
    memory.learn("personal", "padaria do zé", "groceries")
    assert memory.lookup("personal", "Padaria do Zé") == "groceries"
    assert memory.lookup("family", "Padaria do Zé") == "restaurants"
    assert len(memory) == 2


def test_memory_keys_like_the_model() -> None:
    memory = MerchantMemory()
    memory.learn("c", "POSTO IPIRANGA 123", "fuel")
    assert memory.lookup("c", "posto ipiranga 456") == "fuel"
    memory.learn("c", "posto ipiranga 9", "transport")  # relearning replaces
    assert memory.lookup("c", "POSTO IPIRANGA 123") == "transport"
    assert memory.lookup("c", None) is None
    assert memory.lookup("c", "") is None
    assert memory.lookup("c", "shell") is None


def test_memory_forget_clear_and_validation() -> None:
    memory = MerchantMemory()
    memory.learn("a", "netflix", "subscriptions")
    memory.learn("b", "netflix", "entertainment")
    assert memory.forget("a", "Netflix")
    assert not memory.forget("a", "Netflix")
    assert memory.lookup("b", "netflix") == "entertainment"
    memory.clear("b")
    assert len(memory) == 0
    with pytest.raises(ValueError, match="unknown category"):
        memory.learn("a", "netflix", "streaming")
    with pytest.raises(ValueError, match="no words"):
        memory.learn("a", "🍕", "restaurants")


def test_memory_drops_least_recently_used() -> None:
    memory = MerchantMemory(max_per_context=2)
    memory.learn("a", "one", "other")
    memory.learn("a", "two", "other")
    assert memory.lookup("a", "one") == "other"  # "one" is now the most recent
    memory.learn("a", "three", "other")
    assert memory.lookup("a", "two") is None
    assert memory.lookup("a", "one") == "other"
    memory.learn("b", "four", "other")  # other contexts have their own room
    assert len(memory) == 3
