"""Transaction search on PostgreSQL: ``search_documents`` (tsvector, GIN) and ``search_words`` (pg_trgm).

A search runs in a few statements on one connection:

1. **Reading the text** (:func:`read_terms`): the text is split and folded exactly as the
   documents were (``financy_unaccent`` + the ``simple`` parser, so "Pão-de-Açúcar", "pao de
   acucar" and "PÃO DE AÇÚCAR" give the same words). Each word is looked up in the context's
   ``search_words``: a word the ledger has is kept as is; one it does not have is replaced by the
   ledger's closest words by trigram similarity (pg_trgm's ``%``, similarity >= 0.3, at most
   :data:`FUZZY_WORDS`, only for words of :data:`FUZZY_MIN` letters or more: "farmacai" ->
   "farmacia" 0.5, "padria" -> "padaria" 0.5). Words of :data:`PREFIX_MIN` letters or more also
   match the ledger's longer words that start with them ("farm" -> "farmacia"; the rules:
   :func:`read_terms`).
2. **The search**: ``tsv @@ (w1 | w1a | w1b) & (w2 | ...)`` on the GIN index with the filters.
   When it matches at most :data:`RANK_CAP` documents (the planner's estimate first, then
   counted in the same statement that ranks, which reads at most ``RANK_CAP + 1``), they are
   ranked by ``score`` = the sum over the words of how close the matched word is (1 for the
   word itself, 0.8 for a longer word starting with it, the similarity for a correction) +
   ``ts_rank`` with the weights merchant 1.0, description 0.4, items 0.2, message 0.1; ties
   newest first; keyset pages on ``(score, occurred_on, transaction_id)``. When it matches more
   (a word in thousands of transactions: "padaria", "mercado"), ranking would read every match
   (about 200 ms for 40,000 at 1M transactions), so the page comes **newest first** instead
   (``SearchPage.order`` says ``newest``), read from the ``(context_id, occurred_on,
   transaction_id)`` index newest first and checked against the words, stopping at the page's
   end; keyset pages on ``(occurred_on, transaction_id)``. A cursor keeps the order its first
   page had.

Without text (or with text that has no words, like "!!!") the filters alone run newest first on
the same index.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from financy.core.adapters.search.documents import HIT_COLUMNS, hit_of
from financy.core.service.search import (
    FIELDS,
    NEWEST,
    RANKED,
    InvalidSearchCursorError,
    SearchBackend,
    SearchHit,
    SearchPage,
    SearchQuery,
    SearchTerm,
    decode_cursor,
    encode_cursor,
)

#: Words shorter than this are never corrected (two-letter words are close to too many others).
FUZZY_MIN = 4
#: Most corrections kept for one word (the closest first).
FUZZY_WORDS = 5
#: Words this long or longer also match the longer words that start with them.
PREFIX_MIN = 3
#: How much a longer word that starts with the typed one counts (the word itself counts 1).
PREFIX_WEIGHT = 0.8
#: Most longer words listed for a typed word (beyond: see :func:`read_terms`).
COMPLETIONS = 8
#: ``ts_rank`` weights, in PostgreSQL's order {D, C, B, A}: message, items, description, merchant.
RANK_WEIGHTS = "{0.1,0.2,0.4,1.0}"
#: The largest result set (after filters) ranked by score; larger ones come newest first.
RANK_CAP = 2000
#: Newest-first pages search a word's corrections at most this much less similar than its closest.
NEWEST_MARGIN = 0.1

_TERMS = text(
    r"""
WITH terms AS (
    SELECT DISTINCT lexeme AS term
    FROM ts_debug('simple'::regconfig, financy_unaccent(:text)) AS t, unnest(t.lexemes) AS lexeme
    -- "pao-de-acucar" as one word is left out: its parts are words of their own.
    WHERE t.alias NOT IN ('asciihword', 'hword', 'numhword') AND lexeme <> ''
)
SELECT terms.term, x.word, x.sim, x.how
FROM terms
LEFT JOIN LATERAL (
    SELECT w.word, 1.0::float8 AS sim, 'exact' AS how
    FROM search_words w WHERE w.context_id = :context_id AND w.word = terms.term
    UNION ALL
    (SELECT w.word, CAST(:prefix_weight AS float8) AS sim, 'prefix' AS how
     FROM search_words w
     WHERE length(terms.term) >= :prefix_min AND w.context_id = :context_id AND w.word <> terms.term
       AND w.word LIKE replace(replace(replace(terms.term, '', '\'), '%', '\%'), '_', '\_') || '%'
     ORDER BY length(w.word), w.word
     LIMIT :completions_read)
    UNION ALL
    (SELECT w.word, similarity(w.word, terms.term)::float8 AS sim, 'fuzzy' AS how
     FROM search_words w
     WHERE length(terms.term) >= :fuzzy_min AND w.context_id = :context_id
       AND w.word % terms.term AND w.word <> terms.term
       -- Corrections only for a word the ledger does not have.
       AND NOT EXISTS (SELECT 1 FROM search_words e WHERE e.context_id = :context_id AND e.word = terms.term)
     ORDER BY sim DESC, w.word
     LIMIT :fuzzy_words)
) x ON true
ORDER BY terms.term, x.sim DESC NULLS LAST, x.word
"""
)


def lexeme(word: str) -> str:
    """Return ``word`` as one quoted tsquery lexeme (``it's`` -> ``'it''s'``; backslashes doubled)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way a typed word matches: a tsquery operand, how much a match counts, ``how``
    (``exact``, ``prefix``: a longer word or the prefix operand, ``fuzzy``: a correction) and the
    ledger's ``word`` it is (``None`` for the prefix operand)."""

    tsquery: str
    weight: float
    how: str = "exact"
    word: str | None = None


@dataclass(frozen=True, slots=True)
class ReadTerm:
    """A word of the text and its alternatives, heaviest first (none: nothing can match it)."""

    term: SearchTerm
    alternatives: tuple[Alternative, ...]


def read_terms(conn: Connection, context_id: uuid.UUID, query_text: str) -> tuple[ReadTerm, ...]:
    """Return the words of ``query_text`` with what each matches in ``context_id``'s documents.

    Shape: one :class:`ReadTerm` per distinct folded word, alphabetical. Each matches:

    * itself, if the ledger has the word (weight 1);
    * the ledger's words that start with it, for words of :data:`PREFIX_MIN` letters or more
      (weight :data:`PREFIX_WEIGHT`): listed when there are at most :data:`COMPLETIONS`; when
      there are more, none if the word itself is there, else the tsquery prefix ``'word':*``
      (listing keeps the GIN index's fast intersection of words; a prefix operand reads every
      document of every matching word first);
    * when the ledger does not have the word, its closest words by trigram similarity (weight =
      the similarity).
    """
    rows = conn.execute(
        _TERMS,
        {
            "text": query_text,
            "context_id": context_id,
            "fuzzy_min": FUZZY_MIN,
            "fuzzy_words": FUZZY_WORDS,
            "prefix_min": PREFIX_MIN,
            "prefix_weight": PREFIX_WEIGHT,
            "completions_read": COMPLETIONS + 1,
        },
    ).all()
    found: dict[str, list[tuple[str, float, str]]] = {}
    for term, word, sim, how in rows:
        found.setdefault(term, [])
        if word is not None:
            found[term].append((word, round(float(sim), 4), how))
    out = []
    for term, words in found.items():
        exact = [w for w in words if w[2] == "exact"]
        completions = [w for w in words if w[2] == "prefix"]
        fuzzy = [w for w in words if w[2] == "fuzzy"] if not exact else []
        prefix_operand = False
        if len(completions) > COMPLETIONS:
            completions = []
            prefix_operand = not exact
        best: dict[str, tuple[str, float, str]] = {}
        for w in exact + completions + fuzzy:  # a completion may also be a correction: once, heaviest
            if w[0] not in best or w[1] > best[w[0]][1]:
                best[w[0]] = w
        chosen = sorted(best.values(), key=lambda w: (-w[1], len(w[0]), w[0]))
        alternatives = [Alternative(lexeme(w), weight, how, w) for w, weight, how in chosen]
        if prefix_operand:
            alternatives.append(Alternative(lexeme(term) + ":*", PREFIX_WEIGHT, "prefix"))
            alternatives.sort(key=lambda a: -a.weight)
        out.append(
            ReadTerm(SearchTerm(term, tuple(w for w, _, _ in chosen), prefix_operand), tuple(alternatives))
        )
    return tuple(out)


def _filters(context_id: uuid.UUID, query: SearchQuery) -> tuple[list[str], dict[str, Any]]:
    where = ["d.context_id = :context_id"]
    params: dict[str, Any] = {"context_id": context_id}
    if query.status is not None:
        where.append("d.status = :status")
        params["status"] = query.status.value
    if query.date_from is not None:
        where.append("d.occurred_on >= :date_from")
        params["date_from"] = query.date_from
    if query.date_to is not None:
        where.append("d.occurred_on <= :date_to")
        params["date_to"] = query.date_to
    if query.categories:
        where.append("d.category = ANY (CAST(:categories AS text[]))")
        params["categories"] = list(query.categories)
    if query.member is not None:
        where.append("(d.paid_by = :member OR d.author_id = :member)")
        params["member"] = query.member
    if query.source is not None:
        where.append("d.source_channel = :source")
        params["source"] = query.source
    if query.kind is not None:
        where.append("d.kind = :kind")
        params["kind"] = query.kind
    if query.min_amount is not None:
        where.append("d.amount >= :min_amount")
        params["min_amount"] = query.min_amount
    if query.max_amount is not None:
        where.append("d.amount <= :max_amount")
        params["max_amount"] = query.max_amount
    return where, params


@dataclass(frozen=True, slots=True)
class _Plan:
    """The SQL fragments of one query: its filters (with ``d`` the document), match, score and flags."""

    where: list[str]
    params: dict[str, Any]
    score: str
    flags: str


def _plan(context_id: uuid.UUID, query: SearchQuery, terms: Sequence[ReadTerm], row: str) -> _Plan:
    """Return the fragments over the document row alias ``row`` (``terms`` non-empty)."""
    where, params = _filters(context_id, query)
    groups = []
    scores = [f"ts_rank('{RANK_WEIGHTS}'::float4[], {row}.tsv, CAST(:tsquery AS tsquery))::float8"]
    for i, read in enumerate(terms):
        groups.append("(" + " | ".join(a.tsquery for a in read.alternatives) + ")")
        cases = []
        for j, alternative in enumerate(read.alternatives):
            params[f"q{i}_{j}"] = alternative.tsquery
            params[f"w{i}_{j}"] = alternative.weight
            cases.append(f"WHEN {row}.tsv @@ CAST(:q{i}_{j} AS tsquery) THEN CAST(:w{i}_{j} AS float8)")
        scores.append(f"(CASE {' '.join(cases)} ELSE 0.0 END)")
    params["tsquery"] = " & ".join(groups)
    params["any_word"] = " | ".join(a.tsquery for read in terms for a in read.alternatives)
    where.append("d.tsv @@ CAST(:tsquery AS tsquery)")
    flags = ", ".join(
        f"ts_filter({row}.tsv, '{{{weight}}}'::\"char\"[]) @@ CAST(:any_word AS tsquery) AS m_{name}"
        for name, weight in zip(FIELDS, "abcd", strict=True)
    )
    return _Plan(where, params, " + ".join(scores), flags)


_COLUMNS = ", ".join(f"t.{c}" for c in HIT_COLUMNS)
_NO_FLAGS = ", ".join(f"false AS m_{name}" for name in FIELDS)


def ranked_statement(
    context_id: uuid.UUID, query: SearchQuery, terms: Sequence[ReadTerm], *, cap: int | None
) -> tuple[str, dict[str, Any]]:
    """Return the SQL and parameters of a page ranked by score (``terms`` non-empty).

    With ``cap``, at most ``cap + 1`` matching documents are read (no cursor: the first page) and
    every row carries ``n``, how many were read: ``n > cap`` means the set is too large to rank
    (then one row comes back, with nulls but ``n``, and nothing was scored) and the caller asks
    :func:`newest_statement` instead. Rows: :data:`HIT_COLUMNS` of ``t``, ``score``,
    ``m_<field>`` per field of :data:`FIELDS`, ``n``; at most ``query.limit + 1`` (no match: one
    row of nulls with ``n`` 0).
    """
    plan = _plan(context_id, query, terms, "c")
    flags = _plan(context_id, query, terms, "sd").flags
    params = {**plan.params, "limit": query.limit + 1}
    after = ""
    key = _key(query, "ranked")
    if key is not None:
        after = "WHERE (r.score, r.occurred_on, r.transaction_id) < (:after_score, :after_day, :after_id)"
        params.update(after_score=key[0], after_day=key[1], after_id=key[2])
    limit = gate = ""
    if cap is not None:
        limit, gate = "LIMIT :cap_read", "WHERE counted.n <= :cap"
        params.update(cap_read=cap + 1, cap=cap)
    # Too many matches: one row with ``n`` and nulls, without scoring any of them.
    sql = f"""
WITH c AS MATERIALIZED (
    SELECT d.transaction_id, d.occurred_on, d.tsv FROM search_documents d
    WHERE {" AND ".join(plan.where)}
    {limit}
), counted AS (SELECT count(*) AS n FROM c)
SELECT x.*, counted.n
FROM counted
LEFT JOIN LATERAL (
    SELECT {_COLUMNS}, h.score, {flags}
    FROM (
        SELECT r.* FROM (
            SELECT c.transaction_id, c.occurred_on, {plan.score} AS score FROM c
            {gate}
        ) r
        {after}
        ORDER BY r.score DESC, r.occurred_on DESC, r.transaction_id DESC
        LIMIT :limit
    ) h
    JOIN transactions t ON t.id = h.transaction_id
    JOIN search_documents sd ON sd.transaction_id = h.transaction_id
) x ON true
ORDER BY x.score DESC, x.occurred_on DESC, x.id DESC"""  # noqa: S608 (constants; values are bound)
    return sql, params


def newest_statement(
    context_id: uuid.UUID, query: SearchQuery, terms: Sequence[ReadTerm]
) -> tuple[str, dict[str, Any]]:
    """Return the SQL and parameters of a page newest first (``terms`` empty: the filters only).

    Served by the ``(context_id, occurred_on, transaction_id)`` index: scanned newest first, each
    document checked against the words, stopping at the page's end (for words in many documents,
    a page needs to read only a few more rows than it shows). Rows as :func:`ranked_statement`'s
    (``score`` still computed for the page's rows; ``n`` null).
    """
    if terms:
        plan = _plan(context_id, query, terms, "sd")
        where, params, score, flags = plan.where, plan.params, plan.score, plan.flags
    else:
        where, params = _filters(context_id, query)
        score, flags = "0.0::float8", _NO_FLAGS
    params["limit"] = query.limit + 1
    key = _key(query, "newest")
    if key is not None:
        where.append("(d.occurred_on, d.transaction_id) < (:after_day, :after_id)")
        params.update(after_day=key[0], after_id=key[1])
    # Score and flags of the page's rows only (after the LIMIT), from the document read again.
    sql = f"""
SELECT {_COLUMNS}, {score} AS score, {flags}, NULL::bigint AS n
FROM (
    SELECT d.transaction_id, d.occurred_on
    FROM search_documents d
    WHERE {" AND ".join(where)}
    ORDER BY d.occurred_on DESC, d.transaction_id DESC
    LIMIT :limit
) h
JOIN transactions t ON t.id = h.transaction_id
JOIN search_documents sd ON sd.transaction_id = h.transaction_id
ORDER BY h.occurred_on DESC, h.transaction_id DESC"""  # noqa: S608 (constants; values are bound)
    return sql, params


def _key(query: SearchQuery, order: str) -> list[Any] | None:
    """Return the typed key of ``query.cursor`` if it is a cursor of ``order`` pages, else ``None``
    for no cursor.

    Raises:
        InvalidSearchCursorError: not a cursor of this query, or of the other order.
    """
    values = decode_cursor(query)
    if values is None:
        return None
    try:
        if order == RANKED and values[0] == RANKED and len(values) == 4:
            return [float(values[1]), dt.date.fromisoformat(str(values[2])), uuid.UUID(str(values[3]))]
        if order == NEWEST and values[0] == NEWEST and len(values) == 3:
            return [dt.date.fromisoformat(str(values[1])), uuid.UUID(str(values[2]))]
    except (TypeError, ValueError) as exc:
        raise InvalidSearchCursorError from exc
    raise InvalidSearchCursorError


def cursor_order(query: SearchQuery) -> str | None:
    """Return the order (:data:`RANKED` or :data:`NEWEST`) ``query.cursor`` continues, ``None`` without one.

    Raises:
        InvalidSearchCursorError: not a cursor of this query.
    """
    values = decode_cursor(query)
    if values is None:
        return None
    if values[0] not in (RANKED, NEWEST):
        raise InvalidSearchCursorError
    return str(values[0])


def estimated_matches(
    conn: Connection, context_id: uuid.UUID, query: SearchQuery, terms: Sequence[ReadTerm]
) -> int:
    """Return the planner's estimate of how many documents ``query`` matches (``EXPLAIN``, no
    execution: about a millisecond). Good for frequent words (the column's statistics know them);
    words that appear together are underestimated, which the capped ranked statement catches."""
    plan = _plan(context_id, query, terms, "d")
    sql = f"EXPLAIN (FORMAT JSON) SELECT 1 FROM search_documents d WHERE {' AND '.join(plan.where)}"  # noqa: S608 (constants; values are bound)
    found = conn.execute(text(sql), plan.params).scalar_one()
    document = json.loads(found) if isinstance(found, str) else found
    return int(document[0]["Plan"]["Plan Rows"])


class PostgresSearch(SearchBackend):
    """:class:`SearchBackend` on the ledger's own PostgreSQL (migration 0020's tables).

    ``rank_cap``: the largest result set (after filters) ranked by score; a larger one comes
    newest first (see the module docstring).
    """

    name = "postgres"

    def __init__(self, engine: Engine, *, rank_cap: int = RANK_CAP) -> None:
        self.engine = engine
        self.rank_cap = rank_cap

    def search(self, context_id: uuid.UUID, query: SearchQuery) -> SearchPage:
        """See :meth:`SearchBackend.search` (the module docstring says how it matches and ranks)."""
        with self.engine.connect() as conn:
            return search_on(conn, context_id, query, rank_cap=self.rank_cap)


class ConnectionSearch(SearchBackend):
    """:class:`PostgresSearch` on an open connection (a unit of work's): the search sees that
    transaction's own writes and opens no other connection."""

    name = "postgres"

    def __init__(self, conn: Connection, *, rank_cap: int = RANK_CAP) -> None:
        self.conn = conn
        self.rank_cap = rank_cap

    def search(self, context_id: uuid.UUID, query: SearchQuery) -> SearchPage:
        """See :meth:`PostgresSearch.search`."""
        return search_on(self.conn, context_id, query, rank_cap=self.rank_cap)


def closest_only(read: ReadTerm) -> ReadTerm:
    """Return ``read`` without its corrections more than :data:`NEWEST_MARGIN` less similar than
    its closest one (newest-first pages have no score to put "padaria" 0.5 before "papelaria"
    0.31 for "padria": only the close ones are searched)."""
    fuzzy = [a.weight for a in read.alternatives if a.how == "fuzzy"]
    if not fuzzy:
        return read
    floor = max(fuzzy) - NEWEST_MARGIN
    kept = tuple(a for a in read.alternatives if a.how != "fuzzy" or a.weight >= floor)
    words = tuple(a.word for a in kept if a.word is not None)
    return ReadTerm(SearchTerm(read.term.term, words, read.term.prefix), kept)


def search_on(
    conn: Connection, context_id: uuid.UUID, query: SearchQuery, *, rank_cap: int = RANK_CAP
) -> SearchPage:
    """Run ``query`` on ``conn`` (the statements of the module docstring); see :class:`PostgresSearch`."""
    order = cursor_order(query)
    terms = read_terms(conn, context_id, query.text) if query.text.strip() else ()
    shown = tuple(read.term for read in terms)
    if any(not read.alternatives for read in terms):
        return SearchPage(hits=(), next_cursor=None, terms=shown)
    rows: list[Any] = []
    if not terms or (order is None and estimated_matches(conn, context_id, query, terms) > rank_cap):
        order = NEWEST
    elif order is None:
        sql, params = ranked_statement(context_id, query, terms, cap=rank_cap)
        rows = list(conn.execute(text(sql), params))
        order = NEWEST if rows[0].n > rank_cap else RANKED
        rows = [row for row in rows if row.id is not None]
    elif order == RANKED:
        sql, params = ranked_statement(context_id, query, terms, cap=None)
        rows = [row for row in conn.execute(text(sql), params) if row.id is not None]
    if order == NEWEST:
        terms = tuple(closest_only(read) for read in terms)
        shown = tuple(read.term for read in terms)
        sql, params = newest_statement(context_id, query, terms)
        rows = list(conn.execute(text(sql), params))
    hits: list[SearchHit] = []
    for row in rows[: query.limit]:
        matched = tuple(name for name in FIELDS if getattr(row, f"m_{name}"))
        hits.append(hit_of(row, float(row.score), matched))
    next_cursor = None
    if len(rows) > query.limit:
        last = hits[-1]
        key: list[Any] = [last.occurred_on.isoformat(), str(last.transaction_id)]
        next_cursor = encode_cursor(query, [order, last.score, *key] if order == RANKED else [order, *key])
    return SearchPage(hits=tuple(hits), next_cursor=next_cursor, terms=shown, order=order)
