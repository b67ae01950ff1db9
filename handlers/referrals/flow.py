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

from handlers.core import Context, Refused, error
from handlers.referrals.membership import gemeente_name, resolve
from handlers.referrals.providers import claim_contact
from scheduling.deadlines import due_at, remind_at
from scheduling.routes import ALTERNATIVE, ESCALATION, Route, Step
from storage.models import Person
from storage.outbox import enqueue
from storage.privacy import any_bsn
from storage.tables import Deadline, Outbox, Referral, ReferralEvent

log = logging.getLogger("ketenbot.referral")


def record(session: Session, ctx: Context, ref: Referral, action: str,
           actor: Person | None, **detail: Any) -> ReferralEvent:
    if any_bsn(detail):  # every free-text field, whatever path it came by
        raise Refused(error("bsn"))
    event = ReferralEvent(
        referral_id=ref.id or 0, at=ctx.clock(), actor_id=actor.id if actor else None,
        platform=ctx.platform if actor else "bot", action=action, step=ref.step,
        detail={k: v for k, v in detail.items() if v is not None},
    )
    session.add(event)
    claim_contact(session, ref, actor)
    session.flush()
    # One line per referral event: the reference and what happened, never free text.
    log.info("referral step", extra={"ref": ref.ref, "action": action, "step": ref.step,
                                      "platform": event.platform})
    return event


def summary(session: Session, ref: Referral, route: Route, lang: str = "nl") -> dict[str, Any]:
    """What every message about a referral shows: never family data."""
    step = route.step(ref.step)
    # The step's own term, or (step 5B) the RET's two weeks.
    deadline = session.exec(select(Deadline).where(
        Deadline.referral_id == ref.id, col(Deadline.key).in_([f"step:{ref.step}", "ret"]),
        Deadline.status == "pending",
    ).order_by(col(Deadline.due_at))).first()
    # Step 6 has no move that ends it: after the talk (and a bestuurlijke
    # escalatie, if decided) the case waits for help, and says so.
    step6 = {"talked": False, "bestuurlijk": False}
    if ref.step == ESCALATION and ref.status == "open":
        done = {e.action for e in step_events(session, ref, ("gesprek", "bestuurlijk"))}
        step6 = {"talked": bool(done), "bestuurlijk": "bestuurlijk" in done}
    return step6 | {
        "ref": ref.ref, "route": ref.route, "kenmerk": ref.kenmerk,
        "gemeente": gemeente_name(session, ref), "status": ref.status,
        "step_key": step.key, "step_number": step.number,
        "step_title_nl": step.title.nl, "step_title_en": step.title.en,
        "actor_party": step.actor, "done_action": step.done_by.action,
        "due_at": deadline.due_at.isoformat() if deadline else None,
    }


def _settle(session: Session, ref: Referral, keys: list[str] | None, status: str,
            keep_moments: bool = False) -> None:
    """Mark pending deadlines met/cancelled and drop reminders no longer useful.

    A lapsed deadline keeps its status, but what it still had queued for the
    next working morning is dropped too: the step is done now. `keep_moments`:
    a date people set (the tafel's evaluation) stays, the case being done.
    """
    q = select(Deadline).where(Deadline.referral_id == ref.id,
                               col(Deadline.status).in_(["pending", "lapsed"]))
    if keys is not None:
        q = q.where(col(Deadline.key).in_(keys))
    if keep_moments:
        q = q.where(col(Deadline.key).not_like("moment:%"))
    for d in session.exec(q).all():
        if d.status == "pending":
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


def settle(session: Session, ref: Referral, keys: list[str], status: str) -> None:
    """Mark these pending deadlines met/cancelled (what a command does to a term)."""
    _settle(session, ref, keys, status)


def new_deadline(ctx: Context, ref: Referral, key: str, step: str, start: datetime,
                 term: Any, with_reminder: bool) -> Deadline:
    return _deadline(ctx, ref, key, step, start, term, with_reminder)


def _deadline(ctx: Context, ref: Referral, key: str, step: str, start: datetime,
              term: Any, with_reminder: bool) -> Deadline:
    due = due_at(ctx.calendar, start, term)
    remind = remind_at(ctx.calendar, ctx.work_hours, start, due) if with_reminder else None
    return Deadline(referral_id=ref.id or 0, key=key, step=step, due_at=due, remind_at=remind,
                    next_check_at=remind or due, status="pending")


def enter_step(session: Session, ctx: Context, ref: Referral, route: Route, step: Step,
               actor: Person | None, told: set[int] | None = None) -> None:
    """Move the referral to `step`: the step left is done (its term met, a span
    it ends met too), the new one gets its term, its actor and the parties it
    informs are told. `told`: people already told of this change."""
    now = ctx.clock()
    leaving = ref.step
    _settle(session, ref, [f"step:{leaving}"], "met")
    # Spans end when the step they run until is done, whichever way it ends
    # (the provider's match or its afwijzing): "helder of de hulp tijdig geboden wordt".
    _settle(session, ref, [f"span:{sp.key}" for sp in route.spans
                           if sp.until == leaving and leaving != step.key], "met")
    if leaving == ALTERNATIVE:
        _settle(session, ref, ["ret"], "cancelled")  # the RET's term ends with step 5
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
    if step.term is not None:
        session.add(_deadline(ctx, ref, f"step:{step.key}", step.key, now, step.term,
                              with_reminder=bool(step.remind)))
    for span in route.spans:
        if span.from_ == step.key:
            _settle(session, ref, [f"span:{span.key}"], "cancelled")  # re-entry restarts it
            session.add(_deadline(ctx, ref, f"span:{span.key}", step.key, now, span.term, False))
    session.flush()
    event = record(session, ctx, ref, "stap", actor, number=step.number)
    notify_thread(session, ctx, ref, route, f"step:{event.id}", "thread_step")
    told = set(told or ())
    if actor is not None and actor.id is not None:
        told.add(actor.id)  # no need to tell someone what they just did
    for person in resolve(session, ref, step.actor, ctx.today()):
        if person.id not in told:
            notify_person(session, ctx, ref, route, person, f"turn:{event.id}:{person.id}",
                          "your_turn", party=step.actor)
            told.add(person.id or 0)
    for party in step.inform:
        for person in resolve(session, ref, party, ctx.today()):
            if person.id not in told:
                notify_person(session, ctx, ref, route, person, f"turn:{event.id}:{person.id}",
                              "step_inform", party=party)
                told.add(person.id or 0)


def finish(session: Session, ctx: Context, ref: Referral, status: str, actor: Person,
           action: str, **detail: Any) -> None:
    ref.status = status
    ref.closed_at = ctx.clock()
    session.add(ref)
    done = status == "closed"
    _settle(session, ref, None, "met" if done else "cancelled", keep_moments=done)
    # An evaluation's reminder, due that day, is still news when the case is done.
    kept = [~col(Outbox.dedupe_key).startswith(f"rem:{d}:") for d in session.exec(
        select(Deadline.id).where(Deadline.referral_id == ref.id,
                                  col(Deadline.key).like("moment:%")))] if done else []
    session.execute(
        update(Outbox)
        .where(col(Outbox.referral_id) == ref.id, col(Outbox.status) == "pending",
               col(Outbox.kind).in_(["reminder", "escalation", "notice"]), *kept)
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


def step_events(session: Session, ref: Referral, actions: tuple[str, ...],
            since_step_start: bool = True) -> list[ReferralEvent]:
    q = select(ReferralEvent).where(ReferralEvent.referral_id == ref.id,
                                    col(ReferralEvent.action).in_(actions))
    if since_step_start:
        q = q.where(ReferralEvent.at >= ref.step_started_at, ReferralEvent.step == ref.step)
    return list(session.exec(q.order_by(col(ReferralEvent.id))).all())


def consulted(session: Session, ref: Referral) -> dict[str, ReferralEvent]:
    """Step 1's recorded consultations: side ("lt"/"za") -> the event recording it."""
    found: dict[str, ReferralEvent] = {}
    for e in step_events(session, ref, ("contact", "ontvangen")):
        found.setdefault(str(e.detail.get("met")), e)
    return found
