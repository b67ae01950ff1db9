"""Who stands for a party of a referral, in the directory, right now.

One set of rules for the chat handlers (one referral at a time) and the sweep
(a batch at once): `Directory` reads each kind of party for a whole batch of
referrals in one query, and `handlers.referrals.membership.resolve` asks it about one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from storage.models import Organisation, OrgKind, Person, Role, Team, TeamGemeente
from storage.tables import Referral


def is_absent(p: Person, today: date) -> bool:
    return p.absent_until is not None and p.absent_until >= today


# The parties found through the gemeente a referral is in, and through the JB's team.
_GEMEENTE_PARTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "lt_teamleider": (OrgKind.LOKAAL_TEAM, (Role.TEAMLEIDER,)),
    "regionale_contactpersoon": (OrgKind.REGIO, (Role.REGIONALE_CONTACTPERSOON,)),
    "backoffice": (OrgKind.BACKOFFICE, (Role.BACKOFFICE,)),
    "ret": (OrgKind.RET, (Role.MEDEWERKER, Role.GEDRAGSWETENSCHAPPER)),
    # Bouwsteen 4: the region's tafel, the gemeente's aanspreekpersoon for it,
    # and the Raad's people working in the gemeente.
    "jbt_voorzitter": (OrgKind.JBT, (Role.JBT_VOORZITTER,)),
    "jbt_aanspreekpersoon": (OrgKind.GEMEENTE, (Role.JBT_AANSPREEKPERSOON,)),
    "raad": (OrgKind.RAAD, (Role.MEDEWERKER,)),
}
_GI_PARTIES = {"gi_teamleider": Role.TEAMLEIDER,
               "gi_gedragswetenschapper": Role.GEDRAGSWETENSCHAPPER}
_Groups = dict[int, list[Person]]


class Directory:
    """Who stands for each party on a batch of referrals, a query per kind of party.

    The people named on the referrals are read up front (one query); the
    first time a party such as "lt_teamleider" is asked for, its people are
    read for every gemeente (team, organisation) in the batch at once. A
    referral outside the batch still gets an answer, with one more query.
    """

    def __init__(self, session: Session, referrals: Iterable[Referral]) -> None:
        self.s = session
        self.refs = list(referrals)
        pids = {p for r in self.refs
                for p in (r.jb_id, r.lt_id, r.lt_backup_id, r.zorgaanbieder_contact_id) if p}
        self.persons: dict[int, Person | None] = dict.fromkeys(pids)
        if pids:
            for p in session.exec(select(Person).where(col(Person.id).in_(pids))):
                self.persons[p.id or 0] = p
        self._groups: dict[str, _Groups] = {}
        # (referral id, party) -> the absent people a team leader stands in for.
        self.stand_ins: dict[tuple[int, str], list[str]] = {}

    def resolve(self, ref: Referral, party: str, today: date) -> list[Person]:
        """The people who stand for `party` on this referral (absent ones passed over).

        Nobody absent is sent work: when everyone for the party is away (the
        LT worker's koppelgenoot too, or there is none), the present team
        leaders of their teams are told instead, so no deadline lapses unseen.
        """
        people = self._people(ref, party)
        present = [p for p in people if not is_absent(p, today)]
        if party == "lokaal_team" and not present and ref.lt_backup_id:
            backup = self._person(ref.lt_backup_id)
            present = [backup] if backup and not is_absent(backup, today) else []
        if present or not people:
            return present
        leaders = [p for team in dict.fromkeys(p.team_id for p in people)
                   for p in self._group("team_leader", team, self._named_teams,
                                        partial(_team_role, role=Role.TEAMLEIDER))
                   if not is_absent(p, today) and p.id not in {q.id for q in people}]
        self.stand_ins[ref.id or 0, party] = [p.name for p in people]
        return leaders

    def _people(self, ref: Referral, party: str) -> list[Person]:
        if party in ("jeugdbeschermer", "aanmelder", "lokaal_team", "ontvanger", "koppelgenoot"):
            # A tafel case's registering professional and a handover's receiving
            # one stand where a referral's JB and LT worker do.
            pid = {"jeugdbeschermer": ref.jb_id, "aanmelder": ref.jb_id, "lokaal_team": ref.lt_id,
                   "ontvanger": ref.lt_id, "koppelgenoot": ref.lt_backup_id}[party]
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
            # The provider's contact for this referral; without one, the
            # organisation's team leaders (not everyone who works there).
            contact = self._person(ref.zorgaanbieder_contact_id)
            if contact is not None:
                return [contact]
            if not ref.zorgaanbieder_id:
                return []
            return self._group(party, ref.zorgaanbieder_id, self._organisations,
                               partial(_working_for, role=Role.TEAMLEIDER))
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

    def _named_teams(self) -> set[int]:
        return {p.team_id for p in self.persons.values() if p is not None}

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


def _working_for(organisations: set[int], *, role: str) -> Any:
    """The people with `role` in these organisations' teams (the zorgaanbieders)."""
    return (select(Team.organisation_id, Person).join(Team, col(Team.id) == Person.team_id)
            .where(col(Team.organisation_id).in_(organisations), Person.role == role))
