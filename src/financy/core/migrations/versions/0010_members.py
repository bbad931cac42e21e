"""shared ledgers: archived ledgers and invitations

* ``contexts.archived_at``: when the ledger was archived (null: active). An archived ledger is
  still listed and readable, and takes no new records from chat.
* ``invitations``: one-time invitation codes into a ledger with the role the inviter chose
  (sha256 of the code only), when they expire, and who used or revoked them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contexts", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "invitations",
        sa.Column("id", UUID(as_uuid=True)),
        sa.Column("context_id", UUID(as_uuid=True), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_by", UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", UUID(as_uuid=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.UniqueConstraint("code_hash", name="uq_invitations_code_hash"),
        sa.CheckConstraint("role in ('owner','admin','editor','viewer')", name="ck_invitations_role"),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name="fk_invitations_context_id_contexts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_invitations_created_by_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["used_by"], ["users.id"], name="fk_invitations_used_by_users", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_invitations_context_id", "invitations", ["context_id"])


def downgrade() -> None:
    op.drop_index("ix_invitations_context_id", table_name="invitations")
    op.drop_table("invitations")
    op.drop_column("contexts", "archived_at")
