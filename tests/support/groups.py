"""Captures of group chats as an edge sends them: messages, chat events, senders that are not people."""

from __future__ import annotations

import datetime as dt
import uuid

from financy.core.contracts.v1 import (
    CaptureV1,
    ChatEventKind,
    ChatEventV1,
    Intent,
    LedgerQuery,
    Sender,
    Understanding,
)
from tests.support.captures import NOW, capture, entry, record


def person(user_id: str, name: str | None = None, *, admin: bool = False) -> Sender:
    """A person as the platform names them (``admin``: they administer the group)."""
    return Sender(platform_user_id=user_id, display_name=name or user_id.title(), is_chat_admin=admin)


def channel(channel_id: str) -> Sender:
    """A sender that is not a person: a channel posting in the group (or an anonymous admin)."""
    return Sender(platform_user_id=channel_id, display_name="Canal", is_person=False)


def group_message(
    sender: Sender,
    chat: str,
    understanding: Understanding | None,
    *,
    message_id: str | None = None,
    target: uuid.UUID | None = None,
    chat_type: str = "group",
    edge_id: str = "edge-g",
    at: dt.datetime = NOW,
) -> CaptureV1:
    """Return the capture of one Telegram message from ``sender`` in chat ``chat``."""
    return capture(
        "telegram",
        chat,
        message_id or uuid.uuid4().hex,
        sender,
        at=at,
        edge_id=edge_id,
        text="…",
        understanding=understanding,
        chat_type="group" if chat_type == "group" else "private",
        target_transaction=target,
    )


def chat_event(
    sender: Sender,
    chat: str,
    kind: ChatEventKind,
    *,
    title: str | None = None,
    admins: tuple[Sender, ...] = (),
    migrate_to: str | None = None,
    message_id: str | None = None,
    edge_id: str = "edge-g",
) -> CaptureV1:
    """Return the capture of a change to group ``chat`` (bot added or removed, group migrated)."""
    return capture(
        "telegram",
        chat,
        message_id or f"event-{uuid.uuid4().hex}",
        sender,
        at=NOW,
        edge_id=edge_id,
        text=None,
        chat_type="group",
        chat_event=ChatEventV1(kind=kind, chat_title=title, admins=admins, migrate_to_chat_id=migrate_to),
    )


def spend(
    amount: str, merchant: str = "mercado", category: str = "groceries", confidence: float = 0.9
) -> Understanding:
    """'gastei {amount} no {merchant}' as the edge reads it."""
    return record(entry(amount, category, merchant), confidence=confidence)


def total() -> Understanding:
    """'quanto gastei este mês?'."""
    return Understanding(language="pt", intent=Intent.QUERY, confidence=0.9, query=LedgerQuery())
