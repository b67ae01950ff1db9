"""retention: when an outbox row's payload was purged, when a referral or escalation was anonymised

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('referral') as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('model_escalation') as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('model_escalation') as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('referral') as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('purged_at')
