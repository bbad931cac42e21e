"""A transaction's value in its ledger's base currency, at the FX rate of the transaction's date.

Every transaction keeps its own ``amount`` and ``currency`` and gets ``base_amount`` in the
ledger's ``base_currency``, with ``fx_rate`` (base units per unit of ``currency``), ``fx_date``
(the day of the rate used) and ``fx_source``:

* ``identity`` — already in the base currency: rate 1, ``fx_date`` the transaction's date;
* ``ecb`` — the European Central Bank's euro reference rates (``fx_rates``, units per 1 EUR) of
  ``occurred_on``, or when the ECB published none that day (a weekend, a TARGET holiday) of the
  latest day before it with a rate for both currencies, at most :data:`LOOKBACK_DAYS` back;
  ``fx_date`` says which day. A cross rate goes through the euro: BRL per USD is
  (BRL per EUR) / (USD per EUR);
* ``override`` — a rate the user gave (their card's real rate), see :func:`with_rate`.

No rate known (a currency the ECB does not publish, a date after the last loaded file) leaves
every base field ``None``: totals then say so instead of adding different currencies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from financy.core.domain.events import Event
from financy.core.domain.model import Transaction
from financy.core.service.cards import CREDIT, refresh_postings
from financy.core.service.unit_of_work import AbstractUnitOfWork

ECB = "ecb"
IDENTITY = "identity"
OVERRIDE = "override"
EUR = "EUR"
#: How many days before ``occurred_on`` a published rate may be and still value it (a long
#: Easter or Christmas closure of TARGET is 4 days; a week covers any).
LOOKBACK_DAYS = 7
#: ``fx_rate`` is stored with this many decimal places (``NUMERIC(24, 10)``).
RATE_QUANTUM = Decimal("1e-10")


def minor_unit(currency: str) -> Decimal:
    """Return the smallest unit of ``currency`` (``0.01`` for BRL, ``1`` for JPY), per ISO 4217 (Babel)."""
    from babel.numbers import get_currency_precision

    return Decimal(1).scaleb(-get_currency_precision(currency))


def cross_rate(per_eur: Mapping[str, Decimal], currency: str, base_currency: str) -> Decimal | None:
    """Return units of ``base_currency`` per unit of ``currency`` from rates per 1 EUR (``EUR`` is 1).

    ``None`` when either currency has no rate in ``per_eur``. Not rounded.
    """
    rates = {EUR: Decimal(1), **per_eur}
    if currency not in rates or base_currency not in rates:
        return None
    return rates[base_currency] / rates[currency]


def ecb_rate(
    uow: AbstractUnitOfWork, currency: str, base_currency: str, on: dt.date
) -> tuple[dt.date, Decimal] | None:
    """Return ``(day, rate)``: the ECB cross rate (``base_currency`` per ``currency``, not rounded)
    of ``on`` or of the latest day before it, at most :data:`LOOKBACK_DAYS` back, on which the ECB
    published both currencies; ``None`` when there is none."""
    wanted = sorted({currency, base_currency} - {EUR})
    if not wanted:
        return on, Decimal(1)
    rows = uow.fx_rates.rates_between(ECB, wanted, on - dt.timedelta(days=LOOKBACK_DAYS), on)
    by_day: dict[dt.date, dict[str, Decimal]] = {}
    for row in rows:
        by_day.setdefault(row.rate_date, {})[row.currency] = row.rate
    for day in sorted(by_day, reverse=True):
        rate = cross_rate(by_day[day], currency, base_currency)
        if rate is not None:
            return day, rate
    return None


def _unvalued(tx: Transaction) -> Transaction:
    return replace(tx, base_amount=None, base_currency=None, fx_rate=None, fx_date=None, fx_source=None)


def with_rate(
    tx: Transaction, base_currency: str, rate: Decimal, *, day: dt.date, source: str
) -> Transaction:
    """Return ``tx`` valued at ``rate`` (``base_currency`` per unit of its currency) of ``day``.

    ``base_amount`` is ``amount × rate`` rounded half-up to the base currency's minor unit;
    ``fx_rate`` is ``rate`` to 10 decimal places.

    Raises:
        ValueError: ``rate`` is not a positive finite number.
    """
    if not rate.is_finite() or rate <= 0:
        raise ValueError(f"an FX rate must be a positive number, got {rate}")
    return replace(
        tx,
        base_amount=(tx.money.amount * rate).quantize(minor_unit(base_currency), ROUND_HALF_UP),
        base_currency=base_currency,
        fx_rate=rate.quantize(RATE_QUANTUM, ROUND_HALF_UP),
        fx_date=day,
        fx_source=source,
    )


#: ECB rates already read in one operation: (currency, base currency, day) -> :func:`ecb_rate`.
RateCache = dict[tuple[str, str, dt.date], tuple[dt.date, Decimal] | None]


def value_transaction(
    uow: AbstractUnitOfWork, tx: Transaction, base_currency: str, rates: RateCache | None = None
) -> Transaction:
    """Return ``tx`` with its base fields set for a ledger whose base currency is ``base_currency``.

    Same currency: ``identity`` (rate 1, ``fx_date`` = ``occurred_on``). A rate the user set
    (``fx_source`` ``override``, in this base currency) is kept and ``base_amount`` recomputed
    from the amount: clear ``fx_source`` first to revalue after changing the currency. Otherwise
    the ECB rate of ``occurred_on`` or the latest business day before it (:func:`ecb_rate`);
    none known: every base field ``None``. Reads ``uow.fx_rates``; writes nothing. ``rates``:
    a cache the caller keeps for one unit of work (a statement import values thousands of
    lines of a few currencies and days), filled here.
    """
    currency = tx.money.currency
    if currency == base_currency:
        return replace(
            tx,
            base_amount=tx.money.amount,
            base_currency=base_currency,
            fx_rate=Decimal(1),
            fx_date=tx.occurred_on,
            fx_source=IDENTITY,
        )
    if tx.fx_source == OVERRIDE and tx.fx_rate is not None and tx.base_currency == base_currency:
        return with_rate(tx, base_currency, tx.fx_rate, day=tx.fx_date or tx.occurred_on, source=OVERRIDE)
    if rates is None:
        found = ecb_rate(uow, currency, base_currency, tx.occurred_on)
    else:
        key = (currency, base_currency, tx.occurred_on)
        if key not in rates:
            rates[key] = ecb_rate(uow, currency, base_currency, tx.occurred_on)
        found = rates[key]
    if found is None:
        return _unvalued(tx)
    day, rate = found
    return with_rate(tx, base_currency, rate, day=day, source=ECB)


#: The stored fields a revaluation changes (the ``after`` of its audit event).
BASE_FIELDS = ("base_amount", "base_currency", "fx_rate", "fx_date", "fx_source")


def revalue_unvalued(uow: AbstractUnitOfWork, *, limit: int = 1000) -> int:
    """Value the recorded transactions that had no rate when recorded, now that rates may be known.

    For each of up to ``limit`` of them: :func:`value_transaction`; one that gets a value is
    amended and gets a ``transaction.revalued`` audit event. Returns how many were valued. The
    caller commits.
    """
    done = 0
    for tx, base_currency in uow.transactions.unvalued(limit):
        valued = value_transaction(uow, tx, base_currency)
        if valued.base_amount is None:
            continue
        uow.transactions.amend(valued)
        if valued.payment_method == CREDIT:
            refresh_postings(uow, valued)  # the postings get their share of the value found
        fields = valued.fields()
        uow.record(
            Event(
                "transaction.revalued",
                tx.context_id,
                None,
                "transaction",
                tx.id,
                before=dict.fromkeys(BASE_FIELDS),
                after={name: fields[name] for name in BASE_FIELDS},
            )
        )
        done += 1
    return done
