"""quality flags on values and the performance team's value reviews

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('value_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('grain', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('geography', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('geo_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('value_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_value_review_metric_id'), ['metric_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_value_review_reviewed_at'), ['reviewed_at'], unique=False)

    with op.batch_alter_table('metric_value', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('covered_through', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('metric_value', schema=None) as batch_op:
        batch_op.drop_column('covered_through')
        batch_op.drop_column('flags')

    with op.batch_alter_table('value_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_value_review_reviewed_at'))
        batch_op.drop_index(batch_op.f('ix_value_review_metric_id'))

    op.drop_table('value_review')
