"""Validate a parsed directory against itself and the database, then upsert it.

Import is all or nothing: every problem is collected first, and only a file
without problems is written, in one transaction. Rows are matched by their
natural keys, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, SQLModel, col, select

from storage.contact_tables import TafelNeighbour
from storage.directory.records import DirectoryDoc, Problem
from storage.directory.text_checks import short
from storage.models import (
    ARCHIVE_TEAM,
    DirectoryVersion,
    Gemeente,
    GemeenteKey,
    Organisation,
    OrgKind,
    Person,
    Region,
    Team,
    TeamGemeente,
)
from storage.revoke import revoke_access
from storage.search_keys import search_key


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    # Chat edits newer than the file (storage.directory.audit.Conflict).
    conflicts: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.conflicts


def validate(doc: DirectoryDoc, session: Session) -> list[Problem]:
    problems = list(doc.problems)

    def dup(records: list[Any], attr: str, what: str) -> None:
        seen: dict[str, int] = {}
        for r in records:
            key = getattr(r, attr)
            if key in seen:
                problems.append(Problem(doc.file, r.line, attr,
                                        f"{what} {short(key)} staat ook op regel {seen[key]}"))
            seen.setdefault(key, r.line)

    dup(doc.regions, "code", "regio")
    dup(doc.gemeenten, "cbs", "gemeente")
    dup(doc.organisations, "key", "organisatie")
    dup(doc.teams, "key", "team")
    dup(doc.people, "email", "persoon")
    from storage.directory.steun import validate_steun

    problems += validate_steun(doc, session)

    def known(model: type[SQLModel], column: str, in_file: set[str]) -> set[str]:
        rows = session.exec(select(getattr(model, column))).all()
        return in_file | {str(r) for r in rows}

    regions = known(Region, "code", {r.code for r in doc.regions})
    cbs_codes = known(Gemeente, "cbs_code", {g.cbs for g in doc.gemeenten})
    orgs = known(Organisation, "key", {o.key for o in doc.organisations})
    teams = known(Team, "key", {t.key for t in doc.teams})
    emails = known(Person, "email", {p.email for p in doc.people})

    def ref(ok: bool, line: int, fld: str, message: str) -> None:
        if not ok:
            problems.append(Problem(doc.file, line, fld, message))

    for g in doc.gemeenten:
        ref(g.region in regions, g.line, "region", f"onbekende regio {short(g.region)}")
    for o in doc.organisations:
        ref(o.region is None or o.region in regions, o.line, "region",
            f"onbekende regio {short(o.region)}")
    problems += _neighbour_problems(doc, session)
    for t in doc.teams:
        ref(t.organisation in orgs, t.line, "organisation",
            f"onbekende organisatie {short(t.organisation)}")
        for s in t.serves:
            if s.startswith("regio:"):
                ref(s[6:] in regions, t.line, "serves", f"onbekende regio {short(s[6:])}")
            else:
                ref(s.upper() in cbs_codes, t.line, "serves", f"onbekende gemeente {short(s)}")
    for p in doc.people:
        ref(p.team in teams, p.line, "team", f"onbekend team {short(p.team)}")
        ref(p.koppelgenoot is None or p.koppelgenoot in emails, p.line, "koppelgenoot",
            f"onbekende koppelgenoot {short(p.koppelgenoot)}")
    return sorted(problems, key=lambda pr: (pr.line, pr.field))


def _neighbour_problems(doc: DirectoryDoc, session: Session) -> list[Problem]:
    """A tafel's neighbours: other organisations of kind jbt, each named once."""
    kinds = {str(k): str(v) for k, v in session.exec(
        select(Organisation.key, Organisation.kind)).all()}
    kinds |= {o.key: o.kind for o in doc.organisations}
    jbt = OrgKind.JBT.value
    out: list[Problem] = []
    for o in doc.organisations:
        if not o.neighbours:
            continue
        line = o.at("neighbours")
        if o.kind != jbt:
            out.append(Problem(doc.file, line, "neighbours",
                               f"alleen een Jeugdbeschermingstafel (kind {jbt}) heeft buren"))
            continue
        seen: set[str] = set()
        for n in o.neighbours:
            if n == o.key:
                message = "een tafel kan niet haar eigen buur zijn"
            elif n in seen:
                message = f"buur {short(n)} staat twee keer in de lijst"
            elif n not in kinds:
                message = f"onbekende organisatie {short(n)}"
            elif kinds[n] != jbt:
                message = f"{short(n)} is geen Jeugdbeschermingstafel (kind {jbt})"
            else:
                message = ""
            seen.add(n)
            if message:
                out.append(Problem(doc.file, line, "neighbours", message))
    return out


def import_doc(doc: DirectoryDoc, session: Session, *, prefer: str | None = None,
               now: datetime | None = None) -> ImportResult:
    """`prefer`: who wins where a field was edited in chat after the file's
    date ("file" or "chat"); None reports those conflicts and writes nothing."""
    from storage.directory.audit import reconcile
    from storage.directory.steun import apply_steun

    result = ImportResult(problems=validate(doc, session))
    if result.problems:
        return result
    result.conflicts = reconcile(doc, session, prefer, now)
    if result.conflicts:
        return result
    w = _Writer(session, result)
    # A term only where the file gives one: a gemeenten CSV or a YAML file
    # without it never shortens or lengthens how long a region keeps its cases.
    region_ids = {}
    for r in doc.regions:
        term: dict[str, Any] = {"retention_days": r.retention_days} if r.retention_days else {}
        region_ids[r.code] = w.upsert(Region, "code", r.code, name=r.name, **term).id
    region_ids |= dict(session.exec(select(Region.code, Region.id)).all())  # type: ignore[arg-type]
    for g in doc.gemeenten:
        gem = w.upsert(Gemeente, "cbs_code", g.cbs, name=g.name, region_id=region_ids[g.region])
        w.set_keys(gem, g.aliases, new=w.last_created)
    org_ids = {
        o.key: w.upsert(Organisation, "key", o.key, name=o.name, kind=o.kind,
                        region_id=region_ids.get(o.region) if o.region else None).id
        for o in doc.organisations
    }
    org_ids |= dict(session.exec(select(Organisation.key, Organisation.id)).all())  # type: ignore[arg-type]
    for o in doc.organisations:
        if o.neighbours is not None:
            w.set_neighbours(org_ids[o.key], [org_ids[n] for n in o.neighbours])
    for t in doc.teams:
        team = w.upsert(Team, "key", t.key, name=t.name, organisation_id=org_ids[t.organisation],
                        slack_channel=t.slack_channel, telegram_chat=t.telegram_chat,
                        teams_channel=t.teams_channel)
        w.set_served(team, t.serves, region_ids, new=w.last_created)
    team_ids = dict(session.exec(select(Team.key, Team.id)).all())
    existing = set(session.exec(select(Person.email)).all())
    created_now = {p.email for p in doc.people} - existing
    for p in doc.people:
        w.upsert(Person, "email", p.email, name=p.name, role=p.role, team_id=team_ids[p.team],
                 phone=p.phone, absent_until=p.absent_until, verified_on=p.verified_on,
                 preferred_platform=p.preferred_platform, language=p.language)
    # Koppelgenoten point at people, so they are linked once everyone exists.
    person_ids = dict(session.exec(select(Person.email, Person.id)).all())
    for p in doc.people:
        w.upsert(Person, "email", p.email, count=p.email not in created_now,
                 koppelgenoot_id=person_ids[p.koppelgenoot] if p.koppelgenoot else None)
    # Someone the file puts in the archive team is removed, as by `verwijder`: their
    # access ends with this import. (A role or team change ends their web sessions
    # by itself: storage/web_sessions.py.)
    for p in doc.people:
        if p.team == ARCHIVE_TEAM:
            revoke_access(session, person_ids[p.email] or 0)
    apply_steun(doc, session, result.created, result.updated, now)
    if +result.created or +result.updated:
        # Tell processes holding the directory in memory to read it again.
        session.execute(update(DirectoryVersion).values(n=DirectoryVersion.n + 1))
    return result


class _Writer:
    def __init__(self, session: Session, result: ImportResult) -> None:
        self.session = session
        self.result = result
        self.last_created = False  # whether the last upsert created its row

    def upsert(self, model: type[Any], key_col: str, key: str, count: bool = True,
               **values: Any) -> Any:
        row = self.session.exec(select(model).where(getattr(model, key_col) == key)).first()
        name = model.__tablename__
        self.last_created = row is None
        if row is None:
            row = model(**{key_col: key}, **values)
            self.session.add(row)
            self.result.created[name] += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            if count:  # `+= 0` would leave a zero entry: "bijgewerkt: 0 person"
                self.result.updated[name] += 1
        self.session.flush()
        return row

    def set_keys(self, gem: Gemeente, aliases: list[str], new: bool = False) -> None:
        wanted = {search_key(gem.name): False, search_key(gem.cbs_code): False}
        for a in aliases:
            wanted.setdefault(search_key(a), True)
        wanted.pop("", None)
        have = {
            k.key: k.is_alias
            for k in self.session.exec(
                select(GemeenteKey).where(GemeenteKey.gemeente_id == gem.id)
            ).all()
        }
        if have == wanted:
            return
        self.session.execute(delete(GemeenteKey).where(col(GemeenteKey.gemeente_id) == gem.id))
        for k, is_alias in wanted.items():
            self.session.add(GemeenteKey(key=k, gemeente_id=gem.id or 0, is_alias=is_alias))
        if not new:
            self.result.updated["gemeente_key"] += 1

    def set_neighbours(self, org_id: int, neighbours: list[int]) -> None:
        wanted = set(neighbours)
        have = set(self.session.exec(select(TafelNeighbour.neighbour_id)
                                     .where(TafelNeighbour.organisation_id == org_id)).all())
        if have == wanted:
            return
        for gone in sorted(have - wanted):
            self.session.execute(delete(TafelNeighbour).where(
                col(TafelNeighbour.organisation_id) == org_id,
                col(TafelNeighbour.neighbour_id) == gone))
        for new in sorted(wanted - have):
            self.session.add(TafelNeighbour(organisation_id=org_id, neighbour_id=new))
        self.session.flush()
        # A new link is created; a link taken away changes the tafel.
        if wanted - have:
            self.result.created["tafel_neighbour"] += len(wanted - have)
        if have - wanted:
            self.result.updated["tafel_neighbour"] += len(have - wanted)

    def set_served(self, team: Team, serves: list[str], region_ids: dict[str, Any],
                   new: bool = False) -> None:
        wanted: set[int] = set()
        for s in serves:
            if s.startswith("regio:"):
                wanted |= set(self.session.exec(
                    select(Gemeente.id).where(Gemeente.region_id == region_ids[s[6:]])
                ).all())  # type: ignore[arg-type]
            else:
                gid = self.session.exec(
                    select(Gemeente.id).where(Gemeente.cbs_code == s.upper())
                ).one()
                wanted.add(gid)  # type: ignore[arg-type]
        have = set(self.session.exec(
            select(TeamGemeente.gemeente_id).where(TeamGemeente.team_id == team.id)
        ).all())
        if have == wanted:
            return
        self.session.execute(delete(TeamGemeente).where(col(TeamGemeente.team_id) == team.id))
        for gid in sorted(wanted):
            self.session.add(TeamGemeente(team_id=team.id or 0, gemeente_id=gid))
        if not new:  # a team that served nothing before is changed too
            self.result.updated["team_gemeente"] += 1
