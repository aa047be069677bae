"""satisfaction: residents' satisfaction survey answers (问效; one per household and
survey stage, a later answer replaces it; the household named by its code)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = accompany.db.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "satisfaction_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("stage_key", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Integer(), nullable=False),
        sa.Column("process", sa.Integer(), nullable=False),
        sa.Column("management", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("answered_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_satisfaction_answer_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_answer")),
        sa.UniqueConstraint(
            "project_id", "stage_key", "code", name=op.f("uq_satisfaction_answer_project_id_stage_key_code")
        ),
    )
    op.create_index(
        op.f("ix_satisfaction_answer_project_id"), "satisfaction_answer", ["project_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_satisfaction_answer_project_id"), table_name="satisfaction_answer")
    op.drop_table("satisfaction_answer")
