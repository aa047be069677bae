"""consent: residents' consent ballots (one per household and consent stage, a later
ballot replaces it; the household named by its code), Civil Code Art. 278

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = accompany.db.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consent_ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("stage_key", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("cast_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_consent_ballot_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_ballot")),
        sa.UniqueConstraint(
            "project_id", "stage_key", "code", name=op.f("uq_consent_ballot_project_id_stage_key_code")
        ),
    )
    op.create_index(op.f("ix_consent_ballot_project_id"), "consent_ballot", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_consent_ballot_project_id"), table_name="consent_ballot")
    op.drop_table("consent_ballot")
