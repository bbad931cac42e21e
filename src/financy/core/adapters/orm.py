"""Ledger schema (SQLAlchemy Core tables). Alembic migrations create it; tests compare the two.

Every tenant table carries ``context_id`` and is indexed for the dashboard's queries
(a context's transactions by date, by category, by capture). Amounts are ``NUMERIC(18, 4)``
with a ``CHAR(3)`` ISO 4217 code; times are ``timestamptz`` (UTC); ``occurred_on`` is a ``date``
in the context's own time zone.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

NOW = text("now()")

users = Table(
    "users",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("username", String(64), nullable=True, unique=True),
    Column("password_hash", String(256), nullable=True),
    Column("display_name", String(200), nullable=True),
    Column("locale", String(16), nullable=False, server_default="pt-BR"),
    Column("is_admin", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    # Two-factor sign-in and sessions (migration 0011): the TOTP secret while it is on, a set-up
    # not confirmed yet, the last 30-second step a code was accepted for (replays are refused),
    # and the version sign-in tokens must carry (bumped when the password changes or is reset).
    Column("totp_secret", String(64), nullable=True),
    Column("totp_pending_secret", String(64), nullable=True),
    Column("totp_enabled_at", DateTime(timezone=True), nullable=True),
    Column("totp_last_step", BigInteger, nullable=True),
    Column("session_version", Integer, nullable=False, server_default="0"),
)

contexts = Table(
    "contexts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    # A Brazilian card's foreign purchases get their IOF as a fee line (migration 0007; off by default).
    Column("card_iof", Boolean, nullable=False, server_default=text("false")),
    #: When the ledger was archived (migration 0010): listed, readable, takes no new records.
    Column("archived_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("type in ('personal','family','project','travel')", name="type"),
    CheckConstraint("base_currency ~ '^[A-Z]{3}$'", name="base_currency_iso"),
)

members = Table(
    "members",
    metadata,
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    CheckConstraint("role in ('owner','admin','editor','viewer')", name="role"),
    Index(None, "user_id"),
)

channel_identities = Table(
    "channel_identities",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("platform_user_id", String(128), nullable=False),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("display_name", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    UniqueConstraint("platform", "platform_user_id"),
    Index(None, "user_id"),
)

chat_bindings = Table(
    "chat_bindings",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(128), nullable=False),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("edge_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    #: "private": a one-to-one chat; "group": a group whose ledger is shared by who writes in it.
    Column("chat_type", String(16), nullable=False, server_default="private"),
    #: False once the bot left the group; adding it again binds the same ledger.
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("title", String(200), nullable=True),
    UniqueConstraint("platform", "chat_id"),
    Index(None, "context_id"),
    CheckConstraint("chat_type in ('private','group')", name="chat_type"),
)

link_codes = Table(
    "link_codes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    #: sha256 hex of the normalised code; the code itself is shown once and never stored.
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("used_by_platform", String(16), nullable=True),
    Column("used_by_platform_user_id", String(128), nullable=True),
    Index(None, "user_id"),
)

categories = Table(
    "categories",
    metadata,
    Column("slug", String(40), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name_pt", String(80), nullable=False),
    Column("name_en", String(80), nullable=False),
    Column("position", Integer, nullable=False),
)

captures = Table(
    "captures",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("idempotency_key", String(300), nullable=False, unique=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    #: Null when no person sent it (a channel or an anonymous group administrator).
    Column("author_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=True),
    Column("edge_id", String(64), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(128), nullable=False),
    Column("message_id", String(128), nullable=False),
    Column("media_type", String(16), nullable=False),
    Column("text", Text, nullable=True),
    Column("text_truncated", Boolean, nullable=False, server_default=text("false")),
    Column("understanding", JSONB(none_as_null=True), nullable=True),
    Column("language", String(2), nullable=True),
    Column("intent", String(16), nullable=True),
    Column("status", String(16), nullable=False),
    # Why a capture needs review ("low_confidence", "no_amount", "unknown_currency:XYZ"...).
    Column("problem", String(80), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # Voice notes and photos (migration 0003): the original in the object store (MediaRef), the
    # transcript or OCR text with the models that read it (Provenance), a receipt's fields.
    Column("media", JSONB(none_as_null=True), nullable=True),
    Column("provenance", JSONB(none_as_null=True), nullable=True),
    Column("receipt", JSONB(none_as_null=True), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    CheckConstraint("status in ('recorded','needs_review','command')", name="status"),
    Index(None, "context_id", "received_at"),
    Index(None, "context_id", "status"),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("merchant", String(200), nullable=True),
    Column("description", String(500), nullable=True),
    Column("payment_method", String(40), nullable=True),
    Column("installments", Integer, nullable=True),
    Column("category", String(40), ForeignKey("categories.slug"), nullable=True),
    Column("source_channel", String(16), nullable=False),
    Column("capture_id", UUID(as_uuid=True), ForeignKey("captures.id"), nullable=True),
    #: Who recorded it; null when no person sent it (a channel or an anonymous group administrator).
    Column("author_id", UUID(as_uuid=True), ForeignKey("users.id"), nullable=True),
    #: Who paid; null while unknown (the bot asked "who paid?").
    Column("paid_by", UUID(as_uuid=True), ForeignKey("users.id"), nullable=True),
    Column("confidence", Float, nullable=True),
    Column("status", String(16), nullable=False, server_default="recorded"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    # The amount in the context's base currency (migration 0006): ``fx_rate`` base units per unit of
    # ``currency`` on ``fx_date``, from ``fx_source`` ("identity", "ecb", "override"). Null
    # ``base_amount``: no rate was known; totals say so rather than add different currencies.
    Column("base_amount", Numeric(18, 4), nullable=True),
    Column("base_currency", String(3), nullable=True),
    Column("fx_rate", Numeric(24, 10), nullable=True),
    Column("fx_date", Date, nullable=True),
    Column("fx_source", String(16), nullable=True),
    # The purchase this transaction is a fee of, e.g. a card's IOF line (migration 0007).
    Column("fee_of", UUID(as_uuid=True), ForeignKey("transactions.id"), nullable=True),
    # One of the ledger's own sub-categories of ``category`` (migration 0008); deleting the
    # sub-category leaves the transaction in its parent slug.
    Column(
        "subcategory_id",
        UUID(as_uuid=True),
        ForeignKey("subcategories.id", ondelete="SET NULL"),
        nullable=True,
    ),
    CheckConstraint("kind in ('expense','income','transfer')", name="kind"),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
    CheckConstraint("status in ('recorded','reversed')", name="status"),
    # The dashboard lists a context's transactions newest first with an (occurred_on, id) cursor.
    Index(None, "context_id", "occurred_on", "id"),
    Index(None, "context_id", "category", "occurred_on"),
    Index(None, "capture_id"),
    Index(None, "context_id", "author_id", "created_at"),
    # What has no FX rate yet, for the refresh to value (migration 0007); fee lines of a purchase.
    Index("ix_transactions_unvalued", "occurred_on", postgresql_where=text("base_amount IS NULL")),
    Index("ix_transactions_fee_of", "fee_of", postgresql_where=text("fee_of IS NOT NULL")),
)

events = Table(
    "events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("context_id", UUID(as_uuid=True), nullable=True),
    Column("actor_id", UUID(as_uuid=True), nullable=True),
    Column("entity", String(32), nullable=False),
    Column("entity_id", UUID(as_uuid=True), nullable=False),
    Column("capture_id", UUID(as_uuid=True), nullable=True),
    Column("before", JSONB(none_as_null=True), nullable=True),
    Column("after", JSONB(none_as_null=True), nullable=True),
    Column("extra", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index(None, "context_id", "id"),
    Index(None, "entity", "entity_id"),
    # What a capture caused (migration 0004): the voice note or photo an answer completed.
    Index(None, "capture_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("stream", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
)

# Reference FX rates as published (migration 0006): for the ECB, units of ``currency`` per 1 EUR.
fx_rates = Table(
    "fx_rates",
    metadata,
    Column("source", String(16), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("rate_date", Date, primary_key=True),
    Column("rate", Numeric(24, 10), nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    CheckConstraint("rate > 0", name="rate_positive"),
)

# --- categories that learn (migration 0002) -------------------------------------------------------

merchant_categories = Table(
    "merchant_categories",
    metadata,
    # The merchant -> category memory of one context, in front of the model: a correction changes
    # the next transaction at that merchant at once.
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True),
    Column("merchant_key", String(200), primary_key=True),
    Column("category", String(40), ForeignKey("categories.slug"), nullable=False),
    Column("learned_from", UUID(as_uuid=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

category_examples = Table(
    "category_examples",
    metadata,
    # Labelled examples from corrections: what the model is retrained on, besides the shipped set.
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("text", String(500), nullable=False),
    Column("category", String(40), ForeignKey("categories.slug"), nullable=False),
    Column("language", String(2), nullable=True),
    Column("transaction_id", UUID(as_uuid=True), nullable=True),
    Column("author_id", UUID(as_uuid=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index(None, "context_id", "created_at"),
    Index(None, "created_at"),
)

model_artifacts = Table(
    "model_artifacts",
    metadata,
    # Every model the core trained and published (the edge verifies sha256 before loading).
    Column("name", String(64), primary_key=True),
    Column("version", String(64), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("path", Text, nullable=False),
    Column("n_examples", Integer, nullable=False),
    Column("metrics", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

# --- voice notes and receipts (migration 0003) ------------------------------------------------------

transaction_items = Table(
    "transaction_items",
    metadata,
    # A receipt's lines, kept with the one transaction the receipt became.
    Column(
        "transaction_id",
        UUID(as_uuid=True),
        ForeignKey("transactions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("description", String(200), nullable=False),
    Column("quantity", Numeric(12, 4), nullable=True),
    Column("unit_price", Numeric(18, 4), nullable=True),
    Column("line_total", Numeric(18, 4), nullable=True),
    Index(None, "context_id"),
)

# --- editing through the API (migration 0008) ------------------------------------------------------

subcategories = Table(
    "subcategories",
    metadata,
    # A ledger's own sub-category of a taxonomy slug ("Feira" under groceries); the slug stays the
    # stable category of its transactions.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("parent", String(40), ForeignKey("categories.slug"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index(None, "context_id", "parent"),
)

category_names = Table(
    "category_names",
    metadata,
    # A ledger's own display name for a taxonomy slug (the slug never changes).
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True),
    Column("slug", String(40), ForeignKey("categories.slug"), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

transaction_splits = Table(
    "transaction_splits",
    metadata,
    # One transaction split across categories: the lines' amounts add up to the transaction's.
    Column(
        "transaction_id",
        UUID(as_uuid=True),
        ForeignKey("transactions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("category", String(40), ForeignKey("categories.slug"), nullable=False),
    Column(
        "subcategory_id",
        UUID(as_uuid=True),
        ForeignKey("subcategories.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("amount", Numeric(18, 4), nullable=False),
    # The line's share of the transaction's base amount (null while that is unknown).
    Column("base_amount", Numeric(18, 4), nullable=True),
    Column("note", String(200), nullable=True),
    CheckConstraint("amount > 0", name="amount_positive"),
    Index(None, "context_id", "category"),
)

# --- budgets and their alerts (migration 0009) ------------------------------------------------------

budgets = Table(
    "budgets",
    metadata,
    # A monthly amount in the context's base currency for one category ("category", target its
    # slug), a group of them ("group", target the group's slug, ``categories`` its members) or
    # the whole ledger ("ledger", target ''). ``starts_on``: first day of the month its rollover
    # carry starts from.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("target", String(40), nullable=False, server_default=""),
    Column("categories", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("rollover", Boolean, nullable=False, server_default=text("false")),
    Column("starts_on", Date, nullable=False),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    UniqueConstraint("context_id", "scope", "target"),
    CheckConstraint("scope in ('category','group','ledger')", name="scope"),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
)

budget_alerts = Table(
    "budget_alerts",
    metadata,
    # One row per budget, month (first day) and threshold (80, 100) whose alert was sent: inserted
    # in the transaction of the expense that crossed it, so an alert is never sent twice.
    Column("budget_id", UUID(as_uuid=True), ForeignKey("budgets.id", ondelete="CASCADE"), primary_key=True),
    Column("month", Date, primary_key=True),
    Column("threshold", Integer, primary_key=True),
    Column("capture_id", UUID(as_uuid=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    CheckConstraint("threshold in (80, 100)", name="threshold"),
)

# --- shared ledgers: invitations (migration 0010) ------------------------------------------------

invitations = Table(
    "invitations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    #: sha256 hex of the normalised code; the code itself is shown once and never stored.
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("used_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("role in ('owner','admin','editor','viewer')", name="role"),
    Index(None, "context_id"),
)

# --- auth for a real deployment (migration 0011) ---------------------------------------------------

recovery_codes = Table(
    "recovery_codes",
    metadata,
    # Single-use two-factor recovery codes: sha256 of the normalised code, shown once.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Index(None, "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    # Personal API tokens: sha256 of the token (shown once), its first characters for display,
    # scopes (a JSON list of "read", "write", "admin"), expiry, last use and revocation.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("scopes", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index(None, "user_id"),
)

password_reset_tokens = Table(
    "password_reset_tokens",
    metadata,
    # One-time password reset tokens an instance admin issues (sha256; expire; used once).
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Index(None, "user_id"),
)

edges = Table(
    "edges",
    metadata,
    # Edge nodes of the fleet (migration 0014): one-time enrolment token (sha256, expiry), the
    # credentials made at enrolment (Redis ACL user, object-store key, the hex HMAC key that signs
    # the edge's stream entries), what the edge speaks, and revocation.
    Column("id", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=True, unique=True),
    Column("token_expires_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("enrolled_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("redis_user", String(128), nullable=True),
    Column("s3_access_key", String(128), nullable=True),
    Column("origin_key", String(128), nullable=True),
    Column("contract_versions", JSONB, nullable=True),
    Column("software_version", String(64), nullable=True),
)

# --- report rollups (migration 0012) -----------------------------------------------------------------
# Count and base-currency sum of a context's recorded transactions per bucket, kept by the
# ``transactions_rollups`` trigger in the same transaction as each change (plain PostgreSQL; on
# TimescaleDB the same names are continuous aggregates). ``priced`` false: no rate was known, the
# row's own ``currency`` and ``total`` 0 (counted apart, never added). Unknown category and
# merchant are ``''``, unknown payer/author the nil UUID (:data:`NIL_UUID`).
# Migration 0013: in ``daily_totals`` and ``monthly_totals`` a split transaction counts each line
# under its category (``n`` on its first line only).

NIL_UUID = "00000000-0000-0000-0000-000000000000"


def _rollup(name: str, *keys: Column[object]) -> Table:
    return Table(
        name,
        metadata,
        Column(
            "context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True
        ),
        *keys,
        Column("currency", String(3), primary_key=True),
        Column("priced", Boolean, primary_key=True),
        Column("n", BigInteger, nullable=False),
        Column("total", Numeric(20, 4), nullable=False),
    )


daily_totals = _rollup(
    "daily_totals",
    Column("day", Date, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("category", String(40), primary_key=True),
    Column("paid_by", UUID(as_uuid=True), primary_key=True),
)
monthly_totals = _rollup(
    "monthly_totals",
    Column("month", Date, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("category", String(40), primary_key=True),
)
monthly_member_totals = _rollup(
    "monthly_member_totals",
    Column("month", Date, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("paid_by", UUID(as_uuid=True), primary_key=True),
    Column("author_id", UUID(as_uuid=True), primary_key=True),
)
monthly_merchant_totals = _rollup(
    "monthly_merchant_totals",
    Column("month", Date, primary_key=True),
    Column("kind", String(16), primary_key=True),
    #: ``lower(btrim(merchant))``, at most 200 characters.
    Column("merchant", String(200), primary_key=True),
)

# --- statement imports (migration 0015) ----------------------------------------------------------

statement_imports = Table(
    "statement_imports",
    metadata,
    # One bank file read into a ledger: previewed (nothing in the ledger yet), committed, or
    # undone as a whole. ``account`` is the account the lines belong to (``--account NAME``, else
    # the file's own account id, else ''): the bank's ids and the dedupe counts are per account.
    # ``sha256`` of the file as uploaded; ``detected`` the parser's choices; ``problems`` the
    # records it could not read (line, reason, text); ``counts`` lines per outcome.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("filename", String(255), nullable=True),
    Column("format", String(16), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("account", String(200), nullable=False, server_default=""),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("detected", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("problems", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("counts", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("committed_at", DateTime(timezone=True), nullable=True),
    Column("undone_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status in ('previewed','committed','undone')", name="status"),
    Index(None, "context_id", "created_at"),
)

statement_lines = Table(
    "statement_lines",
    metadata,
    # Every line of an import with what became of it (``outcome``: add, duplicate, merge,
    # ambiguous, invalid, and ``reason``). ``transaction_id``: the transaction the line became
    # (add) or was joined to (merge: a chat capture's, whose fields before are in ``before``).
    # ``candidates``: the transactions an ambiguous line could be. ``amount`` is signed.
    Column(
        "import_id",
        UUID(as_uuid=True),
        ForeignKey("statement_imports.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("line_no", Integer, primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("account", String(200), nullable=False, server_default=""),
    Column("occurred_on", Date, nullable=False),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payee", String(200), nullable=True),
    Column("payee_key", String(200), nullable=False, server_default=""),
    Column("memo", String(500), nullable=True),
    Column("external_id", String(255), nullable=True),
    Column("category", String(200), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(40), nullable=False),
    Column(
        "transaction_id",
        UUID(as_uuid=True),
        ForeignKey("transactions.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("candidates", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("before", JSONB(none_as_null=True), nullable=True),
    CheckConstraint("outcome in ('add','duplicate','merge','ambiguous','invalid')", name="outcome"),
    Index(None, "context_id", "account", "occurred_on"),
    Index(None, "transaction_id"),
)

# --- recurring series (migration 0016) ------------------------------------------------------------

recurring_series = Table(
    "recurring_series",
    metadata,
    # A recurring payment or income found in a ledger (``core.domain.recurring``): one per context,
    # kind, fuzzy merchant ``key`` and currency. ``status``: detected (proposed), confirmed or
    # dismissed by a member; detection updates a detected or confirmed row and leaves a dismissed
    # one as it was dismissed (its ``cadence`` and ``amount`` are what a big change is measured
    # against). ``amount`` is the expected next amount; ``price_*`` the latest step of its price.
    # ``reminded_for``: the due date whose reminder went out (once per due date).
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("merchant", String(200), nullable=False),
    Column("category", String(40), nullable=True),
    Column("cadence", String(16), nullable=False),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("typical_amount", Numeric(18, 4), nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("status", String(16), nullable=False, server_default="detected"),
    Column("first_seen", Date, nullable=False),
    Column("last_seen", Date, nullable=False),
    Column("next_due", Date, nullable=False),
    Column("price_old", Numeric(18, 4), nullable=True),
    Column("price_new", Numeric(18, 4), nullable=True),
    Column("price_changed_on", Date, nullable=True),
    Column("reminded_for", Date, nullable=True),
    Column("detected_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    UniqueConstraint("context_id", "kind", "key", "currency"),
    CheckConstraint("kind in ('expense','income')", name="kind"),
    CheckConstraint("cadence in ('weekly','monthly','yearly')", name="cadence"),
    CheckConstraint("status in ('detected','confirmed','dismissed')", name="status"),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
    # The reminders' daily pass: confirmed series by due date.
    Index(None, "status", "next_due"),
)

# --- credit cards and their bills (migration 0017) --------------------------------------------------

cards = Table(
    "cards",
    metadata,
    # A credit card of a ledger: its bill closes on ``closing_day`` and is due on ``due_day`` (1..31;
    # a day a month lacks is its last). ``is_default``: the card a chat's "no cartão" is billed on
    # (at most one per context). Names are unique per context, compared case-insensitively by the code.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("closing_day", Integer, nullable=False),
    Column("due_day", Integer, nullable=False),
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    UniqueConstraint("context_id", "name"),
    CheckConstraint("closing_day between 1 and 31", name="closing_day"),
    CheckConstraint("due_day between 1 and 31", name="due_day"),
    Index("uq_cards_one_default", "context_id", unique=True, postgresql_where=text("is_default")),
)

postings = Table(
    "postings",
    metadata,
    # Instalment ``number`` of ``of`` of a card purchase (one row for a purchase in one go): its
    # ``amount`` in the transaction's currency (the instalments add up to the transaction's amount,
    # the cents left over on the first), its share of the base amount (null while that is unknown),
    # and ``bill_month``, the first day of the month the bill it is in is due (and budgeted) in.
    # The transaction itself keeps its full amount and purchase date.
    Column(
        "transaction_id",
        UUID(as_uuid=True),
        ForeignKey("transactions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("number", Integer, primary_key=True),
    Column("of", Integer, nullable=False),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("card_id", UUID(as_uuid=True), ForeignKey("cards.id", ondelete="CASCADE"), nullable=False),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("base_amount", Numeric(18, 4), nullable=True),
    Column("bill_month", Date, nullable=False),
    CheckConstraint("number between 1 and of", name="number"),
    CheckConstraint("of between 1 and 120", name="of"),
    CheckConstraint("amount >= 0", name="amount_not_negative"),
    CheckConstraint("extract(day from bill_month) = 1", name="bill_month_first_day"),
    Index(None, "card_id", "bill_month"),
    Index(None, "context_id", "bill_month"),
)

# --- cost sharing among members (migration 0018) -------------------------------------------------

cost_shares = Table(
    "cost_shares",
    metadata,
    # Who shares the cost of a transaction paid by one member (Splitwise-style; not the category
    # split of ``transaction_splits``): each member's part, the payer's own included, adding up
    # to the transaction's amount. ``base_amount`` is the part of the transaction's base amount
    # (null while that is unknown: the transaction is left out of balances).
    Column(
        "transaction_id",
        UUID(as_uuid=True),
        ForeignKey("transactions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("base_amount", Numeric(18, 4), nullable=True),
    CheckConstraint("amount > 0", name="amount_positive"),
    Index(None, "context_id"),
)

settlements = Table(
    "settlements",
    metadata,
    # Money one member paid another to settle up (``from_user`` paid ``to_user``), in the ledger's
    # base currency; it moves balances, never the ledger's income or expenses.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("from_user", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("to_user", UUID(as_uuid=True), ForeignKey("users.id"), nullable=False),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("created_by", UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("note", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
    CheckConstraint("from_user <> to_user", name="two_members"),
    Index(None, "context_id", "occurred_on"),
)

# --- transaction search (migration 0020) ---------------------------------------------------------
# ``search_documents``: one row per transaction, kept by triggers in the same transaction as every
# change to the transaction, its receipt lines, its capture's text/transcript/OCR text (and a
# "how much?" answer's earlier voice note or photo). ``tsv`` is ``to_tsvector('simple', ...)`` of
# the unaccented text, weighted A merchant, B description, C receipt items, D message (typed text,
# transcript or OCR text); the filter columns are copies of the transaction's (``amount``: its
# base-currency amount when known, else its own). ``written_xid``: the id of the database
# transaction that last wrote the row (the OpenSearch indexer's watermark).
# ``search_words``: every lexeme a context's documents ever had (typos are corrected against it
# with pg_trgm, then searched exactly). ``search_index_state``/``search_tombstones``: the
# OpenSearch indexer's watermark and the transactions deleted since (kept only while an indexer
# has a state row). Functions and triggers: migration 0020's docstring.

from sqlalchemy.dialects.postgresql import TSVECTOR  # noqa: E402  (kept in this block: orm.py is shared)

search_documents = Table(
    "search_documents",
    metadata,
    Column("transaction_id", UUID(as_uuid=True), primary_key=True),
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("category", String(40), nullable=True),
    Column("source_channel", String(16), nullable=False),
    Column("paid_by", UUID(as_uuid=True), nullable=True),
    Column("author_id", UUID(as_uuid=True), nullable=True),
    Column("amount", Numeric(18, 4), nullable=False),
    Column("status", String(16), nullable=False),
    Column("tsv", TSVECTOR, nullable=False),
    Column("written_xid", BigInteger, nullable=False),
    Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
    Index(None, "context_id", "occurred_on", "transaction_id"),
    # The indexer's keyset order (a rebuild writes every row in one transaction: one xid).
    Index(None, "written_xid", "transaction_id"),
)

search_words = Table(
    "search_words",
    metadata,
    Column("context_id", UUID(as_uuid=True), ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True),
    Column("word", String(100), primary_key=True),
    Index(
        "ix_search_words_word_trgm", "word", postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"}
    ),
)

search_index_state = Table(
    "search_index_state",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("watermark", BigInteger, nullable=False, server_default="0"),
    Column("indexed_at", DateTime(timezone=True), nullable=True),
)

search_tombstones = Table(
    "search_tombstones",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("transaction_id", UUID(as_uuid=True), nullable=False),
    Column("context_id", UUID(as_uuid=True), nullable=False),
    Column("written_xid", BigInteger, nullable=False),
    Index(None, "written_xid"),
)
