"""Bouwsteen 6 escalations: history, notices, and what `status` and `mijn` show."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, col, select

from handlers.core import Context, Refused, error
from handlers.escalations import minutes
from handlers.escalations.access import is_party
from handlers.escalations.people import brought_in, participants, party_orgs
from storage.models import Gemeente, Person
from storage.outbox import enqueue
from storage.privacy import any_bsn
from storage.tables import ModelEscalation, ModelEscalationEvent, Referral

log = logging.getLogger("ketenbot.escalation")

TIER_NAMES = {
    "nl": {0: "nog geen trede", 1: "gedragswetenschappers", 2: "leidinggevenden",
           3: "bestuurders en wethouders"},
    "en": {0: "no tier yet", 1: "behavioural scientists", 2: "managers and directors",
           3: "board members and aldermen"},
}


def record(session: Session, ctx: Context, esc: ModelEscalation, action: str,
           actor: Person | None, **detail: Any) -> ModelEscalationEvent:
    if any_bsn(detail):  # every free-text field, whatever path it came by
        raise Refused(error("bsn"))
    event = ModelEscalationEvent(
        escalation_id=esc.id or 0, at=ctx.clock(), actor_id=actor.id if actor else None,
        platform=ctx.platform if actor else "bot", action=action,
        detail={k: v for k, v in detail.items() if v is not None})
    session.add(event)
    session.flush()
    # For operators: which escalation, what happened, which tier; never text.
    log.info("escalation model step", extra={"ref": esc.ref, "action": action,
                                              "tier": detail.get("tier", esc.tier)})
    return event


def gemeente_of(session: Session, esc: ModelEscalation) -> str:
    g = session.get(Gemeente, esc.gemeente_id) if esc.gemeente_id else None
    return g.name if g else "?"


def summary(session: Session, esc: ModelEscalation) -> dict[str, Any]:
    """What every message about an escalation shows: never family data."""
    referral = session.get(Referral, esc.referral_id) if esc.referral_id else None
    return {
        "es_ref": esc.ref, "situation": esc.situation, "tier": esc.tier,
        "kenmerk": esc.kenmerk, "gemeente": gemeente_of(session, esc),
        "referral": referral.ref if referral else None, "status": esc.status,
        "organisations": [o.name for o in party_orgs(session, esc)],
    }


def _names(session: Session, ids: list[int] | set[int]) -> list[str]:
    people = [session.get(Person, i) for i in sorted(ids)]
    return [p.name for p in people if p is not None]


def view(session: Session, ctx: Context, esc: ModelEscalation,
         headline: str | None, **extra: Any) -> dict[str, Any]:
    events = session.exec(select(ModelEscalationEvent).where(
        ModelEscalationEvent.escalation_id == esc.id).order_by(col(ModelEscalationEvent.id))).all()
    report = minutes.pending_report(session, esc)
    pending: list[str] = []
    approved: list[str] = []
    if report is not None and esc.status == "open":
        wanted, done = minutes.approvals_of(session, esc, report)
        pending = _names(session, [w for w in wanted if w not in done])
        approved = _names(session, done & set(wanted))
    said, waiting = minutes.resolved_state(session, esc)
    starter = session.get(Person, esc.started_by_id)
    closing = next((e for e in reversed(events) if e.action == "gesloten"), None)
    return summary(session, esc) | {
        "how": closing.detail.get("hoe") if closing else None,
        "reason": closing.detail.get("reden") if closing else None,
        "headline": headline,
        "started_by": starter.name if starter else "?",
        "family": esc.family_informed, "family_reason": esc.family_reason,
        # Every tier's answer, and whether the current tier still lacks one.
        "family_answers": minutes.family_answers(session, esc),
        "family_missing": minutes.family_missing(session, esc),
        "report": (report.detail.get("tekst") if report else None),
        "has_report": report is not None,
        "pending": pending, "approved": approved,
        # The meetings' verslagen that stand: readable by the parties, also closed.
        "reports": [r for r in minutes.reports(session, esc) if r["recorded"]],
        "resolved_by": said, "resolved_waiting": waiting,
        "people": _names(session, brought_in(session, esc)),
        "history": [{"at": e.at.isoformat(), "action": e.action,
                     "tier": e.detail.get("tier"),
                     "who": (p.name if (p := session.get(Person, e.actor_id)) else "ketenbot")
                     if e.actor_id else "ketenbot", "platform": e.platform}
                    for e in events[-8:]] if headline is None else [],
    } | extra


def notify(session: Session, ctx: Context, esc: ModelEscalation, event: ModelEscalationEvent,
           people: list[Person], template: str, **extra: Any) -> None:
    """One message per person (never the actor), and a line in the referral's thread."""
    now = ctx.clock()
    base = summary(session, esc) | {"actor": ctx.actor.name if ctx.actor else "ketenbot"} | extra
    seen: set[int] = set()
    for person in people:
        if person.id is None or person.id in seen or (ctx.actor and person.id == ctx.actor.id):
            continue
        seen.add(person.id)
        enqueue(session, dedupe_key=f"es:{esc.id}:{event.id}:{person.id}", kind="model",
                template=template, payload=base | {"recipient_name": person.name},
                now=now, deliver_after=ctx.work_hours.next_open(now), person_id=person.id,
                referral_id=esc.referral_id)
    if esc.referral_id is not None:
        enqueue(session, dedupe_key=f"thread:{esc.referral_id}:es:{event.id}", kind="thread",
                template="thread_model", payload=base | {"event": event.action}, now=now,
                deliver_after=now, referral_id=esc.referral_id)


def for_person(session: Session, person: Person) -> list[dict[str, Any]]:
    """Open escalations the person takes part in or where it is their turn (`mijn`):
    they acted on it, a tier brought them in, or it is about their referral.
    (Everyone of a party organisation may act on it, but a GI's hundred
    colleagues should not all find it in their `mijn`.)"""
    out = []
    for esc in session.exec(select(ModelEscalation).where(
            ModelEscalation.status == "open").order_by(col(ModelEscalation.id))).all():
        referral = session.get(Referral, esc.referral_id) if esc.referral_id else None
        on_referral = referral is not None and person.id in (
            referral.jb_id, referral.lt_id, referral.lt_backup_id)
        if not on_referral and person.id not in participants(session, esc):
            continue
        if not is_party(session, esc, person):  # moved to another region, or removed
            continue
        report = minutes.pending_report(session, esc)
        approve = False
        if report is not None:
            wanted, done = minutes.approvals_of(session, esc, report)
            approve = person.id in wanted and person.id not in done
        # Asked at each tier, of whoever took it (at first: who started it).
        family = (minutes.family_missing(session, esc)
                  and minutes.asked_of(session, esc) == person.id)
        out.append(summary(session, esc) | {"approve": approve, "family_missing": family,
                                            "my_turn": approve or family})
    out.sort(key=lambda i: not i["my_turn"])
    return out
