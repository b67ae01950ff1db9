"""web overview: sign-in links, access log, digest opt-outs

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'web_login',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_index('ix_web_login_person_id', 'web_login', ['person_id'])
    op.create_table(
        'web_access',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('path', sa.String(length=200), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_web_access_person_id', 'web_access', ['person_id'])
    op.create_index('ix_web_access_at', 'web_access', ['at'])
    op.create_table(
        'digest_optout',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('person_id'),
    )
    # The figures group referral history by action; the deadlines by key.
    op.create_index('ix_referral_event_action', 'referral_event', ['action', 'referral_id'])
    op.create_index('ix_deadline_key_status', 'deadline', ['key', 'status'])


def downgrade() -> None:
    op.drop_index('ix_deadline_key_status', table_name='deadline')
    op.drop_index('ix_referral_event_action', table_name='referral_event')
    op.drop_table('digest_optout')
    op.drop_index('ix_web_access_at', table_name='web_access')
    op.drop_index('ix_web_access_person_id', table_name='web_access')
    op.drop_table('web_access')
    op.drop_index('ix_web_login_person_id', table_name='web_login')
    op.drop_table('web_login')
