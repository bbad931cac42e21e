"""voice notes and receipts: capture media, provenance and receipt fields; transaction items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("captures", sa.Column("media", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("captures", sa.Column("provenance", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("captures", sa.Column("receipt", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_table(
        "transaction_items",
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.UUID(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("line_total", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            name=op.f("fk_transaction_items_context_id_contexts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_transaction_items_transaction_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transaction_id", "position", name=op.f("pk_transaction_items")),
    )
    op.create_index(
        op.f("ix_transaction_items_context_id"), "transaction_items", ["context_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_transaction_items_context_id"), table_name="transaction_items")
    op.drop_table("transaction_items")
    op.drop_column("captures", "receipt")
    op.drop_column("captures", "provenance")
    op.drop_column("captures", "media")
