"""Two people share one ledger through the API and the chat, on the real PostgreSQL.

GIVEN Ana (owner) and Bia, each with a login and a dev chat, WHEN Ana creates a family ledger
and invites Bia as viewer, and Bia accepts, THEN Bia reads it but cannot record into it from
chat nor manage it; WHEN Ana makes her editor THEN her messages are recorded there. Every
change is an event; refusals (used codes, the last owner, a locked base currency, an admin
against an owner) are clear 4xx answers and change nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select

from financy.core.adapters import orm
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ReplyKind,
    ReplyV1,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.domain.members import normalize_invite_code
from financy.core.entrypoints.api import ApiApp
from tests.support.api import Member, assert_error, bearer, new_user, spend, token_for
from tests.support.ledger import ingest

pytestmark = pytest.mark.integration

CASA = {
    "name": "Casa",
    "type": "family",
    "base_currency": "BRL",
    "time_zone": "America/Sao_Paulo",
    "locale": "pt-BR",
}


def say(engine: Engine, member: Member, understanding: Understanding) -> ReplyV1:
    """One dev chat message from ``member``'s own chat through the real ingest handler."""
    mid = uuid.uuid4().hex
    capture = CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("devchat", member.devchat_id, mid),
        edge_id="edge-api",
        platform="devchat",
        chat_id=member.devchat_id,
        message_id=mid,
        sender=Sender(platform_user_id=member.devchat_id),
        received_at=dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC),
        text="message",
        understanding=understanding,
    )
    reply = ingest(engine, capture)
    assert reply is not None
    return reply


def record(engine: Engine, member: Member, amount: str) -> ReplyV1:
    return say(
        engine,
        member,
        Understanding(
            language="pt",
            intent=Intent.RECORD,
            transactions=(spend(amount, dt.date(2026, 11, 28)),),
            confidence=0.9,
        ),
    )


def command(intent: Intent, **fields: Any) -> Understanding:
    return Understanding(language="pt", intent=intent, confidence=1.0, **fields)


async def call(
    app: ApiApp, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {"headers": bearer(token)}
    if body is not None:
        kwargs["json"] = body
    _, response = await app.asgi_client.request(method, path, **kwargs)
    return response.status, (response.json if response.body else None)


def events_of(engine: Engine, context_id: uuid.UUID) -> list[str]:
    ev = orm.events
    with engine.connect() as conn:
        return list(
            conn.execute(select(ev.c.name).where(ev.c.context_id == context_id).order_by(ev.c.id)).scalars()
        )


def amounts_in(engine: Engine, context_id: uuid.UUID) -> list[str]:
    tx = orm.transactions
    with engine.connect() as conn:
        rows = conn.execute(select(tx.c.amount).where(tx.c.context_id == context_id)).scalars()
        return sorted(f"{a:.2f}" for a in rows)  # the set of amounts: rows come in no set order


def bound_to(engine: Engine, member: Member) -> uuid.UUID:
    b = orm.chat_bindings
    with engine.connect() as conn:
        found: uuid.UUID = conn.execute(
            select(b.c.context_id).where(b.c.platform == "devchat", b.c.chat_id == member.devchat_id)
        ).scalar_one()
        return found


async def test_owner_invites_viewer_who_cannot_record_until_promoted_to_editor(
    app: ApiApp, engine: Engine
) -> None:
    ana, bia = new_user(engine), new_user(engine)
    record(engine, bia, "1.00")  # Bia's chat exists, bound to her own ledger
    ana_token, bia_token = await token_for(app, ana), await token_for(app, bia)

    status, casa = await call(app, "POST", "/api/v1/contexts", ana_token, CASA)
    assert status == 201, casa
    assert (casa["role"], casa["archived"], casa["base_currency"]) == ("owner", False, "BRL")
    base = f"/api/v1/contexts/{casa['id']}"
    casa_id = uuid.UUID(casa["id"])

    _, response = await app.asgi_client.post(
        f"{base}/invitations", json={"role": "viewer"}, headers=bearer(ana_token)
    )
    assert response.status == 201, response.text
    invitation = response.json
    assert response.headers["cache-control"] == "no-store"
    assert invitation["role"] == "viewer"
    assert invitation["link"] == invitation["code"]  # no bot username configured
    assert "/entrar" in invitation["instructions"]
    bare = normalize_invite_code(invitation["code"])
    assert bare is not None
    with engine.connect() as conn:
        stored = conn.execute(select(orm.invitations).where(orm.invitations.c.context_id == casa_id)).one()
    assert stored.code_hash == hashlib.sha256(("invite:" + bare).encode()).hexdigest()
    assert bare not in str(stored._mapping.values())  # only its hash is kept
    expires = dt.datetime.fromisoformat(invitation["expires_at"])
    assert dt.timedelta(hours=71) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=72)

    status, pending = await call(app, "GET", f"{base}/invitations", ana_token)
    assert status == 200
    assert [i["id"] for i in pending["items"]] == [invitation["id"]]
    assert "code" not in pending["items"][0]

    status, accepted = await call(
        app, "POST", "/api/v1/invitations/accept", bia_token, {"code": invitation["code"].lower()}
    )
    assert status == 200, accepted
    assert (accepted["role"], accepted["context"]["id"]) == ("viewer", casa["id"])
    status, again = await call(
        app, "POST", "/api/v1/invitations/accept", bia_token, {"code": invitation["code"]}
    )
    assert status == 410
    assert_error(again, "invitation_used")
    status, unknown = await call(
        app, "POST", "/api/v1/invitations/accept", bia_token, {"code": "ZZZZZ-ZZZZZ"}
    )
    assert status == 404
    assert_error(unknown, "invitation_unknown")
    status, pending = await call(app, "GET", f"{base}/invitations", ana_token)
    assert pending["items"] == []

    status, members = await call(app, "GET", f"{base}/members", bia_token)
    assert status == 200
    assert [(m["user_id"], m["role"]) for m in members["items"]] == [
        (str(ana.user_id), "owner"),
        (str(bia.user_id), "viewer"),
    ]

    # Bia's chat records into Casa now; as a viewer nothing is recorded
    switched = say(engine, bia, command(Intent.CONTEXTS, context_choice="Casa"))
    assert switched.kind is ReplyKind.CONTEXT_SWITCHED
    refused = record(engine, bia, "25.00")
    assert refused.kind is ReplyKind.FORBIDDEN
    assert amounts_in(engine, casa_id) == []
    for method, path, body in (
        ("PATCH", base, {"name": "Minha"}),
        ("POST", f"{base}/invitations", {"role": "viewer"}),
        ("PATCH", f"{base}/members/{bia.user_id}", {"role": "editor"}),
        ("POST", f"{base}/archive", {}),
    ):
        status, error = await call(app, method, path, bia_token, body)
        assert status == 403, (method, path, error)
        assert_error(error, "forbidden")

    status, promoted = await call(
        app, "PATCH", f"{base}/members/{bia.user_id}", ana_token, {"role": "editor"}
    )
    assert (status, promoted) == (200, {"user_id": str(bia.user_id), "role": "editor"})
    assert record(engine, bia, "25.00").kind is ReplyKind.RECORDED
    assert amounts_in(engine, casa_id) == ["25.00"]

    # the base currency is locked once there are transactions; the name is not
    status, locked = await call(app, "PATCH", base, ana_token, {"base_currency": "USD", "name": "Lar"})
    assert status == 409
    assert_error(locked, "base_currency_locked")
    status, renamed = await call(
        app, "PATCH", base, ana_token, {"name": "Lar", "time_zone": "America/Manaus"}
    )
    assert status == 200
    assert (renamed["name"], renamed["time_zone"], renamed["base_currency"]) == (
        "Lar",
        "America/Manaus",
        "BRL",
    )

    # the last owner stays
    status, last = await call(app, "POST", f"{base}/members/me/leave", ana_token)
    assert status == 409
    assert_error(last, "last_owner")
    status, last = await call(app, "PATCH", f"{base}/members/{ana.user_id}", ana_token, {"role": "admin"})
    assert status == 409
    assert_error(last, "last_owner")

    # archived: listed as such, chat records nothing
    status, archived = await call(app, "POST", f"{base}/archive", ana_token)
    assert (status, archived["archived"]) == (200, True)
    status, listed = await call(app, "GET", "/api/v1/contexts", bia_token)
    assert [c["archived"] for c in listed["items"] if c["id"] == casa["id"]] == [True]
    assert record(engine, bia, "3.00").kind is ReplyKind.CONTEXT_ARCHIVED
    assert amounts_in(engine, casa_id) == ["25.00"]
    status, unarchived = await call(app, "POST", f"{base}/unarchive", ana_token)
    assert (status, unarchived["archived"]) == (200, False)

    # removed: Bia's chat goes back to her own ledger
    status, _ = await call(app, "DELETE", f"{base}/members/{bia.user_id}", ana_token)
    assert status == 204
    assert bound_to(engine, bia) == bia.context_id
    status, gone = await call(app, "GET", f"{base}/members", bia_token)
    assert status == 403
    assert_error(gone, "not_a_member")

    assert events_of(engine, casa_id) == [
        "context.created",
        "member.added",
        "invitation.created",
        "member.added",
        "invitation.accepted",
        "chat.switched",
        "capture.received",
        "member.role_changed",
        "transaction.recorded",
        "capture.received",
        "context.updated",
        "context.archived",
        "capture.received",
        "context.unarchived",
        "member.removed",
    ]


async def test_an_admin_never_touches_an_owner_and_bad_input_is_400(app: ApiApp, engine: Engine) -> None:
    ana, bia, caio = new_user(engine), new_user(engine), new_user(engine)
    ana_token, bia_token = await token_for(app, ana), await token_for(app, bia)
    status, body = await call(app, "POST", "/api/v1/contexts", ana_token, {**CASA, "base_currency": "XYZ"})
    assert status == 400
    assert_error(body, "unknown_currency")
    status, body = await call(app, "POST", "/api/v1/contexts", ana_token, {**CASA, "time_zone": "Mars/Base"})
    assert status == 400
    assert_error(body, "unknown_time_zone")
    status, body = await call(app, "POST", "/api/v1/contexts", ana_token, {**CASA, "type": "company"})
    assert status == 400
    assert_error(body, "bad_request")
    status, casa = await call(app, "POST", "/api/v1/contexts", ana_token, CASA)
    base = f"/api/v1/contexts/{casa['id']}"
    status, body = await call(app, "POST", f"{base}/invitations", ana_token, {"expires_in_hours": 721})
    assert status == 400
    assert "expires_in_hours" in body["error"]["message"]
    status, admin = await call(app, "POST", f"{base}/invitations", ana_token, {"role": "admin"})
    await call(app, "POST", "/api/v1/invitations/accept", bia_token, {"code": admin["code"]})
    for method, path, body_in, code in (
        ("PATCH", f"{base}/members/{ana.user_id}", {"role": "editor"}, "owner_protected"),
        ("DELETE", f"{base}/members/{ana.user_id}", None, "owner_protected"),
        ("PATCH", f"{base}/members/{bia.user_id}", {"role": "owner"}, "role_above_yours"),
        ("POST", f"{base}/invitations", {"role": "owner"}, "role_above_yours"),
    ):
        status, body = await call(app, method, path, bia_token, body_in)
        assert status == 403, (method, path, body)
        assert_error(body, code)
    status, body = await call(app, "DELETE", f"{base}/members/{caio.user_id}", bia_token)
    assert status == 404
    assert_error(body, "member_not_found")
    status, revocable = await call(app, "POST", f"{base}/invitations", bia_token, {"role": "editor"})
    assert status == 201
    status, _ = await call(app, "DELETE", f"{base}/invitations/{revocable['id']}", bia_token)
    assert status == 204
    caio_token = await token_for(app, caio)
    status, body = await call(
        app, "POST", "/api/v1/invitations/accept", caio_token, {"code": revocable["code"]}
    )
    assert status == 410
    assert_error(body, "invitation_revoked")
    status, members = await call(app, "GET", f"{base}/members", ana_token)
    assert [m["role"] for m in members["items"]] == ["owner", "admin"]


async def test_a_chat_user_joins_with_the_code_the_bot_gave(app: ApiApp, engine: Engine) -> None:
    ana, bia = new_user(engine), new_user(engine)
    _, casa = await call(app, "POST", "/api/v1/contexts", await token_for(app, ana), CASA)
    casa_id = uuid.UUID(casa["id"])
    say(engine, ana, command(Intent.CONTEXTS, context_choice="Casa"))
    invited = say(engine, ana, command(Intent.INVITE, invite_role="leitor"))
    assert invited.kind is ReplyKind.INVITATION_CREATED
    assert invited.invite_role == "viewer"
    assert invited.invite_code is not None
    record(engine, bia, "1.00")
    joined = say(engine, bia, command(Intent.JOIN, invite_code=invited.invite_code))
    assert joined.kind is ReplyKind.JOINED
    assert (joined.contexts[0].context_id, joined.contexts[0].role) == (casa_id, "viewer")
    assert bound_to(engine, bia) == casa_id
    assert record(engine, bia, "9.00").kind is ReplyKind.FORBIDDEN
    again = say(engine, bia, command(Intent.JOIN, invite_code=invited.invite_code))
    assert again.kind is ReplyKind.JOINED  # her own code again: nothing more used or changed
    carla = new_user(engine)
    used = say(engine, carla, command(Intent.JOIN, invite_code=invited.invite_code))
    assert (used.kind, used.problem) == (ReplyKind.INVITATION_INVALID, "invitation_used")
    assert bound_to(engine, carla) == carla.context_id
    back = say(engine, bia, command(Intent.PERSONAL))
    assert back.kind is ReplyKind.CONTEXT_SWITCHED
    assert bound_to(engine, bia) == bia.context_id
    assert record(engine, bia, "9.00").kind is ReplyKind.RECORDED
    assert amounts_in(engine, bia.context_id) == ["1.00", "9.00"]
    assert amounts_in(engine, casa_id) == []
