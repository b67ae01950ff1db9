"""What an escalation's record says: its meetings' verslagen and their approvals,
who said it is resolved, the family's position per tier (read only; the
writing is `meetings`, which `view` must not import)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from handlers.escalations.people import EXECUTING, participants, party_orgs
from storage.models import Person
from storage.tables import ModelEscalation, ModelEscalationEvent, ModelEscalationFamily


def events(session: Session, esc: ModelEscalation, *actions: str) -> list[ModelEscalationEvent]:
    return list(session.exec(select(ModelEscalationEvent).where(
        ModelEscalationEvent.escalation_id == esc.id,
        col(ModelEscalationEvent.action).in_(actions)).order_by(col(ModelEscalationEvent.id))))


def meeting_people(session: Session, esc: ModelEscalation, recorder: Person) -> list[int]:
    """Who took part in the meeting at the escalation's current tier: whoever
    records its verslag, whoever took the tier, the people the tier brought
    in (also with a party added later), and, below tier 3 (bestuurders and
    wethouders meet among themselves), the professionals of the case who
    acted on the escalation. Not everyone ever involved."""
    who = {recorder.id or 0}
    since = 0
    for e in events(session, esc, "trede"):
        if int(e.detail.get("tier", 0)) == esc.tier:
            since = e.id or 0
            who.add(e.actor_id or 0)
            who.update(int(i) for i in e.detail.get("people", []))
    for e in events(session, esc, "partij"):
        if (e.id or 0) > since and esc.tier:
            who.update(int(i) for i in e.detail.get("people", []))
    if esc.tier < 3:
        for pid in participants(session, esc):
            person = session.get(Person, pid)
            if person is not None and person.role in EXECUTING:
                who.add(pid)
    who.discard(0)
    return sorted(who)


def recorded(session: Session, esc: ModelEscalation) -> dict[int, ModelEscalationEvent]:
    """verslag event id -> the "overleg" event that recorded its meeting."""
    return {int(e.detail["verslag"]): e for e in events(session, esc, "overleg")}


def pending_report(session: Session, esc: ModelEscalation) -> ModelEscalationEvent | None:
    """The verslag still waiting for its meeting's approvals, if any."""
    reports = events(session, esc, "verslag")
    if not reports or reports[-1].id in recorded(session, esc):
        return None
    return reports[-1]


def approvals_of(session: Session, esc: ModelEscalation,
                 report: ModelEscalationEvent) -> tuple[list[int], set[int]]:
    """(who must approve the verslag, who has)."""
    wanted = [int(i) for i in report.detail.get("deelnemers", [])]
    done = {e.actor_id for e in events(session, esc, "goedgekeurd")
            if e.actor_id is not None and int(e.detail.get("verslag", 0)) == report.id}
    return wanted, done


def reports(session: Session, esc: ModelEscalation) -> list[dict[str, Any]]:
    """Every meeting's verslag that stands (approved), and the one waiting."""
    done_meetings = recorded(session, esc)
    pending = pending_report(session, esc)
    out = []
    for e in events(session, esc, "verslag"):
        if e.id not in done_meetings and (pending is None or e.id != pending.id):
            continue  # replaced before it was approved
        by = session.get(Person, e.actor_id) if e.actor_id else None
        wanted, done = approvals_of(session, esc, e)
        out.append({"tier": int(e.detail.get("tier", 0)), "text": e.detail.get("tekst"),
                    "by": by.name if by else "ketenbot", "at": e.at.isoformat(),
                    "recorded": e.id in done_meetings,
                    "approved": _names(session, [w for w in wanted if w in done]),
                    "pending": _names(session, [w for w in wanted if w not in done])})
    return out


def _names(session: Session, ids: list[int]) -> list[str]:
    return [p.name for p in (session.get(Person, i) for i in ids) if p is not None]


def resolved_state(session: Session, esc: ModelEscalation) -> tuple[list[str], list[str]]:
    """(party organisations that said it is resolved since the last tier, those
    that have not). A tier taken after they said so means it was not."""
    last_tier = max((e.id or 0 for e in events(session, esc, "trede")), default=0)
    said = {int(e.detail["organisatie_id"]) for e in events(session, esc, "opgelost")
            if (e.id or 0) > last_tier and e.detail.get("organisatie_id") is not None}
    orgs = party_orgs(session, esc)
    return ([o.name for o in orgs if o.id in said], [o.name for o in orgs if o.id not in said])


def family_answers(session: Session, esc: ModelEscalation) -> list[dict[str, Any]]:
    rows = session.exec(select(ModelEscalationFamily).where(
        ModelEscalationFamily.escalation_id == esc.id)
        .order_by(col(ModelEscalationFamily.tier))).all()
    out = []
    for r in rows:
        by = session.get(Person, r.actor_id) if r.actor_id else None
        out.append({"tier": r.tier, "answer": r.answer, "reason": r.reason,
                    "by": by.name if by else "ketenbot", "at": r.at.isoformat()})
    return out


def family_missing(session: Session, esc: ModelEscalation) -> bool:
    """The family's position is not yet recorded for the tier the escalation is on."""
    return session.exec(select(ModelEscalationFamily.id).where(
        ModelEscalationFamily.escalation_id == esc.id,
        ModelEscalationFamily.tier == esc.tier)).first() is None


def asked_of(session: Session, esc: ModelEscalation) -> int | None:
    """Who is asked for the family's position at this tier: whoever took it
    (at tier 0: whoever started the escalation)."""
    taken = [e for e in events(session, esc, "trede")
             if int(e.detail.get("tier", 0)) == esc.tier]
    return taken[-1].actor_id if taken else esc.started_by_id
