"""Credit cards in a unit of work: set one up, bill card purchases, and read its bills.

Used by the chat handlers (``handlers/cards.py``), by recording (``handlers/ledger.py``: every
transaction recorded from a chat goes through :func:`post_card_purchases`) and by the API
(``entrypoints/api/cards.py``). The rules of cycles and instalments are in
:mod:`financy.core.domain.cards`.

* A ledger's first card is its default; a later one becomes the default only when asked
  ("padrão", ``is_default``), and the card that was the default is then no longer one. Setting
  up a card with the name of one the ledger has (compared case-insensitively) changes that
  card's days; postings already made keep their bills.
* An expense recorded with ``payment_method`` "credit" in a ledger with a default card gets its
  postings on that card: one per instalment (``installments``; none said: one), each in its bill,
  with its share of the base amount split the same way. The transaction itself keeps its full
  amount and purchase date. A ``transaction.billed`` event lists them.
* A card purchase that changes (an edit of its amount, date or instalments, a value found for its
  foreign amount) gets its postings written again (:func:`refresh_postings`).
* A card's bills for a chat (:func:`chat_bills`): the bill not yet due that closed before today
  (if any), the open one (its cycle holds today: a purchase today is in it), and the next ones
  that already have instalments, up to :data:`AHEAD` months after the open one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Final, Literal

from financy.core.contracts.v1 import CardBillLineV1, CardBillV1, CardV1
from financy.core.domain.cards import (
    Bill,
    Card,
    Purchase,
    bill_due_in,
    bill_of,
    bills_after,
    check_card,
    schedule,
    split_instalments,
)
from financy.core.domain.events import Event
from financy.core.domain.model import LedgerContext, Transaction, TransactionStatus
from financy.core.service.cards_port import BillLine, PostingRow
from financy.core.service.unit_of_work import AbstractUnitOfWork
from financy.runtime.ids import uuid7

#: The payment method of a card purchase, as the text reader and the receipt reader name it.
CREDIT: Final = "credit"
#: How many months after the open bill a chat's bills look for instalments.
AHEAD: Final = 11
#: How many lines of one bill a reply carries (the total always counts every line).
MAX_LINES: Final = 50

BillStatus = Literal["closed", "open", "future", "past"]


def set_card(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    *,
    actor: uuid.UUID | None,
    name: str,
    closing_day: int,
    due_day: int,
    make_default: bool | None = None,
    capture_id: uuid.UUID | None = None,
) -> tuple[Card, bool]:
    """Set up a card of ``context`` or change the one it has with that name; return it and
    whether it was already there. It is the default when ``make_default`` or when the ledger has
    no default card (a ledger's first card always is; a default card stays one). ``card.set`` event.

    Raises:
        InvalidCardError: an empty or too long name, or a day outside 1..31 (nothing is changed).
    """
    shown = check_card(name, closing_day, due_day)
    uow.lock(f"cards:{context.id}")
    old = uow.cards.named(context.id, shown)
    has_default = uow.cards.default_of(context.id) is not None
    if old is None:
        default = bool(make_default) or not has_default
        card = Card(shown, closing_day, due_day, context=context.id, id=uuid7(), is_default=default)
    else:
        default = old.is_default or bool(make_default) or not has_default
        card = dataclasses.replace(
            old, name=shown, closing_day=closing_day, due_day=due_day, is_default=default
        )
    uow.cards.save(card)
    assert card.id is not None
    uow.record(
        Event(
            "card.set",
            context.id,
            actor,
            "card",
            card.id,
            before=_fields(old) if old is not None else None,
            after=_fields(card),
            capture_id=capture_id,
        )
    )
    return card, old is not None


def _fields(card: Card) -> dict[str, object]:
    return {
        "name": card.name,
        "closing_day": card.closing_day,
        "due_day": card.due_day,
        "is_default": card.is_default,
    }


def billed(tx: Transaction) -> bool:
    """Whether ``tx`` is a card purchase a default card bills (a recorded credit expense)."""
    return tx.payment_method == CREDIT and tx.kind == "expense" and tx.status is TransactionStatus.RECORDED


def postings_of(tx: Transaction, card: Card) -> list[PostingRow]:
    """Return the postings of card purchase ``tx`` on stored ``card`` (see the module)."""
    assert card.id is not None
    postings = schedule(Purchase(tx.occurred_on, tx.money.amount, tx.money.currency), card, tx.installments)
    bases: list[Decimal | None] = [None] * len(postings)
    if tx.base_amount is not None and tx.base_amount > 0 and tx.base_currency:
        bases = list(split_instalments(tx.base_amount, len(postings), tx.base_currency))
    return [
        PostingRow(
            transaction_id=tx.id,
            number=p.number,
            of=len(postings),
            context_id=tx.context_id,
            card_id=card.id,
            amount=p.amount,
            base_amount=base,
            bill_month=p.bill_month,
        )
        for p, base in zip(postings, bases, strict=True)
    ]


def post_card_purchases(
    uow: AbstractUnitOfWork,
    transactions: Sequence[Transaction],
    actor: uuid.UUID | None,
    capture_id: uuid.UUID | None,
) -> int:
    """Write the postings of the card purchases among ``transactions`` (just added) on their
    ledger's default card; return how many transactions got postings (none without a default
    card, or without a card purchase: then nothing is read)."""
    cards: dict[uuid.UUID, Card | None] = {}
    rows: list[PostingRow] = []
    count = 0
    for tx in transactions:
        if not billed(tx):
            continue
        if tx.context_id not in cards:
            cards[tx.context_id] = uow.cards.default_of(tx.context_id)
        card = cards[tx.context_id]
        if card is None:
            continue
        mine = postings_of(tx, card)
        rows.extend(mine)
        count += 1
        uow.record(
            Event(
                "transaction.billed",
                tx.context_id,
                actor,
                "transaction",
                tx.id,
                after={
                    "card_id": card.id,
                    "postings": [
                        {"number": r.number, "amount": r.amount, "bill_month": r.bill_month} for r in mine
                    ],
                },
                capture_id=capture_id,
            )
        )
    if rows:
        uow.cards.add_postings(rows)
    return count


def refresh_postings(
    uow: AbstractUnitOfWork, tx: Transaction, *, may_add: bool = False, actor: uuid.UUID | None = None
) -> None:
    """Make the postings of ``tx`` follow a change to it (amount, date, instalments, base amount,
    payment method): written again on the card they were on, or deleted when it is no longer a
    card purchase. ``may_add``: a transaction without postings that now is a card purchase gets
    them on the default card (an edit that says "no cartão"); else one without postings is left
    as it is (one query)."""
    card_id = uow.cards.card_of(tx.id)
    if card_id is None:
        if may_add:
            post_card_purchases(uow, [tx], actor, None)
        return
    uow.cards.delete_postings(tx.id)
    card = uow.cards.get(tx.context_id, card_id)
    if card is not None and billed(tx):
        uow.cards.add_postings(postings_of(tx, card))


def wire_card(card: Card) -> CardV1:
    """Return ``card`` (stored) as the contract carries it."""
    assert card.id is not None
    return CardV1(
        card_id=card.id,
        name=card.name,
        closing_day=card.closing_day,
        due_day=card.due_day,
        is_default=card.is_default,
    )


def _money(amount: Decimal) -> Decimal:
    """``amount`` with two decimals, or as many as it needs (a stored NUMERIC has four)."""
    cents = amount.quantize(Decimal("0.01"))
    return cents if cents == amount else amount.normalize()


def _line(line: BillLine, base_currency: str) -> CardBillLineV1:
    """A posting as the bill shows it: its share of the base amount, or (no FX rate known) its
    own amount and currency, flagged ``unvalued``."""
    valued = line.base_amount is not None and line.base_currency == base_currency
    amount = line.base_amount if valued and line.base_amount is not None else line.amount
    return CardBillLineV1(
        transaction_id=line.transaction_id,
        merchant=line.merchant or line.description or None,
        occurred_on=line.occurred_on,
        number=line.number,
        of=line.of,
        amount=_money(amount),
        currency=base_currency if valued else line.currency,
        unvalued=not valued,
    )


def bill_view(
    card: Card, bill: Bill, lines: Sequence[BillLine], base_currency: str, status: BillStatus
) -> CardBillV1:
    """Return ``bill`` of ``card`` with its ``lines`` (all of one month) as the contract carries it:
    the total of the valued lines in ``base_currency``, their count, the unvalued ones apart."""
    assert card.id is not None
    shown = [_line(line, base_currency) for line in lines]
    valued = [line for line in shown if not line.unvalued]
    total = sum((line.amount for line in valued), Decimal(0))
    return CardBillV1(
        card_id=card.id,
        card_name=card.name,
        month=bill.month,
        closing_on=bill.closing,
        due_on=bill.due,
        status=status,
        currency=base_currency,
        total=_money(total),
        count=len(valued),
        unvalued=len(shown) - len(valued),
        lines=tuple(shown[:MAX_LINES]),
    )


def _by_month(lines: Sequence[BillLine]) -> dict[dt.date, list[BillLine]]:
    found: dict[dt.date, list[BillLine]] = {}
    for line in lines:
        found.setdefault(line.bill_month, []).append(line)
    return found


def chat_bills(
    uow: AbstractUnitOfWork, context: LedgerContext, card: Card, today: dt.date
) -> list[CardBillV1]:
    """Return ``card``'s bills a chat shows on ``today`` (see the module), oldest first."""
    assert card.id is not None
    opened = bill_of(today, card)
    closed = bills_after(opened, card, -1)
    first = closed if closed.due >= today else opened
    last = bills_after(opened, card, AHEAD)
    months = _by_month(uow.cards.bill_lines(card.id, first=first.month, last=last.month))
    out = []
    if first is closed:
        out.append(bill_view(card, closed, months.get(closed.month, []), context.base_currency, "closed"))
    out.append(bill_view(card, opened, months.get(opened.month, []), context.base_currency, "open"))
    for k in range(1, AHEAD + 1):
        bill = bills_after(opened, card, k)
        if bill.month in months:
            out.append(bill_view(card, bill, months[bill.month], context.base_currency, "future"))
    return out


def bills_from(
    uow: AbstractUnitOfWork,
    context: LedgerContext,
    card: Card,
    first_month: dt.date,
    months: int,
    today: dt.date,
) -> list[CardBillV1]:
    """Return ``months`` consecutive bills of ``card``, the first due in ``first_month`` (any day
    of it), each with its lines and its status on ``today`` ("past": due before today, "closed":
    closed and not yet due, "open": a purchase today is in it, "future")."""
    assert card.id is not None
    start = bill_due_in(card, first_month)
    end = bills_after(start, card, months - 1)
    by_month = _by_month(uow.cards.bill_lines(card.id, first=start.month, last=end.month))
    opened = bill_of(today, card)
    out = []
    for k in range(months):
        bill = bills_after(start, card, k)
        if bill == opened:
            status: BillStatus = "open"
        elif bill.closing > today:
            status = "future"
        else:
            status = "closed" if bill.due >= today else "past"
        out.append(bill_view(card, bill, by_month.get(bill.month, []), context.base_currency, status))
    return out
