"""`overdracht`, `gesprek`, `afspraken`, `gezin` on a warm handover (OV-…).

When an OTS ends, the jeugdbeschermer hands the case to a professional of
another organisation (the lokaal team, or a provider): a joint conversation
with the family, then the agreements on how the results are kept. The seed gives
no term for either: the terms in `scheduling/routes.yaml` are ketenbot's
default, a region's choice, and the reply says so.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from handlers.core import Context, Refused, Reply, error
from handlers.incoming import free_text
from handlers.referrals.flow import enter_step, finish, notify_thread, record
from handlers.referrals.guard import guard, org_kind
from handlers.tafel.view import latest, tafel_view
from scheduling.party_directory import is_absent
from scheduling.routes import Route
from storage.db import session_scope
from storage.models import OrgKind, Person, Role, is_active
from storage.tables import Referral

# Whether the family took part in the joint conversation: the answer, like
# Bouwsteen 6's; a why for nee or later, never family data.
FAMILY = {"ja": "ja", "yes": "ja", "nee": "nee", "no": "nee", "later": "later"}


def start(ctx: Context, text: str) -> Reply:
    """`overdracht <JT|KB> <e-mail>`: the JB of the case names who takes it over."""
    words = text.split()
    if len(words) != 2 or "@" not in words[1]:
        return error("ov_usage")
    actor = ctx.actor
    assert actor is not None
    name, process = ctx.routes.process("overdracht")
    with session_scope(ctx.engine) as session:
        source, parties = guard(session, ctx, text, need_open=False)
        kind = ctx.routes.route(source.route).kind
        if source.status == "withdrawn":
            return error("referral_closed", ref=source.ref, status=source.status)
        if kind == "overdracht":
            return error("ov_source", ref=source.ref)
        if kind == "tafel":
            registered = latest(session, source, "tafel_aangemeld")
            if not (registered and registered.detail.get("ots_einde")):
                return error("ov_source", ref=source.ref)
        own = "aanmelder" if kind == "tafel" else "jeugdbeschermer"
        if own not in parties or org_kind(session, actor) != OrgKind.GI \
                or actor.role != Role.MEDEWERKER:
            return error("not_allowed", ref=source.ref, action="overdracht",
                         who=["jeugdbeschermer"])
        receiver = _receiver(session, ctx, words[1])
        open_ov = session.exec(select(Referral).where(
            Referral.route == name, Referral.status == "open",
            Referral.kenmerk == source.kenmerk, Referral.gemeente_id == source.gemeente_id,
            Referral.jb_id == actor.id)).first()
        if open_ov is not None:
            return error("ov_duplicate", ref=open_ov.ref, source=source.ref)
        now = ctx.clock()
        first = process.steps[0]
        ov = Referral(route=name, kenmerk=source.kenmerk, gemeente_id=source.gemeente_id,
                      step=first.key, step_started_at=now, jb_id=actor.id or 0,
                      lt_id=receiver.id, created_at=now)
        session.add(ov)
        session.flush()
        ov.ref = f"{process.prefix}-{ov.id:04d}"
        record(session, ctx, ov, "ov_gestart", actor, bron=source.ref, ontvanger=receiver.name)
        enter_step(session, ctx, ov, process, first, actor)
        return Reply("tafel", tafel_view(session, ctx, ov, "ov_gestart", source=source.ref,
                                         default_terms=True), private=False)


def _receiver(session: Session, ctx: Context, email: str) -> Person:
    person = session.exec(select(Person).where(
        col(Person.email) == email.strip().lower())).first()
    if person is None or not is_active(session, person):
        raise Refused(error("person_unknown", email=email[:80]))
    if ctx.actor is not None and person.id == ctx.actor.id:
        raise Refused(error("ov_self"))
    if is_absent(person, ctx.today()):
        raise Refused(error("ov_receiver_absent", name=person.name, until=person.absent_until))
    return person


def _handover(session: Session, ctx: Context, text: str, action: str
              ) -> tuple[Referral, Route, set[str]]:
    ref, parties = guard(session, ctx, text)
    process = ctx.routes.route(ref.route)
    if process.kind != "overdracht":
        raise Refused(error("ov_not_handover", ref=ref.ref, action=action))
    return ref, process, parties


def _complete(ctx: Context, text: str, action: str) -> Reply:
    with session_scope(ctx.engine) as session:
        ref, process, parties = _handover(session, ctx, text, action)
        step = process.step(ref.step)
        if step.done_by.action != action:
            return error("wrong_action", ref=ref.ref, action=action,
                         expected=step.done_by.action, step=step.number)
        if not parties & set(step.done_by.who):
            return error("not_allowed", ref=ref.ref, action=action, who=step.done_by.who)
        if len(text.split()) > 1:
            return error("tafel_no_text", ref=ref.ref, action=action)
        assert ctx.actor is not None
        nxt = process.after(step)
        if nxt is None:
            finish(session, ctx, ref, "closed", ctx.actor, f"ov_{action}", number=step.number)
            notify_thread(session, ctx, ref, process, f"closed:{ref.id}", "thread_closed")
        else:
            record(session, ctx, ref, f"ov_{action}", ctx.actor, number=step.number)
            enter_step(session, ctx, ref, process, nxt, ctx.actor)
        return Reply("tafel", tafel_view(session, ctx, ref, f"ov_{action}",
                                         default_terms=True), private=False)


def talk(ctx: Context, text: str) -> Reply:
    """`gesprek <OV>`: the joint conversation with the family took place."""
    return _complete(ctx, text, "gesprek")


def agreements(ctx: Context, text: str) -> Reply:
    """`afspraken <OV>`: the agreements on securing the results are recorded."""
    return _complete(ctx, text, "afspraken")


def family(ctx: Context, text: str) -> Reply:
    """`gezin <OV> ja|nee|later [waarom]`: was the family involved in the handover?"""
    with session_scope(ctx.engine) as session:
        ref, _, parties = _handover(session, ctx, text, "gezin")
        if not parties & {"jeugdbeschermer", "ontvanger"}:
            return error("not_allowed", ref=ref.ref, action="gezin",
                         who=["jeugdbeschermer", "ontvanger"])
        words = text.split()
        answer = FAMILY.get(words[1].casefold()) if len(words) > 1 else None
        if answer is None:
            return error("ov_family_usage", ref=ref.ref)
        why = free_text(text, "toelichting", skip=2)
        if answer != "ja" and why is None:
            return error("ov_family_reason", ref=ref.ref, answer=answer)
        record(session, ctx, ref, "ov_gezin", ctx.actor, antwoord=answer, toelichting=why)
        return Reply("tafel", tafel_view(session, ctx, ref, "ov_gezin", default_terms=True),
                     private=False)
