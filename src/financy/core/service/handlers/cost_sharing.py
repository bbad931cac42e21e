"""Cost sharing among a ledger's members, from a chat and from the API (Splitwise-style).

Chat (in the envelope of :func:`~financy.core.service.handlers.chat.handle_chat`):

* :attr:`Intent.SPLIT` — "paguei 120 do jantar, divide com a Ana": the expense is recorded, paid
  by the sender, and its cost split equally between the sender and the members named (the
  payer first, so they carry the odd cent); "divide com a Ana" alone splits the message's
  target transaction, else the sender's last one. "com todos" is every member; "dividido por 3"
  needs the ledger (or the sender and the names said) to be exactly 3. Names are matched to
  members by display name or username, accents and case aside (the whole name, else the first
  word); a name that matches no member, or more than one, is asked about
  (:attr:`ReplyKind.COST_SPLIT_QUESTION` with ``asked_about``) and nothing is recorded — a
  name is never guessed. A reading below the ledger's confirmation threshold is asked about too
  (a split is not kept for a later "sim"). Needs :attr:`Action.RECORD`.
* :attr:`Intent.WHO_OWES` — "/saldo", "quem deve quem?": every member's balance (positive: is
  owed) and the fewest transfers (greedy) that settle them (:attr:`ReplyKind.WHO_OWES`).
* :attr:`Intent.SETTLE` — "/acertar Ana 60": the sender paid Ana 60 in the ledger's base
  currency; a settlement is recorded (:attr:`ReplyKind.SETTLED`) and balances move, the ledger's
  income and expenses do not. "paguei 60 pra Ana" stays an expense (Ana may be the cleaner):
  settling up is always the explicit command. Needs :attr:`Action.RECORD`.

API commands (:class:`ShareTransaction`: :attr:`Action.EDIT`; :class:`RecordSettlement`:
:attr:`Action.RECORD`) raise the domain's errors and change nothing when refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from financy.core.contracts.v1 import CostSharingV1, Intent, ReplyKind, ReplyV1, Understanding
from financy.core.domain.authorization import Action, authorize
from financy.core.domain.commands import ChatMessage
from financy.core.domain.cost_sharing import (
    CostSharingError,
    InvalidCostSplitError,
    NoPayerError,
    NotAnExpenseError,
    SameMemberError,
    SettlementCurrencyError,
    members_named,
    split_by_amounts,
    split_by_shares,
    split_equally,
)
from financy.core.domain.cost_sharing_commands import (
    RecordSettlement,
    SettleFromChat,
    ShareTransaction,
    ShowWhoOwes,
    SplitCost,
)
from financy.core.domain.editing import (
    EditingError,
    TransactionNotFoundError,
    UnknownMemberError,
    check_amount,
)
from financy.core.domain.errors import NotAMemberError, UnknownCurrencyError
from financy.core.domain.model import CaptureStatus, LedgerContext, Transaction, normalize_currency
from financy.core.service import cost_sharing
from financy.core.service.cost_sharing_port import CostShare, SettlementRecord
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, local_date, shown
from financy.core.service.handlers.ledger import (
    CONFIRM_BELOW,
    acted_on,
    add_transactions,
    plan_transactions,
)
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.intake import entries_of
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork, MemberRow
from financy.runtime.ids import uuid7


def _question(problem: str, asked_about: str | None = None) -> Outcome:
    """A split or settlement asked about: nothing changed, the capture kept for review."""
    return Outcome(
        ReplyKind.COST_SPLIT_QUESTION, CaptureStatus.NEEDS_REVIEW, problem, asked_about=asked_about
    )


def _names(members: Sequence[MemberRow]) -> dict[uuid.UUID, tuple[str | None, str | None]]:
    return {m.user_id: (m.display_name, m.username) for m in members}


def _member_named(name: str, members: Sequence[MemberRow]) -> uuid.UUID | Outcome:
    """The one member ``name`` means, or the question to ask about it."""
    found = members_named(name, _names(members))
    if len(found) == 1:
        return found[0]
    return _question("unknown_name" if not found else "ambiguous_name", name[:200])


# --------------------------------------------------------------------------- "divide com a Ana"


def _participants(
    cmd: SplitCost, scope: ChatScope, members: Sequence[MemberRow]
) -> list[uuid.UUID] | Outcome:
    """The members sharing the cost, the sender first, or the question to ask."""
    sender = scope.user_id
    chosen = [sender]
    if cmd.everyone or (cmd.ways is not None and not cmd.names):
        if not cmd.everyone and len(members) != cmd.ways:
            return _question("ways_mismatch")
        chosen.extend(m.user_id for m in members if m.user_id != sender)
    for name in cmd.names:
        found = _member_named(name, members)
        if isinstance(found, Outcome):
            return found
        if found not in chosen:
            chosen.append(found)
    if cmd.ways is not None and cmd.names and len(chosen) != cmd.ways:
        return _question("ways_mismatch")
    if len(chosen) < 2:
        return _question("nobody_to_split_with")
    return chosen


@dataclass
class _Split:
    """What a split message decided (read in ``decide``, written in ``apply``)."""

    parts: list[tuple[Transaction, dict[uuid.UUID, Decimal]]] = field(default_factory=list)

    def decide(self, cmd: SplitCost, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
        members = uow.members.members(scope.context.id)
        chosen = _participants(cmd, scope, members)
        if isinstance(chosen, Outcome):
            return chosen
        if cmd.entries:
            if cmd.confidence < CONFIRM_BELOW:
                return _question("low_confidence")
            if any(entry.kind != "expense" for entry in cmd.entries):
                return _question("not_an_expense")
            message = cmd.message
            try:
                planned = plan_transactions(
                    uow,
                    context=scope.context,
                    user_id=scope.user_id,
                    entries=cmd.entries,
                    received_at=message.received_at,
                    platform=message.platform,
                    capture_id=message.capture_id,
                    confidence=cmd.confidence,
                    remembers_merchants=scope.remembers_merchants,
                )
            except UnknownCurrencyError as exc:
                return Outcome(ReplyKind.QUESTION, CaptureStatus.NEEDS_REVIEW, f"unknown_currency:{exc.code}")
            status = CaptureStatus.RECORDED
        else:
            target = acted_on(uow, cmd.message, scope)
            if target is None:
                return _question("nothing_to_split")
            if target.kind != "expense":
                return _question("not_an_expense")
            if target.paid_by is None:
                return _question("no_payer")
            planned, status = [], CaptureStatus.COMMAND
            self.parts = [(target, {})]
        splitting = [tx for tx in planned if tx.kind == "expense"] or [tx for tx, _ in self.parts]
        try:
            self.parts = [
                (
                    tx,
                    split_equally(
                        tx.money.amount, cost_sharing.payer_first(tx.paid_by, chosen), tx.money.currency
                    ),
                )
                for tx in splitting
            ]
        except (CostSharingError, EditingError):
            return _question("bad_amount")
        language, base = scope.language, scope.context.base_currency
        return Outcome(
            ReplyKind.COST_SPLIT,
            status,
            planned=planned,
            transactions=[shown(tx, language, base) for tx in (planned or splitting)],
        )

    def apply(self, cmd: SplitCost, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
        if outcome.kind is not ReplyKind.COST_SPLIT:
            return
        message = cmd.message
        if outcome.planned:
            add_transactions(uow, outcome.planned, scope.user_id, message.capture_id)
        first: list[CostShare] = []
        for tx, parts in self.parts:
            shares = cost_sharing.set_shares(
                uow, scope.context, tx, parts, actor=scope.user_id, capture_id=message.capture_id
            )
            first = first or shares
        outcome.cost_sharing = cost_sharing.sharing_view(uow, scope.context, shares=first)


def split_cost(cmd: SplitCost, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Record (or pick) an expense and share its cost among the members a message names; ``None``
    for a duplicate delivery."""
    plan = _Split()
    return handle_chat(cmd, uow, defaults, action=Action.RECORD, decide=plan.decide, apply=plan.apply)


# --------------------------------------------------------------------------- "quem deve quem?"


def _who_owes(cmd: ShowWhoOwes, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.WHO_OWES, cost_sharing=cost_sharing.sharing_view(uow, scope.context))


def show_who_owes(cmd: ShowWhoOwes, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Answer the chat ledger's balances and the transfers that settle them."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_who_owes)


# --------------------------------------------------------------------------- "/acertar Ana 60"


@dataclass
class _Settle:
    record: SettlementRecord | None = None

    def decide(self, cmd: SettleFromChat, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
        if not cmd.name:
            return _question("no_name")
        if cmd.amount is None:
            return _question("no_amount", cmd.name[:200])
        base = scope.context.base_currency
        try:
            currency = normalize_currency(cmd.currency) if cmd.currency else base
        except UnknownCurrencyError:
            return _question(f"settle_currency:{cmd.currency}")
        if currency != base:
            return _question(f"settle_currency:{currency}")
        try:
            check_amount(cmd.amount, base)
        except EditingError:
            return _question("settle_amount")
        to_user = _member_named(cmd.name, uow.members.members(scope.context.id))
        if isinstance(to_user, Outcome):
            return to_user
        if to_user == scope.user_id:
            return _question("settle_self")
        self.record = SettlementRecord(
            id=uuid7(),
            context_id=scope.context.id,
            from_user=scope.user_id,
            to_user=to_user,
            amount=cmd.amount,
            currency=base,
            occurred_on=local_date(cmd.message.received_at, scope.context.time_zone),
            created_by=scope.user_id,
        )
        return Outcome(ReplyKind.SETTLED)

    def apply(self, cmd: SettleFromChat, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
        if outcome.kind is not ReplyKind.SETTLED or self.record is None:
            return
        cost_sharing.add_settlement(uow, self.record, capture_id=cmd.message.capture_id)
        outcome.cost_sharing = cost_sharing.sharing_view(uow, scope.context, settlement=self.record)


def settle_from_chat(
    cmd: SettleFromChat, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """Record that the sender paid a member to settle up; ``None`` for a duplicate delivery."""
    plan = _Settle()
    return handle_chat(cmd, uow, defaults, action=Action.RECORD, decide=plan.decide, apply=plan.apply)


# --------------------------------------------------------------------------- API


def _context(
    uow: AbstractUnitOfWork, context_id: uuid.UUID, actor_id: uuid.UUID, action: Action
) -> LedgerContext:
    """The context, if ``actor_id`` may do ``action`` there.

    Raises:
        NotAMemberError: no such context, or the actor is not a member.
        ForbiddenError: the actor's role does not allow ``action``.
    """
    context = uow.contexts.get(context_id)
    if context is None:
        raise NotAMemberError("not a member of this context")
    authorize(uow.contexts.role_of(context_id, actor_id), action)
    return context


def _member_ids(uow: AbstractUnitOfWork, context_id: uuid.UUID) -> set[uuid.UUID]:
    return {m.user_id for m in uow.members.members(context_id)}


def share_transaction(
    cmd: ShareTransaction, uow: AbstractUnitOfWork
) -> tuple[list[CostShare], CostSharingV1]:
    """Share a transaction's cost among members as ``cmd`` says (API); return its parts (payer
    first) and the ledger's balances after.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit the context.
        TransactionNotFoundError: no such recorded transaction in the context.
        NotAnExpenseError: the transaction is income or a transfer.
        NoPayerError: its payer is unknown.
        UnknownMemberError: a part names someone who is not a member.
        InvalidCostSplitError, CostSplitMismatchError, InvalidAmountError, TooManyDecimalsError:
            a bad split (no members, a member twice, a weight or amount not positive, amounts that
            do not add up).
    """
    context = _context(uow, cmd.context_id, cmd.actor_id, Action.EDIT)
    tx = uow.transactions.recorded(context.id, cmd.transaction_id)
    if tx is None:
        raise TransactionNotFoundError(cmd.transaction_id)
    if tx.kind != "expense":
        raise NotAnExpenseError(f"only an expense's cost is shared; this is {tx.kind}")
    if tx.paid_by is None:
        raise NoPayerError("the transaction's payer is unknown: set paid_by first")
    members = _member_ids(uow, context.id)
    users = [user for user, _ in cmd.parts]
    for user in users:
        if user not in members:
            raise UnknownMemberError(user)
    if len(set(users)) != len(users):
        raise InvalidCostSplitError("members", "a member is listed twice")
    amount, currency = tx.money.amount, tx.money.currency
    values = dict(cmd.parts)
    ordered = cost_sharing.payer_first(tx.paid_by, users)
    parts: dict[uuid.UUID, Decimal]
    if not cmd.parts:
        parts = {}
    elif cmd.mode == "equal":
        parts = split_equally(amount, ordered, currency)
    else:
        given: dict[uuid.UUID, Decimal] = {}
        for user in ordered:
            value = values[user]
            if value is None:
                raise InvalidCostSplitError(cmd.mode, f"every member needs a value with mode {cmd.mode!r}")
            given[user] = value
        parts = (
            split_by_shares(amount, given, currency)
            if cmd.mode == "shares"
            else split_by_amounts(amount, given, currency)
        )
    shares = cost_sharing.set_shares(uow, context, tx, parts, actor=cmd.actor_id)
    return shares, cost_sharing.sharing_view(uow, context, shares=shares)


def record_settlement(
    cmd: RecordSettlement, uow: AbstractUnitOfWork
) -> tuple[SettlementRecord, CostSharingV1]:
    """Record that one member paid another to settle up (API); return it and the balances after.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not record in the context.
        UnknownMemberError: ``from_user`` or ``to_user`` is not a member.
        SameMemberError: they are the same member.
        SettlementCurrencyError: a currency other than the ledger's base currency.
        UnknownCurrencyError: not an ISO 4217 currency.
        InvalidAmountError, TooManyDecimalsError: a bad amount.
    """
    context = _context(uow, cmd.context_id, cmd.actor_id, Action.RECORD)
    members = _member_ids(uow, context.id)
    for user in (cmd.from_user, cmd.to_user):
        if user not in members:
            raise UnknownMemberError(user)
    if cmd.from_user == cmd.to_user:
        raise SameMemberError("a settlement is between two different members")
    base = context.base_currency
    currency = normalize_currency(cmd.currency) if cmd.currency else base
    if currency != base:
        raise SettlementCurrencyError(currency, base)
    check_amount(cmd.amount, base)
    record = SettlementRecord(
        id=uuid7(),
        context_id=context.id,
        from_user=cmd.from_user,
        to_user=cmd.to_user,
        amount=cmd.amount,
        currency=base,
        occurred_on=cmd.occurred_on or cost_sharing.today_in(context),
        created_by=cmd.actor_id,
        note=cmd.note,
    )
    cost_sharing.add_settlement(uow, record)
    return record, cost_sharing.sharing_view(uow, context, settlement=record)


# --------------------------------------------------------------------------- registrations


def _split_command(message: ChatMessage, understanding: Understanding) -> SplitCost:
    said = understanding.cost_split
    return SplitCost(
        message,
        entries_of(understanding),
        understanding.confidence,
        names=said.names if said else (),
        ways=said.ways if said else None,
        everyone=said.everyone if said else False,
    )


def _settle_command(message: ChatMessage, understanding: Understanding) -> SettleFromChat:
    said = understanding.settlement
    if said is None:
        return SettleFromChat(message, None, None)
    return SettleFromChat(message, said.name, said.amount, said.currency)


REGISTRATIONS = (
    Registration(SplitCost, split_cost, {Intent.SPLIT: _split_command}),
    Registration(ShowWhoOwes, show_who_owes, {Intent.WHO_OWES: lambda message, _: ShowWhoOwes(message)}),
    Registration(SettleFromChat, settle_from_chat, {Intent.SETTLE: _settle_command}),
    Registration(ShareTransaction, share_transaction),
    Registration(RecordSettlement, record_settlement),
)

__all__ = [
    "REGISTRATIONS",
    "record_settlement",
    "settle_from_chat",
    "share_transaction",
    "show_who_owes",
    "split_cost",
]
