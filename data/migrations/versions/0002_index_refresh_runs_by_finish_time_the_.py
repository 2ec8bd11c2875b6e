"""index refresh runs by finish time (the pages' data version)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('refresh_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_run_finished_at'), ['finished_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('refresh_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_run_finished_at'))

