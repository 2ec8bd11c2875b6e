"""CitiStat sessions, agenda items, follow-ups and commentary; audit entries indexed by object type

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('citistat_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('subject_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('meets_on', sa.Date(), nullable=False),
    sa.Column('data_cutoff', sa.Date(), nullable=False),
    sa.Column('frozen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('citistat_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citistat_session_meets_on'), ['meets_on'], unique=False)

    op.create_table('commentary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('grain', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('visibility', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commentary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commentary_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_commentary_metric_id'), ['metric_id'], unique=False)

    op.create_table('agenda_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reasons', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('analyst_note', sa.Text(), nullable=True),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['citistat_session.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_item_session_id'), ['session_id'], unique=False)
        batch_op.create_index('uq_agenda_item', ['session_id', 'metric_id'], unique=True)

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('owner_role', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('owner_agency', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('deliverable', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('metric_ids', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('evidence_link', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['citistat_session.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_owner_agency'), ['owner_agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_session_id'), ['session_id'], unique=False)

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_object_type'), ['object_type'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_object_type'))

    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_session_id'))
        batch_op.drop_index(batch_op.f('ix_follow_up_owner_agency'))
        batch_op.drop_index(batch_op.f('ix_follow_up_due_on'))

    op.drop_table('follow_up')
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index('uq_agenda_item')
        batch_op.drop_index(batch_op.f('ix_agenda_item_session_id'))

    op.drop_table('agenda_item')
    with op.batch_alter_table('commentary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commentary_metric_id'))
        batch_op.drop_index(batch_op.f('ix_commentary_created_at'))

    op.drop_table('commentary')
    with op.batch_alter_table('citistat_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citistat_session_meets_on'))

    op.drop_table('citistat_session')
