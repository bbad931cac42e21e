"""Editing a ledger by hand through the message bus, on the fake unit of work.

The role rule (viewer reads only, editor and above change anyone's entry), the amount rules per
currency, splits that must add up, delete and restore, sub-categories and their audit events.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from financy.core.domain.editing import (
    AddSubcategory,
    CategoryExistsError,
    CategoryNotFoundError,
    CreateTransaction,
    DeleteSubcategory,
    DeleteTransaction,
    EditConflictError,
    EditTransaction,
    InvalidAmountError,
    NothingToChangeError,
    RemoveSplit,
    RenameCategory,
    RestoreTransaction,
    SplitLine,
    SplitMismatchError,
    SplitTooShortError,
    SplitTransaction,
    TooManyDecimalsError,
    TransactionNotFoundError,
    UnknownCategoryError,
    UnknownMemberError,
    check_amount,
    minor_digits,
    split_base_amounts,
)
from financy.core.domain.errors import ForbiddenError, NotAMemberError, UnknownCurrencyError
from financy.core.domain.model import ContextType, LedgerContext, Role, Transaction, TransactionStatus
from financy.core.service.handlers.editing import InvalidFieldError
from financy.core.service.messagebus import MessageBus
from tests.unit.fakes import Store

DAY = dt.date(2026, 11, 28)


class Ledger:
    """A BRL family ledger with an owner, an editor and a viewer, and a second ledger of another user."""

    def __init__(self, store: Store) -> None:
        self.id, self.other_id = uuid.uuid4(), uuid.uuid4()
        self.owner, self.editor, self.viewer, self.stranger = (uuid.uuid4() for _ in range(4))
        store.contexts[self.id] = LedgerContext(
            self.id, "Família", ContextType.FAMILY, "BRL", "America/Sao_Paulo", "pt-BR"
        )
        store.contexts[self.other_id] = LedgerContext(
            self.other_id, "Other", ContextType.PERSONAL, "BRL", "America/Sao_Paulo", "pt-BR"
        )
        store.members[(self.id, self.owner)] = Role.OWNER
        store.members[(self.id, self.editor)] = Role.EDITOR
        store.members[(self.id, self.viewer)] = Role.VIEWER
        store.members[(self.other_id, self.stranger)] = Role.OWNER


@pytest.fixture
def ledger(store: Store) -> Ledger:
    return Ledger(store)


def create(bus: MessageBus, ledger: Ledger, actor: uuid.UUID | None = None, **fields: object) -> uuid.UUID:
    values: dict[str, object] = {
        "kind": "expense",
        "amount": Decimal("100.00"),
        "currency": "BRL",
        "occurred_on": DAY,
        "merchant": "Mercado Bom",
        "category": "groceries",
    }
    values.update(fields)
    tid: uuid.UUID = bus.handle(CreateTransaction(ledger.id, actor or ledger.owner, **values))  # type: ignore[arg-type]
    return tid


def stored(store: Store, tid: uuid.UUID):  # type: ignore[no-untyped-def]
    (tx,) = [t for t in store.transactions if t.id == tid]
    return tx


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("currency", "digits"), [("BRL", 2), ("JPY", 0), ("KWD", 3), ("IQD", 3), ("CLP", 0), ("USD", 2)]
)
def test_minor_digits_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency"), [("10.123", "BRL"), ("1000.5", "JPY"), ("1.0001", "KWD"), ("0.001", "USD")]
)
def test_more_decimals_than_the_currency_allows_are_refused(amount: str, currency: str) -> None:
    with pytest.raises(TooManyDecimalsError, match=currency):
        check_amount(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("amount", "currency"), [("10.12", "BRL"), ("10.500", "BRL"), ("1000", "JPY"), ("1.234", "KWD")]
)
def test_amounts_within_the_currency_decimals_pass(amount: str, currency: str) -> None:
    assert check_amount(Decimal(amount), currency) == Decimal(amount)


@pytest.mark.parametrize("amount", ["0", "-5.00", "NaN"])
def test_zero_negative_and_nan_amounts_are_refused(amount: str) -> None:
    with pytest.raises(InvalidAmountError):
        check_amount(Decimal(amount), "BRL")


# --------------------------------------------------------------------------- create and the role rule


def test_an_editor_records_a_transaction_valued_in_the_base_currency(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tid = create(bus, ledger, ledger.editor, paid_by=ledger.owner)
    tx = stored(store, tid)
    assert tx.money.amount == Decimal("100.00")
    assert tx.source_channel == "api"
    assert tx.author_id == ledger.editor
    assert tx.paid_by == ledger.owner
    assert (tx.base_amount, tx.base_currency, tx.fx_rate, tx.fx_source) == (
        Decimal("100.00"),
        "BRL",
        Decimal(1),
        "identity",
    )
    (event,) = store.events
    assert (event.name, event.actor_id, event.entity_id) == ("transaction.created", ledger.editor, tid)
    assert event.after is not None
    assert (event.after["amount"], event.after["base_amount"], event.after["fx_rate"]) == (
        "100.00",
        "100.00",
        "1",
    )


def test_a_foreign_currency_has_no_base_value_without_a_rate(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tx = stored(store, create(bus, ledger, currency="usd", amount=Decimal("20")))
    assert tx.money.currency == "USD"
    assert (tx.base_amount, tx.base_currency, tx.fx_rate, tx.fx_source) == (None, None, None, None)


def test_a_viewer_may_not_record_edit_delete_or_split(bus: MessageBus, store: Store, ledger: Ledger) -> None:
    tid = create(bus, ledger)
    before = (list(store.transactions), list(store.events))
    attempts = [
        CreateTransaction(ledger.id, ledger.viewer, "expense", Decimal("1"), "BRL", DAY),
        EditTransaction(ledger.id, ledger.viewer, tid, {"merchant": "x"}),
        DeleteTransaction(ledger.id, ledger.viewer, tid),
        SplitTransaction(
            ledger.id,
            ledger.viewer,
            tid,
            (SplitLine("groceries", Decimal("50")), SplitLine("pets", Decimal("50"))),
        ),
        AddSubcategory(ledger.id, ledger.viewer, "groceries", "Feira"),
    ]
    for command in attempts:
        with pytest.raises(ForbiddenError, match="viewer"):
            bus.handle(command)
    assert (store.transactions, store.events) == before


def test_a_non_member_is_refused_before_anything_is_read(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tid = create(bus, ledger)
    with pytest.raises(NotAMemberError):
        bus.handle(EditTransaction(ledger.id, ledger.stranger, tid, {"merchant": "x"}))


def test_a_transaction_of_another_ledger_is_not_found_and_unchanged(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tid = create(bus, ledger)
    for command in (
        EditTransaction(ledger.other_id, ledger.stranger, tid, {"merchant": "hacked"}),
        DeleteTransaction(ledger.other_id, ledger.stranger, tid),
        RemoveSplit(ledger.other_id, ledger.stranger, tid),
    ):
        with pytest.raises(TransactionNotFoundError):
            bus.handle(command)
    assert stored(store, tid).merchant == "Mercado Bom"
    assert stored(store, tid).status is TransactionStatus.RECORDED


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"amount": Decimal("10.999")}, TooManyDecimalsError),
        ({"amount": Decimal("0")}, InvalidAmountError),
        ({"currency": "XYZ"}, UnknownCurrencyError),
        ({"category": "snacks"}, UnknownCategoryError),
        ({"kind": "loan"}, InvalidFieldError),
        ({"paid_by": uuid.UUID(int=7)}, UnknownMemberError),
        ({"merchant": "m" * 201}, InvalidFieldError),
    ],
)
def test_bad_input_records_nothing(
    bus: MessageBus, store: Store, ledger: Ledger, fields: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        create(bus, ledger, **fields)
    assert store.transactions == []
    assert store.events == []


# --------------------------------------------------------------------------- edit, delete, restore


def test_an_editor_edits_the_owners_entry_and_the_event_holds_before_and_after(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tid = create(bus, ledger)
    bus.handle(
        EditTransaction(
            ledger.id,
            ledger.editor,
            tid,
            {"amount": Decimal("80.50"), "occurred_on": DAY - dt.timedelta(days=1), "merchant": "Feira"},
        )
    )
    tx = stored(store, tid)
    assert (tx.money.amount, tx.merchant, tx.author_id) == (Decimal("80.50"), "Feira", ledger.owner)
    assert (tx.base_amount, tx.fx_date) == (Decimal("80.50"), DAY - dt.timedelta(days=1))
    event = store.events[-1]
    assert (event.name, event.actor_id) == ("transaction.edited", ledger.editor)
    assert event.before == {
        "amount": "100.00",
        "occurred_on": DAY,
        "merchant": "Mercado Bom",
        "base_amount": "100.00",
        "fx_date": DAY,
    }
    assert event.after == {
        "amount": "80.50",
        "occurred_on": DAY - dt.timedelta(days=1),
        "merchant": "Feira",
        "base_amount": "80.50",
        "fx_date": DAY - dt.timedelta(days=1),
    }


def test_an_edit_that_changes_nothing_records_no_event_and_an_empty_one_is_refused(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tid = create(bus, ledger)
    bus.handle(EditTransaction(ledger.id, ledger.owner, tid, {"merchant": "Mercado Bom"}))
    assert [e.name for e in store.events] == ["transaction.created"]
    with pytest.raises(NothingToChangeError):
        bus.handle(EditTransaction(ledger.id, ledger.owner, tid, {}))
    with pytest.raises(InvalidFieldError, match="author_id"):
        bus.handle(EditTransaction(ledger.id, ledger.owner, tid, {"author_id": ledger.editor}))


def test_changing_the_currency_checks_the_amounts_decimals(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tid = create(bus, ledger, amount=Decimal("10.50"))
    with pytest.raises(TooManyDecimalsError, match="JPY"):
        bus.handle(EditTransaction(ledger.id, ledger.owner, tid, {"currency": "JPY"}))
    assert stored(store, tid).money.currency == "BRL"


def test_delete_reverses_and_restore_undoes_it(bus: MessageBus, store: Store, ledger: Ledger) -> None:
    tid = create(bus, ledger)
    bus.handle(DeleteTransaction(ledger.id, ledger.editor, tid))
    assert stored(store, tid).status is TransactionStatus.REVERSED
    with pytest.raises(EditConflictError):
        bus.handle(DeleteTransaction(ledger.id, ledger.editor, tid))
    with pytest.raises(EditConflictError, match="restore"):
        bus.handle(EditTransaction(ledger.id, ledger.editor, tid, {"merchant": "x"}))
    bus.handle(RestoreTransaction(ledger.id, ledger.owner, tid))
    assert stored(store, tid).status is TransactionStatus.RECORDED
    with pytest.raises(EditConflictError):
        bus.handle(RestoreTransaction(ledger.id, ledger.owner, tid))
    names = [(e.name, e.actor_id, e.before, e.after) for e in store.events[1:]]
    assert names == [
        ("transaction.reversed", ledger.editor, {"status": "recorded"}, {"status": "reversed"}),
        ("transaction.restored", ledger.owner, {"status": "reversed"}, {"status": "recorded"}),
    ]


# --------------------------------------------------------------------------- splits


def split(tid: uuid.UUID, ledger: Ledger, *lines: tuple[str, str]) -> SplitTransaction:
    return SplitTransaction(ledger.id, ledger.editor, tid, tuple(SplitLine(c, Decimal(a)) for c, a in lines))


def test_a_split_that_adds_up_is_stored_with_proportional_base_amounts(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tid = create(bus, ledger)
    bus.handle(split(tid, ledger, ("groceries", "70.00"), ("personal_care", "30.00")))
    lines = store.splits[tid]
    assert [(line.category, line.amount, line.base_amount) for line in lines] == [
        ("groceries", Decimal("70.00"), Decimal("70.00")),
        ("personal_care", Decimal("30.00"), Decimal("30.00")),
    ]
    event = store.events[-1]
    assert (event.name, event.before) == ("transaction.split", None)
    assert event.after == {
        "splits": [
            {
                "category": "groceries",
                "subcategory_id": None,
                "amount": "70.00",
                "base_amount": "70.00",
                "note": None,
            },
            {
                "category": "personal_care",
                "subcategory_id": None,
                "amount": "30.00",
                "base_amount": "30.00",
                "note": None,
            },
        ]
    }


def test_a_split_that_does_not_add_up_is_refused_with_the_difference(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tid = create(bus, ledger)
    with pytest.raises(SplitMismatchError) as raised:
        bus.handle(split(tid, ledger, ("groceries", "70.00"), ("pets", "29.99")))
    assert raised.value.difference == Decimal("0.01")
    assert raised.value.status == 422
    assert "0.01" in str(raised.value)
    with pytest.raises(SplitTooShortError):
        bus.handle(split(tid, ledger, ("groceries", "100.00")))
    with pytest.raises(UnknownCategoryError):
        bus.handle(split(tid, ledger, ("groceries", "50.00"), ("snacks", "50.00")))
    with pytest.raises(TooManyDecimalsError):
        bus.handle(split(tid, ledger, ("groceries", "50.005"), ("pets", "49.995")))
    assert tid not in store.splits
    assert [e.name for e in store.events] == ["transaction.created"]


def test_base_amounts_of_lines_add_up_to_the_transactions() -> None:
    lines = [
        SplitLine("groceries", Decimal("1")),
        SplitLine("pets", Decimal("1")),
        SplitLine("gifts_donations", Decimal("1")),
    ]
    valued = split_base_amounts(lines, Decimal("3"), Decimal("10.0000"))
    assert [line.base_amount for line in valued] == [Decimal("3.3333"), Decimal("3.3333"), Decimal("3.3334")]
    assert sum(line.base_amount or 0 for line in valued) == Decimal("10.0000")
    assert [line.base_amount for line in split_base_amounts(lines, Decimal("3"), None)] == [None, None, None]


def test_a_split_transactions_amount_cannot_change_until_the_split_is_removed(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    tid = create(bus, ledger)
    bus.handle(split(tid, ledger, ("groceries", "60.00"), ("pets", "40.00")))
    with pytest.raises(EditConflictError, match="split"):
        bus.handle(EditTransaction(ledger.id, ledger.owner, tid, {"amount": Decimal("90.00")}))
    bus.handle(RemoveSplit(ledger.id, ledger.owner, tid))
    assert tid not in store.splits
    with pytest.raises(EditConflictError, match="not split"):
        bus.handle(RemoveSplit(ledger.id, ledger.owner, tid))
    bus.handle(EditTransaction(ledger.id, ledger.owner, tid, {"amount": Decimal("90.00")}))
    assert stored(store, tid).money.amount == Decimal("90.00")
    assert [e.name for e in store.events] == [
        "transaction.created",
        "transaction.split",
        "transaction.unsplit",
        "transaction.edited",
    ]


# --------------------------------------------------------------------------- categories


def test_sub_categories_are_per_ledger_and_deleting_one_keeps_the_parent(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    feira = bus.handle(AddSubcategory(ledger.id, ledger.editor, "groceries", "  Feira  "))
    assert (feira.parent, feira.name) == ("groceries", "Feira")
    with pytest.raises(CategoryExistsError):
        bus.handle(AddSubcategory(ledger.id, ledger.owner, "groceries", "FEIRA"))
    with pytest.raises(UnknownCategoryError):
        bus.handle(AddSubcategory(ledger.id, ledger.owner, "snacks", "Chips"))
    tid = create(bus, ledger, category=None, subcategory_id=feira.id)
    assert (stored(store, tid).category, stored(store, tid).subcategory_id) == ("groceries", feira.id)
    # Another ledger cannot use it.
    with pytest.raises(UnknownCategoryError):
        bus.handle(
            CreateTransaction(
                ledger.other_id, ledger.stranger, "expense", Decimal("1"), "BRL", DAY, subcategory_id=feira.id
            )
        )
    # Moving the transaction to another slug drops the sub-category of the old one.
    bus.handle(EditTransaction(ledger.id, ledger.owner, tid, {"category": "restaurants"}))
    assert (stored(store, tid).category, stored(store, tid).subcategory_id) == ("restaurants", None)
    bus.handle(EditTransaction(ledger.id, ledger.owner, tid, {"subcategory_id": feira.id}))
    assert (stored(store, tid).category, stored(store, tid).subcategory_id) == ("groceries", feira.id)
    assert bus.handle(DeleteSubcategory(ledger.id, ledger.owner, str(feira.id))) == 1
    assert (stored(store, tid).category, stored(store, tid).subcategory_id) == ("groceries", None)
    with pytest.raises(InvalidFieldError, match="taxonomy"):
        bus.handle(DeleteSubcategory(ledger.id, ledger.owner, "groceries"))
    with pytest.raises(CategoryNotFoundError):
        bus.handle(DeleteSubcategory(ledger.id, ledger.owner, str(feira.id)))


def test_renaming_a_slug_is_this_ledgers_display_name_only(
    bus: MessageBus, store: Store, ledger: Ledger
) -> None:
    bus.handle(RenameCategory(ledger.id, ledger.editor, "groceries", "Supermercado"))
    assert store.category_names == {(ledger.id, "groceries"): "Supermercado"}
    event = store.events[-1]
    assert (event.name, event.extra, event.before, event.after) == (
        "category_name.set",
        {"slug": "groceries"},
        {"name": None},
        {"name": "Supermercado"},
    )
    bus.handle(RenameCategory(ledger.id, ledger.editor, "groceries", None))
    assert store.category_names == {}
    with pytest.raises(CategoryNotFoundError):
        bus.handle(RenameCategory(ledger.id, ledger.editor, "snacks", "Petiscos"))
    with pytest.raises(ForbiddenError):
        bus.handle(RenameCategory(ledger.id, ledger.viewer, "groceries", "Mercado"))


def test_a_new_date_values_the_transaction_again_and_its_split_lines_follow(
    bus: MessageBus, store: Store, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a valuation whose USD rate is 5 on DAY and 6 the day before WHEN the date moves THEN
    the base amount and each split line's share follow the new rate."""
    from dataclasses import replace

    from financy.core.service.handlers import editing as handlers

    def by_day(uow: object, tx: Transaction, base_currency: str) -> Transaction:
        rate = Decimal(5) if tx.occurred_on == DAY else Decimal(6)
        return replace(
            tx,
            base_amount=tx.money.amount * rate,
            base_currency=base_currency,
            fx_rate=rate,
            fx_date=tx.occurred_on,
            fx_source="ecb",
        )

    monkeypatch.setattr(handlers, "value_transaction", by_day)
    tid = create(bus, ledger, currency="USD", amount=Decimal("10.00"))
    assert stored(store, tid).base_amount == Decimal("50.00")
    bus.handle(split(tid, ledger, ("groceries", "7.00"), ("pets", "3.00")))
    assert [line.base_amount for line in store.splits[tid]] == [Decimal("35.00"), Decimal("15.00")]
    bus.handle(EditTransaction(ledger.id, ledger.owner, tid, {"occurred_on": DAY - dt.timedelta(days=1)}))
    assert (stored(store, tid).base_amount, stored(store, tid).fx_rate) == (Decimal("60.00"), Decimal(6))
    assert [line.base_amount for line in store.splits[tid]] == [Decimal("42.00"), Decimal("18.00")]
    edited = store.events[-1]
    assert edited.before is not None
    assert edited.after is not None
    assert (edited.before["base_amount"], edited.after["base_amount"]) == ("50.00", "60.00")
