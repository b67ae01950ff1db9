"""Who sees which referrals on the overview page, and the open-referral list.

* a team leader: the referrals of their team's people (as JB, LT worker or
  koppelgenoot), and for a lokaal team also every referral in the gemeenten
  the team serves;
* a regionale contactpersoon: every referral in their region;
* a tafel's voorzitter and a gemeente's eerste aanspreekpersoon (Bouwsteen 4):
  the tafel cases of the gemeenten they serve, and no referral (need to know);
* a jeugdbeschermer / lokaal-team worker: the referrals they are on;
* anyone else: nothing (the page answers 403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, literal, or_, select
from sqlmodel import Session, col

from handlers.referrals.membership import PROCESS_KINDS
from scheduling.routes import Routes
from storage.models import Gemeente, Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.tables import Deadline, Referral

LIST_LIMIT = 300  # rows shown at once; the count says how many there are


@dataclass(frozen=True)
class Access:
    person_id: int
    kind: str  # "team" | "region" | "own" | "tafel"
    member_ids: tuple[int, ...] = ()
    gemeente_ids: tuple[int, ...] = ()
    region_id: int | None = None
    routes: tuple[str, ...] = ()  # "tafel": only these processes' cases

    @property
    def sees_figures(self) -> bool:
        return self.kind in ("team", "region") and self.region_id is not None

    def condition(self) -> ColumnElement[bool]:
        """SQL condition on Referral (joined with Gemeente) for what this person may see."""
        if self.kind == "region":
            return col(Gemeente.region_id) == (self.region_id or -1)
        if self.kind == "tafel":
            return (col(Referral.gemeente_id).in_(self.gemeente_ids)
                    & col(Referral.route).in_(self.routes))
        ids = self.member_ids if self.kind == "team" else (self.person_id,)
        parts = [col(Referral.jb_id).in_(ids), col(Referral.lt_id).in_(ids),
                 col(Referral.lt_backup_id).in_(ids)]
        if self.gemeente_ids:
            parts.append(col(Referral.gemeente_id).in_(self.gemeente_ids))
        return or_(*parts) if ids else false()


def access_for(session: Session, person: Person) -> Access | None:
    team = session.get(Team, person.team_id)
    org = session.get(Organisation, team.organisation_id) if team else None
    if team is None or org is None or person.id is None:
        return None
    served = tuple(session.execute(select(col(TeamGemeente.gemeente_id)).where(
        col(TeamGemeente.team_id) == team.id)).scalars())
    region_id = org.region_id
    if region_id is None and served:
        gem = session.get(Gemeente, served[0])
        region_id = gem.region_id if gem else None
    if person.role == Role.REGIONALE_CONTACTPERSOON:
        return Access(person.id, "region", region_id=region_id) if region_id else None
    if person.role == Role.TEAMLEIDER:
        members = tuple(session.execute(select(col(Person.id)).where(
            col(Person.team_id) == team.id)).scalars())
        gemeenten = served if org.kind == OrgKind.LOKAAL_TEAM else ()
        return Access(person.id, "team", members, gemeenten, region_id)
    if (org.kind, person.role) in ((OrgKind.JBT, Role.JBT_VOORZITTER),
                                   (OrgKind.GEMEENTE, Role.JBT_AANSPREEKPERSOON)):
        tafel = tuple(name for name, kind in PROCESS_KINDS.items() if kind == "tafel")
        return Access(person.id, "tafel", gemeente_ids=served, region_id=region_id,
                      routes=tafel)
    if person.role == Role.MEDEWERKER and org.kind in (OrgKind.GI, OrgKind.LOKAAL_TEAM):
        return Access(person.id, "own", region_id=region_id)
    return None


@dataclass(frozen=True)
class Filters:
    gemeente_id: int | None = None
    route: str | None = None
    step: str | None = None
    party: str | None = None


def step_choices(routes: Routes) -> list[dict[str, Any]]:
    """Every (route, step) of the route model, read at run time: the referral
    routes' and the other processes' (the tafel, the handover)."""
    return [{"route": name, "key": s.key, "number": s.number, "title_nl": s.title.nl,
             "title_en": s.title.en, "actor": s.actor}
            for name, route in (*routes.routes.items(), *routes.processes.items())
            for s in route.steps]


def step_groups(routes: Routes) -> list[dict[str, Any]]:
    """The step filter's choices: per route (its name), its steps in route order."""
    return [{"route": name, "name_nl": route.name.nl, "name_en": route.name.en,
             "steps": [{"key": s.key, "number": s.number, "title_nl": s.title.nl,
                        "title_en": s.title.en} for s in route.steps]}
            for name, route in (*routes.routes.items(), *routes.processes.items())]


def current_due(session: Session, ref: Referral) -> datetime | None:
    """When the current step's term lapses (its open or lapsed deadline); None when
    the referral is done or the step has no term. The same row the list shows."""
    if ref.status != "open" or ref.id is None:
        return None
    due = session.execute(select(func.max(col(Deadline.due_at))).where(
        col(Deadline.referral_id) == ref.id, col(Deadline.key) == f"step:{ref.step}",
        col(Deadline.status).in_(("pending", "lapsed")))).scalar_one_or_none()
    return due if isinstance(due, datetime) else None


def open_referrals(session: Session, access: Access, routes: Routes, now: datetime,
                   filters: Filters = Filters(), limit: int = LIST_LIMIT
                   ) -> tuple[list[dict[str, Any]], int]:
    """Open referrals in view: lapsed first, then by due date (none: last); and the count."""
    due = func.max(col(Deadline.due_at)).label("due")
    step_key = literal("step:").op("||")(col(Referral.step))
    q = (select(col(Referral.id), col(Referral.ref), col(Referral.route), col(Referral.step),
                col(Gemeente.name), col(Referral.step_started_at), due)
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
         .outerjoin(Deadline, (col(Deadline.referral_id) == Referral.id)
                    & (col(Deadline.key) == step_key)
                    & col(Deadline.status).in_(("pending", "lapsed")))
         .where(col(Referral.status) == "open", access.condition())
         .group_by(col(Referral.id), col(Referral.ref), col(Referral.route), col(Referral.step),
                   col(Gemeente.name), col(Referral.step_started_at)))
    if filters.gemeente_id is not None:
        q = q.where(col(Referral.gemeente_id) == filters.gemeente_id)
    if filters.route:
        q = q.where(col(Referral.route) == filters.route)
    if filters.step:
        q = q.where(col(Referral.step) == filters.step)
    if filters.party:
        pairs = [(c["route"], c["key"]) for c in step_choices(routes)
                 if c["actor"] == filters.party]
        q = q.where(or_(*[(col(Referral.route) == r) & (col(Referral.step) == k)
                          for r, k in pairs]) if pairs else false())
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    # Lapsed first (due before now), then the soonest due; no deadline at the end.
    q = q.order_by((due.is_(None)) | (due >= now), due.is_(None), due, col(Referral.id))
    steps = {(c["route"], c["key"]): c for c in step_choices(routes)}
    rows = []
    for rid, ref, route, step, gem, started, due_at in session.execute(q.limit(limit)).all():
        info = steps.get((route, step), {})
        rows.append({"id": rid, "ref": ref, "route": route, "step": step,
                     "number": info.get("number", ""), "title_nl": info.get("title_nl", step),
                     "title_en": info.get("title_en", step), "actor": info.get("actor"),
                     "gemeente": gem, "step_started_at": started, "due_at": due_at,
                     "lapsed": due_at is not None and due_at < now})
    return rows, int(total)


def gemeenten_in_view(session: Session, access: Access) -> list[tuple[int, str]]:
    """The gemeenten this person can filter on: those of the referrals they see."""
    q = (select(col(Gemeente.id), col(Gemeente.name)).distinct()
         .join(Referral, col(Referral.gemeente_id) == Gemeente.id)
         .where(access.condition()).order_by(col(Gemeente.name)))
    if access.kind == "region":
        q = (select(col(Gemeente.id), col(Gemeente.name))
             .where(col(Gemeente.region_id) == access.region_id).order_by(col(Gemeente.name)))
    return [(i, n) for i, n in session.execute(q).all()]


def may_see(session: Session, access: Access, referral_id: int) -> bool:
    q = (select(col(Referral.id)).join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
         .where(col(Referral.id) == referral_id, access.condition()))
    return session.execute(q).first() is not None
