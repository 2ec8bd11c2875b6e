"""value store: metric values with history, refresh runs, source loads

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refresh_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('runner', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_written', sa.Integer(), nullable=False),
    sa.Column('rows_unchanged', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('warnings', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('refresh_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_run_metric_id'), ['metric_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_run_started_at'), ['started_at'], unique=False)

    op.create_table('source_load',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('file', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_loaded', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('rejections', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('source_load', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_load_source_id'), ['source_id'], unique=False)

    op.create_table('metric_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('grain', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('geography', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('geo_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('valid_from', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('valid_to', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['refresh_run.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('metric_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metric_value_metric_id'), ['metric_id'], unique=False)
        batch_op.create_index('uq_metric_value_current', ['metric_id', 'grain', 'period_start', 'geography', 'geo_key'], unique=True, sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))
        batch_op.create_index('uq_metric_value_version', ['metric_id', 'grain', 'period_start', 'geography', 'geo_key', 'valid_from'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('metric_value', schema=None) as batch_op:
        batch_op.drop_index('uq_metric_value_version')
        batch_op.drop_index('uq_metric_value_current', sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))
        batch_op.drop_index(batch_op.f('ix_metric_value_metric_id'))

    op.drop_table('metric_value')
    with op.batch_alter_table('source_load', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_load_source_id'))

    op.drop_table('source_load')
    with op.batch_alter_table('refresh_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_run_started_at'))
        batch_op.drop_index(batch_op.f('ix_refresh_run_metric_id'))

    op.drop_table('refresh_run')
