"""Transaction search: the query, its results, and the port the backends implement.

The core searches one ledger context at a time through a :class:`SearchBackend`; the adapters
(``financy.core.adapters.search``) implement it on PostgreSQL full-text search (the default) and
on OpenSearch (when ``FINANCY_OPENSEARCH_URL`` is set). Nothing here does I/O.

What a search matches: a transaction's merchant, description, receipt lines and the message it
came from (the typed text, a voice note's transcript, a photo's OCR text), accent- and
case-insensitively ("pao de acucar" finds "Pão de Açúcar"), forgiving typos ("farmacai" finds
"Farmácia") and matching word beginnings ("farm" finds "Farmácia"). Every word of the text must
match (in any of those fields). Results are ranked: closer words first (an exact word before a
corrected one), then where they were found (merchant, description, items, message), then newest
first; without text, newest first.
"""

from __future__ import annotations

import abc
import base64
import binascii
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from financy.core.domain.model import CATEGORY_BY_SLUG, TransactionStatus

#: Largest page a search returns.
MAX_LIMIT = 200
DEFAULT_LIMIT = 20
#: Longest search text (characters) and most words in it.
MAX_TEXT = 200
MAX_WORDS = 10
KINDS = ("expense", "income", "transfer")
#: The fields a hit can be found in, strongest first.
FIELDS = ("merchant", "description", "items", "message")


class InvalidSearchError(ValueError):
    """A search that cannot be run as asked (the message says why, naming the parameter)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class InvalidSearchCursorError(InvalidSearchError):
    """A cursor that the same search did not return (made elsewhere, altered, or another query's)."""

    def __init__(self) -> None:
        super().__init__("cursor", "not a cursor this search returned")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to look for in one context's transactions.

    ``text``: words to find (blank: filters only, newest first). ``date_from``/``date_to``:
    inclusive bounds of ``occurred_on`` (the context's calendar day). ``categories``: taxonomy
    slugs, any of them. ``member``: a user who paid or recorded it. ``source``: the channel it was
    recorded from (``telegram``, ``whatsapp``, ``devchat``, ``api``, ``import``...). ``kind``:
    expense, income or transfer. ``min_amount``/``max_amount``: inclusive bounds of the amount in
    the ledger's base currency (the transaction's own amount while no FX rate is known).
    ``status``: recorded (default), reversed, or ``None`` for both. ``limit``: 1..:data:`MAX_LIMIT`.
    ``cursor``: the previous page's ``next_cursor``.

    Raises:
        InvalidSearchError: a value out of range or bounds in the wrong order (at construction).
    """

    text: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    categories: tuple[str, ...] = ()
    member: uuid.UUID | None = None
    source: str | None = None
    kind: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    status: TransactionStatus | None = TransactionStatus.RECORDED
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def __post_init__(self) -> None:
        if len(self.text) > MAX_TEXT:
            raise InvalidSearchError("q", f"at most {MAX_TEXT} characters")
        if len(self.text.split()) > MAX_WORDS:
            raise InvalidSearchError("q", f"at most {MAX_WORDS} words")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidSearchError("limit", f"expected an integer from 1 to {MAX_LIMIT}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidSearchError("from", f"{self.date_from} is after 'to' {self.date_to}")
        for slug in self.categories:
            if slug not in CATEGORY_BY_SLUG:
                raise InvalidSearchError("category", f"unknown category {slug!r}")
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidSearchError("kind", f"one of {', '.join(KINDS)}")
        for name, amount in (("min", self.min_amount), ("max", self.max_amount)):
            if amount is not None and (not amount.is_finite() or amount < 0):
                raise InvalidSearchError(name, "expected a decimal amount of 0 or more")
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise InvalidSearchError("min", f"{self.min_amount} is more than 'max' {self.max_amount}")

    def fingerprint(self) -> str:
        """Return a short hash of everything but ``limit`` and ``cursor`` (a cursor is bound to it)."""
        parts = [
            self.text.strip().casefold(),
            self.date_from,
            self.date_to,
            sorted(self.categories),
            self.member,
            self.source,
            self.kind,
            self.min_amount,
            self.max_amount,
            self.status,
        ]
        raw = json.dumps(parts, default=str, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One transaction found, with its score (higher first; 0 without text) and where it matched.

    ``matched``: the fields of :data:`FIELDS` the words were found in. ``amount`` is positive in
    ``currency`` (``kind`` gives the direction); ``base_amount`` in ``base_currency`` (``None``: no
    FX rate known).
    """

    transaction_id: uuid.UUID
    score: float
    matched: tuple[str, ...]
    occurred_on: dt.date
    kind: str
    amount: Decimal
    currency: str
    merchant: str | None
    description: str | None
    category: str | None
    payment_method: str | None
    installments: int | None
    status: TransactionStatus
    source_channel: str
    author_id: uuid.UUID | None
    paid_by: uuid.UUID | None
    created_at: dt.datetime
    base_amount: Decimal | None = None
    base_currency: str | None = None


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """How one word of the text was read: the ledger's ``words`` it matches, best first (itself
    when the ledger has it, the longer words starting with it, and when the ledger lacks it the
    closest ones), and ``prefix``: every word starting with it counts, too many to list."""

    term: str
    words: tuple[str, ...]
    prefix: bool


#: How a page is ordered: by score (best first, then newest) or newest first.
RANKED, NEWEST = "ranked", "newest"


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of hits; ``next_cursor`` is ``None`` on the last page. ``terms``: how the text was
    read (empty when the backend does not say, or without text). ``order``: :data:`RANKED` (by
    ``score``, then newest) or :data:`NEWEST` (without text, or when the backend ranks only
    result sets up to a size: see the backend)."""

    hits: tuple[SearchHit, ...]
    next_cursor: str | None
    terms: tuple[SearchTerm, ...] = field(default_factory=tuple)
    order: str = RANKED


class SearchBackend(abc.ABC):
    """Searches one context's transactions. Membership is the caller's check."""

    #: Short name for logs and the API (``postgres``, ``opensearch``).
    name: str = ""

    @abc.abstractmethod
    def search(self, context_id: uuid.UUID, query: SearchQuery) -> SearchPage:
        """Return the page of ``context_id``'s transactions that ``query`` asks for.

        Raises:
            InvalidSearchCursorError: ``query.cursor`` was not returned by this search.
            SearchUnavailableError: the search service cannot be reached.
        """


class SearchUnavailableError(RuntimeError):
    """The search service (OpenSearch) did not answer; the ledger itself is fine."""


def encode_cursor(query: SearchQuery, key: list[Any]) -> str:
    """Return the opaque cursor of the position ``key`` (JSON values) in ``query``'s results."""
    raw = json.dumps([query.fingerprint(), *key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(query: SearchQuery) -> list[Any] | None:
    """Return the key of ``query.cursor`` (the JSON values given to :func:`encode_cursor`),
    ``None`` without a cursor. The backend checks the values' shape.

    Raises:
        InvalidSearchCursorError: not a cursor :func:`encode_cursor` made for this query.
    """
    if query.cursor is None:
        return None
    try:
        padded = query.cursor + "=" * (-len(query.cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidSearchCursorError from exc
    if not isinstance(values, list) or len(values) < 2 or values[0] != query.fingerprint():
        raise InvalidSearchCursorError
    return values[1:]
