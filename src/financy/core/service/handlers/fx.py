"""FX from the API: a user's own rate for one transaction, and a ledger's card IOF choice.

* :class:`~financy.core.domain.commands.OverrideFxRate` (``PUT .../transactions/{id}/fx``): the
  card's real rate replaces the ECB's; ``fx_source`` becomes ``override``, ``fx_date`` the
  transaction's date, ``base_amount`` is recomputed (and the IOF line of a card purchase with
  it). Audit event ``transaction.fx_overridden`` with the base fields before and after.
* :class:`~financy.core.domain.commands.SetCardIof` (``PUT .../fx/iof``): turns the ledger's IOF
  fee lines on or off for what is recorded from then on. Audit event ``context.card_iof_set``.

Both check the caller's role with the one rule (``Action.EDIT``; ``Action.MANAGE_CONTEXT``).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal

from financy.core.domain.authorization import Action, authorize
from financy.core.domain.commands import OverrideFxRate, SetCardIof
from financy.core.domain.errors import InvalidFxRateError, NotAMemberError
from financy.core.domain.events import Event
from financy.core.domain.model import LedgerContext, Transaction
from financy.core.service.cards import CREDIT, refresh_postings
from financy.core.service.iof import refreshed_fee
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.core.service.valuation import BASE_FIELDS, OVERRIDE, with_rate


def _context(
    uow: AbstractUnitOfWork, context_id: uuid.UUID, user_id: uuid.UUID, action: Action
) -> LedgerContext:
    authorize(uow.contexts.role_of(context_id, user_id), action)
    context = uow.contexts.get(context_id)
    if context is None:
        raise NotAMemberError("not a member of this context")
    return context


def _base(tx: Transaction) -> dict[str, object]:
    fields = tx.fields()
    return {name: fields[name] for name in BASE_FIELDS}


#: One above the largest base amount the ``transactions.base_amount`` column holds (18, 4).
MAX_BASE_AMOUNT = Decimal(10) ** 14


def override_fx_rate(cmd: OverrideFxRate, uow: AbstractUnitOfWork) -> Transaction | None:
    """Value one recorded transaction at the user's rate; return it, or ``None`` if the context has
    no such recorded transaction (nothing changed).

    Raises:
        NotAMemberError, ForbiddenError: the user may not edit this context.
        InvalidFxRateError: ``cmd.rate`` is not a positive finite number, or the transaction is
            already in the ledger's base currency.
    """
    rate = cmd.rate
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise InvalidFxRateError(f"the rate must be a positive number, got {rate}")
    context = _context(uow, cmd.context_id, cmd.user_id, Action.EDIT)
    tx = uow.transactions.recorded(context.id, cmd.transaction_id)
    if tx is None:
        return None
    if tx.money.currency == context.base_currency:
        raise InvalidFxRateError(
            f"the transaction is in the ledger's base currency ({context.base_currency}): its rate is 1"
        )
    valued = with_rate(tx, context.base_currency, rate, day=tx.occurred_on, source=OVERRIDE)
    if valued.base_amount is not None and abs(valued.base_amount) >= MAX_BASE_AMOUNT:
        raise InvalidFxRateError(f"at the rate {rate} the amount in {context.base_currency} is too large")
    uow.transactions.amend(valued)
    if valued.payment_method == CREDIT:
        refresh_postings(uow, valued)  # the postings' base amounts follow the new rate
    uow.record(
        Event(
            "transaction.fx_overridden",
            context.id,
            cmd.user_id,
            "transaction",
            tx.id,
            before=_base(tx),
            after=_base(valued),
        )
    )
    for fee in uow.transactions.fees_of(context.id, tx.id):
        new = refreshed_fee(context, valued, fee)
        if new.money != fee.money:
            uow.transactions.amend(new)
            if new.payment_method == CREDIT:
                refresh_postings(uow, new)
            uow.record(
                Event(
                    "transaction.amended",
                    context.id,
                    cmd.user_id,
                    "transaction",
                    fee.id,
                    before={"amount": fee.money.amount, "base_amount": fee.base_amount},
                    after={"amount": new.money.amount, "base_amount": new.base_amount},
                    extra={"fee_of": str(tx.id)},
                )
            )
    return valued


def set_card_iof(cmd: SetCardIof, uow: AbstractUnitOfWork) -> LedgerContext:
    """Turn the ledger's card IOF fee lines on or off; return the context as it is now.

    Raises:
        NotAMemberError, ForbiddenError: the user may not manage this context.
    """
    context = _context(uow, cmd.context_id, cmd.user_id, Action.MANAGE_CONTEXT)
    if context.card_iof != cmd.enabled:
        uow.contexts.set_card_iof(context.id, cmd.enabled)
        uow.record(
            Event(
                "context.card_iof_set",
                context.id,
                cmd.user_id,
                "context",
                context.id,
                before={"card_iof": context.card_iof},
                after={"card_iof": cmd.enabled},
            )
        )
    return replace(context, card_iof=cmd.enabled)


REGISTRATIONS = (
    Registration(OverrideFxRate, override_fx_rate),
    Registration(SetCardIof, set_card_iof),
)
