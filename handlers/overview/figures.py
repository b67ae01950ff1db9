"""Figures for the region: "tijd tot de juiste hulp", terms met, RET, step 6, the escalation model.

Counted over the referrals *started* (created) in a period, optionally in one
region or gemeente. Grouping and counting happen in SQL; only the lead times
go through Python, because werkdagen need the Atw calendar:

* Lead time start -> acceptance ("hulp tijdig geboden", the first `acceptatie`
  event) and start -> care start (the first `zorg_gestart` event), in
  werkdagen: the werkdagen after the start day up to and including the end day
  (`WorkCalendar.working_days_between`, the same counting as the terms).
* Withdrawn referrals (status `withdrawn`) are left out of the lead times and
  counted under withdrawals. Referrals not yet accepted (or without care start)
  are left out of that lead time and counted as still waiting (`waiting`).
* Median: `statistics.median`; p80: nearest rank (the smallest value with at
  least 80 % of the values at or below it).
* On time per step: the step's deadlines (`step:<key>` rows) that ended `met`
  against those that `lapsed`; pending and cancelled ones are not counted.
* Step-1 contact problems: referrals whose first step's deadline lapsed.
* Escalation-model cases: by situation and highest tier; duration in werkdagen
  from start to closing for the closed ones. No report text is ever read.
* The tafel and the handover (`process_figures`), apart from the referrals:
  registrations, the wait until the date set at `gepland` in calendar days (the
  seed counts that wait in weeks), planned within the term or not (a late date,
  or the term lapsed without one), the four outcomes, verslag, reactions and
  evaluation moments; the handover's joint conversation in werkdagen from its
  start, its agreements and the family's involvement; their terms met per step.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from scheduling.calendar import WorkCalendar
from scheduling.routes import REFERRAL_ROUTES, Routes
from storage.models import Gemeente, Region
from storage.tables import Deadline, ModelEscalation, Referral, ReferralEvent

BUCKETS = ((0, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, None))


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


def _stats(values: list[int]) -> dict[str, Any]:
    return {"n": len(values), "median": median(values), "p80": p80(values)}


def _scoped(q: Any, scope: Scope, calendar: WorkCalendar,
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


def lead_time_rows(session: Session, scope: Scope,
                   calendar: WorkCalendar) -> list[dict[str, Any]]:
    """One row per referral started in scope: start, acceptance, care start (instants)."""
    ev = ReferralEvent.__table__.c  # type: ignore[attr-defined]
    accepted = func.min(case((ev.action == "acceptatie", ev.at)))
    care = func.min(case((ev.action == "zorg_gestart", ev.at)))
    q = (select(col(Referral.id), col(Referral.created_at), col(Referral.status),
                col(Gemeente.name), accepted, care)
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
         .outerjoin(ReferralEvent.__table__, and_(  # type: ignore[attr-defined]
             ev.referral_id == Referral.id, ev.action.in_(("acceptatie", "zorg_gestart"))))
         .group_by(col(Referral.id), col(Referral.created_at), col(Referral.status),
                   col(Gemeente.name)))
    rows = session.execute(_scoped(q, scope, calendar)).all()
    tz = calendar.tz
    counter = WerkdagCounter(calendar)

    def days(a: datetime, b: datetime | None) -> int | None:
        if b is None:
            return None
        return counter.between(a.astimezone(tz).date(), b.astimezone(tz).date())

    return [{"id": rid, "start": start, "status": status, "gemeente": gem,
             "acceptance": days(start, acc), "care": days(start, cs)}
            for rid, start, status, gem, acc, cs in rows]


def lead_times(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and p80 of both lead times over `lead_time_rows`, as documented above."""
    counted = [r for r in rows if r["status"] != "withdrawn"]
    acc = [r["acceptance"] for r in counted if r["acceptance"] is not None]
    care = [r["care"] for r in counted if r["care"] is not None]
    return {
        "started": len(rows),
        "withdrawn": len(rows) - len(counted),
        "acceptance": _stats(acc) | {"waiting": len(counted) - len(acc)},
        "care": _stats(care) | {"waiting": len(counted) - len(care)},
        "distribution": distribution(acc),
    }


def distribution(values: list[int]) -> list[dict[str, Any]]:
    out = []
    for lo, hi in BUCKETS:
        n = sum(1 for v in values if v >= lo and (hi is None or v <= hi))
        out.append({"label": f"{lo}-{hi}" if hi is not None else f">{lo - 1}", "n": n})
    return out


def per_gemeente(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["gemeente"]].append(r)
    out = []
    for name in sorted(groups):
        lt = lead_times(groups[name])
        out.append({"gemeente": name, "started": lt["started"], "withdrawn": lt["withdrawn"],
                    "acceptance_median": lt["acceptance"]["median"],
                    "acceptance_p80": lt["acceptance"]["p80"],
                    "care_median": lt["care"]["median"], "care_p80": lt["care"]["p80"]})
    return out


def per_month(rows: list[dict[str, Any]], calendar: WorkCalendar) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["start"].astimezone(calendar.tz).strftime("%Y-%m")].append(r)
    out = []
    for month in sorted(groups):
        lt = lead_times(groups[month])
        out.append({"month": month, "started": lt["started"],
                    "acceptance_median": lt["acceptance"]["median"],
                    "care_median": lt["care"]["median"]})
    return out


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
    scoped = _scoped(q, scope, calendar, routes=models)
    counts = {(route, key.removeprefix("step:")): (int(m or 0), int(la or 0))
              for route, key, m, la in session.execute(scoped).all()}
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


def chain_use(session: Session, scope: Scope, calendar: WorkCalendar,
              routes: Routes) -> dict[str, int]:
    """Step-1 contact problems, RET and step-6 use, withdrawals: referrals counted once."""
    ev = ReferralEvent.__table__.c  # type: ignore[attr-defined]
    out: dict[str, int] = {}
    for key, action in (("ret", "ret"), ("step6", "stap6"), ("bestuurlijk", "bestuurlijk")):
        q = (select(func.count(func.distinct(ev.referral_id)))
             .select_from(ReferralEvent.__table__)  # type: ignore[attr-defined]
             .join(Referral, col(Referral.id) == ev.referral_id)
             .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
             .where(ev.action == action))
        out[key] = int(session.execute(_scoped(q, scope, calendar)).scalar_one())
    first_keys = [f"step:{r.steps[0].key}" for r in routes.routes.values()]
    q = (select(func.count(func.distinct(col(Deadline.referral_id))))
         .join(Referral, col(Referral.id) == Deadline.referral_id)
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
         .where(col(Deadline.key).in_(first_keys), col(Deadline.status) == "lapsed"))
    out["contact_problems"] = int(session.execute(_scoped(q, scope, calendar)).scalar_one())
    q = (select(func.count()).select_from(Referral)
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
         .where(col(Referral.status) == "withdrawn"))
    out["withdrawn"] = int(session.execute(_scoped(q, scope, calendar)).scalar_one())
    return out


def escalation_model(session: Session, scope: Scope,
                     calendar: WorkCalendar) -> dict[str, Any]:
    """Escalation-model cases started in the period: by situation and highest tier."""
    created = col(ModelEscalation.created_at)
    q = (select(col(ModelEscalation.situation), col(ModelEscalation.tier),
                col(ModelEscalation.status), func.count())
         .select_from(ModelEscalation)
         .outerjoin(Gemeente, col(Gemeente.id) == ModelEscalation.gemeente_id)
         .group_by(col(ModelEscalation.situation), col(ModelEscalation.tier),
                   col(ModelEscalation.status)))
    q = _scoped_model(q, scope, calendar, created)
    by: dict[str, Counter[str]] = defaultdict(Counter)
    for situation, tier, status, n in session.execute(q).all():
        by[situation][f"tier{tier}"] += n
        by[situation][status] += n
        by[situation]["total"] += n
    dq = (select(col(ModelEscalation.situation), created, col(ModelEscalation.closed_at))
          .select_from(ModelEscalation)
          .outerjoin(Gemeente, col(Gemeente.id) == ModelEscalation.gemeente_id)
          .where(col(ModelEscalation.closed_at).is_not(None)))
    durations: dict[str, list[int]] = defaultdict(list)
    tz = calendar.tz
    for situation, start, end in session.execute(_scoped_model(dq, scope, calendar, created)):
        durations[situation].append(calendar.working_days_between(
            start.astimezone(tz).date(), end.astimezone(tz).date()))
    rows = []
    for situation in sorted(by):
        c = by[situation]
        d = durations.get(situation, [])
        rows.append({"situation": situation, "total": c["total"], "open": c["open"],
                     "closed": c["closed"], **{f"tier{t}": c[f"tier{t}"] for t in range(4)},
                     "duration_median": median(d), "duration_p80": p80(d)})
    return {"rows": rows, "total": sum(r["total"] for r in rows)}


def _scoped_model(q: Any, scope: Scope, calendar: WorkCalendar,
                  created: Any) -> Any:
    lo, hi = scope.period.bounds(calendar)
    q = q.where(created >= lo, created < hi)
    if scope.gemeente_id is not None:
        q = q.where(col(ModelEscalation.gemeente_id) == scope.gemeente_id)
    if scope.region_id is not None:
        q = q.where(col(Gemeente.region_id) == scope.region_id)
    return q


def _process_cases(session: Session, scope: Scope, calendar: WorkCalendar,
                   names: list[str]) -> dict[int, dict[str, Any]]:
    """The cases of these processes started in scope, each with its events' actions
    and details in order (few rows: a tafel case has a handful of events)."""
    q = (select(col(Referral.id), col(Referral.created_at), col(Referral.status))
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id))
    cases = {rid: {"start": start, "status": status, "events": []}
             for rid, start, status in session.execute(
                 _scoped(q, scope, calendar, routes=names)).all()}
    if cases:
        ev = ReferralEvent.__table__.c  # type: ignore[attr-defined]
        rows = session.execute(select(ev.referral_id, ev.action, ev.at, ev.detail)
                               .where(ev.referral_id.in_(list(cases)))
                               .order_by(ev.at, ev.id)).all()
        for rid, action, at, detail in rows:
            cases[rid]["events"].append((action, at, detail or {}))
    return cases


def _last(case: dict[str, Any], action: str) -> tuple[datetime, dict[str, Any]] | None:
    found = [(at, d) for a, at, d in case["events"] if a == action]
    return found[-1] if found else None


def _tafel_figures(cases: dict[int, dict[str, Any]], calendar: WorkCalendar,
                   lapsed_unplanned: set[int]) -> dict[str, Any]:
    """Bouwsteen 4: registrations, the wait until the tafel in calendar days (the seed
    speaks of "anderhalve week à twee weken"), planned within the term or not, the
    four outcomes, the verslag, reactions and evaluation moments."""
    tz = calendar.tz
    counted = {rid: c for rid, c in cases.items() if c["status"] != "withdrawn"}
    wait: list[int] = []
    within = late = 0
    outcomes = dict.fromkeys(("1", "2", "3", "4"), 0)
    for rid, c in counted.items():
        planned = _last(c, "tafel_gepland")
        if planned is not None:
            on = date.fromisoformat(planned[1]["datum"])
            wait.append((on - c["start"].astimezone(tz).date()).days)
            if planned[1].get("te_laat"):
                late += 1
            else:
                within += 1
        elif rid in lapsed_unplanned:
            late += 1
        decided = _last(c, "tafel_uitkomst")
        if decided is not None and decided[1].get("uitkomst") in outcomes:
            outcomes[decided[1]["uitkomst"]] += 1

    def having(action: str) -> int:
        return sum(1 for c in counted.values() if _last(c, action) is not None)

    ots_end = sum(1 for c in cases.values()
                  if (a := _last(c, "tafel_aangemeld")) and a[1].get("ots_einde"))
    return {"registered": len(cases), "withdrawn": len(cases) - len(counted),
            "ots_end": ots_end,
            "wait": _stats(wait) | {"waiting": len(counted) - len(wait)},
            "within_term": within, "late": late, "outcomes": outcomes,
            "raad": outcomes["3"] + outcomes["4"], "verslag": having("tafel_verslag"),
            "reactie": having("tafel_reactie"), "evaluatie": having("tafel_evaluatie")}


def _handover_figures(cases: dict[int, dict[str, Any]],
                      counter: WerkdagCounter) -> dict[str, Any]:
    """The warm handover: started, the joint conversation in werkdagen from the
    start, the agreements recorded, and whether the family was involved."""
    tz = counter.calendar.tz
    counted = [c for c in cases.values() if c["status"] != "withdrawn"]
    talk: list[int] = []
    family = dict.fromkeys(("ja", "nee", "later"), 0)
    agreed = 0
    for c in counted:
        held = _last(c, "ov_gesprek")
        if held is not None:
            talk.append(counter.between(c["start"].astimezone(tz).date(),
                                        held[0].astimezone(tz).date()))
        if _last(c, "ov_afspraken") is not None:
            agreed += 1
        answer = _last(c, "ov_gezin")
        if answer is not None and answer[1].get("antwoord") in family:
            family[answer[1]["antwoord"]] += 1
    return {"started": len(cases), "withdrawn": len(cases) - len(counted),
            "talk": _stats(talk) | {"waiting": len(counted) - len(talk)},
            "agreements": agreed, "family": family,
            "family_unknown": len(counted) - sum(family.values())}


def process_figures(session: Session, scope: Scope, calendar: WorkCalendar,
                    routes: Routes) -> dict[str, Any]:
    """The tafel's and the handover's figures, by the kind of process (a region may
    name its processes otherwise), and their terms met per step."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    first_keys = []
    for name, process in routes.processes.items():
        by_kind[process.kind].append(name)
        if process.kind == "tafel":
            first_keys.append(f"step:{process.steps[0].key}")
    tafel_cases = _process_cases(session, scope, calendar, by_kind["tafel"])
    lapsed: set[int] = set()
    if tafel_cases:
        lapsed = set(session.execute(
            select(col(Deadline.referral_id))
            .where(col(Deadline.referral_id).in_(list(tafel_cases)),
                   col(Deadline.key).in_(first_keys), col(Deadline.status) == "lapsed")
        ).scalars())
    return {
        "tafel": _tafel_figures(tafel_cases, calendar, lapsed),
        "handover": _handover_figures(
            _process_cases(session, scope, calendar, by_kind["overdracht"]),
            WerkdagCounter(calendar)),
        "on_time": on_time(session, scope, calendar, routes, processes=True),
    }


def figures(session: Session, scope: Scope, calendar: WorkCalendar,
            routes: Routes) -> dict[str, Any]:
    """Everything the figures page, the monthly digest and `ketenbot report` show."""
    rows = lead_time_rows(session, scope, calendar)
    region = session.get(Region, scope.region_id) if scope.region_id else None
    gemeente = session.get(Gemeente, scope.gemeente_id) if scope.gemeente_id else None
    return {
        "period": {"start": scope.period.start.isoformat(), "end": scope.period.end.isoformat()},
        "region": region.name if region else None,
        "gemeente": gemeente.name if gemeente else None,
        "lead_times": lead_times(rows),
        "per_gemeente": per_gemeente(rows),
        "per_month": per_month(rows, calendar),
        "on_time": on_time(session, scope, calendar, routes),
        "use": chain_use(session, scope, calendar, routes),
        "model": escalation_model(session, scope, calendar),
        "processes": process_figures(session, scope, calendar, routes),
    }


@dataclass
class Table:
    """A figures table as rows of plain values: the CSV download and the CLI print these."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def tables(data: dict[str, Any]) -> dict[str, Table]:
    lt = data["lead_times"]
    lead = Table(["maat", "n", "mediaan_werkdagen", "p80_werkdagen", "wachtend"])
    for key in ("acceptance", "care"):
        s = lt[key]
        lead.rows.append([key, s["n"], s["median"], s["p80"], s["waiting"]])
    gem = Table(["gemeente", "gestart", "ingetrokken", "acceptatie_mediaan", "acceptatie_p80",
                 "zorgstart_mediaan", "zorgstart_p80"])
    gem.rows = [[g["gemeente"], g["started"], g["withdrawn"], g["acceptance_median"],
                 g["acceptance_p80"], g["care_median"], g["care_p80"]]
                for g in data["per_gemeente"]]
    steps = Table(["route", "stap", "nummer", "binnen_termijn", "verlopen", "aandeel"])
    steps.rows = [[s["route"], s["step"], s["number"], s["met"], s["lapsed"],
                   round(s["share"], 3)] for s in data["on_time"]]
    month = Table(["maand", "gestart", "acceptatie_mediaan", "zorgstart_mediaan"])
    month.rows = [[m["month"], m["started"], m["acceptance_median"], m["care_median"]]
                  for m in data["per_month"]]
    use = Table(["maat", "aantal"], [[k, v] for k, v in data["use"].items()])
    model = Table(["situatie", "totaal", "open", "gesloten", "trede0", "trede1", "trede2",
                   "trede3", "duur_mediaan", "duur_p80"])
    model.rows = [[r["situation"], r["total"], r["open"], r["closed"], r["tier0"], r["tier1"],
                   r["tier2"], r["tier3"], r["duration_median"], r["duration_p80"]]
                  for r in data["model"]["rows"]]
    tf, ho = data["processes"]["tafel"], data["processes"]["handover"]
    tafel = Table(["maat", "aantal"], [
        ["tafel_aangemeld", tf["registered"]], ["tafel_ots_einde", tf["ots_end"]],
        ["tafel_ingetrokken", tf["withdrawn"]],
        ["tafel_wachttijd_mediaan_kalenderdagen", tf["wait"]["median"]],
        ["tafel_wachttijd_p80_kalenderdagen", tf["wait"]["p80"]],
        ["tafel_binnen_twee_weken", tf["within_term"]], ["tafel_later", tf["late"]],
        ["tafel_nog_niet_gepland", tf["wait"]["waiting"]],
        *([f"uitkomst_{n}", c] for n, c in tf["outcomes"].items()),
        ["tafel_verslag", tf["verslag"]], ["tafel_reactie", tf["reactie"]],
        ["tafel_evaluatie", tf["evaluatie"]],
        ["overdracht_gestart", ho["started"]], ["overdracht_ingetrokken", ho["withdrawn"]],
        ["overdracht_gesprek_mediaan_werkdagen", ho["talk"]["median"]],
        ["overdracht_gesprek_p80_werkdagen", ho["talk"]["p80"]],
        ["overdracht_zonder_gesprek", ho["talk"]["waiting"]],
        ["overdracht_afspraken", ho["agreements"]],
        *([f"overdracht_gezin_{k}", c] for k, c in ho["family"].items()),
        ["overdracht_gezin_onbekend", ho["family_unknown"]]])
    for s in data["processes"]["on_time"]:
        tafel.rows.append([f"termijn_{s['route']}_{s['step']}_binnen", s["met"]])
        tafel.rows.append([f"termijn_{s['route']}_{s['step']}_verlopen", s["lapsed"]])
    return {"doorlooptijden": lead, "gemeenten": gem, "termijnen": steps, "maanden": month,
            "gebruik": use, "escalatiemodel": model, "tafel": tafel}
