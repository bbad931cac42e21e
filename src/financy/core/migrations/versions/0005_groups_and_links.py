"""groups as shared ledgers, payers, link codes

* ``chat_bindings``: ``chat_type`` (a private chat or a group, whose ledger is shared),
  ``active`` (the bot left the group: the binding waits for it to come back) and ``title``.
* ``captures.author_id`` and ``transactions.author_id`` may be null: a message a channel or an
  anonymous group administrator sent has no person behind it (DESIGN: no user is made for it).
* ``transactions.paid_by``: who paid (null: unknown, the bot asked); filled from the author.
* ``link_codes``: one-time codes that link a chat identity to an account (sha256 of the code).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "chat_bindings", sa.Column("chat_type", sa.String(16), nullable=False, server_default="private")
    )
    op.add_column(
        "chat_bindings", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("chat_bindings", sa.Column("title", sa.String(200), nullable=True))
    op.create_check_constraint(
        "ck_chat_bindings_chat_type", "chat_bindings", "chat_type in ('private','group')"
    )
    op.alter_column("captures", "author_id", nullable=True)
    op.alter_column("transactions", "author_id", nullable=True)
    op.add_column("transactions", sa.Column("paid_by", UUID(as_uuid=True), nullable=True))
    op.create_foreign_key("fk_transactions_paid_by_users", "transactions", "users", ["paid_by"], ["id"])
    op.execute("UPDATE transactions SET paid_by = author_id")
    op.create_table(
        "link_codes",
        sa.Column("id", UUID(as_uuid=True)),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_platform", sa.String(16), nullable=True),
        sa.Column("used_by_platform_user_id", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_link_codes"),
        sa.UniqueConstraint("code_hash", name="uq_link_codes_code_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_link_codes_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_link_codes_user_id", "link_codes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_link_codes_user_id", table_name="link_codes")
    op.drop_table("link_codes")
    op.drop_constraint("fk_transactions_paid_by_users", "transactions", type_="foreignkey")
    op.drop_column("transactions", "paid_by")
    op.execute("DELETE FROM transactions WHERE author_id IS NULL")
    op.execute("DELETE FROM captures WHERE author_id IS NULL")
    op.alter_column("transactions", "author_id", nullable=False)
    op.alter_column("captures", "author_id", nullable=False)
    op.drop_constraint("ck_chat_bindings_chat_type", "chat_bindings", type_="check")
    op.drop_column("chat_bindings", "title")
    op.drop_column("chat_bindings", "active")
    op.drop_column("chat_bindings", "chat_type")
