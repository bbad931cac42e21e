"""Groups as shared ledgers on a real PostgreSQL, through the ingest path (capture -> command -> bus).

GIVEN a Telegram group the bot is added to, WHEN people (and channels) write in it, the bot is
removed and added again, the group migrates to a supergroup, THEN the group keeps one shared
``family`` ledger with its members and their roles, every transaction lands in it with its
payer (unknown for a channel, until someone claims it), and nothing reaches another ledger.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from financy.core.contracts.v1 import CaptureV1, Intent, ReplyKind, ReplyV1
from financy.core.views.transactions import transactions
from tests.support.captures import dev_capture, said
from tests.support.groups import channel, chat_event, group_message, person, spend, total
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration


def send(engine: Engine, capture: CaptureV1) -> ReplyV1:
    reply = ingest(engine, capture)
    assert reply is not None
    return reply


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def rows(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def tagged() -> tuple[str, str]:
    """A fresh group chat id and a tag for its people's ids (the run's database is shared)."""
    tag = uuid.uuid4().hex[:8]
    return f"-100{int(tag, 16)}", tag


def ledger_of(engine: Engine, chat: str) -> uuid.UUID:
    found = scalar(
        engine, "SELECT context_id FROM chat_bindings WHERE platform = 'telegram' AND chat_id = :c", c=chat
    )
    assert isinstance(found, uuid.UUID)
    return found


def roles(engine: Engine, context_id: uuid.UUID) -> dict[str, str]:
    """``{platform user id: role}`` of the ledger's members."""
    return {
        str(pid): str(role)
        for pid, role in rows(
            engine,
            "SELECT i.platform_user_id, m.role FROM members m"
            " JOIN channel_identities i ON i.user_id = m.user_id WHERE m.context_id = :x",
            x=context_id,
        )
    }


def counts(engine: Engine) -> tuple[object, ...]:
    return rows(
        engine,
        "SELECT (SELECT count(*) FROM contexts), (SELECT count(*) FROM members),"
        " (SELECT count(*) FROM chat_bindings), (SELECT count(*) FROM events),"
        " (SELECT count(*) FROM captures), (SELECT count(*) FROM users), (SELECT count(*) FROM outbox)",
    )[0]


def test_adding_the_bot_makes_the_group_a_family_ledger(engine: Engine) -> None:
    chat, tag = tagged()
    added = chat_event(
        person(f"ana{tag}", "Ana"),
        chat,
        "bot_added",
        title="Família Silva",
        admins=(person(f"bob{tag}", "Bob", admin=True), channel(f"anon{tag}")),
        message_id="added",
    )
    reply = send(engine, added)
    assert reply.kind is ReplyKind.GROUP_BOUND
    context_id = ledger_of(engine, chat)
    assert reply.contexts[0].context_id == context_id
    assert rows(engine, "SELECT name, type, base_currency FROM contexts WHERE id = :x", x=context_id) == [
        ("Família Silva", "family", "BRL")
    ]
    assert rows(engine, "SELECT chat_type, active, title FROM chat_bindings WHERE chat_id = :c", c=chat) == [
        ("group", True, "Família Silva")
    ]
    assert roles(engine, context_id) == {f"ana{tag}": "owner", f"bob{tag}": "admin"}
    assert (
        scalar(engine, "SELECT count(*) FROM channel_identities WHERE platform_user_id = :p", p=f"anon{tag}")
        == 0
    )
    names = rows(engine, "SELECT name FROM events WHERE context_id = :x ORDER BY id", x=context_id)
    assert [n for (n,) in names] == [
        "context.created",
        "member.added",
        "member.added",
        "chat.bound",
        "capture.received",
    ]
    assert rows(
        engine,
        "SELECT author_id IS NOT NULL, status FROM captures WHERE idempotency_key = :k",
        k=added.idempotency_key,
    ) == [(True, "command")]

    # The same event delivered again changes nothing at all.
    before = counts(engine)
    assert ingest(engine, added.model_copy(update={"capture_id": uuid.uuid4()})) is None
    assert counts(engine) == before


def test_people_writing_in_the_group_share_one_ledger(engine: Engine) -> None:
    chat, tag = tagged()
    send(engine, chat_event(person(f"ana{tag}"), chat, "bot_added", title="Casa"))
    context_id = ledger_of(engine, chat)
    for who, amount in (("bob", "10.50"), ("caio", "20"), ("dora", "30")):
        reply = send(engine, group_message(person(f"{who}{tag}"), chat, spend(amount)))
        assert reply.kind is ReplyKind.RECORDED
    assert roles(engine, context_id) == {
        f"ana{tag}": "owner",
        f"bob{tag}": "editor",
        f"caio{tag}": "editor",
        f"dora{tag}": "editor",
    }
    recorded = rows(
        engine,
        "SELECT i.platform_user_id, t.amount, t.paid_by = t.author_id FROM transactions t"
        " JOIN channel_identities i ON i.user_id = t.author_id WHERE t.context_id = :x ORDER BY t.amount",
        x=context_id,
    )
    assert recorded == [
        (f"bob{tag}", Decimal("10.5000"), True),
        (f"caio{tag}", Decimal("20.0000"), True),
        (f"dora{tag}", Decimal("30.0000"), True),
    ]
    joined = rows(
        engine,
        "SELECT after->>'role' FROM events WHERE context_id = :x AND name = 'member.added' ORDER BY id",
        x=context_id,
    )
    assert [r for (r,) in joined] == ["owner", "editor", "editor", "editor"]
    # Each member's question is answered from the group's ledger.
    answer = send(engine, group_message(person(f"caio{tag}"), chat, total())).answer
    assert answer is not None
    assert answer.totals == (("BRL", Decimal("60.50")),)


def test_removed_then_added_again_binds_the_same_ledger(engine: Engine) -> None:
    chat, tag = tagged()
    send(engine, chat_event(person(f"ana{tag}"), chat, "bot_added", title="Casa"))
    context_id = ledger_of(engine, chat)
    send(engine, group_message(person(f"ana{tag}"), chat, spend("5")))
    removed = send(engine, chat_event(person(f"ana{tag}"), chat, "bot_removed"))
    assert (removed.kind, removed.silent) == (ReplyKind.GROUP_UNBOUND, True)
    assert scalar(engine, "SELECT active FROM chat_bindings WHERE chat_id = :c", c=chat) is False
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM events WHERE context_id = :x AND name = 'chat.unbound'",
            x=context_id,
        )
        == 1
    )
    again = send(engine, chat_event(person(f"bob{tag}"), chat, "bot_added", title="Casa"))
    assert again.kind is ReplyKind.GROUP_BOUND
    assert ledger_of(engine, chat) == context_id
    assert scalar(engine, "SELECT active FROM chat_bindings WHERE chat_id = :c", c=chat) is True
    send(engine, group_message(person(f"ana{tag}"), chat, spend("6")))
    assert scalar(engine, "SELECT count(*) FROM transactions WHERE context_id = :x", x=context_id) == 2


def test_a_migrated_group_records_into_its_old_ledger(engine: Engine) -> None:
    chat, tag = tagged()
    supergroup = f"{chat}9"
    send(engine, chat_event(person(f"ana{tag}"), chat, "bot_added", title="Casa"))
    context_id = ledger_of(engine, chat)
    send(engine, group_message(person(f"ana{tag}"), chat, spend("1")))
    migrated = send(engine, chat_event(person(f"ana{tag}"), chat, "migrated", migrate_to=supergroup))
    assert (migrated.kind, migrated.silent) == (ReplyKind.CHAT_MIGRATED, True)
    assert ledger_of(engine, supergroup) == context_id
    assert send(engine, group_message(person(f"bob{tag}"), supergroup, spend("2"))).kind is ReplyKind.RECORDED
    assert scalar(engine, "SELECT count(*) FROM transactions WHERE context_id = :x", x=context_id) == 2
    assert roles(engine, context_id) == {f"ana{tag}": "owner", f"bob{tag}": "editor"}


def test_a_migrated_group_whose_new_id_came_first_keeps_the_old_ledger(engine: Engine) -> None:
    chat, tag = tagged()
    supergroup = f"{chat}9"
    send(engine, chat_event(person(f"ana{tag}"), chat, "bot_added", title="Casa"))
    old = ledger_of(engine, chat)
    send(engine, group_message(person(f"bob{tag}"), supergroup, spend("3")))
    assert ledger_of(engine, supergroup) != old
    send(engine, chat_event(person(f"ana{tag}"), chat, "migrated", migrate_to=supergroup))
    assert ledger_of(engine, supergroup) == old
    send(engine, group_message(person(f"bob{tag}"), supergroup, spend("4")))
    assert rows(engine, "SELECT amount FROM transactions WHERE context_id = :x", x=old) == [
        (Decimal("4.0000"),)
    ]


def test_a_channel_post_is_recorded_with_the_payer_unknown_and_claimed(engine: Engine) -> None:
    chat, tag = tagged()
    send(engine, chat_event(person(f"ana{tag}"), chat, "bot_added", title="Casa"))
    context_id = ledger_of(engine, chat)
    users_before = scalar(engine, "SELECT count(*) FROM users")
    post = send(engine, group_message(channel(f"chan{tag}"), chat, spend("80", "farmacia", "health")))
    assert post.kind is ReplyKind.WHO_PAID
    (shown,) = post.transactions
    assert (shown.amount, shown.merchant) == (Decimal("80"), "farmacia")
    assert rows(
        engine, "SELECT author_id, paid_by FROM transactions WHERE id = :t", t=shown.transaction_id
    ) == [(None, None)]
    assert rows(engine, "SELECT author_id, context_id FROM captures WHERE id = :c", c=post.capture_id) == [
        (None, context_id)
    ]
    assert scalar(engine, "SELECT count(*) FROM users") == users_before
    assert (
        scalar(engine, "SELECT count(*) FROM channel_identities WHERE platform_user_id = :p", p=f"chan{tag}")
        == 0
    )
    # The read model lists it, with no author and the payer unknown.
    with engine.connect() as conn:
        listed = [t.to_json() for t in transactions(conn, context_id).items]
    assert [(t["amount"], t["author_id"], t["paid_by"]) for t in listed] == [("80.00", None, None)]
    # The channel cannot undo it; a member claims it.
    refused = send(engine, group_message(channel(f"chan{tag}"), chat, said(Intent.UNDO)))
    assert refused.kind is ReplyKind.FORBIDDEN
    assert scalar(engine, "SELECT count(*) FROM users") == users_before
    claimed = send(engine, group_message(person(f"bob{tag}"), chat, said(Intent.CLAIM_PAYER)))
    assert claimed.kind is ReplyKind.PAYER_SET
    assert claimed.transactions[0].transaction_id == shown.transaction_id
    bob = scalar(engine, "SELECT user_id FROM channel_identities WHERE platform_user_id = :p", p=f"bob{tag}")
    assert scalar(engine, "SELECT paid_by FROM transactions WHERE id = :t", t=shown.transaction_id) == bob
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM events WHERE name = 'transaction.payer_set' AND entity_id = :t AND actor_id = :u",
            t=shown.transaction_id,
            u=bob,
        )
        == 1
    )
    nothing = send(engine, group_message(person(f"ana{tag}"), chat, said(Intent.CLAIM_PAYER)))
    assert nothing.kind is ReplyKind.NOTHING_TO_CLAIM
    with engine.connect() as conn:
        (again,) = [t.to_json() for t in transactions(conn, context_id).items]
    assert again["paid_by"] == str(bob)


def test_a_target_in_another_ledger_is_refused(engine: Engine) -> None:
    chat, tag = tagged()
    send(engine, chat_event(person(f"ana{tag}"), chat, "bot_added", title="Casa"))
    zoe = f"zoe{tag}"
    private = ingest(engine, dev_capture(zoe, spend("500")))
    assert private is not None
    foreign = private.transactions[0].transaction_id
    events_before = scalar(engine, "SELECT count(*) FROM events WHERE entity_id = :t", t=foreign)
    for understanding, expected in (
        (said(Intent.UNDO), ReplyKind.NOTHING_TO_UNDO),
        (said(Intent.RECATEGORIZE, category="health"), ReplyKind.NOTHING_TO_RECATEGORIZE),
        (said(Intent.CLAIM_PAYER), ReplyKind.NOTHING_TO_CLAIM),
    ):
        reply = send(engine, group_message(person(f"ana{tag}"), chat, understanding, target=foreign))
        assert reply.kind is expected
    assert rows(engine, "SELECT status, category FROM transactions WHERE id = :t", t=foreign) == [
        ("recorded", "groceries")
    ]
    assert scalar(engine, "SELECT count(*) FROM events WHERE entity_id = :t", t=foreign) == events_before
    # A target in the group's own ledger is acted on, whoever recorded it.
    bobs = send(engine, group_message(person(f"bob{tag}"), chat, spend("12", "padaria"))).transactions[0]
    undone = send(
        engine, group_message(person(f"ana{tag}"), chat, said(Intent.UNDO), target=bobs.transaction_id)
    )
    assert undone.kind is ReplyKind.UNDONE
    assert (
        scalar(engine, "SELECT status FROM transactions WHERE id = :t", t=bobs.transaction_id) == "reversed"
    )


def test_contexto_lists_and_switches_by_number_and_by_name(engine: Engine) -> None:
    chat, tag = tagged()
    ana = f"ana{tag}"
    send(engine, chat_event(person(ana, "Ana"), chat, "bot_added", title="Família Silva"))
    family = ledger_of(engine, chat)

    def in_private(choice: str | None) -> ReplyV1:
        fields = {} if choice is None else {"context_choice": choice}
        return send(
            engine,
            group_message(person(ana, "Ana"), ana, said(Intent.CONTEXTS, **fields), chat_type="private"),
        )

    listed = in_private(None)
    assert listed.kind is ReplyKind.CONTEXTS
    assert [(c.name, c.type, c.role, c.current) for c in listed.contexts] == [
        ("Ana", "personal", "owner", True),
        ("Família Silva", "family", "owner", False),
    ]
    personal = listed.contexts[0].context_id
    switched = in_private("2")
    assert switched.kind is ReplyKind.CONTEXT_SWITCHED
    assert switched.contexts[0].context_id == family
    assert ledger_of(engine, ana) == family
    send(engine, group_message(person(ana), ana, spend("7"), chat_type="private"))
    assert scalar(engine, "SELECT count(*) FROM transactions WHERE context_id = :x", x=family) == 1
    assert scalar(
        engine,
        "SELECT before->>'context_id' FROM events WHERE name = 'chat.switched' AND context_id = :x",
        x=family,
    ) == str(personal)
    back = in_private("ANA")
    assert back.kind is ReplyKind.CONTEXT_SWITCHED
    assert ledger_of(engine, ana) == personal
    assert in_private("familia").contexts[0].context_id == family
    assert in_private("nenhum").kind is ReplyKind.UNKNOWN_CONTEXT
    assert ledger_of(engine, ana) == family
    fixed = send(engine, group_message(person(ana), chat, said(Intent.CONTEXTS, context_choice="1")))
    assert (fixed.kind, fixed.problem) == (ReplyKind.FORBIDDEN, "group_ledger_fixed")
    assert ledger_of(engine, chat) == family


def test_a_new_group_written_to_at_once_gets_one_ledger(engine: Engine) -> None:
    """The bot added and five people's first messages arrive together: one ledger, six members."""
    chat, tag = tagged()
    people = [f"p{n}{tag}" for n in range(5)]
    captures = [chat_event(person(f"ana{tag}"), chat, "bot_added", title="Casa")]
    captures += [group_message(person(p), chat, spend(str(n + 1))) for n, p in enumerate(people)]
    with ThreadPoolExecutor(max_workers=len(captures)) as pool:
        replies = list(pool.map(lambda c: ingest(engine, c), captures))
    assert [r.kind if r else None for r in replies] == [ReplyKind.GROUP_BOUND] + [ReplyKind.RECORDED] * 5
    context_id = ledger_of(engine, chat)
    found = roles(engine, context_id)
    assert set(found) == {f"ana{tag}", *people}
    assert sorted(found.values()).count("owner") == 1
    assert set(found.values()) <= {"owner", "editor"}
    assert scalar(engine, "SELECT count(*) FROM transactions WHERE context_id = :x", x=context_id) == 5
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM contexts WHERE type = 'family' AND id IN"
            " (SELECT context_id FROM chat_bindings WHERE chat_id = :c)",
            c=chat,
        )
        == 1
    )


def test_a_forged_migration_onto_another_groups_chat_changes_nothing(engine: Engine) -> None:
    victim_chat, tag = tagged()
    attacker_chat = f"{victim_chat}7"
    send(engine, chat_event(person(f"ana{tag}"), victim_chat, "bot_added", title="Casa"))
    send(engine, group_message(person(f"ana{tag}"), victim_chat, spend("40")))
    victim = ledger_of(engine, victim_chat)
    with engine.begin() as conn:  # Ana's group has been bound (and recording) for a month
        for table in ("chat_bindings", "transactions"):
            conn.execute(
                text(
                    f"UPDATE {table} SET created_at = created_at - interval '30 days' WHERE context_id = :x"
                ),
                {"x": victim},
            )
        conn.execute(
            text("UPDATE contexts SET created_at = created_at - interval '30 days' WHERE id = :x"),
            {"x": victim},
        )
    send(engine, chat_event(person(f"carol{tag}"), attacker_chat, "bot_added", title="Golpe"))
    attacker = ledger_of(engine, attacker_chat)
    bindings = (
        "SELECT chat_id, context_id, active FROM chat_bindings WHERE chat_id IN (:a, :b) ORDER BY chat_id"
    )
    before = rows(engine, bindings, a=victim_chat, b=attacker_chat)

    forged = send(
        engine, chat_event(person(f"carol{tag}"), attacker_chat, "migrated", migrate_to=victim_chat)
    )

    assert (forged.kind, forged.silent) == (ReplyKind.CHAT_MIGRATED, True)
    assert rows(engine, bindings, a=victim_chat, b=attacker_chat) == before
    assert ledger_of(engine, victim_chat) == victim
    assert f"carol{tag}" not in roles(engine, victim)
    refused = rows(
        engine,
        "SELECT context_id, after FROM events WHERE name = 'chat.migration_refused' AND context_id = :x",
        x=attacker,
    )
    assert refused == [
        (attacker, {"chat_id": attacker_chat, "migrate_to_chat_id": victim_chat, "reason": "bound_elsewhere"})
    ]
    assert (
        scalar(
            engine, "SELECT count(*) FROM events WHERE name = 'chat.migrated' AND context_id = :x", x=attacker
        )
        == 0
    )
    send(engine, group_message(person(f"ana{tag}"), victim_chat, spend("5")))
    assert scalar(engine, "SELECT count(*) FROM transactions WHERE context_id = :x", x=victim) == 2
