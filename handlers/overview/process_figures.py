"""Figures for the Jeugdbeschermingstafel (Bouwsteen 4) and the warm handover,
apart from the referrals': counted over the cases *started* (registered) in the
period, in the region or gemeente asked for. Withdrawn cases are counted as
registered and withdrawn, and left out of everything else.

* The tafel's wait: from the aanmelding to the date set at `gepland` (the last
  one, when it was moved), in calendar days (the seed says "anderhalve week à
  twee weken") and in werkdagen (the werkdagen after the aanmelding day up to and
  including the date set, the same counting as the terms). Median and p80 of
  both; cases without a date yet are counted as still waiting.
* Within two weeks or later: a date set within the term, against a date set past
  it (`te_laat`) or a term that lapsed without a date; the share is within /
  (within + later), none when neither happened yet.
* The four outcomes (the last `uitkomst`), verslag, reactions.
* Evaluation moments: *planned* is a case with an `evaluatie` date; *held* is a
  case whose (last) evaluation date has come by the end of the period, or by
  today when the period runs on past today. The bot records when a moment is
  planned, not that it took place, so "held" means "its day has come"; a moment
  dated after the period (or after today) is planned, not held.
* Per gemeente: the same registrations, wait in werkdagen, within/later and
  outcomes for each gemeente with registrations (`tafel_per_gemeente`).
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
    q = (select(col(Referral.id), col(Referral.created_at), col(Referral.status),
                col(Gemeente.name))
         .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id))
    cases = {rid: {"start": start, "status": status, "gemeente": gemeente, "events": []}
             for rid, start, status, gemeente in session.execute(
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


def _tafel_case(case: dict[str, Any], counter: WerkdagCounter, lapsed_unplanned: bool,
                held_by: date) -> dict[str, Any]:
    """One registration's part in the figures: its waits (None without a date), whether
    it was planned within the term (None: neither yet), its outcome, and the rest."""
    start = case["start"].astimezone(counter.calendar.tz).date()
    planned = _last(case, "tafel_gepland")
    days = werkdagen = within = None
    if planned is not None:
        on = date.fromisoformat(planned[1]["datum"])
        days, werkdagen = (on - start).days, counter.between(start, on)
        within = not planned[1].get("te_laat")
    elif lapsed_unplanned:
        within = False
    decided = _last(case, "tafel_uitkomst")
    evaluation = _last(case, "tafel_evaluatie")
    return {"days": days, "werkdagen": werkdagen, "within": within,
            "outcome": decided[1].get("uitkomst") if decided is not None else None,
            "verslag": _last(case, "tafel_verslag") is not None,
            "reactie": _last(case, "tafel_reactie") is not None,
            "evaluatie": evaluation is not None,
            "evaluatie_held": evaluation is not None
            and date.fromisoformat(evaluation[1]["datum"]) <= held_by}


def _tafel_summary(rows: list[dict[str, Any]], registered: int) -> dict[str, Any]:
    """The registrations' figures over `_tafel_case` rows (the withdrawn ones left out)."""
    days = [r["days"] for r in rows if r["days"] is not None]
    werkdagen = [r["werkdagen"] for r in rows if r["werkdagen"] is not None]
    within = sum(1 for r in rows if r["within"] is True)
    late = sum(1 for r in rows if r["within"] is False)
    outcomes = {n: sum(1 for r in rows if r["outcome"] == n) for n in ("1", "2", "3", "4")}
    return {"registered": registered, "withdrawn": registered - len(rows),
            "wait": stats(days) | {"waiting": len(rows) - len(days)},
            "wait_werkdagen": stats(werkdagen) | {"waiting": len(rows) - len(werkdagen)},
            "within_term": within, "late": late,
            "share_within": within / (within + late) if within + late else None,
            "outcomes": outcomes, "raad": outcomes["3"] + outcomes["4"],
            **{key: sum(1 for r in rows if r[key])
               for key in ("verslag", "reactie", "evaluatie", "evaluatie_held")}}


def _tafel_figures(cases: dict[int, dict[str, Any]], counter: WerkdagCounter,
                   lapsed_unplanned: set[int], held_by: date) -> dict[str, Any]:
    """Bouwsteen 4 over the whole scope, and per gemeente (as the module says)."""
    rows: dict[int, dict[str, Any]] = {
        rid: _tafel_case(c, counter, rid in lapsed_unplanned, held_by)
        for rid, c in cases.items() if c["status"] != "withdrawn"}
    ots_end = sum(1 for c in cases.values()
                  if (a := _last(c, "tafel_aangemeld")) and a[1].get("ots_einde"))
    by_gemeente: dict[str, list[int]] = defaultdict(list)
    for rid, c in cases.items():
        by_gemeente[c["gemeente"]].append(rid)
    per_gemeente = [
        {"gemeente": name} | _tafel_summary([rows[r] for r in ids if r in rows], len(ids))
        for name, ids in sorted(by_gemeente.items())]
    return {"tafel": _tafel_summary(list(rows.values()), len(cases)) | {"ots_end": ots_end},
            "per_gemeente": per_gemeente}


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
                    routes: Routes, today: date | None = None) -> dict[str, Any]:
    """The tafel's and the handover's figures, by the kind of process (a region may
    name its processes otherwise), and their terms met per step. `today` (the
    caller's clock) keeps a period that runs on past today from counting
    evaluation moments still to come as held; without it, the period's end."""
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
    held_by = scope.period.end if today is None else min(scope.period.end, today)
    counter = WerkdagCounter(calendar)
    tafel = _tafel_figures(tafel_cases, counter, lapsed, held_by)
    return {
        "tafel": tafel["tafel"],
        "tafel_per_gemeente": tafel["per_gemeente"],
        "handover": _handover_figures(
            _process_cases(session, scope, calendar, by_kind["overdracht"]), counter),
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
        ["tafel_wachttijd_mediaan_werkdagen", tf["wait_werkdagen"]["median"]],
        ["tafel_wachttijd_p80_werkdagen", tf["wait_werkdagen"]["p80"]],
        ["tafel_binnen_twee_weken", tf["within_term"]], ["tafel_later", tf["late"]],
        ["tafel_binnen_twee_weken_aandeel", _share(tf["share_within"])],
        ["tafel_nog_niet_gepland", tf["wait"]["waiting"]],
        *([f"uitkomst_{n}", c] for n, c in tf["outcomes"].items()),
        ["tafel_verslag", tf["verslag"]], ["tafel_reactie", tf["reactie"]],
        ["tafel_evaluatie", tf["evaluatie"]],
        ["tafel_evaluatie_gehouden", tf["evaluatie_held"]],
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
    gemeenten = Table(["gemeente", "aangemeld", "ingetrokken", "wachttijd_mediaan_werkdagen",
                       "wachttijd_p80_werkdagen", "nog_niet_gepland", "binnen_twee_weken",
                       "later", "binnen_twee_weken_aandeel",
                       *(f"uitkomst_{n}" for n in ("1", "2", "3", "4"))])
    gemeenten.rows = [[g["gemeente"], g["registered"], g["withdrawn"],
                       g["wait_werkdagen"]["median"], g["wait_werkdagen"]["p80"],
                       g["wait_werkdagen"]["waiting"], g["within_term"], g["late"],
                       _share(g["share_within"]), *g["outcomes"].values()]
                      for g in data["processes"]["tafel_per_gemeente"]]
    return {"tafel": tafel, "tafel_gemeenten": gemeenten}


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
