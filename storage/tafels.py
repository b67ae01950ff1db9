"""A gemeente's Jeugdbeschermingstafels and the tafels next to them, from the
directory: read by the chat's answers (`wie <gemeente> tafel`, `gepland`) and by
the sweep, whose lapse notice names the neighbouring tafel."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.contact_tables import TafelNeighbour
from storage.models import Organisation, OrgKind, Team, TeamGemeente


def tafels_for(session: Session, gemeente_id: int) -> list[Organisation]:
    """The tafels (organisations of kind jbt) whose teams serve this gemeente, by name."""
    return list(session.exec(
        select(Organisation)
        .join(Team, col(Team.organisation_id) == Organisation.id)
        .join(TeamGemeente, col(TeamGemeente.team_id) == Team.id)
        .where(TeamGemeente.gemeente_id == gemeente_id, Organisation.kind == OrgKind.JBT.value)
        .order_by(col(Organisation.name), col(Organisation.id))
    ).unique().all())


def neighbour_tafels(session: Session, gemeente_id: int) -> list[Organisation]:
    """The neighbours of this gemeente's tafels, without those tafels themselves, by name."""
    own = {o.id for o in tafels_for(session, gemeente_id)}
    if not own:
        return []
    return list(session.exec(
        select(Organisation)
        .join(TafelNeighbour, col(TafelNeighbour.neighbour_id) == Organisation.id)
        .where(col(TafelNeighbour.organisation_id).in_(own),
               col(Organisation.id).not_in(own),
               Organisation.kind == OrgKind.JBT.value)
        .order_by(col(Organisation.name), col(Organisation.id))
    ).unique().all())
