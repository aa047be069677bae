"""public_attachment: the evidence files marked public, listed and downloadable on
the project's public page (no row: private)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_attachment",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("published_at", accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_public_attachment_attachment_id_attachment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_public_attachment")),
    )


def downgrade() -> None:
    op.drop_table("public_attachment")
