"""`tafel <gemeente> <kenmerk> [ots-einde]`: a family registered for a conversation
at the Jeugdbeschermingstafel (Bouwsteen 4, "Aanmelding")."""

from __future__ import annotations

from handlers.contacts.contact_views import pick_contact
from handlers.contacts.lookup import gemeente_or_refused, teams_for
from handlers.core import Context, Reply, error
from handlers.referrals.flow import enter_step, notify_person, record
from handlers.referrals.guard import open_case, org_kind
from handlers.referrals.membership import resolve
from handlers.tafel.view import tafel_view
from storage.db import session_scope
from storage.models import OrgKind, Role
from storage.personal_data import kenmerk_problem
from storage.tables import Referral

# "In de meeste gevallen meldt de professional van het lokale team aan. Ook Veilig
# Thuis en de gecertificeerde instelling kunnen een gezin aanmelden."
REGISTERING = {OrgKind.LOKAAL_TEAM, OrgKind.VEILIG_THUIS, OrgKind.GI}
# "Een leerplichtambtenaar of zorgaanbieder meldt aan samen met het lokale team":
# through the LT, not on their own (the leerplichtambtenaar works for the gemeente).
THROUGH_LT = {OrgKind.ZORGAANBIEDER, OrgKind.GEMEENTE}
PROFESSIONALS = {Role.MEDEWERKER, Role.TEAMLEIDER, Role.GEDRAGSWETENSCHAPPER}
OTS_END = ("ots-einde", "ots-end")


def register(ctx: Context, text: str) -> Reply:
    words = text.split()
    ots_end = bool(words) and words[-1].casefold() in OTS_END
    if ots_end:
        words = words[:-1]
    if len(words) < 2:
        return error("tafel_usage")
    kenmerk, gemeente_text = words[-1], " ".join(words[:-1])
    why = kenmerk_problem(kenmerk)
    if why is not None:
        return error("kenmerk_invalid", why=why)
    actor = ctx.actor
    assert actor is not None
    name, process = ctx.routes.process("tafel")
    with session_scope(ctx.engine) as session:
        kind = org_kind(session, actor)
        if kind in THROUGH_LT:
            return error("tafel_through_lt")
        if kind not in REGISTERING or actor.role not in PROFESSIONALS:
            return error("tafel_who")
        if ots_end and (kind != OrgKind.GI or actor.role != Role.MEDEWERKER):
            # Section 11: the jeugdbeschermer's own intention to end the OTS.
            return error("tafel_ots_only_jb")
        gem = gemeente_or_refused(session, gemeente_text)
        duplicate = open_case(session, actor, kenmerk, gem.id or 0, (name,))
        if duplicate:
            return error("tafel_duplicate", ref=duplicate.ref, kenmerk=kenmerk)
        now = ctx.clock()
        first = process.steps[0]
        ref = Referral(route=name, kenmerk=kenmerk, gemeente_id=gem.id or 0, step=first.key,
                       step_started_at=now, jb_id=actor.id or 0, created_at=now)
        if not resolve(session, ref, "jbt_voorzitter", ctx.today()):
            # Nobody would be told: say so rather than register into the void.
            return error("tafel_no_voorzitter", gemeente=gem.name)
        contact = backup = None
        if ots_end:
            # The lokaal team is a party from the start (section 11).
            lt = teams_for(session, gem.id or 0, (OrgKind.LOKAAL_TEAM,))
            contact, backup, _ = pick_contact(lt[0].people if lt else [], ctx.today())
            if contact is None:
                return error("no_lokaal_team", gemeente=gem.name)
            ref.lt_id, ref.lt_backup_id = contact.id, backup.id if backup else None
        elif kind == OrgKind.LOKAAL_TEAM:
            ref.lt_id = actor.id  # the registering LT professional holds the regie
        session.add(ref)
        session.flush()
        ref.ref = f"{process.prefix}-{ref.id:04d}"
        record(session, ctx, ref, "tafel_aangemeld", actor, gemeente=gem.name,
               ots_einde=True if ots_end else None,
               lokaal_team=contact.name if contact else None)
        enter_step(session, ctx, ref, process, first, actor)
        if ots_end:
            told = {actor.id}
            for party in ("lokaal_team", "raad"):
                for person in resolve(session, ref, party, ctx.today()):
                    if person.id not in told:
                        told.add(person.id)
                        notify_person(session, ctx, ref, process, person,
                                      f"tafel-party:{ref.id}:{person.id}", "tafel_party",
                                      party=party, ots_einde=True)
        return Reply("tafel", tafel_view(session, ctx, ref, headline="aangemeld"),
                     private=False)
