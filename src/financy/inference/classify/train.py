"""Train the category model (TF-IDF words + characters, logistic regression) and export it to ONNX.

scikit-learn, skl2onnx and onnx are the ``train`` extra: they are imported inside the functions
that need them, so an edge that only *runs* the model needs nothing but onnxruntime and numpy.

The exported graph takes a ``[N, 1]`` string tensor of :func:`model_input` text and
returns ``label`` (``[N]`` strings) and ``probabilities`` (``[N, n_labels]`` float32, columns in
the order of the ``labels`` metadata entry). Metadata entries: ``name``, ``version``, ``labels``
(JSON list) and ``normalization``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from financy.inference.classify.dataset import DATASET_PATH, default_dataset
from financy.inference.classify.normalize import model_input

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = [
    "MODEL_NAME",
    "NORMALIZATION",
    "ONNX_TOKENEXP",
    "TOKEN_PATTERN",
    "HoldoutReport",
    "ModelCard",
    "build_pipeline",
    "default_version",
    "fit_pipeline",
    "holdout_report",
    "to_onnx_bytes",
    "train",
    "train_default",
]

MODEL_NAME: Final = "categories"
#: Names the text normalisation the model expects; stored in the ONNX metadata.
NORMALIZATION: Final = "financy.classify.model_input/1"
#: scikit-learn token pattern: two or more word characters (``\b`` is implied by greediness).
TOKEN_PATTERN: Final = r"(?u)\w\w+"  # noqa: S105 - a regex, not a password
#: The same tokens for ONNX Runtime, whose ``\w`` is ASCII only (STACK.md "Understanding").
ONNX_TOKENEXP: Final = r"[\p{L}\p{N}_][\p{L}\p{N}_]+"
#: StringNormalizer locale that exists on every machine we run on (STACK.md).
ONNX_LOCALE: Final = "C.UTF-8"
#: L2 penalty of the SGD logistic regression (chosen on the held-out split: 5e-6..2e-5 are equal).
ALPHA: Final = 1e-5
RANDOM_STATE: Final = 0
_VERSION_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")


@dataclass(frozen=True, slots=True)
class ModelCard:
    """What was trained and where it was written.

    Attributes:
        name: always :data:`MODEL_NAME` ("categories").
        version: the version given to :func:`train`.
        path: the ``.onnx`` file written (``<out>/categories-<version>.onnx``).
        sha256: hex digest of that file's bytes (what the manifest pins and the loader checks).
        size: file size in bytes.
        labels: category slugs in the column order of the ``probabilities`` output.
        trained_at: UTC time training finished.
        n_examples: number of training examples.
    """

    name: str
    version: str
    path: Path
    sha256: str
    size: int
    labels: tuple[str, ...]
    trained_at: dt.datetime
    n_examples: int

    def to_dict(self) -> dict[str, Any]:
        """Return the card as JSON-ready values (path as a string, time in ISO 8601)."""
        return {
            "name": self.name,
            "version": self.version,
            "path": str(self.path),
            "sha256": self.sha256,
            "size": self.size,
            "labels": list(self.labels),
            "trained_at": self.trained_at.isoformat(),
            "n_examples": self.n_examples,
        }


@dataclass(frozen=True, slots=True)
class HoldoutReport:
    """Accuracy on a stratified held-out split.

    Attributes:
        n_train: examples trained on.
        n_test: examples held out.
        accuracy: top-1 accuracy on the held-out examples, 0..1.
        per_label: slug -> (correct, total) on the held-out examples.
        confusions: ((expected, predicted), count), most frequent first, errors only.
    """

    n_train: int
    n_test: int
    accuracy: float
    per_label: dict[str, tuple[int, int]]
    confusions: list[tuple[tuple[str, str], int]]


def build_pipeline(*, alpha: float = ALPHA) -> Pipeline:
    """Return the unfitted pipeline: word 1-2-grams + character 2-4-grams, then a linear model.

    - ``words``: TF-IDF over word unigrams and bigrams (:data:`TOKEN_PATTERN`);
    - ``chars``: TF-IDF over character 2-4-grams of the padded text, which carries what words
      cannot: unseen brands sharing pieces with known ones ("drogaria" / "drogal", "petz" /
      "petshop"), glued descriptors ("PAG*PADARIAPAODOURO"), typos;
    - ``clf``: logistic regression fitted by SGD (log loss, balanced class weights, fixed seed):
      under a second for 10,000 lines where L-BFGS takes 10-20 s, and as accurate here.

    Both vectorisers are ``binary`` (term presence, not counts): skl2onnx converts
    ``sublinear_tf`` inexactly for repeated n-grams (probabilities off by ~0.02), binary exactly.
    Neither lower-cases nor strips accents: the input is already :func:`model_input`.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    words = TfidfVectorizer(lowercase=False, token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), binary=True)
    chars = TfidfVectorizer(lowercase=False, analyzer="char", ngram_range=(2, 4), binary=True)
    classifier = SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        class_weight="balanced",
        max_iter=50,
        tol=1e-4,
        random_state=RANDOM_STATE,
    )
    return Pipeline([("features", FeatureUnion([("words", words), ("chars", chars)])), ("clf", classifier)])


def fit_pipeline(examples: Sequence[tuple[str, str]], *, alpha: float = ALPHA) -> Pipeline:
    """Fit :func:`build_pipeline` on ``(text, category)`` pairs (texts go through :func:`model_input`).

    Raises:
        ValueError: no examples, or fewer than two distinct categories.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    _check_examples(examples)
    pipeline = build_pipeline(alpha=alpha)
    with warnings.catch_warnings():
        # a few epochs short of the tolerance changes nothing measurable; keep logs clean
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit([model_input(text) for text, _ in examples], [label for _, label in examples])
    return pipeline


def to_onnx_bytes(pipeline: Pipeline, *, version: str) -> bytes:
    """Convert a fitted pipeline to a serialised ONNX model with probabilities (no ZipMap).

    Args:
        pipeline: a pipeline from :func:`fit_pipeline`.
        version: stored in the model's metadata.

    Returns:
        The model bytes: input ``text`` (``[N, 1]`` strings), outputs ``label`` and
        ``probabilities``.
    """
    import warnings

    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import StringTensorType

    features = dict(pipeline.named_steps["features"].transformer_list)
    classifier = pipeline.named_steps["clf"]
    options: dict[int, dict[str, Any]] = {
        id(features["words"]): {"tokenexp": ONNX_TOKENEXP, "locale": ONNX_LOCALE},
        id(features["chars"]): {"locale": ONNX_LOCALE},
        id(classifier): {"zipmap": False},
    }
    with warnings.catch_warnings():
        # skl2onnx warns that analyzer="char" "may not work"; the agreement test proves it does
        # for our ASCII input (tests/unit/test_classify.py).
        warnings.filterwarnings("ignore", message=".*may not work.*", category=UserWarning)
        model = convert_sklearn(
            pipeline,
            name=MODEL_NAME,
            initial_types=[("text", StringTensorType([None, 1]))],
            options=options,
        )
    labels = [str(label) for label in classifier.classes_]
    for key, value in (
        ("name", MODEL_NAME),
        ("version", version),
        ("labels", json.dumps(labels)),
        ("normalization", NORMALIZATION),
    ):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.doc_string = (
        "Financy category classifier: TF-IDF word 1-2-grams + char 2-4-grams, logistic regression."
    )
    data: bytes = model.SerializeToString()
    return data


def train(examples: Sequence[tuple[str, str]], *, out: Path, version: str) -> ModelCard:
    """Train on ``examples`` and write ``<out>/categories-<version>.onnx``.

    Deterministic: the same examples, version and library versions give the same bytes (the
    card's ``trained_at`` is not stored in the file). About 4 s for the 10,600 committed lines on
    2 cores (1 s fitting, 2.5 s ONNX conversion); the file is about 5 MB.

    Args:
        examples: ``(text, category)`` pairs; texts as written (they are normalised here).
        out: directory to write into; created when missing.
        version: 1-64 characters of ``A-Z a-z 0-9 . _ + -``, starting with a letter or digit.

    Returns:
        The :class:`ModelCard` of the written file.

    Raises:
        ValueError: a bad ``version``, no examples, or fewer than two categories.
    """
    if not _VERSION_RE.fullmatch(version):
        raise ValueError(f"version {version!r} must match {_VERSION_RE.pattern}")
    pipeline = fit_pipeline(examples)
    data = to_onnx_bytes(pipeline, version=version)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{MODEL_NAME}-{version}.onnx"
    _write_atomically(path, data)
    labels = tuple(str(label) for label in pipeline.named_steps["clf"].classes_)
    return ModelCard(
        name=MODEL_NAME,
        version=version,
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        labels=labels,
        trained_at=dt.datetime.now(dt.UTC),
        n_examples=len(examples),
    )


def default_version(dataset: Path = DATASET_PATH) -> str:
    """Return ``"1.<first 8 hex of the dataset's sha256>"``: a new dataset gives a new version."""
    return f"1.{hashlib.sha256(dataset.read_bytes()).hexdigest()[:8]}"


def train_default(out_dir: Path, *, version: str | None = None) -> ModelCard:
    """Train on the committed dataset (:func:`default_dataset`) and write the model to ``out_dir``.

    Args:
        out_dir: directory for ``categories-<version>.onnx``.
        version: defaults to :func:`default_version`.
    """
    return train(default_dataset(), out=out_dir, version=version or default_version())


def holdout_report(
    examples: Sequence[tuple[str, str]],
    *,
    test_fraction: float = 0.2,
    seed: int = 0,
    alpha: float = ALPHA,
) -> HoldoutReport:
    """Fit on a stratified ``1 - test_fraction`` split and score the rest (scikit-learn only).

    Raises:
        ValueError: as :func:`fit_pipeline`, or a split that leaves a category too small.
    """
    from sklearn.model_selection import train_test_split

    _check_examples(examples)
    train_rows, test_rows = train_test_split(
        list(examples),
        test_size=test_fraction,
        random_state=seed,
        stratify=[label for _, label in examples],
    )
    pipeline = fit_pipeline(train_rows, alpha=alpha)
    predicted = pipeline.predict([model_input(text) for text, _ in test_rows])
    per_label: dict[str, list[int]] = {}
    confusions: Counter[tuple[str, str]] = Counter()
    for (_, expected), got in zip(test_rows, predicted, strict=True):
        counts = per_label.setdefault(expected, [0, 0])
        counts[1] += 1
        if got == expected:
            counts[0] += 1
        else:
            confusions[(expected, str(got))] += 1
    correct = sum(c for c, _ in per_label.values())
    return HoldoutReport(
        n_train=len(train_rows),
        n_test=len(test_rows),
        accuracy=correct / len(test_rows),
        per_label={label: (c, t) for label, (c, t) in sorted(per_label.items())},
        confusions=confusions.most_common(),
    )


def _check_examples(examples: Sequence[tuple[str, str]]) -> None:
    if not examples:
        raise ValueError("no training examples")
    if len({label for _, label in examples}) < 2:
        raise ValueError("training needs at least two categories")


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
