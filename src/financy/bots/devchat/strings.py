"""Texts of the dev chat itself (its HTTP errors and the terminal client); replies are in bots/common."""

from __future__ import annotations

#: HTTP errors of ``/devchat`` (English: the dev chat is a developer's tool).
NOT_LOOPBACK = (
    "the dev chat answers only this machine (loopback) unless FINANCY_EDGE__DEVCHAT_TOKEN is set on the edge"
)
TOKEN_MISSING = "send Authorization: Bearer <FINANCY_EDGE__DEVCHAT_TOKEN>"  # noqa: S105 - a message, not a secret
TOKEN_WRONG = "that token is not the dev chat's"  # noqa: S105 - a message, not a secret
UNAVAILABLE = "the edge cannot keep files right now; send it again shortly"
MESSAGE_ID_REUSED = "message_id {message_id!r} was already used in this chat for a different text or file"

#: ``financy send`` / ``financy chat``.
GREETING = "Talking to {url} as {user!r}. Type an expense, /desfazer, /ajuda; Ctrl-D to leave."
ALREADY_RECEIVED = "(already received: that message id was sent before)"
NO_ANSWER_YET = "(message kept; the answer has not arrived yet — is `financy core ingest` running?)"
CANNOT_REACH = "financy send: cannot reach the edge at {url} ({error}); is `financy up` running?"
CANNOT_REACH_CHAT = "(cannot reach the edge: {error})"
REFUSED = (
    "financy send: the edge refused the dev chat ({error}); set FINANCY_EDGE__DEVCHAT_TOKEN as on the edge"
)
NOTHING_TO_SEND = "financy send: give a message, or --voice FILE / --photo FILE"
