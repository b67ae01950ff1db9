"""The people a referral names: its zorgaanbieder and that provider's contact,
its lokaal-team worker.

"Zorgaanbieder" as a party of a referral is the provider's contact for it
(named with an e-mail address, or the first of the provider to act on it), not
everyone who works there; without one, the organisation's team leaders are
told (`scheduling.party_directory`). The LT worker is a medewerker of a
lokaal team that serves the referral's gemeente, named by the JB who knows
who knows the family, or the first present one of the list.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, or_, select

from handlers.core import Refused, error
from scheduling.party_directory import is_absent
from storage.models import Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.tables import Referral


def find_provider(session: Session, wanted: str) -> Organisation | None:
    # The name is matched whole: % and _ typed by the user are no wildcards.
    literal = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return session.exec(select(Organisation).where(
        Organisation.kind == OrgKind.ZORGAANBIEDER,
        or_(Organisation.key == wanted.lower(),
            col(Organisation.name).ilike(literal, escape="\\")),
    )).first()


def split_email(words: list[str]) -> tuple[list[str], str | None]:
    """The words without a trailing e-mail address, and that address."""
    if words and "@" in words[-1]:
        return words[:-1], words[-1].lower()
    return words, None


def provider_and_contact(session: Session, words: list[str]
                         ) -> tuple[Organisation, Person | None]:
    """`<zorgaanbieder> [e-mail]`: the provider and, when named, its contact person.
    Refused when the provider is unknown or the person does not work there."""
    words, email = split_email(words)
    org = find_provider(session, " ".join(words)) if words else None
    if org is None:
        raise Refused(error("provider_unknown", name=" ".join(words)[:80]))
    if email is None:
        return org, None
    person = session.exec(select(Person).where(Person.email == email)).first()
    if person is None:
        raise Refused(error("person_unknown", email=email[:80]))
    team = session.get(Team, person.team_id)
    if team is None or team.organisation_id != org.id:
        raise Refused(error("route_contact_elsewhere", name=person.name, provider=org.name))
    return org, person


def assign_provider(ref: Referral, org: Organisation, contact: Person | None) -> None:
    """A new provider drops the old one's contact; the same provider keeps it
    unless another is named."""
    if ref.zorgaanbieder_id != org.id:
        ref.zorgaanbieder_contact_id = None
    ref.zorgaanbieder_id = org.id
    if contact is not None:
        ref.zorgaanbieder_contact_id = contact.id


def claim_contact(session: Session, ref: Referral, actor: Person | None) -> bool:
    """The first of the provider to act on the referral becomes its contact."""
    if actor is None or not ref.zorgaanbieder_id or ref.zorgaanbieder_contact_id:
        return False
    team = session.get(Team, actor.team_id)
    if team is None or team.organisation_id != ref.zorgaanbieder_id:
        return False
    ref.zorgaanbieder_contact_id = actor.id
    session.add(ref)
    return True


def named_lt_worker(session: Session, email: str, gemeente_id: int, today: date) -> Person:
    """The LT worker a JB names on `verwijs`: a medewerker of a lokaal team that
    serves the gemeente, and present. Refused (with the reason) otherwise."""
    person = session.exec(select(Person).where(Person.email == email.lower())).first()
    if person is None:
        raise Refused(error("person_unknown", email=email[:80]))
    serves = session.exec(
        select(TeamGemeente).join(Team, col(Team.id) == TeamGemeente.team_id)
        .join(Organisation, col(Organisation.id) == Team.organisation_id)
        .where(TeamGemeente.team_id == person.team_id, TeamGemeente.gemeente_id == gemeente_id,
               Organisation.kind == OrgKind.LOKAAL_TEAM)).first()
    if serves is None or person.role != Role.MEDEWERKER:
        team = session.get(Team, person.team_id)
        raise Refused(error("route_lt_elsewhere", name=person.name,
                            team=team.name if team else "?"))
    if is_absent(person, today):
        raise Refused(error("route_lt_absent", name=person.name, until=person.absent_until))
    return person
