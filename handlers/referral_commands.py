"""Chat commands on referrals: start, acknowledge, advance, reject, escalate, ...

Each command checks who may do it before it changes anything; a refusal says
why and leaves the referral as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from handlers import escalation_model
from handlers.core import Context, Refused, Reply, error
from handlers.incoming import free_text
from handlers.lookup import find_gemeente, pick_contact, teams_for
from handlers.parties import parties_of
from handlers.referral_flow import enter_step, finish, notify_person, notify_thread, record
from handlers.referral_view import mine_view, status_view
from storage.db import session_scope
from storage.models import Organisation, OrgKind, Person, Role, Team
from storage.tables import Referral

KENMERK_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/.]{0,39}$")
REF_RE = re.compile(r"^(?:KB-?)?(\d{1,8})$", re.IGNORECASE)


def _org_kind(session: Session, person: Person) -> str | None:
    team = session.get(Team, person.team_id)
    org = session.get(Organisation, team.organisation_id) if team else None
    return org.kind if org else None


def start_referral(ctx: Context, text: str) -> Reply:
    words = text.split()
    if len(words) < 3 or words[0] not in ("301", "315"):
        return error("verwijs_usage")
    route_name, kenmerk, gemeente_text = words[0], words[-1], " ".join(words[1:-1])
    if not KENMERK_RE.match(kenmerk):
        return error("kenmerk_invalid", kenmerk=kenmerk[:40])
    actor = ctx.actor
    assert actor is not None
    route = ctx.routes.route(route_name)
    with session_scope(ctx.engine) as session:
        if actor.role != Role.MEDEWERKER or _org_kind(session, actor) != OrgKind.GI:
            return error("only_jeugdbeschermer")
        match = find_gemeente(session, gemeente_text)
        if match.gemeente is None:
            code = "gemeente_ambiguous" if match.ambiguous else "gemeente_unknown"
            return error(code, query=gemeente_text, suggestions=match.candidates)
        gem = match.gemeente
        duplicate = session.exec(select(Referral).where(
            func.lower(Referral.kenmerk) == kenmerk.lower(), Referral.gemeente_id == gem.id,
            Referral.status == "open")).first()
        if duplicate:
            return error("referral_duplicate", ref=duplicate.ref, kenmerk=kenmerk)
        lt = teams_for(session, gem.id or 0, (OrgKind.LOKAAL_TEAM,))
        contact, backup, _ = pick_contact(lt[0].people if lt else [], ctx.today())
        if contact is None:
            return error("no_lokaal_team", gemeente=gem.name)
        now = ctx.clock()
        first = route.steps[0]
        ref = Referral(route=route_name, kenmerk=kenmerk, gemeente_id=gem.id or 0,
                       step=first.key, step_started_at=now, jb_id=actor.id or 0,
                       lt_id=contact.id, lt_backup_id=backup.id if backup else None,
                       created_at=now)
        session.add(ref)
        session.flush()
        ref.ref = f"KB-{ref.id:04d}"
        record(session, ctx, ref, "gestart", actor, route=route_name, gemeente=gem.name,
               lokaal_team=contact.name, koppelgenoot=backup.name if backup else None)
        enter_step(session, ctx, ref, route, first, actor)
        return Reply("referral", status_view(session, ctx, ref, headline="started"),
                     private=False)


def _guard(session: Session, ctx: Context, text: str, need_open: bool = True
           ) -> tuple[Referral, set[str]]:
    """The referral named first in `text` and the actor's parties on it.

    Raises Refused (answered by the registry, nothing written) when the
    reference is malformed or unknown, the actor is no party, or it is closed.
    """
    m = REF_RE.match(text.split()[0]) if text.split() else None
    if not m:
        raise Refused(error("ref_usage"))
    ref = session.exec(select(Referral).where(Referral.id == int(m.group(1)))).first()
    if ref is None:
        raise Refused(error("ref_unknown", ref=text.split()[0][:20]))
    assert ctx.actor is not None
    parties = parties_of(session, ref, ctx.actor)
    if not parties:
        raise Refused(error("not_party", ref=ref.ref))
    if need_open and ref.status != "open":
        raise Refused(error("referral_closed", ref=ref.ref, status=ref.status))
    return ref, parties


def complete_step(action: str) -> Callable[[Context, str], Reply]:
    """`ontvangen`, `volgende`, `301`, `315`, `gestart`: finish the current step."""

    def handler(ctx: Context, text: str) -> Reply:
        with session_scope(ctx.engine) as session:
            ref, parties = _guard(session, ctx, text)
            route = ctx.routes.route(ref.route)
            step = route.step(ref.step)
            if step.done_by.action != action:
                return error("wrong_action", ref=ref.ref, action=action,
                             expected=step.done_by.action, step=step.number)
            if not parties & set(step.done_by.who):
                return error("not_allowed", ref=ref.ref, action=action, who=step.done_by.who)
            assert ctx.actor is not None
            record(session, ctx, ref, action, ctx.actor, number=step.number)
            nxt = route.after(step)
            if action == "gestart" or nxt is None:
                finish(session, ctx, ref, "closed", ctx.actor, "afgerond")
                notify_thread(session, ctx, ref, route, f"closed:{ref.id}", "thread_closed")
            else:
                enter_step(session, ctx, ref, route, nxt, ctx.actor)
            return Reply("referral", status_view(session, ctx, ref, headline=action),
                         private=False)

    return handler


def reject(ctx: Context, text: str) -> Reply:
    with session_scope(ctx.engine) as session:
        ref, parties = _guard(session, ctx, text)
        route = ctx.routes.route(ref.route)
        step = route.step(ref.step)
        if step.on_afwijzing is None:
            return error("no_afwijzing", ref=ref.ref, step=step.number)
        if not parties & {"jeugdbeschermer", "zorgaanbieder"}:
            return error("not_allowed", ref=ref.ref, action="afwijzing",
                         who=["jeugdbeschermer", "zorgaanbieder"])
        assert ctx.actor is not None
        reason = free_text(text, "reden")
        record(session, ctx, ref, "afwijzing", ctx.actor, reden=reason)
        enter_step(session, ctx, ref, route, route.step(step.on_afwijzing), ctx.actor)
        return Reply("referral", status_view(session, ctx, ref, headline="afwijzing"),
                     private=False)


def escalate(ctx: Context, text: str) -> Reply:
    words = text.split()
    if len(words) > 1 or (words and words[0].lower() == "kenmerk"):
        # With a situation (or a bare case reference): the Bouwsteen 6 escalation
        # model, which is no step of the route.
        return escalation_model.start(ctx, text)
    with session_scope(ctx.engine) as session:
        ref, parties = _guard(session, ctx, text)
        may = ["jeugdbeschermer", "gi_teamleider", "lokaal_team", "lt_teamleider"]
        if not parties & set(may):
            return error("not_allowed", ref=ref.ref, action="escaleer", who=may)
        assert ctx.actor is not None
        route = ctx.routes.route(ref.route)
        if ref.step == "escalatie":
            return error("already_escalated", ref=ref.ref)
        record(session, ctx, ref, "escalatie_hand", ctx.actor)
        enter_step(session, ctx, ref, route, route.step("escalatie"), ctx.actor)
        return Reply("referral", status_view(session, ctx, ref, headline="escalatie"),
                     private=False)


def reassign(ctx: Context, text: str) -> Reply:
    words = text.split()
    if len(words) != 2:
        return error("herverdeel_usage")
    with session_scope(ctx.engine) as session:
        ref, parties = _guard(session, ctx, text)
        target = session.exec(select(Person).where(Person.email == words[1].lower())).first()
        if target is None:
            return error("person_unknown", email=words[1][:80])
        assert ctx.actor is not None
        target_parties = parties_of(session, ref, target)
        if "lt_teamleider" in parties and "lokaal_team" in target_parties:
            old = ref.lt_id
            ref.lt_id, ref.lt_backup_id = target.id, target.koppelgenoot_id or ref.lt_backup_id
            role = "lokaal_team"
        elif "gi_teamleider" in parties and target.team_id == ctx.actor.team_id \
                and target.role == Role.MEDEWERKER:
            old = ref.jb_id
            ref.jb_id = target.id or 0
            role = "jeugdbeschermer"
        else:
            return error("only_teamleider", ref=ref.ref)
        session.add(ref)
        old_person = session.get(Person, old) if old else None
        record(session, ctx, ref, "herverdeeld", ctx.actor, rol=role, naar=target.name,
               van=old_person.name if old_person else None)
        route = ctx.routes.route(ref.route)
        notify_person(session, ctx, ref, route, target, f"assigned:{ref.id}:{target.id}:"
                      f"{ctx.clock().isoformat()}", "your_turn", party=role)
        return Reply("referral", status_view(session, ctx, ref, headline="herverdeeld"),
                     private=False)


def withdraw(ctx: Context, text: str) -> Reply:
    with session_scope(ctx.engine) as session:
        ref, parties = _guard(session, ctx, text)
        if not parties & {"jeugdbeschermer", "gi_teamleider"}:
            return error("not_allowed", ref=ref.ref, action="intrekken",
                         who=["jeugdbeschermer", "gi_teamleider"])
        assert ctx.actor is not None
        route = ctx.routes.route(ref.route)
        finish(session, ctx, ref, "withdrawn", ctx.actor, "ingetrokken",
               reden=free_text(text, "reden"))
        notify_thread(session, ctx, ref, route, f"withdrawn:{ref.id}", "thread_closed")
        return Reply("referral", status_view(session, ctx, ref, headline="ingetrokken"),
                     private=False)


def set_provider(ctx: Context, text: str) -> Reply:
    words = text.split()
    if len(words) < 2:
        return error("aanbieder_usage")
    with session_scope(ctx.engine) as session:
        ref, parties = _guard(session, ctx, text)
        if "jeugdbeschermer" not in parties:
            return error("not_allowed", ref=ref.ref, action="aanbieder", who=["jeugdbeschermer"])
        wanted = " ".join(words[1:])
        # The name is matched whole: % and _ typed by the user are no wildcards.
        literal = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        org = session.exec(select(Organisation).where(
            Organisation.kind == OrgKind.ZORGAANBIEDER,
            or_(Organisation.key == wanted.lower(),
                col(Organisation.name).ilike(literal, escape="\\")),
        )).first()
        if org is None:
            return error("provider_unknown", name=wanted[:80])
        ref.zorgaanbieder_id = org.id
        session.add(ref)
        record(session, ctx, ref, "zorgaanbieder", ctx.actor, naam=org.name)
        return Reply("referral", status_view(session, ctx, ref, headline="zorgaanbieder"),
                     private=False)


def show_status(ctx: Context, text: str) -> Reply:
    with session_scope(ctx.engine) as session:
        ref, _ = _guard(session, ctx, text, need_open=False)
        return Reply("referral", status_view(session, ctx, ref, headline=None))


def mine(ctx: Context, _text: str) -> Reply:
    assert ctx.actor is not None
    with session_scope(ctx.engine) as session:
        return Reply("mine", mine_view(session, ctx, ctx.actor))


def involve_ret(ctx: Context, text: str) -> Reply:
    """Step 5B: put the case before the region's RET (it discusses it within 2 weeks)."""
    from handlers.parties import resolve

    with session_scope(ctx.engine) as session:
        ref, parties = _guard(session, ctx, text)
        if ref.step != "alternatief":
            return error("ret_step", ref=ref.ref)
        if "jeugdbeschermer" not in parties:
            return error("not_allowed", ref=ref.ref, action="ret", who=["jeugdbeschermer"])
        route = ctx.routes.route(ref.route)
        event = record(session, ctx, ref, "ret", ctx.actor)
        notify_thread(session, ctx, ref, route, f"ret:{event.id}", "thread_ret")
        for person in resolve(session, ref, "ret", ctx.today()):
            notify_person(session, ctx, ref, route, person, f"ret:{event.id}:{person.id}",
                          "ret_request", party="ret")
        return Reply("referral", status_view(session, ctx, ref, headline="ret"), private=False)
