"""Chat commands on referrals: start, acknowledge, advance, reject, escalate, ...

Each command checks who may do it before it changes anything; a refusal says
why and leaves the referral as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from handlers.contacts.contact_views import pick_contact
from handlers.contacts.lookup import gemeente_or_refused, teams_for
from handlers.core import Context, Refused, Reply, error
from handlers.escalations import model as escalation_model
from handlers.incoming import free_text
from handlers.referrals.flow import enter_step, finish, notify_person, notify_thread, record
from handlers.referrals.guard import guard, open_case, org_kind
from handlers.referrals.membership import PROCESS_KINDS, parties_of, resolve
from handlers.referrals.providers import (
    assign_provider,
    named_lt_worker,
    provider_and_contact,
    split_email,
)
from handlers.referrals.steps import record_contact, start_step6
from handlers.referrals.view import mine_view, status_view
from handlers.tafel.view import case_reply
from scheduling.party_directory import is_absent
from scheduling.routes import REFERRAL_ROUTES
from storage.db import session_scope
from storage.models import OrgKind, Person, Role, Team
from storage.personal_data import kenmerk_problem
from storage.tables import Referral

# An afwijzing's reason is one of these first (names cannot be detected in free
# text, a choice holds none); a short toelichting may follow. English aliases.
AFWIJZING_REASONS = {"geen plek": "geen plek", "no place": "geen plek",
                     "wachtlijst": "wachtlijst", "waiting list": "wachtlijst",
                     "past niet": "past niet", "not suitable": "past niet",
                     "anders": "anders", "other": "anders"}


def afwijzing_reason(text: str) -> tuple[str | None, str | None]:
    """`afwijzing <ref> [keuze [toelichting]]` -> (choice, toelichting); Refused
    when the words after the reference start with no choice."""
    words = text.split()[1:]
    if not words:
        return None, None
    for n in (2, 1):
        choice = AFWIJZING_REASONS.get(" ".join(words[:n]).casefold())
        if choice is not None:
            return choice, free_text(" ".join(words[n:]), "toelichting", skip=0)
    raise Refused(error("afwijzing_reason", ref=text.split()[0][:20]))


def start_referral(ctx: Context, text: str) -> Reply:
    """`verwijs 301|315 <gemeente> <kenmerk> [e-mail]`: the e-mail names the LT
    worker (one of the gemeente's lokaal team, present) who knows the family."""
    words, email = split_email(text.split())
    if words and words[0] not in ("301", "315") and words[0].isdigit():
        return error("unknown_route", route=words[0][:10], routes=["301", "315"])
    if len(words) < 3 or words[0] not in ("301", "315"):
        return error("verwijs_usage")
    route_name, kenmerk, gemeente_text = words[0], words[-1], " ".join(words[1:-1])
    why = kenmerk_problem(kenmerk)
    if why is not None:
        return error("kenmerk_invalid", why=why)
    actor = ctx.actor
    assert actor is not None
    route = ctx.routes.route(route_name)
    with session_scope(ctx.engine) as session:
        if actor.role != Role.MEDEWERKER or org_kind(session, actor) != OrgKind.GI:
            return error("only_jeugdbeschermer")
        gem = gemeente_or_refused(session, gemeente_text)
        duplicate = open_case(session, actor, kenmerk, gem.id or 0, REFERRAL_ROUTES)
        if duplicate:
            return error("referral_duplicate", ref=duplicate.ref, kenmerk=kenmerk)
        contact: Person | None
        if email is not None:
            contact = named_lt_worker(session, email, gem.id or 0, ctx.today())
            backup = (session.get(Person, contact.koppelgenoot_id)
                      if contact.koppelgenoot_id else None)
        else:
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
        record(session, ctx, ref, "aangemaakt", actor, route=route_name, gemeente=gem.name,
               lokaal_team=contact.name, koppelgenoot=backup.name if backup else None,
               gekozen=True if email else None)
        enter_step(session, ctx, ref, route, first, actor)
        # An absent koppelgenoot (the worker stands in for them) is not told: the
        # referral is in `mijn` when they are back.
        if backup is not None and not is_absent(backup, ctx.today()):
            tell_koppelgenoot(session, ctx, ref, backup, contact)
        return Reply("referral", status_view(session, ctx, ref, headline="started"),
                     private=False)


def tell_koppelgenoot(session: Session, ctx: Context, ref: Referral, backup: Person,
                      worker: Person) -> None:
    """The pair's other half hears of the referral at once: they stand in for the
    worker (and get the worker's reminders) while the worker is absent."""
    notify_person(session, ctx, ref, ctx.routes.route(ref.route), backup,
                  f"koppel:{ref.id}:{backup.id}:{ctx.clock().isoformat()}", "koppelgenoot",
                  party="koppelgenoot", worker=worker.name)


def complete_step(action: str) -> Callable[[Context, str], Reply]:
    """`ontvangen`, `volgende`, `301`, `315`, `acceptatie`, `gestart`: finish the current step.

    At the provider's match-or-afwijzing step, the next step's action (`315`,
    `gestart`) also says the provider accepted: both are recorded, in order.
    """

    def handler(ctx: Context, text: str) -> Reply:
        with session_scope(ctx.engine) as session:
            ref, parties = guard(session, ctx, text)
            route = ctx.routes.route(ref.route)
            step = route.step(ref.step)
            if (action == "volgende" and step.done_by.action == "volgende"
                    and parties & set(step.done_by.who)):
                # The aanmeldformulier goes to the voorkeursaanbieder: name it now
                # if step 1 did not (`volgende <ref> <zorgaanbieder> [e-mail]`).
                need_provider(session, ctx, ref, parties, text.split()[1:])
            if step.actor == "zorgaanbieder" and not ref.zorgaanbieder_id:
                return error("route_provider_missing", ref=ref.ref, step=step.number)
            if action == "ontvangen" and step.needs:
                return record_contact(session, ctx, ref, route, step, parties, None,
                                      "ontvangen")
            nxt = route.after(step)
            implied = (step.done_by.action == "acceptatie" and nxt is not None
                       and nxt.done_by.action == action)
            if step.done_by.action != action and not implied:
                return error("wrong_action", ref=ref.ref, action=action,
                             expected=step.done_by.action, step=step.number)
            if not parties & set(step.done_by.who):
                return error("not_allowed", ref=ref.ref, action=action, who=step.done_by.who)
            assert ctx.actor is not None
            if implied:
                assert nxt is not None
                if not parties & set(nxt.done_by.who):
                    return error("not_allowed", ref=ref.ref, action=action,
                                 who=nxt.done_by.who)
                record(session, ctx, ref, "acceptatie", ctx.actor, number=step.number,
                       via=action)
                enter_step(session, ctx, ref, route, nxt, ctx.actor)
                step, nxt = nxt, route.after(nxt)
            if action == "gestart" or nxt is None:
                # Care has started: the referral is done.
                finish(session, ctx, ref, "closed", ctx.actor, "zorg_gestart",
                       number=step.number)
                notify_thread(session, ctx, ref, route, f"closed:{ref.id}", "thread_closed")
            else:
                record(session, ctx, ref, action, ctx.actor, number=step.number)
                enter_step(session, ctx, ref, route, nxt, ctx.actor)
            return Reply("referral", status_view(session, ctx, ref, headline=action),
                         private=False)

    return handler


def reject(ctx: Context, text: str) -> Reply:
    """The provider's afwijzing: the backoffice, the JB and the LT worker are told,
    and the referral goes to step 5 (network and/or RET)."""
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        route = ctx.routes.route(ref.route)
        step = route.step(ref.step)
        if step.on_afwijzing is None:
            # Step 4 has three parts: say which one takes a rejection.
            allowed = [s for s in route.steps if s.on_afwijzing is not None]
            return error("no_afwijzing", ref=ref.ref, step=step.number,
                         title_nl=step.title.nl, title_en=step.title.en,
                         allowed=[{"number": s.number, "nl": s.title.nl, "en": s.title.en}
                                  for s in allowed])
        if not ref.zorgaanbieder_id:
            return error("route_provider_missing", ref=ref.ref, step=step.number)
        if not parties & {"jeugdbeschermer", "zorgaanbieder"}:
            return error("not_allowed", ref=ref.ref, action="afwijzing",
                         who=["jeugdbeschermer", "zorgaanbieder"])
        assert ctx.actor is not None
        reason, explained = afwijzing_reason(text)
        event = record(session, ctx, ref, "afwijzing", ctx.actor, reden=reason,
                       toelichting=explained, number=step.number)
        told = {ctx.actor.id or 0}
        for party in step.afwijzing_inform:
            for person in resolve(session, ref, party, ctx.today()):
                if person.id not in told:
                    told.add(person.id or 0)
                    notify_person(session, ctx, ref, route, person,
                                  f"afw:{event.id}:{person.id}", "afwijzing", party=party,
                                  by=ctx.actor.name)
        enter_step(session, ctx, ref, route, route.step(step.on_afwijzing), ctx.actor, told)
        return Reply("referral", status_view(session, ctx, ref, headline="afwijzing"),
                     private=False)


def escalate(ctx: Context, text: str) -> Reply:
    words = text.split()
    if len(words) > 1 or (words and words[0].lower() in ("kenmerk", "case")):
        # With a situation (or a bare case reference): the Bouwsteen 6 escalation
        # model, which is no step of the route.
        return escalation_model.start(ctx, text)
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        may = ["jeugdbeschermer", "gi_teamleider", "lokaal_team", "lt_teamleider"]
        if not parties & set(may):
            return error("not_allowed", ref=ref.ref, action="escaleer", who=may)
        assert ctx.actor is not None
        return start_step6(session, ctx, ref, parties)


def reassign(ctx: Context, text: str) -> Reply:
    """A team leader hands the LT worker's (or the JB's) part to a colleague who is
    present and in the right team; the refusal says which of the two is missing."""
    words = text.split()
    if len(words) != 2:
        return error("herverdeel_usage")
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        target = session.exec(select(Person).where(Person.email == words[1].lower())).first()
        if target is None:
            return error("person_unknown", email=words[1][:80])
        assert ctx.actor is not None
        # The JB may name the LT worker who knows the family while step 1's
        # contact is still to be made; later it is the team leaders' call.
        jb_names_lt = ("jeugdbeschermer" in parties
                       and bool(ctx.routes.route(ref.route).step(ref.step).needs))
        if "lt_teamleider" in parties or jb_names_lt:
            role = "lokaal_team"
            right_team = target.role == Role.MEDEWERKER and org_kind(
                session, target) == OrgKind.LOKAAL_TEAM and "lokaal_team" in parties_of(
                session, ref, target)
        elif "gi_teamleider" in parties:
            role = "jeugdbeschermer"
            right_team = target.team_id == ctx.actor.team_id and target.role == Role.MEDEWERKER
        else:
            return error("only_teamleider", ref=ref.ref)
        if not right_team:
            team = session.get(Team, target.team_id)
            return error("target_wrong_team", ref=ref.ref, name=target.name, party=role,
                         team=team.name if team else "?")
        if target.id == (ref.lt_id if role == "lokaal_team" else ref.jb_id):
            return error("already_assigned", ref=ref.ref, name=target.name, party=role)
        if target.absent_until is not None and target.absent_until >= ctx.today():
            return error("target_absent", ref=ref.ref, name=target.name,
                         until=target.absent_until)
        if role == "lokaal_team":
            old = ref.lt_id
            ref.lt_id, ref.lt_backup_id = target.id, target.koppelgenoot_id or ref.lt_backup_id
        else:
            old = ref.jb_id
            ref.jb_id = target.id or 0
        session.add(ref)
        old_person = session.get(Person, old) if old else None
        record(session, ctx, ref, "herverdeeld", ctx.actor, rol=role, naar=target.name,
               van=old_person.name if old_person else None)
        route = ctx.routes.route(ref.route)
        notify_person(session, ctx, ref, route, target, f"assigned:{ref.id}:{target.id}:"
                      f"{ctx.clock().isoformat()}", "your_turn", party=role)
        backup = session.get(Person, ref.lt_backup_id) if ref.lt_backup_id else None
        if role == "lokaal_team" and backup is not None and backup.id != target.id:
            tell_koppelgenoot(session, ctx, ref, backup, target)
        return Reply("referral", status_view(session, ctx, ref, headline="herverdeeld"),
                     private=False)


def withdraw(ctx: Context, text: str) -> Reply:
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        # A tafel case is withdrawn by whoever registered it (or the voorzitter).
        may = (["aanmelder", "jbt_voorzitter"] if ref.route in PROCESS_KINDS
               and PROCESS_KINDS[ref.route] == "tafel" else ["jeugdbeschermer", "gi_teamleider"])
        if not parties & set(may):
            return error("not_allowed", ref=ref.ref, action="intrekken", who=may)
        assert ctx.actor is not None
        route = ctx.routes.route(ref.route)
        finish(session, ctx, ref, "withdrawn", ctx.actor, "ingetrokken",
               reden=free_text(text, "reden"))
        notify_thread(session, ctx, ref, route, f"withdrawn:{ref.id}", "thread_closed")
        return case_reply(session, ctx, ref, "ingetrokken", private=False)


def set_provider(ctx: Context, text: str) -> Reply:
    """`aanbieder <ref> <zorgaanbieder> [e-mail]`: the provider, and its contact for
    this referral when named (else the first of the provider to act on it)."""
    words = text.split()
    if len(words) < 2:
        return error("aanbieder_usage")
    with session_scope(ctx.engine) as session:
        ref, parties = guard(session, ctx, text)
        if "jeugdbeschermer" not in parties:
            return error("not_allowed", ref=ref.ref, action="aanbieder", who=["jeugdbeschermer"])
        org, contact = provider_and_contact(session, words[1:])
        assign_provider(ref, org, contact)
        session.add(ref)
        record(session, ctx, ref, "zorgaanbieder", ctx.actor, naam=org.name,
               contact=contact.name if contact else None)
        return Reply("referral", status_view(session, ctx, ref, headline="zorgaanbieder"),
                     private=False)


def need_provider(session: Session, ctx: Context, ref: Referral, parties: set[str],
                  words: list[str]) -> None:
    """At `volgende`: the voorkeursaanbieder named now (recorded), or refused when
    none is known yet, so no step waits on a provider nobody told."""
    if not words:
        if not ref.zorgaanbieder_id:
            raise Refused(error("route_provider_needed", ref=ref.ref))
        return
    if "jeugdbeschermer" not in parties:
        raise Refused(error("not_allowed", ref=ref.ref, action="aanbieder",
                            who=["jeugdbeschermer"]))
    org, contact = provider_and_contact(session, words)
    assign_provider(ref, org, contact)
    session.add(ref)
    record(session, ctx, ref, "zorgaanbieder", ctx.actor, naam=org.name,
           contact=contact.name if contact else None)


def show_status(ctx: Context, text: str) -> Reply:
    with session_scope(ctx.engine) as session:
        ref, _ = guard(session, ctx, text, need_open=False)
        return case_reply(session, ctx, ref, None)


def mine(ctx: Context, _text: str) -> Reply:
    assert ctx.actor is not None
    with session_scope(ctx.engine) as session:
        return Reply("mine", mine_view(session, ctx, ctx.actor))
