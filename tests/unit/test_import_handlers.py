"""The statement-import handlers over the fake unit of work: preview, commit, merge into a chat
capture, answer, undo, and the rules a handler checks before it writes anything."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from financy.core.contracts.v1 import Intent, ProposedTransaction, Understanding
from financy.core.domain.errors import ForbiddenError, UnknownCurrencyError
from financy.core.domain.import_commands import CommitImport, PreviewImport, ResolveImportLine, UndoImport
from financy.core.domain.model import Role, TransactionStatus
from financy.core.domain.statements import (
    ImportNotFoundError,
    ImportStateError,
    ParsedStatement,
    StatementFormat,
    StatementLine,
)
from financy.core.service.messagebus import MessageBus
from tests.support.captures import dev_capture
from tests.unit.bus import send
from tests.unit.fakes import Store

D = dt.date(2026, 11, 10)


def user(bus: MessageBus, store: Store, name: str, *said: ProposedTransaction) -> tuple[uuid.UUID, uuid.UUID]:
    """A chat user and their personal ledger; ``said`` recorded from the chat first."""
    intent = Intent.RECORD if said else Intent.HELP
    send(
        bus,
        dev_capture(name, Understanding(language="pt", intent=intent, transactions=said, confidence=0.95)),
    )
    user_id = store.identities[("devchat", name)]
    (context_id,) = [c for (c, u), role in store.members.items() if u == user_id and role is Role.OWNER]
    return user_id, context_id


def parsed(*lines: tuple[str, str, dt.date]) -> ParsedStatement:
    return ParsedStatement(
        StatementFormat.CSV,
        tuple(
            StatementLine(line_no=i + 2, occurred_on=day, amount=Decimal(a), payee=p)
            for i, (a, p, day) in enumerate(lines)
        ),
    )


def recorded(store: Store, context_id: uuid.UUID) -> list[tuple[dt.date, str, str, str | None]]:
    return sorted(
        (t.occurred_on, t.kind, str(t.money.amount), t.merchant)
        for t in store.transactions
        if t.context_id == context_id and t.status is TransactionStatus.RECORDED
    )


def test_preview_commit_and_undo(bus: MessageBus, store: Store) -> None:
    actor, context = user(bus, store, "ana")
    statement = parsed(("-4.40", "METRO", D), ("-4.40", "METRO", D), ("3500.00", "ACME", D))
    import_id = bus.handle(PreviewImport(actor, context, statement, "x.csv", "0" * 64, 10))
    assert recorded(store, context) == []
    assert store.statement_imports[import_id].counts["add"] == 3
    assert bus.handle(CommitImport(actor, context, import_id))["add"] == 3
    assert recorded(store, context) == [
        (D, "expense", "4.40", "METRO"),
        (D, "expense", "4.40", "METRO"),
        (D, "income", "3500.00", "ACME"),
    ]
    assert {t.source_channel for t in store.transactions} == {"import"}
    second = bus.handle(PreviewImport(actor, context, statement, "x.csv", "0" * 64, 10))
    assert bus.handle(CommitImport(actor, context, second)) == {
        "add": 0,
        "duplicate": 3,
        "merge": 0,
        "ambiguous": 0,
        "invalid": 0,
    }
    assert bus.handle(UndoImport(actor, context, import_id)) == {"reversed": 3, "unmerged": 0}
    assert recorded(store, context) == []


def test_a_chat_capture_is_merged_and_an_ambiguous_line_answered(bus: MessageBus, store: Store) -> None:
    said = [
        ProposedTransaction(amount=Decimal("45.90"), occurred_on=D, merchant="mercado", category="groceries"),
        ProposedTransaction(amount=Decimal("30"), occurred_on=D, merchant="padaria", category="restaurants"),
        ProposedTransaction(amount=Decimal("30"), occurred_on=D, merchant="farmacia", category="health"),
    ]
    actor, context = user(bus, store, "bia", *said)
    statement = parsed(
        ("-45.90", "SUPERMERCADO MERCADO", D + dt.timedelta(days=1)), ("-30.00", "PIX JOSE", D)
    )
    import_id = bus.handle(PreviewImport(actor, context, statement, "x.csv", "0" * 64, 10))
    counts = bus.handle(CommitImport(actor, context, import_id))
    assert (counts["merge"], counts["ambiguous"], counts["add"]) == (1, 1, 0)
    assert recorded(store, context)[-1] == (D + dt.timedelta(days=1), "expense", "45.90", "mercado")
    ambiguous = store.statement_lines[import_id][1]
    farmacia = next(t.id for t in store.transactions if t.merchant == "farmacia")
    assert farmacia in ambiguous.candidates
    assert bus.handle(ResolveImportLine(actor, context, import_id, 3, farmacia)) == "merge"
    assert len(recorded(store, context)) == 3
    assert bus.handle(UndoImport(actor, context, import_id)) == {"reversed": 0, "unmerged": 2}
    assert recorded(store, context)[-1] == (D, "expense", "45.90", "mercado")


def test_what_a_handler_refuses_writes_nothing(bus: MessageBus, store: Store) -> None:
    actor, context = user(bus, store, "cai")
    other, _ = user(bus, store, "dan")
    store.members[(context, other)] = Role.VIEWER
    statement = parsed(("-4.40", "METRO", D))
    with pytest.raises(ForbiddenError):
        bus.handle(PreviewImport(other, context, statement, "x.csv", "0" * 64, 10))
    with pytest.raises(UnknownCurrencyError):
        bus.handle(PreviewImport(actor, context, statement, "x.csv", "0" * 64, 10, currency="XYZ"))
    with pytest.raises(ImportNotFoundError):
        bus.handle(CommitImport(actor, context, uuid.uuid4()))
    import_id = bus.handle(PreviewImport(actor, context, statement, "x.csv", "0" * 64, 10))
    with pytest.raises(ImportStateError):  # a preview has nothing to undo
        bus.handle(UndoImport(actor, context, import_id))
    with pytest.raises(ImportStateError):  # line 2 is not ambiguous
        bus.handle(CommitImport(actor, context, import_id, resolutions={2: None}))
    assert store.statement_imports[import_id].status == "previewed"
    assert recorded(store, context) == []
