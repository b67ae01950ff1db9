"""Export the directory in the same YAML format the import reads."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from sqlmodel import Session, col, select

from storage.contact_tables import TafelNeighbour
from storage.models import Gemeente, GemeenteKey, Organisation, Person, Region, Team, TeamGemeente


def export_doc(session: Session, as_of: date | None = None,
               with_history: bool = False) -> dict[str, Any]:
    """The directory as an import file. `as_of` dates it (a later import of
    it then knows which chat edits are newer); `with_history` appends the
    audit trail (read back, it changes nothing)."""
    from storage.directory.audit import history_rows
    from storage.directory.steun import export_steun

    steun = export_steun(session)
    regions = session.exec(select(Region).order_by(col(Region.code))).all()
    region_code = {r.id: r.code for r in regions}
    gemeenten = session.exec(select(Gemeente).order_by(col(Gemeente.cbs_code))).all()
    cbs = {g.id: g.cbs_code for g in gemeenten}
    aliases: dict[int, list[str]] = {}
    for k in session.exec(select(GemeenteKey).where(col(GemeenteKey.is_alias))).all():
        aliases.setdefault(k.gemeente_id, []).append(k.key)
    served: dict[int, list[str]] = {}
    for tg in session.exec(select(TeamGemeente)).all():
        served.setdefault(tg.team_id, []).append(cbs[tg.gemeente_id])
    people = session.exec(select(Person).order_by(col(Person.id))).all()
    email = {p.id: p.email for p in people}
    by_team: dict[int, list[Person]] = {}
    for p in people:
        by_team.setdefault(p.team_id, []).append(p)
    teams_by_org: dict[int, list[Team]] = {}
    for t in session.exec(select(Team).order_by(col(Team.key))).all():
        teams_by_org.setdefault(t.organisation_id, []).append(t)

    def gemeente(g: Gemeente) -> dict[str, Any]:
        out: dict[str, Any] = {"cbs": g.cbs_code, "name": g.name}
        if g.id in aliases:
            out["aliases"] = sorted(aliases[g.id])
        return out

    def person(p: Person) -> dict[str, Any]:
        out: dict[str, Any] = {"email": p.email, "name": p.name, "role": p.role}
        extra = {
            "phone": p.phone,
            "koppelgenoot": email.get(p.koppelgenoot_id) if p.koppelgenoot_id else None,
            "absent_until": p.absent_until,
            "verified_on": p.verified_on,
            "preferred_platform": p.preferred_platform,
            "language": p.language,
        }
        return out | {k: v for k, v in extra.items() if v is not None}

    def team(t: Team) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": t.key, "name": t.name, "serves": sorted(served.get(t.id or 0, []))
        }
        if t.slack_channel:
            out["slack_channel"] = t.slack_channel
        if t.telegram_chat:
            out["telegram_chat"] = t.telegram_chat
        if t.teams_channel:
            out["teams_channel"] = t.teams_channel
        out["people"] = [person(p) for p in by_team.get(t.id or 0, [])]
        return out

    orgs = session.exec(select(Organisation).order_by(col(Organisation.key))).all()
    org_key = {o.id: o.key for o in orgs}
    neighbours: dict[int, list[str]] = {}
    for link in session.exec(select(TafelNeighbour)).all():
        neighbours.setdefault(link.organisation_id, []).append(org_key[link.neighbour_id])
    head: dict[str, Any] = {"as_of": as_of} if as_of else {}
    return head | {
        "regions": [
            {"code": r.code, "name": r.name}
            | ({"retention_days": r.retention_days} if r.retention_days else {})
            | ({"steunstructuur": steun[r.id]} if r.id in steun else {})
            | {"gemeenten": [gemeente(g) for g in gemeenten if g.region_id == r.id]}
            for r in regions
        ],
        "organisations": [
            {"key": o.key, "name": o.name, "kind": o.kind}
            | ({"region": region_code[o.region_id]} if o.region_id else {})
            | ({"neighbours": sorted(neighbours[o.id])} if o.id in neighbours else {})
            | {"teams": [team(t) for t in teams_by_org.get(o.id or 0, [])]}
            for o in orgs
        ],
    } | ({"history": history_rows(session)} if with_history else {})


def dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
