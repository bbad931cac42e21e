"""The search query's rules, its cursors, and what the backends send (tsquery lexemes, OpenSearch bodies)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from financy.core.adapters.search.documents import IndexDocument
from financy.core.adapters.search.opensearch import INDEX_BODY, document_body, search_body
from financy.core.adapters.search.postgres import lexeme
from financy.core.entrypoints.tasks import INDEX_SEARCH, JOBS, JobResources, index_search
from financy.core.service.search import (
    InvalidSearchCursorError,
    InvalidSearchError,
    SearchQuery,
    decode_cursor,
    encode_cursor,
)
from financy.core.settings import CoreSettings

CONTEXT = uuid.UUID("01a23eb7-e98e-7871-941e-68852f13e0a9")
MEMBER = uuid.UUID("01a23eb7-e988-70a5-9818-0c8006bf2040")


@pytest.mark.parametrize(
    ("fields", "parameter"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"date_from": dt.date(2026, 11, 2), "date_to": dt.date(2026, 11, 1)}, "from"),
        ({"categories": ("groceries", "food")}, "category"),
        ({"kind": "loan"}, "kind"),
        ({"min_amount": Decimal(-1)}, "min"),
        ({"max_amount": Decimal("NaN")}, "max"),
        ({"min_amount": Decimal(10), "max_amount": Decimal(5)}, "min"),
        ({"text": "a " * 11}, "q"),
        ({"text": "x" * 201}, "q"),
    ],
)
def test_a_query_out_of_bounds_is_refused_naming_the_parameter(
    fields: dict[str, object], parameter: str
) -> None:
    with pytest.raises(InvalidSearchError) as raised:
        SearchQuery(**fields)  # type: ignore[arg-type]
    assert raised.value.parameter == parameter


def test_a_cursor_belongs_to_its_query() -> None:
    query = SearchQuery(text="Farmácia", categories=("health",))
    cursor = encode_cursor(query, [1.5, "2026-11-10", str(MEMBER)])
    same = SearchQuery(text="  farmácia ", categories=("health",), limit=5, cursor=cursor)
    assert decode_cursor(same) == [1.5, "2026-11-10", str(MEMBER)]
    assert decode_cursor(SearchQuery(text="farmacia")) is None
    for other in (
        SearchQuery(text="padaria", cursor=cursor),
        SearchQuery(text="farmácia", cursor=cursor),  # without the category filter
        SearchQuery(text="farmácia", categories=("health",), cursor=cursor + "x"),
        SearchQuery(text="farmácia", categories=("health",), cursor="%%%"),
    ):
        with pytest.raises(InvalidSearchCursorError):
            decode_cursor(other)


def test_tsquery_lexemes_are_quoted() -> None:
    assert lexeme("farmacia") == "'farmacia'"
    assert lexeme("it's") == "'it''s'"
    assert lexeme("a\\b") == "'a\\\\b'"


def test_the_opensearch_query_requires_every_word_forgiving_typos_within_the_context() -> None:
    query = SearchQuery(
        text="farmacai",
        date_from=dt.date(2026, 11, 1),
        categories=("health",),
        member=MEMBER,
        min_amount=Decimal("10.5"),
        limit=2,
    )
    assert search_body(CONTEXT, query) == {
        "size": 3,
        "_source": False,
        "track_total_hits": False,
        "query": {
            "bool": {
                "filter": [
                    {"term": {"context_id": str(CONTEXT)}},
                    {"term": {"status": "recorded"}},
                    {"range": {"occurred_on": {"gte": "2026-11-01"}}},
                    {"terms": {"category": ["health"]}},
                    {
                        "bool": {
                            "should": [
                                {"term": {"paid_by": str(MEMBER)}},
                                {"term": {"author_id": str(MEMBER)}},
                            ],
                            "minimum_should_match": 1,
                        }
                    },
                    {"range": {"amount": {"gte": 10.5}}},
                ],
                "must": [
                    {
                        "bool": {
                            "should": [
                                {
                                    "match": {
                                        "all": {"query": "farmacai", "operator": "and", "fuzziness": "AUTO"}
                                    }
                                },
                                {"match_bool_prefix": {"all": {"query": "farmacai", "operator": "and"}}},
                            ],
                            "minimum_should_match": 1,
                        }
                    }
                ],
                "should": [
                    {
                        "match": {
                            "merchant": {
                                "query": "farmacai",
                                "fuzziness": "AUTO",
                                "boost": 4.0,
                                "_name": "merchant",
                            }
                        }
                    },
                    {
                        "match": {
                            "description": {
                                "query": "farmacai",
                                "fuzziness": "AUTO",
                                "boost": 2.0,
                                "_name": "description",
                            }
                        }
                    },
                    {
                        "match": {
                            "items": {
                                "query": "farmacai",
                                "fuzziness": "AUTO",
                                "boost": 1.5,
                                "_name": "items",
                            }
                        }
                    },
                    {
                        "match": {
                            "message": {
                                "query": "farmacai",
                                "fuzziness": "AUTO",
                                "boost": 1.0,
                                "_name": "message",
                            }
                        }
                    },
                ],
            }
        },
        "sort": [{"_score": "desc"}, {"occurred_on": "desc"}, {"transaction_id": "desc"}],
    }


def test_without_text_opensearch_lists_newest_first_after_the_cursor() -> None:
    first = SearchQuery(kind="income", status=None)
    cursor = encode_cursor(first, [1794700800000, str(MEMBER)])
    body = search_body(CONTEXT, SearchQuery(kind="income", status=None, cursor=cursor))
    assert body == {
        "size": 21,
        "_source": False,
        "track_total_hits": False,
        "query": {"bool": {"filter": [{"term": {"context_id": str(CONTEXT)}}, {"term": {"kind": "income"}}]}},
        "sort": [{"occurred_on": "desc"}, {"transaction_id": "desc"}],
        "search_after": [1794700800000, str(MEMBER)],
    }


def test_the_index_folds_accents_and_takes_exactly_the_documents_fields() -> None:
    analyzer = INDEX_BODY["settings"]["analysis"]["analyzer"]["financy_text"]
    assert analyzer == {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}
    properties = INDEX_BODY["mappings"]["properties"]
    for name in ("merchant", "description", "items", "message"):
        assert properties[name] == {"type": "text", "analyzer": "financy_text", "copy_to": "all"}
    doc = IndexDocument(
        transaction_id=MEMBER,
        context_id=CONTEXT,
        occurred_on=dt.date(2026, 11, 12),
        kind="expense",
        category="groceries",
        source_channel="telegram",
        paid_by=MEMBER,
        author_id=None,
        amount=Decimal("210.0000"),
        status="recorded",
        merchant="Pão de Açúcar",
        description=None,
        items="COXINHA FRANGO LEITE INTEGRAL 1L",
        message="PAO DE ACUCAR LTDA",
        written_xid=812,
    )
    body = document_body(doc)
    assert set(body) == set(properties) - {"all"}
    assert (body["occurred_on"], body["amount"], body["author_id"], body["written_xid"]) == (
        "2026-11-12",
        210.0,
        None,
        812,
    )


def test_the_indexing_job_is_off_without_an_opensearch_url() -> None:
    (job,) = [j for j in JOBS if j.name == INDEX_SEARCH]
    assert job.exclusive
    settings = CoreSettings(opensearch_url=None)
    assert job.every_s is not None
    assert job.every_s(settings) is None
    assert (
        job.every_s(CoreSettings(opensearch_url="http://127.0.0.1:9200", opensearch_index_interval_s=30))
        == 30
    )
    assert index_search(JobResources(settings)) == {"status": "off"}
