"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 19:20:02.169834
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accompany.db.sqltypes
from sqlalchemy.dialects import postgresql

APPEND_ONLY_MESSAGE = 'event log is append-only'

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('district',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_district'))
    )
    op.create_table('process_template',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('body', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_process_template')),
    sa.UniqueConstraint('template_id', 'version', name=op.f('uq_process_template_template_id_version'))
    )
    op.create_table('person',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('streets', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_person_district_id_district')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    op.create_table('street',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_street_district_id_district')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_street'))
    )
    with op.batch_alter_table('street', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_street_district_id'), ['district_id'], unique=False)

    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('district_id', sa.String(length=64), nullable=False),
    sa.Column('street_id', sa.String(length=64), nullable=False),
    sa.Column('community', sa.String(length=200), nullable=False),
    sa.Column('planner_id', sa.String(length=64), nullable=False),
    sa.Column('coordinator_id', sa.String(length=64), nullable=False),
    sa.Column('template_pk', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['coordinator_id'], ['person.id'], name=op.f('fk_project_coordinator_id_person')),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_project_district_id_district')),
    sa.ForeignKeyConstraint(['planner_id'], ['person.id'], name=op.f('fk_project_planner_id_person')),
    sa.ForeignKeyConstraint(['street_id'], ['street.id'], name=op.f('fk_project_street_id_street')),
    sa.ForeignKeyConstraint(['template_pk'], ['process_template.pk'], name=op.f('fk_project_template_pk_process_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project'))
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_planner_id'), ['planner_id'], unique=False)
        batch_op.create_index('ix_project_street_status', ['street_id', 'status'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('stage_key', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', accompany.db.sqltypes.UTCDateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('before_state', sa.String(length=32), nullable=True),
    sa.Column('after_state', sa.String(length=32), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_event_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_kind'), ['kind'], unique=False)
        batch_op.create_index('ix_event_occurred_at', ['occurred_at'], unique=False)
        batch_op.create_index('ix_event_project_id_id', ['project_id', 'id'], unique=False)

    op.create_table('stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('activated_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fixed_due', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('deadline', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('paused_since', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_stage_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage')),
    sa.UniqueConstraint('project_id', 'key', name=op.f('uq_stage_project_id_key'))
    )
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.create_index('ix_stage_state_due', ['state', 'due_date'], unique=False)

    op.create_table('approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('decided_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['person.id'], name=op.f('fk_approval_decided_by_person')),
    sa.ForeignKeyConstraint(['stage_id'], ['stage.id'], name=op.f('fk_approval_stage_id_stage'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval'))
    )
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_stage_id'), ['stage_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=True),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stored_as', sa.String(length=500), nullable=False),
    sa.Column('added_by', sa.String(length=64), nullable=False),
    sa.Column('added_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['person.id'], name=op.f('fk_attachment_added_by_person')),
    sa.ForeignKeyConstraint(['stage_id'], ['stage.id'], name=op.f('fk_attachment_stage_id_stage'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_stage_id'), ['stage_id'], unique=False)

    op.create_table('clock_pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('paused_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paused_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('resumed_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resumed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['paused_by'], ['person.id'], name=op.f('fk_clock_pause_paused_by_person')),
    sa.ForeignKeyConstraint(['resumed_by'], ['person.id'], name=op.f('fk_clock_pause_resumed_by_person')),
    sa.ForeignKeyConstraint(['stage_id'], ['stage.id'], name=op.f('fk_clock_pause_stage_id_stage'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_pause'))
    )
    with op.batch_alter_table('clock_pause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clock_pause_stage_id'), ['stage_id'], unique=False)

    op.create_table('extension_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('granted_days', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['person.id'], name=op.f('fk_extension_request_decided_by_person')),
    sa.ForeignKeyConstraint(['requested_by'], ['person.id'], name=op.f('fk_extension_request_requested_by_person')),
    sa.ForeignKeyConstraint(['stage_id'], ['stage.id'], name=op.f('fk_extension_request_stage_id_stage'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension_request'))
    )
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_request_stage_id'), ['stage_id'], unique=False)

    op.create_table('system_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', accompany.db.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_system_state'))
    )
    _make_event_log_append_only()


def _make_event_log_append_only() -> None:
    """The audit log is append-only in the database itself, not just by convention."""
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER event_no_{action.lower()} BEFORE {action} ON event "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON event "
            "FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_no_update")
        op.execute("DROP TRIGGER IF EXISTS event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS event_append_only ON event")
        op.execute("DROP FUNCTION IF EXISTS event_append_only()")
    op.drop_table('system_state')
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extension_request_stage_id'))

    op.drop_table('extension_request')
    with op.batch_alter_table('clock_pause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clock_pause_stage_id'))

    op.drop_table('clock_pause')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_stage_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_stage_id'))

    op.drop_table('approval')
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_state_due')

    op.drop_table('stage')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_project_id_id')
        batch_op.drop_index('ix_event_occurred_at')
        batch_op.drop_index(batch_op.f('ix_event_kind'))

    op.drop_table('event')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_street_status')
        batch_op.drop_index(batch_op.f('ix_project_planner_id'))

    op.drop_table('project')
    with op.batch_alter_table('street', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_street_district_id'))

    op.drop_table('street')
    op.drop_table('person')
    op.drop_table('process_template')
    op.drop_table('district')
