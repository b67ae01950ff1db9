"""rate limits shared by every process

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('rate_limit',
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('paused_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'account', 'scope')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('rate_limit')
