"""team.teams_channel: the Teams channel a team's referral threads go to

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 20:55:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Plain ALTER TABLE on both databases, no batch (copy-and-move) on SQLite:
# person's foreign key points at team, so team cannot be dropped and recreated
# (SQLite has ADD and, since 3.35, DROP COLUMN).

def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('team', sa.Column('teams_channel', sqlmodel.sql.sqltypes.AutoString(length=128),
                                    nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE team DROP COLUMN teams_channel')
    else:
        op.drop_column('team', 'teams_channel')
