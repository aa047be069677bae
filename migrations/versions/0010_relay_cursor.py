"""relay_cursor: how far a relay has carried the event log elsewhere (Prefect events)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC = accompany.db.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "relay_cursor",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_relay_cursor")),
    )
    # the relay to Prefect starts at the beginning of the log (its row exists, so two
    # first relays lock it rather than race to create it)
    cursor = sa.table("relay_cursor", sa.column("name", sa.String), sa.column("last_event_id", sa.Integer))
    op.bulk_insert(cursor, [{"name": "prefect", "last_event_id": 0}])


def downgrade() -> None:
    op.drop_table("relay_cursor")
