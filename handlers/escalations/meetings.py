"""Bouwsteen 6's record of an escalation: a verslag per meeting, the family's
position per tier, and closing when the parties say it is resolved.

Seed: "Overleggen die gevoerd worden tijdens het escalatieproces worden bij
voorkeur vastgelegd en voorgelegd ter goedkeuring aan de gesprekspartners."
So a verslag belongs to one meeting (the one at the tier the escalation is
on) and is put to *that meeting's* participants; when they have all approved
it, the meeting is recorded ("overleg") — that is not the end of the
escalation. A tier-1 escalation succeeds only "wanneer het inhoudelijk
verschil van inzicht is overbrugd", otherwise the next tier follows: the
escalation closes when every party organisation says it is resolved
(`opgelost`), or when a leidinggevende closes it with a reason. Approved
verslagen stay readable by the parties after closing, for the periodic
evaluation the seed asks for.

"Gezinnen worden geïnformeerd wanneer er in het kader van de escalatiestappen
overleg is": each tier brings in new people and a new meeting, so the
family's position is asked at each tier and every answer kept with who gave
it and when; an answer is never overwritten.

Who may act at all is the caller's check (`model._guard`); this module holds
the rules of the record.
"""

from __future__ import annotations

from sqlmodel import Session, select

from handlers.core import Context, Refused, error
from handlers.escalations.minutes import (
    approvals_of,
    events,
    meeting_people,
    pending_report,
    recorded,
    resolved_state,
)
from handlers.escalations.people import org_of, participants, party_orgs
from handlers.escalations.view import notify, record
from storage.models import Person
from storage.tables import ModelEscalation, ModelEscalationEvent, ModelEscalationFamily


def put_report(session: Session, ctx: Context, esc: ModelEscalation, tekst: str | None) -> str:
    """Record the verslag of the meeting at the current tier and put it to that
    meeting's participants; the headline for the reply. A meeting has one
    verslag: once approved it stands; a corrected one replaces one still
    waiting for approval."""
    actor = ctx.actor
    assert actor is not None and actor.id is not None
    done_meetings = recorded(session, esc)
    for e in events(session, esc, "verslag"):
        if int(e.detail.get("tier", 0)) == esc.tier and e.id in done_meetings:
            raise Refused(error("model_meeting_done", es_ref=esc.ref, tier=esc.tier,
                                at=done_meetings[e.id or 0].at.isoformat()))
    replaced = pending_report(session, esc)
    who = meeting_people(session, esc, actor)
    event = record(session, ctx, esc, "verslag", actor, tekst=tekst, deelnemers=who,
                   tier=esc.tier, vervangt=replaced.id if replaced else None)
    # Recording it is the recorder's approval.
    record(session, ctx, esc, "goedgekeurd", actor, verslag=event.id)
    if who == [actor.id]:
        return _meeting_recorded(session, ctx, esc, event)
    others = [p for p in (session.get(Person, i) for i in who) if p is not None]
    notify(session, ctx, esc, event, others, "model_report", report=tekst,
           meeting_tier=esc.tier)
    return "verslag"


def approve(session: Session, ctx: Context, esc: ModelEscalation) -> str:
    """`akkoord`: approve the meeting's verslag; the last approval records the meeting."""
    actor = ctx.actor
    assert actor is not None
    report = pending_report(session, esc)
    if report is None:
        raise Refused(error("model_no_report", es_ref=esc.ref))
    wanted, done = approvals_of(session, esc, report)
    if actor.id not in wanted:
        raise Refused(error("model_not_participant", es_ref=esc.ref))
    if actor.id in done:
        raise Refused(error("model_already_approved", es_ref=esc.ref))
    record(session, ctx, esc, "goedgekeurd", actor, verslag=report.id)
    if set(wanted) <= done | {actor.id}:
        return _meeting_recorded(session, ctx, esc, report)
    return "goedgekeurd"


def _meeting_recorded(session: Session, ctx: Context, esc: ModelEscalation,
                      report: ModelEscalationEvent) -> str:
    tier = int(report.detail.get("tier", esc.tier))
    event = record(session, ctx, esc, "overleg", ctx.actor, verslag=report.id, tier=tier)
    people = [p for p in (session.get(Person, int(i)) for i in report.detail.get("deelnemers", []))
              if p is not None]
    notify(session, ctx, esc, event, people, "model_meeting", meeting_tier=tier)
    return "overleg"


def say_resolved(session: Session, ctx: Context, esc: ModelEscalation,
                 note: str | None) -> str:
    """`opgelost`: the actor's organisation says the difference is bridged; when
    every party organisation has, the escalation closes."""
    actor = ctx.actor
    assert actor is not None
    org = org_of(session, actor)
    parties = {o.id for o in party_orgs(session, esc)}
    if org is None or org.id not in parties:
        raise Refused(error("model_resolved_party", es_ref=esc.ref))
    said, _ = resolved_state(session, esc)
    if org.name in said:
        raise Refused(error("model_resolved_already", es_ref=esc.ref, organisation=org.name))
    event = record(session, ctx, esc, "opgelost", actor, organisatie_id=org.id,
                   organisatie=org.key, toelichting=note)
    _, waiting = resolved_state(session, esc)
    if not waiting:
        return "close"
    people = [p for p in (session.get(Person, i) for i in participants(session, esc))
              if p is not None]
    notify(session, ctx, esc, event, people, "model_resolved", organisation=org.name,
           waiting=waiting)
    return "opgelost"


def record_family(session: Session, ctx: Context, esc: ModelEscalation, answer: str,
                  reason: str | None) -> None:
    """Keep the answer for the current tier, with who and when; refused when this
    tier has one already (it is not overwritten)."""
    actor = ctx.actor
    assert actor is not None
    earlier = session.exec(select(ModelEscalationFamily).where(
        ModelEscalationFamily.escalation_id == esc.id,
        ModelEscalationFamily.tier == esc.tier)).first()
    if earlier is not None:
        by = session.get(Person, earlier.actor_id) if earlier.actor_id else None
        raise Refused(error("model_family_done", es_ref=esc.ref, tier=esc.tier,
                            answer=earlier.answer, who=by.name if by else "ketenbot",
                            at=earlier.at.isoformat()))
    record(session, ctx, esc, "familie", actor, antwoord=answer, tier=esc.tier)
    session.add(ModelEscalationFamily(escalation_id=esc.id or 0, tier=esc.tier, answer=answer,
                                      reason=reason, actor_id=actor.id, platform=ctx.platform,
                                      at=ctx.clock()))
    # The latest answer, as before (exports and older readers).
    esc.family_informed, esc.family_reason = answer, reason
    session.add(esc)
