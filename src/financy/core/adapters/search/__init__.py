"""Transaction search backends (:class:`financy.core.service.search.SearchBackend`).

* :class:`~financy.core.adapters.search.postgres.PostgresSearch`: PostgreSQL full-text search on
  migration 0020's ``search_documents`` and ``search_words`` (the default, and the tested path).
* :class:`~financy.core.adapters.search.opensearch.OpenSearchBackend`: OpenSearch, when
  ``FINANCY_OPENSEARCH_URL`` is set; the worker's ``financy.core.index_search`` job keeps its
  index in step with ``search_documents`` (a few seconds behind the ledger).
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from financy.core.adapters.search.postgres import PostgresSearch
from financy.core.service.search import SearchBackend
from financy.core.settings import CoreSettings

__all__ = ["TRIGGERS", "PostgresSearch", "rebuild", "search_backend"]

#: The triggers on ``transactions`` that keep ``search_documents`` (a bulk load may disable them
#: for speed, then call :func:`rebuild`).
TRIGGERS = ("transactions_search", "transactions_search_delete")


def search_backend(settings: CoreSettings, engine: Engine) -> SearchBackend:
    """Return the backend ``settings`` choose: OpenSearch when ``opensearch_url`` is set, else
    PostgreSQL on ``engine`` (OpenSearch results are read back from ``engine`` too).

    Raises:
        ImportError: ``opensearch_url`` is set but ``opensearch-py`` is not installed (the
            ``opensearch`` extra).
    """
    if settings.opensearch_url:
        from financy.core.adapters.search.opensearch import OpenSearchBackend

        return OpenSearchBackend.from_settings(settings, engine)
    return PostgresSearch(engine)


def rebuild(engine: Engine) -> None:
    """Recompute every ``search_documents`` row and ``search_words`` from the ledger
    (``financy_rebuild_search()``: one transaction; it locks ``transactions`` against writes)."""
    with engine.begin() as conn:
        conn.execute(text("SELECT financy_rebuild_search()"))
