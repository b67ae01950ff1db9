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
        },
        "party": {
            "jeugdbeschermer": "jeugdbeschermer", "lokaal_team": "lokaal-teammedewerker",
            "koppelgenoot": "koppelgenoot", "lt_teamleider": "teamleider lokaal team",
            "gi_teamleider": "teamleider GI", "gi_gedragswetenschapper": "gedragswetenschapper GI",
            "regionale_contactpersoon": "regionale contactpersoon", "backoffice": "backoffice",
            "zorgaanbieder": "zorgaanbieder", "ret": "RET",
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
        },
        "party": {
            "jeugdbeschermer": "youth protection worker", "lokaal_team": "local-team worker",
            "koppelgenoot": "koppelgenoot", "lt_teamleider": "local-team leader",
            "gi_teamleider": "GI team leader",
            "gi_gedragswetenschapper": "GI behavioural scientist",
            "regionale_contactpersoon": "regional contact person", "backoffice": "back office",
            "zorgaanbieder": "care provider", "ret": "RET",
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
        },
    },
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


def format_due(value: str | datetime | None, lang: str) -> str:
    """A deadline instant (00:00 after the last day) shown as that last day."""
    if value is None:
        return "—"
    return format_date((_parse(value) - timedelta(seconds=1)).astimezone(AMS), lang)


def format_when(value: str | datetime | None, lang: str) -> str:
    """An event instant in Amsterdam time."""
    if value is None:
        return "—"
    return format_datetime(_parse(value).astimezone(AMS), lang)


def for_lang(lang: str) -> dict[str, Any]:
    return LABELS[lang]
