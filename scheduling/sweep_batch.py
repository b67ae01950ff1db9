"""Reading and writing one claimed batch of the sweep, a few statements a batch.

`load` reads what the batch's deadlines refer to: their referrals, the
gemeente names, the people named on them (three queries). `Directory` answers
`handlers.parties.resolve` for the whole batch from one query per kind of
party. `Plan` is a deadline as the sweep leaves it, with what it queues and
records; `write` stores a batch of plans in a handful of statements, none of
them per deadline: undelivered reminders of lapsed deadlines dropped (one
UPDATE per 200 such deadlines), the outbox and history rows inserted and the
deadlines moved on (an executemany each).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, update
from sqlmodel import Session, col, select

from handlers.lookup import is_absent
from storage.models import Gemeente, Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.outbox import enqueue_many
from storage.tables import Deadline, Outbox, Referral, ReferralEvent

_DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
_EVENT = ReferralEvent.__table__  # type: ignore[attr-defined]
DROP_CHUNK = 200  # lapsed deadlines per "drop their undelivered reminders" UPDATE


@dataclass
class Batch:
    referrals: dict[int, Referral]
    gemeenten: dict[int, str]  # id -> name
    directory: Directory


def load(session: Session, rows: Sequence[Deadline]) -> Batch:
    ids = {d.referral_id for d in rows}
    refs = {r.id: r for r in session.exec(select(Referral).where(col(Referral.id).in_(ids)))
            if r.id is not None}
    live = [r for r in refs.values() if r.status == "open"]
    gids = {r.gemeente_id for r in live}
    names: dict[int, str] = {}
    if gids:
        names = {gid: name for gid, name in session.exec(
            select(Gemeente.id, Gemeente.name).where(col(Gemeente.id).in_(gids))) if gid}
    return Batch(refs, names, Directory(session, live))


# -- who stands for a party --------------------------------------------------------

# The lookups of `handlers.parties._resolve`, as data: keep the two in step
# (tests/test_sweep.py compares them party by party).
_GEMEENTE_PARTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "lt_teamleider": (OrgKind.LOKAAL_TEAM, (Role.TEAMLEIDER,)),
    "regionale_contactpersoon": (OrgKind.REGIO, (Role.REGIONALE_CONTACTPERSOON,)),
    "backoffice": (OrgKind.BACKOFFICE, (Role.BACKOFFICE,)),
    "ret": (OrgKind.RET, (Role.MEDEWERKER, Role.GEDRAGSWETENSCHAPPER)),
}
_GI_PARTIES = {"gi_teamleider": Role.TEAMLEIDER,
               "gi_gedragswetenschapper": Role.GEDRAGSWETENSCHAPPER}
_Groups = dict[int, list[Person]]


class Directory:
    """`handlers.parties.resolve` for a batch of referrals, a query per kind of party.

    The people named on the referrals are read up front (one query); the
    first time a party such as "lt_teamleider" is asked for, its people are
    read for every gemeente (team, organisation) in the batch at once. A
    referral outside the batch still gets an answer, with one more query.
    """

    def __init__(self, session: Session, referrals: Iterable[Referral]) -> None:
        self.s = session
        self.refs = list(referrals)
        pids = {p for r in self.refs for p in (r.jb_id, r.lt_id, r.lt_backup_id) if p}
        self.persons: dict[int, Person | None] = dict.fromkeys(pids)
        if pids:
            for p in session.exec(select(Person).where(col(Person.id).in_(pids))):
                self.persons[p.id or 0] = p
        self._groups: dict[str, _Groups] = {}

    def resolve(self, ref: Referral, party: str, today: date) -> list[Person]:
        """The people who stand for `party` on this referral (absent ones passed over)."""
        people = self._people(ref, party)
        present = [p for p in people if not is_absent(p, today)]
        if party == "lokaal_team" and not present and ref.lt_backup_id:
            backup = self._person(ref.lt_backup_id)
            present = [backup] if backup else []
        return present or people  # everyone absent: still tell someone

    def _people(self, ref: Referral, party: str) -> list[Person]:
        if party in ("jeugdbeschermer", "lokaal_team", "koppelgenoot"):
            pid = {"jeugdbeschermer": ref.jb_id, "lokaal_team": ref.lt_id,
                   "koppelgenoot": ref.lt_backup_id}[party]
            p = self._person(pid)
            return [p] if p else []
        if party in _GI_PARTIES:
            jb = self._person(ref.jb_id)
            if jb is None:
                return []
            return self._group(party, jb.team_id, self._jb_teams,
                               partial(_team_role, role=_GI_PARTIES[party]))
        if party in _GEMEENTE_PARTIES:
            kind, roles = _GEMEENTE_PARTIES[party]
            return self._group(party, ref.gemeente_id, self._gemeenten,
                               partial(_serving, kind=kind, roles=roles))
        if party == "zorgaanbieder":
            if not ref.zorgaanbieder_id:
                return []
            return self._group(party, ref.zorgaanbieder_id, self._organisations, _working_for)
        raise ValueError(f"unknown party {party!r}")

    def _person(self, pid: int | None) -> Person | None:
        if not pid:
            return None
        if pid not in self.persons:  # not named on the batch's referrals
            self.persons[pid] = self.s.get(Person, pid)
        return self.persons[pid]

    # Every key of the batch, for each kind of group.
    def _jb_teams(self) -> set[int]:
        return {jb.team_id for r in self.refs if (jb := self._person(r.jb_id)) is not None}

    def _gemeenten(self) -> set[int]:
        return {r.gemeente_id for r in self.refs}

    def _organisations(self) -> set[int]:
        return {r.zorgaanbieder_id for r in self.refs if r.zorgaanbieder_id}

    def _group(self, party: str, key: int, batch_keys: Callable[[], set[int]],
               query: Callable[[set[int]], Any]) -> list[Person]:
        """The party's people for `key`; on a miss, read them for every key of
        the batch not read yet, in one query (ordered by person id)."""
        groups = self._groups.setdefault(party, {})
        if key not in groups:
            wanted = (batch_keys() | {key}) - groups.keys()
            found: _Groups = {k: [] for k in wanted}
            for k, person in self.s.exec(query(wanted).order_by(col(Person.id))):
                found[k].append(person)
            groups.update(found)  # only once read: a failed read is tried again
        return groups[key]


# The group queries: (key, person) rows for a set of keys.


def _team_role(teams: set[int], *, role: str) -> Any:
    """The people with `role` in these teams (the jeugdbeschermers' teams)."""
    return select(Person.team_id, Person).where(col(Person.team_id).in_(teams),
                                                Person.role == role)


def _serving(gemeenten: set[int], *, kind: str, roles: tuple[str, ...]) -> Any:
    """The people with one of `roles` in a `kind` team serving these gemeenten."""
    return (select(TeamGemeente.gemeente_id, Person)
            .join(Team, col(Team.id) == Person.team_id)
            .join(Organisation, col(Organisation.id) == Team.organisation_id)
            .join(TeamGemeente, col(TeamGemeente.team_id) == Team.id)
            .where(col(TeamGemeente.gemeente_id).in_(gemeenten), Organisation.kind == kind,
                   col(Person.role).in_(roles)))


def _working_for(organisations: set[int]) -> Any:
    """Everyone in these organisations' teams (the zorgaanbieders)."""
    return (select(Team.organisation_id, Person).join(Team, col(Team.id) == Person.team_id)
            .where(col(Team.organisation_id).in_(organisations)))


# -- the outcome -------------------------------------------------------------------


@dataclass
class Plan:
    """A claimed deadline as this sweep leaves it, and what it queues and records.

    Starts as a copy of the row; the ORM object itself is never changed, so a
    plan that cannot be written leaves nothing behind in the session.
    """

    id: int
    referral_id: int
    key: str
    step: str
    remind_at: datetime | None
    due_at: datetime
    next_check_at: datetime | None
    status: str
    tier: int
    reminded: bool
    messages: list[dict[str, Any]] = field(default_factory=list)  # outbox rows, in order
    events: list[dict[str, Any]] = field(default_factory=list)  # referral_event rows
    drop_reminders: bool = False  # drop this deadline's queued, undelivered reminders
    reminders: int = 0
    escalations: int = 0
    dropped_reminders: int = 0

    @classmethod
    def of(cls, d: Deadline) -> Plan:
        assert d.id is not None
        return cls(id=d.id, referral_id=d.referral_id, key=d.key, step=d.step,
                   remind_at=d.remind_at, due_at=d.due_at, next_check_at=d.next_check_at,
                   status=d.status, tier=d.tier, reminded=d.reminded)

    def row(self) -> dict[str, Any]:
        return {"b_id": self.id, "b_status": self.status, "b_next_check_at": self.next_check_at,
                "b_due_at": self.due_at, "b_tier": self.tier, "b_reminded": self.reminded}


_MOVE_ON = (
    update(_DEADLINE)
    .where(_DEADLINE.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status", type_=_DEADLINE.c.status.type),
            next_check_at=bindparam("b_next_check_at", type_=_DEADLINE.c.next_check_at.type),
            due_at=bindparam("b_due_at", type_=_DEADLINE.c.due_at.type),
            tier=bindparam("b_tier", type_=_DEADLINE.c.tier.type),
            reminded=bindparam("b_reminded", type_=_DEADLINE.c.reminded.type))
)


def write(session: Session, plans: Sequence[Plan]) -> None:
    """Store the plans: a handful of statements, whatever their number.

    In the order of the per-deadline path: stale reminders dropped before new
    messages go in; outbox and history rows in plan order, so their ids keep
    each recipient's messages in the order they were decided.
    """
    if not plans:
        return
    lapsed = [p for p in plans if p.drop_reminders]
    for i in range(0, len(lapsed), DROP_CHUNK):
        drop_stale_many(session, lapsed[i:i + DROP_CHUNK])
    enqueue_many(session, [m for p in plans for m in p.messages])
    conn = session.connection()
    events = [e for p in plans for e in p.events]
    if events:
        conn.execute(insert(_EVENT), events)
    conn.execute(_MOVE_ON, [p.row() for p in plans])


def drop_stale_many(session: Session, plans: Sequence[Plan]) -> int:
    """`scheduling.dispatch.drop_stale` for several deadlines in one UPDATE."""
    if not plans:
        return 0
    result = session.exec(
        update(Outbox)
        .where(col(Outbox.referral_id).in_({p.referral_id for p in plans}),
               col(Outbox.status) == "pending",
               or_(*(and_(col(Outbox.referral_id) == p.referral_id,
                          col(Outbox.dedupe_key).startswith(f"rem:{p.id}:", autoescape=True))
                     for p in plans)))
        .values(status="dropped")
    )
    return int(result.rowcount)
