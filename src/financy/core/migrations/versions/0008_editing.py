"""editing through the API: split transactions, a ledger's own sub-categories and category names

* ``subcategories``: a ledger's own sub-category of a taxonomy slug (the slug stays the stable
  category of its transactions); ``transactions.subcategory_id`` points at one (SET NULL when it
  is deleted, so the transaction keeps its parent slug).
* ``category_names``: a ledger's own display name for a taxonomy slug (the slug never changes).
* ``transaction_splits``: one transaction split across categories, one row a line; the lines'
  amounts add up to the transaction's, each line's ``base_amount`` is its share of the base amount.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subcategories",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("context_id", UUID(as_uuid=True), nullable=False),
        sa.Column("parent", sa.String(40), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("id", name="pk_subcategories"),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name="fk_subcategories_context_id_contexts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["parent"], ["categories.slug"], name="fk_subcategories_parent_categories"),
    )
    op.create_index("ix_subcategories_context_id_parent", "subcategories", ["context_id", "parent"])
    op.create_table(
        "category_names",
        sa.Column("context_id", UUID(as_uuid=True), nullable=False),
        sa.Column("slug", sa.String(40), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("context_id", "slug", name="pk_category_names"),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name="fk_category_names_context_id_contexts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["slug"], ["categories.slug"], name="fk_category_names_slug_categories"),
    )
    op.add_column("transactions", sa.Column("subcategory_id", UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        "fk_transactions_subcategory_id_subcategories",
        "transactions",
        "subcategories",
        ["subcategory_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_table(
        "transaction_splits",
        sa.Column("transaction_id", UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("context_id", UUID(as_uuid=True), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("subcategory_id", UUID(as_uuid=True), nullable=True),
        sa.Column("amount", sa.Numeric(18, 4), nullable=False),
        sa.Column("base_amount", sa.Numeric(18, 4), nullable=True),
        sa.Column("note", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("transaction_id", "position", name="pk_transaction_splits"),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name="fk_transaction_splits_transaction_id_transactions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            name="fk_transaction_splits_context_id_contexts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category"], ["categories.slug"], name="fk_transaction_splits_category_categories"
        ),
        sa.ForeignKeyConstraint(
            ["subcategory_id"],
            ["subcategories.id"],
            name="fk_transaction_splits_subcategory_id_subcategories",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("amount > 0", name="ck_transaction_splits_amount_positive"),
    )
    op.create_index(
        "ix_transaction_splits_context_id_category", "transaction_splits", ["context_id", "category"]
    )


def downgrade() -> None:
    op.drop_index("ix_transaction_splits_context_id_category", table_name="transaction_splits")
    op.drop_table("transaction_splits")
    op.drop_constraint("fk_transactions_subcategory_id_subcategories", "transactions", type_="foreignkey")
    op.drop_column("transactions", "subcategory_id")
    op.drop_table("category_names")
    op.drop_index("ix_subcategories_context_id_parent", table_name="subcategories")
    op.drop_table("subcategories")
