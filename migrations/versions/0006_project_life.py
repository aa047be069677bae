"""project life: a project's status reason, since when and by whom (suspended,
cancelled), and which clock pauses a project's suspension opened

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN on both databases (no table rebuild)
    op.add_column("project", sa.Column("status_reason", sa.Text(), nullable=True))
    op.add_column(
        "project",
        sa.Column("status_since", accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("project", sa.Column("status_by", sa.String(length=64), nullable=True))
    op.add_column(
        "clock_pause",
        sa.Column("suspension", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # a project suspended or cancelled has no status the older schema knows: it goes
    # back to active (its reason is in the event log)
    op.execute("UPDATE project SET status = 'active' WHERE status IN ('suspended', 'cancelled')")
    with op.batch_alter_table("clock_pause", schema=None) as batch_op:
        batch_op.drop_column("suspension")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("status_by")
        batch_op.drop_column("status_since")
        batch_op.drop_column("status_reason")
