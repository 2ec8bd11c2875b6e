"""metric_value.run_id without its foreign key: the database checked every new version's run, a lookup a row that
cost a refresh of millions of values about a third of its write time; the run is written in the same transaction
as its values, and runs are never deleted

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
from __future__ import annotations

from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}  # SQLite's foreign key is unnamed


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint('metric_value_run_id_fkey', 'metric_value', type_='foreignkey')
        return
    with op.batch_alter_table('metric_value', naming_convention=NAMES) as batch_op:
        batch_op.drop_constraint('fk_metric_value_run_id_refresh_run', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('metric_value', schema=None) as batch_op:
        batch_op.create_foreign_key('metric_value_run_id_fkey', 'refresh_run', ['run_id'], ['id'])
