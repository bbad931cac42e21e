"""Per-context merchant memory: what a context taught us wins over the model.

When someone changes "padaria do zé" to ``restaurants`` in their family context, the next
"padaria do zé" in *that* context is ``restaurants``; other contexts are not affected. This is
a pure in-memory map; persisting it (and loading it back with :meth:`MerchantMemory.learn`) is the
caller's job.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from financy.inference.classify.dataset import CATEGORY_SLUGS
from financy.inference.classify.normalize import normalize

__all__ = ["MerchantMemory"]

_SLUGS: Final = frozenset(CATEGORY_SLUGS)


class MerchantMemory:
    """``(context_id, normalised merchant) -> category slug``, least recently used dropped first.

    Merchants are keyed by :func:`normalize`, the model's own normalisation, so "Padaria do Zé",
    "PADARIA DO ZE" and "padaria do zé!" are one merchant, and "POSTO IPIRANGA 123" and
    "posto ipiranga 456" are one too (digits collapse). Thread-safe.
    """

    def __init__(self, *, max_per_context: int = 10_000) -> None:
        """Create an empty memory keeping at most ``max_per_context`` merchants per context.

        Raises:
            ValueError: ``max_per_context`` below 1.
        """
        if max_per_context < 1:
            raise ValueError("max_per_context must be at least 1")
        self._max = max_per_context
        self._lock = threading.Lock()
        self._by_context: dict[str, OrderedDict[str, str]] = {}

    def learn(self, context_id: str, merchant: str, category: str) -> None:
        """Remember that ``merchant`` is ``category`` in ``context_id`` (replacing what was known).

        Raises:
            ValueError: an unknown category slug, or a merchant with nothing left after
                normalisation ("", "!!!", an emoji).
        """
        if category not in _SLUGS:
            raise ValueError(f"unknown category {category!r}")
        key = normalize(merchant)
        if not key:
            raise ValueError(f"merchant {merchant!r} has no words to remember")
        with self._lock:
            merchants = self._by_context.setdefault(context_id, OrderedDict())
            merchants[key] = category
            merchants.move_to_end(key)
            while len(merchants) > self._max:
                merchants.popitem(last=False)

    def lookup(self, context_id: str, merchant: str | None) -> str | None:
        """Return the category ``context_id`` taught for ``merchant``, else None (also for None/"")."""
        if not merchant:
            return None
        key = normalize(merchant)
        with self._lock:
            merchants = self._by_context.get(context_id)
            if not merchants or key not in merchants:
                return None
            merchants.move_to_end(key)
            return merchants[key]

    def forget(self, context_id: str, merchant: str) -> bool:
        """Drop what ``context_id`` taught for ``merchant``; return whether there was anything."""
        key = normalize(merchant)
        with self._lock:
            merchants = self._by_context.get(context_id)
            return merchants is not None and merchants.pop(key, None) is not None

    def clear(self, context_id: str | None = None) -> None:
        """Forget one context (or every context when ``context_id`` is None)."""
        with self._lock:
            if context_id is None:
                self._by_context.clear()
            else:
                self._by_context.pop(context_id, None)

    def __len__(self) -> int:
        """Number of (context, merchant) entries."""
        with self._lock:
            return sum(len(merchants) for merchants in self._by_context.values())
