"""region.retention_days: a region's own retention term for closed cases

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Plain ALTER TABLE, no batch: SQLite adds and (3.35+) drops a column in place,
# and rebuilding `region` would trip the foreign keys that point at it.
def upgrade() -> None:
    op.add_column('region', sa.Column('retention_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('region', 'retention_days')
