"""event hash chain: every event stores the SHA-256 of its content and of the
previous event's hash; the rows written before are back-filled in id order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes
from accompany.models import chain

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY_MESSAGE = "event log is append-only"
BATCH = 2000

# the event table as this revision knows it (not the ORM's, which moves on)
EVENT = sa.table(
    "event",
    sa.column("id", sa.Integer),
    sa.column("project_id", sa.Integer),
    sa.column("stage_key", sa.String),
    sa.column("kind", sa.String),
    sa.column("actor", sa.String),
    sa.column("occurred_at", accompany.db.sqltypes.UTCDateTime(timezone=True)),
    sa.column("before_state", sa.String),
    sa.column("after_state", sa.String),
    sa.column("data", accompany.db.sqltypes.JsonColumn),
    sa.column("channel", sa.String),
    sa.column("os_user", sa.String),
    sa.column("recorded_at", accompany.db.sqltypes.UTCDateTime(timezone=True)),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def upgrade() -> None:
    # plain ADD COLUMN on both databases (no table rebuild, the triggers stay)
    op.add_column("event", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("event", sa.Column("hash", sa.String(length=64), nullable=True))
    sqlite = op.get_bind().dialect.name == "sqlite"
    # the back-fill is an UPDATE, which the append-only triggers refuse: lift them for
    # this transaction only (a failure rolls the whole migration back, triggers
    # included — DDL is transactional on both databases)
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS event_no_update")
    else:
        op.execute("ALTER TABLE event DISABLE TRIGGER event_append_only")
    _backfill()
    if sqlite:
        op.execute(
            "CREATE TRIGGER event_no_update BEFORE UPDATE ON event "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )
    else:
        op.execute("ALTER TABLE event ENABLE TRIGGER event_append_only")


def _backfill() -> None:
    bind = op.get_bind()
    update = (
        sa.update(EVENT)
        .where(EVENT.c.id == sa.bindparam("b_id"))
        .values(prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash"))
    )
    previous, after = chain.GENESIS, 0
    while True:
        rows = bind.execute(
            sa.select(EVENT).where(EVENT.c.id > after).order_by(EVENT.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        params = []
        for r in rows:
            digest = chain.event_hash(
                kind=r.kind,
                project_id=r.project_id,
                stage=r.stage_key,
                actor=r.actor,
                occurred_at=r.occurred_at,
                before=r.before_state,
                after=r.after_state,
                data=r.data,
                channel=r.channel,
                os_user=r.os_user,
                recorded_at=r.recorded_at,
                prev_hash=previous,
            )
            params.append({"b_id": r.id, "b_prev": previous, "b_hash": digest})
            previous = digest
        bind.execute(update, params)
        after = rows[-1].id


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place (no rebuild, so the triggers stay)
    op.drop_column("event", "hash")
    op.drop_column("event", "prev_hash")
