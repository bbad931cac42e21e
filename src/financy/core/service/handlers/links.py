"""Linking a chat identity to a signed-in account with a one-time code ("/start K7QM-2XPD").

The API issues the code (:func:`issue_link_code`; only its sha256 is stored). Linking takes two
messages from the chat (:func:`link_identity`), as "log in to X as Y?" prompts do:

1. the code ("/start CODE" from a deep link, or the bare code): checked and, when valid,
   answered ``link_confirm`` naming the code's account (username and display name) with a
   button to confirm. Nothing changes and the code is not consumed (only the question is
   written down, as a ``link_code.asked`` event): someone who was made to tap a deep link that
   another account made sees whose account it is and can ignore it.
2. the confirmation ("/vincular CODE", "/link CODE": the button's message, ``confirmed``):
   checked again; one this chat identity was never asked for in this same chat (typed in,
   prefilled by a ``wa.me``/``t.me`` link someone else made, so a single tap and send, or
   pressed in another chat) is answered as step 1.
   Then the chat identity moves to the code's account, and the user the core
   made for the identity at first contact is folded into the account: its ledgers (the
   stronger role where both are members), its other identities, its captures and transactions
   become the account's, so the same person's chats and dashboard see one set of ledgers.
   Audit events stay as they were written. The code is consumed in the same unit of work as
   the capture is claimed, so a redelivered confirmation changes nothing.

Codes are only taken in a private chat: in a group everyone would see the question (naming the
account) and could press its button, so any link message there is answered ``link_invalid``
with problem ``link_private_only`` and nothing is looked up or consumed. A code sent from an
identity that already is the code's account's is used up (a copy that leaked stays no good).

Answers: ``link_confirm`` (step 1), ``linked`` (step 2, or any step when the identity already is
the code's account's); ``link_invalid`` with problem ``link_private_only`` (a group chat),
``link_unknown`` (no such code), ``link_used``, ``link_expired``, or ``link_identity_taken``
(the identity belongs to another login account, which is never merged away).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from financy.core.contracts.v1 import Intent, ReplyKind, ReplyV1, Understanding
from financy.core.domain.authorization import Action
from financy.core.domain.commands import (
    ChatCommand,
    ChatMessage,
    IssuedLinkCode,
    IssueLinkCode,
    LinkIdentity,
)
from financy.core.domain.events import Event
from financy.core.domain.links import code_hash, new_code, normalize_code, shown_code
from financy.core.service.handlers.chat import ChatScope, Outcome, handle_chat
from financy.core.service.handlers.users import ContextDefaults
from financy.core.service.registry import Registration
from financy.core.service.unit_of_work import AbstractUnitOfWork, LinkCode
from financy.runtime.ids import uuid7

LINK_UNKNOWN = "link_unknown"
LINK_USED = "link_used"
LINK_EXPIRED = "link_expired"
LINK_IDENTITY_TAKEN = "link_identity_taken"
LINK_PRIVATE_ONLY = "link_private_only"


def issue_link_code(cmd: IssueLinkCode, uow: AbstractUnitOfWork) -> IssuedLinkCode:
    """Store a new one-time code of ``cmd.user_id`` valid ``cmd.ttl_s`` seconds and return it as
    shown (the only time it is: the store keeps its sha256). Writes ``link_code.issued``.

    Raises:
        ValueError: ``cmd.ttl_s`` is not positive, or ``cmd.now`` is naive.
    """
    if cmd.ttl_s <= 0:
        raise ValueError("a link code needs a positive lifetime")
    now = cmd.now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    shown = new_code()
    normalised = normalize_code(shown)
    assert normalised is not None
    expires_at = (now + dt.timedelta(seconds=cmd.ttl_s)).astimezone(dt.UTC)
    link_id = uuid7()
    uow.links.add(link_id, code_hash(normalised), cmd.user_id, expires_at)
    uow.record(
        Event("link_code.issued", None, cmd.user_id, "link_code", link_id, after={"expires_at": expires_at})
    )
    return IssuedLinkCode(shown, expires_at)


@dataclass
class _LinkOutcome(Outcome):
    """What :func:`_decide` found: the code to consume (``None``: nothing to write), or with
    ``ask`` the code the sender is asked to confirm (only that question is written down)."""

    code: LinkCode | None = None
    ask: bool = False


def _decide(cmd: LinkIdentity, scope: ChatScope, uow: AbstractUnitOfWork) -> Outcome:
    message = cmd.message
    if message.chat_type == "group" or scope.chat_type == "group":
        # Everyone in the group sees the code and the question's button: nothing is looked up,
        # named or consumed; the code stays good for a private chat.
        return Outcome(ReplyKind.LINK_INVALID, problem=LINK_PRIVATE_ONLY)
    normalised = normalize_code(cmd.code)
    found = uow.links.find(code_hash(normalised)) if normalised else None
    if found is None:
        return Outcome(ReplyKind.LINK_INVALID, problem=LINK_UNKNOWN)
    if found.user_id == scope.user_id:
        # Already this account's identity (a second "/start CODE", or one linked when the login was
        # made): nothing to ask, and the code is used up (a copy that leaked must not stay good).
        return _LinkOutcome(ReplyKind.LINKED, code=found if found.used_at is None else None)
    if found.used_at is not None:
        return Outcome(ReplyKind.LINK_INVALID, problem=LINK_USED)
    if found.expires_at <= dt.datetime.now(dt.UTC):
        return Outcome(ReplyKind.LINK_INVALID, problem=LINK_EXPIRED)
    if uow.users.has_login(scope.user_id):
        return Outcome(ReplyKind.LINK_INVALID, problem=LINK_IDENTITY_TAKEN)
    if not cmd.confirmed or not uow.links.was_asked(
        found.id, message.platform, message.sender_id, chat_id=message.chat_id
    ):
        # A confirmation this identity was never asked for in this chat (a "/vincular CODE" typed
        # in, prefilled by someone else's link, or pressed elsewhere) is answered with the question.
        assert normalised is not None  # found by it
        username, display_name = uow.users.names_of(found.user_id) or (None, None)
        return _LinkOutcome(
            ReplyKind.LINK_CONFIRM,
            link_account=_one_line(username),
            link_account_name=_one_line(display_name),
            link_code=shown_code(normalised),
            code=found,
            ask=True,
        )
    return _LinkOutcome(ReplyKind.LINKED, code=found)


def _one_line(name: str | None, limit: int = 200) -> str | None:
    """``name`` on one line and at most ``limit`` characters (``None`` when blank): the account's
    owner chose it, and it is shown to someone else."""
    text = " ".join((name or "").split())[:limit]
    return text or None


def _apply(cmd: LinkIdentity, scope: ChatScope, outcome: Outcome, uow: AbstractUnitOfWork) -> None:
    if not isinstance(outcome, _LinkOutcome) or outcome.code is None:
        return
    message, code = cmd.message, outcome.code
    if outcome.ask:
        uow.record(
            Event(
                "link_code.asked",
                None,
                scope.user_id,
                "link_code",
                code.id,
                after={
                    "platform": message.platform,
                    "platform_user_id": message.sender_id,
                    "chat_id": message.chat_id,
                    "user_id": code.user_id,
                },
                capture_id=message.capture_id,
            )
        )
        return
    uow.links.mark_used(
        code.id, at=dt.datetime.now(dt.UTC), platform=message.platform, platform_user_id=message.sender_id
    )
    if code.user_id == scope.user_id:
        return
    # The key resolve_user and create_user take for this identity: no first contact races the move.
    uow.lock(f"identity:{message.platform}:{message.sender_id}")
    identity_id = uow.users.move_identity(message.platform, message.sender_id, code.user_id)
    assert identity_id is not None  # the envelope resolved the sender through this identity
    uow.users.merge(scope.user_id, code.user_id)
    uow.record(
        Event(
            "identity.linked",
            None,
            code.user_id,
            "channel_identity",
            identity_id,
            before={"user_id": scope.user_id},
            after={
                "platform": message.platform,
                "platform_user_id": message.sender_id,
                "user_id": code.user_id,
            },
            capture_id=message.capture_id,
            extra={"link_code_id": str(code.id), "merged_user_id": str(scope.user_id)},
        )
    )


def link_identity(cmd: LinkIdentity, uow: AbstractUnitOfWork, defaults: ContextDefaults) -> ReplyV1 | None:
    """Ask the sender to confirm linking their chat identity to the account of ``cmd.code``, or
    with ``cmd.confirmed`` link it (see the module); ``None`` for a duplicate delivery."""
    return handle_chat(cmd, uow, defaults, action=Action.READ, decide=_decide, apply=_apply)


def _link_command(message: ChatMessage, understanding: Understanding) -> ChatCommand:
    # No code read: answered as an unknown code, so the user is told what to send.
    return LinkIdentity(message, understanding.link_code or "", confirmed=understanding.link_confirmed)


REGISTRATIONS = (
    Registration(IssueLinkCode, issue_link_code),
    Registration(LinkIdentity, link_identity, {Intent.LINK: _link_command}),
)
