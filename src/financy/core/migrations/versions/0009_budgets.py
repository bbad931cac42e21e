"""budgets and budget alerts

* ``budgets``: a monthly amount in the context's base currency for one category, a category
  group or the whole ledger (one per context, scope and target), optionally rolling over.
* ``budget_alerts``: one row per budget, month and threshold (80 %, 100 %) whose alert was sent;
  the primary key makes an alert impossible to send twice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("context_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.String(40), nullable=False, server_default=""),
        sa.Column("categories", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("amount", sa.Numeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("rollover", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("created_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("id", name="pk_budgets"),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name="fk_budgets_context_id_contexts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_budgets_created_by_users"),
        sa.UniqueConstraint("context_id", "scope", "target", name="uq_budgets_context_id_scope_target"),
        sa.CheckConstraint("scope in ('category','group','ledger')", name="ck_budgets_scope"),
        sa.CheckConstraint("amount > 0", name="ck_budgets_amount_positive"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_budgets_currency_iso"),
    )
    op.create_table(
        "budget_alerts",
        sa.Column("budget_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("capture_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("budget_id", "month", "threshold", name="pk_budget_alerts"),
        sa.ForeignKeyConstraint(
            ["budget_id"], ["budgets.id"], name="fk_budget_alerts_budget_id_budgets", ondelete="CASCADE"
        ),
        sa.CheckConstraint("threshold in (80, 100)", name="ck_budget_alerts_threshold"),
    )


def downgrade() -> None:
    op.drop_table("budget_alerts")
    op.drop_table("budgets")
