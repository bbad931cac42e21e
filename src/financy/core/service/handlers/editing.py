"""Editing a ledger by hand (the API): create, edit, delete, restore and split transactions, and a
ledger's own sub-categories and category names.

Each handler authorizes the actor in the context first (the one rule, ``authorize``: recording is
``Action.RECORD``; changing, deleting or splitting anyone's entry and the categories is
``Action.EDIT``), checks everything (:mod:`financy.core.domain.editing`) before writing, and
records one audit event with the actor and the fields before and after:

* ``transaction.created`` / ``.edited`` / ``.reversed`` / ``.restored`` / ``.split`` / ``.unsplit``
  (entity ``transaction``);
* ``category.added`` / ``.renamed`` / ``.deleted`` (entity ``category``, a sub-category) and
  ``category_name.set`` (entity ``category_name``, id the context's, ``extra.slug`` the slug).

A transaction id of another ledger is not found (:class:`TransactionNotFoundError`), like an
unknown one. When a create or edit changes an amount, a currency or a date, the transaction is
valued again in the ledger's base currency (:func:`financy.core.service.valuation.value_transaction`)
and its split lines' base amounts follow.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from financy.core.domain.authorization import Action, authorize
from financy.core.domain.editing import (
    EDITABLE_FIELDS,
    EDITED_COLUMNS,
    AddSubcategory,
    CategoryExistsError,
    CategoryNotFoundError,
    CreateTransaction,
    DeleteSubcategory,
    DeleteTransaction,
    EditConflictError,
    EditingError,
    EditTransaction,
    NothingToChangeError,
    RemoveSplit,
    RenameCategory,
    RestoreTransaction,
    SplitLine,
    SplitTransaction,
    Subcategory,
    TransactionNotFoundError,
    UnknownCategoryError,
    UnknownMemberError,
    check_amount,
    check_split,
    plain,
    split_base_amounts,
)
from financy.core.domain.events import Event
from financy.core.domain.model import (
    CATEGORY_BY_SLUG,
    LedgerContext,
    Money,
    Transaction,
    TransactionStatus,
    normalize_currency,
)
from financy.core.service.budgeting import alert_ledger
from financy.core.service.cards import post_card_purchases, refresh_postings
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.core.service.valuation import value_transaction
from financy.runtime.ids import uuid7

#: Kinds of transaction a member may record.
KINDS = frozenset({"expense", "income", "transfer"})
#: What the audit log keeps of a transaction (before/after of every change).
AUDITED = EDITED_COLUMNS
#: Longest text fields (the columns' sizes).
_LIMITS = {"merchant": 200, "description": 500, "payment_method": 40}
_NAME_MAX = 80
_VALUED = ("amount", "currency", "occurred_on")


class InvalidFieldError(EditingError):
    """A field with a value it cannot take (an unknown kind, text too long, a name left blank)."""

    key = "invalid_field"


def _authorized(
    uow: AbstractUnitOfWork, context_id: uuid.UUID, actor_id: uuid.UUID, action: Action
) -> LedgerContext:
    """Return the context if ``actor_id``'s role there allows ``action``; raise otherwise."""
    context = uow.contexts.get(context_id)
    authorize(None if context is None else uow.contexts.role_of(context_id, actor_id), action)
    assert context is not None
    return context


def _found(uow: AbstractUnitOfWork, context_id: uuid.UUID, transaction_id: uuid.UUID) -> Transaction:
    tx = uow.edits.get(context_id, transaction_id)
    if tx is None:
        raise TransactionNotFoundError(transaction_id)
    return tx


def _recorded(uow: AbstractUnitOfWork, context_id: uuid.UUID, transaction_id: uuid.UUID) -> Transaction:
    tx = _found(uow, context_id, transaction_id)
    if tx.status is not TransactionStatus.RECORDED:
        raise EditConflictError("the transaction is deleted; restore it first")
    return tx


def _text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > _LIMITS[name]:
        raise InvalidFieldError(f"'{name}' has at most {_LIMITS[name]} characters")
    return text or None


def _kind(value: Any) -> str:
    if value not in KINDS:
        raise InvalidFieldError(f"'kind' must be one of expense, income, transfer; got {value!r}")
    return str(value)


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > _NAME_MAX:
        raise InvalidFieldError(f"a category name has 1 to {_NAME_MAX} characters")
    return name


def _subcategory(uow: AbstractUnitOfWork, context_id: uuid.UUID, subcategory_id: uuid.UUID) -> Subcategory:
    for sub in uow.edits.subcategories(context_id):
        if sub.id == subcategory_id:
            return sub
    raise UnknownCategoryError(str(subcategory_id))


def _category(
    uow: AbstractUnitOfWork, context_id: uuid.UUID, category: str | None, subcategory_id: uuid.UUID | None
) -> tuple[str | None, uuid.UUID | None]:
    """Return ``(slug, sub-category id)``: a sub-category's parent is its slug.

    Raises:
        UnknownCategoryError: not a taxonomy slug, not a sub-category of this ledger, or a
            sub-category named with another parent.
    """
    if subcategory_id is not None:
        sub = _subcategory(uow, context_id, subcategory_id)
        if category is not None and category != sub.parent:
            raise UnknownCategoryError(f"{category}/{sub.name}")
        return sub.parent, sub.id
    if category is not None and category not in CATEGORY_BY_SLUG:
        raise UnknownCategoryError(category)
    return category, None


def _payer(uow: AbstractUnitOfWork, context_id: uuid.UUID, paid_by: uuid.UUID | None) -> uuid.UUID | None:
    if paid_by is not None and uow.contexts.role_of(context_id, paid_by) is None:
        raise UnknownMemberError(paid_by)
    return paid_by


def audited(tx: Transaction) -> dict[str, Any]:
    """Return what the audit log keeps of ``tx`` (:data:`AUDITED`): amounts and the rate as plain
    decimal strings (``"45.90"``, as stored amounts compare equal whatever their scale), ids UUIDs,
    dates dates."""
    fields = {name: tx.fields()[name] for name in AUDITED}
    fields["amount"] = plain(tx.money.amount, tx.money.currency)
    if tx.base_amount is not None:
        fields["base_amount"] = plain(tx.base_amount, tx.base_currency)
    if tx.fx_rate is not None:
        fields["fx_rate"] = plain(tx.fx_rate, None)
    return fields


def _event(name: str, actor_id: uuid.UUID, tx: Transaction, **parts: Any) -> Event:
    return Event(name, tx.context_id, actor_id, "transaction", tx.id, extra={"via": "api"}, **parts)


# --------------------------------------------------------------------------- transactions


def create_transaction(cmd: CreateTransaction, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Record ``cmd``'s transaction (source channel ``api``, author the actor); return its id.
    A credit expense (``payment_method`` "credit") gets its posting in the default card's bill.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not record in the context.
        UnknownCurrencyError, InvalidAmountError, TooManyDecimalsError, UnknownCategoryError,
        UnknownMemberError, InvalidFieldError: bad input (nothing is written).
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.RECORD)
    currency = normalize_currency(cmd.currency)
    amount = check_amount(cmd.amount, currency)
    category, subcategory_id = _category(uow, context.id, cmd.category, cmd.subcategory_id)
    tx = Transaction(
        id=uuid7(),
        context_id=context.id,
        kind=_kind(cmd.kind),
        money=Money(amount, currency),
        occurred_on=cmd.occurred_on,
        merchant=_text("merchant", cmd.merchant),
        description=_text("description", cmd.description),
        payment_method=_text("payment_method", cmd.payment_method),
        installments=None,
        category=category,
        source_channel="api",
        capture_id=None,
        author_id=cmd.actor_id,
        confidence=None,
        paid_by=_payer(uow, context.id, cmd.paid_by) or cmd.actor_id,
        subcategory_id=subcategory_id,
    )
    tx = value_transaction(uow, tx, context.base_currency)
    uow.transactions.add([tx])
    uow.record(_event("transaction.created", cmd.actor_id, tx, after=audited(tx)))
    post_card_purchases(uow, [tx], cmd.actor_id, None)  # "credit": billed on the default card
    alert_ledger(uow, context, [tx.id])
    return tx.id


def _edited(
    uow: AbstractUnitOfWork, context: LedgerContext, old: Transaction, cmd: EditTransaction
) -> Transaction:
    """Return ``old`` with ``cmd.changes`` applied and checked (nothing written)."""
    changes = cmd.changes
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise InvalidFieldError(f"cannot change {', '.join(repr(u) for u in unknown)}")
    if not changes:
        raise NothingToChangeError("name at least one field to change")
    currency = normalize_currency(changes["currency"]) if "currency" in changes else old.money.currency
    amount = changes.get("amount", old.money.amount)
    if not isinstance(amount, Decimal):
        raise InvalidFieldError("'amount' must be a decimal")
    if "amount" in changes or "currency" in changes:
        check_amount(amount, currency)
    if "subcategory_id" in changes:
        # A sub-category brings its parent; without one, the category named (or kept) stands.
        if "category" in changes:
            named = changes["category"]
        else:
            named = None if changes["subcategory_id"] is not None else old.category
        category, subcategory_id = _category(uow, context.id, named, changes["subcategory_id"])
    elif "category" in changes:
        category, _ = _category(uow, context.id, changes["category"], None)
        kept = old.subcategory_id
        if kept is not None and _subcategory_parent(uow, context.id, kept) != category:
            kept = None
        subcategory_id = kept
    else:
        category, subcategory_id = old.category, old.subcategory_id
    return dataclasses.replace(
        old,
        kind=_kind(changes["kind"]) if "kind" in changes else old.kind,
        money=Money(amount, currency),
        occurred_on=changes.get("occurred_on", old.occurred_on),
        merchant=_text("merchant", changes["merchant"]) if "merchant" in changes else old.merchant,
        description=(
            _text("description", changes["description"]) if "description" in changes else old.description
        ),
        payment_method=(
            _text("payment_method", changes["payment_method"])
            if "payment_method" in changes
            else old.payment_method
        ),
        paid_by=_payer(uow, context.id, changes["paid_by"]) if "paid_by" in changes else old.paid_by,
        category=category,
        subcategory_id=subcategory_id,
    )


def _subcategory_parent(
    uow: AbstractUnitOfWork, context_id: uuid.UUID, subcategory_id: uuid.UUID
) -> str | None:
    for sub in uow.edits.subcategories(context_id):
        if sub.id == subcategory_id:
            return sub.parent
    return None


def edit_transaction(cmd: EditTransaction, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Change the fields ``cmd.changes`` names; return the transaction's id.

    A change of amount, currency or date values the transaction again (and its split lines' base
    amounts). An edit that changes nothing records no event.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit in the context.
        TransactionNotFoundError: no such transaction in the context.
        EditConflictError: it is deleted, or it is split and the amount or currency would change.
        NothingToChangeError, InvalidFieldError, UnknownCurrencyError, InvalidAmountError,
        TooManyDecimalsError, UnknownCategoryError, UnknownMemberError: bad input.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    old = _recorded(uow, context.id, cmd.transaction_id)
    new = _edited(uow, context, old, cmd)
    splits = uow.edits.splits(old.id)
    if splits and new.money != old.money:
        raise EditConflictError(
            "the transaction is split: remove the split before changing its amount or currency"
        )
    if new.money.currency != old.money.currency and new.fx_source == "override":
        # A rate the user gave was for the old currency: value the new one afresh.
        new = dataclasses.replace(new, fx_source=None)
    if new.money != old.money or new.occurred_on != old.occurred_on:
        new = value_transaction(uow, new, context.base_currency)
    before, after = audited(old), audited(new)
    changed = [name for name in AUDITED if before[name] != after[name]]
    if not changed:
        return old.id
    uow.edits.save(new)
    # A card purchase: its bills follow (one that just became one is billed on the default card).
    refresh_postings(uow, new, may_add=new.payment_method != old.payment_method, actor=cmd.actor_id)
    if splits and new.base_amount != old.base_amount:
        uow.edits.set_splits(
            context.id, new.id, split_base_amounts(splits, new.money.amount, new.base_amount)
        )
    uow.record(
        _event(
            "transaction.edited",
            cmd.actor_id,
            new,
            before={n: before[n] for n in changed},
            after={n: after[n] for n in changed},
        )
    )
    alert_ledger(uow, context, [new.id])
    return new.id


def delete_transaction(cmd: DeleteTransaction, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Reverse a recorded transaction (status ``reversed``; it stays for the audit and can be restored).

    Raises:
        NotAMemberError, ForbiddenError, TransactionNotFoundError: as :func:`edit_transaction`.
        EditConflictError: it is already deleted.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    old = _found(uow, context.id, cmd.transaction_id)
    if old.status is TransactionStatus.REVERSED:
        raise EditConflictError("the transaction is already deleted")
    new = dataclasses.replace(old, status=TransactionStatus.REVERSED)
    uow.edits.save(new)
    uow.record(
        _event(
            "transaction.reversed",
            cmd.actor_id,
            new,
            before={"status": old.status.value},
            after={"status": new.status.value},
        )
    )
    return new.id


def restore_transaction(cmd: RestoreTransaction, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Make a deleted (reversed) transaction recorded again.

    Raises:
        NotAMemberError, ForbiddenError, TransactionNotFoundError: as :func:`edit_transaction`.
        EditConflictError: it is not deleted.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    old = _found(uow, context.id, cmd.transaction_id)
    if old.status is not TransactionStatus.REVERSED:
        raise EditConflictError("the transaction is not deleted")
    new = dataclasses.replace(old, status=TransactionStatus.RECORDED)
    uow.edits.save(new)
    uow.record(
        _event(
            "transaction.restored",
            cmd.actor_id,
            new,
            before={"status": old.status.value},
            after={"status": new.status.value},
        )
    )
    alert_ledger(uow, context, [new.id])
    return new.id


def _lines(uow: AbstractUnitOfWork, context_id: uuid.UUID, lines: Sequence[SplitLine]) -> list[SplitLine]:
    out = []
    for line in lines:
        category, subcategory_id = _category(uow, context_id, line.category, line.subcategory_id)
        assert category is not None
        note = line.note.strip() if line.note else None
        if note and len(note) > 200:
            raise InvalidFieldError("a split line's 'note' has at most 200 characters")
        out.append(SplitLine(category, line.amount, note or None, subcategory_id))
    return out


def _split_json(tx: Transaction, lines: Sequence[SplitLine]) -> dict[str, Any]:
    return {"splits": [line.to_json(tx.money.currency, tx.base_currency) for line in lines]}


def split_transaction(cmd: SplitTransaction, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Split a recorded transaction across categories (replacing an earlier split).

    Each line's base amount is its share of the transaction's (``split_base_amounts``).

    Raises:
        NotAMemberError, ForbiddenError, TransactionNotFoundError: as :func:`edit_transaction`.
        EditConflictError: it is deleted.
        SplitTooShortError, SplitMismatchError (422, with the difference), InvalidAmountError,
        TooManyDecimalsError, UnknownCategoryError: bad lines.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    tx = _recorded(uow, context.id, cmd.transaction_id)
    lines = _lines(uow, context.id, cmd.lines)
    check_split(tx.money.amount, tx.money.currency, lines)
    lines = split_base_amounts(lines, tx.money.amount, tx.base_amount)
    previous = uow.edits.splits(tx.id)
    uow.edits.set_splits(context.id, tx.id, lines)
    uow.record(
        _event(
            "transaction.split",
            cmd.actor_id,
            tx,
            before={"splits": [line.to_json(tx.money.currency, tx.base_currency) for line in previous]}
            if previous
            else None,
            after={"splits": [line.to_json(tx.money.currency, tx.base_currency) for line in lines]},
        )
    )
    alert_ledger(uow, context, [tx.id])  # the lines' categories' budgets may cross a threshold
    return tx.id


def remove_split(cmd: RemoveSplit, uow: AbstractUnitOfWork) -> uuid.UUID:
    """Remove a transaction's split (it keeps its own category).

    Raises:
        NotAMemberError, ForbiddenError, TransactionNotFoundError: as :func:`edit_transaction`.
        EditConflictError: it is deleted, or not split.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    tx = _recorded(uow, context.id, cmd.transaction_id)
    previous = uow.edits.splits(tx.id)
    if not previous:
        raise EditConflictError("the transaction is not split")
    uow.edits.set_splits(context.id, tx.id, [])
    uow.record(
        _event(
            "transaction.unsplit",
            cmd.actor_id,
            tx,
            before={"splits": [line.to_json(tx.money.currency, tx.base_currency) for line in previous]},
        )
    )
    alert_ledger(uow, context, [tx.id])  # back whole under its own category
    return tx.id


# --------------------------------------------------------------------------- categories


def _clash(
    uow: AbstractUnitOfWork, context_id: uuid.UUID, parent: str, name: str, other: uuid.UUID | None
) -> None:
    folded = name.casefold()
    for sub in uow.edits.subcategories(context_id):
        if sub.parent == parent and sub.name.casefold() == folded and sub.id != other:
            raise CategoryExistsError(f"{parent!r} already has a sub-category {sub.name!r}")


def _subcategory_of_key(uow: AbstractUnitOfWork, context_id: uuid.UUID, key: str) -> Subcategory:
    try:
        wanted = uuid.UUID(key)
    except ValueError as exc:
        raise CategoryNotFoundError(key) from exc
    for sub in uow.edits.subcategories(context_id):
        if sub.id == wanted:
            return sub
    raise CategoryNotFoundError(key)


def add_subcategory(cmd: AddSubcategory, uow: AbstractUnitOfWork) -> Subcategory:
    """Add a sub-category under a taxonomy slug in this ledger; return it.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit in the context.
        UnknownCategoryError: ``parent`` is not a taxonomy slug.
        InvalidFieldError: a blank or too long name. CategoryExistsError: the parent has one so named.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    if cmd.parent not in CATEGORY_BY_SLUG:
        raise UnknownCategoryError(cmd.parent)
    name = _name(cmd.name)
    _clash(uow, context.id, cmd.parent, name, None)
    sub = Subcategory(uuid7(), context.id, cmd.parent, name)
    uow.edits.add_subcategory(sub)
    uow.record(
        Event(
            "category.added",
            context.id,
            cmd.actor_id,
            "category",
            sub.id,
            after={"parent": sub.parent, "name": sub.name},
        )
    )
    return sub


def rename_category(cmd: RenameCategory, uow: AbstractUnitOfWork) -> None:
    """Rename a category in this ledger only: a taxonomy slug gets a display name (``None``: the
    taxonomy's again), a sub-category a new name. Slugs never change.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit in the context.
        CategoryNotFoundError: ``key`` is neither a slug nor a sub-category of this ledger.
        InvalidFieldError, CategoryExistsError: a bad or taken name.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    if cmd.key in CATEGORY_BY_SLUG:
        name = None if cmd.name is None else _name(cmd.name)
        before = uow.edits.category_names(context.id).get(cmd.key)
        if before == name:
            return
        uow.edits.set_category_name(context.id, cmd.key, name)
        uow.record(
            Event(
                "category_name.set",
                context.id,
                cmd.actor_id,
                "category_name",
                context.id,
                before={"name": before},
                after={"name": name},
                extra={"slug": cmd.key},
            )
        )
        return
    sub = _subcategory_of_key(uow, context.id, cmd.key)
    if cmd.name is None:
        raise InvalidFieldError("a sub-category needs a name")
    name = _name(cmd.name)
    if name == sub.name:
        return
    _clash(uow, context.id, sub.parent, name, sub.id)
    uow.edits.rename_subcategory(sub.id, name)
    uow.record(
        Event(
            "category.renamed",
            context.id,
            cmd.actor_id,
            "category",
            sub.id,
            before={"name": sub.name},
            after={"name": name},
            extra={"parent": sub.parent},
        )
    )


def delete_subcategory(cmd: DeleteSubcategory, uow: AbstractUnitOfWork) -> int:
    """Delete a sub-category of this ledger; its transactions keep the parent slug. Return how many
    transactions were in it.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit in the context.
        InvalidFieldError: ``key`` is a taxonomy slug (those are never deleted; rename instead).
        CategoryNotFoundError: no such sub-category in this ledger.
    """
    context = _authorized(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    if cmd.key in CATEGORY_BY_SLUG:
        raise InvalidFieldError(f"{cmd.key!r} is a category of the taxonomy and cannot be deleted; rename it")
    sub = _subcategory_of_key(uow, context.id, cmd.key)
    moved = uow.edits.delete_subcategory(sub.id)
    uow.record(
        Event(
            "category.deleted",
            context.id,
            cmd.actor_id,
            "category",
            sub.id,
            before={"parent": sub.parent, "name": sub.name},
            extra={"transactions": moved},
        )
    )
    return moved


REGISTRATIONS = (
    Registration(CreateTransaction, create_transaction),
    Registration(EditTransaction, edit_transaction),
    Registration(DeleteTransaction, delete_transaction),
    Registration(RestoreTransaction, restore_transaction),
    Registration(SplitTransaction, split_transaction),
    Registration(RemoveSplit, remove_split),
    Registration(AddSubcategory, add_subcategory),
    Registration(RenameCategory, rename_category),
    Registration(DeleteSubcategory, delete_subcategory),
)
