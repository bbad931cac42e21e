"""The chat's search command: what the reader reads, the handler over the fake unit of work
(role, ledger, limits) and the reply's text in pt-BR and English."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from financy.bots.common.render import render
from financy.core.contracts.v1 import Intent, RecordedTransaction, ReplyKind, ReplyV1, TransactionKind
from financy.core.domain.model import Role
from financy.core.service.messagebus import MessageBus
from financy.edge.pipeline.understand import to_understanding
from financy.inference.text.reader import read_message
from tests.support.captures import dev_capture, entry, record, said
from tests.support.replies import chat_reply
from tests.unit.bus import send
from tests.unit.fakes import Store

TODAY = dt.date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "language", "search"),
    [
        ("/buscar farmácia", "pt", "farmácia"),
        ("/buscar   Farmácia   São João ", "pt", "Farmácia São João"),
        ("/procurar uber aeroporto", "pt", "uber aeroporto"),
        ("/pesquisar 45,90", "pt", "45,90"),
        ("/search pharmacy", "en", "pharmacy"),
        ("/find Starbucks", "en", "Starbucks"),
        ("/buscar@financy_bot padaria", "pt", "padaria"),
        ("/buscar", "pt", None),
    ],
)
def test_the_search_commands(text: str, language: str, search: str | None) -> None:
    reading = read_message(
        text, today=TODAY, language_hint=language
    )  # a command answers in the chat's language
    assert (reading.intent, reading.language, reading.search_text, reading.confidence) == (
        "search",
        language,
        search,
        1.0,
    )
    understanding = to_understanding(reading)
    assert (understanding.intent, understanding.search_text) == (Intent.SEARCH, search)


@pytest.mark.parametrize("text", ["buscar pão 5", "procurei 20 na farmácia", "/buscarx farmácia"])
def test_without_the_slash_command_a_message_is_what_it_was(text: str) -> None:
    assert read_message(text, today=TODAY, language_hint="pt").intent != "search"


def test_a_long_search_is_cut_to_the_wires_bound() -> None:
    reading = read_message("/buscar " + "a" * 300, today=TODAY, language_hint="pt")
    assert reading.search_text == "a" * 200


def _tx(amount: str, merchant: str, day: int) -> RecordedTransaction:
    return RecordedTransaction(
        transaction_id=uuid.uuid4(),
        kind=TransactionKind.EXPENSE,
        amount=Decimal(amount),
        currency="BRL",
        occurred_on=dt.date(2026, 11, day),
        merchant=merchant,
        category="health",
        category_name="Saúde",
    )


def test_the_results_as_the_bot_writes_them() -> None:
    found = (_tx("45.90", "Farmácia São João", 28), _tx("12.50", "farmácia", 3))
    pt = chat_reply(
        "telegram", "1", "2", ReplyKind.SEARCH_RESULTS, transactions=found, search_text="farmacia"
    )
    assert render(pt).text == (
        "🔎 2 lançamentos com “farmacia”:\n"
        "• R$ 45,90 · Farmácia São João · Saúde · 28/11\n"
        "• R$ 12,50 · farmácia · Saúde · 03/11"
    )
    en = chat_reply(
        "telegram",
        "1",
        "2",
        ReplyKind.SEARCH_RESULTS,
        language="en",
        transactions=found[:1],
        search_text="farmacia\nsão  joão",
        search_more=True,
    )
    assert render(en).text == (
        "🔎 The 1 closest matches for “farmacia são joão”:\n"
        "• R$45.90 · Farmácia São João · Saúde · 11/28\n"
        "There are more; add words to narrow the search, or see them all on the dashboard."
    )
    none = chat_reply("telegram", "1", "2", ReplyKind.SEARCH_RESULTS, language="en", search_text="x" * 80)
    assert render(none).text == f"🔎 No transaction matches “{'x' * 59}…” in this ledger."


def _search(bus: MessageBus, text: str | None, sender: str = "ana") -> ReplyV1:
    return send(bus, dev_capture(sender, said(Intent.SEARCH, search_text=text)))


def test_the_handler_searches_the_chats_ledger_only_and_keeps_the_message(
    bus: MessageBus, store: Store
) -> None:
    send(
        bus,
        dev_capture(
            "ana", record(entry("45.90", "health", "Farmácia São João"), entry("23", "transport", "uber"))
        ),
    )
    send(bus, dev_capture("bia", record(entry("9.99", "health", "Farmácia da Bia"))))
    reply = _search(bus, "FARMACIA")
    assert (reply.kind, reply.problem, reply.search_text) == (ReplyKind.SEARCH_RESULTS, None, "FARMACIA")
    assert [(str(tx.amount), tx.merchant) for tx in reply.transactions] == [("45.90", "Farmácia São João")]
    assert reply.transactions[0].category_name == "Saúde"
    assert _search(bus, "farmacia", "bia").transactions[0].merchant == "Farmácia da Bia"
    assert _search(bus, None).problem == "search_empty"
    assert _search(bus, " ".join(["x"] * 11)).problem == "search_invalid"
    assert len(store.captures) == 6  # two records and four searches, each kept


def test_a_viewer_may_search_and_more_than_ten_matches_are_flagged(bus: MessageBus, store: Store) -> None:
    send(bus, dev_capture("ana", record(*(entry(f"{k + 1}", "groceries", "padaria") for k in range(8)))))
    send(bus, dev_capture("ana", record(*(entry(f"{k + 10}", "groceries", "padaria") for k in range(4)))))
    context_id = next(iter(store.contexts))
    send(bus, dev_capture("bia", record(entry("1"))))
    bia = next(u for (platform, user), u in store.identities.items() if user == "bia")
    store.members[(context_id, bia)] = Role.VIEWER
    store.bindings[("devchat", "bia")] = context_id
    reply = _search(bus, "padaria", "bia")
    assert (reply.kind, len(reply.transactions), reply.search_more) == (ReplyKind.SEARCH_RESULTS, 10, True)
