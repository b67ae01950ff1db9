"""The figures page and its CSV downloads.

Plain `def` endpoints: Starlette runs them in its threadpool (see bot/web/app.py).
"""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from bot import csv_safe
from bot.web.charts import columns, shares
from bot.web.context import Web
from handlers.overview.figures import Period, Scope, figures, tables
from handlers.overview.visibility import Access
from storage.models import Gemeente, Person

# Periods outside these years are a typo (and 9999-12-31 + 1 day does not exist).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
MONTHS = {
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def default_period(today: date) -> Period:
    """The last twelve months up to today."""
    start = date(today.year - 1, today.month, 1)
    return Period(start, today)


class PeriodError(ValueError):
    """A period the page cannot show; `key` names the sentence that says why."""

    def __init__(self, key: str, value: str = "") -> None:
        super().__init__(key)
        self.key, self.value = key, value


def period_asked(van: str | None, tot: str | None, today: date) -> Period:
    """The period in the query (either end may be left out: the default's end),
    or PeriodError: not a date, outside 2000-2099, or ending before it starts."""
    default = default_period(today)

    def day(value: str | None, fallback: date) -> date:
        if not value:
            return fallback
        try:
            found = date.fromisoformat(value)
        except ValueError:
            raise PeriodError("period_invalid", value[:40]) from None
        if not FIRST_DAY <= found <= LAST_DAY:
            raise PeriodError("period_range", value[:40])
        return found

    start, end = day(van, default.start), day(tot, default.end)
    if end < start:
        raise PeriodError("period_reversed")
    return Period(start, end)


def _today(web: Web) -> date:
    return web.bot.clock().astimezone(web.bot.calendar().tz).date()


def _scope(web: Web, request: Request, region_id: int) -> Scope | None:
    """The period and gemeente asked for; None when the gemeente is outside the region."""
    q = request.query_params
    period = period_asked(q.get("van"), q.get("tot"), _today(web))
    gemeente_id = None
    if q.get("gemeente"):
        raw = q.get("gemeente", "")
        gemeente_id = int(raw) if raw.isdigit() and len(raw) < 10 else -1
        with Session(web.bot.engine) as s:
            gem = s.get(Gemeente, gemeente_id)
        if gem is None or gem.region_id != region_id:
            return None
    return Scope(period, region_id=region_id, gemeente_id=gemeente_id)


def _figures_gate(request: Request) -> tuple[Web, Person, Access, str, Scope] | Response:
    """Signed in, allowed to see figures, asking for their own region and a real
    period: or the page that says why not."""
    web: Web = request.app.state.web
    gate = web.gate(request)
    if isinstance(gate, Response):
        return gate
    person, access, lang = gate
    if not access.sees_figures or access.region_id is None:
        return web.forbidden(person, lang, request.url.path)
    try:
        scope = _scope(web, request, access.region_id)
    except PeriodError as e:
        web.log_access(person.id, request.url.path, 400)
        q = request.query_params
        return web.render("figures", 400, lang=lang, person=person, access=access,
                          error=e.key, error_value=e.value, asked=(q.get("van", ""),
                                                                    q.get("tot", "")),
                          gemeenten=_gemeenten(web, access), gemeente_id=None, data=None,
                          charts=None, query="")
    if scope is None:
        return web.forbidden(person, lang, request.url.path)
    return web, person, access, lang, scope


def _gemeenten(web: Web, access: Access) -> list[Gemeente]:
    with Session(web.bot.engine) as s:
        return list(s.exec(select(Gemeente).where(Gemeente.region_id == access.region_id)
                           .order_by(col(Gemeente.name))).all())


def _month(label: str, lang: str, first: bool) -> str:
    """'2026-06' as 'jun' (and the year under it at the first bar and in January)."""
    year, _, month = label.partition("-")
    name = MONTHS.get(lang, MONTHS["nl"])[int(month) - 1]
    return f"{name}\n{year}" if first or month == "01" else name


def figures_page(request: Request) -> Response:
    gate = _figures_gate(request)
    if isinstance(gate, Response):
        return gate
    web, person, access, lang, scope = gate
    with Session(web.bot.engine) as s:
        data = figures(s, scope, web.bot.calendar(), web.bot.routes, _today(web))
    lt = data["lead_times"]
    charts = {
        "distribution": columns([(b["label"], b["n"]) for b in lt["distribution"]]),
        # The step as the table names it: route, number and title in the reader's language.
        "on_time": shares([(f"{s['route']} · {s['number']} {s['title_' + lang]}", s["share"])
                           for s in data["on_time"]]),
        "trend": columns([(_month(m["month"], lang, i == 0), m["acceptance_median"])
                          for i, m in enumerate(data["per_month"])]),
    }
    web.log_access(person.id, request.url.path, 200)
    query = request.url.query
    return web.render("figures", lang=lang, person=person, access=access, data=data,
                      charts=charts, scope=scope, gemeenten=_gemeenten(web, access),
                      gemeente_id=scope.gemeente_id, error=None,
                      asked=(scope.period.start.isoformat(), scope.period.end.isoformat()),
                      query=f"?{query}" if query else "")


def figures_csv(request: Request) -> Response:
    gate = _figures_gate(request)
    if isinstance(gate, Response):
        return gate
    web, person, access, lang, scope = gate
    name = request.path_params["name"]
    with Session(web.bot.engine) as s:
        table = tables(figures(s, scope, web.bot.calendar(), web.bot.routes,
                               _today(web))).get(name)
    if table is None:
        return web.not_found(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_safe.row(table.columns))
    writer.writerows(csv_safe.row(r) for r in table.rows)
    web.log_access(person.id, request.url.path, 200)
    filename = f"{name}_{scope.period.start}_{scope.period.end}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
