"""source health (failures, backoff, pause) and item origin (import, tip)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:20:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consecutive_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('error_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('backoff_until', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_until', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('pause_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('submitted_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('submit_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('engagement', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('engagement')
        batch_op.drop_column('submit_note')
        batch_op.drop_column('submitted_by')
        batch_op.drop_column('origin')

    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('pause_reason')
        batch_op.drop_column('paused_until')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('backoff_until')
        batch_op.drop_column('error_count')
        batch_op.drop_column('consecutive_failures')
