"""The IOF a Brazilian card charges on a purchase in a foreign currency, as a fee line.

Brazil taxes a card's purchases abroad with IOF-câmbio (Decreto 6.306/2007 as amended): the
card bill shows the purchase in reais and, beside it, the IOF on that amount. A ledger that
turns this on (``LedgerContext.card_iof``, off by default; ``PUT /api/v1/contexts/{id}/fx/iof``)
gets, for every foreign-currency expense paid by credit card (``payment_method`` ``"credit"``)
that has a base value, a second transaction: kind expense, category ``taxes_fees``,
description ``IOF``, in BRL, ``base_amount × rate`` at the rate in force on ``occurred_on``
(``fee_of`` = the purchase). The dated rates and their legal source are in
``data/iof_card_rates.tsv``; a date before its first row gets no fee line.

Why per ledger and not per transaction: every foreign purchase on a Brazilian card pays it,
so one choice per ledger (where the family's cards live) says it once; a ledger in another
base currency (a travel ledger in EUR, say) never gets one.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib.resources import files

from financy.core.domain.model import LedgerContext, Money, Transaction
from financy.runtime.ids import uuid7

#: The ledger base currency IOF applies in.
BRL = "BRL"
#: The payment method of a credit card purchase (as the message reader writes it).
CREDIT = "credit"
CATEGORY = "taxes_fees"
DESCRIPTION = "IOF"


@dataclass(frozen=True, slots=True)
class IofRate:
    """The IOF rate on card purchases abroad from ``valid_from`` on (``rate`` a fraction: 0.035 is
    3.5%), with the act that set it (``source``) and where that was checked (``reference``)."""

    valid_from: dt.date
    rate: Decimal
    source: str
    reference: str


@cache
def iof_rates() -> tuple[IofRate, ...]:
    """Return the dated rates of ``data/iof_card_rates.tsv``, oldest first.

    Raises:
        ValueError: the file's rows are not in date order or a rate is not in (0, 1).
    """
    text = files("financy.core.service").joinpath("data", "iof_card_rates.tsv").read_text(encoding="utf-8")
    rows = [
        IofRate(dt.date.fromisoformat(r["valid_from"]), Decimal(r["rate"]), r["source"], r["reference"])
        for r in csv.DictReader(text.splitlines(), delimiter="\t")
    ]
    for earlier, later in itertools.pairwise(rows):
        if later.valid_from <= earlier.valid_from:
            raise ValueError("iof_card_rates.tsv: rows must be in date order")
    if any(not 0 < r.rate < 1 for r in rows):
        raise ValueError("iof_card_rates.tsv: a rate must be a fraction between 0 and 1")
    return tuple(rows)


def iof_rate_on(day: dt.date) -> IofRate | None:
    """Return the rate in force on ``day`` (the latest row from on or before it), or ``None`` before the first."""
    found = None
    for row in iof_rates():
        if row.valid_from <= day:
            found = row
    return found


def applies(context: LedgerContext, tx: Transaction) -> bool:
    """Return whether ``tx`` in ``context`` gets an IOF fee line (see the module)."""
    return (
        context.card_iof
        and context.base_currency == BRL
        and tx.kind == "expense"
        and tx.fee_of is None
        and tx.money.currency != BRL
        and tx.payment_method == CREDIT
        and tx.base_amount is not None
        and tx.base_currency == BRL
    )


def iof_line(context: LedgerContext, tx: Transaction) -> Transaction | None:
    """Return the IOF fee line of purchase ``tx`` in ``context`` (a new transaction, not stored),
    or ``None`` when it gets none (:func:`applies`, a date before the first known rate, or an
    IOF under one centavo)."""
    if not applies(context, tx):
        return None
    rate = iof_rate_on(tx.occurred_on)
    if rate is None:
        return None
    assert tx.base_amount is not None
    amount = (tx.base_amount * rate.rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if amount <= 0:
        return None
    return replace(
        tx,
        id=uuid7(),
        money=Money(amount, BRL),
        merchant=None,
        description=DESCRIPTION,
        installments=None,
        category=CATEGORY,
        items=(),
        category_guesses=(),
        category_unsure=False,
        base_amount=amount,
        base_currency=BRL,
        fx_rate=Decimal(1),
        fx_date=tx.occurred_on,
        fx_source="identity",
        fee_of=tx.id,
    )


def refreshed_fee(context: LedgerContext, purchase: Transaction, fee: Transaction) -> Transaction:
    """Return fee line ``fee`` with its amount recomputed from ``purchase``'s (new) base value;
    ``fee`` unchanged when no IOF can be computed for it now."""
    line = iof_line(replace(context, card_iof=True), purchase)
    if line is None:
        return fee
    return replace(fee, money=line.money, base_amount=line.base_amount)
