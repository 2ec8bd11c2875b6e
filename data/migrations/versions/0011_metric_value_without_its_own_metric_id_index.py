"""metric_value without its own index on metric_id: both unique indexes lead with it, and a fourth index to keep up
cost every refresh about a fifth of its write time

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""
from __future__ import annotations

from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('metric_value', schema=None) as batch_op:
        batch_op.drop_index('ix_metric_value_metric_id')


def downgrade() -> None:
    with op.batch_alter_table('metric_value', schema=None) as batch_op:
        batch_op.create_index('ix_metric_value_metric_id', ['metric_id'], unique=False)
