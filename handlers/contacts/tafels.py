"""The Jeugdbeschermingstafel of a gemeente (Bouwsteen 4), and the tafels next to it.

A tafel is an organisation of kind jbt; its team(s) serve the region's
gemeenten. When it is full, the voorzitter looks for room at a neighbouring
tafel: the directory file's `neighbours:` on the tafel (storage.contact_tables.
TafelNeighbour; the look-ups are storage.tafels).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.contacts.contact_views import TeamView, contacts_of, view_of, voorzitters_of
from handlers.contacts.directory_cache import Snapshot
from storage.models import Gemeente, Organisation, OrgKind, Role

TAFEL_WORDS = ("tafel", "table")


def split_tafel(text: str) -> tuple[str, bool]:
    """'Ede tafel' -> ('Ede', True)."""
    words = text.split()
    if len(words) >= 2 and words[-1].casefold() in TAFEL_WORDS:
        return " ".join(words[:-1]), True
    return text, False


def tafel_view(snap: Snapshot, g: Gemeente, today: date, stale_after: int) -> dict[str, Any]:
    """`wie <gemeente> tafel`: the region's tafel(s) with their voorzitters, the
    Raad medewerkers serving the gemeente, the voorzitter's eerste
    aanspreekpersoon at the gemeente, and the neighbouring tafels that may have room."""
    serving = snap.teams.get(g.id or 0, [])
    tafels = [tp for tp in serving if tp.kind == OrgKind.JBT]
    own = {tp.organisation.id for tp in tafels}
    raad = []
    for tp in serving:
        if tp.kind == OrgKind.RAAD:
            workers = [view_of(p, p.role, today, stale_after) for p in tp.people
                       if p.role == Role.MEDEWERKER]
            raad.append(TeamView(tp.kind, tp.organisation.name, tp.team.name,
                                 workers or contacts_of(tp, today, stale_after)))
    aanspreek = [TeamView(tp.kind, tp.organisation.name, tp.team.name,
                          [view_of(p, p.role, today, stale_after) for p in tp.people
                           if p.role == Role.JBT_AANSPREEKPERSOON])
                 for tp in serving if tp.kind == OrgKind.GEMEENTE]
    others: dict[int, Organisation] = {}
    for oid in sorted(i or 0 for i in own):
        for o in snap.neighbours.get(oid, []):
            if o.id not in own and o.kind == OrgKind.JBT:
                others.setdefault(o.id or 0, o)
    neighbours = []
    for o in sorted(others.values(), key=lambda o: (o.name, o.id or 0)):
        teams = snap.org_teams.get(o.id or 0, [])
        neighbours += [TeamView(o.kind, o.name, tp.team.name,
                                voorzitters_of(tp.people, today, stale_after)) for tp in teams]
        if not teams:
            neighbours.append(TeamView(o.kind, o.name, o.name, []))
    return {
        "tafels": [TeamView(tp.kind, tp.organisation.name, tp.team.name,
                            voorzitters_of(tp.people, today, stale_after)) for tp in tafels],
        "raad": raad,
        "aanspreekpersonen": [t for t in aanspreek if t.contacts],
        "neighbours": neighbours,
    }


def neighbour_names(snap: Snapshot, g: Gemeente) -> list[str]:
    """The names of the tafels next to this gemeente's own (for `wie <gemeente> alle`)."""
    own = {tp.organisation.id for tp in snap.teams.get(g.id or 0, []) if tp.kind == OrgKind.JBT}
    names = {o.name for oid in own for o in snap.neighbours.get(oid or 0, [])
             if o.id not in own and o.kind == OrgKind.JBT}
    return sorted(names)
