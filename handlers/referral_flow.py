"""State changes of a referral: steps, deadlines, history, notices.

Every change is written in one transaction with its history row, its new
deadline and the messages it causes (outbox), so a crash leaves either all of
it or none of it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from handlers.core import Context
from handlers.parties import gemeente_name, resolve
from handlers.routes import Route, Step
from scheduling.deadlines import due_at, remind_at
from storage.models import Person
from storage.outbox import enqueue
from storage.tables import Deadline, Outbox, Referral, ReferralEvent

log = logging.getLogger("ketenbot.referral")


def record(session: Session, ctx: Context, ref: Referral, action: str,
           actor: Person | None, **detail: Any) -> ReferralEvent:
    event = ReferralEvent(
        referral_id=ref.id or 0, at=ctx.clock(), actor_id=actor.id if actor else None,
        platform=ctx.platform if actor else "bot", action=action, step=ref.step,
        detail={k: v for k, v in detail.items() if v is not None},
    )
    session.add(event)
    session.flush()
    # One line per referral event: the reference and what happened, never free text.
    log.info("verwijzing %s %s stap=%s platform=%s", ref.ref, action, ref.step, event.platform)
    return event


def summary(session: Session, ref: Referral, route: Route, lang: str = "nl") -> dict[str, Any]:
    """What every message about a referral shows: never family data."""
    step = route.step(ref.step)
    deadline = session.exec(select(Deadline).where(
        Deadline.referral_id == ref.id, Deadline.key == f"step:{ref.step}",
        Deadline.status == "pending",
    )).first()
    return {
        "ref": ref.ref, "route": ref.route, "kenmerk": ref.kenmerk,
        "gemeente": gemeente_name(session, ref), "status": ref.status,
        "step_key": step.key, "step_number": step.number,
        "step_title_nl": step.title.nl, "step_title_en": step.title.en,
        "actor_party": step.actor, "done_action": step.done_by.action,
        "due_at": deadline.due_at.isoformat() if deadline else None,
    }


def _settle(session: Session, ref: Referral, keys: list[str] | None, status: str) -> None:
    """Mark pending deadlines met/cancelled and drop reminders no longer useful."""
    q = select(Deadline).where(Deadline.referral_id == ref.id, Deadline.status == "pending")
    if keys is not None:
        q = q.where(col(Deadline.key).in_(keys))
    for d in session.exec(q).all():
        d.status = status
        d.next_check_at = None
        session.add(d)
        session.execute(
            update(Outbox)
            .where(col(Outbox.status) == "pending",
                   # Escalation stops the moment the step is done: what was
                   # queued for the next working morning is no longer news.
                   or_(col(Outbox.dedupe_key).startswith(f"rem:{d.id}:"),
                       col(Outbox.dedupe_key).startswith(f"esc:{d.id}:")))
            .values(status="dropped")
        )


def _deadline(ctx: Context, ref: Referral, key: str, step: str, start: datetime,
              term: Any, with_reminder: bool) -> Deadline:
    due = due_at(ctx.calendar, start, term)
    remind = remind_at(ctx.calendar, ctx.work_hours, start, due) if with_reminder else None
    return Deadline(referral_id=ref.id or 0, key=key, step=step, due_at=due, remind_at=remind,
                    next_check_at=remind or due, status="pending")


def enter_step(session: Session, ctx: Context, ref: Referral, route: Route, step: Step,
               actor: Person | None) -> None:
    now = ctx.clock()
    _settle(session, ref, [f"step:{ref.step}"], "met")
    # "Your turn" notices for the step being left, still waiting for working
    # hours, would arrive after the step is done: they are out of date now.
    session.execute(
        update(Outbox)
        .where(col(Outbox.referral_id) == ref.id, col(Outbox.status) == "pending",
               col(Outbox.dedupe_key).startswith("turn:"))
        .values(status="dropped")
    )
    ref.step = step.key
    ref.step_started_at = now
    session.add(ref)
    session.add(_deadline(ctx, ref, f"step:{step.key}", step.key, now, step.term,
                          with_reminder=bool(step.remind)))
    for span in route.spans:
        if span.from_ == step.key:
            _settle(session, ref, [f"span:{span.key}"], "cancelled")  # re-entry restarts it
            session.add(_deadline(ctx, ref, f"span:{span.key}", step.key, now, span.term, False))
        if span.until == step.key:
            _settle(session, ref, [f"span:{span.key}"], "met")
    session.flush()
    event = record(session, ctx, ref, "stap", actor, number=step.number)
    notify_thread(session, ctx, ref, route, f"step:{event.id}", "thread_step")
    for person in resolve(session, ref, step.actor, ctx.today()):
        if actor is not None and person.id == actor.id:
            continue  # no need to tell someone what they just did
        notify_person(session, ctx, ref, route, person, f"turn:{event.id}:{person.id}",
                      "your_turn", party=step.actor)


def finish(session: Session, ctx: Context, ref: Referral, status: str, actor: Person,
           action: str, **detail: Any) -> None:
    ref.status = status
    ref.closed_at = ctx.clock()
    session.add(ref)
    _settle(session, ref, None, "met" if status == "closed" else "cancelled")
    session.execute(
        update(Outbox)
        .where(col(Outbox.referral_id) == ref.id, col(Outbox.status) == "pending",
               col(Outbox.kind).in_(["reminder", "escalation", "notice"]))
        .values(status="dropped")
    )
    record(session, ctx, ref, action, actor, **detail)


def notify_thread(session: Session, ctx: Context, ref: Referral, route: Route, key: str,
                  template: str, **extra: Any) -> None:
    now = ctx.clock()
    enqueue(session, dedupe_key=f"thread:{ref.id}:{key}", kind="thread", template=template,
            payload=summary(session, ref, route) | extra, now=now, deliver_after=now,
            referral_id=ref.id)


def notify_person(session: Session, ctx: Context, ref: Referral, route: Route, person: Person,
                  key: str, template: str, **extra: Any) -> None:
    now = ctx.clock()
    enqueue(session, dedupe_key=key, kind="notice", template=template,
            payload=summary(session, ref, route) | {"recipient_name": person.name} | extra,
            now=now, deliver_after=ctx.work_hours.next_open(now), person_id=person.id,
            referral_id=ref.id)
