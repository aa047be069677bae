"""delegation: a substitute who decides for a street-office or district person over
a range of Beijing dates (代理审批)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC = accompany.db.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delegator_id", sa.String(length=64), nullable=False),
        sa.Column("substitute_id", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["delegator_id"], ["person.id"], name=op.f("fk_delegation_delegator_id_person")),
        sa.ForeignKeyConstraint(
            ["substitute_id"], ["person.id"], name=op.f("fk_delegation_substitute_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegation")),
    )
    op.create_index(op.f("ix_delegation_delegator_id"), "delegation", ["delegator_id"], unique=False)
    op.create_index(op.f("ix_delegation_substitute_id"), "delegation", ["substitute_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_delegation_substitute_id"), table_name="delegation")
    op.drop_index(op.f("ix_delegation_delegator_id"), table_name="delegation")
    op.drop_table("delegation")
