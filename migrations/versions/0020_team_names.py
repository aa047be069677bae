"""team_names: the names of the planners' teams the people directory gives (the
quarterly report shows 清华大学…团队 where it showed the team's id)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a new table: a person's team stays a plain id (a team the directory never
    # names has no row and is shown by its id)
    op.create_table(
        "team",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
    )


def downgrade() -> None:
    op.drop_table("team")
