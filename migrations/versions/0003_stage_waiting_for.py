"""stage.waiting_for: the approval level a done stage waits for

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Backfills existing submitted stages from their template snapshot and the approvals
given in their current round.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_for", sa.String(length=32), nullable=True))
    bind = op.get_bind()
    templates = {}
    for pk, body in bind.execute(sa.text("SELECT pk, body FROM process_template")):
        body = json.loads(body) if isinstance(body, str) else body
        templates[pk] = {
            stage["id"]: stage.get("approval", ["street-office"]) for stage in body.get("stages", [])
        }
    waiting = bind.execute(
        sa.text(
            "SELECT s.id, s.key, s.round, p.template_pk FROM stage s JOIN project p ON p.id = s.project_id "
            "WHERE s.state = 'submitted'"
        )
    ).all()
    for stage_id, key, round_, template_pk in waiting:
        given = {
            level
            for (level,) in bind.execute(
                sa.text(
                    "SELECT level FROM approval WHERE stage_id = :id AND round = :round AND decision = 'approved'"
                ),
                {"id": stage_id, "round": round_},
            )
        }
        levels = templates.get(template_pk, {}).get(key, [])
        level = next((lvl for lvl in levels if lvl not in given), None)
        bind.execute(sa.text("UPDATE stage SET waiting_for = :level WHERE id = :id"), {"level": level, "id": stage_id})


def downgrade() -> None:
    with op.batch_alter_table("stage", schema=None) as batch_op:
        batch_op.drop_column("waiting_for")
