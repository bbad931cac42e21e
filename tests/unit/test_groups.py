"""Groups as shared ledgers on the message bus with an in-memory unit of work.

GIVEN captures of group chats as an edge sends them (chat events, messages of people and of
channels), WHEN the ingest path turns them into commands, THEN the group's ledger, its members,
the payers, the bindings and the replies are what the product promises.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from decimal import Decimal

from financy.core.contracts.v1 import Intent, ReplyKind
from financy.core.domain.commands import BindGroup, ClaimPayer, ListOrSwitchContext, MigrateChat, UnbindGroup
from financy.core.domain.model import ContextType, Role, TransactionStatus
from financy.core.service import handlers
from financy.core.service.handlers import command_for
from financy.core.service.handlers.contexts import choose, fold, ordered
from financy.core.service.messagebus import MessageBus
from tests.support.captures import dev_capture, said
from tests.support.groups import channel, chat_event, group_message, person, spend, total
from tests.unit.bus import send
from tests.unit.fakes import Store

GROUP = "-1001"


def user(store: Store, platform_user_id: str) -> uuid.UUID:
    return store.identities[("telegram", platform_user_id)]


def group_ledger(store: Store, chat: str = GROUP) -> uuid.UUID:
    return store.bindings[("telegram", chat)]


def members(store: Store, context_id: uuid.UUID) -> dict[uuid.UUID, Role]:
    return {u: r for (c, u), r in store.members.items() if c == context_id}


def test_chat_events_and_the_new_intents_become_their_commands() -> None:
    ana = person("ana")
    assert type(command_for(chat_event(ana, GROUP, "bot_added", title="Casa"))) is BindGroup
    assert type(command_for(chat_event(ana, GROUP, "bot_removed"))) is UnbindGroup
    migrated = command_for(chat_event(ana, GROUP, "migrated", migrate_to="-1002"))
    assert isinstance(migrated, MigrateChat)
    assert migrated.new_chat_id == "-1002"
    assert type(command_for(group_message(ana, GROUP, said(Intent.CLAIM_PAYER)))) is ClaimPayer
    switch = command_for(group_message(ana, GROUP, said(Intent.CONTEXTS, context_choice="Casa")))
    assert isinstance(switch, ListOrSwitchContext)
    assert switch.choice == "Casa"
    # The adder is the owner: listed among the admins too, they are not made an admin as well.
    added = command_for(
        chat_event(ana, GROUP, "bot_added", admins=(person("ana", admin=True), person("bob"), channel("c1")))
    )
    assert isinstance(added, BindGroup)
    assert [a.platform_user_id for a in added.admins] == ["bob"]


def test_the_new_intents_have_translators() -> None:
    assert {Intent.CONTEXTS, Intent.CLAIM_PAYER} <= set(handlers.TRANSLATORS)
    assert set(handlers.CHAT_EVENT_TRANSLATORS) == {"bot_added", "bot_removed", "migrated"}


def test_adding_the_bot_makes_a_family_ledger_with_owner_and_admins(bus: MessageBus, store: Store) -> None:
    reply = send(
        bus,
        chat_event(
            person("ana"),
            GROUP,
            "bot_added",
            title="Casa Silva",
            admins=(person("bob", admin=True), channel("anon-admin")),
        ),
    )
    assert reply.kind is ReplyKind.GROUP_BOUND
    assert not reply.silent
    context_id = group_ledger(store)
    context = store.contexts[context_id]
    assert (context.name, context.type, context.base_currency) == ("Casa Silva", ContextType.FAMILY, "BRL")
    assert members(store, context_id) == {user(store, "ana"): Role.OWNER, user(store, "bob"): Role.ADMIN}
    assert ("telegram", "anon-admin") not in store.identities
    assert store.binding_meta[("telegram", GROUP)]["chat_type"] == "group"
    assert store.binding_meta[("telegram", GROUP)]["title"] == "Casa Silva"
    ((choice),) = reply.contexts
    assert (choice.context_id, choice.name, choice.type, choice.role, choice.current) == (
        context_id,
        "Casa Silva",
        "family",
        "owner",
        True,
    )
    in_group = [e.name for e in store.events if e.context_id == context_id]
    assert in_group == ["context.created", "member.added", "member.added", "chat.bound", "capture.received"]
    # Ana and Bob got their own personal ledgers too, as on any first contact.
    assert sum(1 for c in store.contexts.values() if c.type is ContextType.PERSONAL) == 2


def test_a_redelivered_bot_added_changes_nothing(bus: MessageBus, store: Store) -> None:
    event = chat_event(person("ana"), GROUP, "bot_added", title="Casa", message_id="ev1")
    send(bus, event)
    before = (len(store.contexts), len(store.members), len(store.events), len(store.outbox))
    assert bus.handle(command_for(event.model_copy(update={"capture_id": uuid.uuid4()}))) is None
    assert (len(store.contexts), len(store.members), len(store.events), len(store.outbox)) == before


def test_removed_then_added_again_binds_the_same_ledger(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    context_id = group_ledger(store)
    removed = send(bus, chat_event(person("ana"), GROUP, "bot_removed"))
    assert (removed.kind, removed.silent) == (ReplyKind.GROUP_UNBOUND, True)
    assert store.binding_meta[("telegram", GROUP)]["active"] is False
    assert [e.name for e in store.events if e.name.startswith("chat.")] == ["chat.bound", "chat.unbound"]
    again = send(bus, chat_event(person("bob"), GROUP, "bot_added", title="Casa nova"))
    assert again.kind is ReplyKind.GROUP_BOUND
    assert group_ledger(store) == context_id
    assert (again.contexts[0].context_id, again.contexts[0].role) == (context_id, "editor")
    assert members(store, context_id) == {user(store, "ana"): Role.OWNER, user(store, "bob"): Role.EDITOR}
    assert store.binding_meta[("telegram", GROUP)]["active"] is True
    assert store.binding_meta[("telegram", GROUP)]["title"] == "Casa nova"
    assert len([c for c in store.contexts.values() if c.type is ContextType.FAMILY]) == 1


def test_removing_the_bot_from_a_group_never_seen_keeps_nothing(bus: MessageBus, store: Store) -> None:
    reply = send(bus, chat_event(person("ana"), GROUP, "bot_removed"))
    assert (reply.kind, reply.silent) == (ReplyKind.GROUP_UNBOUND, True)
    assert store.identities == {}
    assert store.captures == {}


def test_people_writing_in_the_group_join_its_ledger(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    context_id = group_ledger(store)
    for who, amount in (("ana", "10"), ("bob", "20"), ("caio", "30")):
        assert send(bus, group_message(person(who), GROUP, spend(amount))).kind is ReplyKind.RECORDED
    assert send(bus, group_message(person("dora", admin=True), GROUP, total())).kind is ReplyKind.ANSWER
    assert members(store, context_id) == {
        user(store, "ana"): Role.OWNER,
        user(store, "bob"): Role.EDITOR,
        user(store, "caio"): Role.EDITOR,
        user(store, "dora"): Role.ADMIN,
    }
    assert [(tx.context_id, tx.money.amount) for tx in store.transactions] == [
        (context_id, Decimal("10")),
        (context_id, Decimal("20")),
        (context_id, Decimal("30")),
    ]
    assert all(tx.paid_by == tx.author_id is not None for tx in store.transactions)
    joined = [e.after for e in store.events if e.name == "member.added" and e.context_id == context_id]
    assert [(a or {})["role"] for a in joined] == ["owner", "editor", "editor", "admin"]


def test_a_group_never_bound_gets_a_ledger_from_its_first_message(bus: MessageBus, store: Store) -> None:
    reply = send(bus, group_message(person("ana"), GROUP, spend("12")))
    assert reply.kind is ReplyKind.RECORDED
    context_id = group_ledger(store)
    assert store.contexts[context_id].type is ContextType.FAMILY
    assert store.binding_meta[("telegram", GROUP)]["chat_type"] == "group"
    send(bus, group_message(person("bob"), GROUP, spend("3")))
    assert members(store, context_id) == {user(store, "ana"): Role.OWNER, user(store, "bob"): Role.EDITOR}


def test_a_viewer_in_the_group_stays_a_viewer(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    send(bus, group_message(person("vera"), GROUP, total()))
    context_id = group_ledger(store)
    store.members[(context_id, user(store, "vera"))] = Role.VIEWER
    denied = send(bus, group_message(person("vera", admin=True), GROUP, spend("5")))
    assert (denied.kind, denied.problem) == (ReplyKind.FORBIDDEN, "forbidden:record")
    assert store.members[(context_id, user(store, "vera"))] is Role.VIEWER
    assert store.transactions == []


def test_after_the_bot_left_a_stranger_does_not_join(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    send(bus, chat_event(person("ana"), GROUP, "bot_removed"))
    reply = send(bus, group_message(person("eve"), GROUP, spend("5")))
    assert reply.kind is ReplyKind.NOT_A_MEMBER
    assert (group_ledger(store), user(store, "eve")) not in store.members


def test_a_channel_post_is_recorded_with_the_payer_unknown(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    users_before = dict(store.users)
    reply = send(bus, group_message(channel("chan-1"), GROUP, spend("80", "farmacia", "health")))
    assert reply.kind is ReplyKind.WHO_PAID
    ((shown),) = reply.transactions
    assert shown.amount == Decimal("80")
    ((tx),) = store.transactions
    assert (tx.context_id, tx.author_id, tx.paid_by) == (group_ledger(store), None, None)
    ((kept),) = [c for c in store.captures.values() if c["id"] == reply.capture_id]
    assert kept["author_id"] is None
    assert store.users == users_before
    assert ("telegram", "chan-1") not in store.identities
    assert all(u in users_before for (_, u) in store.members)
    # It may read ...
    assert send(bus, group_message(channel("chan-1"), GROUP, total())).kind is ReplyKind.ANSWER
    assert send(bus, group_message(channel("chan-1"), GROUP, said(Intent.HELP))).kind is ReplyKind.HELP
    # ... but never change what was recorded.
    for understanding in (
        said(Intent.UNDO),
        said(Intent.RECATEGORIZE, category="groceries"),
        said(Intent.CONFIRM),
        said(Intent.CLAIM_PAYER),
        said(Intent.CONTEXTS, context_choice="1"),
    ):
        refused = send(bus, group_message(channel("chan-1"), GROUP, understanding, target=tx.id))
        assert refused.kind is ReplyKind.FORBIDDEN, understanding.intent
        assert refused.problem in {"not_a_person:record", "group_ledger_fixed"}
    assert store.transactions == [tx]
    assert store.users == users_before


def test_a_channel_in_a_group_never_bound_leaves_the_ledger_to_the_first_person(
    bus: MessageBus, store: Store
) -> None:
    assert send(bus, group_message(channel("chan-1"), GROUP, spend("7"))).kind is ReplyKind.WHO_PAID
    context_id = group_ledger(store)
    assert members(store, context_id) == {}
    assert store.users == {}
    send(bus, group_message(person("bob"), GROUP, spend("1")))
    send(bus, group_message(person("caio"), GROUP, spend("2")))
    assert members(store, context_id) == {user(store, "bob"): Role.OWNER, user(store, "caio"): Role.EDITOR}


def test_a_channel_outside_a_group_keeps_nothing(bus: MessageBus, store: Store) -> None:
    reply = send(bus, group_message(channel("chan-1"), "chan-1", spend("7"), chat_type="private"))
    assert (reply.kind, reply.problem) == (ReplyKind.NOT_A_MEMBER, "not_a_person")
    assert (store.users, store.captures, store.transactions) == ({}, {}, [])


def test_claiming_the_payer(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    assert send(bus, group_message(person("bob"), GROUP, said(Intent.CLAIM_PAYER))).kind is (
        ReplyKind.NOTHING_TO_CLAIM
    )
    first = send(bus, group_message(channel("chan-1"), GROUP, spend("10", "padaria"))).transactions[0]
    second = send(bus, group_message(channel("chan-1"), GROUP, spend("20", "feira"))).transactions[0]
    claimed = send(bus, group_message(person("bob"), GROUP, said(Intent.CLAIM_PAYER)))
    assert claimed.kind is ReplyKind.PAYER_SET
    assert [t.transaction_id for t in claimed.transactions] == [second.transaction_id]
    by_target = send(
        bus, group_message(person("ana"), GROUP, said(Intent.CLAIM_PAYER), target=first.transaction_id)
    )
    assert by_target.kind is ReplyKind.PAYER_SET
    paid = {tx.id: tx.paid_by for tx in store.transactions}
    assert paid == {first.transaction_id: user(store, "ana"), second.transaction_id: user(store, "bob")}
    assert [e.after for e in store.events if e.name == "transaction.payer_set"] == [
        {"paid_by": user(store, "bob")},
        {"paid_by": user(store, "ana")},
    ]
    # Paid already: nothing left to claim, by target or not.
    again = send(
        bus, group_message(person("caio"), GROUP, said(Intent.CLAIM_PAYER), target=first.transaction_id)
    )
    assert again.kind is ReplyKind.NOTHING_TO_CLAIM
    assert send(bus, group_message(person("caio"), GROUP, said(Intent.CLAIM_PAYER))).kind is (
        ReplyKind.NOTHING_TO_CLAIM
    )
    assert {tx.id: tx.paid_by for tx in store.transactions} == paid


def test_targets_act_on_the_chats_ledger_only(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    bobs = send(bus, group_message(person("bob"), GROUP, spend("15", "padaria"))).transactions[0]
    send(bus, group_message(person("ana"), GROUP, spend("99", "feira")))
    # Ana corrects and undoes Bob's entry by its button: her own last one is untouched.
    changed = send(
        bus,
        group_message(
            person("ana"),
            GROUP,
            said(Intent.RECATEGORIZE, category="restaurants"),
            target=bobs.transaction_id,
        ),
    )
    assert changed.kind is ReplyKind.RECATEGORIZED
    assert changed.transactions[0].transaction_id == bobs.transaction_id
    undone = send(bus, group_message(person("ana"), GROUP, said(Intent.UNDO), target=bobs.transaction_id))
    assert undone.kind is ReplyKind.UNDONE
    status = {tx.merchant: (tx.status, tx.category) for tx in store.transactions}
    assert status == {
        "padaria": (TransactionStatus.REVERSED, "restaurants"),
        "feira": (TransactionStatus.RECORDED, "groceries"),
    }
    # Undone already: nothing to undo there.
    twice = send(bus, group_message(person("ana"), GROUP, said(Intent.UNDO), target=bobs.transaction_id))
    assert twice.kind is ReplyKind.NOTHING_TO_UNDO
    # Zoe's own private ledger: a target from there is refused in the group, and hers is untouched.
    theirs = bus.handle(command_for(dev_capture("zoe", spend("500"))))
    assert theirs is not None
    foreign = theirs.transactions[0].transaction_id
    for understanding, refused in (
        (said(Intent.UNDO), ReplyKind.NOTHING_TO_UNDO),
        (said(Intent.RECATEGORIZE, category="health"), ReplyKind.NOTHING_TO_RECATEGORIZE),
        (said(Intent.CLAIM_PAYER), ReplyKind.NOTHING_TO_CLAIM),
    ):
        assert send(bus, group_message(person("ana"), GROUP, understanding, target=foreign)).kind is refused
    (zoes,) = [tx for tx in store.transactions if tx.id == foreign]
    assert (zoes.status, zoes.category) == (TransactionStatus.RECORDED, "groceries")


def test_a_migrated_group_keeps_its_ledger(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    context_id = group_ledger(store)
    event = chat_event(person("ana"), GROUP, "migrated", migrate_to="-1009", message_id="mig")
    reply = send(bus, event)
    assert (reply.kind, reply.silent) == (ReplyKind.CHAT_MIGRATED, True)
    assert group_ledger(store, "-1009") == context_id
    assert store.binding_meta[("telegram", "-1009")]["active"] is True
    assert store.binding_meta[("telegram", GROUP)]["active"] is False
    recorded = send(bus, group_message(person("bob"), "-1009", spend("4")))
    assert recorded.kind is ReplyKind.RECORDED
    assert store.transactions[-1].context_id == context_id
    before = len(store.events)
    assert bus.handle(command_for(event.model_copy(update={"capture_id": uuid.uuid4()}))) is None
    assert len(store.events) == before


def test_a_migrated_group_whose_new_id_wrote_first_keeps_the_old_ledger(
    bus: MessageBus, store: Store
) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    old = group_ledger(store)
    send(bus, group_message(person("bob"), "-1009", spend("1")))
    assert group_ledger(store, "-1009") != old
    send(bus, chat_event(person("ana"), GROUP, "migrated", migrate_to="-1009"))
    assert group_ledger(store, "-1009") == old
    send(bus, group_message(person("bob"), "-1009", spend("2")))
    assert store.transactions[-1].context_id == old
    assert (old, user(store, "bob")) in store.members
    assert [e.name for e in store.events if e.name == "chat.migrated"] == ["chat.migrated"]


def test_contexto_lists_and_switches_a_private_chat(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Família Silva"))
    send(bus, chat_event(person("ana"), "-2002", "bot_added", title="Viagem"))
    family = group_ledger(store)
    private = group_message(person("ana"), "ana", said(Intent.CONTEXTS), chat_type="private")
    listed = send(bus, private)
    assert (listed.kind, listed.problem) == (ReplyKind.CONTEXTS, None)
    assert [(c.name, c.type, c.role, c.current) for c in listed.contexts] == [
        ("Ana", "personal", "owner", True),
        ("Família Silva", "family", "owner", False),
        ("Viagem", "family", "owner", False),
    ]
    by_number = send(
        bus,
        group_message(person("ana"), "ana", said(Intent.CONTEXTS, context_choice="2"), chat_type="private"),
    )
    assert by_number.kind is ReplyKind.CONTEXT_SWITCHED
    assert [(c.context_id, c.current) for c in by_number.contexts] == [(family, True)]
    assert store.bindings[("telegram", "ana")] == family
    switched = [e for e in store.events if e.name == "chat.switched"]
    assert [(e.context_id, (e.before or {})["context_id"]) for e in switched] == [
        (family, listed.contexts[0].context_id)
    ]
    # Now the private chat records into the family ledger.
    send(bus, group_message(person("ana"), "ana", spend("9"), chat_type="private"))
    assert store.transactions[-1].context_id == family
    by_name = send(
        bus,
        group_message(person("ana"), "ana", said(Intent.CONTEXTS, context_choice="ana"), chat_type="private"),
    )
    assert by_name.kind is ReplyKind.CONTEXT_SWITCHED
    assert by_name.contexts[0].type == "personal"
    by_prefix = send(
        bus,
        group_message(
            person("ana"), "ana", said(Intent.CONTEXTS, context_choice="FAMILIA"), chat_type="private"
        ),
    )
    assert by_prefix.contexts[0].context_id == family
    for nothing in ("7", "0", "casa", "  "):
        unknown = send(
            bus,
            group_message(
                person("ana"), "ana", said(Intent.CONTEXTS, context_choice=nothing), chat_type="private"
            ),
        )
        expected = ReplyKind.CONTEXTS if not nothing.strip() else ReplyKind.UNKNOWN_CONTEXT
        assert unknown.kind is expected, nothing
        assert [c.current for c in unknown.contexts] == [False, True, False]
    assert store.bindings[("telegram", "ana")] == family


def test_contexto_in_a_group_lists_but_never_switches(bus: MessageBus, store: Store) -> None:
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    listed = send(bus, group_message(person("ana"), GROUP, said(Intent.CONTEXTS)))
    assert [(c.name, c.current) for c in listed.contexts] == [("Ana", False), ("Casa", True)]
    assert listed.problem == "group_ledger_fixed"  # the list says so instead of how to switch
    refused = send(bus, group_message(person("ana"), GROUP, said(Intent.CONTEXTS, context_choice="1")))
    assert (refused.kind, refused.problem) == (ReplyKind.FORBIDDEN, "group_ledger_fixed")
    assert group_ledger(store) == listed.contexts[1].context_id


def test_choices_fold_case_and_accents_and_need_a_unique_prefix() -> None:
    from financy.core.domain.model import LedgerContext

    def ledger(name: str, kind: ContextType = ContextType.FAMILY) -> LedgerContext:
        return LedgerContext(uuid.uuid4(), name, kind, "BRL", "America/Sao_Paulo", "pt-BR")

    options = ordered(
        [
            (ledger("Viagem Chile", ContextType.TRAVEL), Role.EDITOR),
            (ledger("Ana"), Role.OWNER),
            (ledger("Pessoal", ContextType.PERSONAL), Role.OWNER),
            (ledger("Viagem"), Role.ADMIN),
        ]
    )
    assert [c.name for c, _ in options] == ["Pessoal", "Ana", "Viagem", "Viagem Chile"]
    assert fold("  Família  SILVA ") == "familia silva"
    picked = choose("viagem", options)
    assert picked is not None
    assert picked[0].name == "Viagem"  # exact beats prefix
    assert choose("viag", options) is None  # two prefixes
    chile = choose("VIAGEM C", options)
    assert chile is not None
    assert chile[0].name == "Viagem Chile"
    first = choose("1", options)
    assert first is not None
    assert first[0].name == "Pessoal"
    assert choose("5", options) is None


def test_a_migration_onto_another_groups_chat_changes_nothing(bus: MessageBus, store: Store) -> None:
    """A forged ``migrated`` event from Carol's group naming Ana's group's chat id."""
    send(bus, chat_event(person("ana"), "-1002", "bot_added", title="Casa"))
    send(bus, group_message(person("ana"), "-1002", spend("40")))
    victim = group_ledger(store, "-1002")
    # Ana's group has been bound for a month.
    store.created_at[store.binding_meta[("telegram", "-1002")]["id"]] -= dt.timedelta(days=30)
    send(bus, chat_event(person("carol"), "-1003", "bot_added", title="Golpe"))
    attacker = group_ledger(store, "-1003")
    bindings = (dict(store.bindings), copy.deepcopy(store.binding_meta))

    reply = send(bus, chat_event(person("carol"), "-1003", "migrated", migrate_to="-1002"))

    assert (reply.kind, reply.silent) == (ReplyKind.CHAT_MIGRATED, True)
    assert (dict(store.bindings), store.binding_meta) == bindings
    assert group_ledger(store, "-1002") == victim
    assert group_ledger(store, "-1003") == attacker
    assert (victim, user(store, "carol")) not in store.members
    assert not [e for e in store.events if e.name == "chat.migrated"]
    (refused,) = [e for e in store.events if e.name == "chat.migration_refused"]
    assert (refused.context_id, refused.actor_id) == (attacker, user(store, "carol"))
    assert refused.after == {"chat_id": "-1003", "migrate_to_chat_id": "-1002", "reason": "bound_elsewhere"}
    # Ana's group still records into its own ledger.
    send(bus, group_message(person("ana"), "-1002", spend("5")))
    assert store.transactions[-1].context_id == victim


def test_a_migration_onto_a_chat_that_just_migrated_from_another_group_changes_nothing(
    bus: MessageBus, store: Store
) -> None:
    """The new id was bound minutes ago, but to an older ledger (its own real migration)."""
    send(bus, chat_event(person("ana"), GROUP, "bot_added", title="Casa"))
    send(bus, group_message(person("ana"), GROUP, spend("40")))
    casa = group_ledger(store)
    store.created_at[casa] -= dt.timedelta(days=30)
    for tx in store.transactions:
        store.created_at[tx.id] -= dt.timedelta(days=30)
    send(bus, chat_event(person("ana"), GROUP, "migrated", migrate_to="-1009"))
    assert group_ledger(store, "-1009") == casa
    send(bus, chat_event(person("carol"), "-1003", "bot_added", title="Golpe"))

    send(bus, chat_event(person("carol"), "-1003", "migrated", migrate_to="-1009"))

    assert group_ledger(store, "-1009") == casa
    assert store.binding_meta[("telegram", "-1009")]["active"] is True
    assert store.binding_meta[("telegram", "-1003")]["active"] is True
    assert [e.name for e in store.events if e.name.startswith("chat.migrat")] == [
        "chat.migrated",
        "chat.migration_refused",
    ]


def test_a_private_chat_or_an_old_binding_is_never_where_a_migration_lands(
    bus: MessageBus, store: Store
) -> None:
    send(bus, chat_event(person("carol"), "-1003", "bot_added", title="Golpe"))
    send(bus, group_message(person("ana"), "555", spend("40"), chat_type="private"))
    private = group_ledger(store, "555")
    send(bus, chat_event(person("carol"), "-1003", "migrated", migrate_to="555"))
    assert group_ledger(store, "555") == private
    # A provisional-looking group binding made two days ago is not taken over either.
    send(bus, group_message(person("bob"), "-1009", spend("1")))
    made = group_ledger(store, "-1009")
    key = store.binding_meta[("telegram", "-1009")]["id"]
    for id_ in (key, made, *(tx.id for tx in store.transactions if tx.context_id == made)):
        store.created_at[id_] -= dt.timedelta(days=2)
    send(bus, chat_event(person("carol"), "-1003", "migrated", migrate_to="-1009"))
    assert group_ledger(store, "-1009") == made
    assert len([e for e in store.events if e.name == "chat.migration_refused"]) == 2
