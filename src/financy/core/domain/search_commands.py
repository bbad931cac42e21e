"""The chat's search command: "/buscar farmácia" looks through the chat ledger's transactions.

The API's search (``GET /contexts/{id}/search``) is a query, not a command: it reads through the
app's backend. A chat search is a command because every chat message is kept and answered
(:class:`~financy.core.domain.commands.ChatCommand`); any member may run it
(:attr:`~financy.core.domain.authorization.Action.READ`).
"""

from __future__ import annotations

from dataclasses import dataclass

from financy.core.domain.commands import ChatCommand


@dataclass(frozen=True, slots=True)
class SearchFromChat(ChatCommand):
    """Find the chat ledger's transactions matching ``text`` (as typed; ``None``: nothing said)."""

    text: str | None = None
