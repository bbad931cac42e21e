"""Transaction search on OpenSearch (``opensearch-py``), chosen by ``FINANCY_OPENSEARCH_URL``.

One index per deployment (``FINANCY_OPENSEARCH_INDEX``, default ``financy-transactions``), one
document per transaction (id = transaction id), every query filtered by ``context_id``. Text
fields (merchant, description, items, message) use the ``financy_text`` analyzer (standard
tokenizer, ``lowercase`` + ``asciifolding``: "Pão de Açúcar" and "pao de acucar" are the same
words) and are copied into ``all``. A search requires every word in ``all`` (``operator: and``)
with ``fuzziness: AUTO`` (1 edit for 3-5 letters, 2 beyond: "farmacai" finds "farmacia"), or the
words with the last one as a prefix ("farm"); the per-field clauses (merchant ^4, description
^2, items ^1.5, message ^1), named after their fields, rank and say where it matched. Sorted by
``_score``, then newest; pages with ``search_after``.

OpenSearch only gives ids and scores: the hits are read back from PostgreSQL (the ledger is the
source of truth), so a document the index still has for a deleted transaction is never shown.

The index is fed by :func:`index_changes` (the worker's ``financy.core.index_search`` job):
documents written since the last run's watermark (``search_documents.written_xid``, see
``documents.index_window``) are bulk-indexed, tombstones deleted, and the watermark moved on. The
index is thus a few seconds (the job's interval) behind the ledger.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, text

from financy.core.adapters.search.documents import (
    IndexDocument,
    changed_documents,
    deleted_since,
    hits_by_id,
    index_window,
)
from financy.core.service.search import (
    FIELDS,
    NEWEST,
    RANKED,
    InvalidSearchCursorError,
    SearchBackend,
    SearchPage,
    SearchQuery,
    SearchUnavailableError,
    decode_cursor,
    encode_cursor,
)
from financy.core.settings import CoreSettings

DEFAULT_INDEX = "financy-transactions"
#: How much a match in each field counts (the PostgreSQL backend's weights, in OpenSearch's terms).
BOOSTS = {"merchant": 4.0, "description": 2.0, "items": 1.5, "message": 1.0}
_TEXT = {"type": "text", "analyzer": "financy_text", "copy_to": "all"}

#: Settings and mapping of the index (``dynamic: strict``: a field not listed here is refused).
INDEX_BODY: dict[str, Any] = {
    "settings": {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "analysis": {
            "analyzer": {
                "financy_text": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding"],
                }
            }
        },
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "transaction_id": {"type": "keyword"},
            "context_id": {"type": "keyword"},
            "occurred_on": {"type": "date", "format": "yyyy-MM-dd"},
            "kind": {"type": "keyword"},
            "category": {"type": "keyword"},
            "source_channel": {"type": "keyword"},
            "paid_by": {"type": "keyword"},
            "author_id": {"type": "keyword"},
            "amount": {"type": "scaled_float", "scaling_factor": 10000},
            "status": {"type": "keyword"},
            "merchant": _TEXT,
            "description": _TEXT,
            "items": _TEXT,
            "message": _TEXT,
            "all": {"type": "text", "analyzer": "financy_text"},
            "written_xid": {"type": "long"},
        },
    },
}


def document_body(doc: IndexDocument) -> dict[str, Any]:
    """Return the OpenSearch ``_source`` of one transaction's document."""
    return {
        "transaction_id": str(doc.transaction_id),
        "context_id": str(doc.context_id),
        "occurred_on": doc.occurred_on.isoformat(),
        "kind": doc.kind,
        "category": doc.category,
        "source_channel": doc.source_channel,
        "paid_by": None if doc.paid_by is None else str(doc.paid_by),
        "author_id": None if doc.author_id is None else str(doc.author_id),
        "amount": float(doc.amount),
        "status": doc.status,
        "merchant": doc.merchant,
        "description": doc.description,
        "items": doc.items,
        "message": doc.message,
        "written_xid": doc.written_xid,
    }


def _filters(context_id: uuid.UUID, query: SearchQuery) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"term": {"context_id": str(context_id)}}]
    if query.status is not None:
        out.append({"term": {"status": query.status.value}})
    dates = {}
    if query.date_from is not None:
        dates["gte"] = query.date_from.isoformat()
    if query.date_to is not None:
        dates["lte"] = query.date_to.isoformat()
    if dates:
        out.append({"range": {"occurred_on": dates}})
    if query.categories:
        out.append({"terms": {"category": list(query.categories)}})
    if query.member is not None:
        member = str(query.member)
        out.append(
            {
                "bool": {
                    "should": [{"term": {"paid_by": member}}, {"term": {"author_id": member}}],
                    "minimum_should_match": 1,
                }
            }
        )
    if query.source is not None:
        out.append({"term": {"source_channel": query.source}})
    if query.kind is not None:
        out.append({"term": {"kind": query.kind}})
    amounts = {}
    if query.min_amount is not None:
        amounts["gte"] = float(query.min_amount)
    if query.max_amount is not None:
        amounts["lte"] = float(query.max_amount)
    if amounts:
        out.append({"range": {"amount": amounts}})
    return out


def search_body(context_id: uuid.UUID, query: SearchQuery) -> dict[str, Any]:
    """Return the ``_search`` request body of one page of ``query`` in ``context_id``.

    Raises:
        InvalidSearchCursorError: ``query.cursor`` is not one of this query's.
    """
    words = query.text.strip()
    body: dict[str, Any] = {"size": query.limit + 1, "_source": False, "track_total_hits": False}
    filters = _filters(context_id, query)
    if words:
        body["query"] = {
            "bool": {
                "filter": filters,
                "must": [
                    {
                        "bool": {
                            "should": [
                                {"match": {"all": {"query": words, "operator": "and", "fuzziness": "AUTO"}}},
                                {"match_bool_prefix": {"all": {"query": words, "operator": "and"}}},
                            ],
                            "minimum_should_match": 1,
                        }
                    }
                ],
                "should": [
                    {
                        "match": {
                            name: {"query": words, "fuzziness": "AUTO", "boost": BOOSTS[name], "_name": name}
                        }
                    }
                    for name in FIELDS
                ],
            }
        }
        body["sort"] = [{"_score": "desc"}, {"occurred_on": "desc"}, {"transaction_id": "desc"}]
        size = 3
    else:
        body["query"] = {"bool": {"filter": filters}}
        body["sort"] = [{"occurred_on": "desc"}, {"transaction_id": "desc"}]
        size = 2
    key = decode_cursor(query)
    if key is not None:
        if len(key) != size or not all(isinstance(v, int | float | str) for v in key):
            raise InvalidSearchCursorError
        body["search_after"] = key
    return body


def client_for(
    url: str, *, timeout_s: float = 10.0, ca_file: str | None = None, verify_certs: bool = True
) -> Any:
    """Return an ``opensearchpy.OpenSearch`` client on ``url`` (credentials may be in the URL);
    an ``https`` URL is verified against ``ca_file`` (else the system's CAs) unless ``verify_certs``
    is false.

    Raises:
        ImportError: ``opensearch-py`` is not installed (the ``core`` extra has it).
    """
    from opensearchpy import OpenSearch

    tls: dict[str, Any] = {"verify_certs": verify_certs}
    if not verify_certs:
        tls["ssl_show_warn"] = False
    if ca_file:
        tls["ca_certs"] = ca_file
    return OpenSearch(hosts=[url], timeout=timeout_s, http_compress=True, **tls)


def client_from_settings(settings: CoreSettings) -> Any:
    """Return the client :func:`client_for` makes from ``settings.opensearch_*``.

    Raises:
        ValueError: ``opensearch_url`` is not set.
    """
    if not settings.opensearch_url:
        raise ValueError("FINANCY_OPENSEARCH_URL is not set")
    return client_for(
        settings.opensearch_url,
        ca_file=settings.opensearch_ca_file,
        verify_certs=settings.opensearch_verify_certs,
    )


class OpenSearchBackend(SearchBackend):
    """:class:`SearchBackend` on an OpenSearch index (see the module docstring)."""

    name = "opensearch"

    def __init__(self, client: Any, engine: Engine, index: str = DEFAULT_INDEX) -> None:
        self.client = client
        self.engine = engine
        self.index = index

    @classmethod
    def from_settings(cls, settings: CoreSettings, engine: Engine) -> OpenSearchBackend:
        """Return the backend on ``settings.opensearch_url`` and ``settings.opensearch_index``.

        Raises:
            ValueError: ``opensearch_url`` is not set.
        """
        return cls(client_from_settings(settings), engine, settings.opensearch_index)

    def search(self, context_id: uuid.UUID, query: SearchQuery) -> SearchPage:
        """See :meth:`SearchBackend.search`.

        Raises:
            SearchUnavailableError: OpenSearch did not answer, or the index does not exist yet.
        """
        from opensearchpy.exceptions import OpenSearchException

        body = search_body(context_id, query)
        try:
            answer = self.client.search(index=self.index, body=body)
        except OpenSearchException as exc:
            raise SearchUnavailableError(str(exc)) from exc
        raw_hits = answer["hits"]["hits"]
        found = []
        for hit in raw_hits[: query.limit]:
            matched = tuple(name for name in FIELDS if name in hit.get("matched_queries", ()))
            score = float(hit["sort"][0]) if query.text.strip() else 0.0
            found.append((uuid.UUID(hit["_id"]), score, matched))
        with self.engine.connect() as conn:
            hits = hits_by_id(conn, context_id, found)
        next_cursor = None
        if len(raw_hits) > query.limit:
            next_cursor = encode_cursor(query, list(raw_hits[query.limit - 1]["sort"]))
        return SearchPage(
            hits=tuple(hits), next_cursor=next_cursor, order=RANKED if query.text.strip() else NEWEST
        )


def ensure_index(client: Any, index: str) -> bool:
    """Create ``index`` with :data:`INDEX_BODY` unless it exists; return whether it was created."""
    if client.indices.exists(index=index):
        return False
    client.indices.create(index=index, body=INDEX_BODY)
    return True


def _actions(index: str, docs: list[IndexDocument]) -> Iterator[dict[str, Any]]:
    for doc in docs:
        yield {
            "_op_type": "index",
            "_index": index,
            "_id": str(doc.transaction_id),
            "_source": document_body(doc),
        }


_REGISTER = text("INSERT INTO search_index_state (name) VALUES (:name) ON CONFLICT (name) DO NOTHING")
_WATERMARK = text("SELECT watermark FROM search_index_state WHERE name = :name")
_ADVANCE = text("UPDATE search_index_state SET watermark = :high, indexed_at = :now WHERE name = :name")
#: Tombstones every registered index has read (several indexes may share the ledger).
_FORGET = text(
    "DELETE FROM search_tombstones WHERE written_xid < (SELECT min(watermark) FROM search_index_state)"
)


def index_changes(
    engine: Engine, client: Any, index: str = DEFAULT_INDEX, *, batch: int = 500
) -> dict[str, Any]:
    """Bring ``index`` up to date with ``search_documents``; return what was done.

    Returns ``{"status": "indexed", "documents": n, "deleted": n, "watermark": xid, "created": bool}``.
    The first run registers the index in ``search_index_state`` (from then on deletions leave
    tombstones) and indexes everything. A run that fails leaves the watermark where it was: the
    next one sends the same documents again (indexing by id is idempotent).

    Raises:
        opensearchpy.exceptions.OpenSearchException, opensearchpy.helpers.BulkIndexError:
            OpenSearch refused or did not answer (the watermark is not moved).
    """
    from opensearchpy import helpers

    created = ensure_index(client, index)
    with engine.begin() as conn:
        conn.execute(_REGISTER, {"name": index})
    with engine.connect() as conn:
        low = int(conn.execute(_WATERMARK, {"name": index}).scalar_one())
        high = index_window(conn)
        conn.rollback()
    sent = 0
    after: tuple[int, uuid.UUID] | None = None
    while True:
        with engine.connect() as conn:
            docs = changed_documents(conn, low, high, limit=batch, after=after)
        if not docs:
            break
        helpers.bulk(client, _actions(index, docs), refresh=False)
        sent += len(docs)
        after = (docs[-1].written_xid, docs[-1].transaction_id)
    with engine.connect() as conn:
        gone = deleted_since(conn, low, high)
    if gone:
        helpers.bulk(
            client,
            ({"_op_type": "delete", "_index": index, "_id": str(tid)} for _, tid in gone),
            raise_on_error=False,  # already absent (never indexed) is fine
            refresh=False,
        )
    client.indices.refresh(index=index)
    with engine.begin() as conn:
        conn.execute(_ADVANCE, {"high": high, "now": dt.datetime.now(dt.UTC), "name": index})
        conn.execute(_FORGET)
    return {
        "status": "indexed",
        "documents": sent,
        "deleted": len(gone),
        "watermark": high,
        "created": created,
    }
