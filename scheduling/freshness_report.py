"""What a freshness round reports to a region's contactbeheerders.

Per gemeente of the region: who was asked and did not answer, whether the
gemeente still has a current (confirmed within the frequency, not absent)
lokaal-team and GI contact, and broken koppelgenoten. People whose team works
for the whole region are listed once, under "hele regio".

Each person belongs to one region for the rounds (their organisation's, else
the first region their team serves), so nobody is asked twice in one period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.contact_tables import Contactbeheerder, FreshnessAsk, FreshnessRound, Steunstructuur
from storage.models import (
    Gemeente,
    Organisation,
    OrgKind,
    Person,
    Region,
    Role,
    Team,
    TeamGemeente,
)

AMS = ZoneInfo("Europe/Amsterdam")


@dataclass
class Directory:
    people: dict[int | None, Person]
    teams: dict[int, Team]
    kinds: dict[int, str]  # team id -> organisation kind
    serves: dict[int, set[int]] = field(default_factory=dict)  # team id -> gemeente ids
    gemeenten: dict[int, Gemeente] = field(default_factory=dict)
    primary: dict[int, int | None] = field(default_factory=dict)  # team id -> region id
    beheer: dict[int, list[Person]] = field(default_factory=dict)  # region id -> people

    @classmethod
    def load(cls, session: Session) -> Directory:
        orgs = {o.id: o for o in session.exec(select(Organisation)).all()}
        teams = {t.id or 0: t for t in session.exec(select(Team)).all()}
        people = {p.id: p for p in session.exec(select(Person).order_by(col(Person.id))).all()}
        d = cls(people, teams, {tid: orgs[t.organisation_id].kind for tid, t in teams.items()})
        d.gemeenten = {g.id or 0: g for g in session.exec(select(Gemeente)).all()}
        for tg in session.exec(select(TeamGemeente)).all():
            d.serves.setdefault(tg.team_id, set()).add(tg.gemeente_id)
        for tid, t in teams.items():
            org = orgs[t.organisation_id]
            served = sorted(d.gemeenten[g].region_id for g in d.serves.get(tid, ()))
            d.primary[tid] = org.region_id or (served[0] if served else None)
        for rid, pid in session.exec(select(Contactbeheerder.region_id,
                                            Contactbeheerder.person_id)).all():
            if pid in people:
                d.beheer.setdefault(rid, []).append(people[pid])
        return d

    def people_of(self, region_id: int) -> list[Person]:
        return [p for p in self.people.values() if self.primary.get(p.team_id) == region_id]

    def beheerder_names(self, region_id: int) -> list[str]:
        return sorted(p.name for p in self.beheer.get(region_id, []))


def _why_broken(d: Directory, p: Person) -> str | None:
    if p.koppelgenoot_id is None:
        return None
    other = d.people.get(p.koppelgenoot_id)
    if other is None:
        return "bestaat niet"
    if other.koppelgenoot_id != p.id:
        return f"{other.name} heeft een andere of geen koppelgenoot"
    if other.team_id != p.team_id:
        return f"{other.name} zit in een ander team"
    return None


def report_payload(session: Session, rnd: FreshnessRound, steun: Steunstructuur,
                   now: datetime) -> dict[str, Any]:
    d = Directory.load(session)
    today = now.astimezone(AMS).date()
    started = rnd.started_at.astimezone(AMS).date()
    limit = today - timedelta(days=steun.frequency_days)
    asked = set(session.exec(select(FreshnessAsk.person_id)
                             .where(FreshnessAsk.round_id == rnd.id)).all())
    region_gemeenten = sorted((g for g in d.gemeenten.values() if g.region_id == rnd.region_id),
                              key=lambda g: g.name)
    all_ids = {g.id for g in region_gemeenten}

    def silent(p: Person) -> bool:
        return p.id in asked and (p.verified_on is None or p.verified_on < started)

    def entry(p: Person, why: str | None = None) -> dict[str, Any]:
        out = {"name": p.name, "email": p.email, "team": d.teams[p.team_id].name}
        return out | ({"why": why} if why else {})

    whole: dict[str, list[dict[str, Any]]] = {"silent": [], "broken": []}
    per: dict[int, dict[str, Any]] = {
        g.id or 0: {"name": g.name, "silent": [], "broken": [], "no_lt": True, "no_gi": True}
        for g in region_gemeenten}
    for p in d.people.values():
        served = d.serves.get(p.team_id, set()) & all_ids
        current = (p.role == Role.MEDEWERKER and p.verified_on is not None
                   and p.verified_on >= limit
                   and (p.absent_until is None or p.absent_until < today))
        for gid in served:
            if current and d.kinds[p.team_id] == OrgKind.LOKAAL_TEAM:
                per[gid]["no_lt"] = False
            if current and d.kinds[p.team_id] == OrgKind.GI:
                per[gid]["no_gi"] = False
        if d.primary.get(p.team_id) != rnd.region_id:
            continue
        why = _why_broken(d, p)
        targets = ([whole] if len(served) > 1 and served == all_ids or not served
                   else [per[g] for g in sorted(served)])
        for t in targets:
            if silent(p):
                t["silent"].append(entry(p))
            if why:
                t["broken"].append(entry(p, why))
    gemeenten = [g for g in per.values()
                 if g["silent"] or g["broken"] or g["no_lt"] or g["no_gi"]]
    silent_count = sum(1 for p in d.people.values() if p.id in asked and silent(p))
    return {
        "region": _region_name(session, rnd.region_id),
        "responsible": steun.responsible, "started": started.isoformat(),
        "asked": len(asked), "answered": len(asked) - silent_count,
        "silent_count": silent_count, "whole": whole, "gemeenten": gemeenten,
    }


def _region_name(session: Session, region_id: int) -> str:
    region = session.get(Region, region_id)
    return region.name if region else "?"
