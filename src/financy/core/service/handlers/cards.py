"""Credit cards from a chat: "/cartao Nubank fecha 5 vence 12" sets one up, "/fatura" shows its bills.

* :class:`SetCard` (:attr:`Intent.CARD`, needs :attr:`Action.EDIT`): with a name and both days
  the card is set up (or the ledger's card of that name gets the new days) and the reply,
  :attr:`ReplyKind.CARD_SET`, shows it; a name without both days is answered ``card_days`` (how to
  say them); nothing said, ``card_how`` with the ledger's cards.
* :class:`AskCardBill` ("/fatura", "quanto tá a fatura do cartão?": the ``card_bill`` ask of a
  question; any member may ask): :attr:`ReplyKind.CARD_BILL` with every card's bill not yet due,
  its open bill and the next ones that have instalments (``service.cards``); a ledger without a
  card is answered ``no_card`` (the reply says how to set one up).
* :class:`SaveCard`: the API's set-up (``entrypoints/api/cards.py``).
"""

from __future__ import annotations

from financy.core.contracts.v1 import CardV1, Intent, ReplyKind, ReplyV1, Understanding
from financy.core.domain.authorization import Action, authorize
from financy.core.domain.card_commands import AskCardBill, CardAsked, SaveCard, SetCard
from financy.core.domain.commands import ChatMessage
from financy.core.domain.errors import NotAMemberError
from financy.core.service import cards
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat, local_date
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork


def _decide_set(cmd: SetCard, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    said = cmd.card
    if said.name is None and said.closing_day is None and said.due_day is None:
        listed = [cards.wire_card(c) for c in uow.cards.of_context(scope.context.id)]
        return Outcome(ReplyKind.CARD_SET, problem="card_how", cards=listed)
    if said.name is None or said.closing_day is None or said.due_day is None:
        return Outcome(ReplyKind.CARD_SET, problem="card_days")
    return Outcome(ReplyKind.CARD_SET)


def _apply_set(cmd: SetCard, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    if outcome.kind is not ReplyKind.CARD_SET or outcome.problem is not None:
        return
    said = cmd.card
    assert said.name is not None
    assert said.closing_day is not None
    assert said.due_day is not None
    card, replaced = cards.set_card(
        uow,
        scope.context,
        actor=scope.author_id,
        name=said.name,
        closing_day=said.closing_day,
        due_day=said.due_day,
        make_default=True if said.make_default else None,
        capture_id=cmd.message.capture_id,
    )
    outcome.cards = [cards.wire_card(card)]
    outcome.problem = "replaced" if replaced else None


def set_card(cmd: SetCard, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Set up or change a card of the chat's ledger (editors and above); ``None`` for a duplicate."""
    return handle_chat(cmd, uow, defaults, action=Action.EDIT, decide=_decide_set, apply=_apply_set)


def _decide_bill(cmd: AskCardBill, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    return Outcome(ReplyKind.CARD_BILL)


def _apply_bill(cmd: AskCardBill, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    if outcome.kind is not ReplyKind.CARD_BILL:
        return
    found = uow.cards.of_context(scope.context.id)
    if not found:
        outcome.problem = "no_card"
        return
    today = local_date(cmd.message.received_at, scope.context.time_zone)
    outcome.cards = [cards.wire_card(c) for c in found]
    outcome.card_bills = [b for card in found for b in cards.chat_bills(uow, scope.context, card, today)]


def ask_card_bill(cmd: AskCardBill, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Show the chat ledger's card bills (any member); ``None`` for a duplicate."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide_bill, apply=_apply_bill)


def save_card(cmd: SaveCard, uow: AbstractUnitOfWork) -> tuple[CardV1, bool]:
    """Set up or change a card (API); return it and whether a card of that name existed.

    Raises:
        NotAMemberError, ForbiddenError: the actor may not edit the context.
        InvalidCardError: a bad name or day (nothing is changed).
    """
    context = uow.contexts.get(cmd.context_id)
    if context is None:
        raise NotAMemberError("not a member of this context")
    authorize(uow.contexts.role_of(cmd.context_id, cmd.actor_id), Action.EDIT)
    card, replaced = cards.set_card(
        uow,
        context,
        actor=cmd.actor_id,
        name=cmd.name,
        closing_day=cmd.closing_day,
        due_day=cmd.due_day,
        make_default=cmd.is_default,
    )
    return cards.wire_card(card), replaced


def card_command(message: ChatMessage, understanding: Understanding) -> SetCard:
    """The :class:`SetCard` of a card message (``understanding.card``; none: nothing said)."""
    said = understanding.card
    if said is None:
        return SetCard(message, CardAsked())
    return SetCard(message, CardAsked(said.name, said.closing_day, said.due_day, said.make_default))


REGISTRATIONS = (
    Registration(SetCard, set_card, {Intent.CARD: card_command}),
    Registration(AskCardBill, ask_card_bill),
    Registration(SaveCard, save_card),
)
