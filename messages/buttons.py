"""The words on buttons, per language: what a referral's buttons say, and the
question before one that cannot be undone: Slack's blocks and Teams' cards
draw their buttons with these."""

from __future__ import annotations

# Every command a button may stand for.
ACTIONS = ("ontvangen", "volgende", "301", "315", "acceptatie", "gestart", "afwijzing",
           "onjuist", "ret", "escaleer", "gesprek", "bestuurlijk", "status", "akkoord",
           "verslag", "afspraken")

# Which buttons a message to one person carries, per kind of message (those that
# fit the referral's current step): Slack's DMs and Teams' personal chat.
DM_BUTTONS: dict[str, tuple[str, ...]] = {
    "reminder": ("ontvangen", "volgende", "301", "315", "acceptatie", "gestart", "ret",
                 "gesprek", "status"),
    "notice": ("ontvangen", "volgende", "301", "315", "acceptatie", "gestart", "ret",
               "gesprek", "status"),
    "escalation": ("escaleer", "gesprek", "bestuurlijk", "status"),
}

LABELS = {
    "nl": {"ontvangen": "Contact gehad", "volgende": "Bepaling verstuurd",
           "301": "301 verstuurd", "315": "315 verstuurd", "acceptatie": "Match",
           "gestart": "Zorg gestart", "afwijzing": "Afwijzing", "onjuist": "315 onjuist",
           "ret": "Naar het RET", "escaleer": "Escaleer (stap 6)", "gesprek": "Gesprek gevoerd",
           "bestuurlijk": "Bestuurlijk escaleren", "status": "Status",
           "akkoord": "Akkoord met verslag", "verslag": "Verslag verstuurd",
           "afspraken": "Afspraken vastgelegd"},
    "en": {"ontvangen": "Contact made", "volgende": "Decision sent", "301": "301 sent",
           "315": "315 sent", "acceptatie": "Match", "gestart": "Care started",
           "afwijzing": "Reject", "onjuist": "315 incorrect", "ret": "To the RET",
           "escaleer": "Escalate (step 6)", "gesprek": "Talk held",
           "bestuurlijk": "Escalate bestuurlijk", "status": "Status",
           "akkoord": "Approve report", "verslag": "Report sent",
           "afspraken": "Agreements recorded"},
}
CONFIRM = {
    "nl": {"title": "Zeker weten?", "yes": "Ja", "no": "Nee",
           "afwijzing": "De afwijzing van {ref} vastleggen (naar stap 5)?",
           "onjuist": "Het 315-verzoek van {ref} onjuist verklaren (terug naar de zorgaanbieder)?",
           "escaleer": "{ref} escaleren (stap 6)?",
           "bestuurlijk": "Besluiten tot bestuurlijke escalatie van {ref}?"},
    "en": {"title": "Are you sure?", "yes": "Yes", "no": "No",
           "afwijzing": "Record the rejection of {ref} (to step 5)?",
           "onjuist": "Declare the 315 request of {ref} incorrect (back to the provider)?",
           "escaleer": "Escalate {ref} (step 6)?",
           "bestuurlijk": "Decide on a bestuurlijke escalatie of {ref}?"},
}
