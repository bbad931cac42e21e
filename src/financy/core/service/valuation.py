"""A transaction's value in its ledger's base currency (identity only, for now).

:func:`value_transaction` is what every create or edit that changes an amount, a currency or a
date calls. This version knows only the identity rate: a transaction already in the base currency
is worth its amount (rate 1, ``fx_source`` ``"identity"``); any other gets no base value (all base
fields ``None``, so totals say a rate was missing instead of adding currencies). The FX module
(ECB reference rates kept in ``fx_rates``, user overrides) replaces this file with the same signature.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from financy.core.domain.model import Transaction
from financy.core.service.unit_of_work import AbstractUnitOfWork


def value_transaction(uow: AbstractUnitOfWork, tx: Transaction, base_currency: str) -> Transaction:
    """Return ``tx`` with ``base_amount``, ``base_currency``, ``fx_rate``, ``fx_date`` and
    ``fx_source`` set for ``base_currency`` (ISO 4217) on ``tx.occurred_on``.

    Same currency: ``base_amount`` = the amount, rate 1, source ``"identity"``. Otherwise every
    base field is ``None`` (no rate known here). ``uow`` is where rates are read from (unused by
    the identity rate). Raises nothing.
    """
    if tx.money.currency == base_currency:
        return dataclasses.replace(
            tx,
            base_amount=tx.money.amount,
            base_currency=base_currency,
            fx_rate=Decimal(1),
            fx_date=tx.occurred_on,
            fx_source="identity",
        )
    return dataclasses.replace(
        tx, base_amount=None, base_currency=None, fx_rate=None, fx_date=None, fx_source=None
    )
