"""Which ledger a chat records into: "/contexto" lists the sender's ledgers, "/contexto X" switches.

The list is every ledger the sender is a member of, personal ones first, then by name (case
and accents folded), the chat's own marked ``current``. A choice is a 1-based number in that
order, or a name: an exact match (case and accents folded) wins, else a unique prefix. Only a
private chat switches (its binding then points at the chosen ledger, ``chat.switched``); a
group's ledger is fixed (``forbidden``, problem ``group_ledger_fixed``). A choice that names no
ledger (or several) is answered ``unknown_context`` with the list.
"""

from __future__ import annotations

import unicodedata

from financy.core.contracts.v1 import ContextChoice, Intent, ReplyKind, ReplyV1
from financy.core.domain.authorization import Action
from financy.core.domain.commands import ListOrSwitchContext
from financy.core.domain.events import Event
from financy.core.domain.model import ContextType, LedgerContext, Role
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork

GROUP_LEDGER_FIXED = "group_ledger_fixed"


def fold(name: str) -> str:
    """Return ``name`` as choices compare it: case-folded, accents removed, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def ordered(memberships: list[tuple[LedgerContext, Role]]) -> list[tuple[LedgerContext, Role]]:
    """Return ``memberships`` in the list's order: personal ledgers first, then by folded name
    (ties by id, so the order never changes between two lists)."""
    return sorted(
        memberships, key=lambda m: (m[0].type is not ContextType.PERSONAL, fold(m[0].name), m[0].id)
    )


def choose(choice: str, options: list[tuple[LedgerContext, Role]]) -> tuple[LedgerContext, Role] | None:
    """Return the ledger ``choice`` names among ``options`` (in list order): a 1-based number, an
    exact folded name, else a unique folded prefix; ``None`` when it names none or several."""
    wanted = fold(choice)
    if not wanted:
        return None
    if wanted.isdecimal():
        index = int(wanted)
        return options[index - 1] if 1 <= index <= len(options) else None
    exact = [o for o in options if fold(o[0].name) == wanted]
    if exact:
        return exact[0] if len(exact) == 1 else None
    prefixed = [o for o in options if fold(o[0].name).startswith(wanted)]
    return prefixed[0] if len(prefixed) == 1 else None


def _choice(context: LedgerContext, role: Role, current: bool) -> ContextChoice:
    return ContextChoice(
        context_id=context.id, name=context.name, type=context.type.value, role=role.value, current=current
    )


def _decide(cmd: ListOrSwitchContext, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    if scope.author_id is None:
        return Outcome(ReplyKind.FORBIDDEN, problem=GROUP_LEDGER_FIXED)
    options = ordered(uow.contexts.memberships(scope.author_id))
    listed = [_choice(c, r, c.id == scope.context.id) for c, r in options]
    if cmd.choice is None or not cmd.choice.strip():
        # In a group the list says the group's ledger is fixed, instead of how to switch.
        fixed = GROUP_LEDGER_FIXED if scope.chat_type == "group" else None
        return Outcome(ReplyKind.CONTEXTS, problem=fixed, contexts=listed)
    if scope.chat_type == "group":
        return Outcome(ReplyKind.FORBIDDEN, problem=GROUP_LEDGER_FIXED)
    chosen = choose(cmd.choice, options)
    if chosen is None:
        # With the list, so the sender sees what they may choose.
        return Outcome(ReplyKind.UNKNOWN_CONTEXT, contexts=listed)
    context, role = chosen
    return Outcome(ReplyKind.CONTEXT_SWITCHED, contexts=[_choice(context, role, True)])


def _apply(cmd: ListOrSwitchContext, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    if outcome.kind is not ReplyKind.CONTEXT_SWITCHED or outcome.contexts[0].context_id == scope.context.id:
        return
    message = cmd.message
    chosen = outcome.contexts[0].context_id
    # The sender's membership was read in this unit of work; check it again under the chat's lock.
    uow.lock(f"chat:{message.platform}:{message.chat_id}")
    binding = uow.contexts.binding(message.platform, message.chat_id)
    if binding is None or uow.contexts.role_of(chosen, scope.user_id) is None:
        outcome.kind, outcome.contexts = ReplyKind.UNKNOWN_CONTEXT, []
        return
    uow.contexts.rebind(binding.id, chosen)
    uow.record(
        Event(
            "chat.switched",
            chosen,
            scope.user_id,
            "chat_binding",
            binding.id,
            before={"context_id": binding.context.id},
            after={"context_id": chosen, "platform": message.platform, "chat_id": message.chat_id},
            capture_id=message.capture_id,
        )
    )


def list_or_switch_context(
    cmd: ListOrSwitchContext, uow: AbstractUnitOfWork, defaults: ContextDefaults
) -> ReplyV1 | None:
    """List the sender's ledgers, or switch this private chat to the one ``cmd.choice`` names
    (see the module); ``None`` for a redelivery."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide, apply=_apply)


REGISTRATIONS = (
    Registration(
        ListOrSwitchContext,
        list_or_switch_context,
        {
            Intent.CONTEXTS: lambda message, understanding: ListOrSwitchContext(
                message, understanding.context_choice
            )
        },
    ),
)
