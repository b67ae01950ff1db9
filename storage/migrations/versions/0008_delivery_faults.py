"""delivery faults: the thread root's digest

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

The outbox's new "dead" status and the delivery parts in outbox_delivery need
no schema change (status is free text, parts are rows); only the root digest
is a new column.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('referral_thread') as batch_op:
        batch_op.add_column(sa.Column('root_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('referral_thread') as batch_op:
        batch_op.drop_column('root_hash')
