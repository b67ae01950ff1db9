"""Scheduled digests in chat (issue 12).

* Monday 08:30 (the first werkdag of the week when Monday is a feestdag): each
  team leader gets their team's open referrals that have lapsed or are due
  this week, with a link to the overview page; each tafel voorzitter the same
  for the tafel's cases (what the overview page shows them).
* The first werkdag of the month, 08:30: each regionale contactpersoon gets the
  region's figures for the past month: the referrals', and the tafel's when
  families were registered (registrations, planned within two weeks or later,
  the wait in werkdagen). A month with only tafel registrations is not quiet.

An APScheduler cron trigger (scheduling/digest_jobs.py: Europe/Amsterdam,
Monday-Friday 08:30) only says "look now"; `run_digests` decides from the
calendar whether today is such a day. Digests go through the outbox with a
dedupe key per person and week or month, so several workers (or a restart)
send each one once. Nobody with nothing to report gets a message; people who
said `samenvatting uit` get none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.overview.figures import Period, Scope, figures
from handlers.overview.sign_in import opted_out
from handlers.overview.visibility import access_for, open_referrals
from scheduling.calendar import WorkCalendar
from scheduling.routes import Routes
from storage.db import session_scope
from storage.models import Person, Region, Role
from storage.outbox import enqueue

log = logging.getLogger("ketenbot.digest")

ITEMS_SHOWN = 10


def first_werkdag_of_week(calendar: WorkCalendar, day: date) -> bool:
    monday = day - timedelta(days=day.weekday())
    return calendar.is_working_day(day) and calendar.next_working_day(monday) == day


def first_werkdag_of_month(calendar: WorkCalendar, day: date) -> bool:
    return calendar.is_working_day(day) and calendar.next_working_day(day.replace(day=1)) == day


@dataclass
class DigestResult:
    weekly: int = 0
    monthly: int = 0


def run_digests(engine: Engine, now: datetime, calendar: WorkCalendar, routes: Routes,
                base_url: str) -> DigestResult:
    today = now.astimezone(calendar.tz).date()
    result = DigestResult()
    if first_werkdag_of_week(calendar, today):
        result.weekly = weekly(engine, now, calendar, routes, base_url)
    if first_werkdag_of_month(calendar, today):
        result.monthly = monthly(engine, now, calendar, routes, base_url)
    if result.weekly or result.monthly:
        log.info("digests queued", extra={"weekly": result.weekly, "monthly": result.monthly})
    return result


def _recipients(session: Session, role: str) -> list[Person]:
    people = list(session.exec(select(Person).where(Person.role == role)
                               .order_by(col(Person.id))).all())
    out = opted_out(session, [p.id for p in people if p.id is not None])
    return [p for p in people if p.id not in out]


def weekly(engine: Engine, now: datetime, calendar: WorkCalendar, routes: Routes,
           base_url: str) -> int:
    today = now.astimezone(calendar.tz).date()
    week_end = datetime.combine(today - timedelta(days=today.weekday()) + timedelta(days=7),
                                time(0), tzinfo=calendar.tz)
    iso = today.isocalendar()
    queued = 0
    with session_scope(engine) as session:
        # Team leaders their team's referrals; a tafel's voorzitters its cases.
        for person in (*_recipients(session, Role.TEAMLEIDER),
                       *_recipients(session, Role.JBT_VOORZITTER)):
            access = access_for(session, person)
            if access is None:
                continue
            rows, _ = open_referrals(session, access, routes, now, limit=10_000)
            rows = [r for r in rows if r["due_at"] is not None and r["due_at"] < week_end]
            if not rows:
                continue  # nothing to report: no message
            lapsed = sum(1 for r in rows if r["lapsed"])
            items = [{"ref": r["ref"], "route": r["route"], "gemeente": r["gemeente"],
                      "number": r["number"], "lapsed": r["lapsed"],
                      "due": r["due_at"].isoformat()} for r in rows[:ITEMS_SHOWN]]
            payload: dict[str, Any] = {
                "recipient_name": person.name, "lapsed": lapsed,
                "due_this_week": len(rows) - lapsed, "items": items,
                "more": max(0, len(rows) - ITEMS_SHOWN), "url": f"{base_url}/overzicht/"}
            queued += enqueue(session, dedupe_key=f"digest:week:{iso.year}-W{iso.week:02d}:"
                              f"{person.id}", kind="notice", template="digest_week",
                              payload=payload, now=now, deliver_after=now, person_id=person.id)
    return queued


def previous_month(today: date) -> Period:
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def monthly(engine: Engine, now: datetime, calendar: WorkCalendar, routes: Routes,
            base_url: str) -> int:
    period = previous_month(now.astimezone(calendar.tz).date())
    queued = 0
    with session_scope(engine) as session:
        by_region: dict[int, dict[str, Any]] = {}
        for person in _recipients(session, Role.REGIONALE_CONTACTPERSOON):
            access = access_for(session, person)
            if access is None or access.region_id is None:
                continue
            rid = access.region_id
            if rid not in by_region:
                by_region[rid] = figures(session, Scope(period, region_id=rid), calendar, routes)
            data = by_region[rid]
            lt, use = data["lead_times"], data["use"]
            tafel = data["processes"]["tafel"]
            if (lt["started"] == 0 and not data["on_time"] and data["model"]["total"] == 0
                    and tafel["registered"] == 0):
                continue  # a quiet month: no message
            region = session.get(Region, rid)
            payload = {
                "region": region.name if region else "", "month": period.start.strftime("%Y-%m"),
                "started": lt["started"], "withdrawn": lt["withdrawn"],
                "acc_median": lt["acceptance"]["median"], "acc_p80": lt["acceptance"]["p80"],
                "acc_n": lt["acceptance"]["n"], "care_median": lt["care"]["median"],
                "care_p80": lt["care"]["p80"],
                "met": sum(s["met"] for s in data["on_time"]),
                "lapsed": sum(s["lapsed"] for s in data["on_time"]),
                "contact_problems": use["contact_problems"], "ret": use["ret"],
                "step6": use["step6"], "model": data["model"]["total"],
                "tafel_registered": tafel["registered"], "tafel_within": tafel["within_term"],
                "tafel_late": tafel["late"],
                "tafel_wait_median": tafel["wait_werkdagen"]["median"],
                "url": f"{base_url}/overzicht/cijfers?van={period.start}&tot={period.end}",
            }
            queued += enqueue(session, dedupe_key=f"digest:month:{period.start:%Y-%m}:"
                              f"{person.id}", kind="notice", template="digest_month",
                              payload=payload, now=now, deliver_after=now, person_id=person.id)
    return queued
