"""Callback data of the inline keyboard under the bot's replies: at most 64 bytes, parsed back on press.

Formats (``<tx>``: a transaction id as 32 hex digits, or empty when the button acts on the latest):

* ``y`` / ``y:<tx>`` — confirm ("sim" / "yes");
* ``u`` / ``u:<tx>`` — undo ("/desfazer" / "/undo");
* ``c:<tx>:<slug>`` — change the category to ``slug`` ("muda pra saúde" / "change category to health");
* ``p:<tx>`` — "I paid" this transaction ("/eu" / "/me");
* ``m:<tx>`` — show every category (the adapter edits the keyboard; nothing goes to the core);
* ``v:<tx>:<text>`` — any other button: the message it sends, verbatim (when it fits).

A press becomes the message the button's value is (the words the text reader knows) in the
presser's language, carrying the transaction it acts on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from financy.bots.common.render import CATEGORY_NAMES
from financy.bots.common.reply import Button

#: Telegram's limit on callback_data (bytes, UTF-8).
MAX_DATA_BYTES = 64

#: What a pressed button sends, per language (the values :mod:`financy.bots.common.render` gives).
_VALUES: dict[str, dict[str, str]] = {
    "pt": {"confirm": "sim", "undo": "/desfazer", "category": "muda pra {word}", "claim": "/eu"},
    "en": {"confirm": "yes", "undo": "/undo", "category": "change category to {word}", "claim": "/me"},
}
_HEX32 = re.compile(r"[0-9a-f]{32}")
_SLUG = re.compile(r"[a-z_]{1,40}")


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded callback: ``kind`` ("confirm", "undo", "claim", "category", "more", "text"), its transaction,
    the category slug (``category``) or the verbatim message (``text``)."""

    kind: str
    transaction_id: UUID | None = None
    slug: str | None = None
    text: str | None = None


def _tx(value: str | None) -> str:
    if not value:
        return ""
    try:
        return UUID(value).hex
    except ValueError:
        return ""


def _fits(data: str) -> str | None:
    return data if len(data.encode("utf-8")) <= MAX_DATA_BYTES else None


def category_slug(value: str) -> str | None:
    """Return the category a "change category" button's ``value`` names (either language), or ``None``."""
    best: tuple[int, str] | None = None
    for language, templates in _VALUES.items():
        prefix = templates["category"].split("{word}")[0]
        if not value.startswith(prefix):
            continue
        word = value[len(prefix) :].strip()
        for slug, (_label, known) in CATEGORY_NAMES.get(language, {}).items():
            if word == known and (best is None or len(known) > best[0]):
                best = (len(known), slug)
    return best[1] if best else None


def encode(button: Button) -> str | None:
    """Return the callback data of ``button`` (<= 64 bytes), or ``None`` if it cannot be carried."""
    action = str(getattr(button.action, "value", button.action))
    tx = _tx(button.transaction_id)
    if action == "confirm":
        return f"y:{tx}" if tx else "y"
    if action == "undo":
        return f"u:{tx}" if tx else "u"
    if action == "change_category":
        slug = category_slug(button.value)
        if slug is not None:
            return _fits(f"c:{tx}:{slug}")
    if action == "claim_payer":
        return f"p:{tx}"
    if action == "more_categories":
        return f"m:{tx}"
    return _fits(f"v:{tx}:{button.value}")


def decode(data: str | None) -> Press | None:
    """Return the press ``data`` stands for, or ``None`` when it is not ours (malformed, stale format)."""
    if not data or len(data.encode("utf-8")) > MAX_DATA_BYTES:
        return None
    head, _, rest = data.partition(":")
    if head in ("y", "u", "p", "m"):
        if rest and not _HEX32.fullmatch(rest):
            return None
        kind = {"y": "confirm", "u": "undo", "p": "claim", "m": "more"}[head]
        return Press(kind, UUID(rest) if rest else None)
    if head in ("c", "v"):
        tx, sep, tail = rest.partition(":")
        if not sep or (tx and not _HEX32.fullmatch(tx)):
            return None
        transaction = UUID(tx) if tx else None
        if head == "c":
            if not _SLUG.fullmatch(tail) or tail not in CATEGORY_NAMES["pt"]:
                return None
            return Press("category", transaction, slug=tail)
        if not tail.strip():
            return None
        return Press("text", transaction, text=tail)
    return None


def press_language(language_code: str | None) -> str:
    """Return the language a press is worded in: the presser's ("pt" or "en"), else Portuguese."""
    return "en" if (language_code or "").lower().startswith("en") else "pt"


def press_text(press: Press, language: str) -> str | None:
    """Return the message ``press`` sends in ``language``, or ``None`` (``more``: nothing is sent)."""
    values = _VALUES.get(language, _VALUES["pt"])
    if press.kind == "confirm":
        return values["confirm"]
    if press.kind == "undo":
        return values["undo"]
    if press.kind == "claim":
        return values["claim"]
    if press.kind == "category" and press.slug is not None:
        names = CATEGORY_NAMES.get(language, CATEGORY_NAMES["pt"]).get(press.slug)
        return values["category"].format(word=names[1]) if names else None
    if press.kind == "text":
        return press.text
    return None


def all_categories(transaction_id: UUID | None, language: str) -> list[tuple[str, str]]:
    """Return (label, callback data) for every category in ``language`` (the "more categories" list)."""
    tx = transaction_id.hex if transaction_id else ""
    names = CATEGORY_NAMES.get(language, CATEGORY_NAMES["pt"])
    return [(f"🏷️ {label}", f"c:{tx}:{slug}") for slug, (label, _word) in names.items()]
