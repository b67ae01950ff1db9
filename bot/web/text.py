"""The page's words in Dutch (default) and English."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Ketenoverzicht", "open": "Open verwijzingen", "figures": "Cijfers",
        "signout": "Afmelden", "signin": "Aanmelden", "signin_intro":
        "U opent het ketenoverzicht met een eenmalige link uit de chat.",
        "signin_button": "Aanmelden bij het ketenoverzicht",
        "link_bad": "Deze aanmeldlink is verlopen of al gebruikt. Vraag in de chat een nieuwe "
                    "met `overzicht`.",
        "forbidden": "U heeft geen toegang tot deze pagina.",
        "not_found": "Deze pagina bestaat niet.",
        "signed_out": "U bent niet (meer) aangemeld. Vraag in de chat een link met `overzicht`.",
        "ref": "Verwijzing", "route": "Route", "step": "Stap", "gemeente": "Gemeente",
        "party": "Aan zet", "due": "Uiterlijk", "lapsed": "verlopen", "all": "alle",
        "filter": "Filter", "none_open": "Geen open verwijzingen in deze selectie.",
        "shown": "getoond", "of": "van", "timeline": "Tijdlijn", "when": "Wanneer",
        "who": "Wie", "action": "Wat", "back": "Terug naar het overzicht",
        "status": "Status", "period_from": "Van", "period_to": "Tot en met",
        "show": "Toon", "region": "Regio", "lead_times": "Tijd tot de juiste hulp",
        "acceptance": "Start tot hulp tijdig geboden (acceptatie)",
        "care": "Start tot start zorg", "median": "Mediaan", "p80": "80e percentiel",
        "n": "Aantal", "waiting": "Nog wachtend", "workdays": "werkdagen",
        "distribution": "Verdeling start tot acceptatie (werkdagen)",
        "on_time": "Binnen de termijn per stap", "trend": "Per maand: mediaan start tot "
        "acceptatie (werkdagen)", "use": "Gebruik van de keten", "per_gemeente": "Per gemeente",
        "started": "Gestart", "withdrawn": "Ingetrokken", "met": "Binnen termijn",
        "lapsed_n": "Verlopen", "share": "Aandeel", "month": "Maand",
        "contact_problems": "Stap 1: geen contact binnen de termijn", "ret": "Voorgelegd aan RET",
        "step6": "Stap 6 gestart", "bestuurlijk": "Bestuurlijke escalatie",
        "model": "Escalatiemodel (Bouwsteen 6)", "situation": "Situatie", "total": "Totaal",
        "closed": "Gesloten", "tier": "Trede", "duration": "Duur (werkdagen, mediaan / p80)",
        "csv": "CSV", "no_figures": "Geen verwijzingen gestart in deze periode.",
        "language": "English", "page_help": "Verlopen eerst, dan op termijn.",
        "status_open": "open", "status_closed": "afgerond (zorg gestart)",
        "status_withdrawn": "ingetrokken",
        "kind_team": "uw team", "kind_region": "uw regio", "kind_own": "uw eigen verwijzingen",
        "kind_tafel": "de tafelzaken van uw gemeenten",
        "contacts": "Contactbeheer", "contacts_help": "De mensen van de teams die u beheert. "
        "Rood: niet bevestigd binnen de afgesproken termijn van de regio.",
        "frequency": "termijn", "days": "dagen", "stale_n": "niet actueel", "stale":
        "niet actueel", "name": "Naam", "email": "E-mail", "role": "Rol",
        "verified": "Bevestigd", "buddy": "Koppelgenoot", "absent": "Afwezig", "until": "t/m",
        "never": "nooit", "no_people": "Niemand in dit team.", "change": "Wijzigen",
        "team": "Team", "add": "Toevoegen", "person": "Persoon", "to_team": "Naar team",
        "move": "Verplaatsen", "pair": "Koppelen", "remove": "Verwijderen",
        "remove_help": "Wie nog open verwijzingen heeft, kan pas weg als die herverdeeld zijn.",
        "csrf": "Dit formulier is verlopen of komt niet van deze pagina; er is niets "
                "veranderd. Laad de pagina opnieuw.",
        "form_incomplete": "Kies een persoon (en een team) en vul alle velden in; er is "
                           "niets veranderd.",
        "h_not_found": "Pagina niet gevonden", "h_forbidden": "Geen toegang",
        "h_bad_method": "Dit kan hier niet",
        "bad_method": "Deze pagina kan dat niet; ga terug en gebruik de knoppen op de pagina.",
        "back_contacts": "Naar contactbeheer", "back_start": "Naar het ketenoverzicht",
        "no_term": "geen termijn in deze stap", "sent_to": "naar",
        "period_invalid": "\u201e{value}\u201d is geen datum; gebruik jjjj-mm-dd, bijvoorbeeld "
                          "2026-11-01. Er zijn geen cijfers getoond.",
        "period_range": "{value} valt buiten de periode die het overzicht kent; kies datums "
                        "tussen 01-01-2000 en 31-12-2099.",
        "period_reversed": "De periode eindigt voordat hij begint; kies een einddatum op of na "
                           "de begindatum.",
        "started_line": "In deze periode zijn {n} verwijzingen gestart, waarvan {w} "
                        "ingetrokken. Alle tijden in werkdagen.",
        "started_line_1": "In deze periode is 1 verwijzing gestart, waarvan {w} ingetrokken. "
                          "Alle tijden in werkdagen.",
        "month_csv": "De cijfers per maand (gestart, mediaan tot acceptatie en tot zorgstart) "
                     "als CSV downloaden",
        "choose_person": "— kies een persoon —", "choose_team": "— kies een team —",
        "confirm_title": "{name} verwijderen?",
        "confirm_text": "U haalt {name} ({email}, {role} in {team}) uit de contactenlijst. "
                        "{name} krijgt dan geen nieuwe verwijzingen, herinneringen of "
                        "escalaties meer; de geschiedenis blijft bewaard.",
        "confirm_button": "Ja, verwijder {name}", "cancel": "Annuleren",
        "form_add": "Iemand toevoegen aan {team}", "form_move": "Iemand naar een ander team",
        "form_pair": "Koppelgenoten koppelen", "form_remove": "Iemand verwijderen",
        "tafel": "Jeugdbeschermingstafel (Bouwsteen 4)",
        "tafel_registered": "Aangemeld", "tafel_ots_end": "waarvan voornemen OTS te beëindigen",
        "tafel_wait": "Aanmelding tot de tafel (kalenderdagen)",
        "tafel_within": "Gepland binnen twee weken", "tafel_late": "Later dan twee weken "
        "(of de termijn verliep zonder datum)",
        "tafel_outcome": "Uitkomst {n}", "tafel_outcomes": "Uitkomst van de tafel",
        "outcome_1": "vrijwillig, onder regie van het lokale team",
        "outcome_2": "vrijwillig, niet vrijblijvend voor een periode",
        "outcome_3": "idem, plus raadsonderzoek", "outcome_4": "alleen raadsonderzoek",
        "tafel_verslag": "Verslag verstuurd", "tafel_reactie": "Reactie op het verslag",
        "tafel_evaluatie": "Evaluatiemoment gepland",
        "tafel_evaluatie_held": "Evaluatiemoment gehouden (de datum is bereikt, binnen de "
        "periode)",
        "tafel_wait_werkdagen": "Aanmelding tot de tafel (werkdagen)",
        "tafel_share": "Aandeel binnen twee weken gepland",
        "tafel_per_gemeente": "Jeugdbeschermingstafel per gemeente",
        "tafel_wait_short": "Wachttijd (werkdagen)", "tafel_within_short": "Binnen twee weken",
        "tafel_late_short": "Later",
        "handover": "Warme overdracht na het einde van een maatregel",
        "ov_started": "Gestart", "ov_talk": "Start tot gezamenlijk gesprek (werkdagen)",
        "ov_agreements": "Afspraken over borging vastgelegd",
        "ov_family": "Gezin betrokken", "family_ja": "ja", "family_nee": "nee",
        "family_later": "later", "family_unknown": "nog niet vastgelegd",
        "process_terms": "Binnen de termijn per stap (tafel en overdracht)",
        "no_process": "Geen tafelaanmeldingen of overdrachten gestart in deze periode.",
        "csrf_login": "Dit aanmeldformulier komt niet van deze pagina of lag te lang open; u "
                      "bent niet aangemeld en de link is niet gebruikt. Open de link uit de "
                      "chat opnieuw.",
    },
    "en": {
        "title": "Chain overview", "open": "Open referrals", "figures": "Figures",
        "signout": "Sign out", "signin": "Sign in", "signin_intro":
        "You open the chain overview with a one-time link from the chat.",
        "signin_button": "Sign in to the chain overview",
        "link_bad": "This sign-in link has expired or was used already. Ask for a new one in "
                    "the chat with `overview`.",
        "forbidden": "You have no access to this page.",
        "not_found": "This page does not exist.",
        "signed_out": "You are not signed in. Ask for a link in the chat with `overview`.",
        "ref": "Referral", "route": "Route", "step": "Step", "gemeente": "Municipality",
        "party": "To act", "due": "Due", "lapsed": "lapsed", "all": "all",
        "filter": "Filter", "none_open": "No open referrals in this selection.",
        "shown": "shown", "of": "of", "timeline": "Timeline", "when": "When",
        "who": "Who", "action": "What", "back": "Back to the overview",
        "status": "Status", "period_from": "From", "period_to": "Up to and including",
        "show": "Show", "region": "Region", "lead_times": "Time until the right help",
        "acceptance": "Start to help offered in time (acceptance)",
        "care": "Start to care start", "median": "Median", "p80": "80th percentile",
        "n": "Count", "waiting": "Still waiting", "workdays": "working days",
        "distribution": "Distribution start to acceptance (working days)",
        "on_time": "Within the term per step", "trend": "Per month: median start to "
        "acceptance (working days)", "use": "Use of the chain", "per_gemeente": "Per municipality",
        "started": "Started", "withdrawn": "Withdrawn", "met": "Within term",
        "lapsed_n": "Lapsed", "share": "Share", "month": "Month",
        "contact_problems": "Step 1: no contact within the term", "ret": "Put to the RET",
        "step6": "Step 6 started", "bestuurlijk": "Administrative escalation",
        "model": "Escalation model (Bouwsteen 6)", "situation": "Situation", "total": "Total",
        "closed": "Closed", "tier": "Tier", "duration": "Duration (working days, median / p80)",
        "csv": "CSV", "no_figures": "No referrals started in this period.",
        "language": "Nederlands", "page_help": "Lapsed first, then by due date.",
        "status_open": "open", "status_closed": "done (care started)",
        "status_withdrawn": "withdrawn",
        "kind_team": "your team", "kind_region": "your region", "kind_own": "your own referrals",
        "kind_tafel": "the table cases of your municipalities",
        "contacts": "Contact list", "contacts_help": "The people of the teams you keep. "
        "Red: not confirmed within the region's agreed period.",
        "frequency": "period", "days": "days", "stale_n": "out of date", "stale":
        "out of date", "name": "Name", "email": "E-mail", "role": "Role",
        "verified": "Confirmed", "buddy": "Koppelgenoot", "absent": "Absent", "until": "until",
        "never": "never", "no_people": "Nobody in this team.", "change": "Change",
        "team": "Team", "add": "Add", "person": "Person", "to_team": "To team",
        "move": "Move", "pair": "Pair", "remove": "Remove",
        "remove_help": "Someone with open referrals can leave only once those are reassigned.",
        "csrf": "This form has expired or did not come from this page; nothing was changed. "
                "Reload the page.",
        "form_incomplete": "Choose a person (and a team) and fill in every field; nothing "
                           "was changed.",
        "h_not_found": "Page not found", "h_forbidden": "No access",
        "h_bad_method": "Not possible here",
        "bad_method": "This page cannot do that; go back and use the buttons on the page.",
        "back_contacts": "To the contact list", "back_start": "To the chain overview",
        "no_term": "no term in this step", "sent_to": "to",
        "period_invalid": "\u201c{value}\u201d is not a date; use yyyy-mm-dd, for example "
                          "2026-11-01. No figures are shown.",
        "period_range": "{value} is outside the period the overview knows; choose dates "
                        "between 01-01-2000 and 31-12-2099.",
        "period_reversed": "The period ends before it starts; choose an end date on or after "
                           "the start date.",
        "started_line": "{n} referrals started in this period, {w} of them withdrawn. All "
                        "times in working days.",
        "started_line_1": "1 referral started in this period, {w} of them withdrawn. All "
                          "times in working days.",
        "month_csv": "Download the figures per month (started, median to acceptance and to "
                     "care start) as CSV",
        "choose_person": "— choose a person —", "choose_team": "— choose a team —",
        "confirm_title": "Remove {name}?",
        "confirm_text": "You take {name} ({email}, {role} in {team}) off the contact list. "
                        "{name} then gets no new referrals, reminders or escalations; the "
                        "history is kept.",
        "confirm_button": "Yes, remove {name}", "cancel": "Cancel",
        "form_add": "Add someone to {team}", "form_move": "Move someone to another team",
        "form_pair": "Pair koppelgenoten", "form_remove": "Remove someone",
        "tafel": "Youth protection table (Bouwsteen 4)",
        "tafel_registered": "Registered", "tafel_ots_end": "of which intention to end an OTS",
        "tafel_wait": "Registration to the table (calendar days)",
        "tafel_within": "Scheduled within two weeks", "tafel_late": "Later than two weeks "
        "(or the term passed without a date)",
        "tafel_outcome": "Outcome {n}", "tafel_outcomes": "The table's outcome",
        "outcome_1": "voluntary, led by the local team",
        "outcome_2": "voluntary, not without obligation for a period",
        "outcome_3": "the same, plus an investigation by the Raad",
        "outcome_4": "only an investigation by the Raad",
        "tafel_verslag": "Report sent", "tafel_reactie": "Reaction to the report",
        "tafel_evaluatie": "Evaluation moment scheduled",
        "tafel_evaluatie_held": "Evaluation moment held (its date was reached, within the "
        "period)",
        "tafel_wait_werkdagen": "Registration to the table (working days)",
        "tafel_share": "Share scheduled within two weeks",
        "tafel_per_gemeente": "Youth protection table per municipality",
        "tafel_wait_short": "Wait (working days)", "tafel_within_short": "Within two weeks",
        "tafel_late_short": "Later",
        "handover": "Warm handover after a measure ends",
        "ov_started": "Started", "ov_talk": "Start to joint conversation (working days)",
        "ov_agreements": "Agreements on securing the results recorded",
        "ov_family": "Family involved", "family_ja": "yes", "family_nee": "no",
        "family_later": "later", "family_unknown": "not recorded yet",
        "process_terms": "Within the term per step (table and handover)",
        "no_process": "No table registrations or handovers started in this period.",
        "csrf_login": "This sign-in form did not come from this page or lay open too long; you "
                      "are not signed in and the link was not used. Open the link from the chat "
                      "again.",
    },
}


def text_for(lang: str) -> dict[str, str]:
    return TEXT.get(lang, TEXT["nl"])


# History actions (the shared vocabulary, plus today's older names) as people read them.
ACTIONS: dict[str, dict[str, str]] = {
    "nl": {
        "aangemaakt": "verwijzing aangemaakt", "gestart": "gestart", "contact": "contact gelegd",
        "stap": "naar stap", "ontvangen": "ontvangen", "volgende": "bepaling verstuurd",
        "301": "301-bericht verstuurd", "315": "315-bericht verstuurd",
        "acceptatie": "hulp tijdig geboden (geaccepteerd)", "afwijzing": "afgewezen",
        "onjuist_315": "315 onjuist (JW319)", "ret": "voorgelegd aan RET",
        "ret_uitkomst": "uitkomst RET", "stap6": "stap 6 gestart",
        "bestuurlijk": "bestuurlijke escalatie", "zorg_gestart": "zorg gestart",
        "afgerond": "afgerond", "ingetrokken": "ingetrokken", "herverdeeld": "herverdeeld",
        "zorgaanbieder": "zorgaanbieder vastgelegd", "herinnering": "herinnering",
        "escalatie": "geëscaleerd (termijn verlopen)",
    },
    "en": {
        "aangemaakt": "referral created", "gestart": "started", "contact": "contact made",
        "stap": "to step", "ontvangen": "received", "volgende": "decision sent",
        "301": "301 message sent", "315": "315 message sent",
        "acceptatie": "help offered in time (accepted)", "afwijzing": "rejected",
        "onjuist_315": "315 incorrect (JW319)", "ret": "put to the RET",
        "ret_uitkomst": "RET outcome", "stap6": "step 6 started",
        "bestuurlijk": "administrative escalation", "zorg_gestart": "care started",
        "afgerond": "completed", "ingetrokken": "withdrawn", "herverdeeld": "reassigned",
        "zorgaanbieder": "care provider recorded", "herinnering": "reminder",
        "escalatie": "escalated (term lapsed)",
    },
}
