"""field rules: the provider's contact per referral, the family's position per tier,
a verslag per meeting

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Existing data is carried over:
- a referral with a zorgaanbieder gets as its contact the first person of that
  provider who acted on it (none: the organisation's team leaders are told);
- an escalation's recorded family position becomes the answer at the tier it
  was given in, with who gave it and when (from its history);
- every verslag already put to approval is the verslag of the meeting at the
  tier the escalation was on when it was recorded.
"""
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_referral = sa.table('referral', sa.column('id', sa.Integer),
                     sa.column('zorgaanbieder_id', sa.Integer),
                     sa.column('zorgaanbieder_contact_id', sa.Integer))
_ref_event = sa.table('referral_event', sa.column('id', sa.Integer),
                      sa.column('referral_id', sa.Integer), sa.column('actor_id', sa.Integer))
_person = sa.table('person', sa.column('id', sa.Integer), sa.column('team_id', sa.Integer))
_team = sa.table('team', sa.column('id', sa.Integer), sa.column('organisation_id', sa.Integer))
_esc = sa.table('model_escalation', sa.column('id', sa.Integer),
                sa.column('family_informed', sa.String), sa.column('family_reason', sa.String),
                sa.column('started_by_id', sa.Integer), sa.column('created_at', sa.DateTime(timezone=True)))
_esc_event = sa.table('model_escalation_event', sa.column('id', sa.Integer),
                      sa.column('escalation_id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
                      sa.column('actor_id', sa.Integer), sa.column('platform', sa.String),
                      sa.column('action', sa.String), sa.column('detail', sa.JSON))
_family = sa.table('model_escalation_family', sa.column('escalation_id', sa.Integer),
                   sa.column('tier', sa.Integer), sa.column('answer', sa.String),
                   sa.column('reason', sa.String), sa.column('actor_id', sa.Integer),
                   sa.column('platform', sa.String), sa.column('at', sa.DateTime(timezone=True)))


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == 'sqlite':
        # Not a batch (copy-and-move) on SQLite: other tables' foreign keys point
        # at referral, so it cannot be dropped and recreated; ADD COLUMN can
        # carry the reference itself.
        op.execute('ALTER TABLE referral ADD COLUMN zorgaanbieder_contact_id INTEGER '
                   'REFERENCES person (id)')
    else:
        op.add_column('referral', sa.Column('zorgaanbieder_contact_id', sa.Integer(),
                                            nullable=True))
        op.create_foreign_key('fk_referral_zorgaanbieder_contact', 'referral', 'person',
                              ['zorgaanbieder_contact_id'], ['id'])
    op.create_table('model_escalation_family',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['escalation_id'], ['model_escalation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('escalation_id', 'tier')
    )
    with op.batch_alter_table('model_escalation_family', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_escalation_family_escalation_id'),
                              ['escalation_id'], unique=False)
    conn = op.get_bind()
    _provider_contacts(conn)
    _family_and_meetings(conn)


def _provider_contacts(conn: Any) -> None:
    rows = conn.execute(
        sa.select(_referral.c.id, sa.func.min(_ref_event.c.id))
        .select_from(_referral.join(_ref_event, _ref_event.c.referral_id == _referral.c.id)
                     .join(_person, _person.c.id == _ref_event.c.actor_id)
                     .join(_team, _team.c.id == _person.c.team_id))
        .where(_referral.c.zorgaanbieder_id.is_not(None),
               _team.c.organisation_id == _referral.c.zorgaanbieder_id)
        .group_by(_referral.c.id)).all()
    for referral_id, event_id in rows:
        actor = conn.execute(sa.select(_ref_event.c.actor_id)
                             .where(_ref_event.c.id == event_id)).scalar_one()
        conn.execute(_referral.update().where(_referral.c.id == referral_id)
                     .values(zorgaanbieder_contact_id=actor))


def _family_and_meetings(conn: Any) -> None:
    for esc in conn.execute(sa.select(_esc)).mappings().all():
        tier = 0
        last_family = None
        events = conn.execute(sa.select(_esc_event).where(
            _esc_event.c.escalation_id == esc['id']).order_by(_esc_event.c.id)).mappings().all()
        last_report = None
        for e in events:
            detail = dict(e['detail'] or {})
            if e['action'] == 'trede' and detail.get('tier'):
                tier = max(tier, int(detail['tier']))
            elif e['action'] == 'familie':
                last_family = (e, tier)
            elif e['action'] == 'verslag':
                last_report = (e, tier)
                if 'tier' not in detail:
                    conn.execute(_esc_event.update().where(_esc_event.c.id == e['id'])
                                 .values(detail=detail | {'tier': tier}))
            elif (e['action'] == 'gesloten' and detail.get('hoe') == 'goedgekeurd'
                  and last_report is not None):
                # Closed by everyone's approval (the old rule): that verslag's
                # meeting stands recorded, readable after closing.
                report, at_tier = last_report
                conn.execute(_esc_event.insert().values(
                    escalation_id=esc['id'], at=e['at'], actor_id=e['actor_id'],
                    platform=e['platform'], action='overleg',
                    detail={'verslag': report['id'], 'tier': at_tier, 'overgezet': True}))
        if esc['family_informed'] is None:
            continue
        if last_family is not None:
            event, at_tier = last_family
            actor, platform, at = event['actor_id'], event['platform'], event['at']
        else:
            at_tier, actor, platform, at = 0, esc['started_by_id'], 'bot', esc['created_at']
        conn.execute(_family.insert().values(
            escalation_id=esc['id'], tier=at_tier, answer=esc['family_informed'],
            reason=esc['family_reason'], actor_id=actor, platform=platform, at=at))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('model_escalation_family', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_escalation_family_escalation_id'))
    op.drop_table('model_escalation_family')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE referral DROP COLUMN zorgaanbieder_contact_id')
    else:
        op.drop_constraint('fk_referral_zorgaanbieder_contact', 'referral', type_='foreignkey')
        op.drop_column('referral', 'zorgaanbieder_contact_id')
