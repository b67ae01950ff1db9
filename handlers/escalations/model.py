"""Bouwsteen 6: the escalation model for stagnating cooperation, in chat.

Separate from the referral routes: it concerns a referral or only a case
reference (kenmerk) in a gemeente, and its parties are organisations. It sets
**no terms and takes no step by itself**: people take the next tier by
command (`trede`), nothing is scheduled, the sweep never looks at it.
The family's position is asked at each tier and recorded (yes / no / later,
with why; never family data). Each meeting's verslag is put to that meeting's
participants, each approves in chat, and the meeting is recorded; the
escalation closes when its parties say it is resolved, or when a
leidinggevende closes it with a reason (`meetings`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import Session, col, select

from handlers.contacts.lookup import find_gemeente
from handlers.core import Context, Refused, Reply, error
from handlers.escalations import meetings
from handlers.escalations.access import is_party, works_for
from handlers.escalations.people import (
    KIND_WORDS,
    MAY_CLOSE,
    MAY_TAKE,
    PARTY_KINDS,
    find_orgs,
    org_of,
    participants,
    party_orgs,
    tier_people,
)
from handlers.escalations.view import (
    TIER_NAMES,
    for_person,
    gemeente_of,
    notify,
    record,
    view,
)
from handlers.incoming import free_text
from handlers.referrals.guard import REF_RE, case_named
from handlers.referrals.membership import parties_of
from storage.db import session_scope
from storage.models import Organisation, Person
from storage.personal_data import kenmerk_problem
from storage.tables import ModelEscalation, ModelEscalationParty, Referral

ES_RE = re.compile(r"^ES-?(\d{1,8})$", re.IGNORECASE)
SITUATIONS = {"dilemma": "dilemma", "samenwerking": "samenwerking", "zorgelijk": "zorgelijk",
              "cooperation": "samenwerking", "concern": "zorgelijk"}
FAMILY = {"ja": "ja", "yes": "ja", "nee": "nee", "no": "nee", "later": "later",
          "achteraf": "later", "afterwards": "later"}


def _guard(session: Session, ctx: Context, text: str, need_open: bool = True
           ) -> tuple[ModelEscalation, list[str]]:
    """The escalation named first in `text` (and the remaining words); refuses
    (nothing written) when it is malformed, unknown, closed, or the actor no party."""
    words = text.split()
    m = ES_RE.match(words[0]) if words else None
    if not m:
        raise Refused(error("model_ref_usage"))
    esc = session.get(ModelEscalation, int(m.group(1)))
    if esc is None:
        raise Refused(error("model_unknown", es_ref=words[0][:20]))
    assert ctx.actor is not None
    if not is_party(session, esc, ctx.actor):
        raise Refused(error("model_not_party", es_ref=esc.ref,
                            gemeente=gemeente_of(session, esc)))
    if need_open and esc.status != "open":
        raise Refused(error("model_closed", es_ref=esc.ref))
    return esc, words[1:]


def _free_text(words: list[str], field: str = "verslag") -> str | None:
    # Refused when too long, never cut: a cut could leave a BSN-shaped number.
    return free_text(" ".join(words), field, skip=0)


# -- starting ------------------------------------------------------------------


def start(ctx: Context, text: str) -> Reply:
    """`escaleer KB-0001 <situatie>` or `escaleer kenmerk <kenmerk> <gemeente> <situatie>`."""
    words = text.split()
    if len(words) < 2 or words[-1].lower() not in SITUATIONS:
        return error("model_start_usage")
    situation = SITUATIONS[words[-1].lower()]
    actor = ctx.actor
    assert actor is not None
    with session_scope(ctx.engine) as session:
        org = org_of(session, actor)
        if words[0].lower() in ("kenmerk", "case"):  # the English word too
            if len(words) < 4:
                return error("model_start_usage")
            kenmerk, gemeente_text = words[1], " ".join(words[2:-1])
            why = kenmerk_problem(kenmerk)
            if why is not None:
                return error("kenmerk_invalid", why=why)
            match = find_gemeente(session, gemeente_text)
            if match.gemeente is None:
                code = "gemeente_ambiguous" if match.ambiguous else "gemeente_unknown"
                return error(code, query=gemeente_text, suggestions=match.candidates)
            if org is None or org.kind not in PARTY_KINDS:
                return error("model_not_professional")
            gemeente_id, referral, orgs = match.gemeente.id, None, [org]
            if not works_for(session, actor, orgs, gemeente_id):
                return error("model_not_gemeente", gemeente=match.gemeente.name)
            open_q = select(ModelEscalation).where(
                func.lower(ModelEscalation.kenmerk) == kenmerk.lower(),
                ModelEscalation.gemeente_id == gemeente_id, ModelEscalation.status == "open")
        else:
            if len(words) != 2:
                return error("model_start_usage")
            if not REF_RE.match(words[0]):
                return error("ref_usage")
            # A referral, a tafel case or a handover: Bouwsteen 6 is about any case.
            referral = case_named(session, ctx, words[0])
            if referral is None:
                return error("ref_unknown", ref=words[0][:20])
            orgs = _referral_orgs(session, referral)
            if org is None or org.id not in {o.id for o in orgs} or not (
                    parties_of(session, referral, actor)
                    or works_for(session, actor, orgs, referral.gemeente_id)):
                return error("model_not_involved", ref=referral.ref)
            kenmerk, gemeente_id = referral.kenmerk, referral.gemeente_id
            open_q = select(ModelEscalation).where(ModelEscalation.referral_id == referral.id,
                                                   ModelEscalation.status == "open")
        # By kenmerk, only an escalation the actor is a party of is named: another
        # organisation's escalation on the same kenmerk is not theirs to learn of
        # (the answer is the one for a kenmerk nobody escalated).
        existing = next((e for e in session.exec(open_q).all()
                         if referral is not None or is_party(session, e, actor)), None)
        if existing is not None:
            return error("model_open", es_ref=existing.ref, kenmerk=kenmerk)
        esc = ModelEscalation(referral_id=referral.id if referral else None, kenmerk=kenmerk,
                              gemeente_id=gemeente_id, situation=situation,
                              started_by_id=actor.id or 0, created_at=ctx.clock())
        session.add(esc)
        session.flush()
        esc.ref = f"ES-{esc.id:04d}"
        for o in orgs:
            session.add(ModelEscalationParty(escalation_id=esc.id or 0, organisation_id=o.id or 0))
        session.flush()
        event = record(session, ctx, esc, "gestart", actor, situatie=situation,
                       organisaties=[o.key for o in orgs],
                       referral=referral.ref if referral else None)
        told = []
        if referral is not None:
            for pid in (referral.jb_id, referral.lt_id):
                person = session.get(Person, pid) if pid else None
                if person is not None:
                    told.append(person)
        notify(session, ctx, esc, event, told, "model_started")
        return Reply("escalation_model", view(session, ctx, esc, "gestart"), private=False)


def _referral_orgs(session: Session, referral: Referral) -> list[Organisation]:
    """The organisations a referral involves: the JB's GI, the lokaal team, the provider."""
    found: dict[int, Organisation] = {}
    for pid in (referral.jb_id, referral.lt_id, referral.lt_backup_id):
        person = session.get(Person, pid) if pid else None
        org = org_of(session, person) if person else None
        if org is not None and org.id is not None:
            found.setdefault(org.id, org)
    if referral.zorgaanbieder_id:
        provider = session.get(Organisation, referral.zorgaanbieder_id)
        if provider is not None and provider.id is not None:
            found.setdefault(provider.id, provider)
    return list(found.values())


# -- taking part -----------------------------------------------------------------


def add_party(ctx: Context, text: str) -> Reply:
    """`partij ES-0001 <organisatie|lt|gi|vt|raad|za>`"""
    with session_scope(ctx.engine) as session:
        esc, rest = _guard(session, ctx, text)
        if not rest:
            return error("model_party_usage", es_ref=esc.ref)
        wanted = " ".join(rest)
        matches = [o for o in find_orgs(session, wanted, esc.gemeente_id)
                   if o.kind in PARTY_KINDS]
        if not matches:
            return error("model_party_unknown", name=wanted[:80],
                         kind=wanted.lower() in KIND_WORDS)
        if len(matches) > 1:
            return error("model_party_ambiguous", name=wanted[:80],
                         options=[o.key for o in matches][:8])
        org = matches[0]
        if org.id in {o.id for o in party_orgs(session, esc)}:
            return error("model_party_already", es_ref=esc.ref, name=org.name)
        session.add(ModelEscalationParty(escalation_id=esc.id or 0, organisation_id=org.id or 0))
        session.flush()
        # A tier already taken reaches the new organisation's people too, by
        # this command (nothing is ever sent later by itself).
        found = (tier_people(session, esc, esc.tier, gemeente_of(session, esc), only=org)
                 if esc.tier else None)
        event = record(session, ctx, esc, "partij", ctx.actor, organisatie=org.key,
                       people=[p.id for p in found.people] if found else None,
                       missing=found.missing if found and found.missing else None)
        if found:
            notify(session, ctx, esc, event, found.people, "model_tier", new_tier=esc.tier)
        notify(session, ctx, esc, event, [], "model_started")
        return Reply("escalation_model", view(
            session, ctx, esc, "partij", added=org.name,
            brought=[p.name for p in found.people] if found else [],
            missing=found.missing if found else []), private=False)


def take_tier(ctx: Context, text: str) -> Reply:
    """`trede ES-0001 1|2|3`: bring in the next tier. Never done by the bot itself."""
    actor = ctx.actor
    assert actor is not None
    with session_scope(ctx.engine) as session:
        esc, rest = _guard(session, ctx, text)
        if len(rest) != 1 or rest[0] not in ("1", "2", "3"):
            return error("model_tier_usage", es_ref=esc.ref)
        tier = int(rest[0])
        if tier <= esc.tier:
            return error("model_tier_taken", es_ref=esc.ref, tier=tier, current=esc.tier)
        if tier == 1 and esc.situation != "dilemma":
            return error("model_tier1_dilemma", es_ref=esc.ref, situation=esc.situation)
        if tier == 2 and esc.situation == "dilemma" and esc.tier < 1:
            return error("model_tier2_after1", es_ref=esc.ref)
        if actor.role not in MAY_TAKE[tier]:
            return error("model_tier_rights", es_ref=esc.ref, tier=tier,
                         roles=list(MAY_TAKE[tier]), role=actor.role)
        found = tier_people(session, esc, tier, gemeente_of(session, esc))
        if not found.people:
            return error("model_tier_nobody", es_ref=esc.ref, tier=tier, missing=found.missing)
        esc.tier = tier
        session.add(esc)
        everyone = found.people + found.mediators
        event = record(session, ctx, esc, "trede", actor, tier=tier,
                       people=[p.id for p in everyone], missing=found.missing or None)
        notify(session, ctx, esc, event, found.people, "model_tier", new_tier=tier)
        notify(session, ctx, esc, event, found.mediators, "model_tier", new_tier=tier,
               mediator=True)
        return Reply("escalation_model", view(
            session, ctx, esc, "trede", new_tier=tier,
            brought=[p.name for p in found.people], mediators=[p.name for p in found.mediators],
            missing=found.missing), private=False)


def family(ctx: Context, text: str) -> Reply:
    """`gezin ES-0001 ja|nee|later [waarom]`: yes/no/later and why, never family data;
    asked at each tier, every answer kept (meetings.record_family)."""
    with session_scope(ctx.engine) as session:
        esc, rest = _guard(session, ctx, text)  # a closed escalation is read-only
        answer = FAMILY.get(rest[0].lower()) if rest else None
        if answer is None:
            return error("model_family_usage", es_ref=esc.ref)
        reason = _free_text(rest[1:])
        if answer != "ja" and reason is None:
            return error("model_family_reason", es_ref=esc.ref, answer=answer)
        meetings.record_family(session, ctx, esc, answer, reason)
        return Reply("escalation_model", view(session, ctx, esc, "familie"), private=False)


# -- the verslag per meeting, approval and closing ----------------------------------


def report(ctx: Context, text: str) -> Reply:
    """`verslag ES-0001 <tekst>`: the verslag of the meeting at the current tier,
    put to that meeting's participants."""
    with session_scope(ctx.engine) as session:
        esc, rest = _guard(session, ctx, text)
        if not rest:
            return error("model_report_usage", es_ref=esc.ref)
        headline = meetings.put_report(session, ctx, esc, _free_text(rest))
        return Reply("escalation_model", view(session, ctx, esc, headline), private=False)


def approve(ctx: Context, text: str) -> Reply:
    """`akkoord ES-0001`: approve the meeting's verslag; the last approval records
    the meeting (the escalation goes on until its parties say it is resolved)."""
    with session_scope(ctx.engine) as session:
        esc, _ = _guard(session, ctx, text)
        headline = meetings.approve(session, ctx, esc)
        return Reply("escalation_model", view(session, ctx, esc, headline), private=False)


def close(ctx: Context, text: str) -> Reply:
    """`sluit ES-0001 <reden>`: a leidinggevende closes it without everyone's say."""
    actor = ctx.actor
    assert actor is not None
    with session_scope(ctx.engine) as session:
        esc, rest = _guard(session, ctx, text)
        if actor.role not in MAY_CLOSE:
            return error("model_close_rights", es_ref=esc.ref, roles=list(MAY_CLOSE))
        if not rest:
            return error("model_close_usage", es_ref=esc.ref)
        return _close(session, ctx, esc, "leidinggevende", _free_text(rest))


def _close(session: Session, ctx: Context, esc: ModelEscalation, how: str,
           reason: str | None) -> Reply:
    esc.status, esc.closed_at = "closed", ctx.clock()
    session.add(esc)
    event = record(session, ctx, esc, "gesloten", ctx.actor, hoe=how, reden=reason)
    people = [p for p in (session.get(Person, i) for i in participants(session, esc))
              if p is not None]
    notify(session, ctx, esc, event, people, "model_closed", how=how, reason=reason)
    return Reply("escalation_model", view(session, ctx, esc, "gesloten"), private=False)


def resolved(ctx: Context, text: str) -> Reply:
    """`opgelost <ES-ref|KB-ref> [toelichting]`: the actor's organisation says the
    difference is bridged; the escalation closes when every party has said so."""
    words = text.split()
    if words and not ES_RE.match(words[0]):
        if not REF_RE.match(words[0]):
            return error("ref_usage")
        with session_scope(ctx.engine) as session:
            referral = case_named(session, ctx, words[0])
            if referral is None:
                return error("ref_unknown", ref=words[0][:20])
            esc = session.exec(select(ModelEscalation).where(
                ModelEscalation.referral_id == referral.id,
                ModelEscalation.status == "open")).first()
            if esc is None:
                assert ctx.actor is not None
                if not parties_of(session, referral, ctx.actor):
                    return error("not_party", ref=referral.ref)
                return error("model_none", ref=referral.ref)
            words[0] = esc.ref or ""
    with session_scope(ctx.engine) as session:
        esc, rest = _guard(session, ctx, " ".join(words))
        note = _free_text(rest, "reden") if rest else None
        if meetings.say_resolved(session, ctx, esc, note) == "close":
            return _close(session, ctx, esc, "opgelost", None)
        return Reply("escalation_model", view(session, ctx, esc, "opgelost"), private=False)


# -- looking -------------------------------------------------------------------------


def show(ctx: Context, text: str) -> Reply:
    with session_scope(ctx.engine) as session:
        esc, _ = _guard(session, ctx, text, need_open=False)
        return Reply("escalation_model", view(session, ctx, esc, None))


def status_or(referral_status: Callable[[Context, str], Reply]
              ) -> Callable[[Context, str], Reply]:
    """`status ES-0001` shows the escalation, `status KB-0001` the referral."""

    def handler(ctx: Context, text: str) -> Reply:
        first = text.split()[0] if text.split() else ""
        if ES_RE.match(first):
            return show(ctx, text)
        reply = referral_status(ctx, text)
        if reply.ok and reply.data.get("ref"):
            with session_scope(ctx.engine) as session:
                reply.data["escalations"] = [
                    {"es_ref": e.ref, "tier": e.tier, "status": e.status,
                     "situation": e.situation}
                    for e in session.exec(select(ModelEscalation).join(
                        Referral, col(Referral.id) == ModelEscalation.referral_id)
                        .where(Referral.ref == reply.data["ref"])
                        .order_by(col(ModelEscalation.id))).all()]
        return reply

    return handler


def with_escalations(mine: Callable[[Context, str], Reply]) -> Callable[[Context, str], Reply]:
    """`mijn`: the referrals, and the open escalations the person is part of."""

    def handler(ctx: Context, text: str) -> Reply:
        reply = mine(ctx, text)
        assert ctx.actor is not None
        with session_scope(ctx.engine) as session:
            reply.data["escalations"] = for_person(session, ctx.actor)
        return reply

    return handler


__all__ = ["TIER_NAMES", "add_party", "approve", "close", "family", "report", "resolved",
           "show", "start", "status_or", "take_tier", "with_escalations"]
