"""What a bot sends back: the reply's text and the buttons under it (confirm, undo, change category,
more categories, "I paid").

A button's ``value`` is the very message the user would otherwise type ("sim", "/desfazer",
"muda pra saúde"): a platform sends it back as the user's message when the button is pressed
(Telegram's callback data, WhatsApp's reply id), so the edge reads it like any other text.
``transaction_id`` names the transaction the button acts on (undo, change category, "I paid"):
the adapter carries it in the button's data, so pressing an old message's button acts on that
message's transaction, not on the sender's latest one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ButtonAction(StrEnum):
    """What pressing a button does."""

    CONFIRM = "confirm"  # "sim"/"yes" to a confirm request
    UNDO = "undo"  # /desfazer, /undo
    CHANGE_CATEGORY = "change_category"  # "muda pra <category>" / "change category to <category>"
    CLAIM_PAYER = "claim_payer"  # /eu, /me: "I paid" the transaction the bot asked "who paid?" about
    MORE_CATEGORIES = "more_categories"  # /categoria: every category (the adapter may list them itself)
    CONFIRM_LINK = "confirm_link"  # "/vincular CODE", "/link CODE": link this chat to the code's account


@dataclass(frozen=True, slots=True)
class Button:
    """One button under a reply: its label, what it does, and the message it sends."""

    label: str
    action: ButtonAction
    value: str
    transaction_id: str | None = None

    def as_json(self) -> dict[str, str]:
        """Return the button as a JSON object (``label``, ``action``, ``value``, and ``transaction_id`` when set)."""
        out = {"label": self.label, "action": self.action.value, "value": self.value}
        if self.transaction_id is not None:
            out["transaction_id"] = self.transaction_id
        return out


@dataclass(frozen=True, slots=True)
class Reply:
    """A rendered reply: the text in the user's language and its buttons, in order."""

    text: str
    buttons: tuple[Button, ...] = ()
