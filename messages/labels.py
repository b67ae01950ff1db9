"""Words the templates need per language: roles, organisation kinds, dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LABELS: dict[str, dict[str, dict[str, str]]] = {
    "nl": {
        "role": {
            "medewerker": "medewerker",
            "teamleider": "teamleider",
            "regionale_contactpersoon": "regionale contactpersoon",
            "gedragswetenschapper": "gedragswetenschapper",
            "backoffice": "backoffice",
            "contactbeheerder": "contactbeheerder",
            "manager": "manager",
            "directeur": "directeur",
            "bestuurder": "bestuurder",
            "wethouder": "wethouder",
            "beleidsmedewerker": "beleidsmedewerker (ambtelijk)",
            "regionaal_adviseur": "regionaal adviseur",
            "contact": "contactpersoon",
            "koppelgenoot": "koppelgenoot",
            "vervanger": "vervangt (koppelgenoot)",
            "jbt_voorzitter": "voorzitter Jeugdbeschermingstafel",
            "jbt_aanspreekpersoon": "eerste aanspreekpersoon (Jeugdbeschermingstafel)",
        },
        "party": {
            "jeugdbeschermer": "jeugdbeschermer", "lokaal_team": "lokaal-teammedewerker",
            "koppelgenoot": "koppelgenoot", "lt_teamleider": "teamleider lokaal team",
            "gi_teamleider": "teamleider GI", "gi_gedragswetenschapper": "gedragswetenschapper GI",
            "regionale_contactpersoon": "regionale contactpersoon", "backoffice": "backoffice",
            "zorgaanbieder": "zorgaanbieder", "ret": "RET",
            "aanmelder": "aanmelder", "ontvanger": "ontvangende professional",
            "jbt_voorzitter": "voorzitter van de tafel",
            "jbt_aanspreekpersoon": "eerste aanspreekpersoon van de gemeente",
            "raad": "Raad voor de Kinderbescherming",
        },
        # The words a step's command needs after the reference.
        "arg": {"gevonden": " <zorgaanbieder>", "gepland": " <datum>", "uitkomst": " 1|2|3|4"},
        # What a case is called, by its route (`Referral.route`).
        "case": {"301": "301-route", "315": "315-route", "jbt": "Jeugdbeschermingstafel",
                 "ov": "warme overdracht"},
        # A referral's history rows (`status`, `referral show`), by event name.
        "event": {
            "aangemaakt": "verwijzing gestart", "stap": "naar stap",
            "ontvangen": "contact bevestigd", "contact": "overleg vastgelegd",
            "volgende": "bepaling en aanmeldformulier verstuurd",
            "301": "301-bericht verstuurd", "315": "315-bericht verstuurd",
            "acceptatie": "match: hulp tijdig geboden", "gestart": "zorg gestart",
            "zorg_gestart": "zorg gestart", "afwijzing": "afwijzing",
            "onjuist_315": "315 onjuist (JW319), terug naar de zorgaanbieder",
            "gevonden": "plek gevonden", "ret": "voorgelegd aan het RET",
            "ret_uitkomst": "uitkomst RET vastgelegd", "stap6": "escalatie (stap 6) gestart",
            "gesprek": "gesprek teamleider GI en regionale contactpersoon",
            "bestuurlijk": "besluit tot bestuurlijke escalatie", "herverdeeld": "herverdeeld",
            "ingetrokken": "ingetrokken", "zorgaanbieder": "zorgaanbieder vastgelegd",
            "escalatie": "termijn verstreken, geëscaleerd", "herinnering": "herinnering verstuurd",
            "tafel_aangemeld": "aangemeld voor de tafel", "tafel_gepland": "tafel gepland",
            "tafel_uitkomst": "uitkomst van de tafel", "tafel_verslag": "verslag verstuurd",
            "tafel_reactie": "reactie op het verslag toegevoegd",
            "tafel_evaluatie": "evaluatiemoment gepland", "ov_gestart": "warme overdracht gestart",
            "ov_gesprek": "gezamenlijk gesprek gevoerd", "ov_afspraken": "afspraken vastgelegd",
            "ov_gezin": "betrokkenheid gezin vastgelegd", "afgerond": "afgerond",
        },
        "model_event": {
            "gestart": "escalatie gestart", "partij": "partij toegevoegd",
            "familie": "positie van het gezin vastgelegd", "trede": "trede",
            "verslag": "verslag voorgelegd", "goedgekeurd": "verslag goedgekeurd",
            "gesloten": "gesloten",
        },
        "kind": {
            "gi": "Gecertificeerde instelling",
            "lokaal_team": "Lokaal team",
            "veilig_thuis": "Veilig Thuis",
            "raad": "Raad voor de Kinderbescherming",
            "zorgaanbieder": "Zorgaanbieder",
            "ret": "Regionaal Expertteam (RET)",
            "backoffice": "Backoffice gemeente",
            "regio": "Jeugdhulpregio",
            "gemeente": "Gemeente",
            "jbt": "Jeugdbeschermingstafel",
        },
    },
    "en": {
        "role": {
            "medewerker": "worker",
            "teamleider": "team leader",
            "regionale_contactpersoon": "regional contact person",
            "gedragswetenschapper": "behavioural scientist",
            "backoffice": "back office",
            "contactbeheerder": "contact list keeper",
            "manager": "manager",
            "directeur": "director",
            "bestuurder": "board member (bestuurder)",
            "wethouder": "alderman (wethouder)",
            "beleidsmedewerker": "policy officer (ambtelijk)",
            "regionaal_adviseur": "regional adviser",
            "contact": "contact",
            "koppelgenoot": "koppelgenoot (backup)",
            "vervanger": "stands in (koppelgenoot)",
            "jbt_voorzitter": "chair of the youth protection table",
            "jbt_aanspreekpersoon": "first contact person (youth protection table)",
        },
        "party": {
            "jeugdbeschermer": "youth protection worker", "lokaal_team": "local-team worker",
            "koppelgenoot": "koppelgenoot", "lt_teamleider": "local-team leader",
            "gi_teamleider": "GI team leader",
            "gi_gedragswetenschapper": "GI behavioural scientist",
            "regionale_contactpersoon": "regional contact person", "backoffice": "back office",
            "zorgaanbieder": "care provider", "ret": "RET",
            "aanmelder": "registering professional", "ontvanger": "receiving professional",
            "jbt_voorzitter": "chair of the table",
            "jbt_aanspreekpersoon": "the municipality's first contact person",
            "raad": "Child Protection Board (Raad)",
        },
        "arg": {"gevonden": " <provider>", "gepland": " <date>", "uitkomst": " 1|2|3|4"},
        "case": {"301": "301 route", "315": "315 route", "jbt": "youth protection table",
                 "ov": "warm handover"},
        "event": {
            "aangemaakt": "referral started", "stap": "to step",
            "ontvangen": "contact acknowledged", "contact": "consultation recorded",
            "volgende": "decision and referral form sent",
            "301": "301 message sent", "315": "315 message sent",
            "acceptatie": "match: help offered in time", "gestart": "care started",
            "zorg_gestart": "care started", "afwijzing": "rejection",
            "onjuist_315": "315 incorrect (JW319), back to the provider",
            "gevonden": "place found", "ret": "put to the RET",
            "ret_uitkomst": "RET outcome recorded", "stap6": "escalation (step 6) started",
            "gesprek": "talk of GI team leader and regional contact person",
            "bestuurlijk": "decision on a bestuurlijke escalatie", "herverdeeld": "reassigned",
            "ingetrokken": "withdrawn", "zorgaanbieder": "provider recorded",
            "escalatie": "deadline passed, escalated", "herinnering": "reminder sent",
            "tafel_aangemeld": "registered for the table", "tafel_gepland": "table scheduled",
            "tafel_uitkomst": "the table's outcome", "tafel_verslag": "report sent",
            "tafel_reactie": "reaction to the report added",
            "tafel_evaluatie": "evaluation moment planned", "ov_gestart": "warm handover started",
            "ov_gesprek": "joint conversation held", "ov_afspraken": "agreements recorded",
            "ov_gezin": "family involvement recorded", "afgerond": "done",
        },
        "model_event": {
            "gestart": "escalation started", "partij": "party added",
            "familie": "family's position recorded", "trede": "tier",
            "verslag": "report put to approval", "goedgekeurd": "report approved",
            "gesloten": "closed",
        },
        "kind": {
            "gi": "Certified institution (GI)",
            "lokaal_team": "Local team",
            "veilig_thuis": "Veilig Thuis",
            "raad": "Child Protection Board (Raad)",
            "zorgaanbieder": "Care provider",
            "ret": "Regional expert team (RET)",
            "backoffice": "Municipal back office",
            "regio": "Youth-care region",
            "gemeente": "Municipality",
            "jbt": "Youth protection table (Jeugdbeschermingstafel)",
        },
    },
}

# Dutch argument words in a command or usage line, and what an English reader
# types instead (the handlers take both).
ARGUMENTS_EN = {
    "<gemeente>": "<municipality>", "[rol]": "[role]", "rol": "role", "<kenmerk>": "<case-ref>",
    "kenmerk": "case", "<zorgaanbieder>": "<provider>", "[reden]": "[reason]",
    "<reden>": "<reason>", "ja|nee": "yes|no", "ja|nee|later": "yes|no|later", "ja": "yes",
    "nee": "no", "[waarom]": "[why]", "<waarom>": "<why>", "<verslag>": "<report>",
    "[verslag]": "[report]", "<organisatie|lt|gi|vt|raad|za>": "<organisation|lt|gi|vt|raad|za>",
    "[toelichting]": "[explanation]", "[klopt": "[ok", "klopt": "ok", "telefoon": "phone",
    "<nummer>]": "<number>]", "<nummer>": "<number>", "tot": "until", "<datum>": "<date>",
    "[rol": "[role", "naam]": "name]", "uit|aan": "off|on", "uit": "off", "aan": "on",
    "[dilemma|samenwerking|zorgelijk]": "[dilemma|cooperation|concern]",
    "dilemma|samenwerking|zorgelijk": "dilemma|cooperation|concern",
    "samenwerking": "cooperation", "zorgelijk": "concern", "<situatie>": "<situation>",
    "<tekst>": "<text>", "[<zorgaanbieder>": "[<provider>",
    "[ots-einde]": "[ots-end]", "ots-einde": "ots-end",
    "[route|hulp|veiligheid": "[route|help|safety", "nee]": "no]", "veiligheid": "safety",
    "hulp": "help",
    "[slack|telegram|teams|alle]": "[slack|telegram|teams|all]", "alle]": "all]",
    "regio": "region",
    "groep": "group", "alle": "all",
}

_DAYS = {"nl": ["ma", "di", "wo", "do", "vr", "za", "zo"],
         "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
_MONTHS = {
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def format_date(value: date | datetime | str | None, lang: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):  # from an outbox payload (JSON): an ISO date
        value = date.fromisoformat(value[:10])
    day = value.date() if isinstance(value, datetime) else value
    return f"{_DAYS[lang][day.weekday()]} {day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def format_datetime(value: datetime | None, lang: str) -> str:
    if value is None:
        return "—"
    return f"{format_date(value, lang)} {value:%H:%M}"


def format_moment(value: datetime, lang: str) -> str:
    """A short moment in the reader's words: `di 24-11 09:30` / `Tue 24-11 09:30`."""
    return f"{_DAYS[lang][value.weekday()]} {value:%d-%m %H:%M}"


def format_age(days: int | None, lang: str) -> str:
    if days is None:
        return "nooit gecontroleerd" if lang == "nl" else "never verified"
    if days <= 0:
        return "vandaag gecontroleerd" if lang == "nl" else "verified today"
    if lang == "nl":
        return f"{days} dag{'en' if days != 1 else ''} geleden gecontroleerd"
    return f"verified {days} day{'s' if days != 1 else ''} ago"


AMS = ZoneInfo("Europe/Amsterdam")


def _parse(value: str | datetime) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def last_day(value: str | datetime) -> date:
    """The last day of a term, from the moment it lapses.

    A deadline is stored as the moment the term is over: 00:00 (Amsterdam) after
    its last werkdag. People are told the last day itself ("uiterlijk do 10
    dec"), never that midnight, which reads as one day more. Every surface that
    shows a deadline (chat, the overview page, CSV, digests, `referral show`)
    goes through this one function."""
    return (_parse(value).astimezone(AMS) - timedelta(microseconds=1)).date()


def format_due(value: str | datetime | None, lang: str) -> str:
    """A deadline shown as its last day, in the reader's words."""
    if value is None:
        return "—"
    return format_date(last_day(value), lang)


def format_when(value: str | datetime | None, lang: str) -> str:
    """An event instant in Amsterdam time."""
    if value is None:
        return "—"
    return format_datetime(_parse(value).astimezone(AMS), lang)


def for_lang(lang: str) -> dict[str, Any]:
    return LABELS[lang]
