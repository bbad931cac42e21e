"""Telegram updates -> what the edge does with them (pure: no network, no state).

:func:`map_update` reads one parsed :class:`telegram.Update` and returns a :class:`Mapped`: the
:class:`~financy.bots.common.message.InboundMessage` for the intake (if any), the file to fetch
first (voice, audio, video note, photo, image or PDF document, or a bank statement file: .ofx,
.qfx, .csv, .qif, .xml), the callback query to answer,
the keyboard to expand, the chat whose administrators a "bot added" event needs, or why the
update is only acknowledged (``ignored``: logged, never an error).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from uuid import UUID

from telegram import Chat, ChatMemberUpdated, Message, Update, User

from financy.bots.common.message import InboundMessage, MediaType, SentMessage
from financy.bots.telegram.callbacks import Press, decode, press_language, press_text
from financy.bots.telegram.utf16 import utf16_boundary, utf16_len, utf16_remove, utf16_slice
from financy.core.contracts.v1 import ChatEventV1, ChatType, Platform, is_statement_file

PLATFORM: Platform = "telegram"
#: Telegram's stand-in senders: "GroupAnonymousBot" (anonymous group admins), "Channel_Bot"
#: (a channel writing in a group) and "Telegram" (automatic forwards from a linked channel).
NOT_PEOPLE = frozenset({1087968824, 136817688, 777000})
#: Message kinds a user sends that Financy does not read: kept as a capture (the core asks).
UNREAD_KINDS = (
    "location",
    "venue",
    "dice",
    "sticker",
    "video",
    "animation",
    "contact",
    "poll",
    "game",
    "story",
    "invoice",
    "paid_media",
    "checklist",
)
_ADDRESSED = re.compile(r"/[A-Za-z0-9_]{1,64}@[A-Za-z0-9_]{3,64}")
_MEMBER = ("member", "administrator", "creator", "owner")
_GONE = ("left", "kicked", "banned")


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file to fetch with getFile before the message goes to the intake (sizes in bytes)."""

    file_id: str
    file_size: int | None
    content_type: str | None
    filename: str | None


@dataclass(frozen=True, slots=True)
class Expand:
    """A "more categories" press: replace the keyboard of ``message_id`` with every category."""

    chat_id: str
    message_id: int
    transaction_id: UUID | None
    language: str


@dataclass(frozen=True, slots=True)
class Mapped:
    """What one update asks of the adapter (see the module); ``ignored`` says why nothing goes on."""

    inbound: InboundMessage | None = None
    file: FileRef | None = None
    answer_callback: str | None = None
    expand: Expand | None = None
    admins_of: str | None = None
    ignored: str | None = None
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is (its user id from the token, its @username without ``@``) and the media limit."""

    bot_id: int | None
    username: str | None
    max_media_bytes: int = 25 * 1024 * 1024


SentLookup = Callable[[str, str], SentMessage | None]


def chat_type_of(chat: Chat) -> ChatType | None:
    """Return "private" or "group" (groups and supergroups); ``None`` for a channel."""
    if chat.type == Chat.PRIVATE:
        return "private"
    if chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        return "group"
    return None


def _one_transaction(sent: SentMessage | None) -> UUID | None:
    """Return the one transaction a bot message showed, or ``None`` (unknown message, none or several)."""
    if sent is None or len(sent.transaction_ids) != 1:
        return None
    try:
        return UUID(sent.transaction_ids[0])
    except ValueError:
        return None


def _person(user: User | None) -> bool:
    return user is not None and not user.is_bot and user.id not in NOT_PEOPLE


def _sender(message: Message) -> tuple[str, str | None, str | None, bool]:
    """Return (sender id, display name, language, is a person) of ``message``."""
    user, sender_chat = message.from_user, message.sender_chat
    if sender_chat is not None:
        name = sender_chat.title or sender_chat.username
        return str(sender_chat.id), name[:200] if name else None, None, False
    if not _person(user):
        ident = str(user.id) if user is not None else str(message.chat.id)
        return ident, (user.full_name[:200] or None) if user else None, None, False
    assert user is not None
    return str(user.id), user.full_name[:200] or None, user.language_code, True


def command_text(
    text: str, message: Message, username: str | None, *, in_group: bool
) -> tuple[str | None, str | None]:
    """Return (text for the intake, why ignored) for a message whose text may carry commands.

    In a group, a ``bot_command`` entity at offset 0 addressed to another bot
    (``/start@OtherBot``) makes the message ignored; a command addressed to this bot
    (``/add@OurBot 12``, anywhere in the text) loses its mention (``/add 12``).
    Entity offsets and lengths are UTF-16 code units; a ``bot_command`` entity that is empty,
    starts or ends off a character boundary (inside a surrogate pair, past the end) or overlaps
    an earlier one is ignored (the text it names stays as sent).
    """
    entities = (message.entities if message.text is not None else message.caption_entities) or ()
    commands = []
    end = 0
    for entity in sorted((e for e in entities if e.type == "bot_command"), key=lambda e: e.offset):
        if (
            entity.length <= 0
            or entity.offset < end
            or not utf16_boundary(text, entity.offset)
            or not utf16_boundary(text, entity.offset + entity.length)
        ):
            continue
        commands.append(entity)
        end = entity.offset + entity.length
    for entity in reversed(commands):
        command = utf16_slice(text, entity.offset, entity.length)
        if not _ADDRESSED.fullmatch(command):
            continue  # no @mention in it (or a malformed entity): the text stays as sent
        name, at, target = command.partition("@")
        if username is None or target.lower() != username.lower():
            if entity.offset == 0 and username is not None and in_group:
                return None, "command_for_another_bot"
            continue
        # Cut "@OurBot" out: it starts after the command's name.
        text = utf16_remove(text, entity.offset + utf16_len(name), utf16_len(at + target))
    return text, None


def _file_of(message: Message, limit: int) -> tuple[MediaType, FileRef | None, bool] | None:
    """Return (media type, file to fetch, over the limit) of a message with a file we read, else ``None``."""
    if message.voice is not None:
        v = message.voice
        return "voice", FileRef(v.file_id, v.file_size, v.mime_type or "audio/ogg", None), False
    if message.audio is not None:
        a = message.audio
        return "voice", FileRef(a.file_id, a.file_size, a.mime_type or "audio/mpeg", a.file_name), False
    if message.video_note is not None:
        n = message.video_note
        return "voice", FileRef(n.file_id, n.file_size, "video/mp4", None), False
    if message.photo:
        sizes = sorted(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
        within = [p for p in sizes if p.file_size is None or p.file_size <= limit]
        if not within:
            big = sizes[-1]
            return "photo", FileRef(big.file_id, big.file_size, "image/jpeg", None), True
        p = within[-1]
        return "photo", FileRef(p.file_id, p.file_size, "image/jpeg", None), False
    if message.document is not None:
        d = message.document
        mime = (d.mime_type or "").lower()
        if mime.startswith("image/") or mime == "application/pdf":
            kind: MediaType = "photo" if mime.startswith("image/") else "document"
            return kind, FileRef(d.file_id, d.file_size, mime, d.file_name), False
        if is_statement_file(d.file_name, mime):  # a bank statement to import (.ofx, .csv, ...)
            declared = mime or "application/octet-stream"
            return "document", FileRef(d.file_id, d.file_size, declared, d.file_name), False
    return None


def _message(
    update: Update, message: Message, *, edited: bool, identity: BotIdentity, sent: SentLookup
) -> Mapped:
    chat_type = chat_type_of(message.chat)
    if chat_type is None:
        return Mapped(ignored="channel_post", details={"chat_id": message.chat.id})
    chat_id = str(message.chat.id)
    sender_id, name, language, person = _sender(message)
    base = InboundMessage(
        platform=PLATFORM,
        chat_id=chat_id,
        message_id=str(message.message_id),
        sender_id=sender_id,
        received_at=message.date,
        text=None,
        sender_name=name,
        sender_language=language,
        chat_type=chat_type,
        sender_is_person=person,
    )
    if message.migrate_to_chat_id is not None:
        event = ChatEventV1(kind="migrated", migrate_to_chat_id=str(message.migrate_to_chat_id))
        return Mapped(inbound=replace(base, message_id=f"mig{message.migrate_to_chat_id}", chat_event=event))
    if edited:
        at = message.edit_date or message.date
        base = replace(
            base,
            message_id=f"{message.message_id}.e{int(at.timestamp())}",
            amends=str(message.message_id),
            received_at=at,
        )
    reply_to = message.reply_to_message
    if reply_to is not None:
        known = sent(chat_id, str(reply_to.message_id))
        target = _one_transaction(known)
        if target is not None:
            base = replace(base, target_transaction=target)
    text = message.text if message.text is not None else message.caption
    if text is not None:
        text, why = command_text(text, message, identity.username, in_group=chat_type == "group")
        if why is not None:
            return Mapped(ignored=why, details={"chat_id": chat_id, "message_id": message.message_id})
    media = _file_of(message, identity.max_media_bytes)
    if media is not None:
        media_type, ref, over = media
        declared = ref.file_size if ref is not None else None
        if over or (declared is not None and declared > identity.max_media_bytes):
            return Mapped(
                inbound=replace(base, text=text, media_type=media_type, problem="file_too_large"),
                details={"file_size": declared},
            )
        return Mapped(inbound=replace(base, text=text, media_type=media_type), file=ref)
    if message.document is not None or any(getattr(message, k, None) for k in UNREAD_KINDS):
        # Something a user sent that Financy cannot read: kept, and the core asks for the expense.
        return Mapped(inbound=replace(base, text=text, media_type="other", problem="not_text"))
    if text is None:
        return Mapped(
            ignored="service_message", details={"chat_id": chat_id, "message_id": message.message_id}
        )
    return Mapped(inbound=replace(base, text=text))


def _callback(update: Update, identity: BotIdentity, sent: SentLookup) -> Mapped:
    query = update.callback_query
    assert query is not None
    press: Press | None = decode(query.data)
    message = query.message
    if press is None:
        return Mapped(answer_callback=query.id, ignored="callback_malformed", details={"data": query.data})
    if message is None or not isinstance(message, Message):
        return Mapped(answer_callback=query.id, ignored="callback_without_message")
    chat_type = chat_type_of(message.chat)
    if chat_type is None:
        return Mapped(answer_callback=query.id, ignored="callback_in_channel")
    chat_id = str(message.chat.id)
    user = query.from_user
    language = press_language(user.language_code)
    target = press.transaction_id
    if target is None:
        target = _one_transaction(sent(chat_id, str(message.message_id)))
    if press.kind == "more":
        return Mapped(answer_callback=query.id, expand=Expand(chat_id, message.message_id, target, language))
    text = press_text(press, language)
    if text is None:
        return Mapped(answer_callback=query.id, ignored="callback_unknown_category")
    inbound = InboundMessage(
        platform=PLATFORM,
        chat_id=chat_id,
        message_id=f"cb{query.id}",
        sender_id=str(user.id),
        received_at=dt.datetime.now(dt.UTC),
        text=text,
        sender_name=user.full_name[:200] or None,
        sender_language=user.language_code,
        chat_type=chat_type,
        sender_is_person=_person(user),
        target_transaction=target,
    )
    return Mapped(inbound=inbound, answer_callback=query.id)


def _member(update: Update, member: ChatMemberUpdated) -> Mapped:
    chat = member.chat
    chat_type = chat_type_of(chat)
    old, new = member.old_chat_member, member.new_chat_member
    was_in = old.status in _MEMBER or (old.status == "restricted" and bool(getattr(old, "is_member", False)))
    is_in = new.status in _MEMBER or (new.status == "restricted" and bool(getattr(new, "is_member", False)))
    details: dict[str, object] = {"chat_id": chat.id, "old": old.status, "new": new.status}
    if chat_type is None:
        return Mapped(ignored="my_chat_member_channel", details=details)
    user = member.from_user
    base = InboundMessage(
        platform=PLATFORM,
        chat_id=str(chat.id),
        message_id=f"mcm{update.update_id}",
        sender_id=str(user.id),
        received_at=member.date,
        text=None,
        sender_name=user.full_name[:200] or None,
        sender_language=user.language_code,
        chat_type=chat_type,
        sender_is_person=_person(user),
    )
    title = (chat.title or "")[:200] or None
    if was_in and not is_in:
        return Mapped(inbound=replace(base, chat_event=ChatEventV1(kind="bot_removed", chat_title=title)))
    if is_in and not was_in and chat_type == "group":
        event = ChatEventV1(kind="bot_added", chat_title=title)
        return Mapped(inbound=replace(base, chat_event=event), admins_of=str(chat.id))
    return Mapped(ignored="my_chat_member_unchanged", details=details)


def map_update(update: Update, identity: BotIdentity, sent: SentLookup) -> Mapped:
    """Return what ``update`` asks of the adapter (see :class:`Mapped`); never raises for a kind it lacks.

    ``sent(chat_id, message_id)`` looks up one of the bot's own messages (a reply to it, a
    button under it, acts on the transaction it showed).
    """
    if update.message is not None:
        return _message(update, update.message, edited=False, identity=identity, sent=sent)
    if update.edited_message is not None:
        return _message(update, update.edited_message, edited=True, identity=identity, sent=sent)
    if update.channel_post is not None or update.edited_channel_post is not None:
        post = update.channel_post or update.edited_channel_post
        return Mapped(ignored="channel_post", details={"chat_id": post.chat.id if post else None})
    if update.callback_query is not None:
        return _callback(update, identity, sent)
    if update.my_chat_member is not None:
        return _member(update, update.my_chat_member)
    kinds = sorted(k for k, v in update.to_dict().items() if k != "update_id" and v)
    return Mapped(ignored="update_kind_not_handled", details={"kinds": kinds})
