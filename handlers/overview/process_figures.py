"""Figures for the Jeugdbeschermingstafel (Bouwsteen 4) and the warm handover,
apart from the referrals': counted over the cases *started* (registered) in the
period, in the region or gemeente asked for.

* The tafel: registrations, the wait until the date set at `gepland` in calendar
  days (the seed counts that wait in weeks), planned within the term or not (a
  late date, or the term lapsed without one), the four outcomes, verslag,
  reactions and evaluation moments.
* The handover: its joint conversation in werkdagen from its start, its
  agreements and the family's involvement.
* Their terms met per step (`figure_basics.on_time` over the processes).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from handlers.overview.figure_basics import Scope, Table, WerkdagCounter, on_time, scoped, stats
from scheduling.calendar import WorkCalendar
from scheduling.routes import Routes
from storage.models import Gemeente
from storage.tables import Deadline, Referral, ReferralEvent


def _process_cases(session: Session, scope: Scope, calendar: WorkCalendar,
                   names: list[str]) -> dict[int, dict[str, Any]]:
    """The cases of these processes started in scope, each with its events' actions
    and details in order (few rows: a tafel case has a handful of events)."""
    q = (select(col(Referral.id), col(Referral.created_at), col(Referral.status))
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id))
    cases = {rid: {"start": start, "status": status, "events": []}
             for rid, start, status in session.execute(
                 scoped(q, scope, calendar, routes=names)).all()}
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
            "wait": stats(wait) | {"waiting": len(counted) - len(wait)},
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
            "talk": stats(talk) | {"waiting": len(counted) - len(talk)},
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


def process_tables(data: dict[str, Any]) -> dict[str, Table]:
    """The tafel's and the handover's figures as tables (CSV and `ketenbot report`)."""
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
    return {"tafel": tafel}
