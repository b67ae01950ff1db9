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
* Median and p80, on time per step: `figure_basics` (shared with the tafel).
* Step-1 contact problems: referrals whose first step's deadline lapsed.
* Escalation-model cases: by situation and highest tier; duration in werkdagen
  from start to closing for the closed ones. No report text is ever read.
* The tafel and the handover: `process_figures`, apart from the referrals.

`Period`, `Scope`, `Table`, `WerkdagCounter`, `median` and `p80` are
re-exported here for the callers (the page, the CLI, the digests).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from handlers.overview.figure_basics import (
    Period,
    Scope,
    Table,
    WerkdagCounter,
    median,
    on_time,
    p80,
    scoped,
    stats,
)
from handlers.overview.process_figures import process_figures, process_tables
from scheduling.calendar import WorkCalendar
from scheduling.routes import Routes
from storage.models import Gemeente, Region
from storage.tables import Deadline, ModelEscalation, Referral, ReferralEvent

__all__ = ["Period", "Scope", "Table", "WerkdagCounter", "figures", "median", "on_time",
           "p80", "tables"]

BUCKETS = ((0, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, None))


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
    rows = session.execute(scoped(q, scope, calendar)).all()
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
        "acceptance": stats(acc) | {"waiting": len(counted) - len(acc)},
        "care": stats(care) | {"waiting": len(counted) - len(care)},
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
        out[key] = int(session.execute(scoped(q, scope, calendar)).scalar_one())
    first_keys = [f"step:{r.steps[0].key}" for r in routes.routes.values()]
    q = (select(func.count(func.distinct(col(Deadline.referral_id))))
         .join(Referral, col(Referral.id) == Deadline.referral_id)
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
         .where(col(Deadline.key).in_(first_keys), col(Deadline.status) == "lapsed"))
    out["contact_problems"] = int(session.execute(scoped(q, scope, calendar)).scalar_one())
    q = (select(func.count()).select_from(Referral)
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
         .where(col(Referral.status) == "withdrawn"))
    out["withdrawn"] = int(session.execute(scoped(q, scope, calendar)).scalar_one())
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


def figures(session: Session, scope: Scope, calendar: WorkCalendar,
            routes: Routes, today: date | None = None) -> dict[str, Any]:
    """Everything the figures page, the monthly digest and `ketenbot report` show;
    `today` as `process_figures` takes it (evaluation moments held by then)."""
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
        "processes": process_figures(session, scope, calendar, routes, today),
    }


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
    return {"doorlooptijden": lead, "gemeenten": gem, "termijnen": steps, "maanden": month,
            "gebruik": use, "escalatiemodel": model} | process_tables(data)
