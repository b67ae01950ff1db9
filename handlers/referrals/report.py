"""Timelines and lead times (doorlooptijden) for `ketenbot referral ...`."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from handlers.referrals.membership import gemeente_name
from scheduling.calendar import WorkCalendar
from storage.models import Person
from storage.tables import Deadline, Referral, ReferralEvent

AMS = ZoneInfo("Europe/Amsterdam")


def timeline(session: Session, ref: Referral) -> list[dict[str, Any]]:
    events = session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == ref.id)
                          .order_by(col(ReferralEvent.id))).all()
    names = {p.id: p.name for p in session.exec(select(Person).where(
        col(Person.id).in_({e.actor_id for e in events if e.actor_id}))).all()}
    return [{
        "at": e.at.astimezone(AMS).isoformat(timespec="minutes"),
        "who": names.get(e.actor_id, "ketenbot") if e.actor_id else "ketenbot",
        "platform": e.platform, "action": e.action, "step": e.step, "detail": e.detail,
    } for e in events]


def lead_times(session: Session, ref: Referral, calendar: WorkCalendar,
               now: datetime) -> list[dict[str, Any]]:
    """Per step entered: when, how long it took, in werkdagen and hours."""
    entered = session.exec(select(ReferralEvent).where(
        ReferralEvent.referral_id == ref.id, ReferralEvent.action == "stap"
    ).order_by(col(ReferralEvent.id))).all()
    out = []
    for i, e in enumerate(entered):
        end = entered[i + 1].at if i + 1 < len(entered) else (ref.closed_at or None)
        out.append({
            "step": e.step, "number": e.detail.get("number"),
            "entered": e.at.astimezone(AMS).isoformat(timespec="minutes"),
            "left": end.astimezone(AMS).isoformat(timespec="minutes") if end else None,
            "werkdagen": calendar.working_days_between(
                e.at.astimezone(AMS).date(), (end or now).astimezone(AMS).date()),
            "uren": round(((end or now) - e.at).total_seconds() / 3600, 1),
            "open": end is None,
        })
    return out


def current_due(session: Session, ref: Referral) -> datetime | None:
    """When the current step's term lapses (None: no term, or the referral is done)."""
    if ref.status != "open":
        return None
    d = session.exec(select(Deadline).where(
        Deadline.referral_id == ref.id, col(Deadline.key).in_([f"step:{ref.step}", "ret"]),
        col(Deadline.status).in_(["pending", "lapsed"])).order_by(col(Deadline.due_at))).first()
    return d.due_at if d else None


def export_rows(session: Session, calendar: WorkCalendar, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for ref in session.exec(select(Referral).order_by(col(Referral.id))).all():
        steps = lead_times(session, ref, calendar, now)
        rows.append({
            "ref": ref.ref, "route": ref.route, "kenmerk": ref.kenmerk,
            "gemeente": gemeente_name(session, ref), "status": ref.status, "step": ref.step,
            "created_at": ref.created_at.astimezone(AMS).isoformat(timespec="minutes"),
            "closed_at": ref.closed_at.astimezone(AMS).isoformat(timespec="minutes")
            if ref.closed_at else None,
            "due_at": due.isoformat() if (due := current_due(session, ref)) else None,
            "steps": steps,
        })
    return rows
