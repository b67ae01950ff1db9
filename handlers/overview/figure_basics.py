"""What every figure shares: the period and scope asked for, werkdagen counted the
way the terms count them, median and p80, the scoping of cases to a period and a
region or gemeente, the terms met per step, and a table of plain values.

* Werkdagen between two dates: the werkdagen after the first day up to and
  including the last (`WorkCalendar.working_days_between`), here through
  `WerkdagCounter`, which answers many pairs from one running count.
* Median: `statistics.median`; p80: nearest rank (the smallest value with at
  least 80 % of the values at or below it).
* On time per step: the step's deadlines (`step:<key>` rows) that ended `met`
  against those that `lapsed`; pending and cancelled ones are not counted.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from scheduling.calendar import WorkCalendar
from scheduling.routes import REFERRAL_ROUTES, Routes
from storage.models import Gemeente
from storage.tables import Deadline, Referral


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive (Amsterdam dates)
    end: date  # last day, inclusive

    def bounds(self, calendar: WorkCalendar) -> tuple[datetime, datetime]:
        tz = calendar.tz
        return (datetime.combine(self.start, time(0), tzinfo=tz),
                datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=tz))


@dataclass(frozen=True)
class Scope:
    period: Period
    region_id: int | None = None
    gemeente_id: int | None = None


class WerkdagCounter:
    """`WorkCalendar.working_days_between` for many pairs: a running count of
    werkdagen per date, so each pair costs two look-ups instead of a count."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self._origin: date | None = None
        self._cum: list[int] = []

    def _index(self, d: date) -> int:
        if self._origin is None:
            self._origin, self._cum = d, [0]
        if d < self._origin:
            days = (self._origin - d).days
            head = [0] * days
            running = 0
            for i in range(days):
                day = d + timedelta(days=i)
                running += 1 if i > 0 and self.calendar.is_working_day(day) else 0
                head[i] = running
            # days after the old origin shift by what the new head adds
            shift = running + (1 if self.calendar.is_working_day(self._origin) else 0)
            self._cum = head + [c + shift for c in self._cum]
            self._origin = d
        i = (d - self._origin).days
        while len(self._cum) <= i:
            day = self._origin + timedelta(days=len(self._cum))
            self._cum.append(self._cum[-1] + (1 if self.calendar.is_working_day(day) else 0))
        return self._cum[i]

    def between(self, start: date, end: date) -> int:
        """Werkdagen in (start, end]; 0 when end <= start."""
        if end <= start:
            return 0
        first = self._index(start)  # may move the origin back: before `end`'s look-up
        return self._index(end) - first


def p80(values: list[int]) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.8 * len(ordered)) - 1)]


def median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def stats(values: list[int]) -> dict[str, Any]:
    return {"n": len(values), "median": median(values), "p80": p80(values)}


def scoped(q: Any, scope: Scope, calendar: WorkCalendar,
            created: Any = None, routes: Any = REFERRAL_ROUTES) -> Any:
    """Referrals started in the period, in the region/gemeente (q must join Referral);
    by default the 301/315 routes' rows only, not the tafel's or the handover's
    (`process_figures` asks for those)."""
    lo, hi = scope.period.bounds(calendar)
    created = col(Referral.created_at) if created is None else created
    q = q.where(created >= lo, created < hi, col(Referral.route).in_(tuple(routes)))
    if scope.gemeente_id is not None:
        q = q.where(col(Referral.gemeente_id) == scope.gemeente_id)
    if scope.region_id is not None:
        q = q.where(col(Gemeente.region_id) == scope.region_id)
    return q


def on_time(session: Session, scope: Scope, calendar: WorkCalendar,
            routes: Routes, processes: bool = False) -> list[dict[str, Any]]:
    """Per route step (in the route model's order): deadlines met vs lapsed; with
    `processes`, the same for the tafel's and the handover's steps instead."""
    models = routes.processes if processes else routes.routes
    met = func.sum(case((col(Deadline.status) == "met", 1), else_=0))
    lapsed = func.sum(case((col(Deadline.status) == "lapsed", 1), else_=0))
    q = (select(col(Referral.route), col(Deadline.key), met, lapsed)
         .join(Referral, col(Referral.id) == Deadline.referral_id)
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
         .where(col(Deadline.status).in_(("met", "lapsed")),
                col(Deadline.key).startswith("step:"))
         .group_by(col(Referral.route), col(Deadline.key)))
    in_scope = scoped(q, scope, calendar, routes=models)
    counts = {(route, key.removeprefix("step:")): (int(m or 0), int(la or 0))
              for route, key, m, la in session.execute(in_scope).all()}
    out = []
    for name, route in models.items():
        for step in route.steps:
            m, la = counts.get((name, step.key), (0, 0))
            if m + la == 0:
                continue
            out.append({"route": name, "route_nl": route.name.nl if processes else name,
                        "route_en": route.name.en if processes else name,
                        "step": step.key, "number": step.number,
                        "title_nl": step.title.nl, "title_en": step.title.en,
                        "met": m, "lapsed": la, "share": m / (m + la)})
    return out


@dataclass
class Table:
    """A figures table as rows of plain values: the CSV download and the CLI print these."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
