"""base amounts and FX rates: every transaction valued in its ledger's base currency

* ``transactions.base_amount``, ``base_currency``, ``fx_rate``, ``fx_date``, ``fx_source``: the
  amount in the context's base currency at the rate of ``fx_date`` (``fx_rate`` base units per
  unit of ``currency``) and where the rate came from (``identity`` when the currencies are the
  same, ``ecb`` for the European Central Bank's reference rates, ``override`` for a rate the user
  gave). Null ``base_amount``: no rate was known (totals say so instead of adding currencies).
* ``fx_rates``: reference rates as published, one row per source, currency and day
  (units of ``currency`` per 1 EUR for the ECB, as it publishes them).

Existing transactions in their ledger's base currency get ``identity`` values.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("transactions", sa.Column("base_amount", sa.Numeric(18, 4), nullable=True))
    op.add_column("transactions", sa.Column("base_currency", sa.String(3), nullable=True))
    op.add_column("transactions", sa.Column("fx_rate", sa.Numeric(24, 10), nullable=True))
    op.add_column("transactions", sa.Column("fx_date", sa.Date(), nullable=True))
    op.add_column("transactions", sa.Column("fx_source", sa.String(16), nullable=True))
    op.execute(
        "UPDATE transactions t SET base_amount = t.amount, base_currency = t.currency, fx_rate = 1,"
        " fx_date = t.occurred_on, fx_source = 'identity'"
        " FROM contexts c WHERE c.id = t.context_id AND c.base_currency = t.currency"
    )
    op.create_table(
        "fx_rates",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("rate_date", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(24, 10), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("source", "currency", "rate_date", name="pk_fx_rates"),
        sa.CheckConstraint("rate > 0", name="ck_fx_rates_rate_positive"),
    )


def downgrade() -> None:
    op.drop_table("fx_rates")
    for column in ("fx_source", "fx_date", "fx_rate", "base_currency", "base_amount"):
        op.drop_column("transactions", column)
