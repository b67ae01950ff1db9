"""Who is who in a Bouwsteen 6 escalation: organisations, tiers, rights.

The parties of an escalation are organisations (lokaal team, GI, Veilig
Thuis, Raad, zorgaanbieder). A tier brings in people *of those
organisations*: preferably of their teams that serve the escalation's
gemeente, else of its teams that serve no gemeente (a GI's manager or
bestuurder usually sits in no local team), never of its teams elsewhere.
Nobody is ever pinged in place of someone the directory lacks: a tier names
who is missing instead. Who is a party: `access`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, or_, select

from storage.models import Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.tables import ModelEscalation, ModelEscalationEvent, ModelEscalationParty

PARTY_KINDS = (OrgKind.LOKAAL_TEAM, OrgKind.GI, OrgKind.VEILIG_THUIS, OrgKind.RAAD,
               OrgKind.ZORGAANBIEDER)
# What a user may type for an organisation kind (`partij ES-0001 vt`).
KIND_WORDS = {"lt": OrgKind.LOKAAL_TEAM, "gi": OrgKind.GI, "vt": OrgKind.VEILIG_THUIS,
              "raad": OrgKind.RAAD, "za": OrgKind.ZORGAANBIEDER}

EXECUTING = (Role.MEDEWERKER, Role.BACKOFFICE)  # uitvoerend professionals
LEIDINGGEVENDEN = (Role.TEAMLEIDER, Role.MANAGER, Role.DIRECTEUR)
# Seed, Bouwsteen 6: who takes each tier ("Wie zet deze stap?").
MAY_TAKE: dict[int, tuple[str, ...]] = {
    1: EXECUTING,  # "De professional schakelt zijn gedragswetenschapper in"
    2: (*EXECUTING, Role.GEDRAGSWETENSCHAPPER),
    3: (Role.MANAGER, Role.DIRECTEUR),
}
# Who may close an escalation with a reason instead of everyone's approval.
MAY_CLOSE = LEIDINGGEVENDEN


def org_of(session: Session, person: Person) -> Organisation | None:
    team = session.get(Team, person.team_id)
    return session.get(Organisation, team.organisation_id) if team else None


def party_orgs(session: Session, esc: ModelEscalation) -> list[Organisation]:
    return list(session.exec(
        select(Organisation).join(ModelEscalationParty,
                                  col(ModelEscalationParty.organisation_id) == Organisation.id)
        .where(ModelEscalationParty.escalation_id == esc.id).order_by(col(Organisation.id))
    ).all())


def brought_in(session: Session, esc: ModelEscalation) -> set[int]:
    """The people the tiers brought in (they take part, whatever their organisation)."""
    ids: set[int] = set()
    for detail in session.exec(select(ModelEscalationEvent.detail).where(
            ModelEscalationEvent.escalation_id == esc.id,
            col(ModelEscalationEvent.action).in_(["trede", "partij"]))).all():
        ids.update(int(i) for i in detail.get("people", []))
    return ids


def participants(session: Session, esc: ModelEscalation) -> set[int]:
    """Who a report is put to: everyone who acted on it, and everyone brought in."""
    actors = session.exec(select(ModelEscalationEvent.actor_id).where(
        ModelEscalationEvent.escalation_id == esc.id)).all()
    return {a for a in actors if a is not None} | brought_in(session, esc)


def people_of(session: Session, org: Organisation, gemeente_id: int | None,
              roles: tuple[str, ...]) -> list[Person]:
    """People with `roles` in `org`, per role: of its teams serving the gemeente
    if it has any there (a teamleider), else of its teams that serve no gemeente
    at all (the organisation's own staff: a director). Never of its teams in
    other gemeenten: a GI's team leaders elsewhere have no part in this case."""
    found: list[Person] = []
    for role in roles:
        base = (select(Person).join(Team, col(Team.id) == Person.team_id)
                .where(Team.organisation_id == org.id, Person.role == role)
                .order_by(col(Person.id)))
        local: list[Person] = []
        if gemeente_id is not None:
            local = list(session.exec(
                base.join(TeamGemeente, col(TeamGemeente.team_id) == Team.id)
                .where(TeamGemeente.gemeente_id == gemeente_id)).all())
        serving = select(TeamGemeente.team_id)
        found += local or list(session.exec(
            base.where(col(Team.id).not_in(serving))).all())
    return found


def gemeente_people(session: Session, gemeente_id: int | None, kind: str,
                    roles: tuple[str, ...]) -> list[Person]:
    if gemeente_id is None:
        return []
    return list(session.exec(
        select(Person).join(Team, col(Team.id) == Person.team_id)
        .join(Organisation, col(Organisation.id) == Team.organisation_id)
        .join(TeamGemeente, col(TeamGemeente.team_id) == Team.id)
        .where(TeamGemeente.gemeente_id == gemeente_id, Organisation.kind == kind,
               col(Person.role).in_(roles)).order_by(col(Person.id))
    ).all())


@dataclass
class TierPeople:
    """Who a tier brings in, and what the directory lacks for it."""

    people: list[Person] = field(default_factory=list)
    mediators: list[Person] = field(default_factory=list)  # regional advisers (optional)
    missing: list[dict[str, str]] = field(default_factory=list)  # {"role", "where"}

    def add(self, found: list[Person], role: str, where: str) -> None:
        if not found:
            self.missing.append({"role": role, "where": where})
        for p in found:
            if all(p.id != q.id for q in self.people):
                self.people.append(p)


def tier_people(session: Session, esc: ModelEscalation, tier: int, gemeente_name: str,
                only: Organisation | None = None) -> TierPeople:
    """Who `tier` brings in; with `only`, just that organisation's people (a party
    added after the tier was taken) and nothing of the gemeente's."""
    out = TierPeople()
    orgs = [only] if only is not None else party_orgs(session, esc)
    if tier == 1:
        for org in orgs:
            out.add(people_of(session, org, esc.gemeente_id, (Role.GEDRAGSWETENSCHAPPER,)),
                    Role.GEDRAGSWETENSCHAPPER, org.name)
    elif tier == 2:
        for org in orgs:
            out.add(people_of(session, org, esc.gemeente_id, LEIDINGGEVENDEN),
                    "leidinggevende", org.name)
    else:
        for org in orgs:
            out.add(people_of(session, org, esc.gemeente_id, (Role.BESTUURDER,)),
                    Role.BESTUURDER, org.name)
        if only is not None:
            return out
        out.add(gemeente_people(session, esc.gemeente_id, OrgKind.GEMEENTE, (Role.WETHOUDER,)),
                Role.WETHOUDER, gemeente_name)
        out.add(gemeente_people(session, esc.gemeente_id, OrgKind.GEMEENTE,
                                (Role.BELEIDSMEDEWERKER,)),
                Role.BELEIDSMEDEWERKER, gemeente_name)
        out.mediators = gemeente_people(session, esc.gemeente_id, OrgKind.REGIO,
                                        (Role.REGIONAAL_ADVISEUR,))
    return out


def find_orgs(session: Session, text: str, gemeente_id: int | None) -> list[Organisation]:
    """Organisations matching a key, a name, or a kind word serving the gemeente."""
    word = text.strip().lower()
    if word in KIND_WORDS:
        if gemeente_id is None:
            return []
        return list(session.exec(
            select(Organisation).join(Team, col(Team.organisation_id) == Organisation.id)
            .join(TeamGemeente, col(TeamGemeente.team_id) == Team.id)
            .where(TeamGemeente.gemeente_id == gemeente_id,
                   Organisation.kind == KIND_WORDS[word])
            .distinct().order_by(col(Organisation.id))
        ).all())
    # The name is matched whole: % and _ typed by the user are no wildcards.
    literal = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(session.exec(select(Organisation).where(
        or_(col(Organisation.key) == word,
            col(Organisation.name).ilike(literal, escape="\\")))).all())
