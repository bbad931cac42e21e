"""Cost sharing in a unit of work: a transaction's parts, a ledger's balances and settle-up plan.

The rules are the domain's (:mod:`financy.core.domain.cost_sharing`, after ihatemoney and
Spliit); this module reads what they need and writes what they decide, with audit events:

* parts of a transaction are kept in its own currency (``cost_shares.amount``); its base amount
  is apportioned among the same members in proportion to those parts, the payer listed first
  (so the payer carries any odd cent), and kept beside them (``cost_shares.base_amount``);
* a transaction's parts and balances are computed when asked, from the transactions as they
  are now (:func:`current_shares`; the kept parts weigh the amount once it changed): a shared
  transaction that was reversed counts no more; one whose amount, payer or FX value changed
  counts as it is (its base amount apportioned again by the kept parts); one with no FX rate
  or no known payer is left out and counted in ``unvalued``. Settlements are in the base
  currency. Every figure is in the ledger's base currency.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal

from financy.core.contracts.v1 import CostSharingV1, MemberAmountV1, TransferV1
from financy.core.domain.cost_sharing import (
    CostSharingError,
    Expense,
    Transfer,
    balances,
    settle,
    split_by_shares,
)
from financy.core.domain.editing import EditingError, minor_digits
from financy.core.domain.events import Event
from financy.core.domain.model import LedgerContext, Transaction
from financy.core.service.cost_sharing_port import CostShare, PersonName, SettlementRecord
from financy.core.service.unit_of_work import AbstractUnitOfWork, MemberRow


def payer_first(payer: uuid.UUID | None, members: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """``members`` with ``payer`` moved to the front when among them (the remainder rule's order)."""
    if payer is None or payer not in members:
        return list(members)
    return [payer, *(m for m in members if m != payer)]


def base_parts(
    base_amount: Decimal, parts: Mapping[uuid.UUID, Decimal], payer: uuid.UUID | None, base_currency: str
) -> dict[uuid.UUID, Decimal]:
    """Apportion ``base_amount`` among the members of ``parts`` in proportion to their parts,
    exact to the base currency's minor unit, the payer first then in the order of ``parts``."""
    order = payer_first(payer, list(parts))
    digits = minor_digits(base_currency)
    base = base_amount.quantize(Decimal(1).scaleb(-digits))
    if base <= 0:
        return dict.fromkeys(order, Decimal(0).quantize(Decimal(1).scaleb(-digits)))
    return split_by_shares(base, {m: parts[m] for m in order}, base_currency)


def shares_for(tx: Transaction, parts: Mapping[uuid.UUID, Decimal], base_currency: str) -> list[CostShare]:
    """The ``cost_shares`` rows of ``tx`` split into ``parts`` (its currency), with their base
    parts when ``tx`` has a base amount; in the order of ``parts`` (none: none)."""
    if not parts:
        return []
    based = (
        base_parts(tx.base_amount, parts, tx.paid_by, base_currency)
        if tx.base_amount is not None and tx.base_currency == base_currency
        else {}
    )
    return [CostShare(tx.id, user, parts[user], based.get(user)) for user in parts]


def current_shares(tx: Transaction, stored: Sequence[CostShare], base_currency: str) -> list[CostShare]:
    """``tx``'s parts now: its amount (and base amount) apportioned by the ``stored`` parts, payer
    first. While the transaction is as it was split this is exactly ``stored``; after its amount
    changed (an edited message, an API edit) the stored parts are the weights of the new one."""
    if not stored:
        return []
    weights = {s.user_id: s.amount for s in stored}
    order = payer_first(tx.paid_by, list(weights))
    try:
        parts = split_by_shares(tx.money.amount, {u: weights[u] for u in order}, tx.money.currency)
    except (CostSharingError, EditingError):  # an amount with more decimals than its currency's
        return list(stored)
    return shares_for(tx, parts, base_currency)


def set_shares(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    tx: Transaction,
    parts: Mapping[uuid.UUID, Decimal],
    *,
    actor: uuid.UUID | None,
    capture_id: uuid.UUID | None = None,
) -> list[CostShare]:
    """Make ``parts`` (each member's part in ``tx``'s currency; empty: none) ``tx``'s cost
    shares, with a ``transaction.shared`` event (its parts before and after); return them."""
    before = uow.cost_sharing.shares_of(context.id, tx.id)
    shares = shares_for(tx, parts, context.base_currency)
    uow.cost_sharing.replace_shares(context.id, tx.id, shares)
    uow.record(
        Event(
            "transaction.shared",
            context.id,
            actor,
            "transaction",
            tx.id,
            before={"paid_by": tx.paid_by, "shares": [_share_fields(s) for s in before]},
            after={"paid_by": tx.paid_by, "shares": [_share_fields(s) for s in shares]},
            capture_id=capture_id,
        )
    )
    return shares


def _share_fields(share: CostShare) -> dict[str, object]:
    return {"user_id": share.user_id, "amount": share.amount, "base_amount": share.base_amount}


def add_settlement(
    uow: AbstractUnitOfWork, record: SettlementRecord, *, capture_id: uuid.UUID | None = None
) -> None:
    """Store ``record`` with a ``settlement.recorded`` event."""
    uow.cost_sharing.add_settlement(record)
    uow.record(
        Event(
            "settlement.recorded",
            record.context_id,
            record.created_by,
            "settlement",
            record.id,
            after=record.fields(),
            capture_id=capture_id,
        )
    )


def display_name(person: PersonName | MemberRow | None) -> str:
    """How a reply names a person: their display name, else their username, else "?"."""
    if person is None:
        return "?"
    return (person.display_name or person.username or "?")[:200]


def ledger_balances(
    uow: AbstractUnitOfWork, context: LedgerContext
) -> tuple[dict[uuid.UUID, Decimal], int, list[MemberRow]]:
    """Return every member's balance in the base currency (positive: owed; members first, then
    former members who still have one), how many shared transactions were left out (no FX rate
    or no known payer), and the members."""
    members = uow.members.members(context.id)
    base = context.base_currency
    expenses: list[Expense[uuid.UUID]] = []
    unvalued = 0
    for shared in uow.cost_sharing.shared_transactions(context.id):
        if shared.paid_by is None or shared.base_amount is None:
            unvalued += 1
            continue
        parts = dict(shared.parts)
        expenses.append(Expense(shared.paid_by, base_parts(shared.base_amount, parts, shared.paid_by, base)))
    paid = [
        Transfer(s.from_user, s.to_user, s.amount)
        for s in uow.cost_sharing.settlements(context.id)
        if s.currency == base
    ]
    found = balances(expenses, paid, members=[m.user_id for m in members])
    quantum = Decimal(1).scaleb(-minor_digits(base))
    return {m: b.quantize(quantum) for m, b in found.items()}, unvalued, members


def sharing_view(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    *,
    shares: Sequence[CostShare] = (),
    settlement: SettlementRecord | None = None,
) -> CostSharingV1:
    """Return who owes whom in ``context`` (balances and the transfers that settle them), with
    ``shares`` (a transaction just split) and ``settlement`` (one just recorded) named."""
    owed, unvalued, members = ledger_balances(uow, context)
    names: dict[uuid.UUID, str] = {m.user_id: display_name(m) for m in members}
    others = set(owed) | {s.user_id for s in shares}
    if settlement is not None:
        others |= {settlement.from_user, settlement.to_user}
    missing = others - set(names)
    if missing:
        for user_id, person in uow.cost_sharing.names(missing).items():
            names[user_id] = display_name(person)

    def named(user_id: uuid.UUID, amount: Decimal) -> MemberAmountV1:
        return MemberAmountV1(user_id=user_id, name=names.get(user_id, "?"), amount=amount)

    def transfer(from_user: uuid.UUID, to_user: uuid.UUID, amount: Decimal) -> TransferV1:
        return TransferV1(
            from_user=from_user,
            from_name=names.get(from_user, "?"),
            to_user=to_user,
            to_name=names.get(to_user, "?"),
            amount=amount,
        )

    return CostSharingV1(
        currency=context.base_currency,
        shares=tuple(named(s.user_id, s.amount) for s in shares),
        balances=tuple(named(m, b) for m, b in owed.items()),
        transfers=tuple(transfer(t.from_member, t.to_member, t.amount) for t in settle(owed)),
        settlement=(
            transfer(settlement.from_user, settlement.to_user, settlement.amount) if settlement else None
        ),
        unvalued=unvalued,
    )


def today_in(context: LedgerContext, now: dt.datetime | None = None) -> dt.date:
    """The date in ``context``'s time zone at ``now`` (default: the current time)."""
    from zoneinfo import ZoneInfo

    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(context.time_zone)).date()
