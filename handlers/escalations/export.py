"""Closed escalations for the periodic evaluation Bouwsteen 6 asks for.

One row per closed escalation: situation, tiers reached, duration, the
organisations (kinds and names), how it closed and whether the family's
position was recorded. No free text (report, reasons) and no case reference:
this export is meant for region-wide reading.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from handlers.escalations.people import party_orgs
from handlers.escalations.view import gemeente_of
from scheduling.calendar import WorkCalendar
from storage.models import Gemeente, Region
from storage.tables import ModelEscalation, ModelEscalationEvent

FIELDS = ["ref", "situation", "gemeente", "region", "started", "closed", "days", "werkdagen",
          "tier", "tiers", "organisation_kinds", "organisations", "family", "closed_by"]


def export_rows(session: Session, calendar: WorkCalendar) -> list[dict[str, Any]]:
    rows = []
    for esc in session.exec(select(ModelEscalation).where(
            ModelEscalation.status == "closed").order_by(col(ModelEscalation.id))).all():
        assert esc.closed_at is not None
        events = session.exec(select(ModelEscalationEvent).where(
            ModelEscalationEvent.escalation_id == esc.id)).all()
        tiers = sorted({int(e.detail["tier"]) for e in events
                        if e.action == "trede" and e.detail.get("tier")})
        closing = next((e for e in events if e.action == "gesloten"), None)
        gem = session.get(Gemeente, esc.gemeente_id) if esc.gemeente_id else None
        region = session.get(Region, gem.region_id) if gem else None
        orgs = party_orgs(session, esc)
        rows.append({
            "ref": esc.ref, "situation": esc.situation, "gemeente": gemeente_of(session, esc),
            "region": region.name if region else "",
            "started": esc.created_at.isoformat(), "closed": esc.closed_at.isoformat(),
            "days": (esc.closed_at - esc.created_at).days,
            "werkdagen": _werkdagen(calendar, esc.created_at, esc.closed_at),
            "tier": esc.tier, "tiers": " ".join(str(t) for t in tiers),
            "organisation_kinds": " ".join(sorted({o.kind for o in orgs})),
            "organisations": "; ".join(o.name for o in orgs),
            "family": esc.family_informed or "",
            "closed_by": (closing.detail.get("hoe") if closing else "") or "",
        })
    return rows


def _werkdagen(calendar: WorkCalendar, start: datetime, end: datetime) -> int:
    return calendar.working_days_between(start.astimezone(calendar.tz).date(),
                                         end.astimezone(calendar.tz).date())
