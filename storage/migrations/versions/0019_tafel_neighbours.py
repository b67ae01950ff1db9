"""tafel_neighbour: which Jeugdbeschermingstafel may take over when one is full

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('tafel_neighbour',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('neighbour_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['neighbour_id'], ['organisation.id'], name=op.f('fk_tafel_neighbour_neighbour_id_organisation')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_tafel_neighbour_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('organisation_id', 'neighbour_id', name=op.f('pk_tafel_neighbour'))
    )
    with op.batch_alter_table('tafel_neighbour', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tafel_neighbour_neighbour_id'), ['neighbour_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('tafel_neighbour', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tafel_neighbour_neighbour_id'))

    op.drop_table('tafel_neighbour')
