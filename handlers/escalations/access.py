"""Who may see and act on a Bouwsteen 6 escalation: its scope, in one place.

The parties of an escalation are organisations, but an organisation such as a
GI works in every region: its people in another region have no business with
this one. So a *person* is a party when

* their team belongs to a party organisation **and serves the escalation's
  gemeente** (the people Bouwsteen 2 says should know each other there), or
* they are in it by name: the one who started it, the referral's own people
  (jeugdbeschermer, lokaal-team worker, koppelgenoot), or someone a tier or
  `partij` brought in (a GI's manager or bestuurder usually sits in no local
  team, a wethouder in no party organisation).

Everyone else is refused, as for a referral; people moved to the archive team
(removed from the directory) are no party at all.
"""

from __future__ import annotations

from sqlmodel import Session, select

from handlers.contacts.admin import ARCHIVE
from handlers.escalations.people import brought_in, party_orgs
from storage.models import Organisation, Person, Team, TeamGemeente
from storage.tables import ModelEscalation, Referral


def serves(session: Session, team_id: int, gemeente_id: int | None) -> bool:
    """Whether the team works in the gemeente (the directory's `serves`)."""
    if gemeente_id is None:
        return False
    return session.exec(select(TeamGemeente).where(
        TeamGemeente.team_id == team_id, TeamGemeente.gemeente_id == gemeente_id)
    ).first() is not None


def in_directory(session: Session, person: Person) -> Team | None:
    """The person's team, or None once they were removed (the archive team)."""
    team = session.get(Team, person.team_id)
    return team if team is not None and team.key != ARCHIVE else None


def named(session: Session, esc: ModelEscalation) -> set[int]:
    """The people in the escalation by name, whatever their team."""
    ids = {esc.started_by_id} | brought_in(session, esc)
    referral = session.get(Referral, esc.referral_id) if esc.referral_id else None
    if referral is not None:
        ids |= {i for i in (referral.jb_id, referral.lt_id, referral.lt_backup_id) if i}
    return ids


def is_party(session: Session, esc: ModelEscalation, person: Person) -> bool:
    team = in_directory(session, person)
    if team is None or person.id is None:
        return False
    if person.id in named(session, esc):
        return True
    return (team.organisation_id in {o.id for o in party_orgs(session, esc)}
            and serves(session, team.id or 0, esc.gemeente_id))


def works_for(session: Session, person: Person, orgs: list[Organisation],
              gemeente_id: int | None) -> bool:
    """Whether `person` may start an escalation for these organisations in this
    gemeente: their team is of one of them and serves the gemeente."""
    team = in_directory(session, person)
    return (team is not None and team.organisation_id in {o.id for o in orgs}
            and serves(session, team.id or 0, gemeente_id))
