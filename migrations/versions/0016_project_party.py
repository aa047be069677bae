"""project_party: the parties of a project (design institute, construction company,
community committee …), one person per party role

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_party",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_project_party_project_id_project"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_project_party_person_id_person")),
        sa.PrimaryKeyConstraint("project_id", "role", name=op.f("pk_project_party")),
    )
    op.create_index(op.f("ix_project_party_person_id"), "project_party", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_project_party_person_id"), table_name="project_party")
    op.drop_table("project_party")
