"""The figures page and its CSV downloads."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from bot.web.charts import columns, shares
from bot.web.context import Web
from handlers.overview.figures import Period, Scope, figures, tables
from handlers.overview.visibility import Access
from storage.models import Gemeente, Person


def default_period(today: date) -> Period:
    """The last twelve months up to today."""
    start = date(today.year - 1, today.month, 1)
    return Period(start, today)


def _date(value: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(value) if value else fallback
    except ValueError:
        return fallback


def _scope(web: Web, request: Request, region_id: int) -> Scope | None:
    """The period and gemeente asked for; None when the gemeente is outside the region."""
    q = request.query_params
    today = web.bot.clock().astimezone(web.bot.calendar().tz).date()
    default = default_period(today)
    start, end = _date(q.get("van"), default.start), _date(q.get("tot"), default.end)
    if end < start:
        start, end = end, start
    gemeente_id = None
    if q.get("gemeente"):
        raw = q.get("gemeente", "")
        gemeente_id = int(raw) if raw.isdigit() and len(raw) < 10 else -1
        with Session(web.bot.engine) as s:
            gem = s.get(Gemeente, gemeente_id)
        if gem is None or gem.region_id != region_id:
            return None
    return Scope(Period(start, end), region_id=region_id, gemeente_id=gemeente_id)


def _figures_gate(request: Request) -> tuple[Web, Person, Access, str, Scope] | Response:
    """Signed in, allowed to see figures, asking for their own region: or the
    page that says why not."""
    web: Web = request.app.state.web
    gate = web.gate(request)
    if isinstance(gate, Response):
        return gate
    person, access, lang = gate
    if not access.sees_figures or access.region_id is None:
        return web.forbidden(person, lang, request.url.path)
    scope = _scope(web, request, access.region_id)
    if scope is None:
        return web.forbidden(person, lang, request.url.path)
    return web, person, access, lang, scope


async def figures_page(request: Request) -> Response:
    gate = _figures_gate(request)
    if isinstance(gate, Response):
        return gate
    web, person, access, lang, scope = gate
    with Session(web.bot.engine) as s:
        data = figures(s, scope, web.bot.calendar(), web.bot.routes)
        from sqlmodel import col, select

        gemeenten = s.exec(select(Gemeente).where(Gemeente.region_id == access.region_id)
                           .order_by(col(Gemeente.name))).all()
    lt = data["lead_times"]
    charts = {
        "distribution": columns([(b["label"], b["n"]) for b in lt["distribution"]]),
        "on_time": shares([(f"{s['route']} · {s['number']} {s['step']}", s["share"])
                           for s in data["on_time"]]),
        "trend": columns([(m["month"], m["acceptance_median"])
                          for m in data["per_month"]]),
    }
    web.log_access(person.id, request.url.path, 200)
    query = request.url.query
    return web.render("figures", lang=lang, person=person, access=access, data=data,
                      charts=charts, scope=scope, gemeenten=gemeenten,
                      query=f"?{query}" if query else "")


async def figures_csv(request: Request) -> Response:
    gate = _figures_gate(request)
    if isinstance(gate, Response):
        return gate
    web, person, access, lang, scope = gate
    name = request.path_params["name"]
    with Session(web.bot.engine) as s:
        table = tables(figures(s, scope, web.bot.calendar(), web.bot.routes)).get(name)
    if table is None:
        return web.render("message", 404, lang=lang, key="not_found", person=person)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    web.log_access(person.id, request.url.path, 200)
    filename = f"{name}_{scope.period.start}_{scope.period.end}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
