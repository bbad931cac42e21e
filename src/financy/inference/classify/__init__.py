"""Category classifier: normalise -> TF-IDF word 1-2-grams -> logistic regression, run on ONNX.

- :func:`normalize` — the one text normalisation (training, inference, merchant memory).
- :func:`train` / :func:`train_default` — fit with scikit-learn and export ONNX (``train`` extra).
- :class:`CategoryModel` / :class:`LazyCategoryModel` — run it with onnxruntime (``inference``
  extra), top-3 ``(slug, probability)``.
- :class:`MerchantMemory` — per-context merchant -> category overrides, consulted first.
- :func:`default_dataset` — the committed ``data/categories.tsv`` (see ``build_dataset.py``).

Imports nothing else of ours; heavy libraries are imported where they are used.
"""

from financy.inference.classify.dataset import CATEGORY_SLUGS, default_dataset, load_examples
from financy.inference.classify.memory import MerchantMemory
from financy.inference.classify.model import CategoryModel, LazyCategoryModel, ModelIntegrityError
from financy.inference.classify.normalize import normalize
from financy.inference.classify.train import ModelCard, train, train_default

__all__ = [
    "CATEGORY_SLUGS",
    "CategoryModel",
    "LazyCategoryModel",
    "MerchantMemory",
    "ModelCard",
    "ModelIntegrityError",
    "default_dataset",
    "load_examples",
    "normalize",
    "train",
    "train_default",
]
