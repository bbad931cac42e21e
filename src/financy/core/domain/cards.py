"""Credit cards (Brazil): bill cycles from a card's closing and due days, and instalments.

A card is a payment account of a ledger with a **closing day** (``dia de fechamento``) and a
**due day** (``dia de vencimento``), each 1..31. The rules, as Brazilian issuers (Nubank, Itaú,
Inter...) and the apps that follow them (Organizze, Mobills) apply them:

* **The cycle.** A bill closes on its closing date; a purchase made *before* that date is in
  it, and one made *on* the closing date or later is in the next bill (the closing day is the
  "melhor dia de compra": bought on it, paid about 40 days later). So with closing day 5 a
  purchase on 4 March is in the bill closing 5 March, and one on 5 or 6 March in the bill
  closing 5 April.
* **Month ends.** A day the month does not have is its last day: closing day 31 closes on
  28 February (29 in a leap year), on 30 April, on 31 May. The same clamp applies to the due day.
* **The due date.** A bill is due on the first due day *after* its closing date: in the closing
  month when the due day comes later in it (closing 5, due 12: closes 5 March, due 12 March;
  the usual 7 to 10 days between them), else in the month after (closing 28, due 5: closes 28
  February, due 5 March). Equal days (closing 10, due 10) are due a month after closing. The
  bill's **month** (``bill_month``) is the first day of its due month: the month it is paid in,
  and the month a budget counts it in.
* **Instalments** ("em 10x no cartão"): instalment ``k`` of ``n`` is in the bill ``k - 1``
  months after the purchase's own bill (one bill per month, each closing on the card's closing
  day of its month). The total is split into ``n`` equal amounts in the currency's minor unit
  (ISO 4217: BRL 2 decimals) rounded down, and **the cents left over go on the first
  instalment**, as issuers bill them, so the instalments add up to the total exactly:
  R$ 100,00 in 3x is 33,34 + 33,33 + 33,33; R$ 2.000,00 in 10x is ten of 200,00.

Pure functions of dates and decimals: no I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Final

from financy.core.domain.editing import minor_digits
from financy.core.domain.errors import FinancyError

#: The most instalments a purchase may have (the chat contract's bound).
MAX_INSTALMENTS: Final = 120
#: The longest name a card may have.
MAX_NAME: Final = 60


class InvalidCardError(FinancyError):
    """A card that cannot be kept: ``field`` names what is wrong ("name": empty or longer than
    :data:`MAX_NAME`; "closing_day" or "due_day": not 1..31)."""

    key = "invalid_card"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class CardNotFoundError(FinancyError):
    """No card with that id (or name) in that ledger."""

    key = "card_not_found"

    def __init__(self) -> None:
        super().__init__("no such card in this context")


@dataclass(frozen=True, slots=True)
class Card:
    """A credit card of ledger ``context``: ``name`` ("Nubank"), ``closing_day`` and ``due_day``
    (1..31; a day a month lacks is its last). ``is_default``: purchases said to be "no cartão"
    (``payment_method`` "credit") are billed on it. ``id`` is ``None`` for a card not stored."""

    name: str
    closing_day: int
    due_day: int
    context: uuid.UUID | None = None
    id: uuid.UUID | None = None
    is_default: bool = False

    def __post_init__(self) -> None:
        check_card(self.name, self.closing_day, self.due_day)


@dataclass(frozen=True, slots=True)
class Bill:
    """One bill of a card: it closes on ``closing`` and is due on ``due`` (``month``: the first
    day of ``due``'s month)."""

    closing: dt.date
    due: dt.date

    @property
    def month(self) -> dt.date:
        """The first day of the month the bill is due in."""
        return self.due.replace(day=1)


@dataclass(frozen=True, slots=True)
class Posting:
    """Instalment ``number`` (1-based) of a purchase: ``amount`` in the purchase's currency, in
    the bill that closes on ``bill_closing`` and is due on ``bill_due``."""

    number: int
    amount: Decimal
    bill_closing: dt.date
    bill_due: dt.date

    @property
    def bill_month(self) -> dt.date:
        """The first day of the month the instalment is due (and budgeted) in."""
        return self.bill_due.replace(day=1)


def check_card(name: str, closing_day: int, due_day: int) -> str:
    """Return ``name`` without surrounding blanks if a card can have it and these days.

    Raises:
        InvalidCardError: an empty or too long name, or a day outside 1..31.
    """
    shown = " ".join(name.split())
    if not shown:
        raise InvalidCardError("name", "a card needs a name")
    if len(shown) > MAX_NAME:
        raise InvalidCardError("name", f"a card's name has at most {MAX_NAME} characters")
    for field, day in (("closing_day", closing_day), ("due_day", due_day)):
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
            raise InvalidCardError(field, f"{field.replace('_', ' ')} must be a day of the month, 1 to 31")
    return shown


def day_in(year: int, month: int, day: int) -> dt.date:
    """Return ``day`` of ``month`` in ``year``, or that month's last day when it has fewer days."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def bill_closing_in(card: Card, year: int, month: int) -> Bill:
    """Return the bill of ``card`` that closes in ``month`` of ``year`` (see the module)."""
    closing = day_in(year, month, card.closing_day)
    due = day_in(year, month, card.due_day)
    if due <= closing:
        due = day_in(*_add_months(year, month, 1), card.due_day)
    return Bill(closing, due)


def bill_of(purchase_date: dt.date, card: Card) -> Bill:
    """Return the bill ``card`` charges a purchase of ``purchase_date`` in: the one closing this
    month when bought before its closing date, else the one closing next month."""
    this = bill_closing_in(card, purchase_date.year, purchase_date.month)
    if purchase_date < this.closing:
        return this
    return bill_closing_in(card, *_add_months(purchase_date.year, purchase_date.month, 1))


def bill_for(purchase_date: dt.date, card: Card) -> tuple[dt.date, dt.date]:
    """Return ``(closing_date, due_date)`` of the bill a purchase of ``purchase_date`` is in."""
    bill = bill_of(purchase_date, card)
    return bill.closing, bill.due


def bills_after(bill: Bill, card: Card, months: int) -> Bill:
    """Return the bill of ``card`` that closes ``months`` months after ``bill`` does."""
    return bill_closing_in(card, *_add_months(bill.closing.year, bill.closing.month, months))


def bill_due_in(card: Card, month: dt.date) -> Bill:
    """Return the bill of ``card`` due in ``month`` (any day of it): it closes in that month
    when the due day comes after the closing day there, else in the month before."""
    same = bill_closing_in(card, month.year, month.month)
    if (same.due.year, same.due.month) == (month.year, month.month):
        return same
    return bill_closing_in(card, *_add_months(month.year, month.month, -1))


def split_instalments(total: Decimal, n: int, currency: str) -> list[Decimal]:
    """Return ``total`` split into ``n`` instalments that add up to it exactly.

    Each is ``total / n`` rounded down to ``currency``'s minor unit (or to ``total``'s own
    decimals when it has more, as a stored 4-decimal amount may); the remainder is added to the
    first. ``split_instalments(Decimal("100"), 3, "BRL") == [33.34, 33.33, 33.33]``.

    Raises:
        ValueError: ``total`` is not positive and finite, or ``n`` is not 1..:data:`MAX_INSTALMENTS`.
    """
    if not total.is_finite() or total <= 0:
        raise ValueError("an instalment purchase's total must be greater than 0")
    if isinstance(n, bool) or not 1 <= n <= MAX_INSTALMENTS:
        raise ValueError(f"instalments must be 1 to {MAX_INSTALMENTS}")
    exponent = total.normalize().as_tuple().exponent
    own = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    unit = Decimal(1).scaleb(-max(minor_digits(currency), own))
    each = (total / n).quantize(unit, rounding=ROUND_DOWN)
    first = total - each * (n - 1)
    return [first.quantize(unit), *[each] * (n - 1)]


@dataclass(frozen=True, slots=True)
class Purchase:
    """A card purchase: ``amount`` (positive) in ``currency`` (ISO 4217) bought on ``occurred_on``."""

    occurred_on: dt.date
    amount: Decimal
    currency: str


def schedule(purchase: Purchase, card: Card, n: int | None) -> list[Posting]:
    """Return the postings of ``purchase`` made on ``card`` in ``n`` instalments (``None``: one),
    instalment ``k`` in the bill ``k - 1`` months after the purchase's own (see the module).

    Raises:
        ValueError: as :func:`split_instalments`.
    """
    first = bill_of(purchase.occurred_on, card)
    return [
        Posting(k + 1, share, (bill := bills_after(first, card, k)).closing, bill.due)
        for k, share in enumerate(split_instalments(purchase.amount, n or 1, purchase.currency))
    ]
