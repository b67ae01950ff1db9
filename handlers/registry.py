"""Every chat command, registered explicitly in one place."""

from __future__ import annotations

from handlers import linking, lookup, web_login
from handlers import referral_commands as rc
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
                "bevestig contact/ontvangst (lokaal team, stap 1)",
                "acknowledge (local team, step 1)", aliases=("ack",)))
    add(Command("volgende", rc.complete_step("volgende"), "volgende <ref>",
                "bepaling en aanmeldformulier zijn verstuurd (stap 2-3)",
                "decision and form sent (step 2-3)", aliases=("next",)))
    add(Command("301", rc.complete_step("301"), "301 <ref>",
                "het 301-bericht (toewijzing) is verstuurd", "the 301 message was sent"))
    add(Command("315", rc.complete_step("315"), "315 <ref>",
                "het 315-bericht (verzoek om toewijzing) is verstuurd",
                "the 315 message was sent"))
    add(Command("gestart", rc.complete_step("gestart"), "gestart <ref>",
                "de zorg is gestart: verwijzing afgerond", "care has started: referral done",
                aliases=("started",)))
    add(Command("afwijzing", rc.reject, "afwijzing <ref> [reden]",
                "zorgaanbieder wijst af: naar stap 5 (netwerk of RET)",
                "provider rejects: to step 5 (network or RET)", aliases=("reject",)))
    add(Command("ret", rc.involve_ret, "ret <ref>",
                "leg de zaak voor aan het RET (stap 5B, binnen 2 weken besproken)",
                "put the case to the RET (step 5B, discussed within 2 weeks)"))
    add(Command("escaleer", rc.escalate, "escaleer <ref> [dilemma|samenwerking|zorgelijk]",
                "stap 6, of het escalatiemodel met een situatie",
                "step 6, or the escalation model with a situation", aliases=("escalate",)))
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
    add(Command("overzicht", web_login.overview_command, "overzicht",
                "eenmalige link naar het ketenoverzicht (web)",
                "one-time link to the chain overview (web)", aliases=("overview",)))
    add(Command("samenvatting", web_login.digest_command, "samenvatting uit|aan",
                "geen (of weer) wekelijkse/maandelijkse samenvatting",
                "stop (or restart) the weekly/monthly digest", aliases=("digest",)))
    add(Command(
        "help", registry.help, "help", "deze uitleg", "this help",
        aliases=("hulp", "?"), needs_person=False,
    ))
    return registry
