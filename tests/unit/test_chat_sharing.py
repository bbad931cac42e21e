"""Sharing a ledger from chat, through the bus on the fake unit of work.

GIVEN a group's ledger owned by Ana, WHEN she says "/convidar leitor" THEN the bot answers a
code; WHEN Bia sends "/entrar CODE" in her private chat THEN she is a viewer and that chat
records into the group's ledger — so her spending is refused until Ana makes her editor;
"/pessoal" switches her chat back. Codes are taken in private chats only, and once.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from financy.bots.common.render import render_reply
from financy.core.contracts.v1 import CaptureV1, Intent, ProposedTransaction, ReplyKind, Sender, Understanding
from financy.core.domain.membership_commands import ArchiveContext, ChangeRole
from financy.core.domain.model import Role
from financy.core.service.messagebus import MessageBus
from tests.support.groups import group_message, person
from tests.unit.bus import send
from tests.unit.fakes import Store

GROUP = "-100500"


def said(intent: Intent, **fields: object) -> Understanding:
    return Understanding(language="pt", intent=intent, confidence=1.0, **fields)  # type: ignore[arg-type]


def spend(amount: str) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(ProposedTransaction(amount=Decimal(amount), merchant="mercado", category="groceries"),),
        confidence=0.9,
    )


def private(who: Sender, understanding: Understanding) -> CaptureV1:
    return group_message(who, who.platform_user_id, understanding, chat_type="private")


ANA, BIA, CAIO, DUDA = (
    person("111", "Ana"),
    person("222", "Bia"),
    person("333", "Caio"),
    person("444", "Duda"),
)


def group_with_code(bus: MessageBus, store: Store, role: str | None = "leitor") -> tuple[uuid.UUID, str]:
    send(bus, group_message(ANA, GROUP, spend("10")))  # the group's first person owns its ledger
    group_ledger = store.bindings[("telegram", GROUP)]
    reply = send(bus, group_message(ANA, GROUP, said(Intent.INVITE, invite_role=role)))
    assert reply.kind is ReplyKind.INVITATION_CREATED, reply
    assert reply.invite_code is not None
    assert reply.contexts[0].context_id == group_ledger
    return group_ledger, reply.invite_code


def test_invite_join_viewer_refused_promoted_records_and_back_to_personal(
    bus: MessageBus, store: Store
) -> None:
    group_ledger, code = group_with_code(bus, store)
    invite_text = render_reply(
        send(bus, group_message(ANA, GROUP, said(Intent.INVITE, invite_role="viewer")))
    )
    assert "/entrar" in invite_text
    send(bus, private(BIA, said(Intent.HELP)))  # Bia's first contact: her own ledger
    bia = store.identities[("telegram", "222")]
    own = store.bindings[("telegram", "222")]
    joined = send(bus, private(BIA, said(Intent.JOIN, invite_code=code.lower())))
    assert joined.kind is ReplyKind.JOINED
    assert (joined.contexts[0].context_id, joined.contexts[0].role) == (group_ledger, "viewer")
    assert store.members[(group_ledger, bia)] is Role.VIEWER
    assert store.bindings[("telegram", "222")] == group_ledger
    text = render_reply(joined)
    assert "leitor" in text
    assert "/pessoal" in text
    # A viewer is told they can read but not record (not "this chat now records into …").
    assert "não registrar" in text
    assert "agora registra" not in text
    assert "not record" in render_reply(joined.model_copy(update={"language": "en"}))
    refused = send(bus, private(BIA, spend("25")))
    assert refused.kind is ReplyKind.FORBIDDEN
    assert not [t for t in store.transactions if t.author_id == bia]
    ana = store.identities[("telegram", "111")]
    bus.handle(ChangeRole(ana, group_ledger, bia, Role.EDITOR))
    recorded = send(bus, private(BIA, spend("25")))
    assert recorded.kind is ReplyKind.RECORDED
    assert [(t.context_id, t.money.amount) for t in store.transactions if t.author_id == bia] == [
        (group_ledger, Decimal("25"))
    ]
    back = send(bus, private(BIA, said(Intent.PERSONAL)))
    assert back.kind is ReplyKind.CONTEXT_SWITCHED
    assert store.bindings[("telegram", "222")] == own
    send(bus, private(BIA, spend("7")))
    assert [t.context_id for t in store.transactions if t.author_id == bia] == [group_ledger, own]
    names = [e.name for e in store.events if e.context_id == group_ledger]
    assert {"invitation.created", "invitation.accepted", "member.added", "chat.switched"} <= set(names)


def test_a_code_is_used_once_and_only_in_a_private_chat(bus: MessageBus, store: Store) -> None:
    group_ledger, code = group_with_code(bus, store, None)  # no role named: editor
    in_group = send(bus, group_message(CAIO, GROUP, said(Intent.JOIN, invite_code=code)))
    assert in_group.kind is ReplyKind.INVITATION_INVALID
    assert in_group.problem == "invitation_private_only"
    assert send(bus, private(BIA, said(Intent.JOIN, invite_code=code))).kind is ReplyKind.JOINED
    assert store.members[(group_ledger, store.identities[("telegram", "222")])] is Role.EDITOR
    # (Caio, who wrote in the group, is in its ledger as any group member is)
    again = send(bus, private(DUDA, said(Intent.JOIN, invite_code=code)))
    assert (again.kind, again.problem) == (ReplyKind.INVITATION_INVALID, "invitation_used")
    assert (group_ledger, store.identities[("telegram", "444")]) not in store.members
    unknown = send(bus, private(DUDA, said(Intent.JOIN, invite_code="nada")))
    assert unknown.problem == "invitation_unknown"
    for language in ("pt", "en"):
        assert render_reply(again.model_copy(update={"language": language}))


def test_an_editor_cannot_invite_and_an_unknown_role_is_explained(bus: MessageBus, store: Store) -> None:
    group_with_code(bus, store)
    send(bus, group_message(BIA, GROUP, spend("3")))  # Bia joins the group's ledger as editor
    refused = send(bus, group_message(BIA, GROUP, said(Intent.INVITE)))
    assert (refused.kind, refused.problem) == (ReplyKind.FORBIDDEN, "forbidden:manage_members")
    assert "administradores" in render_reply(refused)
    odd = send(bus, group_message(ANA, GROUP, said(Intent.INVITE, invite_role="chefe")))
    assert (odd.kind, odd.problem, odd.invite_role) == (
        ReplyKind.INVITATION_INVALID,
        "invitation_role",
        "owner",
    )
    assert "/convidar leitor" in render_reply(odd)


def test_an_archived_ledger_says_so_in_both_languages(bus: MessageBus, store: Store) -> None:
    group_ledger, _ = group_with_code(bus, store)
    ana = store.identities[("telegram", "111")]
    bus.handle(ArchiveContext(ana, group_ledger))
    reply = send(bus, group_message(ANA, GROUP, spend("9")))
    assert reply.kind is ReplyKind.CONTEXT_ARCHIVED
    assert "arquivado" in render_reply(reply)
    assert "archived" in render_reply(reply.model_copy(update={"language": "en"}))
    assert len(store.transactions) == 1  # only the first, before the archive
