"""What `status` and `mijn` show: data only, the templates decide the looks."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from handlers.core import Context
from handlers.referrals.flow import consulted, summary
from handlers.referrals.membership import parties_of
from scheduling.routes import ALTERNATIVE, ESCALATION, Route, Routes, Step
from storage.models import Organisation, Person
from storage.tables import Deadline, Referral, ReferralEvent

# Chat shows the recent part; `ketenbot referral show` has the whole timeline.
HISTORY_SHOWN = 8


def _name(session: Session, pid: int | None) -> str | None:
    p = session.get(Person, pid) if pid else None
    return p.name if p else None


def status_view(session: Session, ctx: Context, ref: Referral,
                headline: str | None) -> dict[str, Any]:
    route = ctx.routes.route(ref.route)
    data = summary(session, ref, route)
    deadlines = session.exec(select(Deadline).where(
        Deadline.referral_id == ref.id, Deadline.status == "pending"
    ).order_by(col(Deadline.due_at))).all()
    events = session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == ref.id)
                          .order_by(col(ReferralEvent.id))).all()
    provider = session.get(Organisation, ref.zorgaanbieder_id) if ref.zorgaanbieder_id else None
    actor_parties = parties_of(session, ref, ctx.actor) if ctx.actor else set()
    step = route.step(ref.step)
    return data | {
        "headline": headline,
        "route_name_nl": route.name.nl, "route_name_en": route.name.en,
        "jeugdbeschermer": _name(session, ref.jb_id),
        "lokaal_team": _name(session, ref.lt_id),
        "koppelgenoot": _name(session, ref.lt_backup_id),
        "zorgaanbieder": provider.name if provider else None,
        "deadlines": [{"key": d.key, "due_at": d.due_at.isoformat(),
                       "tier": d.tier} for d in deadlines],
        "history": [{"at": e.at.isoformat(), "action": e.action, "step": e.step,
                     "step_number": step_number(route, e.step),
                     "step_title": step_title(route, e.step) if e.action == "stap" else None,
                     "who": _name(session, e.actor_id) or "ketenbot",
                     "platform": e.platform} for e in events[-HISTORY_SHOWN:]],
        "history_hidden": max(0, len(events) - HISTORY_SHOWN),
        "consulted": _consulted(session, ref, step),
        "can_act": bool(actor_parties & set(step.done_by.who)) and ref.status == "open",
        "can_reject": step.on_afwijzing is not None and ref.status == "open"
        and bool(actor_parties & {"jeugdbeschermer", "zorgaanbieder"}),
    }


def step_number(route: Route, key: str | None) -> str | None:
    """The step's number as people know it ("2-3"), for a history row; a key
    the routes file no longer has shows as nothing rather than as a code."""
    return next((s.number for s in route.steps if s.key == key), None)


def step_title(route: Route, key: str | None) -> dict[str, str] | None:
    step = next((s for s in route.steps if s.key == key), None)
    return {"nl": step.title.nl, "en": step.title.en} if step else None


def _consulted(session: Session, ref: Referral, step: Step) -> list[dict[str, Any]]:
    """Step 1: each consultation it needs, and who recorded it when (or not yet)."""
    if not step.needs or ref.status != "open":
        return []
    done = consulted(session, ref)
    return [{"met": side, "who": _name(session, done[side].actor_id) if side in done else None,
             "at": done[side].at.isoformat() if side in done else None}
            for side in step.needs]


def mine_view(session: Session, ctx: Context, person: Person) -> dict[str, Any]:
    """Every open referral where it is this person's turn or they are a party,
    lapsed ones first for team leaders (handlers.referrals.mine)."""
    from handlers.referrals.mine import mine_items

    return {"items": mine_items(session, ctx, person), "name": person.name}


# Step actions that need more than the reference: typed, not pressed.
TYPED = ("gevonden", "gepland", "uitkomst")


def next_actions(routes: Routes, ref: Referral) -> list[str]:
    """The command words that make sense now, for buttons (Slack, Telegram): the
    step's own action first. Actions that need more than the reference
    (`gevonden <aanbieder>`, `uitkomst <ja|nee>`) are typed, not pressed."""
    if ref.status != "open":
        return ["status"]
    step = routes.route(ref.route).step(ref.step)
    actions: list[str] = ([] if step.done_by.action in TYPED else [step.done_by.action])
    if step.on_afwijzing is not None:
        actions.append("afwijzing")
    if step.on_onjuist is not None:
        actions.append("onjuist")
    if step.key == ALTERNATIVE:
        actions += ["ret", "escaleer"]
    if step.key == ESCALATION:
        actions += ["gesprek", "bestuurlijk"]
    return [*actions, "status"]
