"""`ketenbot directory check`: gaps that make a lookup fail a caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from storage.models import Gemeente, Organisation, OrgKind, Person, Role, Team, TeamGemeente


@dataclass
class CheckReport:
    without_lokaal_team: list[str] = field(default_factory=list)
    without_gi: list[str] = field(default_factory=list)
    stale: list[tuple[str, str, date | None]] = field(default_factory=list)
    broken_koppelgenoot: list[tuple[str, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.without_lokaal_team or self.without_gi or self.stale
                    or self.broken_koppelgenoot)


def check(session: Session, today: date, stale_after_days: int) -> CheckReport:
    report = CheckReport()
    served = session.exec(
        select(TeamGemeente.gemeente_id, Organisation.kind, Person.role)
        .join(Team, col(Team.id) == TeamGemeente.team_id)
        .join(Organisation, col(Organisation.id) == Team.organisation_id)
        .join(Person, col(Person.team_id) == Team.id)
    ).all()
    covered = {(gid, kind) for gid, kind, role in served if role == Role.MEDEWERKER}
    for g in session.exec(select(Gemeente).order_by(col(Gemeente.name))).all():
        label = f"{g.name} ({g.cbs_code})"
        if (g.id, OrgKind.LOKAAL_TEAM.value) not in covered:
            report.without_lokaal_team.append(label)
        if (g.id, OrgKind.GI.value) not in covered:
            report.without_gi.append(label)

    people = session.exec(select(Person).order_by(col(Person.email))).all()
    by_id = {p.id: p for p in people}
    # People taken out in chat (`verwijder`) sit in the archive team: not stale, just gone.
    archived = set(session.exec(select(Team.id).where(Team.key == "uit-dienst")).all())
    people = [p for p in people if p.team_id not in archived]
    limit = today - timedelta(days=stale_after_days)
    for p in people:
        if p.verified_on is None or p.verified_on < limit:
            report.stale.append((p.email, p.name, p.verified_on))
        if p.koppelgenoot_id is None:
            continue
        other = by_id.get(p.koppelgenoot_id)
        if other is None:
            report.broken_koppelgenoot.append((p.email, "koppelgenoot bestaat niet"))
        elif other.koppelgenoot_id != p.id:
            report.broken_koppelgenoot.append(
                (p.email, f"{other.email} heeft een andere of geen koppelgenoot")
            )
        elif other.team_id != p.team_id:
            report.broken_koppelgenoot.append((p.email, f"{other.email} zit in een ander team"))
    return report
