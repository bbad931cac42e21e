"""Shared ledgers through the bus on the fake unit of work: the membership rules and invitations.

GIVEN ledgers with owners, admins, editors and viewers, WHEN roles change, members are removed
or leave, THEN admins never touch owners, nobody grants above their own role and the last owner
stays; invitations are single use, expire, can be revoked, and a refusal changes nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from decimal import Decimal

import pytest

from financy.core.contracts.v1 import Intent, ProposedTransaction, ReplyKind, Understanding
from financy.core.domain.errors import ForbiddenError, NotAMemberError, UnknownCurrencyError
from financy.core.domain.members import (
    ContextRefusedError,
    InvitationError,
    LastOwnerError,
    MemberNotFoundError,
    OwnerProtectedError,
    RoleCeilingError,
    check_grant,
    check_leave,
    check_removal,
    check_role_change,
    invite_code_hash,
    new_invite_code,
    normalize_invite_code,
    role_named,
)
from financy.core.domain.membership_commands import (
    AcceptInvitation,
    ArchiveContext,
    ChangeRole,
    CreateContext,
    CreateInvitation,
    IssuedInvitation,
    LeaveContext,
    RemoveMember,
    RevokeInvitation,
    UpdateContext,
)
from financy.core.domain.model import ContextType, Role
from financy.core.service.messagebus import MessageBus
from tests.support.captures import dev_capture
from tests.unit.bus import send
from tests.unit.fakes import Store

OWNER, ADMIN, EDITOR, VIEWER = Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER


# --------------------------------------------------------------------------- the rules, pure


@pytest.mark.parametrize(
    ("actor", "current", "wanted", "owners", "error"),
    [
        (ADMIN, OWNER, EDITOR, 2, OwnerProtectedError),  # admins never touch owners
        (ADMIN, VIEWER, OWNER, 1, RoleCeilingError),  # nor make anyone owner
        (ADMIN, VIEWER, ADMIN, 1, None),  # up to their own role
        (EDITOR, VIEWER, EDITOR, 1, ForbiddenError),  # editors do not manage members
        (VIEWER, VIEWER, VIEWER, 1, ForbiddenError),
        (None, VIEWER, VIEWER, 1, NotAMemberError),
        (OWNER, VIEWER, OWNER, 1, None),  # owners can make owners
        (OWNER, OWNER, ADMIN, 1, LastOwnerError),  # the last owner is never demoted
        (OWNER, OWNER, ADMIN, 2, None),
    ],
)
def test_role_changes_follow_the_rules(
    actor: Role | None, current: Role, wanted: Role, owners: int, error: type[Exception] | None
) -> None:
    if error is None:
        check_role_change(actor, current, wanted, owners)
    else:
        with pytest.raises(error):
            check_role_change(actor, current, wanted, owners)


def test_removal_and_leaving_keep_an_owner_and_admins_off_owners() -> None:
    with pytest.raises(OwnerProtectedError):
        check_removal(ADMIN, OWNER, 3)
    with pytest.raises(LastOwnerError):
        check_removal(OWNER, OWNER, 1)
    check_removal(OWNER, OWNER, 2)
    check_removal(ADMIN, ADMIN, 1)
    with pytest.raises(ForbiddenError):
        check_removal(EDITOR, VIEWER, 1)
    with pytest.raises(LastOwnerError):
        check_leave(OWNER, 1)
    check_leave(OWNER, 2)
    check_leave(VIEWER, 1)
    with pytest.raises(NotAMemberError):
        check_leave(None, 1)


def test_nobody_grants_above_their_own_role() -> None:
    assert check_grant(ADMIN, ADMIN) is ADMIN
    with pytest.raises(RoleCeilingError, match="admin cannot give the role owner"):
        check_grant(ADMIN, OWNER)
    assert check_grant(OWNER, OWNER) is OWNER


def test_invitation_codes_are_10_symbols_and_typing_mistakes_are_forgiven() -> None:
    code = new_invite_code()
    assert len(code) == 11
    assert code[5] == "-"
    bare = normalize_invite_code(code)
    assert bare is not None
    assert normalize_invite_code(bare.lower()) == bare
    assert normalize_invite_code(" k7qm2 xpdoa ") == "K7QM2XPD0A"  # O read as 0, blanks dropped
    assert normalize_invite_code("K7QM-2XPD") is None  # a link code is 8 symbols
    assert normalize_invite_code("K7QM2XPDUA") is None  # U is not in the alphabet
    assert invite_code_hash("K7QM2XPD0A") != invite_code_hash("K7QM2XPD0B")
    assert len(invite_code_hash("K7QM2XPD0A")) == 64


def test_role_words_in_both_languages() -> None:
    assert role_named("Leitor") is VIEWER
    assert role_named("administrador") is ADMIN
    assert role_named("EDITORA") is EDITOR
    assert role_named("viewer") is VIEWER
    assert role_named("chefe") is None
    assert role_named(None) is None


# --------------------------------------------------------------------------- handlers


def user(bus: MessageBus, store: Store, name: str) -> uuid.UUID:
    """A chat user (their first message makes them and their personal ledger); return their id."""
    send(bus, dev_capture(name, Understanding(language="pt", intent=Intent.HELP, confidence=1.0)))
    return store.identities[("devchat", name)]


def family(bus: MessageBus, owner: uuid.UUID, name: str = "Casa") -> uuid.UUID:
    context_id: uuid.UUID = bus.handle(
        CreateContext(owner, name, ContextType.FAMILY, "brl", "America/Sao_Paulo", "pt-BR")
    )
    return context_id


def invite(
    bus: MessageBus, actor: uuid.UUID, context_id: uuid.UUID, role: Role, hours: int = 72, **kw: object
) -> IssuedInvitation:
    issued: IssuedInvitation = bus.handle(CreateInvitation(actor, context_id, role, hours, **kw))  # type: ignore[arg-type]
    return issued


@pytest.fixture
def people(bus: MessageBus, store: Store) -> dict[str, uuid.UUID]:
    return {name: user(bus, store, name) for name in ("ana", "bia", "caio", "duda")}


def test_creating_a_ledger_makes_the_creator_owner_with_events(
    bus: MessageBus, store: Store, people: dict[str, uuid.UUID]
) -> None:
    ana = people["ana"]
    context_id = family(bus, ana)
    context = store.contexts[context_id]
    assert (context.name, context.type, context.base_currency, context.locale) == (
        "Casa",
        ContextType.FAMILY,
        "BRL",
        "pt-BR",
    )
    assert store.members[(context_id, ana)] is OWNER
    names = [e.name for e in store.events if e.context_id == context_id]
    assert names == ["context.created", "member.added"]
    with pytest.raises(UnknownCurrencyError):
        bus.handle(CreateContext(ana, "X", ContextType.TRAVEL, "XYZ", "America/Sao_Paulo", "en"))


def test_admin_cannot_demote_or_remove_an_owner_and_nothing_changes(
    bus: MessageBus, store: Store, people: dict[str, uuid.UUID]
) -> None:
    ana, bia = people["ana"], people["bia"]
    context_id = family(bus, ana)
    accepted = bus.handle(AcceptInvitation(bia, invite(bus, ana, context_id, ADMIN).code))
    assert accepted == (context_id, ADMIN)
    before = copy.deepcopy(store.members), len(store.events)
    with pytest.raises(OwnerProtectedError):
        bus.handle(ChangeRole(bia, context_id, ana, EDITOR))
    with pytest.raises(OwnerProtectedError):
        bus.handle(RemoveMember(bia, context_id, ana))
    with pytest.raises(RoleCeilingError):
        bus.handle(ChangeRole(bia, context_id, bia, OWNER))
    with pytest.raises(RoleCeilingError):
        invite(bus, bia, context_id, OWNER)
    assert (store.members, len(store.events)) == before


def test_the_last_owner_cannot_leave_or_be_demoted_until_there_is_another(
    bus: MessageBus, store: Store, people: dict[str, uuid.UUID]
) -> None:
    ana, bia = people["ana"], people["bia"]
    context_id = family(bus, ana)
    with pytest.raises(LastOwnerError):
        bus.handle(LeaveContext(ana, context_id))
    with pytest.raises(LastOwnerError):
        bus.handle(ChangeRole(ana, context_id, ana, ADMIN))
    bus.handle(AcceptInvitation(bia, invite(bus, ana, context_id, OWNER).code))
    assert store.members[(context_id, bia)] is OWNER
    bus.handle(LeaveContext(ana, context_id))
    assert (context_id, ana) not in store.members
    left = [e for e in store.events if e.name == "member.left"]
    assert len(left) == 1
    assert left[0].before == {"user_id": ana, "role": "owner"}


def test_an_owner_changes_roles_and_removes_with_audit_events(
    bus: MessageBus, store: Store, people: dict[str, uuid.UUID]
) -> None:
    ana, bia = people["ana"], people["bia"]
    context_id = family(bus, ana)
    bus.handle(AcceptInvitation(bia, invite(bus, ana, context_id, VIEWER).code))
    assert bus.handle(ChangeRole(ana, context_id, bia, EDITOR)) is EDITOR
    changed = [e for e in store.events if e.name == "member.role_changed"]
    assert [(e.before, e.after, e.actor_id) for e in changed] == [
        ({"user_id": bia, "role": "viewer"}, {"user_id": bia, "role": "editor"}, ana)
    ]
    bus.handle(RemoveMember(ana, context_id, bia))
    assert (context_id, bia) not in store.members
    assert [e.name for e in store.events if e.entity_id == bia and e.context_id == context_id][-1] == (
        "member.removed"
    )
    with pytest.raises(MemberNotFoundError):
        bus.handle(RemoveMember(ana, context_id, bia))


def test_an_editor_cannot_invite_or_manage(
    bus: MessageBus, store: Store, people: dict[str, uuid.UUID]
) -> None:
    ana, bia, caio = people["ana"], people["bia"], people["caio"]
    context_id = family(bus, ana)
    bus.handle(AcceptInvitation(bia, invite(bus, ana, context_id, EDITOR).code))
    with pytest.raises(ForbiddenError):
        invite(bus, bia, context_id, VIEWER)
    with pytest.raises(NotAMemberError):
        invite(bus, caio, context_id, VIEWER)
    with pytest.raises(ForbiddenError):
        bus.handle(UpdateContext(bia, context_id, name="Minha"))


def test_an_invitation_works_once(bus: MessageBus, store: Store, people: dict[str, uuid.UUID]) -> None:
    ana, bia, caio = people["ana"], people["bia"], people["caio"]
    context_id = family(bus, ana)
    issued = invite(bus, ana, context_id, VIEWER)
    assert bus.handle(AcceptInvitation(bia, issued.code.lower())) == (context_id, VIEWER)
    assert store.members[(context_id, bia)] is VIEWER
    before = copy.deepcopy(store.members)
    with pytest.raises(InvitationError) as used:
        bus.handle(AcceptInvitation(caio, issued.code))
    assert (used.value.key, used.value.status) == ("invitation_used", 410)
    assert store.members == before
    names = [e.name for e in store.events if e.context_id == context_id]
    assert names.count("invitation.accepted") == 1
    assert names.count("invitation.created") == 1


def test_expired_revoked_unknown_and_stale_invitations_change_nothing(
    bus: MessageBus, store: Store, people: dict[str, uuid.UUID]
) -> None:
    ana, bia, caio, duda = people["ana"], people["bia"], people["caio"], people["duda"]
    context_id = family(bus, ana)
    old = invite(bus, ana, context_id, EDITOR, 1, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    revoked = invite(bus, ana, context_id, EDITOR)
    bus.handle(RevokeInvitation(ana, context_id, revoked.id))
    # caio becomes admin, invites, then is demoted: his invitation stops working
    bus.handle(AcceptInvitation(caio, invite(bus, ana, context_id, ADMIN).code))
    stale = invite(bus, caio, context_id, ADMIN)
    bus.handle(ChangeRole(ana, context_id, caio, EDITOR))
    members = copy.deepcopy(store.members)
    for code, key, status in (
        (old.code, "invitation_expired", 410),
        (revoked.code, "invitation_revoked", 410),
        ("ZZZZZ-ZZZZZ", "invitation_unknown", 404),
        ("not a code", "invitation_unknown", 404),
        (stale.code, "invitation_revoked", 410),
    ):
        with pytest.raises(InvitationError) as refused:
            bus.handle(AcceptInvitation(bia, code))
        assert (refused.value.key, refused.value.status) == (key, status), code
    assert store.members == members
    with pytest.raises(InvitationError) as twice:
        bus.handle(RevokeInvitation(ana, context_id, revoked.id))
    assert twice.value.key == "invitation_revoked"
    with pytest.raises(InvitationError) as elsewhere:
        bus.handle(RevokeInvitation(duda, family(bus, duda), revoked.id))
    assert elsewhere.value.status == 404  # another ledger's invitation is not found
    with pytest.raises(ValueError, match="expires_in_hours"):
        invite(bus, ana, context_id, EDITOR, 721)


def test_base_currency_changes_only_while_the_ledger_is_empty(
    bus: MessageBus, store: Store, people: dict[str, uuid.UUID]
) -> None:
    ana = people["ana"]
    empty = family(bus, ana, "Viagem")
    assert bus.handle(UpdateContext(ana, empty, base_currency="usd", time_zone="America/New_York")) == {
        "base_currency": "USD",
        "time_zone": "America/New_York",
    }
    personal = store.bindings[("devchat", "ana")]
    send(bus, dev_capture("ana", spend("12.50")))
    with pytest.raises(ContextRefusedError) as locked:
        bus.handle(UpdateContext(ana, personal, name="Meu", base_currency="USD"))
    assert (locked.value.status, locked.value.key) == (409, "base_currency_locked")
    assert store.contexts[personal].base_currency == "BRL"
    assert store.contexts[personal].name != "Meu"  # nothing of the refused change was made
    updated = [e for e in store.events if e.name == "context.updated"]
    assert len(updated) == 1


def spend(amount: str) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(ProposedTransaction(amount=Decimal(amount), merchant="mercado", category="groceries"),),
        confidence=0.9,
    )


def test_an_archived_ledger_takes_no_records_from_chat(
    bus: MessageBus, store: Store, people: dict[str, uuid.UUID]
) -> None:
    ana = people["ana"]
    personal = store.bindings[("devchat", "ana")]
    assert bus.handle(ArchiveContext(ana, personal)) is not None
    assert bus.handle(ArchiveContext(ana, personal)) is not None  # again: no second event
    reply = send(bus, dev_capture("ana", spend("30")))
    assert reply.kind is ReplyKind.CONTEXT_ARCHIVED
    assert reply.contexts[0].context_id == personal
    assert not store.transactions
    assert bus.handle(ArchiveContext(ana, personal, archived=False)) is None
    assert send(bus, dev_capture("ana", spend("30"))).kind is ReplyKind.RECORDED
    names = [e.name for e in store.events if e.name.startswith("context.")]
    assert names.count("context.archived") == 1
    assert names.count("context.unarchived") == 1
