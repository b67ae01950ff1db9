"""`mijn`: every open referral where it is this person's turn or they are a party.

Named on the referral: the JB, the LT worker and the koppelgenoot. Through
their organisation: the zorgaanbieder (co-owner from step 5 on, and wherever it
acts), the backoffice where it acts or is told, the RET while a case waits for
its discussion; a tafel's voorzitters its cases; the gemeente's eerste
aanspreekpersoon the gemeente's waits for the tafel (until the outcome), lapsed
first. Team leaders see their team's open referrals, lapsed ones first; the
regionale contactpersoon the region's step-1 and step-6 cases.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from handlers.core import Context
from handlers.referrals.flow import summary
from handlers.referrals.membership import gemeente_name, parties_of
from scheduling.routes import ESCALATION
from storage.models import Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.tables import Deadline, Referral, ReferralEvent


def _before_the_tafel(session: Session, refs: list[Referral]) -> set[int | None]:
    """The tafel cases whose conversation has not been held yet (no outcome
    recorded): what the gemeente's aanspreekpersoon follows, planned late or not."""
    ids = [r.id for r in refs if r.route == "jbt"]
    held = set(session.exec(select(ReferralEvent.referral_id).where(
        col(ReferralEvent.referral_id).in_(ids),
        ReferralEvent.action == "tafel_uitkomst")).all()) if ids else set()
    return {i for i in ids if i not in held}


def _candidates(session: Session, person: Person, kind: str | None,
                org_id: int | None) -> list[Referral]:
    pid = person.id
    conds: list[Any] = [Referral.jb_id == pid, Referral.lt_id == pid, Referral.lt_backup_id == pid]
    if kind == OrgKind.ZORGAANBIEDER and org_id is not None:
        conds.append(Referral.zorgaanbieder_id == org_id)
    by_gemeente = kind in (OrgKind.BACKOFFICE, OrgKind.RET) or (
        kind == OrgKind.REGIO and person.role == Role.REGIONALE_CONTACTPERSOON) or (
        kind == OrgKind.LOKAAL_TEAM and person.role == Role.TEAMLEIDER)
    if by_gemeente:
        served = select(TeamGemeente.gemeente_id).where(TeamGemeente.team_id == person.team_id)
        conds.append(col(Referral.gemeente_id).in_(served))
    if kind == OrgKind.JBT and person.role == Role.JBT_VOORZITTER:
        # The tafel's voorzitters: the tafel cases of the gemeenten it serves.
        served = select(TeamGemeente.gemeente_id).where(TeamGemeente.team_id == person.team_id)
        conds.append(col(Referral.gemeente_id).in_(served) & (col(Referral.route) == "jbt"))
    if kind == OrgKind.GEMEENTE and person.role == Role.JBT_AANSPREEKPERSOON:
        # The voorzitter's first aanspreekpersoon: the gemeente's waits for the tafel.
        served = select(TeamGemeente.gemeente_id).where(TeamGemeente.team_id == person.team_id)
        conds.append(col(Referral.gemeente_id).in_(served) & (col(Referral.route) == "jbt"))
    if kind == OrgKind.GI and person.role == Role.TEAMLEIDER:
        team = select(Person.id).where(Person.team_id == person.team_id)
        conds.append(col(Referral.jb_id).in_(team))
    return list(session.exec(select(Referral).where(Referral.status == "open", or_(*conds))
                             .order_by(col(Referral.id))).all())


def mine_items(session: Session, ctx: Context, person: Person) -> list[dict[str, Any]]:
    team = session.get(Team, person.team_id)
    org = session.get(Organisation, team.organisation_id) if team else None
    kind = org.kind if org else None
    refs = _candidates(session, person, kind, org.id if org else None)
    ids = [r.id for r in refs]
    deadlines = list(session.exec(select(Deadline).where(
        col(Deadline.referral_id).in_(ids), col(Deadline.status).in_(["lapsed", "pending"])
    )).all()) if ids else []
    leader = person.role == Role.TEAMLEIDER
    waits = _before_the_tafel(session, refs) if person.role == Role.JBT_AANSPREEKPERSOON else set()
    items = []
    for ref in refs:
        route = ctx.routes.route(ref.route)
        step = route.step(ref.step)
        parties = parties_of(session, ref, person)
        mine = [d for d in deadlines if d.referral_id == ref.id]
        ret_waiting = any(d.key == "ret" and d.status == "pending" for d in mine)
        lapsed_due = max((d.due_at for d in mine if d.status == "lapsed"
                          and d.key in (f"step:{ref.step}", "ret")), default=None)
        lapsed = lapsed_due is not None
        named = person.id in (ref.jb_id, ref.lt_id, ref.lt_backup_id) or (
            "zorgaanbieder" in parties)
        why = parties & set(step.done_by.who)
        if not (named or why or leader or ref.id in waits
                or ("backoffice" in parties and "backoffice" in (step.actor, *step.inform))
                or ("ret" in parties and ret_waiting)
                or ("regionale_contactpersoon" in parties
                    and (bool(step.needs) or ref.step == ESCALATION))):
            continue
        view = summary(session, ref, route)
        if view["talked"]:  # step 6 talked through: only finding help is left, the JB's
            why &= {"jeugdbeschermer"}
        items.append(view | {
            "my_turn": bool(why), "lapsed": lapsed,
            "lapsed_due": lapsed_due.isoformat() if lapsed_due else None,
            "gemeente": gemeente_name(session, ref),
        })
    if leader or waits:  # the team's lapsed referrals (the gemeente's waits) first
        items.sort(key=lambda i: (not i["lapsed"], not i["my_turn"], i["due_at"] or "9999"))
    else:
        items.sort(key=lambda i: (not i["my_turn"], not i["lapsed"], i["due_at"] or "9999"))
    return items
