"""credit cards and their bills: cards with closing and due days, and the postings of card purchases

* ``cards``: a ledger's credit cards (name, closing day, due day, 1..31), at most one the default
  (where a chat's "no cartão" is billed).
* ``postings``: each instalment of a card purchase (one row for a purchase in one go): number of
  ``of``, amount and share of the base amount, the card, and ``bill_month`` (the first day of the
  month its bill is due in). Budgets count a card purchase with postings by these months.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "cards",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "context_id", UUID(as_uuid=True), sa.ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("closing_day", sa.Integer, nullable=False),
        sa.Column("due_day", sa.Integer, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.UniqueConstraint("context_id", "name", name="uq_cards_context_id_name"),
        sa.CheckConstraint("closing_day between 1 and 31", name="ck_cards_closing_day"),
        sa.CheckConstraint("due_day between 1 and 31", name="ck_cards_due_day"),
    )
    op.create_index(
        "uq_cards_one_default", "cards", ["context_id"], unique=True, postgresql_where=sa.text("is_default")
    )
    op.create_table(
        "postings",
        sa.Column(
            "transaction_id",
            UUID(as_uuid=True),
            sa.ForeignKey("transactions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("of", sa.Integer, nullable=False),
        sa.Column(
            "context_id", UUID(as_uuid=True), sa.ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "card_id", UUID(as_uuid=True), sa.ForeignKey("cards.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("amount", sa.Numeric(18, 4), nullable=False),
        sa.Column("base_amount", sa.Numeric(18, 4), nullable=True),
        sa.Column("bill_month", sa.Date, nullable=False),
        sa.CheckConstraint("number between 1 and of", name="ck_postings_number"),
        sa.CheckConstraint("of between 1 and 120", name="ck_postings_of"),
        sa.CheckConstraint("amount >= 0", name="ck_postings_amount_not_negative"),
        sa.CheckConstraint("extract(day from bill_month) = 1", name="ck_postings_bill_month_first_day"),
    )
    op.create_index("ix_postings_card_id_bill_month", "postings", ["card_id", "bill_month"])
    op.create_index("ix_postings_context_id_bill_month", "postings", ["context_id", "bill_month"])


def downgrade() -> None:
    op.drop_table("postings")
    op.drop_index("uq_cards_one_default", table_name="cards", postgresql_where=sa.text("is_default"))
    op.drop_table("cards")
