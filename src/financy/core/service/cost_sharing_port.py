"""The unit of work's port for cost sharing among members (the SQL adapter is
``adapters.cost_sharing_repository``): who shares each transaction's cost, and settlements."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CostShare:
    """One member's part of a transaction's cost (a ``cost_shares`` row): ``amount`` in the
    transaction's currency, ``base_amount`` the part of its base amount when it was set
    (``None``: no FX rate was known then)."""

    transaction_id: uuid.UUID
    user_id: uuid.UUID
    amount: Decimal
    base_amount: Decimal | None


@dataclass(frozen=True, slots=True)
class SharedTransaction:
    """A recorded transaction whose cost is shared: who paid it (``None``: unknown), its amount
    and base amount now (``None``: no FX rate yet), and the parts, ``(user_id, amount)`` in the
    transaction's currency, ordered by user id."""

    transaction_id: uuid.UUID
    paid_by: uuid.UUID | None
    amount: Decimal
    currency: str
    base_amount: Decimal | None
    parts: tuple[tuple[uuid.UUID, Decimal], ...]


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    """Money ``from_user`` paid ``to_user`` to settle up (a ``settlements`` row), in the ledger's
    base currency, on ``occurred_on`` (the ledger's date); ``created_by`` recorded it."""

    id: uuid.UUID
    context_id: uuid.UUID
    from_user: uuid.UUID
    to_user: uuid.UUID
    amount: Decimal
    currency: str
    occurred_on: dt.date
    created_by: uuid.UUID | None
    note: str | None = None
    created_at: dt.datetime | None = None

    def fields(self) -> dict[str, object]:
        """Return the stored fields by column name (for the audit event)."""
        return {
            "id": self.id,
            "context_id": self.context_id,
            "from_user": self.from_user,
            "to_user": self.to_user,
            "amount": self.amount,
            "currency": self.currency,
            "occurred_on": self.occurred_on,
            "created_by": self.created_by,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class PersonName:
    """How a user is named: their display name and their username (either may be ``None``)."""

    user_id: uuid.UUID
    display_name: str | None
    username: str | None


class CostSharingRepository(abc.ABC):
    """Cost shares and settlements of ledgers."""

    @abc.abstractmethod
    def shares_of(self, context_id: uuid.UUID, transaction_id: uuid.UUID) -> list[CostShare]:
        """Return the parts of a transaction of ``context_id`` (empty: its cost is not shared),
        ordered by user id."""

    @abc.abstractmethod
    def replace_shares(
        self, context_id: uuid.UUID, transaction_id: uuid.UUID, shares: Sequence[CostShare]
    ) -> None:
        """Make ``shares`` the parts of the transaction (none: it is not shared any more)."""

    @abc.abstractmethod
    def shared_transactions(self, context_id: uuid.UUID) -> list[SharedTransaction]:
        """Return the context's recorded (not reversed) transactions with parts, oldest first."""

    @abc.abstractmethod
    def add_settlement(self, record: SettlementRecord) -> None:
        """Store a settlement."""

    @abc.abstractmethod
    def settlements(self, context_id: uuid.UUID) -> list[SettlementRecord]:
        """Return the context's settlements, oldest first (by date, then when recorded)."""

    @abc.abstractmethod
    def names(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, PersonName]:
        """Return how each of ``user_ids`` is named (unknown ids are left out)."""
