"""Who a party of a referral is, in the directory, right now."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from handlers.lookup import is_absent
from storage.models import Gemeente, Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.tables import Referral


def _team_people(
    session: Session, gemeente_id: int, kind: str, roles: tuple[str, ...]
) -> list[Person]:
    return list(session.exec(
        select(Person)
        .join(Team, col(Team.id) == Person.team_id)
        .join(Organisation, col(Organisation.id) == Team.organisation_id)
        .join(TeamGemeente, col(TeamGemeente.team_id) == Team.id)
        .where(TeamGemeente.gemeente_id == gemeente_id, Organisation.kind == kind,
               col(Person.role).in_(roles))
        .order_by(col(Person.id))
    ).all())


def resolve(session: Session, ref: Referral, party: str, today: date) -> list[Person]:
    """The people who stand for `party` on this referral (absent ones passed over)."""
    people = _resolve(session, ref, party)
    present = [p for p in people if not is_absent(p, today)]
    if party == "lokaal_team" and not present and ref.lt_backup_id:
        backup = session.get(Person, ref.lt_backup_id)
        present = [backup] if backup else []
    return present or people  # everyone absent: still tell someone


def _resolve(session: Session, ref: Referral, party: str) -> list[Person]:
    def one(pid: int | None) -> list[Person]:
        p = session.get(Person, pid) if pid else None
        return [p] if p else []

    if party == "jeugdbeschermer":
        return one(ref.jb_id)
    if party == "lokaal_team":
        return one(ref.lt_id)
    if party == "koppelgenoot":
        return one(ref.lt_backup_id)
    if party in ("gi_teamleider", "gi_gedragswetenschapper"):
        jb = session.get(Person, ref.jb_id)
        role = Role.TEAMLEIDER if party == "gi_teamleider" else Role.GEDRAGSWETENSCHAPPER
        return list(session.exec(
            select(Person).where(Person.team_id == (jb.team_id if jb else -1), Person.role == role)
        ).all())
    if party == "lt_teamleider":
        return _team_people(session, ref.gemeente_id, OrgKind.LOKAAL_TEAM, (Role.TEAMLEIDER,))
    if party == "regionale_contactpersoon":
        return _team_people(session, ref.gemeente_id, OrgKind.REGIO,
                            (Role.REGIONALE_CONTACTPERSOON,))
    if party == "backoffice":
        return _team_people(session, ref.gemeente_id, OrgKind.BACKOFFICE, (Role.BACKOFFICE,))
    if party == "ret":
        return _team_people(session, ref.gemeente_id, OrgKind.RET,
                            (Role.MEDEWERKER, Role.GEDRAGSWETENSCHAPPER))
    if party == "zorgaanbieder":
        if not ref.zorgaanbieder_id:
            return []
        return list(session.exec(
            select(Person).join(Team, col(Team.id) == Person.team_id)
            .where(Team.organisation_id == ref.zorgaanbieder_id)
            .order_by(col(Person.id))
        ).all())
    raise ValueError(f"unknown party {party!r}")


def parties_of(session: Session, ref: Referral, person: Person) -> set[str]:
    """Every party this person stands for on the referral (for permissions)."""
    found: set[str] = set()
    team = session.get(Team, person.team_id)
    org = session.get(Organisation, team.organisation_id) if team else None
    kind = org.kind if org else None
    if person.id == ref.jb_id:
        found.add("jeugdbeschermer")
    if person.id in (ref.lt_id, ref.lt_backup_id):
        found.add("lokaal_team")
    jb = session.get(Person, ref.jb_id)
    if jb and person.team_id == jb.team_id and person.role == Role.TEAMLEIDER:
        found.add("gi_teamleider")
    if jb and person.team_id == jb.team_id and person.role == Role.GEDRAGSWETENSCHAPPER:
        found.add("gi_gedragswetenschapper")
    serves = session.exec(select(TeamGemeente).where(
        TeamGemeente.team_id == person.team_id, TeamGemeente.gemeente_id == ref.gemeente_id
    )).first() is not None
    if serves and kind == OrgKind.LOKAAL_TEAM:
        # Colleagues in the gemeente's lokaal team may stand in for the worker.
        found.add("lt_teamleider" if person.role == Role.TEAMLEIDER else "lokaal_team")
    if serves and kind == OrgKind.REGIO and person.role == Role.REGIONALE_CONTACTPERSOON:
        found.add("regionale_contactpersoon")
    if serves and kind == OrgKind.BACKOFFICE:
        found.add("backoffice")
    if serves and kind == OrgKind.RET:
        found.add("ret")
    if org and ref.zorgaanbieder_id == org.id:
        found.add("zorgaanbieder")
    return found


def gemeente_name(session: Session, ref: Referral) -> str:
    g = session.get(Gemeente, ref.gemeente_id)
    return g.name if g else "?"
