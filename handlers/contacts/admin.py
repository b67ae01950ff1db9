"""Contactbeheerders (and team leaders, for their own team) administer in chat.

`teamlid <team> <e-mail> [rol naam…]` adds a new person to a team, or moves
an existing one; `verwijder <e-mail>` takes someone out of the directory.
Nobody is removed while they still own an open referral: the refusal lists
each one with the `herverdeel` to do first, so nothing is left without owner.
A removed person moves to the archive team `uit-dienst`, which serves no
gemeente: gone from lookups, assignments and rounds, while the referral
history that names them stays intact.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, update
from sqlmodel import Session, col, or_, select

from handlers.contacts.grants import grantable
from handlers.contacts.permissions import (
    authority,
    changed,
    check_edit,
    check_team,
    me,
    must_find,
    person_by_email,
    refuse,
)
from handlers.core import Context, Reply
from storage.contact_tables import Contactbeheerder, KoppelProposal
from storage.db import session_scope
from storage.directory.records import EMAIL_RE
from storage.directory.steun import audit_steun, steun_state
from storage.models import ARCHIVE_TEAM, Organisation, OrgKind, Person, Role, Team
from storage.revoke import revoke_access
from storage.tables import Outbox, Referral

ARCHIVE = ARCHIVE_TEAM
NAME_RE = re.compile(r"^[^\W\d_][\w .'\-]{0,199}$")


def _team(session: Session, key: str) -> Team:
    team = session.exec(select(Team).where(Team.key == key.strip().lower())).first()
    if team is None:
        raise refuse("team_unknown", team=key[:64])
    return team


def member(ctx: Context, text: str) -> Reply:
    words = text.split()
    if len(words) < 2:
        return Reply("contact_usage", {"what": "teamlid"})
    with session_scope(ctx.engine) as session:
        actor = me(session, ctx)
        team = _team(session, words[0])
        if team.key == ARCHIVE:
            raise refuse("team_unknown", team=team.key)
        email = words[1].lower()
        check_team(session, actor, team.id or 0)
        person = person_by_email(session, email)
        if person is None:
            return _add(session, ctx, team, email, words[2:])
        if person.team_id == team.id:
            return Reply("contact_done", {"what": "al_in_team", "name": person.name,
                                          "team": team.name})
        check_edit(session, actor, person)
        old_team = session.get(Team, person.team_id)
        _unpair(session, ctx, person)
        old_key = old_team.key if old_team else None
        person.team_id = team.id or 0
        session.add(person)
        changed(session, ctx, "verplaatst", person, {"team": (old_key, team.key)})
        return Reply("contact_done", {"what": "verplaatst", "name": person.name,
                                      "team": team.name, "open": _open_refs(session, person)})


def _add(session: Session, ctx: Context, team: Team, email: str, rest: list[str]) -> Reply:
    roles = [r.value for r in Role]
    if len(rest) < 2 or rest[0] not in roles:
        return Reply("contact_usage", {"what": "teamlid_nieuw", "roles": roles})
    # Nobody creates a person above themselves (handlers/contacts/grants.py).
    allowed = grantable(session, me(session, ctx), team.id or 0)
    if rest[0] not in allowed:
        raise refuse("role_not_yours", role=rest[0], allowed=[r for r in roles if r in allowed],
                     **vars(authority(session, team.id or 0)))
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise refuse("email_invalid", email=email[:254])
    name = " ".join(rest[1:])[:200]
    if not NAME_RE.match(name):  # a name, no markup: it is shown on every platform
        raise refuse("name_invalid", name=name[:80])
    person = Person(email=email, name=name, role=rest[0], team_id=team.id or 0,
                    verified_on=ctx.today())
    session.add(person)
    session.flush()
    changed(session, ctx, "aangemaakt", person,
            {"name": (None, name), "role": (None, rest[0]), "team": (None, team.key)})
    return Reply("contact_done", {"what": "toegevoegd", "name": name, "team": team.name})


def _open_refs(session: Session, person: Person) -> list[dict[str, str]]:
    """Open referrals this person owns: as jeugdbeschermer or lokaal-team worker."""
    rows = session.exec(select(Referral).where(
        Referral.status == "open",
        or_(col(Referral.jb_id) == person.id, col(Referral.lt_id) == person.id))
        .order_by(col(Referral.id))).all()
    return [{"ref": r.ref or f"#{r.id}",
             "rol": "jeugdbeschermer" if r.jb_id == person.id else "lokaal_team"}
            for r in rows]


def _unpair(session: Session, ctx: Context, person: Person) -> None:
    """Whoever had this person as koppelgenoot loses the link (and they theirs)."""
    for other in session.exec(select(Person).where(Person.koppelgenoot_id == person.id)).all():
        other.koppelgenoot_id = None
        session.add(other)
        changed(session, ctx, "koppelgenoot", other, {"koppelgenoot": (person.email, None)})
    if person.koppelgenoot_id:
        buddy = session.get(Person, person.koppelgenoot_id)
        person.koppelgenoot_id = None
        changed(session, ctx, "koppelgenoot", person,
                {"koppelgenoot": (buddy.email if buddy else None, None)})


def remove(ctx: Context, text: str) -> Reply:
    words = text.split()
    if len(words) != 1:
        return Reply("contact_usage", {"what": "verwijder"})
    with session_scope(ctx.engine) as session:
        actor = me(session, ctx)
        person = must_find(session, words[0])
        if person.id == actor.id:
            raise refuse("remove_self")
        check_edit(session, actor, person)
        owned = _open_refs(session, person)
        if owned:
            raise refuse("still_owner", name=person.name, refs=owned)
        old_team = session.get(Team, person.team_id)
        _unpair(session, ctx, person)
        # A backup on an open referral is not an owner: the backup is cleared.
        backups = session.exec(select(Referral).where(
            Referral.status == "open", Referral.lt_backup_id == person.id)).all()
        for ref in backups:
            ref.lt_backup_id = None
            session.add(ref)
        # Chat links, web sessions, open sign-in links and codes end with this commit.
        revoke_access(session, person.id or 0)
        # A contactbeheerder who leaves leaves the steunstructuur too: audited per region.
        regions = session.exec(select(Contactbeheerder.region_id).where(
            Contactbeheerder.person_id == person.id)).all()
        before = {rid: steun_state(session, rid) for rid in regions}
        session.execute(delete(Contactbeheerder).where(
            col(Contactbeheerder.person_id) == person.id))
        session.flush()
        for rid, state in before.items():
            audit_steun(session, rid, state, at=ctx.clock(), actor=actor,
                        platform=ctx.platform)
        session.execute(update(KoppelProposal).where(
            col(KoppelProposal.status) == "open",
            or_(col(KoppelProposal.from_id) == person.id, col(KoppelProposal.to_id) == person.id)
        ).values(status="declined"))
        session.execute(update(Outbox).where(
            col(Outbox.person_id) == person.id, col(Outbox.status) == "pending"
        ).values(status="dropped", last_error="person removed from the directory"))
        person.team_id = _archive(session).id or 0
        session.add(person)
        changed(session, ctx, "verwijderd", person,
                {"team": (old_team.key if old_team else None, ARCHIVE)},
                backup_van=[r.ref for r in backups])
        return Reply("contact_done", {"what": "verwijderd", "name": person.name})


def _archive(session: Session) -> Team:
    team = session.exec(select(Team).where(Team.key == ARCHIVE)).first()
    if team is not None:
        return team
    org = session.exec(select(Organisation).where(Organisation.key == ARCHIVE)).first()
    if org is None:
        org = Organisation(key=ARCHIVE, name="Uit dienst (archief)", kind=OrgKind.REGIO.value)
        session.add(org)
        session.flush()
    team = Team(key=ARCHIVE, name="Uit dienst (archief)", organisation_id=org.id or 0)
    session.add(team)
    session.flush()
    return team
