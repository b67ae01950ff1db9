"""The route's own moves beyond "this step is done" (Bouwsteen 5).

Step 1 recorded by either side (315: both consultations), an incorrect 315,
step 5 (5A `gevonden`, 5B `ret` and its outcome) and step 6 (entered only
after step 5, the talk and a bestuurlijke escalatie taken by command). Each
command checks who may do it and where the referral stands before it changes
anything; a refusal says why and leaves the referral as it was.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from handlers.core import Context, Refused, Reply, error
from handlers.incoming import free_text
from handlers.referrals.flow import (
    consulted,
    enter_step,
    new_deadline,
    notify_person,
    notify_thread,
    record,
    settle,
    step_events,
)
from handlers.referrals.guard import guard
from handlers.referrals.membership import resolve
from handlers.referrals.providers import assign_provider, provider_and_contact
from handlers.referrals.view import status_view
from scheduling.routes import ALTERNATIVE, ESCALATION, Route, Step
from storage.db import session_scope
from storage.models import Person
from storage.tables import Deadline, Referral

SIDES = ("lt", "za")
LT_SIDE = {"lokaal_team", "lt_teamleider"}
STEP6_PEOPLE = ["gi_teamleider", "regionale_contactpersoon"]


def _reply(session: Session, ctx: Context, ref: Referral, headline: str) -> Reply:
    return Reply("referral", status_view(session, ctx, ref, headline=headline), private=False)


# -- step 1 ----------------------------------------------------------------------


def record_contact(session: Session, ctx: Context, ref: Referral, route: Route, step: Step,
                   parties: set[str], side: str | None, word: str) -> Reply:
    """Step 1: the JB's contact with the LT worker (315: and with a zorgaanbieder),
    recorded by either side; the step is done when every consultation it needs is."""
    assert ctx.actor is not None
    if not step.needs:
        return error("contact_step", ref=ref.ref, step=step.number)
    done = consulted(session, ref)
    open_sides = [s for s in step.needs if s not in done]
    if side is None:
        if parties & LT_SIDE and "jeugdbeschermer" not in parties:
            side = "lt"
        elif "zorgaanbieder" in parties and "jeugdbeschermer" not in parties:
            side = "za"
        elif len(open_sides) == 1:
            side = open_sides[0]
        else:
            return error("contact_which", ref=ref.ref)
    if side not in step.needs:
        return error("contact_which", ref=ref.ref)
    # Who may record which consultation: the JB both; the lokaal team its own,
    # the zorgaanbieder its own.
    may = {"lt": {"jeugdbeschermer"} | LT_SIDE, "za": {"jeugdbeschermer", "zorgaanbieder"}}[side]
    if not parties & may:
        return error("contact_side", ref=ref.ref, side=side)
    if side in done:
        earlier = done[side]
        who = session.get(Person, earlier.actor_id) if earlier.actor_id else None
        return error("contact_done", ref=ref.ref, side=side, at=earlier.at.isoformat(),
                     who=who.name if who else "ketenbot")
    event = record(session, ctx, ref, word, ctx.actor, met=side, number=step.number)
    if all(s in done or s == side for s in step.needs):
        nxt = route.after(step)
        assert nxt is not None
        enter_step(session, ctx, ref, route, nxt, ctx.actor)
    else:
        notify_thread(session, ctx, ref, route, f"contact:{event.id}", "thread_event",
                      event="contact", met=side, by=ctx.actor.name)
    return _reply(session, ctx, ref, word)


def contact(ctx: Context, text: str) -> Reply:
    """`contact <ref> [lt|za]`: a step-1 consultation took place."""
    words = text.split()
    side = words[1].lower() if len(words) > 1 else None
    if side is not None and (side not in SIDES or len(words) > 2):
        return error("contact_usage")
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        route = ctx.routes.route(ref.route)
        return record_contact(session, ctx, ref, route, route.step(ref.step), parties,
                              side, "contact")


# -- 315 step 4: an incorrect 315 -------------------------------------------------


def incorrect_315(ctx: Context, text: str) -> Reply:
    """`onjuist <ref> [reden]`: the backoffice answered the 315 with a JW319."""
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        route = ctx.routes.route(ref.route)
        step = route.step(ref.step)
        if step.on_onjuist is None:
            return error("onjuist_step", ref=ref.ref, step=step.number)
        if "backoffice" not in parties:
            return error("not_allowed", ref=ref.ref, action="onjuist", who=["backoffice"])
        assert ctx.actor is not None
        reason = free_text(text, "reden")
        record(session, ctx, ref, "onjuist_315", ctx.actor, reden=reason)
        # Back to the provider for a corrected 315, with a new term.
        enter_step(session, ctx, ref, route, route.step(step.on_onjuist), ctx.actor)
        return _reply(session, ctx, ref, "onjuist")


# -- step 5 ----------------------------------------------------------------------


def found(ctx: Context, text: str) -> Reply:
    """`gevonden <ref> <zorgaanbieder>`: 5A, the network found a place (or, in step 6,
    help was found after all): the found provider and the backoffice get the
    route's terms again."""
    words = text.split()
    if len(words) < 2:
        return error("gevonden_usage")
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        route = ctx.routes.route(ref.route)
        step = route.step(ref.step)
        if step.done_by.action != "gevonden":
            return error("gevonden_step", ref=ref.ref, step=step.number)
        if not parties & set(step.done_by.who):
            return error("not_allowed", ref=ref.ref, action="gevonden", who=step.done_by.who)
        org, contact = provider_and_contact(session, words[1:])
        assert ctx.actor is not None
        assign_provider(ref, org, contact)
        session.add(ref)
        record(session, ctx, ref, "gevonden", ctx.actor, naam=org.name, number=step.number,
               contact=contact.name if contact else None)
        nxt = route.after(step)
        assert nxt is not None
        enter_step(session, ctx, ref, route, nxt, ctx.actor)
        return _reply(session, ctx, ref, "gevonden")


def involve_ret(ctx: Context, text: str) -> Reply:
    """`ret <ref>`: 5B, the case is put to the RET, which discusses it within two
    weeks of now; its members and the JB are reminded."""
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        if ref.step != ALTERNATIVE:
            return error("ret_step", ref=ref.ref)
        if not parties & {"jeugdbeschermer", "zorgaanbieder"}:
            return error("not_allowed", ref=ref.ref, action="ret",
                         who=["jeugdbeschermer", "zorgaanbieder"])
        if _pending(session, ref, "ret") is not None:
            return error("ret_open", ref=ref.ref)
        route = ctx.routes.route(ref.route)
        assert route.ret is not None  # step 5 is a referral route's, which has its RET term
        deadline = new_deadline(ctx, ref, "ret", ref.step, ctx.clock(), route.ret.term,
                                with_reminder=bool(route.ret.remind))
        session.add(deadline)
        event = record(session, ctx, ref, "ret", ctx.actor)
        notify_thread(session, ctx, ref, route, f"ret:{event.id}", "thread_ret")
        for person in resolve(session, ref, "ret", ctx.today()):
            notify_person(session, ctx, ref, route, person, f"ret:{event.id}:{person.id}",
                          "ret_request", party="ret")
        return _reply(session, ctx, ref, "ret")


def _pending(session: Session, ref: Referral, key: str) -> Deadline | None:
    return session.exec(select(Deadline).where(
        Deadline.referral_id == ref.id, Deadline.key == key,
        Deadline.status == "pending")).first()


def ret_outcome(ctx: Context, text: str) -> Reply:
    """`uitkomst <ref> ja|nee`: did the RET's discussion lead to (sight of) help?"""
    words = text.split()
    if len(words) != 2 or words[1].lower() not in ("ja", "nee", "yes", "no"):
        return error("uitkomst_usage")
    hulp = {"yes": "ja", "no": "nee"}.get(words[1].lower(), words[1].lower())
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        if ref.step != ALTERNATIVE:
            return error("ret_step", ref=ref.ref)
        may = ["jeugdbeschermer", "ret", "zorgaanbieder"]
        if not parties & set(may):
            return error("not_allowed", ref=ref.ref, action="uitkomst", who=may)
        asked = step_events(session, ref, ("ret",))
        if not asked:
            return error("ret_none", ref=ref.ref)
        if any(e.id is not None and asked[-1].id is not None and e.id > asked[-1].id
               for e in step_events(session, ref, ("ret_uitkomst",))):
            return error("ret_done", ref=ref.ref)
        settle(session, ref, ["ret"], "met")
        event = record(session, ctx, ref, "ret_uitkomst", ctx.actor, hulp=hulp)
        route = ctx.routes.route(ref.route)
        notify_thread(session, ctx, ref, route, f"ret-uitkomst:{event.id}", "thread_event",
                      event="ret_uitkomst", hulp=hulp)
        return _reply(session, ctx, ref, "ret_uitkomst")


# -- step 6 ----------------------------------------------------------------------


def why_not_step6(session: Session, route: Route, ref: Referral) -> dict[str, Any] | None:
    """Why `escaleer <ref>` cannot start step 6 now (the refusal's data), or None.

    Step 6 follows a step 5 that did not lead to (sight of) help: the RET's
    discussion brought none, or the RET let its two weeks pass.
    """
    step = route.step(ref.step)
    if ref.step == ESCALATION:
        return {"code": "already_escalated", "ref": ref.ref}
    if step.needs:  # step 1: the route's own rule, not an escalation
        return {"code": "escalate_step1", "ref": ref.ref, "step": step.number}
    if ref.step != ALTERNATIVE:
        return {"code": "escalate_too_early", "ref": ref.ref, "step": step.number}
    outcome = step_events(session, ref, ("ret_uitkomst",))
    lapsed = session.exec(select(Deadline).where(
        Deadline.referral_id == ref.id, Deadline.key == "ret",
        Deadline.status == "lapsed")).first()
    if (outcome and outcome[-1].detail.get("hulp") == "nee") or lapsed is not None:
        return None
    return {"code": "escalate_need_ret", "ref": ref.ref}


def start_step6(session: Session, ctx: Context, ref: Referral, parties: set[str]) -> Reply:
    """`escaleer <ref>` without a situation: step 6 of the route."""
    route = ctx.routes.route(ref.route)
    refusal = why_not_step6(session, route, ref)
    if refusal is not None:
        return error(**refusal)
    may = ["jeugdbeschermer", "gi_teamleider"]
    if not parties & set(may):
        return error("not_allowed", ref=ref.ref, action="escaleer", who=may)
    record(session, ctx, ref, "stap6", ctx.actor)
    enter_step(session, ctx, ref, route, route.step(ESCALATION), ctx.actor)
    return _reply(session, ctx, ref, "escalatie")


def _step6_guard(session: Session, ctx: Context, text: str, action: str
                 ) -> tuple[Referral, Route]:
    ref, parties = guard(session, ctx, text)
    if ref.step != ESCALATION:
        raise Refused(error("step6_only", ref=ref.ref, action=action))
    if not parties & set(STEP6_PEOPLE):
        raise Refused(error("not_allowed", ref=ref.ref, action=action, who=STEP6_PEOPLE))
    return ref, ctx.routes.route(ref.route)


def talk(ctx: Context, text: str) -> Reply:
    """`gesprek <ref>`: the GI team leader and the regional contact person talked."""
    with session_scope(ctx.engine) as session:
        ref, route = _step6_guard(session, ctx, text, "gesprek")
        if step_events(session, ref, ("gesprek",)):
            return error("gesprek_done", ref=ref.ref)
        settle(session, ref, [f"step:{ESCALATION}"], "met")
        event = record(session, ctx, ref, "gesprek", ctx.actor)
        assert ctx.actor is not None
        notify_thread(session, ctx, ref, route, f"gesprek:{event.id}", "thread_event",
                      event="gesprek", by=ctx.actor.name)
        return _reply(session, ctx, ref, "gesprek")


def bestuurlijk(ctx: Context, text: str) -> Reply:
    """`bestuurlijk <ref> [toelichting]`: either of them decides on a bestuurlijke
    escalatie. Recorded and told; ketenbot never takes this step by itself."""
    with session_scope(ctx.engine) as session:
        ref, route = _step6_guard(session, ctx, text, "bestuurlijk")
        if step_events(session, ref, ("bestuurlijk",)):
            return error("bestuurlijk_done", ref=ref.ref)
        assert ctx.actor is not None
        # Deciding on it means they have talked: the week's work is done.
        settle(session, ref, [f"step:{ESCALATION}"], "met")
        event = record(session, ctx, ref, "bestuurlijk", ctx.actor,
                       toelichting=free_text(text, "reden"))
        notify_thread(session, ctx, ref, route, f"bestuurlijk:{event.id}", "thread_event",
                      event="bestuurlijk", by=ctx.actor.name)
        told = {ctx.actor.id}
        for party in ("jeugdbeschermer", *STEP6_PEOPLE):
            for person in resolve(session, ref, party, ctx.today()):
                if person.id not in told:
                    told.add(person.id)
                    notify_person(session, ctx, ref, route, person,
                                  f"bestuurlijk:{event.id}:{person.id}", "bestuurlijk",
                                  party=party, by=ctx.actor.name)
        return _reply(session, ctx, ref, "bestuurlijk")
