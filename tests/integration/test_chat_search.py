"""The chat's search on real PostgreSQL: text read by the production reader ("/buscar farmacia"),
handled by the production chat handlers, searched in the ledger's ``search_documents`` inside the
same transaction, rendered as the bot sends it. Accents, typos and other ledgers as the API's
search has them (tests/integration/test_search.py tests the search itself)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from financy.bots.common.render import render
from financy.core.adapters import orm
from financy.core.contracts.v1 import ReplyKind
from tests.support.api import Member, new_user, say

pytestmark = pytest.mark.integration


def kept(engine: Engine, member: Member) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(orm.captures)
                .where(orm.captures.c.chat_id == member.devchat_id)
            ).scalar_one()
        )


def test_a_search_finds_the_ledgers_entries_with_accents_and_typos_forgiven(engine: Engine) -> None:
    member = new_user(engine)
    for text in ("gastei 45,90 na Farmácia São João", "uber 23", "farmácia 12,50 ontem", "mercado 80"):
        assert say(engine, member, text).kind is ReplyKind.RECORDED

    found = say(engine, member, "/buscar farmacia")
    assert (found.kind, found.search_text, found.search_more) == (ReplyKind.SEARCH_RESULTS, "farmacia", False)
    assert sorted(tx.amount for tx in found.transactions) == [Decimal("12.50"), Decimal("45.90")]
    text = render(found).text
    assert text.startswith("🔎 2 lançamentos com “farmacia”:\n• R$ ")
    assert "45,90" in text
    assert "12,50" in text
    assert "uber" not in text.lower()

    typo = say(engine, member, "/buscar farmacai sao joao")
    assert [tx.amount for tx in typo.transactions] == [Decimal("45.90")]
    assert render(typo).text.startswith("🔎 1 lançamento com “farmacai sao joao”:")

    english = say(engine, member, "/search uber")
    assert [(tx.amount, tx.merchant) for tx in english.transactions] == [(Decimal(23), "uber")]

    none = say(engine, member, "/buscar padaria")
    assert none.transactions == ()
    assert render(none).text == "🔎 Nenhum lançamento com “padaria” neste livro."
    # every message, searches included, is kept as a capture
    assert kept(engine, member) == 8


def test_a_bare_or_too_long_search_asks_and_another_ledger_sees_nothing(engine: Engine) -> None:
    owner, stranger = new_user(engine), new_user(engine)
    assert say(engine, owner, "gastei 45,90 na farmácia").kind is ReplyKind.RECORDED

    bare = say(engine, owner, "/buscar")
    assert (bare.kind, bare.problem) == (ReplyKind.SEARCH_RESULTS, "search_empty")
    assert render(bare).text == "🔎 O que devo procurar? Escreva depois do comando, ex.: /buscar farmácia"

    long = say(engine, owner, "/buscar " + " ".join(f"palavra{k}" for k in range(11)))
    assert long.problem == "search_invalid"
    assert render(long).text.startswith("🔎 Busca longa demais")

    elsewhere = say(engine, stranger, "/buscar farmacia")
    assert (elsewhere.kind, elsewhere.transactions) == (ReplyKind.SEARCH_RESULTS, ())


def test_more_matches_than_a_chat_shows_say_so(engine: Engine) -> None:
    member = new_user(engine)
    for k in range(12):
        assert say(engine, member, f"padaria {k + 1},00").kind is ReplyKind.RECORDED
    found = say(engine, member, "/buscar padaria")
    assert (len(found.transactions), found.search_more) == (10, True)
    text = render(found).text
    assert text.startswith("🔎 Os 10 lançamentos mais próximos de “padaria”:")
    assert text.endswith("Há mais; escreva mais palavras para afinar a busca, ou veja todos no painel.")
