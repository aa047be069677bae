"""address_hits: the residents' answers accepted per network address in the last
minute, shared by every server process (the public forms' throttle)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UTC = accompany.db.sqltypes.UTCDateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "address_hit",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_hit")),
    )
    op.create_index("ix_address_hit_address_at", "address_hit", ["address", "at"], unique=False)
    op.create_index("ix_address_hit_at", "address_hit", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_address_hit_at", table_name="address_hit")
    op.drop_index("ix_address_hit_address_at", table_name="address_hit")
    op.drop_table("address_hit")
