"""The OpenSearch backend on a real OpenSearch server: the indexer, then the same searches as on PostgreSQL.

Runs where ``FINANCY_TEST_OPENSEARCH_URL`` names a reachable server (e.g. ``http://127.0.0.1:9200``
or ``https://admin:secret@127.0.0.1:9200``); each test run uses an index of its own and deletes it.
Without one, every test here is skipped with the reason "no OpenSearch server at
FINANCY_TEST_OPENSEARCH_URL" (none runs on the machine this was written on).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, delete, text, update

from financy.core.adapters import orm
from financy.core.adapters.search.opensearch import OpenSearchBackend, client_for, index_changes
from financy.core.service.search import SearchQuery
from tests.support.search import Ledger, insert_row, search_ledger

pytestmark = pytest.mark.integration

NO_SERVER = "no OpenSearch server at FINANCY_TEST_OPENSEARCH_URL"


@pytest.fixture(scope="module")
def opensearch() -> Iterator[Any]:
    """Yield a client on ``FINANCY_TEST_OPENSEARCH_URL``, or skip the module when none answers."""
    url = os.environ.get("FINANCY_TEST_OPENSEARCH_URL", "").strip()
    if not url:
        pytest.skip(NO_SERVER)
    try:
        client = client_for(url, timeout_s=5)
    except ImportError:  # pragma: no cover - opensearch-py is in the dev environment
        pytest.skip(NO_SERVER + " (opensearch-py not installed)")
    if not client.ping():
        pytest.skip(f"{NO_SERVER} ({url} did not answer)")
    yield client
    client.close()


@pytest.fixture(scope="module")
def index(opensearch: Any, engine: Engine) -> Iterator[str]:
    name = f"financy-test-{uuid.uuid4().hex[:8]}"
    yield name
    opensearch.indices.delete(index=name, ignore_unavailable=True)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM search_index_state WHERE name = :n"), {"n": name})
        if not conn.execute(text("SELECT 1 FROM search_index_state")).first():
            conn.execute(text("DELETE FROM search_tombstones"))


@pytest.fixture(scope="module")
def ledger(engine: Engine, opensearch: Any, index: str) -> Ledger:
    ledger = search_ledger(engine)
    first = index_changes(engine, opensearch, index)
    assert (first["status"], first["created"]) == ("indexed", True)
    assert first["documents"] >= 8
    return ledger


def ids(engine: Engine, opensearch: Any, index: str, ledger: Ledger, **query: Any) -> list[uuid.UUID]:
    backend = OpenSearchBackend(opensearch, engine, index)
    return [h.transaction_id for h in backend.search(ledger.owner.context_id, SearchQuery(**query)).hits]


def test_typos_accents_items_and_transcripts(
    engine: Engine, opensearch: Any, index: str, ledger: Ledger
) -> None:
    def found(**query: Any) -> list[uuid.UUID]:
        return ids(engine, opensearch, index, ledger, **query)

    assert found(text="farmacai") == [ledger.farmacia, ledger.popular]
    assert found(text="padria") == [ledger.padaria]
    assert found(text="pao de acucar") == [ledger.pao]
    assert found(text="PÃO DE AÇÚCAR") == [ledger.pao]
    assert found(text="farm") == [ledger.farmacia, ledger.popular]
    assert found(text="coxinha") == [ledger.pao]
    assert found(text="uber") == [ledger.voice]
    assert found(text="remedio drogaria") == [ledger.answered]
    assert found(text="coxinha uber") == []


def test_where_it_matched_is_named(engine: Engine, opensearch: Any, index: str, ledger: Ledger) -> None:
    backend = OpenSearchBackend(opensearch, engine, index)
    page = backend.search(ledger.owner.context_id, SearchQuery(text="coxinha"))
    assert [(h.transaction_id, h.matched) for h in page.hits] == [(ledger.pao, ("items", "message"))]
    page = backend.search(ledger.owner.context_id, SearchQuery(text="uber"))
    assert [(h.transaction_id, h.matched) for h in page.hits] == [(ledger.voice, ("message",))]


def test_filters_and_pages(engine: Engine, opensearch: Any, index: str, ledger: Ledger) -> None:
    def found(**query: Any) -> list[uuid.UUID]:
        return ids(engine, opensearch, index, ledger, **query)

    assert found(categories=("health",)) == [ledger.answered, ledger.farmacia, ledger.popular]
    assert found(kind="income") == [ledger.salary]
    assert found(source="import") == [ledger.salary, ledger.popular]
    assert found(member=ledger.partner.user_id) == [ledger.popular]
    assert found(min_amount=Decimal(80), max_amount=Decimal(210)) == [
        ledger.answered,
        ledger.pao,
        ledger.popular,
    ]
    assert found(text="farmacai", date_from=dt.date(2026, 11, 1)) == [ledger.farmacia]
    assert found(text="padaria", status=None) == [ledger.padaria, ledger.reversed_]
    backend = OpenSearchBackend(opensearch, engine, index)
    first = backend.search(ledger.owner.context_id, SearchQuery(text="farmacia", limit=1))
    assert [h.transaction_id for h in first.hits] == [ledger.farmacia]
    assert first.next_cursor is not None
    second = backend.search(
        ledger.owner.context_id, SearchQuery(text="farmacia", limit=1, cursor=first.next_cursor)
    )
    assert ([h.transaction_id for h in second.hits], second.next_cursor) == ([ledger.popular], None)


def test_another_ledger_sees_nothing(engine: Engine, opensearch: Any, index: str, ledger: Ledger) -> None:
    from tests.support.api import new_user

    other = new_user(engine)
    backend = OpenSearchBackend(opensearch, engine, index)
    assert backend.search(other.context_id, SearchQuery(text="farmacia")).hits == ()


def test_the_indexer_sends_changes_and_deletions(
    engine: Engine, opensearch: Any, index: str, ledger: Ledger
) -> None:
    extra = insert_row(
        engine, ledger.owner, amount=Decimal(5), occurred_on=dt.date(2026, 11, 2), merchant="Quitanda Azul"
    )
    with engine.begin() as conn:
        conn.execute(
            update(orm.transactions).where(orm.transactions.c.id == extra).values(description="goiabada")
        )
    done = index_changes(engine, opensearch, index)
    assert (done["documents"], done["deleted"], done["created"]) == (1, 0, False)
    assert ids(engine, opensearch, index, ledger, text="goiabada quitanda") == [extra]
    with engine.begin() as conn:
        conn.execute(delete(orm.transactions).where(orm.transactions.c.id == extra))
    done = index_changes(engine, opensearch, index)
    assert (done["documents"], done["deleted"]) == (0, 1)
    assert opensearch.exists(index=index, id=str(extra)) is False
    assert index_changes(engine, opensearch, index)["documents"] == 0
