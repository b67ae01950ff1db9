"""Every chat command, registered explicitly in one place."""

from __future__ import annotations

from handlers.accounts import linking
from handlers.commands import Command, Registry
from handlers.contacts import admin as contact_admin
from handlers.contacts import lookup, selfservice
from handlers.escalations import model as em
from handlers.handover import actions as ov
from handlers.overview import sign_in as web_login
from handlers.referrals import actions as rc
from handlers.referrals import steps as rs
from handlers.referrals.kinds import by_kind, referral_only, refusal, situation_only
from handlers.tafel import meeting as jt
from handlers.tafel import register as jt_register


def build_registry() -> Registry:
    registry = Registry()
    add = registry.add
    add(Command(
        "wie", lookup.lookup, "wie <gemeente> [rol]",
        f"wie bel ik in een gemeente (rol: {', '.join(lookup.ROLES_NL)})",
        f"who to call in a municipality (role: {', '.join(lookup.ROLES_EN)})",
        aliases=("who",), needs_person=False,
    ))
    add(Command("verwijs", rc.start_referral, "verwijs 301|315 <gemeente> <kenmerk> [e-mail]",
                "start een verwijzing (alleen jeugdbeschermers); e-mail: de medewerker van "
                "het lokaal team die het gezin kent",
                "start a referral (youth protection workers only); e-mail: the local-team "
                "worker who knows the family", aliases=("refer",)))
    add(Command("ontvangen", referral_only("ontvangen", rc.complete_step("ontvangen")),
                "ontvangen <ref>",
                "stap 1: contact tussen JB en lokaal team is er (lokaal team of JB legt het vast)",
                "step 1: the JB and the local team have had contact (either side records it)",
                aliases=("ack",)))
    add(Command("contact", referral_only("contact", rs.contact), "contact <ref> [lt|za]",
                "stap 1: de JB legt het overleg vast met het lokaal team (lt) of, in de "
                "315-route, de zorgaanbieder (za)",
                "step 1: the JB records the consultation with the local team (lt) or, in the "
                "315 route, the provider (za)", aliases=("consulted",)))
    add(Command("volgende", referral_only("volgende", rc.complete_step("volgende")),
                "volgende <ref> [<zorgaanbieder> [e-mail]]",
                "bepaling en aanmeldformulier zijn verstuurd (stap 2-3), naar de "
                "voorkeursaanbieder (noem die als hij nog niet is vastgelegd)",
                "decision and form sent (step 2-3), to the preferred provider (name it when "
                "it is not recorded yet)", aliases=("next",)))
    add(Command("301", referral_only("301", rc.complete_step("301")), "301 <ref>",
                "het 301-bericht (toewijzing) is verstuurd", "the 301 message was sent"))
    add(Command("315", referral_only("315", rc.complete_step("315")), "315 <ref>",
                "het 315-bericht (verzoek om toewijzing) is verstuurd",
                "the 315 message was sent"))
    add(Command("acceptatie", referral_only("acceptatie", rc.complete_step("acceptatie")),
                "acceptatie <ref>",
                "zorgaanbieder kan tijdig passende hulp bieden (match)",
                "the provider can give suitable help in time (match)", aliases=("accept",)))
    add(Command("gestart", referral_only("gestart", rc.complete_step("gestart")), "gestart <ref>",
                "de zorg is gestart: verwijzing afgerond", "care has started: referral done",
                aliases=("started",)))
    add(Command("afwijzing", referral_only("afwijzing", rc.reject), "afwijzing <ref> [reden]",
                "zorgaanbieder wijst af: backoffice, JB en lokaal team horen het; naar stap 5",
                "provider rejects: back office, JB and local team are told; to step 5",
                aliases=("reject",)))
    add(Command("onjuist", referral_only("onjuist", rs.incorrect_315), "onjuist <ref> [reden]",
                "backoffice: het 315-verzoek is onjuist (JW319), terug naar de zorgaanbieder",
                "back office: the 315 request is incorrect (JW319), back to the provider",
                aliases=("incorrect",)))
    add(Command("gevonden", referral_only("gevonden", rs.found),
                "gevonden <ref> <zorgaanbieder> [e-mail]",
                "stap 5A/6: er is een plek gevonden; de termijnen van de route lopen opnieuw",
                "step 5A/6: a place was found; the route's terms run again", aliases=("found",)))
    add(Command("ret", referral_only("ret", rs.involve_ret), "ret <ref>",
                "stap 5B: leg de zaak voor aan het RET (binnen 2 weken besproken)",
                "step 5B: put the case to the RET (discussed within 2 weeks)"))
    add(Command("uitkomst", by_kind(rs.ret_outcome, tafel=jt.outcome),
                "uitkomst <ref> ja|nee · uitkomst <JT> 1|2|3|4 [route|hulp|veiligheid nee]",
                "stap 5B: heeft het RET-overleg (zicht op) hulp opgeleverd? Aan tafel: de "
                "uitkomst (voorzitter; route, hulp en veiligheidsafspraken zijn besloten, "
                "tenzij u nee zegt)",
                "step 5B: did the RET's discussion bring (sight of) help? At the table: the "
                "outcome (chair; route, help and safety agreements were decided unless you "
                "say no)", aliases=("outcome",)))
    add(Command("escaleer", by_kind(rc.escalate,
                                    tafel=situation_only("escaleer", "tafel", rc.escalate),
                                    overdracht=situation_only("escaleer", "overdracht",
                                                              rc.escalate)),
                "escaleer <ref> [dilemma|samenwerking|zorgelijk] · "
                "escaleer kenmerk <kenmerk> <gemeente> <situatie>",
                "stap 6 (alleen na stap 5 zonder hulp); met een situatie: "
                "het escalatiemodel (ES-…)",
                "step 6 (only after a step 5 without help); with a situation: "
                "the escalation model (ES-…)",
                aliases=("escalate",)))
    add(Command("gesprek", by_kind(rs.talk, overdracht=ov.talk, tafel=refusal("gesprek", "tafel")),
                "gesprek <ref|OV>",
                "stap 6: teamleider GI en regionale contactpersoon hebben gesproken; bij een "
                "warme overdracht: het gezamenlijke gesprek met het gezin is gevoerd",
                "step 6: GI team leader and regional contact person have talked; in a warm "
                "handover: the joint conversation with the family took place",
                aliases=("talked",)))
    add(Command("bestuurlijk", referral_only("bestuurlijk", rs.bestuurlijk),
                "bestuurlijk <ref> [toelichting]",
                "stap 6: besluit tot bestuurlijke escalatie (teamleider GI of regionale "
                "contactpersoon)", "step 6: decide on a bestuurlijke escalatie (GI team leader "
                "or regional contact person)", aliases=("board",)))
    add(Command("partij", em.add_party, "partij <ES-ref> <organisatie|lt|gi|vt|raad|za>",
                "voeg een organisatie toe aan een escalatie", "add an organisation to an "
                "escalation", aliases=("party",)))
    add(Command("trede", em.take_tier, "trede <ES-ref> 1|2|3",
                "zet de volgende trede: 1 gedragswetenschappers (dilemma), 2 leidinggevenden, "
                "3 bestuurders en wethouders", "take the next tier: 1 behavioural scientists "
                "(dilemma), 2 managers, 3 board members and aldermen", aliases=("tier",)))
    add(Command("gezin", by_kind(em.family, overdracht=ov.family),
                "gezin <ES-ref|OV> ja|nee|later [waarom]",
                "is het gezin vooraf geïnformeerd (of later, en waarom)? Per trede gevraagd",
                "was the family told beforehand (or later, and why)? Asked at each tier",
                aliases=("family",)))
    add(Command("verslag", by_kind(em.report, tafel=jt.report_sent),
                "verslag <ES-ref> <verslag> · verslag <JT>",
                "het verslag van het overleg van deze trede, voorgelegd aan de deelnemers; "
                "aan tafel: het verslag is verstuurd aan de ouders en de professional (geen "
                "tekst in de chat)",
                "the report of this tier's meeting, put to its participants; at the table: "
                "the report went to parents and professional (no text in chat)",
                aliases=("report",)))
    add(Command("akkoord", em.approve, "akkoord <ES-ref>",
                "keur het verslag goed; als alle deelnemers akkoord zijn, is het overleg "
                "vastgelegd", "approve the report; when all participants have, the meeting "
                "is recorded",
                aliases=("approve",)))
    add(Command("sluit", em.close, "sluit <ES-ref> <reden>",
                "sluit een escalatie met een reden (leidinggevenden)",
                "close an escalation with a reason (managers)", aliases=("close",)))
    add(Command("opgelost", em.resolved,
                "opgelost <ES-ref|ref> [toelichting]",
                "het verschil is overbrugd, namens uw organisatie; als alle partijen dat "
                "zeggen, is de escalatie gesloten",
                "the difference is bridged, for your organisation; when every party says so, "
                "the escalation is closed",
                aliases=("resolved",)))
    # Bouwsteen 4: the Jeugdbeschermingstafel, and the warm handover after an OTS.
    add(Command("tafel", jt_register.register, "tafel <gemeente> <kenmerk> [ots-einde]",
                "meld een gezin aan voor de Jeugdbeschermingstafel (lokaal team, Veilig Thuis, "
                "GI); ots-einde: de JB wil een OTS beëindigen",
                "register a family for the youth protection table (local team, Veilig Thuis, "
                "GI); ots-einde: the JB intends to end an OTS", aliases=("table",)))
    add(Command("gepland", jt.scheduled, "gepland <JT> <datum>",
                "de voorzitter legt de datum van de tafel vast (binnen twee weken)",
                "the chair records the table's date (within two weeks)",
                aliases=("scheduled",)))
    add(Command("reactie", jt.reaction, "reactie <JT>",
                "er kwam een reactie op het verslag en die is toegevoegd",
                "a reaction to the report came and was added", aliases=("reaction",)))
    add(Command("evaluatie", jt.evaluation, "evaluatie <JT> <datum>",
                "plan een evaluatiemoment; voorzitter en aanmelder krijgen die dag een "
                "herinnering", "plan an evaluation moment; chair and registering "
                "professional are reminded that day", aliases=("evaluation",)))
    add(Command("overdracht", ov.start, "overdracht <JT|KB> <e-mail>",
                "warme overdracht na het einde van een OTS: noem de ontvangende professional",
                "warm handover after an OTS ends: name the receiving professional",
                aliases=("handover",)))
    add(Command("afspraken", ov.agreements, "afspraken <OV>",
                "warme overdracht: afspraken over het borgen van de resultaten vastgelegd",
                "warm handover: agreements on securing the results recorded",
                aliases=("agreements",)))
    add(Command("aanbieder", referral_only("aanbieder", rc.set_provider),
                "aanbieder <ref> <zorgaanbieder> [e-mail]",
                "leg de zorgaanbieder vast (e-mail: de contactpersoon daar)",
                "set the care provider (e-mail: the contact person there)",
                aliases=("provider",)))
    add(Command("herverdeel", rc.reassign, "herverdeel <ref> <e-mail>",
                "wijs een andere medewerker toe (teamleiders; de JB in stap 1 een medewerker "
                "van het lokaal team)", "reassign (team leaders; the JB in step 1 a "
                "local-team worker)", aliases=("reassign",)))
    add(Command("intrekken", rc.withdraw, "intrekken <ref> [reden]",
                "trek de verwijzing in", "withdraw the referral", aliases=("withdraw",)))
    add(Command("status", em.status_or(rc.show_status), "status <ref|ES-ref>",
                "stand van een verwijzing of escalatie en de geschiedenis",
                "a referral's or escalation's state and history"))
    add(Command("mijn", em.with_escalations(rc.mine), "mijn",
                "mijn open verwijzingen en escalaties, en wat ik moet doen",
                "my open referrals and escalations, and what I must do", aliases=("mine",)))
    add(Command("koppelcode", linking.code_command, "koppelcode",
                "eenmalige code om ook Telegram (of een ander account) te koppelen",
                "one-time code to link Telegram (or another account)", aliases=("linkcode",)))
    add(Command("ontkoppel", linking.unlink_command, "ontkoppel [slack|telegram|teams|alle]",
                "haal de koppeling van dit (of een ander) account weg; beëindigt ook uw "
                "aanmeldingen op het web",
                "remove the link of this (or another) account; also ends your web sign-ins",
                aliases=("unlink",)))
    # Contactbeheer (Bouwsteen 2): everyone keeps their own entry current.
    add(Command("ik", selfservice.ik, "ik [klopt | telefoon <nummer>]",
                "mijn gegevens; bevestig (klopt) of wijzig mijn telefoonnummer",
                "my entry; confirm it (ok) or change my phone", aliases=("me",)))
    add(Command("afwezig", selfservice.absent, "afwezig tot <datum> [e-mail]",
                "afwezig tot en met een datum (teamleider: ook voor een ander)",
                "absent until a date (team leader: for someone else too)",
                aliases=("absent",)))
    add(Command("terug", selfservice.back, "terug [e-mail]", "afwezigheid eerder beëindigen",
                "end an absence early", aliases=("back",)))
    add(Command("koppelgenoot", selfservice.buddy, "koppelgenoot <e-mail> | ja | nee",
                "stel een koppelgenoot voor, of beantwoord een voorstel",
                "propose a koppelgenoot, or answer a proposal", aliases=("buddy",)))
    add(Command("teamlid", contact_admin.member, "teamlid <team> <e-mail> [rol naam]",
                "voeg iemand toe aan een team of verplaats iemand (contactbeheer, teamleider)",
                "add someone to a team or move them (contact keepers, team leaders)",
                aliases=("member",)))
    add(Command("verwijder", contact_admin.remove, "verwijder <e-mail>",
                "haal iemand uit de contactenlijst (open verwijzingen eerst herverdelen)",
                "take someone out of the list (reassign open referrals first)",
                aliases=("remove",)))
    add(Command("overzicht", web_login.overview_command, "overzicht",
                "eenmalige link naar het ketenoverzicht (web)",
                "one-time link to the chain overview (web)", aliases=("overview",)))
    add(Command("samenvatting", web_login.digest_command, "samenvatting uit|aan",
                "geen (of weer) wekelijkse/maandelijkse samenvatting",
                "stop (or restart) the weekly/monthly digest", aliases=("digest",)))
    add(Command(
        "help", registry.help, "help", "deze uitleg", "this help",
        aliases=("?", "hulp"), needs_person=False,
    ))
    return registry
