"""Users, chat messages and tokens for tests of the core API (real ingest, real login).

``new_user`` makes a login user linked to a dev chat identity, with a personal context;
``chat`` sends a message from that identity through the production ingest handler, and ``say``
sends a text read by the edge's production reader the same way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from financy.core.adapters.repositories import SqlContexts
from financy.core.contracts.v1 import (
    CaptureV1,
    Intent,
    ProposedTransaction,
    ReplyV1,
    Sender,
    Understanding,
    idempotency_key,
)
from financy.core.domain.commands import CreateUser
from financy.core.entrypoints.api import ApiApp
from financy.core.service.bootstrap import bootstrap
from financy.edge.pipeline.understand import understand_text
from tests.support.ledger import ingest

#: The key the API test apps sign tokens with.
JWT_SECRET = "test-secret-" + "k" * 40


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    username: str
    password: str
    devchat_id: str
    context_id: uuid.UUID


def new_user(engine: Engine, *, locale: str = "pt-BR", currency: str = "BRL") -> Member:
    """Create a login user linked to a fresh dev chat identity."""
    tag = uuid.uuid4().hex[:10]
    username, password, devchat_id = f"user{tag}", f"pw-{tag}-secret", f"dc{tag}"
    user_id = bootstrap(engine=engine).handle(
        CreateUser(
            username=username,
            password=password,
            display_name=f"User {tag}",
            locale=locale,
            base_currency=currency,
            link_platform="devchat",
            link_platform_user_id=devchat_id,
        )
    )
    with engine.connect() as conn:
        context_id = SqlContexts(conn).personal_context_of(user_id)
    assert context_id is not None
    return Member(user_id, username, password, devchat_id, context_id)


def spend(
    amount: str, occurred_on: dt.date, category: str = "groceries", merchant: str = "mercado"
) -> ProposedTransaction:
    return ProposedTransaction(
        amount=Decimal(amount), occurred_on=occurred_on, category=category, merchant=merchant
    )


#: When :func:`chat` and :func:`say` messages are received (the recurring tests' "today").
RECEIVED_AT = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)


def _send(engine: Engine, member: Member, text: str, understanding: Understanding) -> ReplyV1:
    """Send ``text``, read as ``understanding``, from ``member``'s dev chat through the real ingest handler."""
    mid = uuid.uuid4().hex
    capture = CaptureV1(
        capture_id=uuid.uuid4(),
        idempotency_key=idempotency_key("devchat", member.devchat_id, mid),
        edge_id="edge-api",
        platform="devchat",
        chat_id=member.devchat_id,
        message_id=mid,
        sender=Sender(platform_user_id=member.devchat_id),
        received_at=RECEIVED_AT,
        text=text,
        understanding=understanding,
    )
    reply = ingest(engine, capture)
    assert reply is not None
    return reply


def chat(
    engine: Engine, member: Member, *transactions: ProposedTransaction, intent: Intent = Intent.RECORD
) -> ReplyV1:
    """Send one dev chat message from ``member``'s identity through the real ingest handler."""
    said = Understanding(language="pt", intent=intent, transactions=transactions, confidence=0.9)
    return _send(engine, member, "message", said)


def say(engine: Engine, member: Member, text: str, *, language: str = "pt", currency: str = "BRL") -> ReplyV1:
    """Send ``text`` from ``member``'s dev chat as the edge would: read by the production reader
    (``language`` the chat's, ``currency`` the ledger's), then handled by the real ingest handler."""
    read = understand_text(text, today=RECEIVED_AT.date(), language_hint=language, currency=currency)
    return _send(engine, member, text, read)


async def token_for(app: ApiApp, member: Member) -> str:
    _, response = await app.asgi_client.post(
        "/api/v1/auth/token", json={"username": member.username, "password": member.password}
    )
    assert response.status == 200, response.text
    token: str = response.json["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def get_json(app: ApiApp, path: str, token: str) -> tuple[int, Any]:
    _, response = await app.asgi_client.get(path, headers=bearer(token))
    assert response.headers["content-type"].startswith("application/json")
    return response.status, response.json


def assert_error(body: Any, code: str) -> None:
    assert set(body) >= {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]


async def api_token_for(app: ApiApp, member: Member, scopes: list[str], **extra: object) -> dict[str, Any]:
    """Create a personal API token of ``member`` with ``scopes``; return the 201 answer's JSON."""
    session = await token_for(app, member)
    _, response = await app.asgi_client.post(
        "/api/v1/me/tokens", json={"name": "test token", "scopes": scopes, **extra}, headers=bearer(session)
    )
    assert response.status == 201, response.text
    created: dict[str, Any] = response.json
    return created
