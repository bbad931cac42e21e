"""Transaction search on a real PostgreSQL (migration 0020 + :class:`PostgresSearch`).

One ledger is recorded through the production ingest (texts, a receipt photo with its lines and
OCR text, a voice note with its transcript, a "how much?" answer to a voice note), plus rows
written by hand in SQL (an import, an income, a reversed one): the triggers keep the search in
step with every writer. Each search asserts the exact transactions found, in order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text, update

from financy.core.adapters import orm
from financy.core.adapters.search import PostgresSearch, rebuild
from financy.core.contracts.v1 import LineItem, ProposedTransaction, Provenance
from financy.core.domain.model import TransactionStatus
from financy.core.service.search import InvalidSearchCursorError, SearchQuery, SearchTerm
from tests.support.api import new_user
from tests.support.search import Ledger, insert_row, media, record, search_ledger

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ledger(engine: Engine) -> Ledger:
    return search_ledger(engine)


def ids(engine: Engine, ledger: Ledger, **query: object) -> list[uuid.UUID]:
    page = PostgresSearch(engine).search(ledger.owner.context_id, SearchQuery(**query))  # type: ignore[arg-type]
    return [hit.transaction_id for hit in page.hits]


def test_a_typo_finds_the_word_the_ledger_has(engine: Engine, ledger: Ledger) -> None:
    page = PostgresSearch(engine).search(ledger.owner.context_id, SearchQuery(text="farmacai"))
    assert [h.transaction_id for h in page.hits] == [ledger.farmacia, ledger.popular]
    assert page.terms == (SearchTerm("farmacai", ("farmacia",), False),)
    assert [h.matched for h in page.hits] == [("merchant", "message"), ("merchant",)]
    assert ids(engine, ledger, text="padria") == [ledger.padaria]


def test_accents_and_case_are_forgiven_both_ways(engine: Engine, ledger: Ledger) -> None:
    assert ids(engine, ledger, text="pao de acucar") == [ledger.pao]
    assert ids(engine, ledger, text="PÃO DE AÇÚCAR") == [ledger.pao]
    assert ids(engine, ledger, text="pão-de-açúcar") == [ledger.pao]
    assert ids(engine, ledger, text="FARMÁCIA") == [ledger.farmacia, ledger.popular]
    assert ids(engine, ledger, text="cafe") == [ledger.padaria]


def test_the_beginning_of_a_word_finds_it(engine: Engine, ledger: Ledger) -> None:
    assert ids(engine, ledger, text="farm") == [ledger.farmacia, ledger.popular]
    assert ids(engine, ledger, text="farm sao") == [ledger.farmacia]


def test_a_receipt_line_finds_its_receipt(engine: Engine, ledger: Ledger) -> None:
    page = PostgresSearch(engine).search(ledger.owner.context_id, SearchQuery(text="coxinha"))
    assert [(h.transaction_id, h.matched) for h in page.hits] == [(ledger.pao, ("items", "message"))]
    hit = page.hits[0]
    assert (hit.merchant, hit.amount, hit.currency, hit.category) == (
        "Pão de Açúcar",
        Decimal("210.0000"),
        "BRL",
        "groceries",
    )


def test_a_transcript_finds_its_voice_note(engine: Engine, ledger: Ledger) -> None:
    page = PostgresSearch(engine).search(ledger.owner.context_id, SearchQuery(text="uber"))
    assert [(h.transaction_id, h.matched) for h in page.hits] == [(ledger.voice, ("message",))]
    assert ids(engine, ledger, text="aeroporto uber") == [ledger.voice]


def test_an_answer_carries_the_transcript_of_the_note_it_completed(engine: Engine, ledger: Ledger) -> None:
    assert ids(engine, ledger, text="remedio drogaria") == [ledger.answered]


def test_every_word_must_match_somewhere(engine: Engine, ledger: Ledger) -> None:
    assert ids(engine, ledger, text="coxinha uber") == []
    page = PostgresSearch(engine).search(ledger.owner.context_id, SearchQuery(text="zzqx"))
    assert (page.hits, page.terms) == ((), (SearchTerm("zzqx", (), False),))


def test_a_merchant_ranks_above_the_same_word_in_a_message(engine: Engine, ledger: Ledger) -> None:
    # "padaria" is the merchant of one and (as typed) in the message of the same; the reversed one
    # is left out by default.
    assert ids(engine, ledger, text="padaria") == [ledger.padaria]
    assert ids(engine, ledger, text="padaria", status=None) == [ledger.padaria, ledger.reversed_]
    assert ids(engine, ledger, text="padaria", status=TransactionStatus.REVERSED) == [ledger.reversed_]


def test_filters_alone_list_newest_first(engine: Engine, ledger: Ledger) -> None:
    assert ids(engine, ledger) == [
        ledger.answered,
        ledger.voice,
        ledger.padaria,
        ledger.pao,
        ledger.farmacia,
        ledger.salary,
        ledger.popular,
    ]
    assert ids(engine, ledger, categories=("health",)) == [ledger.answered, ledger.farmacia, ledger.popular]
    assert ids(engine, ledger, categories=("health", "transport")) == [
        ledger.answered,
        ledger.voice,
        ledger.farmacia,
        ledger.popular,
    ]
    assert ids(engine, ledger, kind="income") == [ledger.salary]
    assert ids(engine, ledger, source="import") == [ledger.salary, ledger.popular]
    assert ids(engine, ledger, member=ledger.partner.user_id) == [ledger.popular]
    assert ids(engine, ledger, min_amount=Decimal(80), max_amount=Decimal(210)) == [
        ledger.answered,
        ledger.pao,
        ledger.popular,
    ]
    assert ids(engine, ledger, date_from=dt.date(2026, 11, 12), date_to=dt.date(2026, 11, 15)) == [
        ledger.padaria,
        ledger.pao,
    ]
    assert ids(engine, ledger, text="   ") == ids(engine, ledger)
    assert ids(engine, ledger, text="!!!") == ids(engine, ledger)


def test_text_with_filters(engine: Engine, ledger: Ledger) -> None:
    assert ids(engine, ledger, text="farmacai", date_from=dt.date(2026, 11, 1)) == [ledger.farmacia]
    assert ids(engine, ledger, text="farmacia", member=ledger.partner.user_id) == [ledger.popular]
    assert ids(engine, ledger, text="farmacia", source="devchat") == [ledger.farmacia]
    assert ids(engine, ledger, text="farmacia", min_amount=Decimal(50)) == [ledger.popular]
    assert ids(engine, ledger, text="farmacia", categories=("groceries",)) == []


def test_pages_follow_the_cursor_to_the_end(engine: Engine, ledger: Ledger) -> None:
    backend = PostgresSearch(engine)
    context = ledger.owner.context_id
    first = backend.search(context, SearchQuery(text="farmacia", limit=1))
    assert [h.transaction_id for h in first.hits] == [ledger.farmacia]
    assert first.next_cursor is not None
    second = backend.search(context, SearchQuery(text="farmacia", limit=1, cursor=first.next_cursor))
    assert [h.transaction_id for h in second.hits] == [ledger.popular]
    assert second.next_cursor is None
    seen = []
    cursor = None
    while True:
        page = backend.search(context, SearchQuery(limit=3, cursor=cursor))
        seen += [h.transaction_id for h in page.hits]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ids(engine, ledger)
    with pytest.raises(InvalidSearchCursorError):
        backend.search(context, SearchQuery(text="padaria", cursor=first.next_cursor))
    with pytest.raises(InvalidSearchCursorError):
        backend.search(context, SearchQuery(text="farmacia", cursor="not-a-cursor"))


def test_a_result_set_too_large_to_rank_comes_newest_first(engine: Engine, ledger: Ledger) -> None:
    backend = PostgresSearch(engine, rank_cap=1)  # ranks at most one match: two are too many
    context = ledger.owner.context_id
    page = backend.search(context, SearchQuery(text="padaria", status=None))
    assert page.order == "newest"
    assert [h.transaction_id for h in page.hits] == [ledger.reversed_, ledger.padaria]
    assert [h.matched for h in page.hits] == [("merchant",), ("merchant", "message")]
    first = backend.search(context, SearchQuery(text="farmacai", limit=1))
    assert ([h.transaction_id for h in first.hits], first.order) == ([ledger.farmacia], "newest")
    assert first.next_cursor is not None
    second = backend.search(context, SearchQuery(text="farmacai", limit=1, cursor=first.next_cursor))
    assert ([h.transaction_id for h in second.hits], second.order, second.next_cursor) == (
        [ledger.popular],
        "newest",
        None,
    )
    # One match is ranked; so is every page of a search that was ranked when it started.
    assert backend.search(context, SearchQuery(text="coxinha")).order == "ranked"
    ranked = PostgresSearch(engine).search(context, SearchQuery(text="padaria", status=None, limit=1))
    assert (ranked.order, [h.transaction_id for h in ranked.hits]) == ("ranked", [ledger.padaria])
    assert ranked.next_cursor is not None
    rest = backend.search(
        context, SearchQuery(text="padaria", status=None, limit=1, cursor=ranked.next_cursor)
    )
    assert (rest.order, [h.transaction_id for h in rest.hits]) == ("ranked", [ledger.reversed_])


def test_newest_first_pages_search_only_the_closest_corrections(engine: Engine) -> None:
    owner = new_user(engine)
    padaria = insert_row(
        engine, owner, amount=Decimal(8), occurred_on=dt.date(2026, 11, 1), merchant="Padaria Sol"
    )
    papelaria = insert_row(
        engine, owner, amount=Decimal(20), occurred_on=dt.date(2026, 11, 2), merchant="Papelaria Central"
    )
    ranked = PostgresSearch(engine).search(owner.context_id, SearchQuery(text="padria"))
    # "padaria" is 0.5 similar to "padria", "papelaria" 0.31: both found, the closer first.
    assert (ranked.order, [h.transaction_id for h in ranked.hits]) == ("ranked", [padaria, papelaria])
    assert ranked.terms == (SearchTerm("padria", ("padaria", "papelaria"), False),)
    newest = PostgresSearch(engine, rank_cap=1).search(owner.context_id, SearchQuery(text="padria"))
    assert (newest.order, [h.transaction_id for h in newest.hits]) == ("newest", [padaria])
    assert newest.terms == (SearchTerm("padria", ("padaria",), False),)


def test_another_ledger_sees_nothing_of_this_one(engine: Engine, ledger: Ledger) -> None:
    other = new_user(engine)
    backend = PostgresSearch(engine)
    assert backend.search(other.context_id, SearchQuery(text="farmacia")).hits == ()
    # Its words are its own: a typo is not corrected to this ledger's words either.
    assert backend.search(other.context_id, SearchQuery(text="farmacai")).terms == (
        SearchTerm("farmacai", (), False),
    )


def test_every_writer_keeps_the_search_in_step(engine: Engine) -> None:
    owner = new_user(engine)
    tx = record(
        engine,
        owner,
        None,
        ProposedTransaction(
            amount=Decimal("40.00"),
            occurred_on=dt.date(2026, 11, 3),
            merchant="Mercado Central",
            category="groceries",
            items=(LineItem(description="Queijo Minas"), LineItem(description="Goiabada")),
        ),
        media_type="photo",
        media=media("jpg"),
        provenance=Provenance(source="ocr", engine="tesseract", text="MERCADO CENTRAL"),
    )
    backend = PostgresSearch(engine)

    def found(words: str, **query: object) -> list[uuid.UUID]:
        page = backend.search(owner.context_id, SearchQuery(text=words, **query))  # type: ignore[arg-type]
        return [h.transaction_id for h in page.hits]

    assert found("goiabada") == [tx]
    items = orm.transaction_items
    with engine.begin() as conn:
        conn.execute(items.delete().where(items.c.transaction_id == tx, items.c.description == "Goiabada"))
    assert found("goiabada") == []
    with engine.begin() as conn:
        conn.execute(update(items).where(items.c.transaction_id == tx).values(description="Requeijão"))
    assert (found("requeijao"), found("queijo")) == ([tx], [])
    with engine.begin() as conn:
        conn.execute(
            update(orm.transactions).where(orm.transactions.c.id == tx).values(merchant="Sacolão Vila")
        )
    assert (found("sacolao"), found("mercado")) == ([tx], [tx])  # the OCR text still says MERCADO
    with engine.begin() as conn:
        capture_id = conn.execute(
            text("SELECT capture_id FROM transactions WHERE id = :id"), {"id": tx}
        ).scalar_one()
        conn.execute(
            update(orm.captures)
            .where(orm.captures.c.id == capture_id)
            .values(provenance={"source": "ocr", "engine": "tesseract", "text": "HORTIFRUTI"})
        )
    assert (found("mercado"), found("hortifruti")) == ([], [tx])
    # Filter columns follow too (an edit of the category, an FX valuation of the amount).
    with engine.begin() as conn:
        conn.execute(
            update(orm.transactions)
            .where(orm.transactions.c.id == tx)
            .values(category="shopping", base_amount=Decimal(7))
        )
    assert found("sacolao", categories=("groceries",)) == []
    assert found("sacolao", categories=("shopping",), max_amount=Decimal(7)) == [tx]
    with engine.begin() as conn:
        conn.execute(orm.transactions.delete().where(orm.transactions.c.id == tx))
        left = conn.execute(
            text("SELECT count(*) FROM search_documents WHERE transaction_id = :id"), {"id": tx}
        )
        assert left.scalar_one() == 0
    assert found("sacolao") == []


def test_the_rebuild_makes_the_documents_the_triggers_made(engine: Engine, ledger: Ledger) -> None:
    query = text(
        "SELECT transaction_id, context_id, occurred_on, kind, category, source_channel, paid_by, author_id,"
        " amount, status, tsv::text FROM search_documents ORDER BY transaction_id"
    )
    words = text("SELECT context_id, word FROM search_words ORDER BY 1, 2")
    with engine.connect() as conn:
        before, vocabulary = conn.execute(query).all(), conn.execute(words).all()
    rebuild(engine)
    with engine.connect() as conn:
        after, rebuilt = conn.execute(query).all(), conn.execute(words).all()
    assert len(before) >= 8
    assert after == before
    # Words are never removed by edits (a stale one matches nothing); the rebuild keeps only live ones.
    assert set(rebuilt) <= set(vocabulary)
    assert ids(engine, ledger, text="farmacai") == [ledger.farmacia, ledger.popular]
