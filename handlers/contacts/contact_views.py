"""One person or team of the directory as `wie` shows it: who to call first, their
koppelgenoot, and how fresh each entry is. Shared by the lookup and the group view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from handlers.contacts.directory_cache import TeamPeople
from scheduling.party_directory import is_absent
from storage.models import OrgKind, Person, Role

ROLE_ORDER = [
    Role.MEDEWERKER,
    Role.TEAMLEIDER,
    Role.REGIONALE_CONTACTPERSOON,
    Role.BACKOFFICE,
    Role.GEDRAGSWETENSCHAPPER,
    Role.CONTACTBEHEERDER,
    Role.MANAGER,
    Role.DIRECTEUR,
    Role.BESTUURDER,
    Role.WETHOUDER,
    Role.BELEIDSMEDEWERKER,
    Role.REGIONAAL_ADVISEUR,
    Role.JBT_VOORZITTER,
    Role.JBT_AANSPREEKPERSOON,
]
_RANK = {r.value: i for i, r in enumerate(ROLE_ORDER)}


@dataclass
class ContactView:
    name: str
    role: str
    email: str
    phone: str | None
    label: str  # "contact", "koppelgenoot", "vervanger", or the role
    verified_on: date | None
    age_days: int | None
    stale: bool
    absent_until: date | None


@dataclass
class TeamView:
    kind: str
    organisation: str
    team: str
    contacts: list[ContactView] = field(default_factory=list)
    # A lokaal team whose medewerkers are all absent: new work reaches no one
    # but the team leader (`scheduling.party_directory`), so `wie` says so.
    nobody_present: bool = False


def nobody_present(tp: TeamPeople, today: date) -> bool:
    if tp.kind != OrgKind.LOKAAL_TEAM:
        return False
    workers = [p for p in tp.people if p.role == Role.MEDEWERKER]
    return bool(workers) and all(is_absent(p, today) for p in workers)


def pick_contact(people: list[Person], today: date, role: str = Role.MEDEWERKER,
                 ) -> tuple[Person | None, Person | None, bool]:
    """(who to call, their koppelgenoot, whether the two were swapped).

    The first medewerker (or person of `role`: a tafel's voorzitter) on the
    list is the contact and their koppelgenoot the backup. When the contact is
    absent and the koppelgenoot is not, the koppelgenoot comes first, so the
    caller never starts with a dead end.
    """
    workers = [p for p in people if p.role == role]
    if not workers:
        return None, None, False
    first = workers[0]
    by_id = {p.id: p for p in people}
    backup = by_id.get(first.koppelgenoot_id) if first.koppelgenoot_id else None
    if backup is None and len(workers) > 1:
        backup = workers[1]
    if backup is not None and is_absent(first, today) and not is_absent(backup, today):
        return backup, first, True
    return first, backup, False


def view_of(p: Person, label: str, today: date, stale_after: int) -> ContactView:
    age = (today - p.verified_on).days if p.verified_on else None
    return ContactView(
        name=p.name,
        role=p.role,
        email=p.email,
        phone=p.phone,
        label=label,
        verified_on=p.verified_on,
        age_days=age,
        stale=age is None or age > stale_after,
        absent_until=p.absent_until if is_absent(p, today) else None,
    )


def contacts_of(tp: TeamPeople, today: date, stale_after: int) -> list[ContactView]:
    if tp.kind == OrgKind.LOKAAL_TEAM:
        contact, backup, swapped = pick_contact(tp.people, today)
        labels = ("vervanger", "contact") if swapped else ("contact", "koppelgenoot")
        out = [
            view_of(p, label, today, stale_after)
            for p, label in zip((contact, backup), labels, strict=True)
            if p is not None
        ]
        leaders = [p for p in tp.people if p.role == Role.TEAMLEIDER]
        return out + [view_of(p, p.role, today, stale_after) for p in leaders]
    if tp.kind == OrgKind.JBT:
        return voorzitters_of(tp.people, today, stale_after)
    # Outside the lokaal team, lead with the people who coordinate.
    ranked = sorted(tp.people, key=lambda p: _RANK.get(p.role, len(_RANK)))
    leads = [p for p in ranked if p.role != Role.MEDEWERKER] or ranked[:2]
    return [view_of(p, p.role, today, stale_after) for p in leads]


def voorzitters_of(people: list[Person], today: date, stale_after: int) -> list[ContactView]:
    """A tafel's voorzitters: the first and their koppelgenoot (swapped when the
    first is away), then any others."""
    first, backup, swapped = pick_contact(people, today, Role.JBT_VOORZITTER)
    labels = ("vervanger", Role.JBT_VOORZITTER.value) if swapped \
        else (Role.JBT_VOORZITTER.value, "koppelgenoot")
    out = [view_of(p, label, today, stale_after)
           for p, label in zip((first, backup), labels, strict=True) if p is not None]
    shown = {id(p) for p in (first, backup)}
    return out + [view_of(p, p.role, today, stale_after) for p in people
                  if p.role == Role.JBT_VOORZITTER and id(p) not in shown]
