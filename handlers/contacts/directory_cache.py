"""The directory in memory, for `wie`: answered without touching the ORM.

Lookups vastly outnumber changes, and the directory changes only by import,
which bumps `directory_version`. That one number is read at most once per
CHECK_EVERY seconds (a round trip would otherwise be half a lookup's cost);
when it moved, the snapshot is rebuilt: an import reaches `wie` within a
second. People's absence and freshness are judged at lookup time from the
cached dates, so the cache never goes stale by the clock.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from storage.contact_tables import Contactbeheerder, Steunstructuur, TafelNeighbour
from storage.models import (
    DirectoryVersion,
    Gemeente,
    GemeenteKey,
    Organisation,
    Person,
    Region,
    Team,
    TeamGemeente,
)


@dataclass
class TeamPeople:
    kind: str
    organisation: Organisation
    team: Team
    people: list[Person]


CHECK_EVERY = 1.0  # seconds


@dataclass
class Snapshot:
    version: int
    checked: float = 0.0  # time.monotonic() of the last version check
    keys: dict[str, list[Gemeente]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # key -> name, for suggestions
    regions: dict[int, str] = field(default_factory=dict)
    teams: dict[int, list[TeamPeople]] = field(default_factory=dict)  # per gemeente id
    # Per region id: its steunstructuur for `wie` (contactbeheer.steun_view).
    steun: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Per organisation id: its teams with their people (for a tafel's neighbours).
    org_teams: dict[int, list[TeamPeople]] = field(default_factory=dict)
    # Per tafel (organisation of kind jbt): the neighbouring tafels, by name.
    neighbours: dict[int, list[Organisation]] = field(default_factory=dict)


_snapshots: weakref.WeakKeyDictionary[Engine, Snapshot] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


VERSION_SQL = f"SELECT n FROM {DirectoryVersion.__tablename__}"


def current_version(engine: Engine) -> int:
    """The directory's version: asked before every Slack command from a
    remembered user, so on the bare DB-API connection (about 10 µs on SQLite;
    SQLAlchemy's Connection with its BEGIN costs ten times that)."""
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        conn = engine.raw_connection()
    except dbapi_error as exc:
        # The bare connection skips SQLAlchemy's wrapping: wrap like it does, so
        # a lost database is told as one (`scheduling.outage.database_lost`).
        raise DBAPIError.instance(VERSION_SQL, None, exc, dbapi_error) from exc
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(VERSION_SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
    except dbapi_error as exc:
        lost = engine.dialect.is_disconnect(exc, conn.dbapi_connection, None)
        if lost:
            conn.invalidate()  # broken: not back into the pool
        raise DBAPIError.instance(VERSION_SQL, None, exc, dbapi_error,
                                  connection_invalidated=lost) from exc
    finally:
        conn.close()  # back to the pool, which ends the read
    return int(row[0]) if row and row[0] is not None else 0


def snapshot(engine: Engine) -> Snapshot:
    snap = _snapshots.get(engine)
    now = time.monotonic()
    if snap is not None and now - snap.checked < CHECK_EVERY:
        return snap
    version = current_version(engine)
    if snap is not None and snap.version == version:
        snap.checked = now
        return snap
    with _lock:  # one rebuild at a time; the others wait and reuse it
        snap = _snapshots.get(engine)
        if snap is None or snap.version != version:
            snap = _snapshots[engine] = _build(engine)
            snap.checked = now
        return snap


def _build(engine: Engine) -> Snapshot:
    with Session(engine) as session:
        snap = Snapshot(version=session.exec(select(DirectoryVersion.n)).first() or 0)
        gemeenten = {g.id: g for g in session.exec(select(Gemeente)).all()}
        for k in session.exec(select(GemeenteKey)).all():
            snap.keys.setdefault(k.key, []).append(gemeenten[k.gemeente_id])
            snap.names[k.key] = gemeenten[k.gemeente_id].name
        snap.regions = {r.id or 0: r.name for r in session.exec(select(Region)).all()}
        people: dict[int, list[Person]] = {}
        for p in session.exec(select(Person).order_by(col(Person.id))).all():
            people.setdefault(p.team_id, []).append(p)
        teams = {
            t.id: TeamPeople(o.kind, o, t, people.get(t.id or 0, []))
            for t, o in session.exec(
                select(Team, Organisation)
                .join(Organisation, col(Organisation.id) == Team.organisation_id)
                .order_by(col(Team.id))
            ).all()
        }
        for tg in session.exec(select(TeamGemeente).order_by(col(TeamGemeente.team_id))).all():
            snap.teams.setdefault(tg.gemeente_id, []).append(teams[tg.team_id])
        for tp in teams.values():
            snap.org_teams.setdefault(tp.organisation.id or 0, []).append(tp)
        orgs = {o.id or 0: o for o in session.exec(select(Organisation)).all()}
        for link in session.exec(select(TafelNeighbour)).all():
            snap.neighbours.setdefault(link.organisation_id, []).append(orgs[link.neighbour_id])
        for found in snap.neighbours.values():
            found.sort(key=lambda o: (o.name, o.id or 0))
        snap.steun = steun_views(session)
    return snap


def steun_views(session: Session) -> dict[int, dict[str, Any]]:
    """Region id -> who keeps its list: the responsible body and its people."""
    people: dict[int, list[dict[str, Any]]] = {}
    for rid, p in session.exec(
        select(Contactbeheerder.region_id, Person)
        .join(Person, col(Person.id) == Contactbeheerder.person_id).order_by(col(Person.name))
    ).all():
        people.setdefault(rid, []).append({"name": p.name, "email": p.email, "phone": p.phone})
    return {s.region_id: {"responsible": s.responsible, "frequency_days": s.frequency_days,
                          "beheerders": people.get(s.region_id, [])}
            for s in session.exec(select(Steunstructuur)).all()}
