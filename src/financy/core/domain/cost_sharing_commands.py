"""Commands of cost sharing among members: split a cost, ask who owes whom, record a settlement.

The chat commands carry what a message said (names as written); the API commands carry user ids
and ``actor_id``, the user the route acts for. Handlers check the actor's role in the context in
the same unit of work as the change (:mod:`financy.core.service.handlers.cost_sharing`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from financy.core.domain.commands import ChatCommand, Command, ProposedEntry

#: How an API split divides the cost: in equal parts, in proportion to weights, or by amounts.
SplitMode = Literal["equal", "shares", "amounts"]


@dataclass(frozen=True, slots=True)
class SplitCost(ChatCommand):
    """Share a cost among the ledger's members ("paguei 120 do jantar, divide com a Ana").

    ``entries``: the transactions the message records, paid by the sender (none: the message's
    target transaction, else the sender's last, is split). ``names`` as written, ``everyone``
    ("com todos"), ``ways`` ("dividido por 3"); the sender always has a part. ``confidence`` is
    the reader's (0..1).
    """

    entries: tuple[ProposedEntry, ...]
    confidence: float
    names: tuple[str, ...] = ()
    ways: int | None = None
    everyone: bool = False


@dataclass(frozen=True, slots=True)
class ShowWhoOwes(ChatCommand):
    """ "quem deve quem?": the chat ledger's balances between members and the transfers that settle them."""


@dataclass(frozen=True, slots=True)
class SettleFromChat(ChatCommand):
    """ "/acertar Ana 60": the sender paid the member called ``name`` ``amount`` in ``currency``
    (``None``: the ledger's base currency) to settle up; either is ``None`` when not said."""

    name: str | None
    amount: Decimal | None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class ShareTransaction(Command):
    """Share transaction ``transaction_id``'s cost among members (API).

    ``parts`` are ``(user_id, value)``: with ``mode`` "equal" the values are ignored (``None``),
    with "shares" they are weights (2 and 1 for "2:1"), with "amounts" the amounts in the
    transaction's currency, which must add up to its amount. An empty ``parts`` removes the split.
    """

    actor_id: uuid.UUID
    context_id: uuid.UUID
    transaction_id: uuid.UUID
    mode: SplitMode
    parts: tuple[tuple[uuid.UUID, Decimal | None], ...]


@dataclass(frozen=True, slots=True)
class RecordSettlement(Command):
    """``from_user`` paid ``to_user`` ``amount`` (API) in ``currency`` (``None``: the ledger's base
    currency, the only one allowed) on ``occurred_on`` (``None``: today in the ledger's time zone)."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    from_user: uuid.UUID
    to_user: uuid.UUID
    amount: Decimal
    currency: str | None = None
    occurred_on: dt.date | None = None
    note: str | None = None
