"""The WhatsApp adapter's own texts (the conversation's words are in ``bots/common/render``)."""

from __future__ import annotations

#: The label of the button that opens a list message's rows (at most 20 characters).
LIST_BUTTON = {"pt": "Opções", "en": "Options"}
#: The title of a list message's one section (at most 24 characters).
LIST_SECTION = {"pt": "Escolha", "en": "Choose"}
