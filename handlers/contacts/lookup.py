"""`wie <gemeente> [rol]`: who to call in a gemeente."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from handlers.contacts.contact_views import TeamView, contacts_of, nobody_present, view_of
from handlers.contacts.directory_cache import TeamPeople, snapshot
from handlers.contacts.lookup_group import group, split_group
from handlers.contacts.matching import search_key, suggestions
from handlers.contacts.tafels import neighbour_names, split_tafel, tafel_view
from handlers.core import Context, Refused, Reply, error
from storage.models import (
    Gemeente,
    GemeenteKey,
    Organisation,
    OrgKind,
    Person,
    Role,
    Team,
    TeamGemeente,
)

# What a user may type after the gemeente to narrow the answer.
ROLE_WORDS: dict[str, tuple[OrgKind, ...]] = {
    "lt": (OrgKind.LOKAAL_TEAM,),
    "lokaalteam": (OrgKind.LOKAAL_TEAM,),
    "wijkteam": (OrgKind.LOKAAL_TEAM,),
    "gi": (OrgKind.GI,),
    "jb": (OrgKind.GI,),
    "vt": (OrgKind.VEILIG_THUIS,),
    "veiligthuis": (OrgKind.VEILIG_THUIS,),
    "raad": (OrgKind.RAAD,),
    "rvdk": (OrgKind.RAAD,),
    "ret": (OrgKind.RET,),
    "backoffice": (OrgKind.BACKOFFICE,),
    "bo": (OrgKind.BACKOFFICE,),
    "za": (OrgKind.ZORGAANBIEDER,),
    "zorgaanbieder": (OrgKind.ZORGAANBIEDER,),
    "regio": (OrgKind.REGIO,),
    "rcp": (OrgKind.REGIO,),
    "gemeente": (OrgKind.GEMEENTE,),
    # The English words (`who Ede region`).
    "region": (OrgKind.REGIO,),
    "municipality": (OrgKind.GEMEENTE,),
    "provider": (OrgKind.ZORGAANBIEDER,),
}
# Words that narrow the answer to roles across every kind of organisation
# (`wie Ede bestuur`: the bestuurders and wethouders for Bouwsteen 6 tier 3).
ROLE_FILTERS: dict[str, tuple[Role, ...]] = {
    "bestuur": (Role.BESTUURDER, Role.WETHOUDER),
    "bestuurder": (Role.BESTUURDER,),
    "wethouder": (Role.WETHOUDER,),
    "leiding": (Role.TEAMLEIDER, Role.MANAGER, Role.DIRECTEUR),
    "gw": (Role.GEDRAGSWETENSCHAPPER,),
    "board": (Role.BESTUURDER, Role.WETHOUDER),
    "managers": (Role.TEAMLEIDER, Role.MANAGER, Role.DIRECTEUR),
}
# The role words as help and refusals list them, per language.
ROLES_NL = ("lt", "gi", "vt", "raad", "ret", "backoffice", "za", "regio", "gemeente",
            "bestuur", "leiding", "gw", "tafel", "alle", "groep")
ROLES_EN = ("lt", "gi", "vt", "raad", "ret", "backoffice", "za", "region", "municipality",
            "board", "managers", "gw", "table", "all", "group")
DEFAULT_KINDS = (OrgKind.LOKAAL_TEAM, OrgKind.GI, OrgKind.REGIO)
ALL_KINDS = tuple(OrgKind)


@dataclass
class GemeenteMatch:
    gemeente: Gemeente | None
    candidates: list[str]  # ambiguous or close names when no single match
    ambiguous: bool = False


def find_gemeente(session: Session, query: str) -> GemeenteMatch:
    key = search_key(query)
    # One round trip for the common case: the key straight to its gemeente(n).
    found = session.exec(
        select(Gemeente).join(GemeenteKey, col(GemeenteKey.gemeente_id) == Gemeente.id)
        .where(GemeenteKey.key == key)
    ).unique().all()
    if len(found) == 1:
        return GemeenteMatch(found[0], [])
    if found:
        return GemeenteMatch(None, sorted(g.name for g in found), ambiguous=True)
    # A miss is the rare path: only now read every key for suggestions.
    rows = session.exec(
        select(GemeenteKey.key, Gemeente.name).join(
            Gemeente, col(Gemeente.id) == GemeenteKey.gemeente_id
        )
    ).all()
    return GemeenteMatch(None, suggestions(key, dict(rows)))


def gemeente_or_refused(session: Session, query: str) -> Gemeente:
    """The one gemeente `query` names; Refused (nothing changed) naming the
    candidates when it names none or several."""
    match = find_gemeente(session, query)
    if match.gemeente is None:
        code = "gemeente_ambiguous" if match.ambiguous else "gemeente_unknown"
        raise Refused(error(code, query=query, suggestions=match.candidates))
    return match.gemeente


def split_role(text: str) -> tuple[str, tuple[OrgKind, ...] | None]:
    """'West Maas en Waal lt' -> ('West Maas en Waal', (LOKAAL_TEAM,))."""
    words = text.split()
    if len(words) >= 2 and words[-1].casefold() in ROLE_WORDS:
        return " ".join(words[:-1]), ROLE_WORDS[words[-1].casefold()]
    if len(words) >= 2 and words[-1].casefold() in ("alle", "all"):
        return " ".join(words[:-1]), ALL_KINDS
    return text, None


def teams_for(session: Session, gemeente_id: int, kinds: tuple[str, ...]) -> list[TeamPeople]:
    """Teams of the given organisation kinds serving a gemeente, with their people."""
    # One round trip: teams, their organisation and people (outer join, so a
    # team without people still shows up as "no contacts yet").
    rows = session.exec(
        select(Team, Organisation, Person)
        .join(TeamGemeente, col(TeamGemeente.team_id) == Team.id)
        .join(Organisation, col(Organisation.id) == Team.organisation_id)
        .outerjoin(Person, col(Person.team_id) == Team.id)
        .where(TeamGemeente.gemeente_id == gemeente_id)
        .where(col(Organisation.kind).in_(kinds))
        .order_by(col(Team.id), col(Person.id))
    ).all()
    by_team: dict[int, TeamPeople] = {}
    for t, o, p in rows:
        tp = by_team.setdefault(t.id or 0, TeamPeople(o.kind, o, t, []))
        if p is not None:
            tp.people.append(p)
    order = {k: i for i, k in enumerate(kinds)}
    return sorted(by_team.values(), key=lambda tp: order.get(tp.kind, 99))


def split_role_filter(text: str) -> tuple[str, tuple[Role, ...] | None]:
    """'Ede bestuur' -> ('Ede', (BESTUURDER, WETHOUDER))."""
    words = text.split()
    if len(words) >= 2 and words[-1].casefold() in ROLE_FILTERS:
        return " ".join(words[:-1]), ROLE_FILTERS[words[-1].casefold()]
    return text, None


def lookup(ctx: Context, text: str) -> Reply:
    query, in_group = split_group(text.strip())
    query, at_tafel = split_tafel(query) if not in_group else (query, False)
    special = in_group or at_tafel
    query, roles = split_role_filter(query) if not special else (query, None)
    kinds: tuple[OrgKind, ...] | None = None
    if roles is not None:
        kinds = ALL_KINDS
    elif not special:
        query, kinds = split_role(query)
    if not query.strip():
        return error("lookup_usage", roles=list(ROLES_NL), roles_en=list(ROLES_EN))
    today = ctx.today()
    snap = snapshot(ctx.engine)
    key = search_key(query)
    found = snap.keys.get(key, [])
    if len(found) != 1 and not found:
        # `wie Ede xyz`: the gemeente is known, the last word is no role.
        head, _, last = query.rpartition(" ")
        if head and len(snap.keys.get(search_key(head), [])) == 1:
            return error("role_unknown", role=last[:40], roles=list(ROLES_NL),
                         roles_en=list(ROLES_EN))
    if len(found) != 1:
        return error(
            "gemeente_ambiguous" if found else "gemeente_unknown",
            query=query,
            suggestions=sorted(g.name for g in found) if found else suggestions(key, snap.names),
        )
    g = found[0]
    if in_group:
        return group(ctx, snap, g, today)
    # Out of date by the region's agreed frequency (its steunstructuur) or the
    # deployment's setting, whichever is stricter.
    steun = snap.steun.get(g.region_id)
    stale_after = min(steun["frequency_days"], ctx.stale_after_days) if steun \
        else ctx.stale_after_days
    common: dict[str, Any] = {"gemeente": g.name, "cbs_code": g.cbs_code,
            "region": snap.regions.get(g.region_id, ""), "stale_after_days": stale_after,
            "steun": steun}
    if at_tafel:
        return Reply("lookup_tafel", common | tafel_view(snap, g, today, stale_after))
    wanted = tuple(kinds or DEFAULT_KINDS)
    order: dict[str, int] = {k: i for i, k in enumerate(wanted)}
    serving = sorted((tp for tp in snap.teams.get(g.id or 0, []) if tp.kind in wanted),
                     key=lambda tp: order[tp.kind])
    teams = [TeamView(tp.kind, tp.organisation.name, tp.team.name,
                      contacts_of(tp, today, stale_after), nobody_present(tp, today))
             for tp in serving]
    if roles is not None:
        for t, tp in zip(teams, serving, strict=True):
            t.contacts = [view_of(p, p.role, today, stale_after)
                          for p in tp.people if p.role in roles]
        teams = [t for t in teams if t.contacts]
    # `alle` shows the tafel as a team; the tafels next to it come with it.
    near = neighbour_names(snap, g) if kinds == ALL_KINDS and roles is None else []
    body: dict[str, Any] = {"teams": teams, "filtered": kinds is not None or roles is not None,
                            "neighbours": near}
    return Reply("lookup", common | body)
