"""comments: residents' comments and objections during a stage's public notice, each
answered by the planner (问计)

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = accompany.db.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stage_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("stage_key", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("left_at", UTC, nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("answered_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_stage_comment_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_comment")),
    )
    op.create_index(op.f("ix_stage_comment_project_id"), "stage_comment", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stage_comment_project_id"), table_name="stage_comment")
    op.drop_table("stage_comment")
