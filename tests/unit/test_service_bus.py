"""The core's message bus driven end to end with an in-memory unit of work (no database).

GIVEN captures as the edge sends them, WHEN the ingest path turns them into commands for the bus,
THEN the ledger, the captures, the audit events and the outbox change as the product promises.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from decimal import Decimal

import pytest

from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    LedgerQuery,
    ProposedTransaction,
    ReplyKind,
    Understanding,
)
from financy.core.domain.authorization import ALLOWED, Action, allows, authorize
from financy.core.domain.commands import (
    Acknowledge,
    AskLedger,
    AskUser,
    ChangeCategory,
    ConfirmPending,
    CreateUser,
    RecordTransactions,
    UndoLast,
)
from financy.core.domain.errors import ForbiddenError, NotAMemberError, UsernameTakenError
from financy.core.domain.events import Event
from financy.core.domain.model import Role, TransactionStatus
from financy.core.service import handlers
from financy.core.service.bootstrap import bootstrap
from financy.core.service.handlers import command_for
from financy.core.service.messagebus import MessageBus, UnhandledCommandError
from tests.support.captures import NOW, dev_capture, said
from tests.unit.bus import ingest
from tests.unit.fakes import FakeUnitOfWork, Store


def capture(
    sender: str,
    understanding: Understanding | None,
    *,
    chat: str | None = None,
    message_id: str | None = None,
    at: dt.datetime = NOW,
) -> CaptureV1:
    return dev_capture(sender, understanding, chat=chat, message_id=message_id, at=at, name=sender.title())


def spend(
    amount: str, merchant: str = "mercado", category: str = "groceries", guesses: tuple[str, ...] = ()
) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(
            ProposedTransaction(
                amount=Decimal(amount), merchant=merchant, category=category, category_guesses=guesses
            ),
        ),
        confidence=0.9,
    )


def test_a_capture_becomes_the_command_its_intent_names() -> None:
    cases = {
        Intent.RECORD: (spend("10"), RecordTransactions),
        Intent.UNDO: (said(Intent.UNDO), UndoLast),
        Intent.CONFIRM: (said(Intent.CONFIRM), ConfirmPending),
        Intent.RECATEGORIZE: (said(Intent.RECATEGORIZE, category="health"), ChangeCategory),
        Intent.QUERY: (said(Intent.QUERY, query=LedgerQuery()), AskLedger),
        Intent.HELP: (said(Intent.HELP), Acknowledge),
        Intent.UNKNOWN: (said(Intent.UNKNOWN, problem="no_amount"), AskUser),
    }
    for intent, (understanding, expected) in cases.items():
        assert type(command_for(capture("ana", understanding))) is expected, intent
    # What cannot be acted on is kept and asked about, never dropped.
    nothing = command_for(capture("ana", None))
    assert isinstance(nothing, AskUser)
    assert (nothing.problem, nothing.needs_review) == ("not_understood", True)
    bad_category = command_for(capture("ana", said(Intent.RECATEGORIZE, category="nonsense")))
    assert isinstance(bad_category, AskUser)
    assert (bad_category.problem, bad_category.needs_review) == ("unknown_category", False)
    empty_record = command_for(capture("ana", said(Intent.RECORD, problem="no_amount")))
    assert isinstance(empty_record, AskUser)
    assert empty_record.problem == "no_amount"


def test_every_intent_has_one_registered_translator_and_every_command_a_handler() -> None:
    assert set(handlers.TRANSLATORS) == set(Intent) - {Intent.UNKNOWN}
    registered = handlers.command_handlers()
    for command in (RecordTransactions, UndoLast, ConfirmPending, ChangeCategory, AskLedger, Acknowledge):
        assert command in registered


def test_record_creates_user_ledger_and_binding_then_replies_through_the_outbox(
    bus: MessageBus, store: Store
) -> None:
    reply = ingest(bus, capture("ana", spend("45.90")))
    assert reply is not None
    assert reply.kind is ReplyKind.RECORDED
    (tx,) = store.transactions
    assert (tx.money.amount, tx.money.currency, tx.category) == (Decimal("45.90"), "BRL", "groceries")
    assert tx.occurred_on == dt.date(2026, 11, 29)
    assert [e.name for e in store.events] == [
        "user.created",
        "context.created",
        "chat.bound",
        "transaction.recorded",
        "capture.received",
    ]
    ((_, stream, payload),) = store.outbox
    assert stream == "financy:edge:edge-t:replies"
    assert json.loads(payload)["kind"] == "recorded"
    assert tx.author_id is not None
    assert tx.paid_by == tx.author_id
    assert store.members[(tx.context_id, tx.author_id)] is Role.OWNER


def test_the_same_capture_twice_changes_nothing_the_second_time(bus: MessageBus, store: Store) -> None:
    first = capture("ana", spend("23"), message_id="m1")
    assert ingest(bus, first) is not None
    again = first.model_copy(update={"capture_id": uuid.uuid4()})
    assert ingest(bus, again) is None
    assert len(store.transactions) == 1
    assert len(store.outbox) == 1


def test_undo_and_recategorize_act_on_the_senders_last_entry(bus: MessageBus, store: Store) -> None:
    ingest(bus, capture("ana", spend("40", merchant="Drogaria Boa Vida", category="shopping")))
    fixed = ingest(bus, capture("ana", said(Intent.RECATEGORIZE, category="health")))
    assert fixed is not None
    assert fixed.kind is ReplyKind.RECATEGORIZED
    assert fixed.transactions[0].category_name == "Saúde"
    # The merchant is remembered in this ledger: the next one there is health at once.
    nxt = ingest(bus, capture("ana", spend("25", merchant="DROGARIA BOA VIDA", category="shopping")))
    assert nxt is not None
    assert nxt.transactions[0].category == "health"
    assert store.examples == [
        {"context_id": store.transactions[0].context_id, "text": "Drogaria Boa Vida", "category": "health"}
    ]
    undone = ingest(bus, capture("ana", said(Intent.UNDO)))
    assert undone is not None
    assert undone.kind is ReplyKind.UNDONE
    assert [t.status for t in store.transactions] == [TransactionStatus.RECORDED, TransactionStatus.REVERSED]


def test_low_confidence_is_asked_then_recorded_on_yes(bus: MessageBus, store: Store) -> None:
    unsure = Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(ProposedTransaction(amount=Decimal(45)),),
        confidence=0.3,
    )
    asked = ingest(bus, capture("ana", unsure))
    assert asked is not None
    assert asked.kind is ReplyKind.CONFIRM_REQUEST
    assert store.transactions == []
    yes = ingest(bus, capture("ana", said(Intent.CONFIRM), at=NOW + dt.timedelta(minutes=1)))
    assert yes is not None
    assert yes.kind is ReplyKind.RECORDED
    assert [t.money.amount for t in store.transactions] == [Decimal(45)]
    late = ingest(bus, capture("ana", said(Intent.CONFIRM), at=NOW + dt.timedelta(days=2)))
    assert late is not None
    assert late.kind is ReplyKind.NOTHING_TO_CONFIRM


def test_a_question_is_answered_from_the_ledger_in_its_time_zone(bus: MessageBus) -> None:
    ingest(bus, capture("ana", spend("30.50")))
    ingest(bus, capture("ana", spend("12", merchant="uber", category="transport")))
    answer = ingest(bus, capture("ana", said(Intent.QUERY, query=LedgerQuery(category="groceries"))))
    assert answer is not None
    assert answer.answer is not None
    assert answer.answer.totals == (("BRL", Decimal("30.50")),)
    assert answer.answer.count == 1


def test_category_guesses_reach_the_reply_without_the_chosen_one(bus: MessageBus) -> None:
    reply = ingest(
        bus,
        capture("ana", spend("9", merchant="drogasil", category="health", guesses=("health", "shopping"))),
    )
    assert reply is not None
    assert reply.transactions[0].category_guesses == ("shopping",)


def test_a_sender_who_is_not_a_member_reads_and_writes_nothing_in_that_ledger(
    bus: MessageBus, store: Store
) -> None:
    """GIVEN Ana's chat bound to her ledger WHEN Bob writes and asks in it THEN he is told, and
    his messages are kept in his own ledger only."""
    ingest(bus, capture("ana", spend("100")))
    ana_context = store.transactions[0].context_id
    wrote = ingest(bus, capture("bob", spend("999"), chat="ana"))
    asked = ingest(bus, capture("bob", said(Intent.QUERY, query=LedgerQuery()), chat="ana"))
    undo = ingest(bus, capture("bob", said(Intent.UNDO), chat="ana"))
    for reply in (wrote, asked, undo):
        assert reply is not None
        assert reply.kind is ReplyKind.NOT_A_MEMBER
        assert reply.answer is None
        assert reply.transactions == ()
    assert [t.money.amount for t in store.transactions] == [Decimal(100)]
    assert [t.status for t in store.transactions] == [TransactionStatus.RECORDED]
    bob = store.identities[("devchat", "bob")]
    assert (ana_context, bob) not in store.members
    bobs = [c for c in store.captures.values() if c["author_id"] == bob]
    assert len(bobs) == 3
    assert all(c["context_id"] != ana_context for c in bobs)
    assert {(c["status"], c["problem"]) for c in bobs} == {("needs_review", "not_a_member")}


def test_a_viewer_may_ask_but_not_record(bus: MessageBus, store: Store) -> None:
    ingest(bus, capture("ana", spend("100")))
    ingest(bus, capture("vera", said(Intent.HELP)))  # Vera exists, with her own ledger
    ana_context = store.transactions[0].context_id
    vera = store.identities[("devchat", "vera")]
    store.members[(ana_context, vera)] = Role.VIEWER
    denied = ingest(bus, capture("vera", spend("5"), chat="ana"))
    assert denied is not None
    assert (denied.kind, denied.problem) == (ReplyKind.FORBIDDEN, "forbidden:record")
    assert len(store.transactions) == 1
    answer = ingest(bus, capture("vera", said(Intent.QUERY, query=LedgerQuery()), chat="ana"))
    assert answer is not None
    assert answer.answer is not None
    assert answer.answer.totals == (("BRL", Decimal("100.00")),)
    store.members[(ana_context, vera)] = Role.EDITOR
    allowed = ingest(bus, capture("vera", spend("5"), chat="ana"))
    assert allowed is not None
    assert allowed.kind is ReplyKind.RECORDED
    assert {t.context_id for t in store.transactions} == {ana_context}


def test_the_role_table_only_narrows_from_owner_to_viewer() -> None:
    order = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER]
    for stronger, weaker in itertools.pairwise(order):
        assert ALLOWED[weaker] < ALLOWED[stronger]
    assert ALLOWED[Role.VIEWER] == {Action.READ}
    assert not allows(None, Action.READ)
    assert allows(Role.EDITOR, Action.EDIT)
    assert not allows(Role.ADMIN, Action.DELETE_CONTEXT)
    with pytest.raises(NotAMemberError):
        authorize(None, Action.READ)
    with pytest.raises(ForbiddenError, match="viewer may not record"):
        authorize(Role.VIEWER, Action.RECORD)
    assert authorize(Role.OWNER, Action.DELETE_CONTEXT) is Role.OWNER


def test_a_failing_command_raises_and_commits_nothing(bus: MessageBus, store: Store) -> None:
    bus.handle(CreateUser(username="maria", password="long enough"))
    before = (len(store.users), len(store.events))
    with pytest.raises(UsernameTakenError):
        bus.handle(CreateUser(username="MARIA", password="long enough"))
    assert (len(store.users), len(store.events)) == before
    with pytest.raises(UnhandledCommandError):
        bus.handle(object())  # type: ignore[arg-type]


def test_a_failing_event_handler_is_logged_and_the_others_still_run(store: Store) -> None:
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    def noted(event: Event) -> None:
        seen.append(event.name)

    bus = bootstrap(uow_factory=lambda: FakeUnitOfWork(store))
    bus.event_handlers["transaction.recorded"] = (broken, noted)
    reply = ingest(bus, capture("ana", spend("10")))
    assert reply is not None
    assert reply.kind is ReplyKind.RECORDED
    assert seen == ["transaction.recorded"]
    assert len(store.transactions) == 1


def test_event_handlers_run_only_after_the_commit(store: Store) -> None:
    committed_when_seen: list[int] = []

    def check(event: Event) -> None:
        committed_when_seen.append(len(store.transactions))

    bus = bootstrap(uow_factory=lambda: FakeUnitOfWork(store))
    bus.event_handlers["transaction.recorded"] = (check,)
    ingest(bus, capture("ana", spend("10")))
    assert committed_when_seen == [1]


def test_a_batch_is_one_unit_of_work(store: Store) -> None:
    bus = bootstrap(uow_factory=lambda: FakeUnitOfWork(store))
    caps = [capture("ana", spend(str(n))) for n in (1, 2, 3)]
    batch = bus.handle_many([command_for(c) for c in caps], before_commit=lambda uow: uow.mark_published([7]))
    assert [r.kind for r in batch.results] == [ReplyKind.RECORDED] * 3
    assert batch.outbox_ids == [1, 2, 3]
    assert store.published == {7}
    broken = [command_for(capture("ana", spend("4"))), object()]
    with pytest.raises(UnhandledCommandError):
        bus.handle_many(broken)  # type: ignore[arg-type]
    assert len(store.transactions) == 3


def test_a_new_area_is_a_module_and_one_registration(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a module declaring a command, its handler and an event reaction (as budgets would)
    WHEN it is added to handlers.MODULES THEN bootstrap wires it, with its dependencies."""
    import types
    from dataclasses import dataclass

    from financy.core.domain.commands import Command
    from financy.core.service.handlers.users import ContextDefaults
    from financy.core.service.registry import Registration
    from financy.core.service.unit_of_work import AbstractUnitOfWork

    @dataclass(frozen=True, slots=True)
    class SetBudget(Command):
        amount: Decimal

    reacted: list[str] = []

    def set_budget(cmd: SetBudget, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> str:
        uow.record(Event("budget.set", None, None, "budget", uuid.uuid4(), after={"amount": cmd.amount}))
        return f"{cmd.amount} {defaults.base_currency}"

    budgets = types.ModuleType("budgets")
    budgets.REGISTRATIONS = (Registration(SetBudget, set_budget),)  # type: ignore[attr-defined]
    budgets.EVENT_HANDLERS = {"budget.set": (lambda e: reacted.append(e.name),)}  # type: ignore[attr-defined]
    monkeypatch.setattr(handlers, "MODULES", (*handlers.MODULES, budgets))

    bus = bootstrap(uow_factory=lambda: FakeUnitOfWork(store))
    assert bus.handle(SetBudget(Decimal(800))) == "800 BRL"
    assert reacted == ["budget.set"]
    assert [e.name for e in store.events] == ["budget.set"]
