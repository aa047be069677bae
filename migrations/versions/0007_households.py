"""households: a project's household register (building, unit, room, floor area,
owners, an optional contact) and each household's code; the public project page
(published by a coordinator, off by default)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = accompany.db.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("building", sa.String(length=50), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("room", sa.String(length=50), nullable=False),
        sa.Column("area_centi", sa.Integer(), nullable=False),
        sa.Column("owners", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=40), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("loaded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_household_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("code", name=op.f("uq_household_code")),
        sa.UniqueConstraint("project_id", "building", "unit", "room", name=op.f("uq_household_project_id_building_unit_room")),
    )
    op.create_index(op.f("ix_household_project_id"), "household", ["project_id"], unique=False)
    op.create_table(
        "public_page",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("published_at", UTC, nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_public_page_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_public_page")),
    )


def downgrade() -> None:
    op.drop_table("public_page")
    op.drop_index(op.f("ix_household_project_id"), table_name="household")
    op.drop_table("household")
