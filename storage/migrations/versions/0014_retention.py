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
    # Plain ADD COLUMN (SQLite has it): a batch copy of `referral` would trip
    # the foreign keys that point at it.
    op.add_column('outbox', sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('referral', sa.Column('anonymised_at', sa.DateTime(timezone=True),
                                        nullable=True))
    op.add_column('model_escalation', sa.Column('anonymised_at', sa.DateTime(timezone=True),
                                                nullable=True))


def downgrade() -> None:
    op.drop_column('model_escalation', 'anonymised_at')
    op.drop_column('referral', 'anonymised_at')
    op.drop_column('outbox', 'purged_at')
