"""The open-referral list and a referral's timeline.

Plain `def` endpoints: Starlette runs them in its threadpool (see bot/web/app.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response

from bot.web.context import Web
from bot.web.text import ACTIONS
from handlers.overview.visibility import (
    Filters,
    current_due,
    gemeenten_in_view,
    may_see,
    open_referrals,
    step_choices,
    step_groups,
)
from handlers.referrals.membership import gemeente_name
from handlers.referrals.report import lead_times, timeline
from storage.tables import Referral

REF_RE = re.compile(r"^(KB|JT|OV)-(\d{1,8})$")  # a referral, a tafel case, a handover


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _shown(iso: str | None) -> str:
    """'2026-11-20T10:00+01:00' (already Amsterdam time) as 20-11-2026 10:00."""
    return datetime.fromisoformat(iso).strftime("%d-%m-%Y %H:%M") if iso else "…"


def _filters(q: Any, steps: list[dict[str, Any]], routes: list[str]) -> Filters:
    """The filters asked for; anything unknown is ignored. A step is `route:key`
    (the step filter is grouped per route); a bare key still works."""
    route = q.get("route") if q.get("route") in routes else None
    step_route, _, key = (q.get("stap") or "").rpartition(":")
    pairs = {(s["route"], s["key"]) for s in steps}
    step = None
    if step_route and (step_route, key) in pairs and route in (None, step_route):
        step, route = key, step_route
    elif not step_route and key in {k for _, k in pairs}:
        step = key
    party = q.get("partij") if q.get("partij") in {s["actor"] for s in steps} else None
    return Filters(_int(q.get("gemeente")), route, step, party)


def overview(request: Request) -> Response:
    web: Web = request.app.state.web
    gate = web.gate(request)
    if isinstance(gate, Response):
        return gate
    person, access, lang = gate
    routes = web.bot.routes
    steps = step_choices(routes)
    every: list[str] = [*routes.routes, *routes.processes]
    filters = _filters(request.query_params, steps, every)
    now = web.bot.clock()
    with Session(web.bot.engine) as s:
        rows, total = open_referrals(s, access, routes, now, filters)
        gemeenten = gemeenten_in_view(s, access)
    web.log_access(person.id, request.url.path, 200)
    return web.render(
        "overview", lang=lang, person=person, access=access, rows=rows, total=total,
        filters=filters, gemeenten=gemeenten, routes=every,
        step_groups=step_groups(routes), parties=sorted({s["actor"] for s in steps}),
        tz=web.bot.calendar().tz, now=now)


def timeline_page(request: Request) -> Response:
    web: Web = request.app.state.web
    gate = web.gate(request)
    if isinstance(gate, Response):
        return gate
    person, access, lang = gate
    m = REF_RE.match(request.path_params["ref"].upper())
    if m is None:
        return web.forbidden(person, lang, request.url.path)
    now = web.bot.clock()
    with Session(web.bot.engine) as s:
        ref = s.exec(select(Referral).where(Referral.id == int(m.group(2)))).first()
        if ref is not None and ref.route not in web.bot.routes.by_prefix(m.group(1)):
            ref = None  # /verwijzing/KB-0004 names no tafel case JT-0004
        if ref is None or ref.id is None or not may_see(s, access, ref.id):
            # Unknown and not-yours look the same: no probing for references.
            return web.forbidden(person, lang, request.url.path, ref.id if ref else None)
        events = timeline(s, ref)
        steps = lead_times(s, ref, web.bot.calendar(), now)
        gemeente = gemeente_name(s, ref)
        due_at = current_due(s, ref)
    for e in events:
        e["shown"] = _shown(e["at"])
        # Reminders and escalations name who was told (the sweep records their names).
        e["to"] = [str(n) for n in (e["detail"] or {}).get("recipients") or []]
    for st in steps:
        st["entered_shown"], st["left_shown"] = _shown(st["entered"]), _shown(st["left"])
    titles = {(c["route"], c["key"]): c for c in step_choices(web.bot.routes)}
    web.log_access(person.id, request.url.path, 200, ref.id)
    return web.render("timeline", lang=lang, person=person, access=access, ref=ref,
                      gemeente=gemeente, events=events, steps=steps, titles=titles,
                      actions=ACTIONS.get(lang, ACTIONS["nl"]), due_at=due_at,
                      lapsed=due_at is not None and due_at < now,
                      tz=web.bot.calendar().tz)
