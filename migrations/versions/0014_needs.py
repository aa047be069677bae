"""needs: residents' needs survey (问需) — a needs menu per project, one answer per
household and stage (a later answer replaces it) with the items it chose and its
problem points (position with its datum, optional photo)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC = accompany.db.sqltypes.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "needs_menu_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_needs_menu_item_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs_menu_item")),
    )
    op.create_index(op.f("ix_needs_menu_item_project_id"), "needs_menu_item", ["project_id"], unique=False)
    op.create_table(
        "needs_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("stage_key", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("first_answered_at", UTC, nullable=False),
        sa.Column("answered_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_needs_answer_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs_answer")),
        sa.UniqueConstraint("project_id", "stage_key", "code", name=op.f("uq_needs_answer_project_id_stage_key_code")),
    )
    op.create_index(op.f("ix_needs_answer_project_id"), "needs_answer", ["project_id"], unique=False)
    op.create_table(
        "needs_choice",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["needs_answer.id"], name=op.f("fk_needs_choice_answer_id_needs_answer"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["needs_menu_item.id"], name=op.f("fk_needs_choice_item_id_needs_menu_item")
        ),
        sa.PrimaryKeyConstraint("answer_id", "item_id", name=op.f("pk_needs_choice")),
    )
    op.create_index(op.f("ix_needs_choice_item_id"), "needs_choice", ["item_id"], unique=False)
    op.create_table(
        "needs_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("datum", sa.String(length=8), nullable=False),
        sa.Column("photo_name", sa.String(length=300), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("photo_size", accompany.db.sqltypes.BigId, nullable=True),
        sa.Column("photo_stored_as", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["answer_id"], ["needs_answer.id"], name=op.f("fk_needs_point_answer_id_needs_answer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs_point")),
    )
    op.create_index(op.f("ix_needs_point_answer_id"), "needs_point", ["answer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_needs_point_answer_id"), table_name="needs_point")
    op.drop_table("needs_point")
    op.drop_index(op.f("ix_needs_choice_item_id"), table_name="needs_choice")
    op.drop_table("needs_choice")
    op.drop_index(op.f("ix_needs_answer_project_id"), table_name="needs_answer")
    op.drop_table("needs_answer")
    op.drop_index(op.f("ix_needs_menu_item_project_id"), table_name="needs_menu_item")
    op.drop_table("needs_menu_item")
