"""Who a party of a referral is, in the directory, right now."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from scheduling.party_directory import Directory
from storage.models import Gemeente, Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.tables import Referral


def resolve(session: Session, ref: Referral, party: str, today: date) -> list[Person]:
    """The people who stand for `party` on this referral (absent ones passed over):
    the sweep's rules (`scheduling.party_directory.Directory`), asked about one referral."""
    return Directory(session, [ref]).resolve(ref, party, today)


# Which people serving the referral's gemeente are parties to it, by the kind of
# their organisation: per kind of process, so a tafel's voorzitter sees the
# tafel's cases and not every referral in the region (need to know).
_SERVING_KINDS = {
    "verwijzing": {OrgKind.LOKAAL_TEAM, OrgKind.REGIO, OrgKind.BACKOFFICE, OrgKind.RET},
    "tafel": {OrgKind.LOKAAL_TEAM, OrgKind.JBT, OrgKind.GEMEENTE, OrgKind.RAAD},
    "overdracht": set(),  # the JB, the receiving professional, the JB's team leader
}
PROCESS_KINDS = {"jbt": "tafel", "ov": "overdracht"}  # Referral.route -> its kind


def parties_of(session: Session, ref: Referral, person: Person) -> set[str]:
    """Every party this person stands for on the referral (for permissions)."""
    found: set[str] = set()
    team = session.get(Team, person.team_id)
    org = session.get(Organisation, team.organisation_id) if team else None
    kind = org.kind if org else None
    process = PROCESS_KINDS.get(ref.route, "verwijzing")
    if person.id == ref.jb_id:
        # Who registered a tafel case may be a lokaal team's, Veilig Thuis's or
        # a GI's professional: the "aanmelder", not necessarily a JB.
        found.add("aanmelder" if process == "tafel" else "jeugdbeschermer")
    if person.id in (ref.lt_id, ref.lt_backup_id):
        found.add("ontvanger" if process == "overdracht" else "lokaal_team")
    jb = session.get(Person, ref.jb_id)
    if process != "tafel" and jb and person.team_id == jb.team_id:
        if person.role == Role.TEAMLEIDER:
            found.add("gi_teamleider")
        if person.role == Role.GEDRAGSWETENSCHAPPER:
            found.add("gi_gedragswetenschapper")
    if kind not in _SERVING_KINDS[process]:
        serves = False
    else:
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
    if serves and kind == OrgKind.JBT and person.role == Role.JBT_VOORZITTER:
        found.add("jbt_voorzitter")
    if serves and kind == OrgKind.GEMEENTE and person.role == Role.JBT_AANSPREEKPERSOON:
        found.add("jbt_aanspreekpersoon")
    if serves and kind == OrgKind.RAAD:
        found.add("raad")
    if org and ref.zorgaanbieder_id == org.id:
        found.add("zorgaanbieder")
    return found


def gemeente_name(session: Session, ref: Referral) -> str:
    g = session.get(Gemeente, ref.gemeente_id)
    return g.name if g else "?"
