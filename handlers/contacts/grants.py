"""Who may give which role: one table, for every new person in chat and on the web.

A team leader keeps their own team: they may add people with a role at or
below their own, within the team (the uitvoerend professionals and the
team's gedragswetenschapper). Everything above that — another teamleider
for the team, and every role that reaches beyond one team (regionale
contactpersoon, contactbeheerder, manager, directeur, bestuurder, wethouder,
beleidsmedewerker, regionaal adviseur, and Bouwsteen 4's voorzitter of the
Jeugdbeschermingstafel and the gemeente's eerste aanspreekpersoon for it, who
serve the whole region's tafel) — is given by a contactbeheerder of a
region the team works in (Bouwsteen 2's steunstructuur), or by the directory
file an administrator imports (`ketenbot directory import`, which is not
checked here: whoever may run it holds the whole directory).

A role missing from TEAM_ROLES is a region's to give: a new role is safe by default.
"""

from __future__ import annotations

from sqlmodel import Session

from handlers.contacts.permissions import is_beheerder, leads, regions_of_team
from storage.models import Person, Role

ALL_ROLES = frozenset(r.value for r in Role)
# At or below a team leader, inside their own team. (jbt_voorzitter and
# jbt_aanspreekpersoon are not: the region's tafel is the region's to staff.)
TEAM_ROLES = frozenset({Role.MEDEWERKER.value, Role.GEDRAGSWETENSCHAPPER.value,
                        Role.BACKOFFICE.value})

# Who grants: the team's leader, a contactbeheerder of the team's region, the import.
GRANTS: dict[str, frozenset[str]] = {
    "teamleider": TEAM_ROLES,
    "contactbeheerder": ALL_ROLES,
    "import": ALL_ROLES,
}


def granter(session: Session, actor: Person, team_id: int) -> str | None:
    """In what capacity `actor` may add people to this team (the widest), or None."""
    if is_beheerder(session, actor, regions_of_team(session, team_id)):
        return "contactbeheerder"
    if leads(actor, team_id):
        return "teamleider"
    return None


def grantable(session: Session, actor: Person, team_id: int) -> frozenset[str]:
    """The roles `actor` may give a new person in this team."""
    capacity = granter(session, actor, team_id)
    return GRANTS[capacity] if capacity else frozenset()


def may_grant(session: Session, actor: Person, team_id: int, role: str) -> bool:
    return role in grantable(session, actor, team_id)
