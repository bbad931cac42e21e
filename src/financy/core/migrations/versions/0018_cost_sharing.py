"""cost sharing among members: who shares a transaction's cost, and settlements between members

* ``cost_shares``: each member's part of a transaction one member paid (Splitwise-style; the
  payer's own part included), in the transaction's currency and as a part of its base amount.
* ``settlements``: money one member paid another to settle up, in the ledger's base currency.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "cost_shares",
        sa.Column(
            "transaction_id",
            UUID(as_uuid=True),
            sa.ForeignKey("transactions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", UUID(as_uuid=True), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column(
            "context_id", UUID(as_uuid=True), sa.ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("amount", sa.Numeric(18, 4), nullable=False),
        sa.Column("base_amount", sa.Numeric(18, 4), nullable=True),
        sa.CheckConstraint("amount > 0", name="ck_cost_shares_amount_positive"),
    )
    op.create_index("ix_cost_shares_context_id", "cost_shares", ["context_id"])
    op.create_table(
        "settlements",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "context_id", UUID(as_uuid=True), sa.ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("from_user", UUID(as_uuid=True), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("to_user", UUID(as_uuid=True), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("amount", sa.Numeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column(
            "created_by", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.CheckConstraint("amount > 0", name="ck_settlements_amount_positive"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_settlements_currency_iso"),
        sa.CheckConstraint("from_user <> to_user", name="ck_settlements_two_members"),
    )
    op.create_index("ix_settlements_context_id_occurred_on", "settlements", ["context_id", "occurred_on"])


def downgrade() -> None:
    op.drop_table("settlements")
    op.drop_table("cost_shares")
