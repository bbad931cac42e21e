"""events by capture: what a capture caused (a completed voice note's answer leads to the note)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_events_capture_id"), "events", ["capture_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_events_capture_id"), table_name="events")
