"""recurring series: subscriptions and other recurring payments found in a ledger

* ``recurring_series``: one row per context, kind, fuzzy merchant key and currency, with the
  cadence (weekly, monthly, yearly), the expected next amount and date, the latest price
  change, whether a member confirmed or dismissed it (a dismissal survives re-detection), and
  the due date whose reminder was sent (once per due date).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "recurring_series",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("context_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("merchant", sa.String(200), nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("cadence", sa.String(16), nullable=False),
        sa.Column("amount", sa.Numeric(18, 4), nullable=False),
        sa.Column("typical_amount", sa.Numeric(18, 4), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="detected"),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=False),
        sa.Column("price_old", sa.Numeric(18, 4), nullable=True),
        sa.Column("price_new", sa.Numeric(18, 4), nullable=True),
        sa.Column("price_changed_on", sa.Date(), nullable=True),
        sa.Column("reminded_for", sa.Date(), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("id", name="pk_recurring_series"),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            name="fk_recurring_series_context_id_contexts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name="fk_recurring_series_decided_by_users", ondelete="SET NULL"
        ),
        sa.UniqueConstraint(
            "context_id", "kind", "key", "currency", name="uq_recurring_series_context_id_kind_key_currency"
        ),
        sa.CheckConstraint("kind in ('expense','income')", name="ck_recurring_series_kind"),
        sa.CheckConstraint("cadence in ('weekly','monthly','yearly')", name="ck_recurring_series_cadence"),
        sa.CheckConstraint(
            "status in ('detected','confirmed','dismissed')", name="ck_recurring_series_status"
        ),
        sa.CheckConstraint("amount > 0", name="ck_recurring_series_amount_positive"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_recurring_series_currency_iso"),
    )
    op.create_index("ix_recurring_series_status_next_due", "recurring_series", ["status", "next_due"])


def downgrade() -> None:
    op.drop_table("recurring_series")
