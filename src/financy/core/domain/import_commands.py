"""Commands of statement imports: preview a file, commit it, answer an ambiguous line, undo it.

Each carries ``actor_id``, the user the API route or the command line acts for; the handler
checks the actor's role in the context in the same unit of work as the change
(:attr:`~financy.core.domain.authorization.Action.RECORD` to import, :attr:`...EDIT` to undo).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from financy.core.domain.commands import ChatCommand, Command
from financy.core.domain.statements import ParsedStatement


@dataclass(frozen=True, slots=True)
class PreviewImport(Command):
    """Read ``statement`` (parsed from a file of ``size_bytes`` bytes with digest ``sha256``)
    into a previewed import of ``context_id``: every line's planned outcome, nothing in the
    ledger yet. ``account``: the account's name (``None``: the file's account id, else '');
    ``currency``: the statement's currency when the file does not say (``None``: the
    ledger's base currency). ``today``: the context's date (``None``: now)."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    statement: ParsedStatement
    filename: str | None
    sha256: str
    size_bytes: int
    account: str | None = None
    currency: str | None = None
    today: dt.date | None = None
    #: The import's id (``None``: a new one). A file sent to the bot is previewed under its
    #: capture's id, so the chat's "sim" finds the import its file made.
    import_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class CommitImport(Command):
    """Commit a previewed import: the plan is made again against the ledger as it is now and
    applied in one transaction. ``resolutions``: answers for ambiguous lines by line number, a
    candidate transaction's id to merge into or ``None`` to add the line as a new transaction."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    import_id: uuid.UUID
    resolutions: Mapping[int, uuid.UUID | None] = field(default_factory=dict)
    #: Told ``progress(done, total)`` as the commit goes: lines of the import settled (written or
    #: left as they are) of all its lines. It runs inside the commit's transaction, so it must not
    #: write to the database; a background job keeps it beside the import (in Redis).
    progress: Callable[[int, int], None] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ResolveImportLine(Command):
    """Answer an ambiguous line of a committed import: merge it into ``transaction_id`` (one of
    its candidates) or, with ``None``, add it as a new transaction."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    import_id: uuid.UUID
    line_no: int
    transaction_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class UndoImport(Command):
    """Undo a committed import as a whole: the transactions it added are deleted (reversed, kept
    for the audit) and the captures it merged get their own date and amount back."""

    actor_id: uuid.UUID
    context_id: uuid.UUID
    import_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PreviewChatStatement(ChatCommand):
    """A bank statement file sent to the bot (the message's ``media``): preview its import in the
    chat's ledger and ask the sender to answer "sim"/"yes" to commit it."""
