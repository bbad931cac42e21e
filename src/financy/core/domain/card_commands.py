"""Commands of credit cards: set one up from a chat or the API, and ask a chat for its bills."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from financy.core.domain.commands import ChatCommand, Command


@dataclass(frozen=True, slots=True)
class CardAsked:
    """A card as a chat message said it: each part ``None`` when unsaid; ``make_default``: asked
    to be the ledger's default card."""

    name: str | None = None
    closing_day: int | None = None
    due_day: int | None = None
    make_default: bool = False


@dataclass(frozen=True, slots=True)
class SetCard(ChatCommand):
    """Set up ``card`` on the chat's ledger, or change the one it has with that name; nothing
    said: list the ledger's cards and how to set one up."""

    card: CardAsked


@dataclass(frozen=True, slots=True)
class AskCardBill(ChatCommand):
    """Show the chat ledger's card bills: the one not yet due, the open one and the next ones."""


@dataclass(frozen=True, slots=True)
class SaveCard(Command):
    """Set up a card of ``context_id`` (the API's POST), or change the one it has with that name,
    by ``actor_id``; ``is_default`` ``None``: the default when the ledger has none. The handler
    returns ``(CardV1, replaced)``."""

    context_id: uuid.UUID
    actor_id: uuid.UUID
    name: str
    closing_day: int
    due_day: int
    is_default: bool | None = None
