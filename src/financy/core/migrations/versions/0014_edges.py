"""edge fleet: edges enrolled with one-time tokens, each with its own credentials

* ``edges``: one row per edge node. ``id`` is the edge id on the streams (``CaptureV1.edge_id``,
  the ``NAME`` of ``financy core edges add NAME``). ``token_hash`` is the sha256 of the one-time
  enrolment token (cleared when used) and ``token_expires_at`` its expiry. At enrolment the core
  records the Redis ACL user it made (``redis_user``), the object-store access key
  (``s3_access_key``), the HMAC key that signs the edge's stream entries (``origin_key``, hex),
  and what the edge said it speaks (``contract_versions``, ``software_version``). ``revoked_at``:
  the edge's credentials were deleted; its entries are refused from then on.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "edges",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column(
            "created_by", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redis_user", sa.String(128), nullable=True),
        sa.Column("s3_access_key", sa.String(128), nullable=True),
        sa.Column("origin_key", sa.String(128), nullable=True),
        sa.Column("contract_versions", JSONB, nullable=True),
        sa.Column("software_version", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("edges")
