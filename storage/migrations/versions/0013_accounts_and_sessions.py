"""accounts and sessions: one account per person per platform, web session rows, throttles

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('throttle',
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key_hash')
    )
    op.create_table('web_session',
    sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id_hash')
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_person_id'), ['person_id'], unique=False)

    # Before the constraint: of a person's accounts on one platform, the newest stays.
    op.execute(
        "DELETE FROM chat_identity WHERE id NOT IN ("
        " SELECT max(id) FROM chat_identity GROUP BY person_id, platform)")
    with op.batch_alter_table('chat_identity', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_chat_identity_person_id_platform',
                                          ['person_id', 'platform'])

    # Wrong link codes are counted in `throttle` now (one atomic statement).
    with op.batch_alter_table('link_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_attempt_external_id'))
    op.drop_table('link_attempt')


def downgrade() -> None:
    """Downgrade schema."""
    op.create_table('link_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('link_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_attempt_external_id'), ['external_id'], unique=False)
    with op.batch_alter_table('chat_identity', schema=None) as batch_op:
        batch_op.drop_constraint('uq_chat_identity_person_id_platform', type_='unique')
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_person_id'))
    op.drop_table('web_session')
    op.drop_table('throttle')
