"""routes as Bouwsteen 5 writes them: history words and step keys carried over

Data only, no schema change. Existing referrals keep their place in the route:
- history: the creation event "gestart" (the first, with detail.route) becomes
  "aangemaakt"; the care-start completion "gestart" becomes "acceptatie" (the
  provider took the case) and the closing "afgerond" becomes "zorg_gestart";
  the manual step-6 "escalatie_hand" becomes "stap6";
- steps: the 301 route's "start" (provider starts care or rejects) is now
  "reactie" (match or afwijzing); the 315 route's "start" (after the 301) is
  now "zorg" (care starts). Deadlines follow their step ("step:start" ->
  "step:reactie" / "step:zorg");
- terms the seed does not set end: a pending term on 315 "zorg" and on step 5
  ("step:alternatief": step 5 has no term of its own, the RET's starts at `ret`)
  is cancelled.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

"""
from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

referral = sa.table("referral", sa.column("id", sa.Integer), sa.column("route", sa.String),
                    sa.column("step", sa.String))
event = sa.table("referral_event", sa.column("id", sa.Integer),
                 sa.column("referral_id", sa.Integer), sa.column("action", sa.String),
                 sa.column("step", sa.String), sa.column("detail", sa.JSON))
deadline = sa.table("deadline", sa.column("id", sa.Integer),
                    sa.column("referral_id", sa.Integer), sa.column("key", sa.String),
                    sa.column("step", sa.String), sa.column("status", sa.String),
                    sa.column("next_check_at", sa.DateTime(timezone=True)))

# route -> old step key -> new step key
STEPS = {"301": {"start": "reactie"}, "315": {"start": "zorg"}}
ACTIONS = {"afgerond": "zorg_gestart", "escalatie_hand": "stap6"}


def _rename_steps(conn: Any, steps: dict[str, dict[str, str]]) -> None:
    for route, renames in steps.items():
        ids = sa.select(referral.c.id).where(referral.c.route == route)
        for old, new in renames.items():
            conn.execute(referral.update().where(referral.c.route == route,
                                                 referral.c.step == old).values(step=new))
            conn.execute(event.update().where(event.c.referral_id.in_(ids),
                                              event.c.step == old).values(step=new))
            conn.execute(deadline.update().where(deadline.c.referral_id.in_(ids),
                                                 deadline.c.step == old).values(step=new))
            conn.execute(deadline.update().where(deadline.c.referral_id.in_(ids),
                                                 deadline.c.key == f"step:{old}")
                         .values(key=f"step:{new}"))


def upgrade() -> None:
    conn = op.get_bind()
    # History words. JSON is read in Python: the same on SQLite and PostgreSQL.
    rows = conn.execute(sa.select(event.c.id, event.c.action, event.c.detail)
                        .where(event.c.action.in_(["gestart", *ACTIONS]))).all()
    for eid, action, detail in rows:
        if action == "gestart":
            new = "aangemaakt" if isinstance(detail, dict) and "route" in detail else "acceptatie"
        else:
            new = ACTIONS[action]
        conn.execute(event.update().where(event.c.id == eid).values(action=new))
    _rename_steps(conn, STEPS)
    # Terms the routes no longer set.
    in_315 = sa.select(referral.c.id).where(referral.c.route == "315")
    for cond in (deadline.c.key == "step:alternatief",
                 sa.and_(deadline.c.key == "step:zorg", deadline.c.referral_id.in_(in_315))):
        conn.execute(deadline.update().where(cond, deadline.c.status == "pending")
                     .values(status="cancelled", next_check_at=None))


def downgrade() -> None:
    """Best effort: step keys and the renamed history words go back; events only
    the new routes write (contact, acceptatie, ret_uitkomst, ...) stay as they are,
    and cancelled terms stay cancelled."""
    conn = op.get_bind()
    _rename_steps(conn, {route: {new: old for old, new in renames.items()}
                         for route, renames in STEPS.items()})
    for old, new in (("aangemaakt", "gestart"), *((n, o) for o, n in ACTIONS.items())):
        conn.execute(event.update().where(event.c.action == old).values(action=new))
