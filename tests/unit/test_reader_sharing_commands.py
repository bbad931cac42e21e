"""The chat words of shared ledgers, as the edge reads them into the contract.

"/convidar leitor" invites (the role as typed), "/entrar CODE" and a Telegram deep link's
"/start CODE" with a 10-symbol invitation code join, "/pessoal" switches back; "/start" with an
8-symbol link code still links an account, and "/start hello there" is still a start.
"""

from __future__ import annotations

import datetime as dt

import pytest

from financy.core.contracts.v1 import Intent, Understanding
from financy.edge.pipeline.understand import understand_text


def read(text: str) -> Understanding:
    return understand_text(text, today=dt.date(2026, 12, 2), language_hint="pt", currency="BRL")


@pytest.mark.parametrize(
    ("text", "intent", "code", "role"),
    [
        ("/convidar leitor", Intent.INVITE, None, "leitor"),
        ("/invite admin", Intent.INVITE, None, "admin"),
        ("/convidar@financy_bot editor", Intent.INVITE, None, "editor"),
        ("/convidar", Intent.INVITE, None, None),
        ("/entrar k7qm2-xpd9a", Intent.JOIN, "k7qm2-xpd9a", None),
        ("/join K7QM2XPD9A", Intent.JOIN, "K7QM2XPD9A", None),
        ("/entrar", Intent.JOIN, None, None),
        ("/start K7QM2XPD9A", Intent.JOIN, "K7QM2XPD9A", None),
        ("/pessoal", Intent.PERSONAL, None, None),
        ("/personal", Intent.PERSONAL, None, None),
    ],
)
def test_sharing_commands(text: str, intent: Intent, code: str | None, role: str | None) -> None:
    understood = read(text)
    assert (understood.intent, understood.invite_code, understood.invite_role) == (intent, code, role)


def test_a_link_code_and_words_after_start_are_not_invitations() -> None:
    link = read("/start K7QM2XPD")
    assert (link.intent, link.link_code, link.invite_code) == (Intent.LINK, "K7QM2XPD", None)
    assert read("/start hello there").intent is Intent.START
