"""What the OpenSearch indexer reads from PostgreSQL: the safe window of changes, the documents' texts, tombstones.

These need no OpenSearch server: they check the watermark rules of
``financy.core.adapters.search.documents`` on a real PostgreSQL (changes are read by the id of the
database transaction that wrote them, below the snapshot's ``xmin``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, text, update

from financy.core.adapters import orm
from financy.core.adapters.search.documents import changed_documents, deleted_since, index_window
from tests.support.search import Ledger, insert_row, search_ledger

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ledger(engine: Engine) -> Ledger:
    return search_ledger(engine)


def window(engine: Engine) -> int:
    with engine.connect() as conn:
        return index_window(conn)


def changes(engine: Engine, low: int, high: int, context_id: uuid.UUID) -> dict[uuid.UUID, object]:
    with engine.connect() as conn:
        docs, after = [], None
        while batch := changed_documents(conn, low, high, limit=3, after=after):
            docs += batch
            after = (batch[-1].written_xid, batch[-1].transaction_id)
    return {d.transaction_id: d for d in docs if d.context_id == context_id}


def test_the_documents_carry_the_four_texts(engine: Engine, ledger: Ledger) -> None:
    docs = changes(engine, 0, window(engine), ledger.owner.context_id)
    assert set(docs) == {
        ledger.farmacia,
        ledger.pao,
        ledger.padaria,
        ledger.voice,
        ledger.popular,
        ledger.salary,
        ledger.reversed_,
        ledger.answered,
    }
    pao = docs[ledger.pao]
    assert (pao.merchant, pao.items, pao.amount, pao.category) == (  # type: ignore[attr-defined]
        "Pão de Açúcar",
        "COXINHA FRANGO LEITE INTEGRAL 1L",
        Decimal("210.0000"),
        "groceries",
    )
    assert docs[ledger.pao].message.startswith("PAO DE ACUCAR LTDA\n")  # type: ignore[attr-defined]
    assert docs[ledger.voice].message == "paguei vinte e cinco reais de uber para o aeroporto"  # type: ignore[attr-defined]
    assert docs[ledger.answered].message == "comprei remédio na drogaria 90"  # type: ignore[attr-defined]
    assert docs[ledger.reversed_].status == "reversed"  # type: ignore[attr-defined]


def test_each_change_is_read_once_in_the_window_after_it(engine: Engine, ledger: Ledger) -> None:
    first = window(engine)
    with engine.begin() as conn:
        conn.execute(
            update(orm.transactions)
            .where(orm.transactions.c.id == ledger.padaria)
            .values(category="groceries")
        )
    second = window(engine)
    assert second > first
    assert set(changes(engine, first, second, ledger.owner.context_id)) == {ledger.padaria}
    assert changes(engine, second, window(engine), ledger.owner.context_id) == {}
    with engine.begin() as conn:
        conn.execute(
            update(orm.transactions)
            .where(orm.transactions.c.id == ledger.padaria)
            .values(category="restaurants")
        )


def test_a_change_still_running_stays_out_until_it_is_over(engine: Engine, ledger: Ledger) -> None:
    low = window(engine)
    with engine.connect() as writer:
        writer.execute(
            update(orm.transactions)
            .where(orm.transactions.c.id == ledger.salary)
            .values(description="dezembro")
        )
        # Not committed: the window stops below it, so the indexer cannot step over it.
        high = window(engine)
        assert changes(engine, low, high, ledger.owner.context_id) == {}
        writer.commit()
    later = window(engine)
    assert high <= later
    assert set(changes(engine, high, later, ledger.owner.context_id)) == {ledger.salary}


@pytest.fixture
def registered(engine: Engine) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO search_index_state (name) VALUES (:n)"), {"n": name})
    yield name
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM search_index_state WHERE name = :n"), {"n": name})
        if not conn.execute(text("SELECT 1 FROM search_index_state")).first():
            conn.execute(text("DELETE FROM search_tombstones"))


def test_deletions_leave_tombstones_only_while_an_indexer_exists(engine: Engine, ledger: Ledger) -> None:
    def one() -> uuid.UUID:
        return insert_row(
            engine, ledger.owner, amount=Decimal(1), occurred_on=dt.date(2026, 11, 1), merchant="Tmp"
        )

    unseen = one()
    low = window(engine)
    with engine.begin() as conn:
        conn.execute(delete(orm.transactions).where(orm.transactions.c.id == unseen))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM search_index_state")).scalar_one() == 0
        assert [t for _, t in deleted_since(conn, low, index_window(conn))] == []


def test_a_deletion_is_a_tombstone_in_the_window_after_it(
    engine: Engine, ledger: Ledger, registered: str
) -> None:
    gone = insert_row(
        engine, ledger.owner, amount=Decimal(1), occurred_on=dt.date(2026, 11, 1), merchant="Tmp"
    )
    low = window(engine)
    with engine.begin() as conn:
        conn.execute(delete(orm.transactions).where(orm.transactions.c.id == gone))
    high = window(engine)
    with engine.connect() as conn:
        assert [t for _, t in deleted_since(conn, low, high)] == [gone]
        assert deleted_since(conn, high, index_window(conn)) == []
        left = conn.execute(
            text("SELECT count(*) FROM search_documents WHERE transaction_id = :t"), {"t": gone}
        )
        assert left.scalar_one() == 0
