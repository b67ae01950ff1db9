"""Every chat command, registered explicitly in one place."""

from __future__ import annotations

from handlers import linking, lookup
from handlers import referral_commands as rc
from handlers import referral_steps as rs
from handlers.commands import Command, Registry


def build_registry() -> Registry:
    registry = Registry()
    add = registry.add
    add(Command(
        "wie", lookup.lookup, "wie <gemeente> [rol]",
        "wie bel ik in een gemeente (rol: lt, gi, vt, raad, ret, backoffice, za, regio, alle)",
        "who to call in a municipality (role: lt, gi, vt, raad, ret, backoffice, za, regio, alle)",
        aliases=("who",), needs_person=False,
    ))
    add(Command("verwijs", rc.start_referral, "verwijs 301|315 <gemeente> <kenmerk>",
                "start een verwijzing (alleen jeugdbeschermers)",
                "start a referral (jeugdbeschermers only)", aliases=("refer",)))
    add(Command("ontvangen", rc.complete_step("ontvangen"), "ontvangen <ref>",
                "stap 1: contact tussen JB en lokaal team is er (lokaal team of JB legt het vast)",
                "step 1: the JB and the local team have had contact (either side records it)",
                aliases=("ack",)))
    add(Command("contact", rs.contact, "contact <ref> [lt|za]",
                "stap 1: de JB legt het overleg vast met het lokaal team (lt) of, in de "
                "315-route, de zorgaanbieder (za)",
                "step 1: the JB records the consultation with the local team (lt) or, in the "
                "315 route, the provider (za)", aliases=("consulted",)))
    add(Command("volgende", rc.complete_step("volgende"), "volgende <ref>",
                "bepaling en aanmeldformulier zijn verstuurd (stap 2-3)",
                "decision and form sent (step 2-3)", aliases=("next",)))
    add(Command("301", rc.complete_step("301"), "301 <ref>",
                "het 301-bericht (toewijzing) is verstuurd", "the 301 message was sent"))
    add(Command("315", rc.complete_step("315"), "315 <ref>",
                "het 315-bericht (verzoek om toewijzing) is verstuurd",
                "the 315 message was sent"))
    add(Command("acceptatie", rc.complete_step("acceptatie"), "acceptatie <ref>",
                "zorgaanbieder kan tijdig passende hulp bieden (match)",
                "the provider can give suitable help in time (match)", aliases=("accept",)))
    add(Command("gestart", rc.complete_step("gestart"), "gestart <ref>",
                "de zorg is gestart: verwijzing afgerond", "care has started: referral done",
                aliases=("started",)))
    add(Command("afwijzing", rc.reject, "afwijzing <ref> [reden]",
                "zorgaanbieder wijst af: backoffice, JB en lokaal team horen het; naar stap 5",
                "provider rejects: back office, JB and local team are told; to step 5",
                aliases=("reject",)))
    add(Command("onjuist", rs.incorrect_315, "onjuist <ref> [reden]",
                "backoffice: het 315-verzoek is onjuist (JW319), terug naar de zorgaanbieder",
                "back office: the 315 request is incorrect (JW319), back to the provider",
                aliases=("incorrect",)))
    add(Command("gevonden", rs.found, "gevonden <ref> <zorgaanbieder>",
                "stap 5A/6: er is een plek gevonden; de termijnen van de route lopen opnieuw",
                "step 5A/6: a place was found; the route's terms run again", aliases=("found",)))
    add(Command("ret", rs.involve_ret, "ret <ref>",
                "stap 5B: leg de zaak voor aan het RET (binnen 2 weken besproken)",
                "step 5B: put the case to the RET (discussed within 2 weeks)"))
    add(Command("uitkomst", rs.ret_outcome, "uitkomst <ref> ja|nee",
                "stap 5B: heeft het RET-overleg (zicht op) hulp opgeleverd?",
                "step 5B: did the RET's discussion bring (sight of) help?", aliases=("outcome",)))
    add(Command("escaleer", rc.escalate, "escaleer <ref> [dilemma|samenwerking|zorgelijk]",
                "stap 6 (alleen na stap 5 zonder hulp), of het escalatiemodel met een situatie",
                "step 6 (only after a step 5 without help), or the escalation model with a "
                "situation", aliases=("escalate",)))
    add(Command("gesprek", rs.talk, "gesprek <ref>",
                "stap 6: teamleider GI en regionale contactpersoon hebben gesproken",
                "step 6: GI team leader and regional contact person have talked",
                aliases=("talked",)))
    add(Command("bestuurlijk", rs.bestuurlijk, "bestuurlijk <ref> [toelichting]",
                "stap 6: besluit tot bestuurlijke escalatie (teamleider GI of regionale "
                "contactpersoon)", "step 6: decide on a bestuurlijke escalatie (GI team leader "
                "or regional contact person)", aliases=("board",)))
    add(Command("opgelost", rc.resolve_model, "opgelost <ref> [verslag]",
                "escalatie (model) is opgelost", "escalation (model) resolved",
                aliases=("resolved",)))
    add(Command("aanbieder", rc.set_provider, "aanbieder <ref> <zorgaanbieder>",
                "leg de zorgaanbieder vast", "set the care provider", aliases=("provider",)))
    add(Command("herverdeel", rc.reassign, "herverdeel <ref> <e-mail>",
                "wijs een andere medewerker toe (alleen teamleiders)",
                "reassign (team leaders only)", aliases=("reassign",)))
    add(Command("intrekken", rc.withdraw, "intrekken <ref> [reden]",
                "trek de verwijzing in", "withdraw the referral", aliases=("withdraw",)))
    add(Command("status", rc.show_status, "status <ref>",
                "stand van een verwijzing en de geschiedenis", "a referral's state and history"))
    add(Command("mijn", rc.mine, "mijn", "mijn open verwijzingen en wat ik moet doen",
                "my open referrals and what I must do", aliases=("mine",)))
    add(Command("koppelcode", linking.code_command, "koppelcode",
                "eenmalige code om ook Telegram (of een ander account) te koppelen",
                "one-time code to link Telegram (or another account)", aliases=("linkcode",)))
    add(Command(
        "help", registry.help, "help", "deze uitleg", "this help",
        aliases=("hulp", "?"), needs_person=False,
    ))
    return registry
