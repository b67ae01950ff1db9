"""Contact administration on the overview page: what a contactbeheerder or team
leader sees, and the chat command each web form stands for.

The rules stay in one place: the page reads the teams `may_manage_team` allows
(handlers/contacts/permissions.py), and every change is the chat command itself
(`teamlid`, `verwijder`, `koppelgenoot <a> <b>`) dispatched with platform "web",
so permission checks, refusals and the audit trail are the chat's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, or_, select

from handlers.contacts.admin import ARCHIVE
from handlers.contacts.grants import grantable
from handlers.contacts.permissions import may_manage_team, regions_of_team, steun_of
from storage.contact_tables import DEFAULT_FREQUENCY_DAYS, Contactbeheerder
from storage.models import Gemeente, Organisation, Person, Role, Team, TeamGemeente

# One word each (e-mail, team key, role): a form field cannot smuggle in a second argument.
WORD_RE = re.compile(r"^[^\s]{1,254}$")
# The refusals that mean "not yours to change": the page answers 403 for them.
PERMISSION_CODES = ("not_yours", "not_your_team", "remove_self", "role_not_yours")


@dataclass
class Row:
    id: int
    email: str
    name: str
    role: str
    phone: str | None
    verified_on: date | None
    age_days: int | None
    stale: bool
    absent_until: date | None
    koppelgenoot: str | None


@dataclass
class TeamView:
    key: str
    name: str
    frequency_days: int
    people: list[Row] = field(default_factory=list)

    @property
    def stale(self) -> int:
        return sum(1 for p in self.people if p.stale)


def may_administer(session: Session, actor: Person) -> bool:
    """A team leader, or a contactbeheerder of any region: the page is theirs."""
    return actor.role == Role.TEAMLEIDER or _beheert_any(session, actor)


def manageable_teams(session: Session, actor: Person) -> list[Team]:
    """The teams `actor` may add to, take from and whose people they may change."""
    if actor.role == Role.TEAMLEIDER and not _beheert_any(session, actor):
        team = session.get(Team, actor.team_id)
        return [team] if team is not None else []
    # Candidates in one go (teams of the actor's regions' organisations, or serving
    # a gemeente there); `may_manage_team` still decides for each, so the rule stays one.
    regions = set(session.exec(select(Contactbeheerder.region_id).where(
        Contactbeheerder.person_id == actor.id)).all())
    by_org = select(Team.id).join(Organisation, col(Organisation.id) == Team.organisation_id
                                  ).where(col(Organisation.region_id).in_(regions))
    by_served = select(TeamGemeente.team_id).join(
        Gemeente, col(Gemeente.id) == TeamGemeente.gemeente_id
    ).where(col(Gemeente.region_id).in_(regions))
    candidates = session.exec(select(Team).where(
        Team.key != ARCHIVE,
        or_(col(Team.id).in_(by_org), col(Team.id).in_(by_served), Team.id == actor.team_id)
    ).order_by(col(Team.name))).all()
    return [t for t in candidates if t.id is not None and may_manage_team(session, actor, t.id)]


def offered_roles(session: Session, actor: Person, teams: list[Team]) -> list[str]:
    """The roles the add form offers: those `actor` may give in any of `teams`
    (the command still checks the one team the form names)."""
    allowed: set[str] = set()
    for team in teams:
        allowed |= grantable(session, actor, team.id or 0)
    return [r.value for r in Role if r.value in allowed]


def _beheert_any(session: Session, actor: Person) -> bool:
    return session.exec(select(Contactbeheerder).where(
        Contactbeheerder.person_id == actor.id)).first() is not None


def contacts_view(session: Session, teams: list[Team], today: date) -> list[TeamView]:
    """Per team its people with freshness: confirmed within the region's frequency or not."""
    out: list[TeamView] = []
    people = session.exec(select(Person).where(col(Person.team_id).in_([t.id for t in teams]))
                          .order_by(col(Person.name))).all()
    buddies = {p.koppelgenoot_id for p in people if p.koppelgenoot_id}
    names = dict(session.exec(select(Person.id, Person.name).where(
        col(Person.id).in_(buddies))).all()) if buddies else {}
    for team in teams:
        steun = steun_of(session, regions_of_team(session, team.id or 0))
        freq = min((s.frequency_days for s in steun), default=DEFAULT_FREQUENCY_DAYS)
        view = TeamView(team.key, team.name, freq)
        for p in (p for p in people if p.team_id == team.id):
            age = (today - p.verified_on).days if p.verified_on else None
            absent = p.absent_until if p.absent_until and p.absent_until >= today else None
            view.people.append(Row(
                p.id or 0, p.email, p.name, p.role, p.phone, p.verified_on, age,
                age is None or age > freq, absent,
                names.get(p.koppelgenoot_id) if p.koppelgenoot_id else None))
        out.append(view)
    return out


def command_for(action: str, form: dict[str, str]) -> str | None:
    """The chat command a web form stands for, or None when a field is missing or not one word."""
    def word(name: str) -> str | None:
        value = form.get(name, "").strip()
        return value if WORD_RE.match(value) else None

    def email_of(name: str) -> str | None:
        # Always an address: `koppelgenoot ja …` would answer a proposal instead.
        value = word(name)
        return value if value and "@" in value else None

    if action == "toevoegen":
        team, email, role = word("team"), email_of("email"), word("rol")
        name = " ".join(form.get("naam", "").split())
        if team and email and role and name:
            return f"teamlid {team} {email} {role} {name}"
    elif action == "verplaatsen":
        team, email = word("team"), email_of("email")
        if team and email:
            return f"teamlid {team} {email}"
    elif action == "verwijderen":
        email = email_of("email")
        if email:
            return f"verwijder {email}"
    elif action == "koppelen":
        a, b = email_of("email"), email_of("ander")
        if a and b:
            return f"koppelgenoot {a} {b}"
    return None
