"""the scheduler's lease (a fencing token) and the lease each refresh run was started under

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    lease = op.create_table('scheduler_lease',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('epoch', sa.Integer(), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('taken_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(lease, [{'id': 1, 'epoch': 0, 'holder': ''}])

    with op.batch_alter_table('refresh_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('refresh_run', schema=None) as batch_op:
        batch_op.drop_column('lease')

    op.drop_table('scheduler_lease')
