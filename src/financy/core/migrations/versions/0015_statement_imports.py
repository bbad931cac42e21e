"""statement imports: each bank file read into a ledger, and what became of every line

* ``statement_imports``: one row per file (previewed, committed or undone as a whole), with the
  account its lines belong to, the file's sha256 and size, the parser's detected choices, the
  records it could not read and the count of lines per outcome.
* ``statement_lines``: every line as the bank stated it (signed amount, currency, payee and its
  normalised key, memo, the bank's id) with its outcome (add, duplicate, merge, ambiguous,
  invalid), the transaction it became or joined, an ambiguous line's candidates, and for a
  merge the joined transaction's fields before (what undo restores).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "statement_imports",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "context_id", UUID(as_uuid=True), sa.ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "created_by", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("account", sa.String(200), nullable=False, server_default=""),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detected", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("problems", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("counts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status in ('previewed','committed','undone')", name="ck_statement_imports_status"
        ),
    )
    op.create_index(
        "ix_statement_imports_context_id_created_at", "statement_imports", ["context_id", "created_at"]
    )
    op.create_table(
        "statement_lines",
        sa.Column(
            "import_id",
            UUID(as_uuid=True),
            sa.ForeignKey("statement_imports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column(
            "context_id", UUID(as_uuid=True), sa.ForeignKey("contexts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("account", sa.String(200), nullable=False, server_default=""),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payee", sa.String(200), nullable=True),
        sa.Column("payee_key", sa.String(200), nullable=False, server_default=""),
        sa.Column("memo", sa.String(500), nullable=True),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("category", sa.String(200), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column(
            "transaction_id",
            UUID(as_uuid=True),
            sa.ForeignKey("transactions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("candidates", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("before", JSONB(none_as_null=True), nullable=True),
        sa.CheckConstraint(
            "outcome in ('add','duplicate','merge','ambiguous','invalid')", name="ck_statement_lines_outcome"
        ),
    )
    op.create_index(
        "ix_statement_lines_context_id_account_occurred_on",
        "statement_lines",
        ["context_id", "account", "occurred_on"],
    )
    op.create_index("ix_statement_lines_transaction_id", "statement_lines", ["transaction_id"])


def downgrade() -> None:
    op.drop_table("statement_lines")
    op.drop_table("statement_imports")
