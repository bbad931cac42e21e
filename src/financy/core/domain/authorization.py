"""Who may do what in a ledger context: the one authorization rule (DESIGN §4 roles).

Every API route and every chat command asks :func:`authorize` with the caller's role in the
context (``None`` when they are not a member) and the :class:`Action` they attempt. Roles, strongest
first: owner (everything, including deleting the context), admin (members and settings, but never
an owner), editor (records and changes any entry of the context), viewer (reads only). The split
follows Firefly III's and Actual Budget's shared-budget roles and Splitwise's group members.
"""

from __future__ import annotations

from enum import StrEnum

from financy.core.domain.errors import ForbiddenError, NotAMemberError
from financy.core.domain.model import Role


class Action(StrEnum):
    """What a member attempts in a context."""

    READ = "read"  # list transactions, captures and originals; ask "how much did I spend?"
    RECORD = "record"  # add transactions (chat or API); undo, confirm or recategorise one's own
    EDIT = "edit"  # change, split or delete any entry; categories, budgets
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove (admins never touch owners)
    MANAGE_CONTEXT = "manage_context"  # rename, archive, change currency, time zone or locale
    DELETE_CONTEXT = "delete_context"  # delete the ledger or hand over ownership


_READER = frozenset({Action.READ})
_EDITOR = _READER | {Action.RECORD, Action.EDIT}
_ADMIN = _EDITOR | {Action.MANAGE_MEMBERS, Action.MANAGE_CONTEXT}
_OWNER = _ADMIN | {Action.DELETE_CONTEXT}

#: The actions each role allows. A role lower in the list never allows more than one above it.
ALLOWED: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(_OWNER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.EDITOR: frozenset(_EDITOR),
    Role.VIEWER: _READER,
}


def allows(role: Role | None, action: Action) -> bool:
    """Return whether a member with ``role`` (``None``: not a member) may do ``action``."""
    return role is not None and action in ALLOWED[role]


def authorize(role: Role | None, action: Action) -> Role:
    """Return ``role`` if it allows ``action`` in the context; raise otherwise.

    ``role`` is the caller's role in the context as stored (``None`` when they have none); the
    caller looks it up for the user it authenticated, never from what a client says.

    Raises:
        NotAMemberError: ``role`` is ``None`` (the API answers 404 or 403 alike, so ids cannot be probed).
        ForbiddenError: the role does not allow ``action`` (a viewer trying to record, say).
    """
    if role is None:
        raise NotAMemberError("not a member of this context")
    if action not in ALLOWED[role]:
        raise ForbiddenError(role.value, action.value)
    return role
