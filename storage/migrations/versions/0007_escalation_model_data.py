"""escalation model: carry the old Deadline-based escalations over

Before this, a Bouwsteen 6 escalation was a Deadline row with key "model"
(step "model:<situatie>", tier = index of the tier reached, 0 = the first)
plus "escalatiemodel" / "escalatie_opgelost" referral events. The model has
no terms: each becomes a ModelEscalation (ES-0001, ...) with its parties (the
referral's organisations), its history, and the tier it had reached; the
Deadline row is closed so no sweep ever looks at it again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

"""
from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)
deadline = sa.table("deadline", sa.column("id", sa.Integer), sa.column("referral_id", sa.Integer),
                    sa.column("key", sa.String), sa.column("step", sa.String),
                    sa.column("status", sa.String), sa.column("tier", sa.Integer),
                    sa.column("next_check_at", TS), sa.column("due_at", TS))
referral = sa.table("referral", sa.column("id", sa.Integer), sa.column("kenmerk", sa.String),
                    sa.column("gemeente_id", sa.Integer), sa.column("jb_id", sa.Integer),
                    sa.column("lt_id", sa.Integer), sa.column("zorgaanbieder_id", sa.Integer),
                    sa.column("created_at", TS))
event = sa.table("referral_event", sa.column("id", sa.Integer),
                 sa.column("referral_id", sa.Integer), sa.column("at", TS),
                 sa.column("actor_id", sa.Integer), sa.column("platform", sa.String),
                 sa.column("action", sa.String), sa.column("detail", sa.JSON))
person = sa.table("person", sa.column("id", sa.Integer), sa.column("team_id", sa.Integer))
team = sa.table("team", sa.column("id", sa.Integer), sa.column("organisation_id", sa.Integer))
esc_t = sa.table("model_escalation", sa.column("id", sa.Integer), sa.column("ref", sa.String),
                 sa.column("referral_id", sa.Integer), sa.column("kenmerk", sa.String),
                 sa.column("gemeente_id", sa.Integer), sa.column("situation", sa.String),
                 sa.column("tier", sa.Integer), sa.column("status", sa.String),
                 sa.column("started_by_id", sa.Integer), sa.column("created_at", TS),
                 sa.column("closed_at", TS))
party_t = sa.table("model_escalation_party", sa.column("escalation_id", sa.Integer),
                   sa.column("organisation_id", sa.Integer))
esc_event = sa.table("model_escalation_event", sa.column("escalation_id", sa.Integer),
                     sa.column("at", TS), sa.column("actor_id", sa.Integer),
                     sa.column("platform", sa.String), sa.column("action", sa.String),
                     sa.column("detail", sa.JSON))


def _org_of(conn: Any, person_id: int | None) -> int | None:
    if not person_id:
        return None
    return conn.execute(sa.select(team.c.organisation_id).select_from(
        person.join(team, team.c.id == person.c.team_id)).where(person.c.id == person_id)
    ).scalar()


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(deadline).where(deadline.c.key == "model")
                        .order_by(deadline.c.id)).mappings().all()
    by_referral: dict[int, list[Any]] = {}
    for d in rows:
        by_referral.setdefault(d["referral_id"], []).append(d)
    for rid, deadlines in by_referral.items():
        ref = conn.execute(sa.select(referral).where(referral.c.id == rid)).mappings().first()
        if ref is None:
            continue
        events = conn.execute(sa.select(event).where(event.c.referral_id == rid)
                              .order_by(event.c.id)).mappings().all()
        started = [e for e in events if e["action"] == "escalatiemodel"]
        solved = [e for e in events if e["action"] == "escalatie_opgelost"]
        tiers = [e for e in events if e["action"] == "escalatie"
                 and (e["detail"] or {}).get("deadline") == "model"]
        orgs = {o for o in (_org_of(conn, ref["jb_id"]), _org_of(conn, ref["lt_id"]),
                            ref["zorgaanbieder_id"]) if o}
        for i, d in enumerate(deadlines):
            start = started[i] if i < len(started) else None
            situation = (d["step"] or "").partition(":")[2] or "samenwerking"
            at = start["at"] if start else ref["created_at"]
            done = d["status"] == "met"
            closing = solved.pop(0) if done and solved else None
            closed_at = closing["at"] if closing else (at if done else None)
            no = conn.execute(esc_t.insert().values(
                referral_id=rid, kenmerk=ref["kenmerk"],
                gemeente_id=ref["gemeente_id"], situation=situation, tier=(d["tier"] or 0) + 1,
                status="closed" if done else "open",
                started_by_id=(start["actor_id"] if start and start["actor_id"]
                               else ref["jb_id"]),
                created_at=at, closed_at=closed_at).returning(esc_t.c.id)).scalar_one()
            conn.execute(esc_t.update().where(esc_t.c.id == no).values(ref=f"ES-{no:04d}"))
            for org in sorted(orgs):
                conn.execute(party_t.insert().values(escalation_id=no, organisation_id=org))
            history = [dict(at=at, actor_id=start["actor_id"] if start else None,
                            platform=start["platform"] if start else "bot", action="gestart",
                            detail={"situatie": situation, "overgezet": True}),
                       dict(at=at, actor_id=start["actor_id"] if start else None,
                            platform=start["platform"] if start else "bot", action="trede",
                            detail={"tier": 2 if situation != "dilemma" else 1, "people": []})]
            for t in tiers:
                if t["at"] >= at and (closed_at is None or t["at"] <= closed_at):
                    history.append(dict(at=t["at"], actor_id=None, platform="bot",
                                        action="trede", detail={"tier": t["detail"].get("tier"),
                                                                "people": []}))
            if closing is not None:
                text = (closing["detail"] or {}).get("verslag")
                history.append(dict(at=closing["at"], actor_id=closing["actor_id"],
                                    platform=closing["platform"], action="verslag",
                                    detail={"tekst": text, "deelnemers": []}))
                history.append(dict(at=closing["at"], actor_id=closing["actor_id"],
                                    platform=closing["platform"], action="gesloten",
                                    detail={"hoe": "overgezet"}))
            for h in history:
                conn.execute(esc_event.insert().values(escalation_id=no, **h))
        # No terms in the model: nothing left for the sweep.
        conn.execute(deadline.update().where(deadline.c.key == "model",
                                             deadline.c.referral_id == rid,
                                             deadline.c.status == "pending")
                     .values(status="cancelled", next_check_at=None))


def downgrade() -> None:
    """The carried-over escalations stay (0005's tables hold them); nothing to undo."""
