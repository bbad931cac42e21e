"""Splitting a cost among a ledger's members, who owes whom, and the transfers that settle it (no I/O).

This is Splitwise-style cost sharing: one member pays a transaction and its cost is shared
among members ("paguei 120 do jantar, divide com a Ana": Ana owes 60). It is not the ledger's
category split (``transaction_splits``, :mod:`financy.core.domain.editing`), which divides one
transaction among categories.

The semantics follow the open-source apps people already use for this, ihatemoney
(``Project.balance``, ``get_transactions_to_settle_bill``) and Spliit (``getBalances``,
``getSuggestedReimbursements``):

* **Shares.** A shared expense has a payer and one share per member it is shared among (the
  payer's own share included); the shares add up exactly to its amount. :func:`split_equally`,
  :func:`split_by_shares` (weights, "2:1") and :func:`split_by_amounts` (given amounts that must
  add up) make them, exact to the currency's minor unit (ISO 4217: BRL 2 decimals, JPY 0).
* **Balance.** A member's balance is what they paid for others minus what others paid for them:
  for each expense the payer is credited its amount and every member debited their share; a
  settlement (``from`` paid ``to``) credits ``from`` and debits ``to`` (ihatemoney and Spliit
  record it as a reimbursement expense paid by the debtor for the creditor alone, which is the
  same arithmetic). **Positive: the member is owed; negative: they owe.** Balances of a ledger
  always add up to zero. Every amount is in the ledger's base currency.
* **Settling.** :func:`settle` suggests transfers that bring every balance to zero. Finding the
  fewest transfers is NP-hard in general (it contains subset-sum: a group whose balances split
  into zero-sum subgroups needs fewer transfers than one that does not), so like ihatemoney and
  Splitwise it is greedy: first pair a debtor and a creditor with exactly the same amount, then
  repeatedly have the largest debtor pay the largest creditor as much as one of them needs.
  Every transfer zeroes at least one balance and the last zeroes two, so ``n`` members with a
  non-zero balance need at most ``n - 1`` transfers; already-settled balances need none.

Remainder rule (deterministic): an amount that does not divide exactly gives its leftover minor
units one each to the members with the largest fractional parts (the largest-remainder method),
ties going to the member listed first. For an equal split every part ties, so the first
``remainder`` members get one unit more: 100.00 among three is 33.34, 33.33, 33.33. The core lists
the payer first, so the one who paid carries the odd cents.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Generic, TypeVar

from financy.core.domain.editing import check_amount, minor_digits
from financy.core.domain.errors import FinancyError

M = TypeVar("M", bound=Hashable)

__all__ = [
    "CostSharingError",
    "CostSplitMismatchError",
    "Expense",
    "InvalidCostSplitError",
    "NoPayerError",
    "NotAnExpenseError",
    "SameMemberError",
    "SettlementCurrencyError",
    "Transfer",
    "UnbalancedError",
    "balances",
    "members_named",
    "name_key",
    "settle",
    "split_by_amounts",
    "split_by_shares",
    "split_equally",
]


# --------------------------------------------------------------------------- errors


class CostSharingError(FinancyError):
    """A split or settlement that cannot be made as asked; ``status`` is the HTTP status the API
    answers (nothing was changed)."""

    key = "invalid_cost_split"
    status = 400


class InvalidCostSplitError(CostSharingError):
    """A split with no members, a member twice, or a weight or amount that is not positive;
    ``field`` names what is wrong ("members", "shares", "amounts")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class CostSplitMismatchError(CostSharingError):
    """Given amounts that do not add up to the total; ``difference`` is the total minus their
    sum (positive: the amounts are short)."""

    key = "cost_split_mismatch"
    status = 422

    def __init__(self, total: Decimal, amounts_sum: Decimal, currency: str) -> None:
        difference = total - amounts_sum
        side = "short of" if difference > 0 else "over"
        super().__init__(
            f"the amounts add up to {amounts_sum} {currency}, {abs(difference)} {side} the "
            f"total {total} {currency} (difference {difference})"
        )
        self.total, self.amounts_sum, self.difference = total, amounts_sum, difference


class UnbalancedError(CostSharingError):
    """Balances that do not add up to zero (they cannot come from expenses and settlements)."""

    key = "unbalanced"

    def __init__(self, total: Decimal) -> None:
        super().__init__(f"balances must add up to 0; they add up to {total}")
        self.total = total


class NotAnExpenseError(CostSharingError):
    """Only an expense's cost is shared (income and transfers are not)."""

    key = "not_an_expense"
    status = 409


class NoPayerError(CostSharingError):
    """A transaction whose payer is unknown (the bot asked "who paid?"): set the payer first."""

    key = "no_payer"
    status = 409


class SameMemberError(CostSharingError):
    """A settlement from a member to themself."""

    key = "same_member"


class SettlementCurrencyError(CostSharingError):
    """A settlement in a currency other than the ledger's base currency (balances are kept in it)."""

    key = "settlement_currency"

    def __init__(self, currency: str, base_currency: str) -> None:
        super().__init__(f"a settlement is in the ledger's base currency {base_currency}; got {currency}")
        self.currency, self.base_currency = currency, base_currency


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True, slots=True)
class Expense(Generic[M]):
    """A shared expense: ``payer`` paid it, and ``shares`` is each member's part of its cost
    (the payer's own part included), in the ledger's base currency. Its amount is their sum."""

    payer: M
    shares: Mapping[M, Decimal]

    @property
    def amount(self) -> Decimal:
        """The expense's amount: the sum of its shares."""
        return sum(self.shares.values(), Decimal(0))


@dataclass(frozen=True, slots=True)
class Transfer(Generic[M]):
    """Money ``from_member`` pays ``to_member`` (``amount`` > 0, base currency): a transfer
    :func:`settle` suggests, or a settlement a member recorded."""

    from_member: M
    to_member: M
    amount: Decimal


# --------------------------------------------------------------------------- splitting


def _units(amount: Decimal, digits: int) -> int:
    """``amount`` in whole minor units (``amount`` has at most ``digits`` decimals)."""
    return int(amount.scaleb(digits))


def _amount(units: int, digits: int) -> Decimal:
    """``units`` minor units as an amount with exactly ``digits`` decimals (``1234``, 2: 12.34)."""
    return Decimal(units).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def _members(members: Iterable[M]) -> list[M]:
    found = list(members)
    if not found:
        raise InvalidCostSplitError("members", "a split needs at least one member")
    if len(set(found)) != len(found):
        raise InvalidCostSplitError("members", "a member is listed twice")
    return found


def split_by_shares(total: Decimal, shares: Mapping[M, int | Decimal], currency: str) -> dict[M, Decimal]:
    """Split ``total`` (in ``currency``) among the members of ``shares`` in proportion to their
    weights ("2:1": ``{ana: 2, bia: 1}``), exact to the currency's minor unit.

    Each member gets the whole minor units of their exact part; the units left over go one each
    to the largest fractional parts, ties to the member listed first (the module's remainder
    rule). 100.00 at 2:1 is 66.67 and 33.33.

    Returns:
        ``{member: amount}`` in the order of ``shares``; the amounts add up to ``total`` exactly
        and have the currency's decimals.

    Raises:
        InvalidAmountError, TooManyDecimalsError: ``total`` is not positive, or has more
            decimals than ``currency`` allows (:func:`~financy.core.domain.editing.check_amount`).
        InvalidCostSplitError: no members, or a weight that is not a positive finite number.
    """
    check_amount(total, currency)
    members = _members(shares)
    weights: list[Fraction] = []
    for member in members:
        weight = Decimal(shares[member])
        if not weight.is_finite() or weight <= 0:
            raise InvalidCostSplitError("shares", f"a share must be a positive number; got {weight}")
        weights.append(Fraction(weight))
    digits = minor_digits(currency)
    units = _units(total, digits)
    whole = sum(weights)
    exact = [units * w / whole for w in weights]
    parts = [int(e) for e in exact]  # floor: every part is positive
    left = units - sum(parts)
    by_remainder = sorted(range(len(members)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return {member: _amount(part, digits) for member, part in zip(members, parts, strict=True)}


def split_equally(total: Decimal, members: Sequence[M], currency: str) -> dict[M, Decimal]:
    """Split ``total`` (in ``currency``) equally among ``members``, exact to the minor unit.

    The leftover minor units go one each to the first members listed: 120.00 between two is
    60.00 and 60.00; 100.00 among three is 33.34, 33.33, 33.33; JPY 100 among three is 34, 33, 33.

    Returns:
        ``{member: amount}`` in the order of ``members``, adding up to ``total`` exactly.

    Raises:
        InvalidAmountError, TooManyDecimalsError: a bad ``total`` (see :func:`split_by_shares`).
        InvalidCostSplitError: no members, or a member listed twice.
    """
    return split_by_shares(total, dict.fromkeys(_members(members), 1), currency)


def split_by_amounts(total: Decimal, amounts: Mapping[M, Decimal], currency: str) -> dict[M, Decimal]:
    """Return the split that gives each member of ``amounts`` the amount given ("Ana 70, I 50").

    Returns:
        ``{member: amount}`` in the order of ``amounts``, each with the currency's decimals.

    Raises:
        InvalidAmountError, TooManyDecimalsError: ``total`` or an amount is not positive, or has
            more decimals than ``currency`` allows.
        InvalidCostSplitError: no members.
        CostSplitMismatchError: the amounts do not add up to ``total`` exactly (the error says by
            how much).
    """
    check_amount(total, currency)
    members = _members(amounts)
    digits = minor_digits(currency)
    total = _amount(_units(total, digits), digits)  # "100.0000" as stored: 100.00
    out = {
        member: _amount(_units(check_amount(amounts[member], currency), digits), digits) for member in members
    }
    added = sum(out.values(), Decimal(0))
    if added != total:
        raise CostSplitMismatchError(total, added, currency)
    return out


# --------------------------------------------------------------------------- balances and settling


def balances(
    expenses: Iterable[Expense[M]], settlements: Iterable[Transfer[M]] = (), members: Iterable[M] = ()
) -> dict[M, Decimal]:
    """Return each member's balance: what they paid for others minus what others paid for them.

    For every expense its payer is credited its amount and each member debited their share; for
    every settlement ``from_member`` is credited and ``to_member`` debited its amount. Positive:
    the member is owed; negative: they owe. ``members`` are listed (with 0 when nothing concerns
    them) before anyone else, in their order; others follow in the order they first appear.

    Returns:
        ``{member: balance}``, adding up to zero, in base currency units as given (exact).
    """
    out: dict[M, Decimal] = dict.fromkeys(members, Decimal(0))

    def add(member: M, amount: Decimal) -> None:
        out[member] = out.get(member, Decimal(0)) + amount

    for expense in expenses:
        add(expense.payer, expense.amount)
        for member, share in expense.shares.items():
            add(member, -share)
    for paid in settlements:
        add(paid.from_member, paid.amount)
        add(paid.to_member, -paid.amount)
    return out


def settle(owed: Mapping[M, Decimal]) -> list[Transfer[M]]:
    """Return transfers that bring every balance of ``owed`` to zero (see :func:`balances`).

    Greedy, as ihatemoney and Splitwise do (the fewest transfers is NP-hard): a debtor and a
    creditor with exactly the same amount are paired first (largest first), then the largest
    debtor pays the largest creditor the smaller of the two amounts, until nothing is owed. Ties
    go to the member listed first in ``owed``, so the same balances always give the same
    transfers. ``n`` members with a non-zero balance get at most ``n - 1`` transfers; balances
    that are all zero get none.

    Returns:
        Transfers from a debtor to a creditor, each ``amount`` > 0, in the order made.

    Raises:
        UnbalancedError: the balances do not add up to zero.
    """
    total = sum(owed.values(), Decimal(0))
    if total != 0:
        raise UnbalancedError(total)
    order = {member: i for i, member in enumerate(owed)}
    credit = {m: b for m, b in owed.items() if b > 0}
    debt = {m: -b for m, b in owed.items() if b < 0}

    def largest(side: dict[M, Decimal]) -> M:
        return min(side, key=lambda m: (-side[m], order[m]))

    transfers: list[Transfer[M]] = []
    for debtor in sorted(debt, key=lambda m: (-debt[m], order[m])):
        match = next(
            (c for c in sorted(credit, key=lambda m: (-credit[m], order[m])) if credit[c] == debt[debtor]),
            None,
        )
        if match is not None:
            transfers.append(Transfer(debtor, match, debt.pop(debtor)))
            del credit[match]
    while debt and credit:
        debtor, creditor = largest(debt), largest(credit)
        amount = min(debt[debtor], credit[creditor])
        transfers.append(Transfer(debtor, creditor, amount))
        for side, member in ((debt, debtor), (credit, creditor)):
            side[member] -= amount
            if side[member] == 0:
                del side[member]
    return transfers


# --------------------------------------------------------------------------- names


def name_key(name: str) -> str:
    """Return the key a person's name is compared by: case-folded, without accents or punctuation,
    single spaces ("João", "JOAO" and "joão!" share "joao")."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(letters.split())


def members_named(name: str, names: Mapping[M, Iterable[str | None]]) -> list[M]:
    """Return the members a name said in a message may mean (accents and case do not matter).

    ``names`` gives each member's names (display name, username). A member whose whole name is
    ``name`` wins; failing any, a member whose name's first word is ``name`` ("Ana" for "Ana
    Silva"). More than one member found: the name is ambiguous; none: unknown. The caller asks
    about either, never guesses.

    Returns:
        The members found, in the order of ``names``.
    """
    key = name_key(name)
    if not key:
        return []
    keys = {member: [name_key(n) for n in found if n] for member, found in names.items()}
    whole = [member for member, own in keys.items() if key in own]
    if whole:
        return whole
    return [member for member, own in keys.items() if any(k.split(" ")[0] == key for k in own if k)]
