"""The unit of work's port for credit cards and the postings of card purchases (the SQL adapter
is ``adapters.cards_repository``; the domain rules are :mod:`financy.core.domain.cards`)."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from financy.core.domain.cards import Card


@dataclass(frozen=True, slots=True)
class PostingRow:
    """One instalment of a card purchase as stored (``postings``): ``number`` of ``of`` of
    transaction ``transaction_id``, ``amount`` in the transaction's currency, ``base_amount`` its
    share of the base amount (``None``: unknown), in the bill due in ``bill_month`` (a 1st)."""

    transaction_id: uuid.UUID
    number: int
    of: int
    context_id: uuid.UUID
    card_id: uuid.UUID
    amount: Decimal
    base_amount: Decimal | None
    bill_month: dt.date


@dataclass(frozen=True, slots=True)
class BillLine:
    """One posting on a card's bill with what the bill shows of its transaction: the merchant
    (or description), the purchase date, ``number``/``of``, the amount in ``currency`` and its
    share of the base amount in ``base_currency`` (``None``: no FX rate known)."""

    transaction_id: uuid.UUID
    merchant: str | None
    description: str | None
    occurred_on: dt.date
    number: int
    of: int
    amount: Decimal
    currency: str
    base_amount: Decimal | None
    base_currency: str | None
    bill_month: dt.date


class CardsRepository(abc.ABC):
    """A ledger's credit cards and the postings of its card purchases."""

    @abc.abstractmethod
    def of_context(self, context_id: uuid.UUID) -> list[Card]:
        """Return the context's cards, the default first, then by name."""

    @abc.abstractmethod
    def get(self, context_id: uuid.UUID, card_id: uuid.UUID) -> Card | None:
        """Return card ``card_id`` if it is the context's, else ``None``."""

    @abc.abstractmethod
    def named(self, context_id: uuid.UUID, name: str) -> Card | None:
        """Return (and lock) the context's card called ``name`` (compared case-insensitively)."""

    @abc.abstractmethod
    def default_of(self, context_id: uuid.UUID) -> Card | None:
        """Return the context's default card, or ``None`` when it has none."""

    @abc.abstractmethod
    def save(self, card: Card) -> None:
        """Insert ``card`` (its ``id`` set), or overwrite the stored card of that id (name, days,
        default). Making it the default takes the default from the context's other card first."""

    @abc.abstractmethod
    def add_postings(self, rows: Sequence[PostingRow]) -> None:
        """Insert ``rows`` (a transaction's postings are written once, all together)."""

    @abc.abstractmethod
    def card_of(self, transaction_id: uuid.UUID) -> uuid.UUID | None:
        """Return the card the postings of ``transaction_id`` are on (``None``: it has none)."""

    @abc.abstractmethod
    def delete_postings(self, transaction_id: uuid.UUID) -> None:
        """Delete the postings of ``transaction_id`` (it changed: they are written again)."""

    @abc.abstractmethod
    def bill_months(self, transaction_id: uuid.UUID) -> list[dt.date]:
        """Return the months (first days) the postings of ``transaction_id`` are due in, in order
        (empty: it has none)."""

    @abc.abstractmethod
    def bill_lines(self, card_id: uuid.UUID, *, first: dt.date, last: dt.date) -> list[BillLine]:
        """Return the postings of ``card_id`` due in the months ``first``..``last`` (first days,
        inclusive) whose transaction is still recorded, by month, then purchase date, then number."""
