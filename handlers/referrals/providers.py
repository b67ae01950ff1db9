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

from sqlmodel import Session, col, select

from handlers.contacts.matching import search_key, suggestions
from handlers.core import Refused, error
from scheduling.party_directory import is_absent
from storage.models import Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.tables import Referral


def provider_match(session: Session, wanted: str) -> tuple[Organisation | None, list[str]]:
    """A provider named like a gemeente: its key or its name, however cased or
    spaced, or the start of the name or of one of its words when that fits one
    provider only ("Wilgenhof"); otherwise None and the closest names. % and _
    typed by the user are no wildcards."""
    providers = session.exec(select(Organisation).where(
        Organisation.kind == OrgKind.ZORGAANBIEDER)).all()
    key = search_key(wanted)
    by_key: dict[str, Organisation] = {}
    for org in providers:
        by_key.setdefault(search_key(org.key), org)
        by_key.setdefault(search_key(org.name), org)
    if key and key in by_key:
        return by_key[key], []
    within = [o for o in providers if len(key) >= 3 and any(
        search_key(" ".join(o.name.split()[i:])).startswith(key)
        for i in range(len(o.name.split())))]
    if len(within) == 1:
        return within[0], []
    # Suggestions: close to the whole name or to one of its words ("Wilgenhoof").
    names = {search_key(o.name): o.name for o in providers}
    names |= {search_key(w): o.name for o in providers for w in o.name.split() if len(w) >= 4}
    return None, (sorted(o.name for o in within) or suggestions(key, names))[:5]


def find_provider(session: Session, wanted: str) -> Organisation | None:
    return provider_match(session, wanted)[0]


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
    org, close = provider_match(session, " ".join(words)) if words else (None, [])
    if org is None:
        raise Refused(error("provider_unknown", name=" ".join(words)[:80], suggestions=close))
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
