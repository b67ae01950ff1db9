"""`wie <gemeente> groep`, and the region's steunstructuur under every `wie`.

The group is Bouwsteen 2's "vaste groep professionals": the people of the
lokaal team, the GI, the Raad and Veilig Thuis working in that gemeente, who
should know each other, each with how fresh their entry is.
"""

from __future__ import annotations

from datetime import date

from handlers.contacts.contact_views import TeamView, view_of
from handlers.contacts.directory_cache import Snapshot
from handlers.core import Context, Reply
from storage.models import Gemeente, OrgKind, Role

GROUP_WORDS = ("groep", "group")
GROUP_KINDS = (OrgKind.LOKAAL_TEAM, OrgKind.GI, OrgKind.RAAD, OrgKind.VEILIG_THUIS)
# Who is in the group: the professionals, not the list's own keepers.
GROUP_ROLES = (Role.MEDEWERKER, Role.TEAMLEIDER, Role.GEDRAGSWETENSCHAPPER)


def split_group(text: str) -> tuple[str, bool]:
    words = text.split()
    if len(words) >= 2 and words[-1].casefold() in GROUP_WORDS:
        return " ".join(words[:-1]), True
    return text, False


def group(ctx: Context, snap: Snapshot, g: Gemeente, today: date) -> Reply:
    order: dict[str, int] = {k.value: i for i, k in enumerate(GROUP_KINDS)}
    serving = sorted((tp for tp in snap.teams.get(g.id or 0, []) if tp.kind in order),
                     key=lambda tp: order[tp.kind])
    steun = snap.steun.get(g.region_id)
    stale_after = min(steun["frequency_days"], ctx.stale_after_days) if steun \
        else ctx.stale_after_days
    teams = [TeamView(tp.kind, tp.organisation.name, tp.team.name,
                      [view_of(p, p.role, today, stale_after) for p in tp.people
                       if p.role in GROUP_ROLES]) for tp in serving]
    return Reply("lookup_group", {
        "gemeente": g.name, "cbs_code": g.cbs_code, "region": snap.regions.get(g.region_id, ""),
        "teams": teams, "steun": steun, "stale_after_days": stale_after,
        "people": sum(len(t.contacts) for t in teams),
        "stale": sum(1 for t in teams for c in t.contacts if c.stale),
    })
