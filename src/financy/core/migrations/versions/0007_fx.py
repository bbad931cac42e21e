"""FX: a card's IOF as a fee line, per ledger

* ``contexts.card_iof``: in a BRL ledger, a foreign-currency expense paid by credit card gets a
  second transaction with its IOF (off by default; :mod:`financy.core.service.iof`).
* ``transactions.fee_of``: the purchase a fee line belongs to (undoing one undoes both).
* partial indexes on what has no FX rate yet (the refresh values it) and on fee lines.

The ECB's reference rates are loaded into ``fx_rates`` by ``financy core migrate`` itself when
the table holds none (:func:`financy.core.adapters.ecb.ensure_packaged_rates`), not here: a data
file of ~170k rows does not belong in a schema revision.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "contexts", sa.Column("card_iof", sa.Boolean(), nullable=False, server_default=sa.text("false"))
    )
    op.add_column("transactions", sa.Column("fee_of", postgresql.UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        "fk_transactions_fee_of_transactions", "transactions", "transactions", ["fee_of"], ["id"]
    )
    op.create_index(
        "ix_transactions_unvalued",
        "transactions",
        ["occurred_on"],
        postgresql_where=sa.text("base_amount IS NULL"),
    )
    op.create_index(
        "ix_transactions_fee_of", "transactions", ["fee_of"], postgresql_where=sa.text("fee_of IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_fee_of", table_name="transactions")
    op.drop_index("ix_transactions_unvalued", table_name="transactions")
    op.drop_constraint("fk_transactions_fee_of_transactions", "transactions", type_="foreignkey")
    op.drop_column("transactions", "fee_of")
    op.drop_column("contexts", "card_iof")
