"""Outgoing WhatsApp messages: a rendered reply as a Graph API ``/messages`` body, and button ids.

A reply with up to 3 buttons goes out as an interactive "button" message (reply buttons); one
with more as an interactive "list" message (up to 10 rows). A pressed button comes back with the
id we gave it: ``<action>:<transaction id or empty>:<value>``, where ``value`` is the message the
text reader understands ("/desfazer", "muda pra saúde"). :func:`parse_button_id` turns that
back into the text and the transaction it acts on, so an old message's button acts on its own
transaction. Limits (Cloud API reference): reply button title 20 characters and id 256; list
button label 20, section title 24, row title 24, row description 72, row id 200, 10 rows;
interactive body 1024 characters; text body 4096.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from financy.bots.common.reply import Button, Reply
from financy.bots.whatsapp import strings

MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_ROWS = 10
MAX_LIST_BUTTON = 20
MAX_SECTION_TITLE = 24
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_INTERACTIVE_BODY = 1024
MAX_TEXT_BODY = 4096

_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def clip(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters (code points), ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button_id(button: Button) -> str:
    """Return the id a pressed ``button`` comes back with: ``<action>:<transaction id>:<value>``."""
    return f"{button.action.value}:{button.transaction_id or ''}:{button.value}"


@dataclass(frozen=True, slots=True)
class Pressed:
    """What a pressed button of ours means: the message to read and the transaction it acts on."""

    action: str
    text: str
    transaction_id: uuid.UUID | None


def parse_button_id(value: str) -> Pressed | None:
    """Return what the button id ``value`` (made by :func:`button_id`) means, or ``None`` if not ours.

    Unknown actions are accepted (a newer edge may make them): the text is what counts.
    """
    action, sep, rest = value.partition(":")
    target, sep2, text = rest.partition(":")
    if not sep or not sep2 or not _ACTION.match(action) or not text.strip():
        return None
    if not target:
        return Pressed(action, text, None)
    try:
        return Pressed(action, text, uuid.UUID(target))
    except ValueError:
        return None


def _usable(buttons: tuple[Button, ...], id_limit: int) -> list[Button]:
    """Return the buttons whose id fits ``id_limit`` (a longer one could not come back whole)."""
    return [b for b in buttons if len(button_id(b)) <= id_limit]


def _reply_buttons(buttons: list[Button]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    titles: set[str] = set()
    for button in buttons[:MAX_REPLY_BUTTONS]:
        title = clip(button.label, MAX_BUTTON_TITLE)
        if title in titles:  # titles must be unique within a message
            continue
        titles.add(title)
        out.append({"type": "reply", "reply": {"id": button_id(button), "title": title}})
    return out


def _list_rows(buttons: list[Button]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for button in buttons[:MAX_LIST_ROWS]:
        row: dict[str, Any] = {"id": button_id(button), "title": clip(button.label, MAX_ROW_TITLE)}
        if len(button.label) > MAX_ROW_TITLE:
            row["description"] = clip(button.label, MAX_ROW_DESCRIPTION)
        rows.append(row)
    return rows


def build_message(
    to: str, rendered: Reply, *, language: str, context_message_id: str | None = None
) -> dict[str, Any]:
    """Return the ``POST /{phone_number_id}/messages`` JSON body sending ``rendered`` to ``to``.

    ``to`` is the user's wa_id; ``context_message_id`` the user's message this answers (shown
    quoted). No buttons: a text message (cut at 4096 characters). Up to 3 buttons: reply
    buttons; more: a list of up to 10 rows. A text too long for an interactive body (1024) is
    sent as plain text without its buttons.
    """
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    if context_message_id:
        body["context"] = {"message_id": context_message_id}
    text = rendered.text or "…"
    if len(text) <= MAX_INTERACTIVE_BODY:
        as_buttons = _usable(rendered.buttons, MAX_BUTTON_ID)
        if 0 < len(as_buttons) <= MAX_REPLY_BUTTONS:
            body["type"] = "interactive"
            body["interactive"] = {
                "type": "button",
                "body": {"text": text},
                "action": {"buttons": _reply_buttons(as_buttons)},
            }
            return body
        as_rows = _usable(rendered.buttons, MAX_ROW_ID)
        if as_rows:
            lang = language if language in strings.LIST_BUTTON else "en"
            body["type"] = "interactive"
            body["interactive"] = {
                "type": "list",
                "body": {"text": text},
                "action": {
                    "button": clip(strings.LIST_BUTTON[lang], MAX_LIST_BUTTON),
                    "sections": [
                        {
                            "title": clip(strings.LIST_SECTION[lang], MAX_SECTION_TITLE),
                            "rows": _list_rows(as_rows),
                        }
                    ],
                },
            }
            return body
    body["type"] = "text"
    body["text"] = {"body": clip(text, MAX_TEXT_BODY), "preview_url": False}
    return body
