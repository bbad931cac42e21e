"""The category taxonomy's slugs (DESIGN §4), in its order: stable ids every reader and model uses."""

from __future__ import annotations

from typing import Final

CATEGORY_SLUGS: Final[tuple[str, ...]] = (
    "groceries",
    "restaurants",
    "transport",
    "fuel",
    "housing",
    "utilities",
    "health",
    "education",
    "entertainment",
    "shopping",
    "travel",
    "subscriptions",
    "personal_care",
    "pets",
    "gifts_donations",
    "taxes_fees",
    "salary",
    "other_income",
    "transfer",
    "other",
)
