"""transaction search: accent- and typo-forgiving full text over what a transaction says

Extensions ``unaccent`` and ``pg_trgm`` (``CREATE EXTENSION IF NOT EXISTS``; both are trusted
extensions since PostgreSQL 13, so the database owner may create them; left installed by the
downgrade). ``unaccent()`` is only STABLE (it reads its dictionary), so ``financy_unaccent(text)``
wraps it as IMMUTABLE with the dictionary named explicitly (the usual fix), for use in indexes and
stored vectors.

Tables (orm.py describes them):

* ``search_documents``: one row per transaction. ``tsv`` is the weighted vector of its text,
  ``to_tsvector('simple', financy_unaccent(...))`` (the ``simple`` configuration: ledgers mix
  Portuguese and English, so no stemming and no stop words): **A** merchant, **B** description,
  **C** its receipt lines (``transaction_items.description``), **D** the message it came from
  (``captures.text`` and the transcript or OCR text in ``captures.provenance->>'text'``; for an
  answer to "how much?" also the earlier voice note or photo it completed, found through the
  ``capture.completed`` event). The filter columns are copies of the transaction's (``amount``:
  ``coalesce(base_amount, amount)``). ``written_xid``: ``pg_current_xact_id()`` of the database
  transaction that last wrote the row. Indexes: GIN on ``tsv``; ``(context_id, occurred_on,
  transaction_id)`` for searches with filters only or newest first; ``(written_xid,
  transaction_id)`` for the OpenSearch indexer.
* ``search_words``: every lexeme of a context's documents (words are never removed: a stale one
  matches nothing). A GIN trigram index on ``word`` (``gin_trgm_ops``) finds the words close to a
  mistyped one ("farmacai" -> "farmacia"); the search then runs exactly on them. Trigram
  similarity over the words, not over whole documents: a long transcript is far from any one
  word, and ranking a million documents by similarity cannot use the index order.
* ``search_index_state`` (the OpenSearch indexer's watermark per index) and ``search_tombstones``
  (transactions deleted since; written only while some indexer has a state row, so a deployment
  on the PostgreSQL search keeps none).

Kept by triggers, in the same database transaction as every change, so every writer (chat,
API edits, statement imports and their undo, FX revaluation, SQL by hand) stays honest without
the write path knowing about search:

* ``transactions_search`` (row, AFTER INSERT OR UPDATE OF the columns a document depends on):
  a changed merchant, description or capture recomputes the document; a change of only filter
  columns (category, amount, status...) updates them in place.
* ``transactions_search_delete`` (row, AFTER DELETE): deletes the document (no foreign key to
  ``transactions``: the same on a TimescaleDB hypertable) and writes a tombstone if an indexer
  exists.
* ``transaction_items_search_{insert,update,delete}`` (per statement, transition tables):
  recompute the documents of the transactions whose lines changed.
* ``captures_search`` (row, AFTER UPDATE OF text, provenance): recompute the documents of the
  transactions recorded from that capture or from an answer that completed it.
* ``events_search`` (row, AFTER INSERT, only ``capture.completed``): the answer's transactions
  now also carry the completed note's transcript or OCR text.

Transaction-level triggers are row triggers (TimescaleDB hypertables do not take transition
tables). ``financy_rebuild_search()`` recomputes both tables from scratch (the backfill here, and
bulk loads that ran with the triggers off: ``financy.core.adapters.search.rebuild``).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: Columns of ``transactions`` copied into ``search_documents`` (name there, expression over ``t``).
COPIED = (
    ("context_id", "{t}.context_id"),
    ("occurred_on", "{t}.occurred_on"),
    ("kind", "{t}.kind"),
    ("category", "{t}.category"),
    ("source_channel", "{t}.source_channel"),
    ("paid_by", "{t}.paid_by"),
    ("author_id", "{t}.author_id"),
    ("amount", "coalesce({t}.base_amount, {t}.amount)"),
    ("status", "{t}.status"),
)
#: The columns of ``transactions`` whose change recomputes the document's text.
TEXT_SOURCES = ("merchant", "description", "capture_id")
#: Every column of ``transactions`` a document depends on (the update trigger's column list).
WATCHED = (
    *TEXT_SOURCES,
    "context_id",
    "occurred_on",
    "kind",
    "category",
    "source_channel",
    "paid_by",
    "author_id",
    "amount",
    "base_amount",
    "status",
)
#: Longest word kept in ``search_words`` (longer lexemes are URLs or noise).
MAX_WORD = 100
_XID = "pg_current_xact_id()::text::bigint"


def _unaccent_schema() -> str:
    found = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                " WHERE e.extname = 'unaccent'"
            )
        )
        .scalar_one()
    )
    return str(found)


def _functions(schema: str) -> list[str]:
    # Built from this file's constants and the extension's schema name (quoted) only.
    quoted = '"' + schema.replace('"', '""') + '"'
    copied_names = ", ".join(name for name, _ in COPIED)
    copied_values = ", ".join(expression.format(t="t") for _, expression in COPIED)
    copied_updates = ", ".join(f"{name} = EXCLUDED.{name}" for name, _ in COPIED)
    copied_from_new = ", ".join(f"{name} = {expression.format(t='NEW')}" for name, expression in COPIED)
    text_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in TEXT_SOURCES)
    return [
        f"""
CREATE OR REPLACE FUNCTION financy_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT {quoted}.unaccent('{quoted}.unaccent'::regdictionary, $1)
$$;
""",
        """
CREATE OR REPLACE FUNCTION financy_search_vector(merchant text, description text, items text, message text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, financy_unaccent(coalesce(merchant, ''))), 'A')
        || setweight(to_tsvector('simple'::regconfig, financy_unaccent(coalesce(description, ''))), 'B')
        || setweight(to_tsvector('simple'::regconfig, financy_unaccent(coalesce(items, ''))), 'C')
        || setweight(to_tsvector('simple'::regconfig, financy_unaccent(coalesce(message, ''))), 'D')
$$;
""",
        """
CREATE OR REPLACE FUNCTION financy_search_items(p_transaction uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(i.description, ' ' ORDER BY i.position)
    FROM transaction_items i WHERE i.transaction_id = p_transaction
$$;
""",
        """
CREATE OR REPLACE FUNCTION financy_search_message(p_capture uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    -- The notes it completed first, then the capture itself.
    SELECT string_agg(concat_ws(' ', c.text, c.provenance->>'text'), ' '
                      ORDER BY c.id = p_capture, c.received_at, c.id)
    FROM captures c
    WHERE c.id = ANY (array_prepend(p_capture, ARRAY(
        SELECT e.entity_id FROM events e WHERE e.capture_id = p_capture AND e.name = 'capture.completed')))
$$;
""",
        f"""
CREATE OR REPLACE FUNCTION financy_search_refresh(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO search_documents AS d (transaction_id, {copied_names}, tsv, written_xid)
    SELECT t.id, {copied_values},
           financy_search_vector(t.merchant, t.description, financy_search_items(t.id),
                                 financy_search_message(t.capture_id)),
           {_XID}
    FROM transactions t WHERE t.id = ANY (ids)
    ORDER BY t.id
    ON CONFLICT (transaction_id) DO UPDATE SET {copied_updates}, tsv = EXCLUDED.tsv,
        written_xid = EXCLUDED.written_xid;
    -- In one order everywhere: two writers adding the same new words never deadlock.
    INSERT INTO search_words (context_id, word)
    SELECT DISTINCT d.context_id, w.word
    FROM search_documents d CROSS JOIN LATERAL unnest(tsvector_to_array(d.tsv)) AS w(word)
    WHERE d.transaction_id = ANY (ids) AND length(w.word) <= {MAX_WORD}
    ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
END
$$;
""",  # noqa: S608 (this file's constants only)
        f"""
CREATE OR REPLACE FUNCTION financy_search_on_transaction() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE transaction_id = OLD.id;
        IF EXISTS (SELECT 1 FROM search_index_state) THEN
            INSERT INTO search_tombstones (transaction_id, context_id, written_xid)
            VALUES (OLD.id, OLD.context_id, {_XID});
        END IF;
    ELSIF TG_OP = 'INSERT' OR {text_changed} THEN
        PERFORM financy_search_refresh(ARRAY[NEW.id]);
    ELSE
        UPDATE search_documents SET {copied_from_new}, written_xid = {_XID}
        WHERE transaction_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
""",  # noqa: S608 (this file's constants only)
        """
CREATE OR REPLACE FUNCTION financy_search_on_items() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM financy_search_refresh(ARRAY(SELECT DISTINCT n.transaction_id FROM new_items n));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM financy_search_refresh(ARRAY(SELECT DISTINCT o.transaction_id FROM old_items o));
    ELSE
        PERFORM financy_search_refresh(ARRAY(
            SELECT n.transaction_id FROM new_items n UNION SELECT o.transaction_id FROM old_items o));
    END IF;
    RETURN NULL;
END
$$;
""",
        """
CREATE OR REPLACE FUNCTION financy_search_on_capture() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM financy_search_refresh(ARRAY(
        SELECT t.id FROM transactions t WHERE t.capture_id = NEW.id
        UNION
        SELECT t.id FROM events e JOIN transactions t ON t.capture_id = e.capture_id
        WHERE e.entity = 'capture' AND e.entity_id = NEW.id AND e.name = 'capture.completed'));
    RETURN NULL;
END
$$;
""",
        """
CREATE OR REPLACE FUNCTION financy_search_on_completed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM financy_search_refresh(ARRAY(SELECT t.id FROM transactions t WHERE t.capture_id = NEW.capture_id));
    RETURN NULL;
END
$$;
""",
        f"""
CREATE OR REPLACE FUNCTION financy_rebuild_search() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE transactions IN SHARE MODE;
    TRUNCATE search_documents, search_words;
    INSERT INTO search_documents (transaction_id, {copied_names}, tsv, written_xid)
    SELECT t.id, {copied_values},
           financy_search_vector(t.merchant, t.description, financy_search_items(t.id),
                                 financy_search_message(t.capture_id)),
           {_XID}
    FROM transactions t;
    INSERT INTO search_words (context_id, word)
    SELECT DISTINCT d.context_id, w.word
    FROM search_documents d CROSS JOIN LATERAL unnest(tsvector_to_array(d.tsv)) AS w(word)
    WHERE length(w.word) <= {MAX_WORD};
END
$$;
""",  # noqa: S608 (this file's constants only)
    ]


TRIGGERS = (
    "CREATE TRIGGER transactions_search AFTER INSERT OR UPDATE OF "
    + ", ".join(WATCHED)
    + " ON transactions FOR EACH ROW EXECUTE FUNCTION financy_search_on_transaction()",
    "CREATE TRIGGER transactions_search_delete AFTER DELETE ON transactions"
    " FOR EACH ROW EXECUTE FUNCTION financy_search_on_transaction()",
    "CREATE TRIGGER transaction_items_search_insert AFTER INSERT ON transaction_items"
    " REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION financy_search_on_items()",
    "CREATE TRIGGER transaction_items_search_update AFTER UPDATE ON transaction_items"
    " REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items"
    " FOR EACH STATEMENT EXECUTE FUNCTION financy_search_on_items()",
    "CREATE TRIGGER transaction_items_search_delete AFTER DELETE ON transaction_items"
    " REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION financy_search_on_items()",
    "CREATE TRIGGER captures_search AFTER UPDATE OF text, provenance ON captures FOR EACH ROW"
    " WHEN (OLD.text IS DISTINCT FROM NEW.text OR OLD.provenance IS DISTINCT FROM NEW.provenance)"
    " EXECUTE FUNCTION financy_search_on_capture()",
    "CREATE TRIGGER events_search AFTER INSERT ON events FOR EACH ROW"
    " WHEN (NEW.name = 'capture.completed') EXECUTE FUNCTION financy_search_on_completed()",
)
#: (trigger, table) for the downgrade.
TRIGGER_TABLES = (
    ("transactions_search", "transactions"),
    ("transactions_search_delete", "transactions"),
    ("transaction_items_search_insert", "transaction_items"),
    ("transaction_items_search_update", "transaction_items"),
    ("transaction_items_search_delete", "transaction_items"),
    ("captures_search", "captures"),
    ("events_search", "events"),
)
FUNCTIONS = (
    "financy_rebuild_search()",
    "financy_search_on_completed()",
    "financy_search_on_capture()",
    "financy_search_on_items()",
    "financy_search_on_transaction()",
    "financy_search_refresh(uuid[])",
    "financy_search_message(uuid)",
    "financy_search_items(uuid)",
    "financy_search_vector(text, text, text, text)",
    "financy_unaccent(text)",
)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "search_documents",
        sa.Column("transaction_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("context_id", UUID(as_uuid=True), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("source_channel", sa.String(16), nullable=False),
        sa.Column("paid_by", UUID(as_uuid=True), nullable=True),
        sa.Column("author_id", UUID(as_uuid=True), nullable=True),
        sa.Column("amount", sa.Numeric(18, 4), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tsv", TSVECTOR(), nullable=False),
        sa.Column("written_xid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name="pk_search_documents"),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            name="fk_search_documents_context_id_contexts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_search_documents_tsv", "search_documents", ["tsv"], postgresql_using="gin")
    op.create_index(
        "ix_search_documents_context_id_occurred_on_transaction_id",
        "search_documents",
        ["context_id", "occurred_on", "transaction_id"],
    )
    op.create_index(
        "ix_search_documents_written_xid_transaction_id",
        "search_documents",
        ["written_xid", "transaction_id"],
    )
    op.create_table(
        "search_words",
        sa.Column("context_id", UUID(as_uuid=True), nullable=False),
        sa.Column("word", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("context_id", "word", name="pk_search_words"),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name="fk_search_words_context_id_contexts", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_search_words_word_trgm",
        "search_words",
        ["word"],
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    )
    op.create_table(
        "search_index_state",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_search_index_state"),
    )
    op.create_table(
        "search_tombstones",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", UUID(as_uuid=True), nullable=False),
        sa.Column("context_id", UUID(as_uuid=True), nullable=False),
        sa.Column("written_xid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_tombstones"),
    )
    op.create_index("ix_search_tombstones_written_xid", "search_tombstones", ["written_xid"])
    for statement in _functions(_unaccent_schema()):
        op.execute(statement)
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute("SELECT financy_rebuild_search()")


def downgrade() -> None:
    for trigger, table in TRIGGER_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    for table in ("search_tombstones", "search_index_state", "search_words", "search_documents"):
        op.drop_table(table)
    # The extensions stay: other objects of the database may use them.
