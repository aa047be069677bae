"""consent_rounds: a loop back for a new round (models.loop) archives the ballots of
the old round — ``archived_round`` 0 is the running round, n the n-th round closed;
a household votes once per round

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent_ballot") as batch:
        batch.add_column(sa.Column("archived_round", sa.Integer(), server_default="0", nullable=False))
        batch.drop_constraint("uq_consent_ballot_project_id_stage_key_code", type_="unique")
        batch.create_unique_constraint(
            "uq_consent_ballot_project_id_stage_key_archived_round_code",
            ["project_id", "stage_key", "archived_round", "code"],
        )


def downgrade() -> None:
    op.execute("DELETE FROM consent_ballot WHERE archived_round <> 0")
    with op.batch_alter_table("consent_ballot") as batch:
        batch.drop_constraint("uq_consent_ballot_project_id_stage_key_archived_round_code", type_="unique")
        batch.create_unique_constraint(
            "uq_consent_ballot_project_id_stage_key_code", ["project_id", "stage_key", "code"]
        )
        batch.drop_column("archived_round")
