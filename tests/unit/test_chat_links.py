"""Linking a chat identity to an account with a one-time code, driven through the bus (no database).

GIVEN a login account that issued a code and a chat user the core made at first contact, WHEN
that chat sends the code, THEN it is asked to confirm and nothing changes; WHEN it confirms, THEN
the identity and everything the chat user had become the account's, once; a code that is unknown,
used or expired links nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    ReplyKind,
    ReplyV1,
    Understanding,
)
from financy.core.domain.commands import CreateUser, IssuedLinkCode, IssueLinkCode, LinkIdentity
from financy.core.domain.links import ALPHABET, code_hash, new_code, normalize_code
from financy.core.domain.model import Role
from financy.core.service.handlers import command_for
from financy.core.service.messagebus import MessageBus
from tests.support.captures import dev_capture
from tests.support.groups import group_message, person
from tests.unit.bus import ingest
from tests.unit.fakes import Store


def link(
    sender: str, code: str | None, message_id: str | None = None, *, confirmed: bool = True
) -> CaptureV1:
    """The chat's "/vincular CODE" (``confirmed``), or its "/start CODE"."""
    said = Understanding(
        language="pt", intent=Intent.LINK, confidence=0.99, link_code=code, link_confirmed=confirmed
    )
    return dev_capture(sender, said, message_id=message_id, name=sender.title())


def start(sender: str, code: str | None, message_id: str | None = None) -> CaptureV1:
    """The chat's "/start CODE" (a deep link) or bare code: not confirmed."""
    return link(sender, code, message_id, confirmed=False)


def asked_and_confirmed(bus: MessageBus, sender: str, code: str) -> ReplyV1:
    """Send ``code``, then confirm it (the button's "/vincular CODE"); return the second reply."""
    asked = ingest(bus, start(sender, code))
    assert asked is not None
    assert asked.kind is ReplyKind.LINK_CONFIRM, asked
    reply = ingest(bus, link(sender, code))
    assert reply is not None
    return reply


def spend(amount: str) -> Understanding:
    return Understanding(
        language="pt",
        intent=Intent.RECORD,
        transactions=(ProposedTransaction(amount=Decimal(amount), merchant="mercado", category="groceries"),),
        confidence=0.9,
    )


def account(bus: MessageBus, name: str = "maria", **link: str) -> uuid.UUID:
    user_id: uuid.UUID = bus.handle(
        CreateUser(username=name, password="long-enough-pw", display_name=name.title(), **link)  # type: ignore[arg-type]
    )
    return user_id


def issue(bus: MessageBus, user_id: uuid.UUID, *, now: dt.datetime | None = None) -> IssuedLinkCode:
    issued: IssuedLinkCode = bus.handle(IssueLinkCode(user_id, 900, now=now))
    return issued


def test_a_code_is_8_crockford_symbols_with_a_dash_and_typing_mistakes_are_forgiven() -> None:
    code = new_code()
    assert len(code) == 9
    assert code[4] == "-"
    assert all(c in ALPHABET for c in code.replace("-", ""))
    assert normalize_code("k7qm-2xpd") == "K7QM2XPD"
    assert normalize_code(" K7QM 2XPD ") == "K7QM2XPD"
    # O reads as zero, I and L as one (Crockford).
    assert normalize_code("OILO-1234") == "0110" + "1234"
    assert normalize_code("K7QM2XP") is None
    assert normalize_code("K7QM-2XPU") is None  # U is not in the alphabet
    assert normalize_code("") is None
    assert code_hash("K7QM2XPD") == code_hash(normalize_code("k7qm-2xpd") or "")
    assert len(code_hash("K7QM2XPD")) == 64


def test_issuing_stores_only_the_hash_and_the_expiry(bus: MessageBus, store: Store) -> None:
    user_id = account(bus)
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    issued = issue(bus, user_id, now=now)
    assert issued.expires_at == now + dt.timedelta(minutes=15)
    ((stored_hash, stored),) = store.link_codes.items()
    assert stored_hash == code_hash(normalize_code(issued.code) or "")
    assert issued.code.replace("-", "") not in stored_hash
    assert (stored.user_id, stored.expires_at, stored.used_at) == (user_id, issued.expires_at, None)
    assert store.events[-1].name == "link_code.issued"


def test_the_code_links_the_chat_and_folds_its_first_contact_user_into_the_account(
    bus: MessageBus, store: Store
) -> None:
    maria = account(bus)
    first = ingest(bus, dev_capture("tg-maria", spend("30"), name="Maria"))
    assert first is not None
    chat_user = store.identities[("devchat", "tg-maria")]
    chat_ledger = store.bindings[("devchat", "tg-maria")]
    assert chat_user != maria
    issued = issue(bus, maria)

    reply = asked_and_confirmed(bus, "tg-maria", issued.code.lower())

    assert reply.kind is ReplyKind.LINKED
    assert store.identities[("devchat", "tg-maria")] == maria
    # The chat user's ledger is now the account's; the chat keeps its binding.
    assert store.members[(chat_ledger, maria)] is Role.OWNER
    assert not any(user == chat_user for _, user in store.members)
    assert store.bindings[("devchat", "tg-maria")] == chat_ledger
    assert [tx.author_id for tx in store.transactions] == [maria]
    assert {c["author_id"] for c in store.captures.values()} == {maria}
    (used,) = store.link_codes.values()
    assert used.used_at is not None
    assert (used.used_by_platform, used.used_by_platform_user_id) == ("devchat", "tg-maria")
    linked = [e for e in store.events if e.name == "identity.linked" and e.before is not None]
    assert len(linked) == 1
    assert linked[0].before == {"user_id": chat_user}
    assert linked[0].after == {"platform": "devchat", "platform_user_id": "tg-maria", "user_id": maria}
    # The next message from that chat is the account's, in the same ledger.
    after = ingest(bus, dev_capture("tg-maria", spend("12")))
    assert after is not None
    assert after.kind is ReplyKind.RECORDED
    assert store.transactions[-1].author_id == maria
    assert store.transactions[-1].context_id == chat_ledger


def test_a_redelivered_link_message_changes_nothing(bus: MessageBus, store: Store) -> None:
    maria = account(bus)
    issued = issue(bus, maria)
    asking = start("tg-ana", issued.code, message_id="m0")
    assert ingest(bus, asking) is not None
    events = len(store.events)
    assert ingest(bus, asking) is None  # asked once
    assert len(store.events) == events
    message = link("tg-ana", issued.code, message_id="m1")
    assert (first := ingest(bus, message)) is not None
    assert first.kind is ReplyKind.LINKED
    events = len(store.events)
    assert ingest(bus, message) is None
    assert len(store.events) == events


def test_a_used_expired_or_unknown_code_links_nothing(bus: MessageBus, store: Store) -> None:
    maria = account(bus)
    issued = issue(bus, maria)
    assert asked_and_confirmed(bus, "tg-one", issued.code).kind is ReplyKind.LINKED
    expired = issue(bus, maria, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    cases = {
        "link_used": issued.code,
        "link_expired": expired.code,
        "link_unknown": "ZZZZ-ZZZZ",
    }
    for problem, code in cases.items():
        reply = ingest(bus, link("tg-two", code))
        assert reply is not None
        assert (reply.kind, reply.problem) == (ReplyKind.LINK_INVALID, problem)
        assert store.identities[("devchat", "tg-two")] != maria
    for nonsense in ("hello", None):
        reply = ingest(bus, link("tg-two", nonsense))
        assert reply is not None
        assert (reply.kind, reply.problem) == (ReplyKind.LINK_INVALID, "link_unknown")


def test_the_same_account_again_is_linked_and_another_login_is_never_merged(
    bus: MessageBus, store: Store
) -> None:
    maria = account(bus, "maria", link_platform="devchat", link_platform_user_id="tg-maria")
    joao = account(bus, "joao", link_platform="devchat", link_platform_user_id="tg-joao")
    again = ingest(bus, link("tg-maria", issue(bus, maria).code))
    assert again is not None
    assert again.kind is ReplyKind.LINKED
    refused = ingest(bus, link("tg-joao", issue(bus, maria).code))
    assert refused is not None
    assert (refused.kind, refused.problem) == (ReplyKind.LINK_INVALID, "link_identity_taken")
    assert store.identities[("devchat", "tg-joao")] == joao
    assert any(user == joao for _, user in store.members)


def test_merging_keeps_the_stronger_role_where_both_are_members(bus: MessageBus, store: Store) -> None:
    maria = account(bus)
    ingest(bus, dev_capture("tg-maria", spend("30")))
    chat_user = store.identities[("devchat", "tg-maria")]
    chat_ledger = store.bindings[("devchat", "tg-maria")]
    maria_ledger = next(c for (c, u) in store.members if u == maria)
    store.members[(chat_ledger, maria)] = Role.VIEWER  # maria already reads the chat user's ledger
    store.members[(maria_ledger, chat_user)] = Role.EDITOR  # and the chat user edits hers
    assert asked_and_confirmed(bus, "tg-maria", issue(bus, maria).code).kind is ReplyKind.LINKED
    assert store.members[(chat_ledger, maria)] is Role.OWNER
    assert store.members[(maria_ledger, maria)] is Role.OWNER


def test_a_link_capture_becomes_link_identity() -> None:
    command = command_for(start("tg-x", "K7QM-2XPD"))
    assert isinstance(command, LinkIdentity)
    assert (command.code, command.confirmed) == ("K7QM-2XPD", False)
    confirmed = command_for(link("tg-x", "K7QM-2XPD"))
    assert isinstance(confirmed, LinkIdentity)
    assert (confirmed.code, confirmed.confirmed) == ("K7QM-2XPD", True)


# --- confirmation ----------------------------------------------------------------------------------


def snapshot(store: Store) -> tuple[object, ...]:
    """What linking may change: identities, memberships, bindings, link codes, authors."""
    return (
        dict(store.identities),
        dict(store.members),
        dict(store.bindings),
        {h: (c.used_at, c.used_by_platform, c.used_by_platform_user_id) for h, c in store.link_codes.items()},
        [tx.author_id for tx in store.transactions],
    )


def test_a_code_without_confirmation_changes_nothing_and_asks_naming_the_account(
    bus: MessageBus, store: Store
) -> None:
    ana = account(bus, "ana")
    store.users[ana]["display_name"] = "Ana Silva"
    ingest(bus, dev_capture("tg-ana", spend("30"), name="Ana"))
    chat_user = store.identities[("devchat", "tg-ana")]
    issued = issue(bus, ana)
    before = snapshot(store)

    reply = ingest(bus, start("tg-ana", issued.code.lower().replace("-", ""), message_id="s1"))

    assert reply is not None
    assert reply.kind is ReplyKind.LINK_CONFIRM
    assert (reply.link_account, reply.link_account_name, reply.link_code) == ("ana", "Ana Silva", issued.code)
    assert reply.problem is None
    assert snapshot(store) == before
    assert store.identities[("devchat", "tg-ana")] == chat_user
    (code,) = store.link_codes.values()
    assert code.used_at is None
    assert not [e for e in store.events if e.name == "identity.linked" and e.before is not None]
    # asked again (a second tap of the deep link): the same question, still nothing consumed
    again = ingest(bus, start("tg-ana", issued.code, message_id="s2"))
    assert again is not None
    assert again.kind is ReplyKind.LINK_CONFIRM
    assert snapshot(store) == before

    confirmed = ingest(bus, link("tg-ana", issued.code, message_id="c1"))

    assert confirmed is not None
    assert confirmed.kind is ReplyKind.LINKED
    assert confirmed.link_account is None
    assert store.identities[("devchat", "tg-ana")] == ana
    assert not any(user == chat_user for _, user in store.members)
    (code,) = store.link_codes.values()
    assert (code.used_at is not None, code.used_by_platform_user_id) == (True, "tg-ana")
    # a second press of the button (another message): already linked, nothing merged twice
    events = len([e for e in store.events if e.name == "identity.linked"])
    twice = ingest(bus, link("tg-ana", issued.code, message_id="c2"))
    assert twice is not None
    assert twice.kind is ReplyKind.LINKED
    assert len([e for e in store.events if e.name == "identity.linked"]) == events


def test_a_confirmation_this_chat_was_never_asked_for_only_asks(bus: MessageBus, store: Store) -> None:
    mallory = account(bus, "mallory")
    ingest(bus, dev_capture("tg-victim", spend("250"), name="Victim"))
    victim = store.identities[("devchat", "tg-victim")]
    bait = issue(bus, mallory)
    # another chat was asked about the same code: that does not count for this one
    assert (other := ingest(bus, start("tg-mallory", bait.code))) is not None
    assert other.kind is ReplyKind.LINK_CONFIRM
    before = snapshot(store)

    # a "/vincular CODE" prefilled by someone's wa.me or t.me link: one tap and send
    reply = ingest(bus, link("tg-victim", bait.code, message_id="prefilled"))

    assert reply is not None
    assert (reply.kind, reply.link_account) == (ReplyKind.LINK_CONFIRM, "mallory")
    assert snapshot(store) == before
    assert store.identities[("devchat", "tg-victim")] == victim
    asked = [e for e in store.events if e.name == "link_code.asked"]
    assert [(e.actor_id, e.after) for e in asked][-1] == (
        victim,
        {"platform": "devchat", "platform_user_id": "tg-victim", "chat_id": "tg-victim", "user_id": mallory},
    )
    # only now, asked and confirming again, is it linked
    again = ingest(bus, link("tg-victim", bait.code, message_id="pressed"))
    assert again is not None
    assert again.kind is ReplyKind.LINKED
    assert store.identities[("devchat", "tg-victim")] == mallory


def test_a_code_made_by_another_account_and_tapped_by_a_victim_moves_nothing(
    bus: MessageBus, store: Store
) -> None:
    mallory = account(bus, "mallory")
    store.users[mallory]["display_name"] = "Ana Silva"  # names are the code maker's to choose
    ingest(bus, dev_capture("tg-victim", spend("250"), name="Victim"))
    victim = store.identities[("devchat", "tg-victim")]
    victim_ledgers = {c for (c, u) in store.members if u == victim}
    assert victim_ledgers
    bait = issue(bus, mallory)
    before = snapshot(store)

    reply = ingest(bus, start("tg-victim", bait.code))  # the victim taps t.me/<bot>?start=CODE

    assert reply is not None
    assert (reply.kind, reply.link_account, reply.link_account_name) == (
        ReplyKind.LINK_CONFIRM,
        "mallory",
        "Ana Silva",
    )
    assert snapshot(store) == before
    assert {c for (c, u) in store.members if u == victim} == victim_ledgers
    assert not any(u == mallory for (c, u) in store.members if c in victim_ledgers)
    assert store.identities[("devchat", "tg-victim")] == victim
    # the victim goes on recording: still into their own ledger, as themselves
    after = ingest(bus, dev_capture("tg-victim", spend("12")))
    assert after is not None
    assert after.kind is ReplyKind.RECORDED
    assert store.transactions[-1].author_id == victim
    assert store.transactions[-1].context_id in victim_ledgers


def test_without_confirmation_bad_codes_get_the_same_answers(bus: MessageBus, store: Store) -> None:
    maria = account(bus)
    joao = account(bus, "joao", link_platform="devchat", link_platform_user_id="tg-joao")
    used = issue(bus, maria)
    assert asked_and_confirmed(bus, "tg-one", used.code).kind is ReplyKind.LINKED
    expired = issue(bus, maria, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    cases = {
        ("tg-two", "link_used"): used.code,
        ("tg-two", "link_expired"): expired.code,
        ("tg-two", "link_unknown"): "ZZZZ-ZZZZ",
        ("tg-joao", "link_identity_taken"): issue(bus, maria).code,
    }
    for (sender, problem), code in cases.items():
        reply = ingest(bus, start(sender, code))
        assert reply is not None
        assert (reply.kind, reply.problem, reply.link_account) == (ReplyKind.LINK_INVALID, problem, None)
    assert store.identities[("devchat", "tg-joao")] == joao
    assert store.identities[("devchat", "tg-two")] not in (maria, joao)


def test_the_accounts_own_chat_is_told_it_is_linked_and_the_code_is_used_up(
    bus: MessageBus, store: Store
) -> None:
    maria = account(bus, "maria", link_platform="devchat", link_platform_user_id="tg-maria")
    issued = issue(bus, maria)
    reply = ingest(bus, start("tg-maria", issued.code))
    assert reply is not None
    assert reply.kind is ReplyKind.LINKED
    (code,) = store.link_codes.values()
    # A copy of the code that leaked (pasted somewhere) must not stay good for anyone else.
    assert (code.used_at is not None, code.used_by_platform_user_id) == (True, "tg-maria")
    leaked = ingest(bus, start("tg-other", issued.code))
    assert leaked is not None
    assert (leaked.kind, leaked.problem, leaked.link_account) == (ReplyKind.LINK_INVALID, "link_used", None)
    again = ingest(bus, start("tg-maria", issued.code))
    assert again is not None
    assert again.kind is ReplyKind.LINKED


def test_an_account_without_a_display_name_is_named_by_its_username(bus: MessageBus, store: Store) -> None:
    maria = account(bus)
    store.users[maria]["display_name"] = None
    reply = ingest(bus, start("tg-new", issue(bus, maria).code))
    assert reply is not None
    assert (reply.kind, reply.link_account, reply.link_account_name) == (
        ReplyKind.LINK_CONFIRM,
        "maria",
        None,
    )


# --- where a code may be sent ----------------------------------------------------------------------


def in_group(sender: str, code: str, message_id: str | None = None, *, confirmed: bool) -> CaptureV1:
    """``sender``'s "/start CODE" (or with ``confirmed`` the button's "/vincular CODE") in a group."""
    said = Understanding(
        language="pt", intent=Intent.LINK, confidence=0.99, link_code=code, link_confirmed=confirmed
    )
    return group_message(person(sender), "-1001", said, message_id=message_id)


def test_a_code_sent_in_a_group_is_refused_names_no_account_and_stays_unused(
    bus: MessageBus, store: Store
) -> None:
    victim = account(bus, "ana", link_platform="telegram", link_platform_user_id="tg-ana")
    store.users[victim]["display_name"] = "Ana Silva"
    issued = issue(bus, victim)
    ingest(bus, group_message(person("tg-bob"), "-1001", spend("5")))  # Bob writes in the group first
    bob = store.identities[("telegram", "tg-bob")]
    before = snapshot(store)[3]  # the link codes (writing in the group makes Ana a member of it)
    events = len(store.events)

    pasted = ingest(bus, in_group("tg-ana", issued.code, confirmed=False))
    # another member presses the "Vincular" button twice
    pressed = [ingest(bus, in_group("tg-bob", issued.code, f"press{n}", confirmed=True)) for n in (1, 2)]

    for reply in (pasted, *pressed):
        assert reply is not None
        assert (reply.kind, reply.problem) == (ReplyKind.LINK_INVALID, "link_private_only")
        assert (reply.link_account, reply.link_account_name, reply.link_code) == (None, None, None)
    assert snapshot(store)[3] == before
    assert store.identities[("telegram", "tg-bob")] == bob
    assert store.identities[("telegram", "tg-ana")] == victim
    assert not [e for e in store.events[events:] if e.name in ("link_code.asked", "identity.linked")]
    # the code is still good in a private chat
    assert asked_and_confirmed(bus, "tg-new", issued.code).kind is ReplyKind.LINKED


def test_being_asked_in_one_chat_does_not_count_for_a_confirmation_in_another(
    bus: MessageBus, store: Store
) -> None:
    maria = account(bus, "maria")
    issued = issue(bus, maria)
    asked = ingest(bus, dev_capture("tg-bob", start("tg-bob", issued.code).understanding, chat="room-1"))
    assert asked is not None
    assert asked.kind is ReplyKind.LINK_CONFIRM
    bob = store.identities[("devchat", "tg-bob")]

    confirmed = ingest(bus, dev_capture("tg-bob", link("tg-bob", issued.code).understanding, chat="room-2"))

    assert confirmed is not None
    assert (confirmed.kind, confirmed.link_account) == (ReplyKind.LINK_CONFIRM, "maria")
    assert store.identities[("devchat", "tg-bob")] == bob
    (code,) = store.link_codes.values()
    assert code.used_at is None
    # asked in room-2 now, confirming there links
    again = ingest(bus, dev_capture("tg-bob", link("tg-bob", issued.code).understanding, chat="room-2"))
    assert again is not None
    assert again.kind is ReplyKind.LINKED
    assert store.identities[("devchat", "tg-bob")] == maria
