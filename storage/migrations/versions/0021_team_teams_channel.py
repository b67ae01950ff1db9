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


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('teams_channel', sqlmodel.sql.sqltypes.AutoString(length=128),
                                      nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('teams_channel')
