"""A bank statement file sent to the bot: a preview of its import, then "sim" commits it.

The edge sends a document whose name or type is a statement's (:func:`~financy.core.contracts.v1.
is_statement_file`) as a capture with intent :attr:`~financy.core.contracts.v1.Intent.STATEMENT`
and the file in the object store (``media``). Here the file is read from the core's store, parsed,
and previewed in the chat's ledger as the import whose id is the capture's id (nothing is in the
ledger yet); the reply (:attr:`ReplyKind.IMPORT_PREVIEW`) says what it would add, join and skip.
The capture waits as ``needs_review`` with problem :data:`STATEMENT_PREVIEW`, so the sender's next
"sim"/"yes" (:class:`~financy.core.domain.commands.ConfirmPending`, within its window) commits that
import in the same transaction as the "sim" (:func:`confirm_statement`;
:attr:`ReplyKind.IMPORT_COMMITTED`). A file that is not a statement, or that the core cannot read
(kept at the edge under data residency, gone from the store), is answered
:attr:`ReplyKind.IMPORT_REFUSED` with the reason, and nothing is written but the capture.
Recording needs :attr:`~financy.core.domain.authorization.Action.RECORD`, like a typed expense.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from financy.core.contracts.v1 import Intent, ReplyKind, ReplyV1, StatementImportV1, Understanding
from financy.core.domain.authorization import Action
from financy.core.domain.commands import ChatMessage
from financy.core.domain.errors import UnknownCurrencyError
from financy.core.domain.events import Event
from financy.core.domain.import_commands import CommitImport, PreviewChatStatement, PreviewImport
from financy.core.domain.model import CaptureStatus
from financy.core.domain.statements import (
    ImportNotFoundError,
    ImportStateError,
    ParsedStatement,
    StatementFormatError,
)
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat
from financy.core.service.handlers.imports import commit_import, preview_import
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.statements_port import ImportLine, ImportRecord
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.runtime.objects import ObjectStoreError

if TYPE_CHECKING:
    from financy.runtime.objects import ObjectStore

#: The problem of a statement file's capture while its import waits for "sim".
STATEMENT_PREVIEW = "statement_preview"
#: Largest statement file a chat may send, in bytes (the API's default limit).
CHAT_STATEMENT_MAX_BYTES = 10 * 1024 * 1024


def _refused(problem: str, reason: str | None = None, filename: str | None = None) -> Outcome:
    outcome = Outcome(ReplyKind.IMPORT_REFUSED, CaptureStatus.NEEDS_REVIEW, problem)
    outcome.statement_import = StatementImportV1(
        filename=(filename or None) and filename[:200], reason=(reason or None) and reason[:300]
    )
    return outcome


def _media(message: ChatMessage) -> Mapping[str, Any]:
    media = message.stored.get("media")
    return media if isinstance(media, Mapping) else {}


def read_statement(
    message: ChatMessage, objects: ObjectStore | None
) -> tuple[ParsedStatement | None, bytes, Outcome | None]:
    """Return the statement the message's file holds and its bytes, or the refusal to answer.

    Raises:
        ObjectStoreError: the store is unavailable (the delivery is tried again).
    """
    from financy.core.adapters.statements import parse_statement

    media = _media(message)
    filename = media.get("filename")
    key = media.get("key")
    if objects is None or media.get("held_at_edge") or not isinstance(key, str):
        return None, b"", _refused("statement_not_here", filename=filename)
    try:
        data = objects.get(key)
    except ObjectStoreError as exc:
        if exc.code == "unavailable":
            raise
        return None, b"", _refused("statement_not_here", filename=filename)
    try:
        statement = parse_statement(data, filename=filename, max_bytes=CHAT_STATEMENT_MAX_BYTES)
    except StatementFormatError as exc:
        return None, data, _refused("statement_format", exc.reason, filename)
    return statement, data, None


def statement_wire(record: ImportRecord, lines: Sequence[ImportLine]) -> StatementImportV1:
    """Return the reply's view of an import: its counts and the dates its lines span."""
    days = [line.occurred_on for line in lines]
    counts = record.counts
    return StatementImportV1(
        import_id=record.id,
        filename=record.filename[:200] if record.filename else None,
        format=record.format,
        lines=len(lines),
        add=counts.get("add", 0),
        duplicate=counts.get("duplicate", 0),
        merge=counts.get("merge", 0),
        ambiguous=counts.get("ambiguous", 0),
        invalid=counts.get("invalid", 0),
        date_from=min(days) if days else None,
        date_to=max(days) if days else None,
    )


def preview_chat_statement(
    cmd: PreviewChatStatement,
    uow: AbstractUnitOfWork,
    defaults: ContextDefaults,
    objects: ObjectStore | None = None,
) -> ReplyV1 | None:
    """Preview the import of the statement file the message carries (see the module)."""
    read: dict[str, tuple[ParsedStatement, bytes]] = {}

    def decide(cmd: PreviewChatStatement, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
        statement, data, refusal = read_statement(cmd.message, objects)
        if refusal is not None:
            return refusal
        assert statement is not None
        read["statement"] = (statement, data)
        return Outcome(ReplyKind.IMPORT_PREVIEW, CaptureStatus.NEEDS_REVIEW, STATEMENT_PREVIEW)

    def apply(cmd: PreviewChatStatement, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
        if "statement" not in read:
            return
        statement, data = read["statement"]
        filename = _media(cmd.message).get("filename")
        try:
            import_id = preview_import(
                PreviewImport(
                    scope.user_id,
                    scope.context.id,
                    statement,
                    filename=filename if isinstance(filename, str) else None,
                    sha256=hashlib.sha256(data).hexdigest(),
                    size_bytes=len(data),
                    import_id=cmd.message.capture_id,
                ),
                uow,
            )
        except UnknownCurrencyError as exc:
            outcome.kind = ReplyKind.IMPORT_REFUSED
            outcome.statement_import = StatementImportV1(reason=str(exc)[:300])
            return
        record = uow.statements.get_import(scope.context.id, import_id)
        assert record is not None
        outcome.statement_import = found = statement_wire(record, uow.statements.lines(import_id))
        if not (found.add or found.merge or found.ambiguous):
            uow.captures.mark_recorded(cmd.message.capture_id)  # nothing to import: no "sim" awaited

    return handle_chat(cmd, uow, defaults, action=Action.RECORD, decide=decide, apply=apply)


def confirm_statement(
    scope: ChatScope, outcome: Outcome, capture_id: uuid.UUID, uow: AbstractUnitOfWork
) -> None:
    """Commit the import the statement file of capture ``capture_id`` made (the sender said "sim").

    The capture stops waiting either way; an import no longer a preview (committed from the
    dashboard meanwhile, say) leaves the reply "nothing to confirm".
    """
    uow.captures.mark_recorded(capture_id)
    try:
        commit_import(CommitImport(scope.user_id, scope.context.id, capture_id), uow)
    except (ImportNotFoundError, ImportStateError):
        return
    record = uow.statements.get_import(scope.context.id, capture_id)
    assert record is not None
    uow.record(
        Event(
            "capture.confirmed",
            scope.context.id,
            scope.user_id,
            "capture",
            capture_id,
            before={"status": CaptureStatus.NEEDS_REVIEW.value},
            after={"status": CaptureStatus.RECORDED.value, "statement_import": str(capture_id)},
            capture_id=capture_id,
        )
    )
    outcome.kind = ReplyKind.IMPORT_COMMITTED
    outcome.statement_import = statement_wire(record, uow.statements.lines(capture_id))


def _statement_command(message: ChatMessage, understanding: Understanding) -> PreviewChatStatement | None:
    return PreviewChatStatement(message) if _media(message) else None


REGISTRATIONS = (
    Registration(PreviewChatStatement, preview_chat_statement, {Intent.STATEMENT: _statement_command}),
)
