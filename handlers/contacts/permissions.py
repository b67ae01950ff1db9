"""Who may change whose directory entry, and the bookkeeping every change shares.

Everyone keeps their own entry. Someone else's may be changed only by the
team leader of that person's team, or by a contactbeheerder of a region the
person works in (Bouwsteen 2's steunstructuur). A refusal names who may.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from handlers.core import Context, Refused, Reply
from storage.contact_tables import Contactbeheerder, Steunstructuur
from storage.directory.audit import record
from storage.models import (
    DirectoryVersion,
    Gemeente,
    Organisation,
    Person,
    Region,
    Role,
    Team,
    TeamGemeente,
)


def refuse(code: str, **data: Any) -> Refused:
    """A refusal from contactbeheer: nothing was changed (raise it)."""
    return Refused(Reply("contact_error", {"code": code, **data}, private=True, ok=False))


def person_by_email(session: Session, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.strip().lower())).first()


def must_find(session: Session, email: str) -> Person:
    person = person_by_email(session, email)
    if person is None:
        raise refuse("person_unknown", email=email[:254])
    return person


def me(session: Session, ctx: Context) -> Person:
    assert ctx.actor is not None and ctx.actor.id is not None
    person = session.get(Person, ctx.actor.id)
    assert person is not None
    return person


def regions_of_team(session: Session, team_id: int) -> set[int]:
    """The regions a team works in: its organisation's, and those it serves."""
    team = session.get(Team, team_id)
    if team is None:
        return set()
    org = session.get(Organisation, team.organisation_id)
    out = {org.region_id} if org and org.region_id else set()
    out |= set(session.exec(
        select(Gemeente.region_id).join(TeamGemeente, col(TeamGemeente.gemeente_id) == Gemeente.id)
        .where(TeamGemeente.team_id == team_id)).all())
    return out


def beheerders_of(session: Session, region_ids: set[int]) -> list[Person]:
    if not region_ids:
        return []
    return list(session.exec(
        select(Person).join(Contactbeheerder, col(Contactbeheerder.person_id) == Person.id)
        .where(col(Contactbeheerder.region_id).in_(region_ids)).order_by(col(Person.name))
    ).unique().all())


def is_beheerder(session: Session, actor: Person, region_ids: set[int]) -> bool:
    return any(p.id == actor.id for p in beheerders_of(session, region_ids))


def leads(actor: Person, team_id: int) -> bool:
    return actor.role == Role.TEAMLEIDER and actor.team_id == team_id


@dataclass
class Authority:
    """Who may change entries of one team: its leaders and its regions' beheerders."""

    team: str
    leaders: list[str]
    beheerders: list[str]
    regions: list[str]


def authority(session: Session, team_id: int) -> Authority:
    team = session.get(Team, team_id)
    region_ids = regions_of_team(session, team_id)
    leaders = session.exec(select(Person.name).where(
        Person.team_id == team_id, Person.role == Role.TEAMLEIDER).order_by(col(Person.name))
    ).all()
    regions = session.exec(select(Region.name).where(col(Region.id).in_(region_ids))
                           .order_by(col(Region.name))).all() if region_ids else []
    return Authority(team.name if team else "?", list(leaders),
                     [p.name for p in beheerders_of(session, region_ids)], list(regions))


def may_manage_team(session: Session, actor: Person, team_id: int) -> bool:
    return leads(actor, team_id) or is_beheerder(session, actor, regions_of_team(session, team_id))


def check_edit(session: Session, actor: Person, subject: Person) -> None:
    """Raise a refusal unless `actor` may change `subject`'s entry."""
    if actor.id == subject.id or may_manage_team(session, actor, subject.team_id):
        return
    raise refuse("not_yours", name=subject.name, **vars(authority(session, subject.team_id)))


def check_team(session: Session, actor: Person, team_id: int) -> None:
    """Raise a refusal unless `actor` may add to or take from this team."""
    if not may_manage_team(session, actor, team_id):
        raise refuse("not_your_team", **vars(authority(session, team_id)))


def team_key(session: Session, team_id: int) -> str | None:
    team = session.get(Team, team_id)
    return team.key if team else None


def changed(session: Session, ctx: Context, action: str, subject: Person,
            changes: dict[str, tuple[Any, Any]] | None = None, **extra: Any) -> None:
    """Audit one change and tell in-memory directories (`wie`) to reload."""
    record(session, at=ctx.clock(), actor=ctx.actor, platform=ctx.platform, action=action,
           subject=subject.email, team=team_key(session, subject.team_id), changes=changes,
           **extra)
    session.execute(update(DirectoryVersion).values(n=DirectoryVersion.n + 1))


def steun_of(session: Session, region_ids: set[int]) -> list[Steunstructuur]:
    if not region_ids:
        return []
    return list(session.exec(select(Steunstructuur)
                             .where(col(Steunstructuur.region_id).in_(region_ids))).all())
